"""The working-day calendar: the official holiday schedule of years the bundled library does not
know yet (rules §1)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path

from models.calendar_api import OfficialYearIn, OfficialYearRead
from service import work_calendar
from service.auth import AdminPrincipal, CurrentPrincipal
from service.db import SessionDep, UnitOfWorkRoute
from service.errors import NotFound

router = APIRouter(tags=["calendar"], route_class=UnitOfWorkRoute)

Year = Annotated[int, Path(ge=2000, le=2100)]


@router.put("/calendar/{year}")
async def load_official_year(
    session: SessionDep, principal: AdminPrincipal, year: Year, body: OfficialYearIn
) -> OfficialYearRead:
    schedule = work_calendar.OfficialYear(
        year=year,
        holidays=tuple(body.holidays),
        make_up_working_days=tuple(body.make_up_working_days),
        source=body.source,
    )
    await work_calendar.load_official_year(session, schedule, actor=principal.actor)
    return OfficialYearRead(
        year=year,
        holidays=sorted(body.holidays),
        make_up_working_days=sorted(body.make_up_working_days),
        source=body.source,
    )


@router.get("/calendar/{year}")
async def get_official_year(
    session: SessionDep, principal: CurrentPrincipal, year: Year
) -> OfficialYearRead:
    schedule = await work_calendar.official_year(session, year)
    if schedule is None:
        raise NotFound("calendar.year_not_loaded", f"no official schedule is loaded for {year}")
    return OfficialYearRead(
        year=year,
        holidays=list(schedule.holidays),
        make_up_working_days=list(schedule.make_up_working_days),
        source=schedule.source,
    )
