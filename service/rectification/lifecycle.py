"""The rectification state machine (rules §6): the stop order when a nonconforming result becomes
final, each follow-up's conclusion, and the enterprise's reported correction. Every change is an
event (same transaction) and an audit record."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import date
from typing import Any

from sqlalchemy import or_
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models.base import utcnow
from models.enterprise import Enterprise
from models.rectification_api import CorrectionCreate, FollowUpRound
from models.reference import Department, Region
from models.results import Rectification, RectificationState, Result, Verdict
from models.system import Role
from service import audit, events
from service.auth import Principal
from service.errors import Conflict, Forbidden, InvalidInput
from service.rectification.reading import get_rectification
from service.rectification.terms import TERMS, order_deadlines, second_window
from service.work_calendar import load_calendar

_State = RectificationState

# States in which the process still runs; closed and revocation_recommended are final.
OPEN_STATES = frozenset(
    {
        _State.ORDERED.value,
        _State.FOLLOW_UP.value,
        _State.NOTICED.value,
        _State.SECOND_FOLLOW_UP.value,
        _State.SUSPENDED.value,
    }
)


def rectification_state(rectification: Rectification) -> dict[str, object]:
    return rectification.model_dump(mode="json", exclude={"created_at", "updated_at"})


def record_change(
    session: AsyncSession,
    rectification: Rectification,
    event_type: str,
    *,
    actor: str,
    payload: Mapping[str, Any],
) -> None:
    """The event other parts consume and the audit record of one change."""
    events.emit(
        session,
        event_type,
        entity_type="rectification",
        entity_id=rectification.id,
        enterprise_uscc=rectification.enterprise_uscc,
        payload=payload,
    )
    audit.record(
        session,
        actor=actor,
        action=event_type,
        entity_type="rectification",
        entity_id=str(rectification.id),
        state={**rectification_state(rectification), "event": dict(payload)},
    )


def ensure_organiser(principal: Principal, rectification: Rectification) -> None:
    """Only the organising department (or an admin) acts on a rectification."""
    if principal.role is not Role.ADMIN and principal.department_code != (
        rectification.organiser_code
    ):
        raise Forbidden(
            "rectification.not_organiser",
            f"rectification {rectification.id} is run by {rectification.organiser_code}",
        )


async def open_for(session: AsyncSession, result: Result, *, on: date, actor: str) -> Rectification:
    """Issue the stop order for a nonconforming final result and set the deadlines."""
    correction_due, follow_up_due = order_deadlines(on, await load_calendar(session), TERMS)
    rectification = Rectification(
        result_id=result.id,
        enterprise_uscc=result.enterprise_uscc,
        product_id=result.product_id,
        organiser_code=result.organiser_code,
        state=_State.ORDERED.value,
        ordered_on=on,
        correction_due_on=correction_due,
        follow_up_due_on=follow_up_due,
    )
    session.add(rectification)
    await session.flush()
    record_change(
        session,
        rectification,
        "rectification.ordered",
        actor=actor,
        payload={
            "result_id": result.id,
            "correction_due_on": correction_due,
            "follow_up_due_on": follow_up_due,
            "terms": TERMS.as_record(),
        },
    )
    return rectification


async def follow_up_concluded(
    session: AsyncSession, result: Result, *, on: date, actor: str
) -> Rectification | None:
    """A follow-up sampling's result became final: move its rectification on. A `follow_up`
    plan made outside rectification has none; its nonconforming result opens one, as any
    nonconforming final result does."""
    rectification = (
        await session.exec(
            select(Rectification)
            .where(
                or_(
                    col(Rectification.follow_up_task_id) == result.task_id,
                    col(Rectification.second_task_id) == result.task_id,
                )
            )
            .with_for_update()
            # The row as locked, not a copy this session read before.
            .execution_options(populate_existing=True)
        )
    ).first()
    if rectification is None:
        if result.verdict == Verdict.NONCONFORMING.value:
            return await open_for(session, result, on=on, actor=actor)
        return None
    follow_up_round = _round_of(rectification, result)
    if follow_up_round is None:
        # That round has concluded already; a result is final only once, so nothing is lost.
        return rectification
    payload: dict[str, Any] = {
        "round": follow_up_round.value,
        "result_id": result.id,
        "task_id": result.task_id,
        "verdict": result.verdict,
    }
    if result.verdict == Verdict.CONFORMING.value:
        rectification.state = _State.CLOSED.value
        rectification.closed_on = on
        event_type = "rectification.closed"
    elif follow_up_round is FollowUpRound.FOLLOW_UP:
        department = await provincial_department(session, rectification.enterprise_uscc)
        opens, closes = second_window(on, await load_calendar(session), TERMS)
        rectification.state = _State.NOTICED.value
        rectification.noticed_on = on
        rectification.notice_department_code = department
        rectification.second_follow_up_from, rectification.second_follow_up_until = opens, closes
        event_type = "rectification.noticed"
        payload |= {
            "notice_department_code": department,
            "second_follow_up_from": opens,
            "second_follow_up_until": closes,
            "terms": TERMS.as_record(),
        }
    elif follow_up_round is FollowUpRound.SECOND_FOLLOW_UP:
        rectification.state = _State.SUSPENDED.value
        rectification.suspended_on = on
        event_type = "rectification.suspended"
    else:
        rectification.state = _State.REVOCATION_RECOMMENDED.value
        rectification.revocation_recommended_on = on
        event_type = "rectification.revocation_recommended"
    rectification.updated_at = utcnow()
    await session.flush()
    record_change(session, rectification, event_type, actor=actor, payload=payload)
    return rectification


def _round_of(rectification: Rectification, result: Result) -> FollowUpRound | None:
    # The suspension follow-up reuses `second_task_id` (its history is in the scheduling
    # events); the state says which of the two the task in that column is.
    state = rectification.state
    if rectification.follow_up_task_id == result.task_id and state == _State.FOLLOW_UP.value:
        return FollowUpRound.FOLLOW_UP
    if rectification.second_task_id == result.task_id:
        if state == _State.SECOND_FOLLOW_UP.value:
            return FollowUpRound.SECOND_FOLLOW_UP
        if state == _State.SUSPENDED.value:
            return FollowUpRound.SUSPENSION_FOLLOW_UP
    return None


async def provincial_department(session: AsyncSession, enterprise_uscc: str) -> str:
    """The provincial market-regulation department of the enterprise's province, which issues
    the public notice (公告) whoever organised the sampling."""
    path = (
        await session.exec(
            select(Region.path)
            .join(Enterprise, col(Enterprise.region_code) == col(Region.code))
            .where(col(Enterprise.uscc) == enterprise_uscc)
        )
    ).one()
    # Paths run from the national root: 000000/PP0000/…
    parts = path.split("/")
    province = parts[1] if len(parts) > 1 else None
    code = (
        await session.exec(
            select(Department.code).where(
                col(Department.region_code) == province,
                col(Department.level) == "provincial",
                col(Department.is_market_regulator),
                col(Department.active),
            )
        )
    ).first()
    if code is None:
        raise Conflict(
            "rectification.no_provincial_department",
            f"no active provincial market-regulation department for the province of "
            f"{enterprise_uscc}; the public notice cannot be assigned",
        )
    return code


async def record_correction(
    session: AsyncSession,
    principal: Principal,
    rectification_id: uuid.UUID,
    data: CorrectionCreate,
    *,
    today: date,
) -> Rectification:
    """The organiser records that the enterprise reported its correction (整改报告)."""
    rectification = await get_rectification(session, principal, rectification_id, for_update=True)
    ensure_organiser(principal, rectification)
    if rectification.state not in OPEN_STATES:
        raise Conflict(
            "rectification.invalid_state",
            f"a {rectification.state} rectification takes no more corrections",
            state=rectification.state,
        )
    if data.corrected_on > today:
        raise InvalidInput("rectification.corrected_in_future", "corrected_on is after today")
    if data.corrected_on < rectification.ordered_on:
        raise InvalidInput(
            "rectification.corrected_before_order",
            f"corrected_on is before the order of {rectification.ordered_on}",
        )
    rectification.updated_at = utcnow()
    await session.flush()
    record_change(
        session,
        rectification,
        "rectification.corrected",
        actor=principal.actor,
        payload={
            "corrected_on": data.corrected_on,
            "reference": data.reference,
            "note": data.note,
            "in_time": data.corrected_on <= rectification.correction_due_on,
        },
    )
    return rectification
