"""Testing agencies (检验检测机构)."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query, status

from models.agency import AgencyCreate, AgencyRead, AgencyUpdate
from models.common import Page
from routers.deps import PageDep
from service.auth import DirectoryReader, RegulatorPrincipal
from service.db import SessionDep, UnitOfWorkRoute
from service.directory import agencies

router = APIRouter(tags=["agencies"], route_class=UnitOfWorkRoute)


@router.get("/agencies", response_model=Page[AgencyRead])
async def list_agencies(
    session: SessionDep,
    principal: DirectoryReader,
    page: PageDep,
    region_code: Annotated[str | None, Query(pattern=r"^[0-9]{6}$")] = None,
    category_code: Annotated[str | None, Query(pattern=r"^([0-9]{2})+$")] = None,
    valid_on: date | None = None,
    active: bool | None = None,
) -> Page[AgencyRead]:
    filters = agencies.AgencyFilter(region_code, category_code, valid_on, active)
    result = await agencies.list_agencies(session, filters, page)
    return Page(
        items=[AgencyRead.model_validate(a) for a in result.items], next_cursor=result.next_cursor
    )


@router.post("/agencies", status_code=status.HTTP_201_CREATED)
async def create_agency(
    session: SessionDep, principal: RegulatorPrincipal, body: AgencyCreate
) -> AgencyRead:
    return AgencyRead.model_validate(await agencies.create_agency(session, principal, body))


@router.get("/agencies/{agency_id}")
async def get_agency(
    session: SessionDep, principal: DirectoryReader, agency_id: uuid.UUID
) -> AgencyRead:
    return AgencyRead.model_validate(await agencies.get_agency(session, agency_id))


@router.patch("/agencies/{agency_id}")
async def update_agency(
    session: SessionDep, principal: RegulatorPrincipal, agency_id: uuid.UUID, body: AgencyUpdate
) -> AgencyRead:
    return AgencyRead.model_validate(
        await agencies.update_agency(session, principal, agency_id, body)
    )
