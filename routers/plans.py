"""Sampling plans and their double-random draws: /plans, /plans/{id}/draws, /draws/{id}…"""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query, status

from models.common import Page
from models.plan import DrawRead, DrawVerification, PlanCreate, PlanRead, PlanState
from routers.deps import PageDep
from service import plans
from service.auth import RegulatorPrincipal
from service.db import SessionDep, UnitOfWorkRoute
from service.draw import runner

router = APIRouter(tags=["plans"], route_class=UnitOfWorkRoute)


@router.get("/plans", response_model=Page[PlanRead])
async def list_plans(
    session: SessionDep,
    principal: RegulatorPrincipal,
    page: PageDep,
    state: PlanState | None = None,
    department_code: Annotated[str | None, Query(max_length=40)] = None,
) -> Page[PlanRead]:
    result = await plans.list_plans(
        session, principal, plans.PlanFilter(state, department_code), page
    )
    return Page(
        items=[await plans.plan_read(session, p) for p in result.items],
        next_cursor=result.next_cursor,
    )


@router.post("/plans", status_code=status.HTTP_201_CREATED)
async def create_plan(
    session: SessionDep, principal: RegulatorPrincipal, body: PlanCreate
) -> PlanRead:
    return await plans.plan_read(session, await plans.create_plan(session, principal, body))


@router.get("/plans/{plan_id}")
async def get_plan(
    session: SessionDep, principal: RegulatorPrincipal, plan_id: uuid.UUID
) -> PlanRead:
    return await plans.plan_read(session, await plans.get_plan(session, principal, plan_id))


@router.post("/plans/{plan_id}/publish")
async def publish_plan(
    session: SessionDep, principal: RegulatorPrincipal, plan_id: uuid.UUID
) -> PlanRead:
    plan = await plans.change_state(session, principal, plan_id, PlanState.PUBLISHED)
    return await plans.plan_read(session, plan)


@router.post("/plans/{plan_id}/close")
async def close_plan(
    session: SessionDep, principal: RegulatorPrincipal, plan_id: uuid.UUID
) -> PlanRead:
    plan = await plans.change_state(session, principal, plan_id, PlanState.CLOSED)
    return await plans.plan_read(session, plan)


@router.post("/plans/{plan_id}/draws", status_code=status.HTTP_201_CREATED)
async def commit_draw(
    session: SessionDep, principal: RegulatorPrincipal, plan_id: uuid.UUID
) -> DrawRead:
    draw = await runner.commit_draw(session, principal, plan_id)
    return runner.draw_read(draw)


@router.post("/draws/{draw_id}/execute")
async def execute_draw(
    session: SessionDep, principal: RegulatorPrincipal, draw_id: uuid.UUID
) -> DrawRead:
    return runner.draw_read(await runner.execute_draw(session, principal, draw_id))


@router.get("/draws/{draw_id}")
async def get_draw(
    session: SessionDep, principal: RegulatorPrincipal, draw_id: uuid.UUID
) -> DrawRead:
    return runner.draw_read(await runner.get_draw(session, principal, draw_id))


@router.get("/draws/{draw_id}/verify")
async def verify_draw(
    session: SessionDep, principal: RegulatorPrincipal, draw_id: uuid.UUID
) -> DrawVerification:
    report = await runner.verify_stored_draw(session, principal, draw_id)
    return DrawVerification(draw_id=draw_id, ok=report.ok, first_difference=report.first_difference)


@router.get("/draws/{draw_id}/export")
async def export_draw(
    session: SessionDep, principal: RegulatorPrincipal, draw_id: uuid.UUID
) -> dict[str, Any]:
    """The complete record, pool included: what `python -m service.draw verify FILE` checks."""
    return await runner.export_draw(session, principal, draw_id)
