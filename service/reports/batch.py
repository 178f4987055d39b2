"""Processing reports item by item with a per-item answer, set-based.

1. Load what every check needs for the whole batch (`context`: a few queries, not per item).
2. Decide each item in order (`checks`): refused, identical to one stored (200), or new. No
   writes yet, so a refused item leaves nothing behind.
3. Write the new original reports with one statement per table inside one SAVEPOINT. Re-test
   reports, few and each moving its result, are written one by one, each in its own SAVEPOINT.
4. After the last savepoint: conclude the re-tests (the result becomes final) and queue the
   audit records. A savepoint cannot be released while audit records are queued on the session
   (the commit guard in `service.db` sees every release as a commit), and what is queued is not
   undone by rolling a savepoint back — so nothing is queued before all of them are done.

The checks in step 2 cover everything the database would refuse, so step 3 fails only when a
concurrent request stored a conflicting report (same number, or a report for the same task)
between our reads and our writes. Then the savepoint is rolled back and every item is processed
again on its own — fresh reads, its own savepoint — so that the race costs only the item it
concerns: the others are still stored and none is half-written."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy.exc import DataError, IntegrityError
from sqlmodel.ext.asyncio.session import AsyncSession

from models.reports_api import ReportIn
from models.system import Role
from service.auth import Principal
from service.errors import Conflict, DomainError, Forbidden, InvalidInput
from service.reports.checks import Existing, NewOriginal, NewRetestReport, plan_item
from service.reports.context import load_context
from service.reports.originals import Written, audit_originals, write_originals
from service.reports.retests import WrittenRetest, conclude_retest, write_retest_report
from service.work_calendar import load_calendar

# 民法典 §201 counting, rules §5: objections within 15 days of receiving the result. [law]
OBJECTION_DAYS = 15


@dataclass(frozen=True, slots=True)
class ItemOutcome:
    """The answer for one item: created, found (an identical report was stored), or refused."""

    index: int
    report_id: uuid.UUID | None = None
    created: bool = False
    error: DomainError | None = None


@dataclass
class _Written:
    """What the savepoints wrote, to conclude and audit once they are all released."""

    originals: list[Written] = field(default_factory=list)
    retests: list[WrittenRetest] = field(default_factory=list)


def agency_of(principal: Principal) -> uuid.UUID:
    if principal.role is not Role.AGENCY or principal.agency_id is None:
        raise Forbidden("auth.role_forbidden", "test reports are posted by testing agencies")
    return principal.agency_id


def _database_refusal(exc: IntegrityError | DataError) -> DomainError:
    if isinstance(exc, IntegrityError):
        return Conflict(
            "conflict.concurrent_write",
            "a concurrent request stored a report with this number or for this task; "
            "post again to see which",
        )
    return InvalidInput("request.invalid_data", "a value in the report cannot be stored")


async def process(
    session: AsyncSession,
    principal: Principal,
    parsed: Sequence[ReportIn | DomainError],
    *,
    today: date,
) -> list[ItemOutcome]:
    """Process reports (or the error each failed to parse with) and answer for each in order."""
    agency_id = agency_of(principal)
    written = _Written()
    outcomes = await _write(session, agency_id, parsed, written, today=today, retry=True)
    for retest in written.retests:
        await conclude_retest(session, retest, on=today, actor=principal.actor)
    audit_originals(session, written.originals, actor=principal.actor)
    return outcomes


async def _write(
    session: AsyncSession,
    agency_id: uuid.UUID,
    parsed: Sequence[ReportIn | DomainError],
    written: _Written,
    *,
    today: date,
    retry: bool,
) -> list[ItemOutcome]:
    outcomes: dict[int, ItemOutcome] = {}
    valid: list[tuple[int, ReportIn]] = []
    for index, item in enumerate(parsed):
        if isinstance(item, DomainError):
            outcomes[index] = ItemOutcome(index, error=item)
        else:
            valid.append((index, item))

    ctx = await load_context(session, agency_id, [report for _, report in valid])
    originals: list[NewOriginal] = []
    retests: list[NewRetestReport] = []
    for index, report in valid:
        try:
            planned = plan_item(ctx, index, report, today=today)
        except DomainError as exc:
            outcomes[index] = ItemOutcome(index, error=exc)
            continue
        if isinstance(planned, Existing):
            outcomes[index] = ItemOutcome(index, report_id=planned.report_id)
        elif isinstance(planned, NewOriginal):
            originals.append(planned)
        else:
            retests.append(planned)

    if originals:
        calendar = await load_calendar(session)
        window_ends_on = calendar.period_end(today, OBJECTION_DAYS)
        try:
            async with session.begin_nested():
                rows = await write_originals(
                    session, originals, agency_id=agency_id, on=today, window_ends_on=window_ends_on
                )
        except (IntegrityError, DataError) as exc:
            if retry and len(valid) > 1:
                return await _one_by_one(session, agency_id, parsed, written, today=today)
            # A single report: nothing else to save.
            for original in originals:
                outcomes[original.index] = ItemOutcome(original.index, error=_database_refusal(exc))
        else:
            written.originals.extend(rows)
            for original in originals:
                outcomes[original.index] = ItemOutcome(original.index, original.report_id, True)

    for retest in retests:
        try:
            async with session.begin_nested():
                written.retests.append(await write_retest_report(session, retest))
        except (IntegrityError, DataError) as exc:
            outcomes[retest.index] = ItemOutcome(retest.index, error=_database_refusal(exc))
        else:
            outcomes[retest.index] = ItemOutcome(retest.index, retest.report_id, created=True)
    return [outcomes[index] for index in range(len(parsed))]


async def _one_by_one(
    session: AsyncSession,
    agency_id: uuid.UUID,
    parsed: Sequence[ReportIn | DomainError],
    written: _Written,
    *,
    today: date,
) -> list[ItemOutcome]:
    outcomes = []
    for index, item in enumerate(parsed):
        if isinstance(item, DomainError):
            outcomes.append(ItemOutcome(index, error=item))
            continue
        [outcome] = await _write(session, agency_id, [item], written, today=today, retry=False)
        outcomes.append(ItemOutcome(index, outcome.report_id, outcome.created, outcome.error))
    return outcomes
