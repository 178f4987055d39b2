"""Parsing what a statistics request asks for: dimensions, whole-month ranges, ranking periods,
and the grain that answers a query."""

from __future__ import annotations

import itertools
from datetime import date

import pytest

from service.errors import InvalidInput
from service.stats.grains import FINEST, GRAINS, CategoryDepth, Dim, Need, RegionDepth, choose_grain
from service.stats.params import (
    MAX_RANGE_MONTHS,
    month_range,
    parse_dimensions,
    parse_period,
)

TODAY = date(2026, 11, 21)


def test_dimensions_may_be_repeated_or_comma_separated() -> None:
    assert parse_dimensions(["region, place_type", "year"]) == ("region", "place_type", "year")
    assert parse_dimensions([]) == ()


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        (["colour"], "stats.unknown_dimension"),
        (["region,Region"], "stats.unknown_dimension"),
        (["region", "region"], "stats.conflicting_dimensions"),
        (["month,year"], "stats.conflicting_dimensions"),
    ],
)
def test_bad_dimensions_are_refused(raw: list[str], code: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        parse_dimensions(raw)
    assert refused.value.code == code


def test_a_range_is_whole_months_and_defaults_to_the_last_twelve() -> None:
    assert month_range("2025-03-15", "2025-06-02", today=TODAY) == (
        date(2025, 3, 1),
        date(2025, 6, 1),
    )
    assert month_range("2025-03", "2025-03", today=TODAY) == (date(2025, 3, 1), date(2025, 3, 1))
    assert month_range(None, None, today=TODAY) == (date(2025, 12, 1), date(2026, 11, 1))
    assert month_range(None, "2024-02", today=TODAY) == (date(2023, 3, 1), date(2024, 2, 1))


@pytest.mark.parametrize(
    ("date_from", "date_to", "code"),
    [
        ("2025-07", "2025-06", "stats.range_reversed"),
        ("2020-01", "2025-01", "stats.range_too_long"),
        ("2025-13", None, "stats.invalid_date"),
        ("2025-02-30", None, "stats.invalid_date"),
        ("0000-01", None, "stats.invalid_date"),
        (None, "9999-12", "stats.invalid_date"),
        ("July", None, "stats.invalid_date"),
    ],
)
def test_bad_ranges_are_refused(date_from: str | None, date_to: str | None, code: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        month_range(date_from, date_to, today=TODAY)
    assert refused.value.code == code


def test_the_longest_range_is_allowed() -> None:
    first, last = month_range("2021-02", "2026-01", today=TODAY)
    assert (last.year - first.year) * 12 + last.month - first.month + 1 == MAX_RANGE_MONTHS


@pytest.mark.parametrize(
    ("text", "first", "months", "previous"),
    [
        ("2025", date(2025, 1, 1), 12, "2024"),
        ("2025Q3", date(2025, 7, 1), 3, "2025Q2"),
        ("2025Q1", date(2025, 1, 1), 3, "2024Q4"),
        ("2025-07", date(2025, 7, 1), 1, "2025-06"),
        ("2025-01", date(2025, 1, 1), 1, "2024-12"),
    ],
)
def test_periods_and_the_previous_period_of_the_same_length(
    text: str, first: date, months: int, previous: str
) -> None:
    period = parse_period(text)
    assert (period.label, period.first, period.months) == (text, first, months)
    assert period.previous().label == previous


@pytest.mark.parametrize("text", ["2025Q5", "2025-13", "25", "2025-7", "Q3", "1800"])
def test_bad_periods_are_refused(text: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        parse_period(text)
    assert refused.value.code == "stats.invalid_period"


def test_every_query_of_at_most_two_dimensions_is_answered_by_a_small_grain() -> None:
    axes: list[tuple[str, Need]] = [
        *((f"region@{d.name}", Need(region=d)) for d in RegionDepth if d),
        *((f"category@{d.name}", Need(category=d)) for d in CategoryDepth if d),
        *((d.value, Need(dims=frozenset({d}))) for d in Dim),
    ]
    for (_, one), (_, two) in itertools.combinations_with_replacement(axes, 2):
        need = Need(
            max(one.region, two.region), max(one.category, two.category), one.dims | two.dims
        )
        assert choose_grain(need) is not FINEST, need


def test_wider_queries_fall_back_to_the_finest_grain() -> None:
    need = Need(RegionDepth.FINEST, CategoryDepth.FINEST, frozenset({Dim.PLACE_TYPE}))
    assert choose_grain(need) is FINEST
    assert len({g.id for g in GRAINS}) == len(GRAINS)
