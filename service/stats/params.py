"""What a statistics request asks for, parsed and checked: dimensions, whole-month date ranges and
ranking periods. Pure functions; every refusal is a 422 problem with a `stats.*` code.

Periods are whole months of the sampling date (`sampled_on`), the grain of the rollup:
`date_from=2025-03-15` means from March 2025 on, `date_to=2025-06-02` up to the end of June.
Both accept `YYYY-MM` as well. Without them the range is the twelve months up to the current
one."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Final

from models.stats import RegionGrouping
from service.errors import InvalidInput
from service.stats.grains import Dim

# [ours] Bounds on one request's date range: the default span and the longest allowed.
DEFAULT_RANGE_MONTHS: Final = 12
MAX_RANGE_MONTHS: Final = 60
# [ours] Rows per page of a JSON pass-rate answer: every prefecture (354) or a province's
# counties fit the default page, read in ~30 ms at national scale; the CSV export has no limit.
DEFAULT_PAGE_ROWS: Final = 500
MAX_PAGE_ROWS: Final = 5_000

TIME_DIMENSIONS: Final = ("month", "quarter", "year")
DIMENSIONS: Final = ("region", "category", *(d.value for d in Dim), *TIME_DIMENSIONS)
MAX_CATEGORY_DEPTH: Final = 3

_MONTH = re.compile(r"(\d{4})-(\d{2})(?:-(\d{2}))?")
_PERIOD = re.compile(r"(?P<year>\d{4})(?:Q(?P<quarter>[1-4])|-(?P<month>\d{2}))?")


def add_months(month: date, count: int) -> date:
    """The first day of the month `count` months after (or before) `month`'s."""
    index = month.year * 12 + month.month - 1 + count
    return date(index // 12, index % 12 + 1, 1)


def last_day(month: date) -> date:
    return add_months(month, 1) - timedelta(days=1)


def months_between(first: date, last: date) -> int:
    """How many months the range first..last covers, both included."""
    return (last.year - first.year) * 12 + last.month - first.month + 1


def parse_dimensions(raw: Sequence[str]) -> tuple[str, ...]:
    """`group_by` as given (repeated and/or comma-separated), in order, checked."""
    names = tuple(part.strip() for item in raw for part in item.split(",") if part.strip())
    unknown = [name for name in names if name not in DIMENSIONS]
    if unknown:
        raise InvalidInput(
            "stats.unknown_dimension",
            f"unknown group_by dimension {unknown[0][:40]!r}; use any of {', '.join(DIMENSIONS)}",
            dimensions=list(DIMENSIONS),
        )
    if len(set(names)) < len(names):
        raise InvalidInput("stats.conflicting_dimensions", "a dimension is named twice")
    if sum(name in TIME_DIMENSIONS for name in names) > 1:
        raise InvalidInput(
            "stats.conflicting_dimensions", "group by one of month, quarter or year, not several"
        )
    return names


def parse_month(value: str, name: str) -> date:
    """The first day of the month named by `YYYY-MM` or contained in `YYYY-MM-DD`."""
    match = _MONTH.fullmatch(value)
    try:
        if match is None:
            raise ValueError(value)
        year, month, day = match.groups()
        if not 1900 <= int(year) <= 2999:
            raise ValueError(value)
        return date(int(year), int(month), int(day or 1)).replace(day=1)
    except ValueError:
        raise InvalidInput(
            "stats.invalid_date", f"{name} must be YYYY-MM or YYYY-MM-DD", parameter=name
        ) from None


def month_range(date_from: str | None, date_to: str | None, *, today: date) -> tuple[date, date]:
    """The first and last month of the requested range."""
    last = parse_month(date_to, "date_to") if date_to else today.replace(day=1)
    first = (
        parse_month(date_from, "date_from")
        if date_from
        else add_months(last, 1 - DEFAULT_RANGE_MONTHS)
    )
    if first > last:
        raise InvalidInput(
            "stats.range_reversed", f"date_from ({first:%Y-%m}) is after date_to ({last:%Y-%m})"
        )
    if months_between(first, last) > MAX_RANGE_MONTHS:
        raise InvalidInput(
            "stats.range_too_long",
            f"a range covers at most {MAX_RANGE_MONTHS} months",
            max_months=MAX_RANGE_MONTHS,
        )
    return first, last


@dataclass(frozen=True)
class Period:
    """A ranking period: a year, a quarter or a month, as whole months."""

    label: str
    first: date
    months: int

    @property
    def last(self) -> date:
        return add_months(self.first, self.months - 1)

    def previous(self) -> Period:
        first = add_months(self.first, -self.months)
        return Period(period_label(first, self.months), first, self.months)


def period_label(first: date, months: int) -> str:
    if months == 12:
        return f"{first.year}"
    if months == 3:
        return f"{first.year}Q{(first.month - 1) // 3 + 1}"
    return f"{first:%Y-%m}"


def parse_period(value: str) -> Period:
    """`2025` (a year), `2025Q3` (a quarter) or `2025-07` (a month)."""
    match = _PERIOD.fullmatch(value)
    if match is None or not 1900 <= int(match["year"]) <= 2999:
        raise InvalidInput(
            "stats.invalid_period",
            "period must be a year (2025), quarter (2025Q3) or month (2025-07)",
        )
    year = int(match["year"])
    if match["quarter"]:
        first, months = date(year, 3 * int(match["quarter"]) - 2, 1), 3
    elif match["month"]:
        if not 1 <= int(match["month"]) <= 12:
            raise InvalidInput("stats.invalid_period", f"no month {value}")
        first, months = date(year, int(match["month"]), 1), 1
    else:
        first, months = date(year, 1, 1), 12
    return Period(period_label(first, months), first, months)


LEVEL_DEPTH: Final = {"national": 0, "province": 1, "prefecture": 2, "county": 3}


def grouping_depth(level: RegionGrouping) -> int:
    return LEVEL_DEPTH[level.value]
