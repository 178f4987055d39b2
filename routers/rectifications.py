"""Rectification (整改) of nonconforming results: /rectifications, /rectifications/{id}, and the
organiser's actions on one — scheduling a follow-up (复查) and recording a correction."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, status
from sqlmodel.ext.asyncio.session import AsyncSession

from models.common import Page, Text
from models.rectification_api import CorrectionCreate, FollowUpCreate, RectificationRead
from models.results import Rectification, RectificationState
from models.system import Role
from routers.deps import PageDep
from service import clock, rectification
from service.auth import Principal, RegulatorPrincipal, require_roles
from service.db import SessionDep, UnitOfWorkRoute

router = APIRouter(tags=["rectifications"], route_class=UnitOfWorkRoute)

RectificationReader = Annotated[
    Principal, require_roles(Role.ADMIN, Role.REGULATOR, Role.ENTERPRISE)
]


async def _read(
    session: AsyncSession, principal: Principal, found: Rectification
) -> RectificationRead:
    reads = await rectification.rectification_reads(
        session, [found], principal=principal, today=clock.today()
    )
    return reads[0]


@router.get("/rectifications", response_model=Page[RectificationRead])
async def list_rectifications(
    session: SessionDep,
    principal: RectificationReader,
    page: PageDep,
    state: RectificationState | None = None,
    enterprise_uscc: Annotated[Text | None, Query(min_length=1, max_length=40)] = None,
    organiser_code: Annotated[Text | None, Query(min_length=1, max_length=40)] = None,
) -> Page[RectificationRead]:
    filters = rectification.RectificationFilter(state, enterprise_uscc, organiser_code)
    result = await rectification.list_rectifications(session, principal, filters, page)
    items = await rectification.rectification_reads(
        session, result.items, principal=principal, today=clock.today()
    )
    return Page(items=items, next_cursor=result.next_cursor)


@router.get("/rectifications/{rectification_id}")
async def get_rectification(
    session: SessionDep, principal: RectificationReader, rectification_id: uuid.UUID
) -> RectificationRead:
    found = await rectification.get_rectification(session, principal, rectification_id)
    return await _read(session, principal, found)


@router.post("/rectifications/{rectification_id}/follow-up", status_code=status.HTTP_201_CREATED)
async def schedule_follow_up(
    session: SessionDep,
    principal: RegulatorPrincipal,
    rectification_id: uuid.UUID,
    body: FollowUpCreate,
) -> RectificationRead:
    """Create the follow-up (复查) plan and task; returns the rectification as it now stands."""
    changed = await rectification.schedule_follow_up(
        session, principal, rectification_id, body, today=clock.today()
    )
    return await _read(session, principal, changed)


@router.post("/rectifications/{rectification_id}/corrected", status_code=status.HTTP_201_CREATED)
async def record_correction(
    session: SessionDep,
    principal: RegulatorPrincipal,
    rectification_id: uuid.UUID,
    body: CorrectionCreate,
) -> RectificationRead:
    """Record that the enterprise reported its correction (整改报告)."""
    changed = await rectification.record_correction(
        session, principal, rectification_id, body, today=clock.today()
    )
    return await _read(session, principal, changed)
