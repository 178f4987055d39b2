"""Refusals of sampling (拒绝抽查, rules §5): the assigned agency records that the enterprise
refused, with evidence and the inspectors present. A refusal closes the task and is a credit
event (rules §8, §9), so its event carries what the credit file needs."""

from __future__ import annotations

import uuid
from datetime import date

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models.plan import TaskState
from models.results import Refusal
from models.samples_api import RefusalCreate
from service import audit, events, tasks
from service.auth import Principal
from service.errors import InvalidInput, NotFound
from service.samples import (
    check_field_date,
    check_samplers,
    open_task,
    record_task_state,
    start_plan,
)


async def record_refusal(
    session: AsyncSession,
    principal: Principal,
    task_id: uuid.UUID,
    data: RefusalCreate,
    *,
    today: date,
) -> Refusal:
    task, plan = await open_task(session, principal, task_id)
    check_field_date(data.refused_on, plan, today=today, code_prefix="refusal")
    if not data.evidence:
        raise InvalidInput(
            "refusal.evidence_missing", "a refusal is recorded with at least one evidence file"
        )
    samplers = await check_samplers(session, task, plan, data.sampler_ids, code="refusal.samplers")
    refusal = Refusal(
        task_id=task.id,
        agency_id=task.agency_id,
        enterprise_uscc=task.enterprise_uscc,
        refused_on=data.refused_on,
        reason=data.reason,
        evidence=[e.model_dump(mode="json") for e in data.evidence],
        sampler_ids=samplers,
    )
    session.add(refusal)
    task.state = TaskState.REFUSED.value
    await session.flush()
    # A refusal is field work under the plan as much as a sample is.
    await start_plan(session, principal.actor, plan)
    events.emit(
        session,
        "task.refused",
        entity_type="task",
        entity_id=task.id,
        enterprise_uscc=task.enterprise_uscc,
        payload={
            "refusal_id": refusal.id,
            "plan_id": plan.id,
            "plan_kind": plan.kind,
            "organiser_code": plan.department_code,
            "product_id": task.product_id,
            "agency_id": task.agency_id,
            "refused_on": refusal.refused_on,
            "reason": refusal.reason,
            "evidence_count": len(refusal.evidence),
        },
    )
    audit.record(
        session,
        actor=principal.actor,
        action="refusal.record",
        entity_type="refusal",
        entity_id=str(refusal.id),
        state=refusal.model_dump(mode="json", exclude={"created_at"}),
    )
    record_task_state(session, principal.actor, task)
    return refusal


async def get_refusal(session: AsyncSession, principal: Principal, task_id: uuid.UUID) -> Refusal:
    """The refusal recorded for a task the caller may read."""
    task = await tasks.get_task(session, principal, task_id)
    refusal = (await session.exec(select(Refusal).where(col(Refusal.task_id) == task.id))).first()
    if refusal is None:
        raise NotFound("refusal.not_found", f"task {task_id} has no refusal ({task.state})")
    return refusal
