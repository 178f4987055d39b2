"""The public lists (no key): /public/blacklist — the listings in force — and /public/redlist —
grade-A enterprises with a clean record (守信激励)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from models.common import Page
from models.releases_api import PublicListingRead, RedListEntry
from routers.deps import PageDep
from service import clock
from service.blacklist import public, redlist
from service.db import SessionDep, UnitOfWorkRoute

router = APIRouter(tags=["public"], route_class=UnitOfWorkRoute)

RegionCode = Annotated[
    str | None, Query(pattern=r"^[0-9]{6}$", description="Only enterprises inside this region")
]


@router.get("/public/blacklist", response_model=Page[PublicListingRead])
async def list_public_blacklist(
    session: SessionDep, page: PageDep, region_code: RegionCode = None
) -> Page[PublicListingRead]:
    """Enterprises on the blacklist today, the newest listing first."""
    found = await public.list_public_blacklist(
        session, public.PublicListFilter(region_code), page, today=clock.today()
    )
    return Page(items=list(found.items), next_cursor=found.next_cursor)


@router.get("/public/redlist", response_model=Page[RedListEntry])
async def list_public_redlist(
    session: SessionDep, page: PageDep, region_code: RegionCode = None
) -> Page[RedListEntry]:
    """Grade-A enterprises with no listing and no nonconforming final result in the period
    (`QCS_BLACKLIST_REDLIST_YEARS`, default 3 years), in USCC order."""
    found = await redlist.list_redlist(
        session, redlist.RedListFilter(region_code), page, today=clock.today()
    )
    return Page(items=list(found.items), next_cursor=found.next_cursor)
