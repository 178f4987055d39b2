"""Who sees which rectification, and the rectification as read: its corrections and follow-ups
(kept in its events), deadlines and what is due next."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession
from sqlmodel.sql.expression import SelectOfScalar

from models.enterprise import Enterprise
from models.plan import SamplingTask, TaskState
from models.rectification_api import (
    CorrectionRead,
    FollowUpRead,
    FollowUpRound,
    RectificationRead,
)
from models.reference import Department
from models.results import Event, Rectification, RectificationState, Result, ResultState
from models.system import Role
from service.auth import Principal
from service.directory.reference import regions_inside
from service.errors import NotFound
from service.pagination import PageRequest, PageResult, keyset_page
from service.rectification.terms import deadlines, next_step
from service.uscc import normalise_uscc

CORRECTED = "rectification.corrected"
FOLLOW_UP_SCHEDULED = "rectification.follow_up_scheduled"

# Until sampled (or refused) a task is the organiser's secret (Order 18 §14): the enterprise
# learns neither the day nor the agency of a coming follow-up.
_DISCLOSED = frozenset({TaskState.SAMPLED.value, TaskState.REFUSED.value})


def readable_rectifications(principal: Principal) -> SelectOfScalar[Rectification]:
    """The one place that bounds rectification visibility: a regulator sees those organised
    inside its region and those of enterprises inside it; an enterprise its own; admins all."""
    statement = select(Rectification)
    if principal.role is Role.ADMIN:
        return statement
    if principal.role is Role.ENTERPRISE:
        return statement.where(col(Rectification.enterprise_uscc) == principal.enterprise_uscc)
    if principal.role is Role.REGULATOR:
        inside = regions_inside(principal.region_path)
        organisers = select(Department.code).where(col(Department.region_code).in_(inside))
        enterprises = select(Enterprise.uscc).where(col(Enterprise.region_code).in_(inside))
        return statement.where(
            col(Rectification.organiser_code).in_(organisers)
            | col(Rectification.enterprise_uscc).in_(enterprises)
        )
    return statement.where(col(Rectification.id).is_(None))


async def get_rectification(
    session: AsyncSession,
    principal: Principal,
    rectification_id: uuid.UUID,
    *,
    for_update: bool = False,
) -> Rectification:
    statement = readable_rectifications(principal).where(col(Rectification.id) == rectification_id)
    if for_update:
        # Serialises changes to one rectification: follow-ups, corrections, the overdue job.
        statement = statement.with_for_update().execution_options(populate_existing=True)
    rectification = (await session.exec(statement)).first()
    if rectification is None:
        raise NotFound("rectification.not_found", f"no rectification {rectification_id}")
    return rectification


@dataclass(frozen=True)
class RectificationFilter:
    state: RectificationState | None = None
    enterprise_uscc: str | None = None
    organiser_code: str | None = None


async def list_rectifications(
    session: AsyncSession, principal: Principal, filters: RectificationFilter, page: PageRequest
) -> PageResult[Rectification]:
    statement = readable_rectifications(principal)
    if filters.state is not None:
        statement = statement.where(col(Rectification.state) == filters.state.value)
    if filters.enterprise_uscc is not None:
        uscc = normalise_uscc(filters.enterprise_uscc)
        statement = statement.where(col(Rectification.enterprise_uscc) == uscc)
    if filters.organiser_code is not None:
        statement = statement.where(col(Rectification.organiser_code) == filters.organiser_code)
    return await keyset_page(session, statement, Rectification.id, page)  # type: ignore[arg-type]


@dataclass(frozen=True)
class History:
    corrections: dict[uuid.UUID, list[CorrectionRead]]
    follow_ups: dict[uuid.UUID, list[FollowUpRead]]


async def load_history(session: AsyncSession, ids: Sequence[uuid.UUID]) -> History:
    """Corrections and follow-ups of these rectifications, from their events, with each
    follow-up task's state and result."""
    corrections: dict[uuid.UUID, list[CorrectionRead]] = defaultdict(list)
    scheduled: list[tuple[uuid.UUID, Event]] = []
    rows = await session.exec(
        select(Event)
        .where(
            col(Event.type).in_((CORRECTED, FOLLOW_UP_SCHEDULED)),
            col(Event.entity_type) == "rectification",
            col(Event.entity_id).in_([str(i) for i in ids]),
        )
        .order_by(col(Event.seq))
    )
    for event in rows:
        owner = uuid.UUID(event.entity_id)
        if event.type == CORRECTED:
            corrections[owner].append(
                CorrectionRead.model_validate({**event.payload, "recorded_at": event.at})
            )
        else:
            scheduled.append((owner, event))
    task_ids = [uuid.UUID(event.payload["task_id"]) for _, event in scheduled]
    task_states = dict(
        (
            await session.exec(
                select(SamplingTask.id, SamplingTask.state).where(
                    col(SamplingTask.id).in_(task_ids)
                )
            )
        ).all()
    )
    results = {
        r.task_id: r
        for r in (
            await session.exec(
                select(Result).where(
                    col(Result.task_id).in_(task_ids), col(Result.state) == ResultState.FINAL.value
                )
            )
        ).all()
    }
    follow_ups: dict[uuid.UUID, list[FollowUpRead]] = defaultdict(list)
    for owner, event in scheduled:
        task_id = uuid.UUID(event.payload["task_id"])
        result = results.get(task_id)
        follow_ups[owner].append(
            FollowUpRead.model_validate(
                {
                    **{k: event.payload[k] for k in _SCHEDULED_FIELDS},
                    "task_state": task_states[task_id],
                    "result_id": result.id if result else None,
                    "verdict": result.verdict if result else None,
                    "final_on": result.final_on if result else None,
                }
            )
        )
    return History(corrections, follow_ups)


