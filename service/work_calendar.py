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
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from models.results import CalendarOverride, CalendarYear
from service.errors import Unavailable

_DAY = timedelta(days=1)


class CalendarNotCovered(Unavailable):
    """No official calendar is loaded for the year a deadline falls in."""

    def __init__(self, day: date) -> None:
        super().__init__(
            "calendar.year_not_covered",
            f"the working-day calendar does not cover {day.year}; load its holidays and make-up "
            "days into calendar_overrides and calendar_years",
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


async def load_calendar(session: AsyncSession) -> WorkCalendar:
    overrides = (await session.exec(select(CalendarOverride))).all()
    years = (await session.exec(select(CalendarYear.year))).all()
    return WorkCalendar(
        overrides={o.day: o.is_working_day for o in overrides}, override_years=frozenset(years)
    )
