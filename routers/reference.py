"""Regions and product categories (read-only reference data)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from models.common import Page, RegionLevel, Text
from models.reference import CategoryRead, RegionRead
from routers.deps import PageDep
from service.auth import CurrentPrincipal
from service.db import SessionDep, UnitOfWorkRoute
from service.directory import reference

router = APIRouter(tags=["reference"], route_class=UnitOfWorkRoute)

RegionCode = Annotated[str | None, Query(pattern=r"^[0-9]{6}$")]


@router.get("/regions", response_model=Page[RegionRead])
async def list_regions(
    session: SessionDep,
    principal: CurrentPrincipal,
    page: PageDep,
    level: RegionLevel | None = None,
    parent_code: RegionCode = None,
    within: RegionCode = None,
) -> Page[RegionRead]:
    filters = reference.RegionFilter(level=level, parent_code=parent_code, within=within)
    result = await reference.list_regions(session, filters, page)
    return Page(
        items=[RegionRead.model_validate(r) for r in result.items], next_cursor=result.next_cursor
    )


@router.get("/regions/{code}")
async def get_region(session: SessionDep, principal: CurrentPrincipal, code: Text) -> RegionRead:
    return RegionRead.model_validate(await reference.get_region(session, code))


@router.get("/product-categories", response_model=Page[CategoryRead])
async def list_categories(
    session: SessionDep,
    principal: CurrentPrincipal,
    page: PageDep,
    parent_code: Annotated[str | None, Query(pattern=r"^([0-9]{2})+$")] = None,
    top_level: bool = False,
) -> Page[CategoryRead]:
    result = await reference.list_categories(session, parent_code, top_level, page)
    return Page(
        items=[CategoryRead.model_validate(c) for c in result.items], next_cursor=result.next_cursor
    )


@router.get("/product-categories/{code}")
async def get_category(
    session: SessionDep, principal: CurrentPrincipal, code: Text
) -> CategoryRead:
    return CategoryRead.model_validate(await reference.get_category(session, code))
