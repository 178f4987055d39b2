"""Scheduling a follow-up (复查): a one-product plan of kind `follow_up` — exempt from the
six-month rule — with a task for the rectified product, a designated qualified agency and two
inspectors of the organiser. Three rounds: within 75 days of the order, inside the 60–90-day
window after the provincial notice, and after suspension (停业整顿)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, timedelta

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models.agency import Inspector, InspectorConflict, TestingAgency
from models.base import utcnow
from models.common import PlanKind
from models.enterprise import Product
from models.plan import Plan, PlanQuota, PlanState, SamplingTask
from models.rectification_api import FollowUpCreate, FollowUpRound
from models.reference import Department
from models.results import Rectification, RectificationState, Result, ResultState
from service import audit
from service.auth import Principal
from service.directory.agencies import covers_category
from service.errors import Conflict, InvalidInput
from service.plans import plan_state
from service.rectification.lifecycle import ensure_organiser, record_change
from service.rectification.reading import get_rectification
from service.rectification.terms import TERMS

_State = RectificationState

# Where a follow-up may be scheduled: before the first, in the notice's window, after suspension.
_SCHEDULABLE = frozenset({_State.ORDERED.value, _State.NOTICED.value, _State.SUSPENDED.value})

_TITLES = {
    FollowUpRound.FOLLOW_UP: "整改复查",
    FollowUpRound.SECOND_FOLLOW_UP: "公告后第二次复查",
    FollowUpRound.SUSPENSION_FOLLOW_UP: "停业整顿后复查",
}


@dataclass(frozen=True)
class Slot:
    round: FollowUpRound
    period_start: date
    period_end: date


async def _slot(
    session: AsyncSession, r: Rectification, planned_on: date | None, today: date
) -> Slot:
    """Which follow-up is due, and the period its plan runs for."""
    if r.state not in _SCHEDULABLE:
        raise Conflict(
            "rectification.invalid_state",
            f"a follow-up cannot be scheduled for a {r.state} rectification",
            state=r.state,
        )
    on = planned_on or today
    if planned_on is not None and planned_on < today:
        raise InvalidInput("rectification.planned_in_past", "planned_on is before today")
    if r.state == _State.ORDERED.value:
        if today <= r.follow_up_due_on:
            return Slot(FollowUpRound.FOLLOW_UP, today, max(r.follow_up_due_on, on))
        # A late follow-up is still owed; it gets a period of its own to be sampled in.
        late_end = today + timedelta(days=TERMS.late_follow_up_days)
        return Slot(FollowUpRound.FOLLOW_UP, today, max(late_end, on))
    if r.state == _State.NOTICED.value:
        opens, closes = r.second_follow_up_from, r.second_follow_up_until
        # Both are set with the notice.
        assert opens is not None  # noqa: S101
        assert closes is not None  # noqa: S101
        if not opens <= on <= closes:
            raise Conflict(
                "rectification.outside_second_window",
                f"the second follow-up is sampled from {opens} to {closes}",
                window_from=opens.isoformat(),
                window_until=closes.isoformat(),
            )
        return Slot(FollowUpRound.SECOND_FOLLOW_UP, max(today, opens), closes)
    # Suspended (停业整顿): one follow-up at a time until one concludes.
    if await _suspension_follow_up_pending(session, r):
        raise Conflict(
            "rectification.follow_up_pending",
            f"the follow-up after suspension (task {r.second_task_id}) has no final result yet",
        )
    period_end = max(on, today + timedelta(days=TERMS.suspension_follow_up_days))
    return Slot(FollowUpRound.SUSPENSION_FOLLOW_UP, today, period_end)


async def _suspension_follow_up_pending(session: AsyncSession, r: Rectification) -> bool:
    # On suspension `second_task_id` holds the failed second follow-up, whose result is final;
    # once the follow-up after suspension is scheduled it holds that task, final only later.
    final = (
        await session.exec(
            select(Result.id).where(
                col(Result.task_id) == r.second_task_id,
                col(Result.state) == ResultState.FINAL.value,
            )
        )
    ).first()
    return final is None


async def _qualified_agency(
    session: AsyncSession, agency_id: uuid.UUID, category_code: str, slot: Slot
) -> TestingAgency:
    agency = await session.get(TestingAgency, agency_id)
    if agency is None:
        raise InvalidInput("agency.unknown", f"no testing agency {agency_id}")
    reason = None
    if not agency.active:
        reason = "inactive"
    elif not covers_category(agency.category_scope, category_code):
        reason = "agency_scope"
    elif (
        agency.cma_expired_on is not None
        or agency.cma_valid_from > slot.period_start
        or agency.cma_valid_until < slot.period_end
    ):
        reason = "cma_invalid"
    if reason is not None:
        raise InvalidInput(
            "agency.not_qualified",
            f"testing agency {agency_id} cannot test category {category_code} from "
            f"{slot.period_start} to {slot.period_end} ({reason})",
            reason=reason,
        )
    return agency


async def _inspectors(
    session: AsyncSession, ids: list[uuid.UUID], department_code: str, enterprise_uscc: str
) -> list[uuid.UUID]:
    distinct = list(dict.fromkeys(ids))
    if len(distinct) < 2:
        raise InvalidInput(
            "inspectors.too_few",
            "a sampling needs at least two distinct inspectors (行政处罚法 §42)",
        )
    found = {
        i.id: i
        for i in (await session.exec(select(Inspector).where(col(Inspector.id).in_(distinct))))
    }
    unknown = [str(i) for i in distinct if i not in found]
    if unknown:
        raise InvalidInput("inspector.unknown", f"no inspector {', '.join(unknown)}")
    for inspector in found.values():
        if inspector.department_code != department_code:
            raise InvalidInput(
                "inspectors.not_of_organiser",
                f"inspector {inspector.id} belongs to {inspector.department_code}, "
                f"not to the organiser {department_code}",
            )
        if not inspector.active:
            raise InvalidInput("inspectors.inactive", f"inspector {inspector.id} is inactive")
    conflicted = (
        await session.exec(
            select(InspectorConflict.inspector_id).where(
                col(InspectorConflict.inspector_id).in_(distinct),
                col(InspectorConflict.enterprise_uscc) == enterprise_uscc,
            )
        )
    ).first()
    if conflicted is not None:
        raise InvalidInput(
            "inspectors.conflict_of_interest",
            f"inspector {conflicted} declared a conflict with {enterprise_uscc} (回避)",
        )
    return distinct


async def schedule_follow_up(
    session: AsyncSession,
    principal: Principal,
    rectification_id: uuid.UUID,
    data: FollowUpCreate,
    *,
    today: date,
) -> Rectification:
    """Create the follow-up plan and task for the rectification and move it on."""
    r = await get_rectification(session, principal, rectification_id, for_update=True)
    ensure_organiser(principal, r)
    slot = await _slot(session, r, data.planned_on, today)
    product = await session.get(Product, r.product_id)
    organiser = await session.get(Department, r.organiser_code)
    # Both exist: foreign keys.
    assert product is not None  # noqa: S101
    assert organiser is not None  # noqa: S101
    agency = await _qualified_agency(session, data.agency_id, product.category_code, slot)
    inspector_ids = await _inspectors(
        session, data.inspector_ids, organiser.code, r.enterprise_uscc
    )
    plan = Plan(
        title=f"{_TITLES[slot.round]}：{product.name} {product.model}",
        department_code=organiser.code,
        level=organiser.level,
        region_code=organiser.region_code,
        kind=PlanKind.FOLLOW_UP.value,
        period_start=slot.period_start,
        period_end=slot.period_end,
        state=PlanState.IN_PROGRESS.value,
        published_at=utcnow(),
    )
    session.add(plan)
    await session.flush()
    quota = PlanQuota(plan_id=plan.id, category_code=product.category_code, quota=1)
    task = SamplingTask(
        plan_id=plan.id,
        product_id=product.id,
        enterprise_uscc=r.enterprise_uscc,
        category_code=product.category_code,
        agency_id=agency.id,
        inspector_ids=inspector_ids,
        stratum=slot.round.value,
        draw_order=0,
    )
    session.add_all([quota, task])
    await session.flush()
    if slot.round is FollowUpRound.FOLLOW_UP:
        r.state, r.follow_up_task_id = _State.FOLLOW_UP.value, task.id
    elif slot.round is FollowUpRound.SECOND_FOLLOW_UP:
        r.state, r.second_task_id = _State.SECOND_FOLLOW_UP.value, task.id
    else:
        # No state of its own: the suspension lasts until this follow-up concludes.
        r.second_task_id = task.id
    r.updated_at = utcnow()
    await session.flush()
    audit.record(
        session,
        actor=principal.actor,
        action="plan.create",
        entity_type="plan",
        entity_id=str(plan.id),
        state={**plan_state(plan), "quotas": [quota.model_dump(mode="json")]},
    )
    record_change(
        session,
        r,
        "rectification.follow_up_scheduled",
        actor=principal.actor,
        payload={
            "round": slot.round.value,
            "plan_id": plan.id,
            "task_id": task.id,
            "agency_id": agency.id,
            "inspector_ids": inspector_ids,
            "scheduled_on": today,
            "planned_on": data.planned_on,
            "period_start": slot.period_start,
            "period_end": slot.period_end,
            # Follow-up samples are free to the enterprise (rules §6).
            "free_of_charge": True,
        },
    )
    return r
