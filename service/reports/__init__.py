"""Test reports (检验报告) from testing agencies, and the results they create (rules §5).

An agency posts the original report of a sampled task it holds, or the report of a re-test it
was ordered to do. The overall verdict is derived from the items (nonconforming iff one fails);
a posted verdict that contradicts them is refused. Report numbers are unique per agency, and
posting is idempotent: the same agency, number and content (`content_digest`, over the
normalised report) answers with the report already stored; the same number with other content
is a conflict.

Notification. An original report creates the result, notified to the enterprise electronically
the day the report arrives: the enterprise reads it on its own results view (`/me/…`) from that
day. `notified_on` is that day and starts the 15-day objection window (民法典 §201, §203 counting
by the official calendar), well inside the 5 working days the Henan regulations allow for
notifying. A re-test report supersedes the original as the report in force and makes the result
final; see `retests`.

`content` (pure rules and normalisation), `retest_outcome` (pure: verdict after a re-test, fee
bearer), `context` (set-based loading), `checks` (per-item decisions), `originals` and `retests`
(writing), `batch` (the per-item, savepoint-safe orchestration) and `reading` (visibility)."""

from __future__ import annotations

import gc
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import date
from typing import Any

from pydantic import ValidationError
from sqlmodel.ext.asyncio.session import AsyncSession

from models.reports_api import ReportDetail, ReportIn
from models.results import TestReport
from service.auth import Principal
from service.errors import DomainError, InvalidInput
from service.reports.batch import OBJECTION_DAYS, ItemOutcome, process
from service.reports.reading import get_report, readable_reports, report_detail

__all__ = [
    "MAX_BATCH",
    "OBJECTION_DAYS",
    "ItemOutcome",
    "get_report",
    "post_batch",
    "post_report",
    "readable_reports",
]

MAX_BATCH = 1_000


async def post_report(
    session: AsyncSession, principal: Principal, report: ReportIn, *, today: date
) -> tuple[ReportDetail, bool]:
    """Store one report; returns it and whether it is new (False: the identical report was
    already stored, and this is it)."""
    [outcome] = await process(session, principal, [report], today=today)
    if outcome.error is not None:
        raise outcome.error
    stored = await session.get(TestReport, outcome.report_id)
    assert stored is not None  # noqa: S101 - just written or found
    return await report_detail(session, stored), outcome.created


def _parse(raw: Any) -> ReportIn | DomainError:
    try:
        return ReportIn.model_validate(raw)
    except ValidationError as exc:
        errors = [{"loc": list(e["loc"]), "msg": e["msg"], "type": e["type"]} for e in exc.errors()]
        return InvalidInput(
            "request.invalid", "the report does not match the schema; see `errors`", errors=errors
        )


@contextmanager
def _collection_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while a batch is processed. A batch allocates millions
    of short-lived objects, and their allocation triggers full collections that walk the whole
    heap of the process: about a third of a batch's time (bench/README.md). Nearly all of them
    are freed by reference counting anyway; the few cycles wait until the batch is done.
    Collection is resumed only if it was running, so overlapping batches and a process that
    disabled it on purpose are both left as they were."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


async def post_batch(
    session: AsyncSession, principal: Principal, reports: Sequence[Any], *, today: date
) -> list[ItemOutcome]:
    """Store up to `MAX_BATCH` reports, each validated and decided on its own; one outcome per
    report, in order."""
    if len(reports) > MAX_BATCH:
        raise InvalidInput(
            "report.batch_too_large",
            f"a batch holds at most {MAX_BATCH} reports, not {len(reports)}",
            limit=MAX_BATCH,
        )
    with _collection_paused():
        return await process(session, principal, [_parse(raw) for raw in reports], today=today)
