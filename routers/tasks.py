"""Sampling tasks created by draws, and the six-month eligibility query."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query

from models.common import Page, PlanKind
from models.plan import BlockingSampling, EligibilityRead, TaskRead, TaskState
from routers.deps import PageDep
from service import eligibility, six_month_rule, tasks
from service.auth import CurrentPrincipal, RegulatorPrincipal
from service.db import SessionDep, UnitOfWorkRoute

router = APIRouter(tags=["tasks"], route_class=UnitOfWorkRoute)


@router.get("/tasks", response_model=Page[TaskRead])
async def list_tasks(
    session: SessionDep,
    principal: CurrentPrincipal,
    page: PageDep,
    plan_id: uuid.UUID | None = None,
    state: TaskState | None = None,
) -> Page[TaskRead]:
    result = await tasks.list_tasks(session, principal, tasks.TaskFilter(plan_id, state), page)
    return Page(
        items=[TaskRead.model_validate(t) for t in result.items], next_cursor=result.next_cursor
    )


@router.get("/tasks/{task_id}")
async def get_task(
    session: SessionDep, principal: CurrentPrincipal, task_id: uuid.UUID
) -> TaskRead:
    return TaskRead.model_validate(await tasks.get_task(session, principal, task_id))


@router.get("/products/{product_id}/eligibility")
async def product_eligibility(
    session: SessionDep,
    principal: RegulatorPrincipal,
    product_id: uuid.UUID,
    department: Annotated[str, Query(min_length=1, max_length=40)],
    on: Annotated[date, Query(alias="date")],
    plan_kind: PlanKind = PlanKind.ROUTINE,
) -> EligibilityRead:
    decision = await eligibility.check_product(
        session, product_id=product_id, department_code=department, on=on, plan_kind=plan_kind
    )
    result = decision.eligibility
    return EligibilityRead(
        product_id=product_id,
        department_code=department,
        date=on,
        plan_kind=plan_kind,
        eligible=result.eligible,
        exempt=result.exempt,
        locked_until=result.locked_until,
        blocking=[
            BlockingSampling(
                sampling_id=uuid.UUID(b.sampling.sampling_id),
                department_code=b.sampling.organiser.department_code,
                level=b.sampling.organiser.level.value,
                sampled_on=b.sampling.sampled_on,
                verdict=b.sampling.verdict,
                rule_id=b.rule_id.value,
                lock_ends_on=b.lock_ends_on,
            )
            for b in result.blocks
        ],
        rule_version=six_month_rule.VERSION,
        config=decision.config.as_record(),
    )
