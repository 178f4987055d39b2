"""Time counting (rules §1): periods start the day after the event and end on the next working
day when their last day is a rest day or holiday; make-up working days count as working days;
years without an official schedule are an error, never a guess."""

from __future__ import annotations

from datetime import date

import httpx
import pytest
from sqlmodel.ext.asyncio.session import AsyncSession

from service.db import commit
from service.work_calendar import (
    CalendarNotCovered,
    OfficialYear,
    WorkCalendar,
    load_calendar,
    load_official_year,
)
from tests.factories import Keys, assert_problem

LIBRARY = WorkCalendar()


@pytest.mark.parametrize(
    ("event_day", "days", "ends_on"),
    [
        # 2026-03-01 + 15 = 2026-03-16, a Monday: no extension.
        (date(2026, 3, 1), 15, date(2026, 3, 16)),
        # 2026-03-06 + 15 = 2026-03-21, a Saturday → Monday 2026-03-23.
        (date(2026, 3, 6), 15, date(2026, 3, 23)),
        # 2026-09-16 + 15 = 2026-10-01, National Day (holiday to Oct 7) → Thursday 2026-10-08.
        (date(2026, 9, 16), 15, date(2026, 10, 8)),
        # 2025-09-13 + 15 = 2025-09-28, a Sunday that is a make-up working day: no extension.
        (date(2025, 9, 13), 15, date(2025, 9, 28)),
    ],
)
def test_a_period_ends_on_the_next_working_day_after_a_rest_day_or_holiday(
    event_day: date, days: int, ends_on: date
) -> None:
    assert LIBRARY.period_end(event_day, days) == ends_on


def test_working_days_skip_holidays_and_count_make_up_days() -> None:
    # From Friday 2025-09-26: Sunday the 28th is a make-up working day, Oct 1–8 are holidays,
    # and Saturday Oct 11 is a make-up working day again.
    assert LIBRARY.add_working_days(date(2025, 9, 26), 1) == date(2025, 9, 28)
    assert LIBRARY.add_working_days(date(2025, 9, 26), 3) == date(2025, 9, 30)
    assert LIBRARY.add_working_days(date(2025, 9, 26), 4) == date(2025, 10, 9)
    assert LIBRARY.add_working_days(date(2025, 9, 26), 6) == date(2025, 10, 11)


def test_a_year_without_an_official_schedule_is_an_error() -> None:
    with pytest.raises(CalendarNotCovered) as error:
        LIBRARY.period_end(date(2026, 12, 28), 15)
    assert error.value.code == "calendar.year_not_covered"
    assert error.value.status == 503


async def test_a_loaded_official_year_makes_its_deadlines_computable(
    session: AsyncSession,
) -> None:
    schedule = OfficialYear(
        year=2027,
        holidays=(date(2027, 1, 1), date(2027, 1, 12)),
        make_up_working_days=(date(2027, 1, 9),),
        source="test notice",
    )
    await load_official_year(session, schedule, actor="test")
    await commit(session)
    calendar = await load_calendar(session)
    # 2026-12-28 + 15 = 2027-01-12, a holiday in this (test) schedule → Wednesday 01-13.
    assert calendar.period_end(date(2026, 12, 28), 15) == date(2027, 1, 13)
    assert calendar.is_working_day(date(2027, 1, 9))  # a Saturday made a working day
    assert not calendar.is_working_day(date(2027, 1, 10))  # an ordinary Sunday


async def test_admins_load_and_read_a_year_over_http(client: httpx.AsyncClient, keys: Keys) -> None:
    admin = await keys.admin()
    body = {
        "holidays": ["2027-01-01"],
        "make_up_working_days": ["2027-02-20"],
        "source": "国办发明电〔2026〕X号",
    }
    loaded = await client.put("/api/v1/calendar/2027", json=body, headers=admin)
    assert loaded.status_code == 200, loaded.text
    read = await client.get("/api/v1/calendar/2027", headers=admin)
    assert read.json()["make_up_working_days"] == ["2027-02-20"]
    weekday = {**body, "make_up_working_days": ["2027-02-22"]}
    assert_problem(
        await client.put("/api/v1/calendar/2027", json=weekday, headers=admin),
        422,
        "calendar.make_up_on_weekday",
    )
    other_year = {**body, "holidays": ["2028-01-01"]}
    assert_problem(
        await client.put("/api/v1/calendar/2027", json=other_year, headers=admin),
        422,
        "calendar.day_outside_year",
    )
    assert_problem(
        await client.get("/api/v1/calendar/2031", headers=admin), 404, "calendar.year_not_loaded"
    )
