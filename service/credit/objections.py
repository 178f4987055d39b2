"""Credit objections (信用异议): an enterprise disputes one of its own credit events
(`POST /credit-events/{id}/objections`); a competent regulator upholds the event or corrects it
(`POST /credit-objections/{id}/decision`). A corrected event stops counting from that day and the
score is recomputed in the same transaction; the file keeps the event, marked corrected, so the
history (and every as-of answer before the correction) stays as it was. Each step is audited and
written to the event log.

Competent — and the only ones who see the objection at all (one scoping helper for both): an
admin, the regulator whose department recorded the event, or a regulator whose region contains
the enterprise. One objection per event may be pending at a time."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession
from sqlmodel.sql.expression import SelectOfScalar

from models.credit import (
    CreditEvent,
    CreditObjection,
    CreditObjectionCreate,
    CreditObjectionDecision,
    EventStatus,
    ObjectionDecisionKind,
    ObjectionState,
)
from models.enterprise import Enterprise
from models.system import Role
from service import audit, events
from service.auth import Principal
from service.credit import standing
from service.credit.ledger import event_state
from service.directory.reference import regions_inside
from service.errors import Conflict, NotFound
from service.pagination import PageRequest, PageResult, keyset_page


def objection_state(objection: CreditObjection) -> dict[str, object]:
    return objection.model_dump(mode="json", exclude={"created_at"})


def _enterprises_in_region(principal: Principal) -> SelectOfScalar[str]:
    inside = regions_inside(principal.region_path)
    return select(Enterprise.uscc).where(col(Enterprise.region_code).in_(inside))


def readable_objections(principal: Principal) -> SelectOfScalar[CreditObjection]:
    """The one place that bounds who sees which objection: an enterprise its own; a regulator
    those about enterprises in its region or about events its department recorded; admins all."""
    statement = select(CreditObjection)
    if principal.role is Role.ADMIN:
        return statement
    if principal.role is Role.ENTERPRISE:
        return statement.where(col(CreditObjection.enterprise_uscc) == principal.enterprise_uscc)
    if principal.role is Role.REGULATOR:
        recorded_by_them = select(CreditEvent.id).where(
            col(CreditEvent.department_code) == principal.department_code
        )
        return statement.where(
            col(CreditObjection.enterprise_uscc).in_(_enterprises_in_region(principal))
            | col(CreditObjection.credit_event_id).in_(recorded_by_them)
        )
    return statement.where(col(CreditObjection.id).is_(None))


async def file_objection(
    session: AsyncSession,
    principal: Principal,
    event_id: uuid.UUID,
    data: CreditObjectionCreate,
    *,
    today: date,
) -> CreditObjection:
    """The enterprise (its own key) disputes one of its events. Another enterprise's event is
    answered exactly like an unknown one."""
    event = (
        await session.exec(
            select(CreditEvent)
            .where(
                col(CreditEvent.id) == event_id,
                col(CreditEvent.enterprise_uscc) == principal.enterprise_uscc,
            )
            # Serialises objections to one event: the pending check below cannot race.
            .with_for_update()
        )
    ).first()
    if event is None:
        raise NotFound("credit_event.not_found", f"no credit event {event_id}")
    if event.status == EventStatus.CORRECTED.value:
        raise Conflict(
            "credit_event.already_corrected", f"credit event {event_id} was corrected already"
        )
    pending = (
        await session.exec(
            select(CreditObjection.id).where(
                col(CreditObjection.credit_event_id) == event.id,
                col(CreditObjection.state) == ObjectionState.PENDING.value,
            )
        )
    ).first()
    if pending is not None:
        raise Conflict(
            "credit_objection.pending_exists",
            f"objection {pending} to this event awaits its decision",
            objection_id=str(pending),
        )
    objection = CreditObjection(
        credit_event_id=event.id,
        enterprise_uscc=event.enterprise_uscc,
        filed_on=today,
        reason=data.reason,
        evidence=list(data.evidence),
    )
    session.add(objection)
    await session.flush()
    _record(session, principal, objection, "credit_objection.filed")
    return objection


async def decide(
    session: AsyncSession,
    principal: Principal,
    objection_id: uuid.UUID,
    data: CreditObjectionDecision,
    *,
    today: date,
) -> CreditObjection:
    objection = await get_objection(session, principal, objection_id, for_update=True)
    event = (
        await session.exec(
            select(CreditEvent)
            .where(col(CreditEvent.id) == objection.credit_event_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
    ).one()
    if objection.state != ObjectionState.PENDING.value:
        raise Conflict(
            "credit_objection.already_decided",
            f"objection {objection.id} was decided on {objection.decided_on}",
            state=objection.state,
        )
    correct = data.decision is ObjectionDecisionKind.CORRECT
    objection.state = (ObjectionState.CORRECTED if correct else ObjectionState.UPHELD).value
    objection.decided_on = today
    objection.decided_by = principal.actor
    objection.decision_reason = data.reason
    if correct:
        event.status = EventStatus.CORRECTED.value
        event.corrected_on = today
    await session.flush()
    _record(session, principal, objection, "credit_objection.decided")
    if correct:
        audit.record(
            session,
            actor=principal.actor,
            action="credit_event.correct",
            entity_type="credit_event",
            entity_id=str(event.id),
            state=event_state(event),
        )
        await standing.recompute(
            session,
            [event.enterprise_uscc],
            today=today,
            trigger=f"credit_objection:{objection.id}",
            actor=principal.actor,
        )
    return objection


def _record(
    session: AsyncSession, principal: Principal, objection: CreditObjection, action: str
) -> None:
    state = objection_state(objection)
    audit.record(
        session,
        actor=principal.actor,
        action=action,
        entity_type="credit_objection",
        entity_id=str(objection.id),
        state=state,
    )
    events.emit(
        session,
        action,
        entity_type="credit_objection",
        entity_id=objection.id,
        enterprise_uscc=objection.enterprise_uscc,
        payload={k: state[k] for k in ("credit_event_id", "state", "filed_on", "decided_on")},
    )


async def get_objection(
    session: AsyncSession,
    principal: Principal,
    objection_id: uuid.UUID,
    *,
    for_update: bool = False,
) -> CreditObjection:
    statement = readable_objections(principal).where(col(CreditObjection.id) == objection_id)
    if for_update:
        statement = statement.with_for_update().execution_options(populate_existing=True)
    objection = (await session.exec(statement)).first()
    if objection is None:
        raise NotFound("credit_objection.not_found", f"no credit objection {objection_id}")
    return objection


@dataclass(frozen=True)
class ObjectionFilter:
    state: ObjectionState | None = None
    enterprise_uscc: str | None = None


async def list_objections(
    session: AsyncSession, principal: Principal, filters: ObjectionFilter, page: PageRequest
) -> PageResult[CreditObjection]:
    statement = readable_objections(principal)
    if filters.state is not None:
        statement = statement.where(col(CreditObjection.state) == filters.state.value)
    if filters.enterprise_uscc is not None:
        statement = statement.where(col(CreditObjection.enterprise_uscc) == filters.enterprise_uscc)
    return await keyset_page(session, statement, CreditObjection.id, page)  # type: ignore[arg-type]
