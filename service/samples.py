"""Sample registration (抽样单, rules §5): the agency assigned to a task records what it took —
date, place, batch, inspection and backup sample, the two or more inspectors who sampled, and for
online purchases the order and its evidence. Registration runs the six-month rule, closes the
task and starts the plan. The checks shared with refusals (task still open, field date, samplers)
live here too."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models.agency import Inspector, InspectorConflict, TestingAgency
from models.common import PlanKind
from models.plan import Plan, PlanState, SamplingTask, TaskState
from models.results import PlaceType, Sample
from models.samples_api import SampleCreate
from service import audit, eligibility, events, plans, tasks
from service.auth import Principal
from service.errors import Conflict, InvalidInput, NotFound
from service.locking import lock_for_transaction

# 行政处罚法 §42: enforcement is carried out by at least two inspectors.
MIN_SAMPLERS = 2
_E_COMMERCE_PARTS = ("shop", "order_number", "paying_account", "delivery_address")
_FIELD_WORK_PLAN_STATES = (PlanState.DRAWN.value, PlanState.IN_PROGRESS.value)


async def open_task(
    session: AsyncSession, principal: Principal, task_id: uuid.UUID
) -> tuple[SamplingTask, Plan]:
    """The caller's task, row-locked so that two registrations cannot both find it open, and
    its plan. A task that is not the caller's is `task.not_found` like an absent one."""
    task = await tasks.get_task(session, principal, task_id)
    await session.refresh(task, with_for_update=True)
    if task.state != TaskState.ASSIGNED.value:
        raise Conflict("task.not_open", f"task {task.id} is already {task.state}", state=task.state)
    plan = await session.get(Plan, task.plan_id)
    if plan is None or plan.state not in _FIELD_WORK_PLAN_STATES:
        state = plan.state if plan else None
        raise Conflict("task.not_open", f"the plan of task {task.id} is {state}", plan_state=state)
    return task, plan


def check_field_date(on: date, plan: Plan, *, today: date, code_prefix: str) -> None:
    """A sampling or refusal happens inside the plan period and not after today."""
    if on > today:
        raise InvalidInput(
            f"{code_prefix}.date_in_future",
            f"{on} is after today ({today})",
            today=today.isoformat(),
        )
    if not plan.period_start <= on <= plan.period_end:
        raise InvalidInput(
            f"{code_prefix}.date_outside_plan",
            f"{on} is outside the plan period {plan.period_start} to {plan.period_end}",
            period_start=plan.period_start.isoformat(),
            period_end=plan.period_end.isoformat(),
        )


async def check_samplers(
    session: AsyncSession,
    task: SamplingTask,
    plan: Plan,
    sampler_ids: list[uuid.UUID],
    *,
    code: str,
) -> list[uuid.UUID]:
    """The distinct samplers, in the order given. Each must be an active inspector on the task
    or on the organiser's roster, without a declared conflict with the enterprise (回避,
    行政处罚法 §43). Every problem found is listed in the error's `samplers` member."""
    problems: list[dict[str, str]] = []
    distinct: list[uuid.UUID] = []
    for sampler_id in sampler_ids:
        if sampler_id in distinct:
            problems.append({"id": str(sampler_id), "reason": "duplicate"})
        else:
            distinct.append(sampler_id)
    found = {
        i.id: i
        for i in (
            await session.exec(select(Inspector).where(col(Inspector.id).in_(distinct)))
        ).all()
    }
    conflicted = set(
        (
            await session.exec(
                select(InspectorConflict.inspector_id).where(
                    col(InspectorConflict.inspector_id).in_(distinct),
                    col(InspectorConflict.enterprise_uscc) == task.enterprise_uscc,
                )
            )
        ).all()
    )
    for sampler_id in distinct:
        reason = _sampler_problem(found.get(sampler_id), task, plan, sampler_id in conflicted)
        if reason is not None:
            problems.append({"id": str(sampler_id), "reason": reason})
    if len(distinct) < MIN_SAMPLERS:
        raise InvalidInput(
            code,
            f"at least {MIN_SAMPLERS} distinct inspectors must take part, got {len(distinct)}",
            samplers=problems,
        )
    if problems:
        listed = ", ".join(f"{p['id']} ({p['reason']})" for p in problems)
        raise InvalidInput(code, f"these samplers cannot take part: {listed}", samplers=problems)
    return distinct


def _sampler_problem(
    inspector: Inspector | None, task: SamplingTask, plan: Plan, conflicted: bool
) -> str | None:
    if inspector is None:
        return "unknown"
    # An inspector who left the roster has no enforcement status, even if the draw chose them.
    if not inspector.active:
        return "inactive"
    if inspector.id not in task.inspector_ids and inspector.department_code != plan.department_code:
        return "not_on_roster"
    if conflicted:
        return "conflict_of_interest"
    return None


async def start_plan(session: AsyncSession, actor: str, plan: Plan) -> None:
    """The first field visit of a drawn plan puts it in progress."""
    if plan.state != PlanState.DRAWN.value:
        return
    # Two first visits at once: the second waits here and then finds the plan started.
    await session.refresh(plan, with_for_update=True)
    if plan.state == PlanState.DRAWN.value:
        await plans.transition(session, actor, plan, PlanState.IN_PROGRESS)


