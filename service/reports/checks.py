"""Deciding what to do with one report of a batch, against the facts the batch loaded: refuse it
(a `DomainError`), answer with the identical report already stored, or plan a new original or
re-test report. Nothing here writes; the plan is written by `writing`."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from datetime import date

from models.plan import TaskState
from models.reports_api import ReportIn
from models.results import ResultState
from models.results_api import RetestState
from service.errors import Conflict, Forbidden, InvalidInput, NotFound
from service.reports.content import Content, check_content
from service.reports.context import Context, KnownReport, RetestFacts, TaskFacts


@dataclass(frozen=True, slots=True)
class Existing:
    """The identical report (same agency, number and content) is already stored."""

    index: int
    report_id: uuid.UUID


@dataclass(frozen=True, slots=True)
class NewOriginal:
    index: int
    report_id: uuid.UUID
    content: Content
    task: TaskFacts


@dataclass(frozen=True, slots=True)
class NewRetestReport:
    index: int
    report_id: uuid.UUID
    content: Content
    facts: RetestFacts


Planned = Existing | NewOriginal | NewRetestReport


def plan_item(ctx: Context, index: int, report: ReportIn, *, today: date) -> Planned:
    """What to do with `report`; raises the `DomainError` a single POST would answer with.

    An accepted report is added to `ctx`, so a later item of the same batch with its number is
    an identical re-post (200) or a conflict, exactly as if it had been posted afterwards."""
    content = check_content(report, today=today)
    known = ctx.numbers.get(report.report_number)
    if known is not None:
        # Re-posting the identical report is idempotent whatever happened since (the task
        # reported, the re-test concluded): the client may simply not have seen our answer.
        if known.digest == content.digest:
            return Existing(index, known.id)
        raise Conflict(
            "report.number_conflict",
            f"report number {report.report_number} is already used by this agency for a "
            "report with different content",
            report_id=str(known.id),
        )
    planned: NewOriginal | NewRetestReport
    if report.task_id is not None:
        planned = _original(ctx, index, content, report.task_id)
    else:
        assert report.retest_id is not None  # noqa: S101 - check_content requires one
        planned = _retest(ctx, index, content, report.retest_id)
    ctx.numbers[report.report_number] = KnownReport(planned.report_id, content.digest)
    return planned


def _not_before_sampling(content: Content, sampled_on: date) -> None:
    if content.report.issued_on < sampled_on:
        raise InvalidInput(
            "report.issued_before_sampling",
            f"issued_on {content.report.issued_on} is before the sample was taken ({sampled_on})",
            sampled_on=sampled_on.isoformat(),
        )


def _original(ctx: Context, index: int, content: Content, task_id: uuid.UUID) -> NewOriginal:
    task = ctx.tasks.get(task_id)
    if task is None:
        raise NotFound("task.not_found", f"no task {task_id}")
    if task.agency_id != ctx.agency_id:
        raise Forbidden(
            "report.not_assigned", f"task {task_id} is assigned to another testing agency"
        )
    if task.state != TaskState.SAMPLED.value or task.sample_id is None or task.sampled_on is None:
        raise Conflict(
            "report.not_sampled",
            f"task {task_id} is {task.state}: a report needs a registered sample",
            state=task.state,
        )
    if task.original_report_number is not None:
        raise Conflict(
            "report.exists_for_task",
            f"task {task_id} already has the report {task.original_report_number}",
            report_number=task.original_report_number,
        )
    _not_before_sampling(content, task.sampled_on)
    ctx.tasks[task_id] = replace(task, original_report_number=content.report.report_number)
    return NewOriginal(index, uuid.uuid4(), content, task)


def _retest(ctx: Context, index: int, content: Content, retest_id: uuid.UUID) -> NewRetestReport:
    facts = ctx.retests.get(retest_id)
    if facts is None:
        raise NotFound("retest.not_found", f"no re-test {retest_id}")
    retest, result = facts.retest, facts.result
    if retest.agency_id != ctx.agency_id:
        raise Forbidden(
            "report.not_assigned", f"re-test {retest_id} is assigned to another testing agency"
        )
    if retest.state != RetestState.ASSIGNED.value or retest_id in ctx.concluded:
        raise Conflict(
            "retest.already_reported",
            f"re-test {retest_id} already has its report",
            report_id=str(retest.report_id),
        )
    if result.state != ResultState.RETESTING.value:
        raise Conflict(
            "report.result_not_retesting",
            f"result {result.id} is {result.state}, not awaiting a re-test",
            state=result.state,
        )
    names, disputed = content.item_names, list(retest.disputed_items)
    if len(set(names)) != len(names) or set(names) != set(disputed):
        raise InvalidInput(
            "report.items_not_disputed",
            "a re-test report has exactly the disputed items, each once: " + ", ".join(disputed),
            disputed=disputed,
            missing=[name for name in disputed if name not in names],
            unexpected=sorted({name for name in names if name not in disputed}),
        )
    _not_before_sampling(content, facts.sampled_on)
    ctx.concluded.add(retest_id)
    return NewRetestReport(index, uuid.uuid4(), content, facts)
