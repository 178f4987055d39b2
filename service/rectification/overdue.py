"""Missed deadlines (rules §6): each missed deadline of a running rectification is raised once
as `rectification.overdue`, and remembered in `overdue_reported`."""

from __future__ import annotations

from datetime import date

from sqlalchemy import (
    ColumnElement,
    Date,
    String,
    and_,
    any_,
    cast,
    exists,
    func,
    literal,
    not_,
    or_,
)
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models.base import utcnow
from models.rectification_api import DeadlineName
from models.results import Event, Rectification
from service.rectification.lifecycle import record_change
from service.rectification.reading import CORRECTED
from service.rectification.terms import PHASE, deadlines, newly_overdue


def _unreported(name: DeadlineName) -> ColumnElement[bool]:
    return not_(literal(name.value) == any_(col(Rectification.overdue_reported)))


def _in_phase(name: DeadlineName) -> ColumnElement[bool]:
    return col(Rectification.state).in_(sorted(PHASE[name]))


def _corrected_by_due() -> ColumnElement[bool]:
    corrected_on = cast(func.jsonb_extract_path_text(col(Event.payload), "corrected_on"), Date)
    return exists().where(
        col(Event.type) == CORRECTED,
        col(Event.entity_type) == "rectification",
        col(Event.entity_id) == cast(col(Rectification.id), String),
        corrected_on <= col(Rectification.correction_due_on),
    )


async def raise_overdue(session: AsyncSession, *, today: date, actor: str) -> int:
    """Raise every deadline missed before `today` that is not yet reported; returns how many.
    Set-based: one query picks exactly the rectifications with something to raise, and rows
    another transaction holds (a follow-up concluding right now) are left for the next run."""
    correction, follow_up, second = (
        DeadlineName.CORRECTION,
        DeadlineName.FOLLOW_UP,
        DeadlineName.SECOND_FOLLOW_UP,
    )
    missed = or_(
        and_(
            _in_phase(correction),
            col(Rectification.correction_due_on) < today,
            _unreported(correction),
            not_(_corrected_by_due()),
        ),
        and_(
            _in_phase(follow_up),
            col(Rectification.follow_up_due_on) < today,
            _unreported(follow_up),
        ),
        and_(
            _in_phase(second),
            col(Rectification.second_follow_up_until) < today,
            _unreported(second),
        ),
    )
    rows = (
        await session.exec(
            select(Rectification, _corrected_by_due().label("corrected_by_due"))
            .where(missed)
            .order_by(col(Rectification.id))
            .with_for_update(of=Rectification, skip_locked=True)
            .execution_options(populate_existing=True)
        )
    ).all()
    raised = 0
    for rectification, corrected_by_due in rows:
        views = deadlines(rectification, corrected_by_due=corrected_by_due, today=today)
        overdue = newly_overdue(rectification, views)
        if not overdue:
            continue
        rectification.overdue_reported = [
            *rectification.overdue_reported,
            *(v.name.value for v in overdue),
        ]
        rectification.updated_at = utcnow()
        await session.flush()
        for view in overdue:
            record_change(
                session,
                rectification,
                "rectification.overdue",
                actor=actor,
                payload={
                    "deadline": view.name.value,
                    "due_on": view.due_on,
                    "responsible": view.responsible.value,
                    "state": rectification.state,
                    "detected_on": today,
                },
            )
            raised += 1
    return raised
