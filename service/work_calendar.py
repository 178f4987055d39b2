"""Time counting (rules §1): working days (工作日) of the official PRC calendar, make-up working
days (调休) included, and periods of N days that end on the next working day when their last day
is a rest day or holiday (民法典 §201, §203).

The `chinese-calendar` library knows the published years; the `calendar_overrides` table corrects
single days and, with `calendar_years`, defines whole years the library does not know yet. A
deadline in a year neither covers is an error — never a guess."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta

import chinese_calendar
from sqlalchemy import delete
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models.results import CalendarOverride, CalendarYear
from service import audit
from service.errors import InvalidInput, Unavailable

_DAY = timedelta(days=1)


class CalendarNotCovered(Unavailable):
    """No official calendar is loaded for the year a deadline falls in."""

    def __init__(self, day: date) -> None:
        super().__init__(
            "calendar.year_not_covered",
            f"the working-day calendar does not cover {day.year}; an admin loads the year's "
            f"official schedule with PUT /api/v1/calendar/{day.year}",
            year=day.year,
        )


@dataclass(frozen=True)
class WorkCalendar:
    overrides: Mapping[date, bool] = field(default_factory=dict)
    override_years: frozenset[int] = frozenset()

    def is_working_day(self, day: date) -> bool:
        if day in self.overrides:
            return self.overrides[day]
        if day.year in self.override_years:
            return day.weekday() < 5
        try:
            return bool(chinese_calendar.is_workday(day))
        except NotImplementedError:
            raise CalendarNotCovered(day) from None

    def next_working_day(self, day: date) -> date:
        """`day` itself when it is a working day, else the first working day after it."""
        while not self.is_working_day(day):
            day += _DAY
        return day

    def period_end(self, event_day: date, days: int) -> date:
        """The last day of a period of `days` days triggered on `event_day`: counting starts the
        next day, and a last day that falls on a rest day or holiday moves to the next working
        day."""
        return self.next_working_day(event_day + timedelta(days=days))

    def add_working_days(self, start: date, days: int) -> date:
        """The `days`-th working day after `start`."""
        day, counted = start, 0
        while counted < days:
            day += _DAY
            if self.is_working_day(day):
                counted += 1
        return day


@dataclass(frozen=True)
class OfficialYear:
    """The official schedule of one year as the State Council publishes it (国务院办公厅关于
    部分节假日安排的通知): the holidays, and the weekend days that are make-up working days."""

    year: int
    holidays: tuple[date, ...]
    make_up_working_days: tuple[date, ...]
    source: str


def _check_year(schedule: OfficialYear) -> None:
    days = schedule.holidays + schedule.make_up_working_days
    if any(day.year != schedule.year for day in days):
        raise InvalidInput("calendar.day_outside_year", f"every day must fall in {schedule.year}")
    if set(schedule.holidays) & set(schedule.make_up_working_days):
        raise InvalidInput("calendar.day_twice", "a day cannot be a holiday and a working day")
    if any(day.weekday() < 5 for day in schedule.make_up_working_days):
        raise InvalidInput("calendar.make_up_on_weekday", "make-up working days fall on weekends")


async def load_official_year(session: AsyncSession, schedule: OfficialYear, *, actor: str) -> None:
    """Replace the override rows of a year with its official schedule and mark the year as
    covered, so deadlines that reach into it can be computed."""
    _check_year(schedule)
    await session.exec(
        delete(CalendarOverride).where(
            col(CalendarOverride.day) >= date(schedule.year, 1, 1),
            col(CalendarOverride.day) <= date(schedule.year, 12, 31),
        )
    )
    session.add_all(
        [CalendarOverride(day=d, is_working_day=False, note="holiday") for d in schedule.holidays]
        + [
            CalendarOverride(day=d, is_working_day=True, note="make-up working day")
            for d in schedule.make_up_working_days
        ]
    )
    year = await session.get(CalendarYear, schedule.year)
    if year is None:
        session.add(CalendarYear(year=schedule.year, source=schedule.source))
    else:
        year.source = schedule.source
    await session.flush()
    audit.record(
        session,
        actor=actor,
        action="calendar.load_year",
        entity_type="calendar_year",
        entity_id=str(schedule.year),
        state={
            "holidays": sorted(schedule.holidays),
            "make_up_working_days": sorted(schedule.make_up_working_days),
            "source": schedule.source,
        },
    )


async def official_year(session: AsyncSession, year: int) -> OfficialYear | None:
    covered = await session.get(CalendarYear, year)
    if covered is None:
        return None
    rows = (
        await session.exec(
            select(CalendarOverride)
            .where(
                col(CalendarOverride.day) >= date(year, 1, 1),
                col(CalendarOverride.day) <= date(year, 12, 31),
            )
            .order_by(col(CalendarOverride.day))
        )
    ).all()
    return OfficialYear(
        year=year,
        holidays=tuple(r.day for r in rows if not r.is_working_day),
        make_up_working_days=tuple(r.day for r in rows if r.is_working_day),
        source=covered.source,
    )


async def load_calendar(session: AsyncSession) -> WorkCalendar:
    overrides = (await session.exec(select(CalendarOverride))).all()
    years = (await session.exec(select(CalendarYear.year))).all()
    return WorkCalendar(
        overrides={o.day: o.is_working_day for o in overrides}, override_years=frozenset(years)
    )
