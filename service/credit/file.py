"""Reading credit files: the full file (regulators, departments), the enterprise's own view and
the public view — now, or as of a past day.

As of day D means **as recorded then**: the latest score snapshot valid on D (`credit_scores` —
written in the transaction of every change and by the hourly job as events age out), and the
events recorded by D with the status they had on D. It is not a recomputation with today's model
over the events known then: that could differ from what a department saw (a model change, a
correction made later), and proving what they saw is the point. Before an enterprise's first
snapshot its file was empty, and the answer is the model applied to the (empty) file."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models.credit import (
    LABELS,
    CreditEvent,
    CreditEventRead,
    CreditEventType,
    CreditFileRead,
    CreditObjection,
    CreditObjectionRead,
    CreditScore,
    EnterpriseSummary,
    EventOrigin,
    EventStatus,
    Grade,
    MyCreditRead,
    PublicCreditEvent,
    PublicEnterpriseRead,
    ScoreRead,
)
from models.enterprise import Enterprise
from models.system import Role
from service.auth import Principal
from service.blacklist import repair
from service.credit import deadlines, standing
from service.credit.config import get_credit_settings
from service.credit.score import Fact
from service.directory.enterprises import get_enterprise
from service.errors import Forbidden, InvalidInput, NotFound
from service.uscc import normalise_uscc


def check_as_of(as_of: date | None, today: date) -> date:
    if as_of is None:
        return today
    if as_of > today:
        raise InvalidInput("credit.as_of_in_future", f"as_of {as_of} is after today ({today})")
    return as_of


@dataclass(frozen=True)
class Recorded:
    """The score and risk class in force on a day, as recorded (or, before any record, as the
    model gives them for the file of that day)."""

    fields: dict[str, Any]
    valid_from: date | None
    computed_at: datetime | None

    def score_read(self) -> dict[str, Any]:
        explanation = [
            {**c, "label": LABELS[CreditEventType(c["type"])]} for c in self.fields["explanation"]
        ]
        return {
            "score": self.fields["score"],
            "grade": self.fields["grade"],
            "base": self.fields["base"],
            "explanation": explanation,
            "model_version": self.fields["model_version"],
            "listed": self.fields["listed"],
            "grade_reason": self.fields["grade_reason"],
            "valid_from": self.valid_from,
            "computed_at": self.computed_at,
        }


def status_on(event: CreditEvent, day: date) -> EventStatus:
    corrected = event.corrected_on is not None and event.corrected_on <= day
    return EventStatus.CORRECTED if corrected else EventStatus.COUNTING


def fact_on(event: CreditEvent, day: date) -> Fact:
    fact = standing.fact_of(event)
    return Fact(
        fact.id,
        fact.type,
        fact.occurred_on,
        fact.publish_until,
        fact.severity,
        counting=status_on(event, day) is EventStatus.COUNTING,
    )


def event_read(event: CreditEvent, day: date) -> CreditEventRead:
    status = status_on(event, day)
    return CreditEventRead(
        id=event.id,
        enterprise_uscc=event.enterprise_uscc,
        type=CreditEventType(event.type),
        label=LABELS[CreditEventType(event.type)],
        origin=EventOrigin(event.origin),
        department_code=event.department_code,
        reference=event.reference,
        occurred_on=event.occurred_on,
        recorded_on=event.recorded_on,
        public=event.public,
        publish_until=event.publish_until,
        published=event.occurred_on <= day <= event.publish_until,
        severity=event.severity,
        summary=event.summary,
        details=event.details,
        status=status,
        corrected_on=event.corrected_on if status is EventStatus.CORRECTED else None,
    )


async def events_as_of(session: AsyncSession, uscc: str, day: date) -> list[CreditEvent]:
    """The file as recorded by the end of `day`, newest first."""
    statement = (
        select(CreditEvent)
        .where(col(CreditEvent.enterprise_uscc) == uscc, col(CreditEvent.recorded_on) <= day)
        .order_by(col(CreditEvent.occurred_on).desc(), col(CreditEvent.id))
    )
    return list((await session.exec(statement)).all())


async def recorded_as_of(
    session: AsyncSession, uscc: str, day: date, events: list[CreditEvent]
) -> Recorded:
    snapshot = (
        await session.exec(
            select(CreditScore)
            .where(col(CreditScore.enterprise_uscc) == uscc, col(CreditScore.valid_from) <= day)
            .order_by(col(CreditScore.valid_from).desc(), col(CreditScore.id).desc())
            .limit(1)
        )
    ).first()
    if snapshot is not None:
        return Recorded(
            snapshot.model_dump(exclude={"id", "valid_from", "computed_at"}),
            snapshot.valid_from,
            snapshot.computed_at,
        )
    outcome = standing.evaluate(
        [fact_on(e, day) for e in events],
        on=day,
        listed=await standing.is_listed(session, uscc, day),
        settings=get_credit_settings(),
    )
    return Recorded(outcome.record(), None, None)


def _summary(enterprise: Enterprise) -> EnterpriseSummary:
    return EnterpriseSummary(
        uscc=enterprise.uscc,
        name=enterprise.name,
        region_code=enterprise.region_code,
        active=enterprise.active,
    )


async def credit_file(
    session: AsyncSession, principal: Principal, uscc: str, *, as_of: date | None, today: date
) -> CreditFileRead:
    """The full file with the internal risk class, for regulators and departments. An
    enterprise key learns nothing here: another enterprise's file is "not found" (as an unknown
    code is), and its own is at /me/credit, without the internal risk class."""
    day = check_as_of(as_of, today)
    enterprise = await get_enterprise(session, principal, uscc)
    if principal.role is Role.ENTERPRISE:
        raise Forbidden(
            "credit.internal_view",
            "this view holds the internal risk class; read your own file at /me/credit",
        )
    events = await events_as_of(session, enterprise.uscc, day)
    recorded = await recorded_as_of(session, enterprise.uscc, day, events)
    return CreditFileRead(
        **recorded.score_read(),
        as_of=day,
        enterprise=_summary(enterprise),
        risk_class=Grade(recorded.fields["risk_class"]),
        risk_reasons=recorded.fields["risk_reasons"],
        risk_version=recorded.fields["risk_version"],
        events=[event_read(e, day) for e in events],
    )


async def own_objections(
    session: AsyncSession, uscc: str, *, limit: int = 100
) -> list[CreditObjectionRead]:
    rows = (
        await session.exec(
            select(CreditObjection)
            .where(col(CreditObjection.enterprise_uscc) == uscc)
            .order_by(col(CreditObjection.created_at).desc())
            .limit(limit)
        )
    ).all()
    return [CreditObjectionRead.model_validate(r) for r in rows]


async def my_credit(
    session: AsyncSession, principal: Principal, *, as_of: date | None, today: date
) -> MyCreditRead:
    """The enterprise's own file — never the risk class — with what it has to act on today."""
    day = check_as_of(as_of, today)
    enterprise = await get_enterprise(session, principal, principal.enterprise_uscc or "")
    events = await events_as_of(session, enterprise.uscc, day)
    recorded = await recorded_as_of(session, enterprise.uscc, day, events)
    return MyCreditRead(
        **recorded.score_read(),
        as_of=day,
        enterprise=_summary(enterprise),
        events=[event_read(e, day) for e in events],
        objections=await own_objections(session, enterprise.uscc),
        pending_deadlines=await deadlines.pending(session, enterprise.uscc, today=today),
        # Credit repair (信用修复) is early removal from the blacklist (rules §9).
        repair=await repair.repair_status(session, enterprise.uscc, today=today),
    )


