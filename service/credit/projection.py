"""Credit events from sampling, projected from the domain event log in the transaction that
wrote the log entries, and the scores of the enterprises concerned recomputed in the same
transaction. Projecting an entry twice changes nothing: each credit event has a reference derived
from the fact it records (`result:<id>`, `refusal:<id>`, `rectification:<id>:…`).

Mapping (each fact once; points of model v1):

- `result.final` nonconforming → `nonconforming_result`, severity `serious` when a failing item
  in force is serious (−15), else `general` (−5); conforming → `conforming_result` (+1, ≤ +10)
- `task.refused` → `refusal` (−30)
- `rectification.overdue` of a deadline the enterprise owns → `rectification_overdue` (−10)
- `rectification.noticed` (the first follow-up failed) → `follow_up_failed` (−10) and
  `provincial_notice` (−20)
- `rectification.suspended`, `rectification.revocation_recommended` → `follow_up_failed` (−10)

A follow-up sampling's final result is a final result like any other; its failure is a second
fact (the enterprise did not rectify), and the public notice a third. A deadline the organiser
missed (the follow-up is theirs to run) is not the enterprise's conduct and is not projected."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Sequence
from datetime import date, timedelta
from typing import Any

from sqlalchemy import event as sa_event
from sqlalchemy.orm import Session
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models.credit import CreditEventType, EventOrigin, ResultSeverity
from models.results import Event, Rectification, Result, TestReport, Verdict
from service import clock
from service.credit import ledger, standing
from service.credit.config import get_credit_settings

ACTOR = "system:credit-projection"
_PENDING = "credit_projection_pending"
_T = CreditEventType

Handler = Callable[[AsyncSession, Event], Awaitable[list[ledger.Draft]]]


def _day(value: Any, fallback: date) -> date:
    if isinstance(value, date):
        return value
    return date.fromisoformat(value) if isinstance(value, str) else fallback


def _draft(event: Event, **fields: Any) -> ledger.Draft:
    occurred_on = fields["occurred_on"]
    return ledger.Draft(
        origin=EventOrigin.SAMPLING,
        published_on=occurred_on,
        source_event_seq=event.seq,
        **fields,
    )


async def _failing_items(session: AsyncSession, result: Result) -> list[dict[str, Any]]:
    """The failing items in force: the report in force, and for a re-tested result the items of
    the original report that were not re-tested (they stand as first found)."""
    reports = {
        r.id: r
        for r in (
            await session.exec(
                select(TestReport).where(
                    col(TestReport.id).in_({result.report_id, result.original_report_id})
                )
            )
        ).all()
    }
    in_force = reports[result.report_id].items if result.report_id in reports else []
    items = list(in_force)
    if result.report_id != result.original_report_id and result.original_report_id in reports:
        retested = {item.get("name") for item in in_force}
        items += [
            i for i in reports[result.original_report_id].items if i.get("name") not in retested
        ]
    return [i for i in items if i.get("verdict") == "fail"]


async def _result_final(session: AsyncSession, event: Event) -> list[ledger.Draft]:
    result = await session.get(Result, uuid.UUID(event.entity_id))
    if result is None:
        return []
    occurred_on = _day(event.payload.get("final_on"), result.final_on or clock.today())
    verdict = event.payload.get("verdict", result.verdict)
    details = {
        "result_id": result.id,
        "product_id": result.product_id,
        "plan_kind": result.plan_kind,
        "report_id": result.report_id,
    }
    if verdict == Verdict.NONCONFORMING.value:
        failing = await _failing_items(session, result)
        serious = any(i.get("severity") == ResultSeverity.SERIOUS.value for i in failing)
        kind, severity = (
            _T.NONCONFORMING_RESULT,
            (ResultSeverity.SERIOUS if serious else ResultSeverity.GENERAL).value,
        )
        details["failing_items"] = [i.get("name") for i in failing]
    else:
        kind, severity = _T.CONFORMING_RESULT, None
    return [
        _draft(
            event,
            enterprise_uscc=result.enterprise_uscc,
            type=kind,
            department_code=result.organiser_code,
            reference=f"result:{result.id}",
            occurred_on=occurred_on,
            public=True,
            severity=severity,
            details=details,
        )
    ]


async def _task_refused(session: AsyncSession, event: Event) -> list[ledger.Draft]:
    payload = event.payload
    if event.enterprise_uscc is None or "organiser_code" not in payload:
        return []
    return [
        _draft(
            event,
            enterprise_uscc=event.enterprise_uscc,
            type=_T.REFUSAL,
            department_code=payload["organiser_code"],
            reference=f"refusal:{payload.get('refusal_id') or event.entity_id}",
            occurred_on=_day(payload.get("refused_on"), clock.today()),
            public=True,
            details={"task_id": event.entity_id, "refusal_id": payload.get("refusal_id")},
        )
    ]


async def _rectification(session: AsyncSession, event: Event) -> Rectification | None:
    return await session.get(Rectification, uuid.UUID(event.entity_id))


async def _overdue(session: AsyncSession, event: Event) -> list[ledger.Draft]:
    payload = event.payload
    rectification = await _rectification(session, event)
    if rectification is None or payload.get("responsible") != "enterprise":
        return []
    due_on = _day(payload.get("due_on"), clock.today())
    deadline = payload.get("deadline", "unknown")
    return [
        _draft(
            event,
            enterprise_uscc=rectification.enterprise_uscc,
            type=_T.RECTIFICATION_OVERDUE,
            department_code=rectification.organiser_code,
            reference=f"rectification:{rectification.id}:overdue:{deadline}",
            # Overdue from the day after the due day (that day itself is still in time).
            occurred_on=due_on + timedelta(days=1),
            # [ours] A missed internal deadline is not published; it still counts.
            public=False,
            details={"rectification_id": rectification.id, "deadline": deadline, "due_on": due_on},
        )
    ]


def _failed(
    event: Event, rectification: Rectification, round_name: str, on: date | None
) -> ledger.Draft:
    return _draft(
        event,
        enterprise_uscc=rectification.enterprise_uscc,
        type=_T.FOLLOW_UP_FAILED,
        department_code=rectification.organiser_code,
        reference=f"rectification:{rectification.id}:follow_up_failed:{round_name}",
        occurred_on=on or clock.today(),
        public=True,
        details={
            "rectification_id": rectification.id,
            "round": round_name,
            "result_id": event.payload.get("result_id"),
        },
    )


async def _noticed(session: AsyncSession, event: Event) -> list[ledger.Draft]:
    rectification = await _rectification(session, event)
    if rectification is None:
        return []
    on = rectification.noticed_on or clock.today()
    notice_by = event.payload.get("notice_department_code") or (
        rectification.notice_department_code or rectification.organiser_code
    )
    notice = _draft(
        event,
        enterprise_uscc=rectification.enterprise_uscc,
        type=_T.PROVINCIAL_NOTICE,
        department_code=notice_by,
        reference=f"rectification:{rectification.id}:notice",
        occurred_on=on,
        public=True,
        details={"rectification_id": rectification.id},
    )
    return [_failed(event, rectification, "follow_up", on), notice]


async def _suspended(session: AsyncSession, event: Event) -> list[ledger.Draft]:
    rectification = await _rectification(session, event)
    if rectification is None:
        return []
    return [_failed(event, rectification, "second_follow_up", rectification.suspended_on)]


async def _revocation(session: AsyncSession, event: Event) -> list[ledger.Draft]:
    rectification = await _rectification(session, event)
    if rectification is None:
        return []
    on = rectification.revocation_recommended_on
    return [_failed(event, rectification, "suspension_follow_up", on)]


HANDLERS: dict[str, Handler] = {
    "result.final": _result_final,
    "task.refused": _task_refused,
    "rectification.overdue": _overdue,
    "rectification.noticed": _noticed,
    "rectification.suspended": _suspended,
    "rectification.revocation_recommended": _revocation,
}


async def project(
    session: AsyncSession, events: Sequence[Event], *, today: date | None = None
) -> None:
    """Record the credit events the log entries imply and recompute the scores of the
    enterprises concerned, in the caller's transaction. Idempotent."""
    relevant = [e for e in events if e.type in HANDLERS]
    if not relevant:
        return
    today = today or clock.today()
    # Log entries get their `seq` at flush; the credit events keep it for traceability.
    await session.flush()
    drafts: list[ledger.Draft] = []
    for entry in sorted(relevant, key=lambda e: e.seq or 0):
        drafts += await HANDLERS[entry.type](session, entry)
    settings = get_credit_settings()
    new, _ = await ledger.record(
        session, drafts, today=today, actor=ACTOR, periods=settings.publication
    )
    if new:
        await standing.recompute(
            session,
            {e.enterprise_uscc for e in new},
            today=today,
            trigger="projection",
            actor=ACTOR,
            settings=settings,
        )


# --- collecting the log entries of a unit of work ---------------------------------------------


@sa_event.listens_for(Session, "before_flush")
def _collect_new_log_entries(session: Session, flush_context: Any, instances: Any) -> None:
    # Every `Event` a unit of work adds passes through a flush before its commit.
    entries = [o for o in session.new if isinstance(o, Event) and o.type in HANDLERS]
    if entries:
        session.info.setdefault(_PENDING, []).extend(entries)


@sa_event.listens_for(Session, "after_soft_rollback")
def _forget_rolled_back_entries(session: Session, previous_transaction: Any) -> None:
    if previous_transaction.parent is None:
        session.info.pop(_PENDING, None)


async def project_pending(session: AsyncSession, *, today: date | None = None) -> None:
    """Project the log entries this session added since its last commit; for `service.db.commit`
    to call before it writes the audit chain and commits."""
    await session.flush()
    while entries := session.info.pop(_PENDING, []):
        await project(session, entries, today=today)
        # Projection adds no log entries; the loop is for any a recomputation might add.
        await session.flush()
