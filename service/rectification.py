"""Rectification (整改) of nonconforming final results, Order 18 §44–50 (rules §6): stop order and
60-day correction → follow-up (复查) within 75 days → on failure a provincial notice (公告) →
second follow-up 60–90 days after it → on failure suspension (停业整顿) → on failure again a
recommendation to revoke the licence."""

from __future__ import annotations

from datetime import date, timedelta

from sqlmodel.ext.asyncio.session import AsyncSession

from models.results import Rectification, RectificationState, Result
from service import audit, events

CORRECTION_DAYS = 60
FOLLOW_UP_DAYS = 75


def rectification_state(rectification: Rectification) -> dict[str, object]:
    return rectification.model_dump(mode="json", exclude={"created_at", "updated_at"})


async def open_for(session: AsyncSession, result: Result, *, on: date, actor: str) -> Rectification:
    """Issue the stop order for a nonconforming final result and set the deadlines."""
    rectification = Rectification(
        result_id=result.id,
        enterprise_uscc=result.enterprise_uscc,
        product_id=result.product_id,
        organiser_code=result.organiser_code,
        state=RectificationState.ORDERED.value,
        ordered_on=on,
        correction_due_on=on + timedelta(days=CORRECTION_DAYS),
        follow_up_due_on=on + timedelta(days=FOLLOW_UP_DAYS),
    )
    session.add(rectification)
    await session.flush()
    events.emit(
        session,
        "rectification.ordered",
        entity_type="rectification",
        entity_id=rectification.id,
        enterprise_uscc=result.enterprise_uscc,
        payload={
            "result_id": result.id,
            "correction_due_on": rectification.correction_due_on,
            "follow_up_due_on": rectification.follow_up_due_on,
        },
    )
    audit.record(
        session,
        actor=actor,
        action="rectification.ordered",
        entity_type="rectification",
        entity_id=str(rectification.id),
        state=rectification_state(rectification),
    )
    return rectification


async def follow_up_concluded(
    session: AsyncSession, result: Result, *, on: date, actor: str
) -> None:
    """A follow-up sampling's result became final: move its rectification on."""