async def score_only(
    session: AsyncSession, principal: Principal, uscc: str, *, as_of: date | None, today: date
) -> tuple[Enterprise, ScoreRead, list[CreditEventRead], date]:
    """What the printable report shows: the file, the score and its explanation — the same for
    the enterprise and for regulators, so no risk class."""
    day = check_as_of(as_of, today)
    enterprise = await get_enterprise(session, principal, uscc)
    events = await events_as_of(session, enterprise.uscc, day)
    recorded = await recorded_as_of(session, enterprise.uscc, day, events)
    return (
        enterprise,
        ScoreRead(**recorded.score_read()),
        [event_read(e, day) for e in events],
        day,
    )


async def public_enterprise(
    session: AsyncSession, uscc: str, *, as_of: date | None, today: date
) -> PublicEnterpriseRead:
    """Name, grade and the public events inside their publication period — nothing else."""
    day = check_as_of(as_of, today)
    enterprise = await session.get(Enterprise, normalise_uscc(uscc))
    if enterprise is None:
        raise NotFound("enterprise.not_found", f"no enterprise {uscc}")
    events = await events_as_of(session, enterprise.uscc, day)
    recorded = await recorded_as_of(session, enterprise.uscc, day, events)
    shown = [
        e
        for e in events
        if e.public
        and status_on(e, day) is EventStatus.COUNTING
        and e.occurred_on <= day <= e.publish_until
    ]
    return PublicEnterpriseRead(
        uscc=enterprise.uscc,
        name=enterprise.name,
        as_of=day,
        grade=Grade(recorded.fields["grade"]),
        model_version=recorded.fields["model_version"],
        events=[
            PublicCreditEvent(
                type=CreditEventType(e.type),
                label=LABELS[CreditEventType(e.type)],
                department_code=e.department_code,
                occurred_on=e.occurred_on,
                publish_until=e.publish_until,
                summary=e.summary,
                severity=e.severity,
            )
            for e in shown
        ],
    )
