"""Sampling facts reach the credit file through the event log: each log entry is projected into
credit events in the same transaction, once, and the scores and risk classes of the enterprises
concerned are recomputed in that transaction too."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models.credit import CreditEvent, CreditScore
from models.enterprise import Enterprise
from models.results import Event, Rectification, Result, TestReport
from service import events
from service.credit import projection
from service.db import commit
from tests.factories import DrawnTask, make_result, make_task, report_items

TODAY = date(2026, 4, 8)
FINAL_ON = date(2026, 4, 7)


async def final_result(
    session: AsyncSession, verdict: str, *, serious: bool = False, drawn: DrawnTask | None = None
) -> tuple[Result, Event]:
    drawn = drawn or await make_task(session)
    result = await make_result(session, drawn, verdict=verdict, state="final", final_on=FINAL_ON)
    if serious:
        report = await session.get(TestReport, result.report_id)
        assert report is not None
        report.items = report_items(failing=1, serious=True)
        await commit(session)
    entry = events.emit(
        session,
        "result.final",
        entity_type="result",
        entity_id=result.id,
        enterprise_uscc=result.enterprise_uscc,
        payload={"verdict": verdict, "final_on": FINAL_ON, "report_id": result.report_id},
    )
    return result, entry


async def file_of(session: AsyncSession, uscc: str) -> list[CreditEvent]:
    statement = select(CreditEvent).where(col(CreditEvent.enterprise_uscc) == uscc)
    return list((await session.exec(statement.order_by(col(CreditEvent.reference)))).all())


async def scores_of(session: AsyncSession, uscc: str) -> list[CreditScore]:
    statement = select(CreditScore).where(col(CreditScore.enterprise_uscc) == uscc)
    return list((await session.exec(statement.order_by(col(CreditScore.id)))).all())


async def risk_class_of(session: AsyncSession, uscc: str) -> str:
    enterprise = (
        await session.exec(
            select(Enterprise)
            .where(col(Enterprise.uscc) == uscc)
            .execution_options(populate_existing=True)
        )
    ).one()
    return enterprise.risk_class


async def project(session: AsyncSession, *entries: Event) -> None:
    await projection.project(session, entries, today=TODAY)
    await commit(session)


async def test_a_nonconforming_final_result_costs_five_points(session: AsyncSession) -> None:
    result, entry = await final_result(session, "nonconforming")
    await project(session, entry)
    (credit_event,) = await file_of(session, result.enterprise_uscc)
    assert (credit_event.type, credit_event.severity, credit_event.occurred_on) == (
        "nonconforming_result",
        "general",
        FINAL_ON,
    )
    assert (credit_event.department_code, credit_event.public) == (result.organiser_code, True)
    assert credit_event.source_event_seq == entry.seq
    (snapshot,) = await scores_of(session, result.enterprise_uscc)
    assert (snapshot.score, snapshot.grade, snapshot.valid_from) == (95, "A", TODAY)
    assert await risk_class_of(session, result.enterprise_uscc) == "C"


async def test_a_serious_failing_item_costs_fifteen_and_makes_the_risk_class_d(
    session: AsyncSession,
) -> None:
    result, entry = await final_result(session, "nonconforming", serious=True)
    await project(session, entry)
    (credit_event,) = await file_of(session, result.enterprise_uscc)
    assert credit_event.severity == "serious"
    (snapshot,) = await scores_of(session, result.enterprise_uscc)
    assert snapshot.score == 85
    assert await risk_class_of(session, result.enterprise_uscc) == "D"


async def test_a_conforming_final_result_adds_a_point(session: AsyncSession) -> None:
    result, entry = await final_result(session, "conforming")
    await project(session, entry)
    (snapshot,) = await scores_of(session, result.enterprise_uscc)
    assert snapshot.score == 101
    assert await risk_class_of(session, result.enterprise_uscc) == "A"


async def test_projecting_the_same_entries_again_changes_nothing(session: AsyncSession) -> None:
    result, entry = await final_result(session, "nonconforming")
    await project(session, entry)
    await project(session, entry, entry)
    assert len(await file_of(session, result.enterprise_uscc)) == 1
    assert len(await scores_of(session, result.enterprise_uscc)) == 1


async def test_projection_shares_the_transaction_of_the_log_entry(session: AsyncSession) -> None:
    result, entry = await final_result(session, "nonconforming")
    uscc = result.enterprise_uscc
    await projection.project(session, [entry], today=TODAY)
    assert len(await scores_of(session, uscc)) == 1
    await session.rollback()
    assert await file_of(session, uscc) == []
    assert await scores_of(session, uscc) == []


async def test_a_refusal_costs_thirty_points(session: AsyncSession) -> None:
    drawn = await make_task(session)
    entry = events.emit(
        session,
        "task.refused",
        entity_type="task",
        entity_id=drawn.task.id,
        enterprise_uscc=drawn.enterprise.uscc,
        payload={
            "refusal_id": uuid.uuid4(),
            "organiser_code": drawn.plan.department_code,
            "refused_on": date(2026, 4, 1),
        },
    )
    await project(session, entry)
    (credit_event,) = await file_of(session, drawn.enterprise.uscc)
    assert (credit_event.type, credit_event.occurred_on) == ("refusal", date(2026, 4, 1))
    (snapshot,) = await scores_of(session, drawn.enterprise.uscc)
    assert (snapshot.score, snapshot.grade, snapshot.risk_class) == (70, "C", "D")


async def rectification_for(session: AsyncSession, **fields: Any) -> Rectification:
    result, entry = await final_result(session, "nonconforming")
    await project(session, entry)
    rectification = Rectification(
        result_id=result.id,
        enterprise_uscc=result.enterprise_uscc,
        product_id=result.product_id,
        organiser_code=result.organiser_code,
        ordered_on=FINAL_ON,
        correction_due_on=FINAL_ON + timedelta(days=60),
        follow_up_due_on=FINAL_ON + timedelta(days=75),
        **fields,
    )
    session.add(rectification)
    await commit(session)
    return rectification


def rectification_entry(
    session: AsyncSession, rectification: Rectification, kind: str, **payload: Any
) -> Event:
    return events.emit(
        session,
        kind,
        entity_type="rectification",
        entity_id=rectification.id,
        enterprise_uscc=rectification.enterprise_uscc,
        payload=payload,
    )


async def test_only_deadlines_the_enterprise_missed_count(session: AsyncSession) -> None:
    rectification = await rectification_for(session)
    due = rectification.correction_due_on
    mine = rectification_entry(
        session,
        rectification,
        "rectification.overdue",
        deadline="correction",
        due_on=due,
        responsible="enterprise",
    )
    theirs = rectification_entry(
        session,
        rectification,
        "rectification.overdue",
        deadline="follow_up",
        due_on=rectification.follow_up_due_on,
        responsible="organiser",
    )
    await project(session, mine, theirs)
    overdue = [
        e
        for e in await file_of(session, rectification.enterprise_uscc)
        if e.type == "rectification_overdue"
    ]
    assert [(e.occurred_on, e.public) for e in overdue] == [(due + timedelta(days=1), False)]


async def test_a_failed_follow_up_is_a_failure_and_a_provincial_notice(
    session: AsyncSession,
) -> None:
    noticed_on = date(2026, 6, 30)
    rectification = await rectification_for(
        session, state="noticed", noticed_on=noticed_on, notice_department_code="scjg-410000"
    )
    entry = rectification_entry(
        session, rectification, "rectification.noticed", notice_department_code="scjg-410000"
    )
    await projection.project(session, [entry], today=noticed_on)
    await commit(session)
    kinds = {e.type: e for e in await file_of(session, rectification.enterprise_uscc)}
    assert kinds["follow_up_failed"].occurred_on == noticed_on
    assert kinds["provincial_notice"].department_code == "scjg-410000"
    snapshots = await scores_of(session, rectification.enterprise_uscc)
    # −5 for the result, −10 for the failed follow-up, −20 for the notice.
    assert snapshots[-1].score == 65


async def test_entries_a_unit_of_work_adds_are_collected_for_projection(
    session: AsyncSession,
) -> None:
    result, _ = await final_result(session, "nonconforming")
    await projection.project_pending(session, today=TODAY)
    await commit(session)
    assert len(await file_of(session, result.enterprise_uscc)) == 1
    # Collected once: a second call finds nothing new to project.
    await projection.project_pending(session, today=TODAY)
    assert len(await scores_of(session, result.enterprise_uscc)) == 1


async def test_entries_of_other_types_are_ignored(session: AsyncSession) -> None:
    drawn = await make_task(session)
    entry = events.emit(
        session,
        "sample.registered",
        entity_type="sample",
        entity_id=uuid.uuid4(),
        enterprise_uscc=drawn.enterprise.uscc,
    )
    await project(session, entry)
    assert await file_of(session, drawn.enterprise.uscc) == []
