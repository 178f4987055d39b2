"""The reports service against the database: the objection window a new result gets (rules §1
time counting over the official calendar), a batch that mixes original and re-test reports, and
a batch that loses a race to a concurrent writer and still stores its other items."""

from __future__ import annotations

import gc
import itertools
from datetime import date, timedelta
from typing import Any

import chinese_calendar
import pytest
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models.agency import TestingAgency
from models.reports_api import ReportIn
from models.results import Event, Objection, Result, Retest, TestReport
from models.system import Role
from service import reports
from service.audit import verify_chain
from service.auth import Principal
from service.db import commit
from service.reports import context as report_context
from tests.factories import (
    DrawnTask,
    make_agency,
    make_result,
    make_sample,
    make_task,
    report_items,
)

_numbers = itertools.count(1)


def agency(drawn_or_agency: DrawnTask | TestingAgency) -> Principal:
    found = drawn_or_agency.agency if isinstance(drawn_or_agency, DrawnTask) else drawn_or_agency
    return Principal(role=Role.AGENCY, name="test agency", agency_id=found.id)


def body(task: object, *, issued_on: date, **overrides: Any) -> dict[str, Any]:
    return {
        "task_id": str(task),
        "report_number": f"BG-{next(_numbers):05d}",
        "issued_on": issued_on.isoformat(),
        "items": report_items(),
        **overrides,
    }


def official_period_end(notified_on: date, days: int) -> date:
    """民法典 §201/§203 by the library's calendar: count from the next day, move a last day
    that is not a working day to the next working day."""
    end = notified_on + timedelta(days=days)
    while not chinese_calendar.is_workday(end):
        end += timedelta(days=1)
    return end


async def notified_result(session: AsyncSession, notified_on: date) -> Result:
    drawn = await make_task(session)
    await make_sample(session, drawn, sampled_on=date(2026, 3, 2))
    report = ReportIn.model_validate(body(drawn.task.id, issued_on=notified_on))
    await reports.post_report(session, agency(drawn), report, today=notified_on)
    await commit(session)
    return (await session.exec(select(Result).where(col(Result.task_id) == drawn.task.id))).one()


# --- the objection window --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("notified_on", "ends_on"),
    [
        # Hand-checked (March 2026 has no holiday; 2026-03-01 is a Sunday):
        # Thursday 03-05 + 15 days = Friday 03-20, a working day: the window ends then.
        (date(2026, 3, 5), date(2026, 3, 20)),
        # Friday 03-06 + 15 days = Saturday 03-21: the window runs to Monday 03-23.
        (date(2026, 3, 6), date(2026, 3, 23)),
    ],
    ids=["ends-on-a-friday", "saturday-moves-to-monday"],
)
async def test_the_window_around_a_weekend(
    session: AsyncSession, notified_on: date, ends_on: date
) -> None:
    result = await notified_result(session, notified_on)
    assert result.notified_on == notified_on
    assert result.objection_window_ends_on == ends_on


@pytest.mark.parametrize(
    "notified_on",
    [
        date(2026, 9, 24),  # + 15 = Friday 10-09, the second working day after 国庆
        date(2026, 9, 20),  # + 15 = 10-05, inside 国庆 (10-01 … 10-07): moves past it
        date(2026, 9, 25),  # + 15 = Saturday 10-10, a make-up working day (调休): ends then
        date(2026, 3, 20),  # + 15 = 04-04, 清明 (04-04 … 04-06)
        date(2026, 4, 20),  # + 15 = 05-05, the last day of 劳动节
    ],
    ids=["after-national-day", "inside-national-day", "make-up-saturday", "qingming", "labour-day"],
)
async def test_the_window_around_holidays_follows_the_official_calendar(
    session: AsyncSession, notified_on: date
) -> None:
    result = await notified_result(session, notified_on)
    assert result.objection_window_ends_on == official_period_end(notified_on, 15)


def test_the_holiday_cases_are_the_interesting_ones() -> None:
    # Guards the table above: each case really lands on, or next to, what it names.
    assert official_period_end(date(2026, 9, 24), 15) == date(2026, 10, 9)
    assert official_period_end(date(2026, 9, 20), 15) == date(2026, 10, 8)
    assert official_period_end(date(2026, 9, 25), 15) == date(2026, 10, 10)
    assert date(2026, 10, 10).weekday() == 5
    assert official_period_end(date(2026, 3, 20), 15) == date(2026, 4, 7)
    assert official_period_end(date(2026, 4, 20), 15) == date(2026, 5, 6)


