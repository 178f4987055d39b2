"""The public interface (no key): /public/results — final results as published (一公开)."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query

from models.common import Page, Text
from models.results import Verdict
from models.results_api import PublicResultRead
from routers.deps import PageDep
from service import publication
from service.db import SessionDep, UnitOfWorkRoute

router = APIRouter(tags=["public"], route_class=UnitOfWorkRoute)


@router.get("/public/results", response_model=Page[PublicResultRead])
async def list_public_results(
    session: SessionDep,
    page: PageDep,
    region_code: Annotated[str | None, Query(pattern=r"^[0-9]{6}$")] = None,
    category_code: Annotated[str | None, Query(pattern=r"^([0-9]{2}){1,6}$")] = None,
    verdict: Verdict | None = None,
    period_from: Annotated[date | None, Query(description="Published on or after")] = None,
    period_to: Annotated[date | None, Query(description="Published on or before")] = None,
    enterprise_uscc: Annotated[Text | None, Query(min_length=1, max_length=40)] = None,
) -> Page[PublicResultRead]:
    """Published final results, newest publication first."""
    filters = publication.PublicFilter(
        region_code, category_code, verdict, period_from, period_to, enterprise_uscc
    )
    found = await publication.list_public_results(session, filters, page)
    return Page(items=list(found.items), next_cursor=found.next_cursor)


@router.get("/public/results/{result_id}")
async def get_public_result(session: SessionDep, result_id: uuid.UUID) -> PublicResultRead:
    return await publication.get_public_result(session, result_id)
