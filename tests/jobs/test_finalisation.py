"""The finalisation job (rules §5, issue 4 point 4): a result whose objection window lapsed
without an objection becomes final and published the day after the window's last day — once —
and a window still open, or a result under objection, is left alone."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from jobs.scheduler import job_named, run_job
from models.results import Event, Rectification, Result
from models.system import JobRun
from service.objections import finalise_lapsed_windows
from tests.factories import make_result, make_task

JOB = "results.finalise_lapsed"
LAST_DAY = date(2026, 4, 7)
DAY_AFTER = date(2026, 4, 8)


@pytest.fixture(autouse=True)
def job_runs_the_day_after(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("service.clock.today", lambda: DAY_AFTER)


async def reloaded(session: AsyncSession, result: Result) -> Result:
    found = await session.get(Result, result.id, populate_existing=True)
    assert found is not None
    return found


async def final_events(session: AsyncSession) -> list[Event]:
    statement = select(Event).where(col(Event.type) == "result.final").order_by(col(Event.seq))
    return list((await session.exec(statement)).all())


async def test_a_lapsed_window_makes_the_result_final_and_published_once(
    session: AsyncSession, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    lapsed = await make_result(session, await make_task(session), window_ends_on=LAST_DAY)
    still_open = await make_result(session, await make_task(session), window_ends_on=DAY_AFTER)
    objected = await make_result(
        session, await make_task(session), state="objected", window_ends_on=date(2026, 4, 1)
    )

    assert await run_job(sessionmaker, job_named(JOB)) == "ok"

    done = await reloaded(session, lapsed)
    assert (done.state, done.final_on, done.published_on) == ("final", DAY_AFTER, DAY_AFTER)
    assert (await reloaded(session, still_open)).state == "notified"
    assert (await reloaded(session, objected)).state == "objected"
    events = await final_events(session)
    assert [(e.entity_id, e.payload["reason"]) for e in events] == [
        (str(lapsed.id), "window_lapsed")
    ]

    # Running again changes nothing and raises no second event.
    assert await run_job(sessionmaker, job_named(JOB)) == "ok"
    assert len(await final_events(session)) == 1
    runs = (
        await session.exec(
            select(JobRun.detail).where(col(JobRun.job_name) == JOB).order_by(col(JobRun.id))
        )
    ).all()
    assert runs == [
        "finalised 1 results whose window ended before 2026-04-08",
        "finalised 0 results whose window ended before 2026-04-08",
    ]


async def test_the_last_day_of_the_window_is_still_open(
    session: AsyncSession,
    sessionmaker: async_sessionmaker[AsyncSession],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    result = await make_result(session, await make_task(session), window_ends_on=LAST_DAY)
    monkeypatch.setattr("service.clock.today", lambda: LAST_DAY)
    assert await run_job(sessionmaker, job_named(JOB)) == "ok"
    assert (await reloaded(session, result)).state == "notified"


async def test_a_lapsed_nonconforming_result_opens_a_rectification(
    session: AsyncSession, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    result = await make_result(
        session, await make_task(session), verdict="nonconforming", window_ends_on=LAST_DAY
    )
    assert await run_job(sessionmaker, job_named(JOB)) == "ok"
    rectification = (
        await session.exec(select(Rectification).where(col(Rectification.result_id) == result.id))
    ).one()
    assert rectification.ordered_on == DAY_AFTER


async def test_batches_finalise_every_lapsed_result(
    session: AsyncSession, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    results = [
        await make_result(session, await make_task(session), window_ends_on=LAST_DAY)
        for _ in range(5)
    ]
    async with sessionmaker() as job_session:
        finalised = await finalise_lapsed_windows(
            job_session, today=DAY_AFTER, actor="test", batch=2
        )
        await job_session.rollback()
    assert finalised == len(results)


def test_the_job_runs_daily_shortly_after_midnight_in_shanghai() -> None:
    trigger = str(job_named(JOB).trigger)
    assert "hour='0'" in trigger
    assert "Asia/Shanghai" in repr(job_named(JOB).trigger)