_SCHEDULED_FIELDS = (
    "round",
    "plan_id",
    "task_id",
    "agency_id",
    "scheduled_on",
    "planned_on",
    "period_start",
    "period_end",
)


def suspension_follow_up_pending(follow_ups: list[FollowUpRead]) -> bool:
    return any(
        f.round is FollowUpRound.SUSPENSION_FOLLOW_UP and f.result_id is None for f in follow_ups
    )


def rectification_read(
    r: Rectification, history: History, *, principal: Principal, today: date
) -> RectificationRead:
    corrections = history.corrections.get(r.id, [])
    follow_ups = history.follow_ups.get(r.id, [])
    by_round = {f.round: f.task_id for f in follow_ups}
    hidden: set[uuid.UUID] = set()
    visible = follow_ups
    if principal.role is Role.ENTERPRISE:
        hidden = {f.task_id for f in follow_ups if f.task_state not in _DISCLOSED}
        visible = [f for f in follow_ups if f.task_id not in hidden]
    first_task = by_round.get(FollowUpRound.FOLLOW_UP, r.follow_up_task_id)
    # The column also carries the suspension follow-up; the read shows the second one only.
    second_task = by_round.get(
        FollowUpRound.SECOND_FOLLOW_UP,
        None if FollowUpRound.SUSPENSION_FOLLOW_UP in by_round else r.second_task_id,
    )
    return RectificationRead.model_validate(
        {
            **r.model_dump(),
            "follow_up_task_id": None if first_task in hidden else first_task,
            "second_task_id": None if second_task in hidden else second_task,
            "deadlines": deadlines(
                r,
                corrected_by_due=any(c.corrected_on <= r.correction_due_on for c in corrections),
                today=today,
            ),
            "next_step": next_step(
                r,
                corrected=bool(corrections),
                suspension_follow_up_pending=suspension_follow_up_pending(follow_ups),
                today=today,
            ),
            "corrections": corrections,
            "follow_ups": visible,
        }
    )


async def rectification_reads(
    session: AsyncSession,
    rectifications: Sequence[Rectification],
    *,
    principal: Principal,
    today: date,
) -> list[RectificationRead]:
    history = await load_history(session, [r.id for r in rectifications])
    return [
        rectification_read(r, history, principal=principal, today=today) for r in rectifications
    ]
