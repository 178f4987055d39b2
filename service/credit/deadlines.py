"""What an enterprise has pending today (shown on /me/credit): the objection windows of its
results (rules §5, 15 days from notification), the running deadlines of its rectifications
(rules §6) and the statement window of a listing notice (rules §9), with who has to act. The
deadline arithmetic is the rectification module's own."""

from __future__ import annotations

from datetime import date

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models.blacklist import Listing, ListingState
from models.credit import PendingDeadline
from models.rectification_api import DeadlineStatus
from models.results import Event, Rectification, Result, ResultState
from service.rectification.lifecycle import OPEN_STATES
from service.rectification.terms import PHASE, deadlines

_CORRECTED = "rectification.corrected"


async def _objection_windows(
    session: AsyncSession, uscc: str, today: date
) -> list[PendingDeadline]:
    rows = (
        await session.exec(
            select(col(Result.id), col(Result.objection_window_ends_on)).where(
                col(Result.enterprise_uscc) == uscc,
                col(Result.state) == ResultState.NOTIFIED.value,
                col(Result.objection_window_ends_on) >= today,
            )
        )
    ).all()
    return [
        PendingDeadline(
            kind="result_objection", subject_id=rid, due_on=ends_on, responsible="enterprise"
        )
        for rid, ends_on in rows
    ]


async def _rectification_deadlines(
    session: AsyncSession, uscc: str, today: date
) -> list[PendingDeadline]:
    running = (
        await session.exec(
            select(Rectification).where(
                col(Rectification.enterprise_uscc) == uscc,
                col(Rectification.state).in_(sorted(OPEN_STATES)),
            )
        )
    ).all()
    if not running:
        return []
    corrections = (
        await session.exec(
            select(Event.entity_id, Event.payload).where(
                col(Event.type) == _CORRECTED,
                col(Event.entity_type) == "rectification",
                col(Event.entity_id).in_([str(r.id) for r in running]),
            )
        )
    ).all()
    corrected_on: dict[str, list[str]] = {}
    for entity_id, payload in corrections:
        corrected_on.setdefault(entity_id, []).append(str(payload.get("corrected_on")))
    pending = []
    for r in running:
        in_time = any(d <= r.correction_due_on.isoformat() for d in corrected_on.get(str(r.id), []))
        for view in deadlines(r, corrected_by_due=in_time, today=today):
            if view.status is DeadlineStatus.OPEN and r.state in PHASE[view.name]:
                pending.append(
                    PendingDeadline(
                        kind=f"rectification.{view.name.value}",
                        subject_id=r.id,
                        due_on=view.due_on,
                        opens_on=view.opens_on,
                        responsible=view.responsible.value,
                    )
                )
    return pending


async def _statement_windows(
    session: AsyncSession, uscc: str, today: date
) -> list[PendingDeadline]:
    rows = (
        await session.exec(
            select(col(Listing.id), col(Listing.statement_due_on)).where(
                col(Listing.enterprise_uscc) == uscc,
                col(Listing.state) == ListingState.NOTICED.value,
                col(Listing.statement_on).is_(None),
                col(Listing.statement_due_on) >= today,
            )
        )
    ).all()
    return [
        PendingDeadline(
            kind="listing_statement", subject_id=lid, due_on=due_on, responsible="enterprise"
        )
        for lid, due_on in rows
        if due_on is not None
    ]


async def pending(session: AsyncSession, uscc: str, *, today: date) -> list[PendingDeadline]:
    found = await _objection_windows(session, uscc, today)
    found += await _statement_windows(session, uscc, today)
    found += await _rectification_deadlines(session, uscc, today)
    return sorted(found, key=lambda d: (d.due_on, d.kind, str(d.subject_id)))