def _e_commerce_record(data: SampleCreate) -> dict[str, Any] | None:
    purchase = data.e_commerce
    if data.place_type is not PlaceType.E_COMMERCE:
        if purchase is not None:
            raise InvalidInput(
                "sample.e_commerce_unexpected",
                f"purchase details belong to e_commerce samples, not {data.place_type.value}",
            )
        return None
    if purchase is None:
        missing = [*_E_COMMERCE_PARTS, "evidence"]
    else:
        missing = [part for part in _E_COMMERCE_PARTS if getattr(purchase, part) is None]
        missing += [] if purchase.evidence else ["evidence"]
    if missing or purchase is None:
        raise InvalidInput(
            "sample.e_commerce_evidence_missing",
            f"an online sample needs its shop, order, paying account, delivery address and at "
            f"least one evidence file; missing: {', '.join(missing)}",
            missing=missing,
        )
    return purchase.model_dump(mode="json")


async def _check_agency_qualified(
    session: AsyncSession, agency_id: uuid.UUID, sampled_on: date
) -> None:
    # The testing agency's CMA must be valid on the sampling date (rules §3).
    agency = await session.get(TestingAgency, agency_id)
    if (
        agency is None
        or not agency.active
        or not (agency.cma_valid_from <= sampled_on <= agency.cma_valid_until)
    ):
        raise Conflict(
            "agency.cma_invalid",
            f"the task's testing agency has no valid CMA certificate on {sampled_on}",
        )


async def _check_number_free(session: AsyncSession, agency_id: uuid.UUID, number: str) -> None:
    # Serialises check-then-insert of one agency's number until the transaction ends.
    await lock_for_transaction(session, f"sample-number:{agency_id}:{number}")
    taken = (
        await session.exec(
            select(Sample.id).where(
                col(Sample.agency_id) == agency_id, col(Sample.sample_number) == number
            )
        )
    ).first()
    if taken is not None:
        raise Conflict(
            "sample.number_exists",
            f"the agency already registered sample number {number}",
            sample_number=number,
            sample_id=str(taken),
        )


async def register_sample(
    session: AsyncSession,
    principal: Principal,
    task_id: uuid.UUID,
    data: SampleCreate,
    *,
    today: date,
) -> Sample:
    """Register the sample of a task. Everything is checked before anything is written; the
    six-month rule comes last because it takes the product's lock."""
    task, plan = await open_task(session, principal, task_id)
    check_field_date(data.sampled_on, plan, today=today, code_prefix="sample")
    if data.production_date is not None and data.production_date > data.sampled_on:
        raise InvalidInput(
            "sample.production_date_after_sampling",
            f"production date {data.production_date} is after the sampling date {data.sampled_on}",
        )
    e_commerce = _e_commerce_record(data)
    await _check_agency_qualified(session, task.agency_id, data.sampled_on)
    samplers = await check_samplers(session, task, plan, data.sampler_ids, code="sample.samplers")
    await _check_number_free(session, task.agency_id, data.sample_number)
    sampling = await eligibility.register_sampling(
        session,
        actor=principal.actor,
        product_id=task.product_id,
        department_code=plan.department_code,
        sampled_on=data.sampled_on,
        plan_kind=PlanKind(plan.kind),
        task_id=task.id,
    )
    sample = Sample(
        task_id=task.id,
        agency_id=task.agency_id,
        sampling_id=sampling.id,
        sample_number=data.sample_number,
        sampled_on=data.sampled_on,
        place_type=data.place_type.value,
        place_name=data.place_name,
        batch_number=data.batch_number,
        production_date=data.production_date,
        quantity_unit=data.quantity_unit,
        inspection_quantity=data.inspection_quantity,
        backup_quantity=data.backup_quantity,
        backup_holder=data.backup_holder,
        sampler_ids=samplers,
        e_commerce=e_commerce,
    )
    session.add(sample)
    task.state = TaskState.SAMPLED.value
    await session.flush()
    await start_plan(session, principal.actor, plan)
    events.emit(
        session,
        "sample.registered",
        entity_type="sample",
        entity_id=sample.id,
        enterprise_uscc=task.enterprise_uscc,
        payload={
            "task_id": task.id,
            "plan_id": plan.id,
            "plan_kind": plan.kind,
            "organiser_code": plan.department_code,
            "product_id": task.product_id,
            "agency_id": task.agency_id,
            "sampling_id": sampling.id,
            "sample_number": sample.sample_number,
            "sampled_on": sample.sampled_on,
            "place_type": sample.place_type,
        },
    )
    audit.record(
        session,
        actor=principal.actor,
        action="sample.register",
        entity_type="sample",
        entity_id=str(sample.id),
        state=sample.model_dump(mode="json", exclude={"created_at"}),
    )
    record_task_state(session, principal.actor, task)
    return sample


def record_task_state(session: AsyncSession, actor: str, task: SamplingTask) -> None:
    audit.record(
        session,
        actor=actor,
        action=f"task.{task.state}",
        entity_type="task",
        entity_id=str(task.id),
        state={"id": str(task.id), "state": task.state},
    )


async def get_sample(session: AsyncSession, principal: Principal, task_id: uuid.UUID) -> Sample:
    """The sample of a task the caller may read."""
    task = await tasks.get_task(session, principal, task_id)
    sample = (await session.exec(select(Sample).where(col(Sample.task_id) == task.id))).first()
    if sample is None:
        raise NotFound("sample.not_found", f"task {task_id} has no sample ({task.state})")
    return sample
