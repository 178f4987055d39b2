"""Departments: market-regulation bureaus and the departments that consume the lists."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, status

from models.common import DepartmentLevel, Page, Text
from models.reference import DepartmentCreate, DepartmentRead, DepartmentUpdate
from routers.deps import PageDep
from service.auth import AdminPrincipal, CurrentPrincipal
from service.db import SessionDep, UnitOfWorkRoute
from service.directory import reference

router = APIRouter(tags=["departments"], route_class=UnitOfWorkRoute)


@router.get("/departments", response_model=Page[DepartmentRead])
async def list_departments(
    session: SessionDep,
    principal: CurrentPrincipal,
    page: PageDep,
    kind: Annotated[str | None, Query(pattern=r"^[a-z]+$")] = None,
    level: DepartmentLevel | None = None,
    region_code: Annotated[str | None, Query(pattern=r"^[0-9]{6}$")] = None,
    is_market_regulator: bool | None = None,
    active: bool | None = None,
) -> Page[DepartmentRead]:
    filters = reference.DepartmentFilter(kind, level, region_code, is_market_regulator, active)
    result = await reference.list_departments(session, filters, page)
    return Page(
        items=[DepartmentRead.model_validate(d) for d in result.items],
        next_cursor=result.next_cursor,
    )


@router.post("/departments", status_code=status.HTTP_201_CREATED)
async def create_department(
    session: SessionDep, principal: AdminPrincipal, body: DepartmentCreate
) -> DepartmentRead:
    return DepartmentRead.model_validate(
        await reference.create_department(session, principal, body)
    )


@router.get("/departments/{code}")
async def get_department(
    session: SessionDep, principal: CurrentPrincipal, code: Text
) -> DepartmentRead:
    return DepartmentRead.model_validate(await reference.get_department(session, code))


@router.patch("/departments/{code}")
async def update_department(
    session: SessionDep, principal: AdminPrincipal, code: Text, body: DepartmentUpdate
) -> DepartmentRead:
    return DepartmentRead.model_validate(
        await reference.update_department(session, principal, code, body)
    )
