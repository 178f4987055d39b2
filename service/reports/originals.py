"""Writing the original reports of a batch: each creates its result, notified the same day (see
the package docstring), and the `report.received` and `result.notified` events.

A batch writes up to a thousand reports, results and twice as many events at once, so they go
in with COPY — one per table, on the session's own connection and so inside its transaction and
savepoint — rather than as ORM objects (about 0.3 ms of Python each) or an executemany insert.
The events are the rows `service.events.emit` would add, built here in bulk (see
bench/README.md for what each of these choices saved)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import asyncpg  # type: ignore[import-untyped]
from sqlalchemy.exc import DataError, IntegrityError
from sqlmodel.ext.asyncio.session import AsyncSession

from models.base import utcnow
from models.reports_api import ReportKind
from models.results import ResultState
from service import audit
from service.db import driver_connection
from service.reports.checks import NewOriginal
from service.reports.rows import report_row, report_state

_REPORT_COLUMNS = (
    "id",
    "agency_id",
    "report_number",
    "kind",
    "sample_id",
    "issued_on",
    "verdict",
    "items",
    "document_sha256",
    "content_digest",
    "created_at",
)
_RESULT_COLUMNS = (
    "id",
    "sample_id",
    "task_id",
    "plan_id",
    "product_id",
    "enterprise_uscc",
    "organiser_code",
    "plan_level",
    "plan_kind",
    "category_code",
    "region_code",
    "place_type",
    "enterprise_size",
    "agency_id",
    "sampled_on",
    "original_report_id",
    "report_id",
    "verdict",
    "state",
    "notified_on",
    "objection_window_ends_on",
    "created_at",
    "updated_at",
)
_EVENT_COLUMNS = ("at", "type", "entity_type", "entity_id", "enterprise_uscc", "payload")


@dataclass(frozen=True, slots=True)
class Written:
    """An original report and its result as inserted, for the audit records."""

    report: dict[str, Any]
    result: dict[str, Any]


def _jsonb(value: Any) -> str:
    # The connection's JSONB codec (set up by SQLAlchemy's asyncpg dialect) takes JSON text.
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _event(
    at: datetime, event_type: str, entity_type: str, entity_id: str, uscc: str,
    payload: dict[str, str | None],
) -> tuple[Any, ...]:  # fmt: skip
    # Payloads are built from strings already, spelled as `service.canonical.plain` spells
    # UUIDs and dates, so they need no walk before they are encoded.
    return (at, event_type, entity_type, entity_id, uscc, _jsonb(payload))


async def _copy(
    session: AsyncSession, table: str, columns: Sequence[str], records: list[tuple[Any, ...]]
) -> None:
    driver = await driver_connection(session)
    statement = f"COPY {table}"
    try:
        await driver.copy_records_to_table(table, records=records, columns=list(columns))
    # The driver's own errors, raised as SQLAlchemy raises them for statements it runs, so
    # that callers handle a refused COPY like a refused INSERT.
    except asyncpg.IntegrityConstraintViolationError as exc:
        raise IntegrityError(statement, None, exc) from exc
    except asyncpg.DataError as exc:
        raise DataError(statement, None, exc) from exc


def _result_row(p: NewOriginal, on: date, window_ends_on: date, now: datetime) -> dict[str, Any]:
    # The result carries a snapshot of the dimensions statistics group by.
    task = p.task
    return {
        "id": uuid.uuid4(),
        "sample_id": task.sample_id,
        "task_id": task.id,
        "plan_id": task.plan_id,
        "product_id": task.product_id,
        "enterprise_uscc": task.enterprise_uscc,
        "organiser_code": task.organiser_code,
        "plan_level": task.plan_level,
        "plan_kind": task.plan_kind,
        "category_code": task.category_code,
        "region_code": task.region_code,
        "place_type": task.place_type,
        "enterprise_size": task.enterprise_size,
        "agency_id": task.agency_id,
        "sampled_on": task.sampled_on,
        "original_report_id": p.report_id,
        "report_id": p.report_id,
        "verdict": p.content.verdict.value,
        "state": ResultState.NOTIFIED.value,
        "notified_on": on,
        "objection_window_ends_on": window_ends_on,
        "created_at": now,
        "updated_at": now,
    }


async def write_originals(
    session: AsyncSession,
    planned: Sequence[NewOriginal],
    *,
    agency_id: uuid.UUID,
    on: date,
    window_ends_on: date,
) -> list[Written]:
    """Insert the reports and their results, notified on `on`, and their events. The caller
    records the audit (`audit_originals`) once every savepoint is released."""
    now, on_text, window_text = utcnow(), on.isoformat(), window_ends_on.isoformat()
    written, reports, results, events = [], [], [], []
    for p in planned:
        # The checks refused tasks without a sample.
        assert p.task.sample_id is not None  # noqa: S101
        report = report_row(
            p.report_id, agency_id, p.task.sample_id, ReportKind.ORIGINAL, p.content
        )
        report["created_at"] = now
        result = _result_row(p, on, window_ends_on, now)
        written.append(Written(report, result))
        reports.append(
            tuple(_jsonb(report[c]) if c == "items" else report[c] for c in _REPORT_COLUMNS)
        )
        results.append(tuple(result[c] for c in _RESULT_COLUMNS))
        uscc, report_id, result_id = p.task.enterprise_uscc, str(p.report_id), str(result["id"])
        received = {
            "kind": ReportKind.ORIGINAL.value,
            "agency_id": str(agency_id),
            "report_number": report["report_number"],
            "task_id": str(p.task.id),
            "verdict": report["verdict"],
            "issued_on": report["issued_on"].isoformat(),
        }
        events.append(_event(now, "report.received", "test_report", report_id, uscc, received))
        notified = {
            "report_id": report_id,
            "task_id": str(p.task.id),
            "product_id": str(p.task.product_id),
            "verdict": result["verdict"],
            "notified_on": on_text,
            "objection_window_ends_on": window_text,
        }
        events.append(_event(now, "result.notified", "result", result_id, uscc, notified))
    await _copy(session, "test_reports", _REPORT_COLUMNS, reports)
    await _copy(session, "results", _RESULT_COLUMNS, results)
    await _copy(session, "events", _EVENT_COLUMNS, events)
    return written


def audit_originals(session: AsyncSession, written: Sequence[Written], *, actor: str) -> None:
    for w in written:
        audit.record(
            session,
            actor=actor,
            action="test_report.create",
            entity_type="test_report",
            entity_id=str(w.report["id"]),
            state=report_state(w.report),
        )
        result = {k: v for k, v in w.result.items() if k not in ("created_at", "updated_at")}
        audit.record(
            session,
            actor=actor,
            action="result.notify",
            entity_type="result",
            entity_id=str(w.result["id"]),
            state=result,
        )
