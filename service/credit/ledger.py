"""Writing credit events, whoever they come from: the publication period, the idempotent insert
(a second insert of the same origin, department and reference finds the first) and the audit
record of each new event."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy.dialects.postgresql import insert
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models.credit import (
    LIGHT_PENALTIES,
    SAMPLING_TYPES,
    CreditEvent,
    CreditEventType,
    EventOrigin,
    PenaltyKind,
)
from service import audit
from service.canonical import plain
from service.credit.config import PublicationPeriods
from service.six_month_rule import add_months


@dataclass(frozen=True)
class Draft:
    """A credit event about to be recorded."""

    enterprise_uscc: str
    type: CreditEventType
    origin: EventOrigin
    department_code: str
    reference: str
    occurred_on: date
    public: bool
    # The day publication starts (Order 45 §13 counts from publication); usually occurred_on.
    published_on: date
    severity: str | None = None
    penalty_kind: PenaltyKind | None = None
    summary: str | None = None
    details: dict[str, Any] = field(default_factory=dict)
    source_event_seq: int | None = None


def publish_until(draft: Draft, periods: PublicationPeriods) -> date:
    """The last day the event is published: N months from the day publication starts, on the
    corresponding day (民法典 §202; month end when there is none)."""
    if draft.type is CreditEventType.ADMINISTRATIVE_PENALTY:
        light = draft.penalty_kind in LIGHT_PENALTIES
        months = periods.light_penalty_months if light else periods.penalty_months
    elif draft.type in SAMPLING_TYPES:
        months = periods.sampling_months
    else:
        months = periods.other_months
    return add_months(draft.published_on, months)


def event_state(event: CreditEvent) -> dict[str, Any]:
    return dict(plain(event.model_dump(exclude={"created_at"})))


async def record(
    session: AsyncSession,
    drafts: Sequence[Draft],
    *,
    today: date,
    actor: str,
    periods: PublicationPeriods,
) -> tuple[list[CreditEvent], list[CreditEvent]]:
    """Insert the drafts that are not recorded yet. Returns (new events, all events) in the
    order of the drafts; for a duplicate, the original stands in."""
    if not drafts:
        return [], []
    unique: dict[tuple[str, str, str], Draft] = {}
    for d in drafts:
        unique.setdefault((d.origin.value, d.department_code, d.reference), d)
    rows = [
        {
            "id": uuid.uuid4(),
            "enterprise_uscc": d.enterprise_uscc,
            "type": d.type.value,
            "origin": d.origin.value,
            "department_code": d.department_code,
            "reference": d.reference,
            "occurred_on": d.occurred_on,
            "recorded_on": today,
            "public": d.public,
            "publish_until": publish_until(d, periods),
            "severity": d.severity,
            "summary": d.summary,
            "details": plain(
                {**d.details, **({"penalty_kind": d.penalty_kind} if d.penalty_kind else {})}
            ),
            "status": "counting",
            "source_event_seq": d.source_event_seq,
            "recorded_by": actor,
        }
        for d in unique.values()
    ]
    inserted = set(
        (
            await session.exec(
                insert(CreditEvent)
                .values(rows)
                .on_conflict_do_nothing(index_elements=["origin", "department_code", "reference"])
                .returning(col(CreditEvent.id))
            )
        ).scalars()
    )
    keys = unique.keys()
    found = (
        await session.exec(
            select(CreditEvent)
            .where(
                col(CreditEvent.reference).in_({k[2] for k in keys}),
                col(CreditEvent.department_code).in_({k[1] for k in keys}),
            )
            .execution_options(populate_existing=True)
        )
    ).all()
    by_key = {(e.origin, e.department_code, e.reference): e for e in found}
    events = [by_key[(d.origin.value, d.department_code, d.reference)] for d in drafts]
    new = [e for e in by_key.values() if e.id in inserted]
    for event in new:
        audit.record(
            session,
            actor=actor,
            action="credit_event.record",
            entity_type="credit_event",
            entity_id=str(event.id),
            state=event_state(event),
        )
    return new, events
