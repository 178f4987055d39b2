"""Objections (异议) and re-test orders (复检), rules §5: inside the 15-day window the enterprise
objects to named items of its result; the organiser rejects the objection (the result becomes
final) or orders a re-test of the disputed items on the backup sample by a qualified agency
other than the first unless the applicant agreed. A window that lapses without objection makes
the result final (the daily job)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date

from sqlalchemy.dialects import postgresql
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models.agency import TestingAgency
from models.base import utcnow
from models.results import Objection, Result, ResultState, Retest
from models.results_api import (
    ObjectionCreate,
    ObjectionRead,
    ObjectionState,
    RejectDecision,
    RetestDecision,
)
from models.system import Role
from service import audit, events
from service.auth import Principal
from service.directory.agencies import covers_category
from service.errors import Conflict, Forbidden, InvalidInput, NotFound
from service.finality import make_final
from service.pagination import PageRequest, PageResult, keyset_page
from service.results import get_result, readable_result_ids, result_items

# How many lapsed results one query locks and finalises at a time.
LAPSE_BATCH = 500


def _objection_state(objection: Objection) -> dict[str, object]:
    return ObjectionRead.model_validate(objection).model_dump(mode="json", exclude={"created_at"})


def _result_state(result: Result) -> dict[str, object]:
    return result.model_dump(mode="json", exclude={"created_at", "updated_at"})


async def file_objection(
    session: AsyncSession,
    principal: Principal,
    result_id: uuid.UUID,
    data: ObjectionCreate,
    *,
    today: date,
) -> Objection:
    """The enterprise objects to its result: one objection per result, inside the window."""
    result = await get_result(session, principal, result_id, for_update=True)
    existing = (
        await session.exec(select(Objection.id).where(col(Objection.result_id) == result.id))
    ).first()
    if existing is not None:
        raise Conflict(
            "objection.exists",
            f"an objection to result {result.id} was already filed",
            objection_id=str(existing),
        )
    if result.state != ResultState.NOTIFIED.value or today > result.objection_window_ends_on:
        raise Conflict(
            "objection.window_closed",
            f"objections to result {result.id} were accepted until "
            f"{result.objection_window_ends_on.isoformat()}",
            objection_window_ends_on=result.objection_window_ends_on.isoformat(),
            state=result.state,
        )
    disputed = list(dict.fromkeys(data.disputed_items))
    known = {item["name"] for item in await result_items(session, result)}
    unknown = [name for name in disputed if name not in known]
    if unknown:
        raise InvalidInput(
            "objection.unknown_items",
            f"the report in force has no items named {', '.join(unknown)}",
            unknown=unknown,
            known=sorted(known),
        )
    objection = Objection(
        result_id=result.id,
        enterprise_uscc=result.enterprise_uscc,
        filed_on=today,
        disputed_items=disputed,
        reason=data.reason,
        consents_to_same_agency=data.consents_to_same_agency,
    )
    session.add(objection)
    result.state = ResultState.OBJECTED.value
    result.updated_at = utcnow()
    await session.flush()
    events.emit(
        session,
        "objection.filed",
        entity_type="objection",
        entity_id=objection.id,
        enterprise_uscc=result.enterprise_uscc,
        payload={
            "result_id": result.id,
            "filed_on": today,
            "disputed_items": disputed,
            "consents_to_same_agency": objection.consents_to_same_agency,
        },
    )
    audit.record(
        session,
        actor=principal.actor,
        action="objection.file",
        entity_type="objection",
        entity_id=str(objection.id),
        state=_objection_state(objection),
    )
    audit.record(
        session,
        actor=principal.actor,
        action="result.objected",
        entity_type="result",
        entity_id=str(result.id),
        state=_result_state(result),
    )
    return objection


async def _get_objection(
    session: AsyncSession, principal: Principal, objection_id: uuid.UUID
) -> Objection:
    objection = (
        await session.exec(
            select(Objection).where(
                col(Objection.id) == objection_id,
                col(Objection.result_id).in_(readable_result_ids(principal)),
            )
        )
    ).first()
    if objection is None:
        raise NotFound("objection.not_found", f"no objection {objection_id}")
    return objection


@dataclass(frozen=True)
class Decided:
    objection: Objection
    result: Result
    retest: Retest | None


async def decide(
    session: AsyncSession,
    principal: Principal,
    objection_id: uuid.UUID,
    decision: RetestDecision | RejectDecision,
    *,
    today: date,
) -> Decided:
    """The organiser decides a pending objection: re-test or reject."""
    objection = await _get_objection(session, principal, objection_id)
    # The result's row lock serialises every move of the result (filing locks it too); a
    # concurrent second decision waits here and then sees the first one's outcome.
    result = await get_result(session, principal, objection.result_id, for_update=True)
    await session.refresh(objection, with_for_update=True)
    if principal.role is not Role.ADMIN and principal.department_code != result.organiser_code:
        raise Forbidden(
            "objection.not_organiser",
            f"the objection is decided by the organiser {result.organiser_code}",
        )
    if objection.state != ObjectionState.PENDING.value:
        raise Conflict(
            "objection.decided",
            f"objection {objection.id} was decided on {objection.decided_on}",
            state=objection.state,
        )
    if isinstance(decision, RetestDecision):
        agency = await _retest_agency(session, result, objection, decision.agency_id, on=today)
        retest = await _order_retest(session, principal, objection, result, agency, decision, today)
        return Decided(objection, result, retest)
    await _reject(session, principal, objection, result, decision, today)
    return Decided(objection, result, None)


def _unqualified(agency: TestingAgency, category_code: str, on: date) -> list[str]:
    reasons = []
    if not agency.active:
        reasons.append("inactive")
    if not covers_category(agency.category_scope, category_code):
        reasons.append("category_out_of_scope")
    if not agency.cma_valid_from <= on <= agency.cma_valid_until:
        reasons.append("cma_not_valid")
    return reasons


async def _retest_agency(
    session: AsyncSession,
    result: Result,
    objection: Objection,
    agency_id: uuid.UUID | None,
    *,
    on: date,
) -> TestingAgency:
    if agency_id is None:
        return await _pick_agency(session, result, objection, on=on)
    agency = await session.get(TestingAgency, agency_id)
    if agency is None:
        raise InvalidInput("agency.unknown", f"no testing agency {agency_id}")
    if agency.id == result.agency_id and not objection.consents_to_same_agency:
        raise InvalidInput(
            "retest.same_agency_without_consent",
            "the first agency may re-test only if the applicant agreed",
        )
    reasons = _unqualified(agency, result.category_code, on)
    if reasons:
        raise InvalidInput(
            "retest.agency_unqualified",
            f"agency {agency.id} cannot re-test category {result.category_code} on "
            f"{on.isoformat()}: {', '.join(reasons)}",
            reasons=reasons,
        )
    return agency


async def _pick_agency(
    session: AsyncSession, result: Result, objection: Objection, *, on: date
) -> TestingAgency:
    """The qualified agency with the lowest id other than the first; the first only when the
    applicant agreed and no other qualifies. Deterministic, so the choice can be retraced."""
    code = result.category_code
    in_scope = [code[:i] for i in range(2, len(code) + 1, 2)]
    candidates = (
        await session.exec(
            select(TestingAgency)
            .where(
                col(TestingAgency.active),
                col(TestingAgency.cma_valid_from) <= on,
                col(TestingAgency.cma_valid_until) >= on,
                col(TestingAgency.category_scope).op("&&")(postgresql.array(in_scope)),
            )
            .order_by(col(TestingAgency.id))
            .limit(2)
        )
    ).all()
    others = [a for a in candidates if a.id != result.agency_id]
    if others:
        return others[0]
    if candidates and objection.consents_to_same_agency:
        return candidates[0]
    raise Conflict(
        "retest.no_qualified_agency",
        f"no agency other than the first is qualified to re-test category {code} on "
        f"{on.isoformat()}",
    )


def _record_decision(
    session: AsyncSession,
    principal: Principal,
    objection: Objection,
    decision: RetestDecision | RejectDecision,
    today: date,
) -> None:
    objection.decided_on = today
    objection.decided_by = principal.actor
    objection.decision_reason = decision.reason
    audit.record(
        session,
        actor=principal.actor,
        action="objection.decide",
        entity_type="objection",
        entity_id=str(objection.id),
        state=_objection_state(objection),
    )


async def _order_retest(
    session: AsyncSession,
    principal: Principal,
    objection: Objection,
    result: Result,
    agency: TestingAgency,
    decision: RetestDecision,
    today: date,
) -> Retest:
    # The backup sample (备用样品) is part of the sample record; only the disputed items.
    retest = Retest(
        objection_id=objection.id,
        result_id=result.id,
        sample_id=result.sample_id,
        agency_id=agency.id,
        disputed_items=list(objection.disputed_items),
    )
    session.add(retest)
    objection.state = ObjectionState.RETEST_ORDERED.value
    _record_decision(session, principal, objection, decision, today)
    result.state = ResultState.RETESTING.value
    result.updated_at = utcnow()
    await session.flush()
    events.emit(
        session,
        "objection.decided",
        entity_type="objection",
        entity_id=objection.id,
        enterprise_uscc=result.enterprise_uscc,
        payload={
            "decision": "retest",
            "result_id": result.id,
            "retest_id": retest.id,
            "decided_on": today,
        },
    )
    events.emit(
        session,
        "retest.assigned",
        entity_type="retest",
        entity_id=retest.id,
        enterprise_uscc=result.enterprise_uscc,
        payload={
            "result_id": result.id,
            "objection_id": objection.id,
            "agency_id": agency.id,
            "sample_id": result.sample_id,
            "disputed_items": retest.disputed_items,
            "same_agency": agency.id == result.agency_id,
        },
    )
    audit.record(
        session,
        actor=principal.actor,
        action="retest.assign",
        entity_type="retest",
        entity_id=str(retest.id),
        state=retest.model_dump(mode="json", exclude={"created_at"}),
    )
    audit.record(
        session,
        actor=principal.actor,
        action="result.retesting",
        entity_type="result",
        entity_id=str(result.id),
        state=_result_state(result),
    )
    return retest


async def _reject(
    session: AsyncSession,
    principal: Principal,
    objection: Objection,
    result: Result,
    decision: RejectDecision,
    today: date,
) -> None:
    objection.state = ObjectionState.REJECTED.value
    _record_decision(session, principal, objection, decision, today)
    # Nothing was re-tested, so there are no re-test fees to bear.
    result.fee_bearer = None
    await session.flush()
    events.emit(
        session,
        "objection.decided",
        entity_type="objection",
        entity_id=objection.id,
        enterprise_uscc=result.enterprise_uscc,
        payload={"decision": "reject", "result_id": result.id, "decided_on": today},
    )
    await make_final(session, result, on=today, actor=principal.actor, reason="objection_rejected")


@dataclass(frozen=True)
class ObjectionFilter:
    state: ObjectionState | None = None
    result_id: uuid.UUID | None = None


async def list_objections(
    session: AsyncSession, principal: Principal, filters: ObjectionFilter, page: PageRequest
) -> PageResult[Objection]:
    """Objections to the results the principal can read."""
    statement = select(Objection).where(
        col(Objection.result_id).in_(readable_result_ids(principal))
    )
    if filters.state is not None:
        statement = statement.where(col(Objection.state) == filters.state.value)
    if filters.result_id is not None:
        statement = statement.where(col(Objection.result_id) == filters.result_id)
    return await keyset_page(session, statement, Objection.id, page)  # type: ignore[arg-type]


async def finalise_lapsed_windows(
    session: AsyncSession, *, today: date, actor: str, batch: int = LAPSE_BATCH
) -> int:
    """Results still `notified` after their window's last day become final. Rows a concurrent
    objection holds are skipped (that objection decides them, or the next run does)."""
    finalised = 0
    while True:
        lapsed = (
            await session.exec(
                select(Result)
                .where(
                    col(Result.state) == ResultState.NOTIFIED.value,
                    col(Result.objection_window_ends_on) < today,
                )
                .order_by(col(Result.objection_window_ends_on), col(Result.id))
                .limit(batch)
                .with_for_update(skip_locked=True)
                .execution_options(populate_existing=True)
            )
        ).all()
        for result in lapsed:
            await make_final(session, result, on=today, actor=actor, reason="window_lapsed")
        finalised += len(lapsed)
        await session.flush()
        # Finalised rows leave the selection; forgetting them keeps a large run's memory flat.
        session.expunge_all()
        if len(lapsed) < batch:
            return finalised