# --- batches ---------------------------------------------------------------------------------


async def test_a_batch_mixes_original_and_retest_reports(session: AsyncSession) -> None:
    first = await make_task(session)
    result = await make_result(session, first, verdict="nonconforming", state="retesting")
    objection = Objection(
        result_id=result.id,
        enterprise_uscc=result.enterprise_uscc,
        filed_on=date(2026, 3, 21),
        disputed_items=["耗电量"],
        reason="复检申请",
        state="retest_ordered",
    )
    session.add(objection)
    await session.flush()
    retester = await make_agency(session)
    retest = Retest(
        objection_id=objection.id,
        result_id=result.id,
        sample_id=result.sample_id,
        agency_id=retester.id,
        disputed_items=["耗电量"],
    )
    session.add(retest)
    await commit(session)
    # The re-test agency also holds an ordinary task.
    own = await make_task(session, agency=retester)
    await make_sample(session, own, sampled_on=date(2026, 3, 2))

    today = date(2026, 3, 24)
    batch = [
        body(own.task.id, issued_on=today),
        {
            "retest_id": str(retest.id),
            "report_number": "FJ-1",
            "issued_on": today.isoformat(),
            "items": report_items(failing=1)[:1],
        },
        {**body(own.task.id, issued_on=today), "report_number": "FJ-1"},  # taken just above
    ]
    outcomes = await reports.post_batch(session, agency(retester), batch, today=today)
    await commit(session)

    assert [(o.created, o.error.code if o.error else None) for o in outcomes] == [
        (True, None),
        (True, None),
        (False, "report.number_conflict"),
    ]
    await session.refresh(result)
    assert (result.state, result.verdict, result.fee_bearer) == (
        "final",
        "nonconforming",
        "applicant",
    )
    assert result.report_id == outcomes[1].report_id
    assert (await verify_chain(session)).ok


async def test_a_batch_that_loses_a_race_stores_its_other_items(
    session: AsyncSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    lab = await make_agency(session)
    tasks = [await make_task(session, agency=lab) for _ in range(3)]
    for drawn in tasks:
        await make_sample(session, drawn, sampled_on=date(2026, 3, 2))
    today = date(2026, 3, 24)
    taken = body(tasks[0].task.id, issued_on=today)
    await reports.post_batch(session, agency(lab), [taken], today=today)
    await commit(session)

    # The batch reads the agency's report numbers before a concurrent request stored `taken`:
    # its checks pass, and the unique constraint refuses the write instead.
    real = report_context.load_context
    calls = 0

    async def stale_first_read(*args: Any, **kwargs: Any) -> report_context.Context:
        nonlocal calls
        calls += 1
        ctx = await real(*args, **kwargs)
        if calls == 1:
            ctx.numbers.clear()
        return ctx

    monkeypatch.setattr("service.reports.batch.load_context", stale_first_read)
    batch = [
        body(tasks[1].task.id, issued_on=today),
        body(tasks[2].task.id, issued_on=today, report_number=taken["report_number"]),
    ]
    outcomes = await reports.post_batch(session, agency(lab), batch, today=today)
    await commit(session)

    assert calls == 3  # the batch, then each item on its own
    assert [(o.created, o.error.code if o.error else None) for o in outcomes] == [
        (True, None),
        (False, "report.number_conflict"),
    ]
    stored = (await session.exec(select(Result.task_id))).all()
    assert set(stored) == {tasks[0].task.id, tasks[1].task.id}
    reports_stored = (await session.exec(select(TestReport.id))).all()
    assert len(reports_stored) == 2
    received = (await session.exec(select(Event).where(col(Event.type) == "report.received"))).all()
    assert len(received) == 2
    assert (await verify_chain(session)).ok


async def test_a_batch_leaves_the_garbage_collector_as_it_found_it(session: AsyncSession) -> None:
    drawn = await make_task(session)
    await make_sample(session, drawn, sampled_on=date(2026, 3, 2))
    today = date(2026, 3, 24)
    await reports.post_batch(
        session, agency(drawn), [body(drawn.task.id, issued_on=today)], today=today
    )
    assert gc.isenabled()
    gc.disable()
    try:
        await reports.post_batch(session, agency(drawn), [{"not": "a report"}], today=today)
        assert not gc.isenabled()
    finally:
        gc.enable()
