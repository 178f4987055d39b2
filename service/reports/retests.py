"""Writing a re-test (复检) report: it supersedes the original as the result's report in force
(the original stays linked), the verdict is recomputed over both reports, the fee bearer is
recorded, and the result becomes final (rules §5)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from models.base import utcnow
from models.reports_api import ReportKind
from models.results import TestReport
from models.results_api import RetestState
from service import audit, events
from service.finality import make_final
from service.reports.checks import NewRetestReport
from service.reports.retest_outcome import fee_bearer, verdict_after_retest
from service.reports.rows import report_row, report_state


@dataclass(frozen=True, slots=True)
class WrittenRetest:
    planned: NewRetestReport
    report: dict[str, Any]


async def write_retest_report(session: AsyncSession, planned: NewRetestReport) -> WrittenRetest:
    """Store the re-test report; it becomes the result's report in force (the original stays
    linked as `original_report_id`) with the combined verdict and the fee bearer. The caller
    concludes it (`conclude_retest`) once every savepoint of the request is released."""
    retest, result = planned.facts.retest, planned.facts.result
    content = planned.content
    row = report_row(
        planned.report_id, retest.agency_id, retest.sample_id, ReportKind.RETEST, content
    )
    session.add(TestReport(**row))
    await session.flush()

    disputed = list(retest.disputed_items)
    original_items = planned.facts.original_items
    verdict_before = result.verdict
    verdict = verdict_after_retest(original_items, content.items, disputed)
    bearer = fee_bearer(original_items, content.items, disputed)
    now = utcnow()
    retest.state = RetestState.REPORTED.value
    retest.report_id = planned.report_id
    retest.reported_at = now
    result.report_id = planned.report_id
    result.verdict = verdict.value
    result.fee_bearer = bearer.value
    result.updated_at = now
    await session.flush()

    events.emit(
        session,
        "report.received",
        entity_type="test_report",
        entity_id=planned.report_id,
        enterprise_uscc=result.enterprise_uscc,
        payload={
            "kind": ReportKind.RETEST.value,
            "agency_id": retest.agency_id,
            "report_number": content.report.report_number,
            "retest_id": retest.id,
            "verdict": content.verdict.value,
            "issued_on": content.report.issued_on,
        },
    )
    events.emit(
        session,
        "retest.reported",
        entity_type="retest",
        entity_id=retest.id,
        enterprise_uscc=result.enterprise_uscc,
        payload={
            "result_id": result.id,
            "report_id": planned.report_id,
            "original_report_id": result.original_report_id,
            "disputed_items": disputed,
            "verdict_before": verdict_before,
            "verdict": verdict.value,
            "fee_bearer": bearer.value,
        },
    )
    await session.flush()
    return WrittenRetest(planned, row)


async def conclude_retest(
    session: AsyncSession, written: WrittenRetest, *, on: date, actor: str
) -> None:
    """The re-test's conclusion is final (rules §5): make the result final and published, and
    record the re-test's writes in the audit log."""
    retest, result = written.planned.facts.retest, written.planned.facts.result
    await make_final(session, result, on=on, actor=actor, reason="retest_concluded")
    audit.record(
        session,
        actor=actor,
        action="test_report.create",
        entity_type="test_report",
        entity_id=str(written.report["id"]),
        state=report_state(written.report),
    )
    audit.record(
        session,
        actor=actor,
        action="retest.report",
        entity_type="retest",
        entity_id=str(retest.id),
        state=retest.model_dump(mode="json", exclude={"created_at"}),
    )
    audit.record(
        session,
        actor=actor,
        action="result.retest_concluded",
        entity_type="result",
        entity_id=str(result.id),
        state=result.model_dump(mode="json", exclude={"created_at", "updated_at"}),
    )
