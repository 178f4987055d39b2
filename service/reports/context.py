"""Everything the checks of a batch of reports need from the database, loaded with one query per
kind of fact for the whole batch: the tasks (with plan, enterprise, sample and any original
report), the re-tests (locked, with their result), and the caller's report numbers."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import and_
from sqlalchemy import select as sa_select
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models.enterprise import Enterprise
from models.plan import Plan, SamplingTask
from models.reports_api import ReportIn
from models.results import Result, Retest, Sample, TestReport


@dataclass(frozen=True, slots=True)
class TaskFacts:
    """A sampling task as a report on it needs it, with the snapshot a result copies."""

    id: uuid.UUID
    agency_id: uuid.UUID
    state: str
    plan_id: uuid.UUID
    product_id: uuid.UUID
    enterprise_uscc: str
    category_code: str
    organiser_code: str
    plan_level: str
    plan_kind: str
    region_code: str
    enterprise_size: str | None
    sample_id: uuid.UUID | None
    sampled_on: date | None
    place_type: str | None
    original_report_number: str | None


@dataclass(slots=True)
class RetestFacts:
    retest: Retest
    result: Result
    sampled_on: date
    original_items: list[dict[str, Any]]


@dataclass(frozen=True, slots=True)
class KnownReport:
    id: uuid.UUID
    digest: str


@dataclass
class Context:
    """What the batch found, and — as items are accepted — what the batch itself adds, so that
    later items see earlier ones exactly as if they had been posted one after the other."""

    agency_id: uuid.UUID
    tasks: dict[uuid.UUID, TaskFacts] = field(default_factory=dict)
    retests: dict[uuid.UUID, RetestFacts] = field(default_factory=dict)
    numbers: dict[str, KnownReport] = field(default_factory=dict)
    # Re-tests a report of this batch concludes: a second one for the same re-test is refused.
    concluded: set[uuid.UUID] = field(default_factory=set)


async def _tasks(session: AsyncSession, ids: set[uuid.UUID]) -> dict[uuid.UUID, TaskFacts]:
    original = and_(col(TestReport.sample_id) == col(Sample.id), col(TestReport.kind) == "original")
    # sqlmodel's typed select() stops at four columns; the core select carries them all.
    statement = (
        sa_select(
            col(SamplingTask.id),
            col(SamplingTask.agency_id),
            col(SamplingTask.state),
            col(SamplingTask.plan_id),
            col(SamplingTask.product_id),
            col(SamplingTask.enterprise_uscc),
            col(SamplingTask.category_code),
            col(Plan.department_code),
            col(Plan.level),
            col(Plan.kind),
            col(Enterprise.region_code),
            col(Enterprise.size),
            col(Sample.id),
            col(Sample.sampled_on),
            col(Sample.place_type),
            col(TestReport.report_number),
        )
        .join(Plan, col(Plan.id) == col(SamplingTask.plan_id))
        .join(Enterprise, col(Enterprise.uscc) == col(SamplingTask.enterprise_uscc))
        .outerjoin(Sample, col(Sample.task_id) == col(SamplingTask.id))
        .outerjoin(TestReport, original)
        .where(col(SamplingTask.id).in_(ids))
    )
    rows = await session.exec(statement)  # type: ignore[call-overload]
    return {row[0]: TaskFacts(*row) for row in rows}


async def _retests(session: AsyncSession, ids: set[uuid.UUID]) -> dict[uuid.UUID, RetestFacts]:
    # Locked: two re-test reports for one re-test, posted at once, must not both conclude it.
    rows = (
        await session.exec(
            select(Retest, Result)
            .join(Result, col(Result.id) == col(Retest.result_id))
            .where(col(Retest.id).in_(ids))
            .with_for_update()
            .execution_options(populate_existing=True)
        )
    ).all()
    if not rows:
        return {}
    originals = {result.original_report_id for _, result in rows}
    facts = (
        await session.exec(
            select(col(TestReport.id), col(TestReport.items), col(Sample.sampled_on))
            .join(Sample, col(Sample.id) == col(TestReport.sample_id))
            .where(col(TestReport.id).in_(originals))
        )
    ).all()
    by_report = {report_id: (items, sampled_on) for report_id, items, sampled_on in facts}
    found = {}
    for retest, result in rows:
        items, sampled_on = by_report[result.original_report_id]
        found[retest.id] = RetestFacts(retest, result, sampled_on, items)
    return found


async def _numbers(
    session: AsyncSession, agency_id: uuid.UUID, numbers: set[str]
) -> dict[str, KnownReport]:
    rows = await session.exec(
        select(TestReport.report_number, TestReport.id, TestReport.content_digest).where(
            col(TestReport.agency_id) == agency_id, col(TestReport.report_number).in_(numbers)
        )
    )
    return {number: KnownReport(report_id, digest) for number, report_id, digest in rows}


async def load_context(
    session: AsyncSession, agency_id: uuid.UUID, reports: Sequence[ReportIn]
) -> Context:
    task_ids = {r.task_id for r in reports if r.task_id is not None}
    retest_ids = {r.retest_id for r in reports if r.retest_id is not None}
    numbers = {r.report_number for r in reports}
    return Context(
        agency_id=agency_id,
        tasks=await _tasks(session, task_ids) if task_ids else {},
        retests=await _retests(session, retest_ids) if retest_ids else {},
        numbers=await _numbers(session, agency_id, numbers) if numbers else {},
    )
