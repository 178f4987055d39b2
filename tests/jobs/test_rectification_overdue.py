"""The overdue job (rules §6): a missed rectification deadline is a `rectification.overdue`
event, raised once however often the job runs."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

import pytest
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from jobs.scheduler import job_named, run_job
from models.rectification_api import CorrectionCreate
from models.results import Event, Rectification
from models.system import JobRun
from service import clock
from service.auth import system_principal
from service.db import commit
from service.rectification import raise_overdue, record_correction
from tests.service.test_rectification import (
    CORRECTION_DUE,
    FOLLOW_UP_DUE,
    conclude_follow_up,
    nonconforming_final,
    reload,
    schedule,
)

DAY = timedelta(days=1)
ACTOR = "job:test"


async def run(session: AsyncSession, today: date) -> int:
    raised = await raise_overdue(session, today=today, actor=ACTOR)
    await commit(session)
    return raised


async def overdue_events(session: AsyncSession, rectification_id: uuid.UUID) -> list[Event]:
    return list(
        (
            await session.exec(
                select(Event)
                .where(
                    col(Event.type) == "rectification.overdue",
                    col(Event.entity_id) == str(rectification_id),
                )
                .order_by(col(Event.seq))
            )
        ).all()
    )


async def test_each_missed_deadline_is_raised_once(session: AsyncSession) -> None:
    rectification, drawn = await nonconforming_final(session)
    assert await run(session, CORRECTION_DUE) == 0  # the due day itself is in time
    assert await run(session, CORRECTION_DUE + DAY) == 1
    assert await run(session, CORRECTION_DUE + DAY) == 0
    assert await run(session, FOLLOW_UP_DUE) == 0
    assert await run(session, FOLLOW_UP_DUE + DAY) == 1
    assert await run(session, FOLLOW_UP_DUE + 30 * DAY) == 0
    events = await overdue_events(session, rectification.id)
    assert [(e.payload["deadline"], e.payload["responsible"]) for e in events] == [
        ("correction", "enterprise"),
        ("follow_up", "organiser"),
    ]
    assert all(e.enterprise_uscc == drawn.enterprise.uscc for e in events)
    assert (await reload(session, rectification.id)).overdue_reported == [
        "correction",
        "follow_up",
    ]


@pytest.mark.parametrize(("corrected_on", "overdue"), [(CORRECTION_DUE, False), (None, True)])
async def test_a_correction_dated_by_the_due_day_is_not_overdue(
    session: AsyncSession, corrected_on: date | None, overdue: bool
) -> None:
    rectification, _ = await nonconforming_final(session)
    if corrected_on is not None:
        await record_correction(
            session,
            system_principal("test"),
            rectification.id,
            CorrectionCreate(corrected_on=corrected_on, reference="整改报告 1"),
            today=corrected_on,
        )
        await commit(session)
    assert await run(session, CORRECTION_DUE + DAY) == int(overdue)


async def test_a_scheduled_follow_up_without_a_final_result_by_day_75_is_overdue(
    session: AsyncSession,
) -> None:
    rectification, drawn = await nonconforming_final(session)
    await schedule(session, rectification, drawn, date(2026, 3, 2))
    assert await run(session, FOLLOW_UP_DUE + DAY) == 2
    [_, follow_up] = await overdue_events(session, rectification.id)
    assert (follow_up.payload["deadline"], follow_up.payload["state"]) == (
        "follow_up",
        "follow_up",
    )


async def test_a_second_window_closing_without_a_result_is_raised_once(
    session: AsyncSession,
) -> None:
    rectification, drawn = await nonconforming_final(session)
    scheduled = await schedule(session, rectification, drawn, date(2026, 3, 2))
    assert scheduled.follow_up_task_id is not None
    # Concluded in time: neither the correction nor the follow-up is overdue any more.
    await conclude_follow_up(
        session, scheduled.follow_up_task_id, "nonconforming", date(2026, 4, 10)
    )
    until = (await reload(session, rectification.id)).second_follow_up_until
    assert until is not None
    assert await run(session, until) == 0
    assert await run(session, until + DAY) == 1
    assert await run(session, until + 2 * DAY) == 0
    [event] = await overdue_events(session, rectification.id)
    assert (event.payload["deadline"], event.payload["due_on"]) == (
        "second_follow_up",
        until.isoformat(),
    )


async def test_the_registered_job_raises_each_deadline_once_however_often_it_runs(
    session: AsyncSession,
    sessionmaker: async_sessionmaker[AsyncSession],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    await nonconforming_final(session)
    monkeypatch.setattr(clock, "today", lambda: FOLLOW_UP_DUE + DAY)
    job = job_named("rectification.raise_overdue")
    assert [await run_job(sessionmaker, job) for _ in range(2)] == ["ok", "ok"]
    details = (
        await session.exec(
            select(JobRun.detail).where(col(JobRun.job_name) == job.name).order_by(col(JobRun.id))
        )
    ).all()
    assert details == ["raised 2 overdue deadlines", "raised 0 overdue deadlines"]


async def test_a_rectification_another_transaction_holds_is_left_for_the_next_run(
    session: AsyncSession, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    rectification, _ = await nonconforming_final(session)
    async with sessionmaker() as holder:
        await holder.exec(
            select(Rectification).where(col(Rectification.id) == rectification.id).with_for_update()
        )
        assert await run(session, FOLLOW_UP_DUE + DAY) == 0
        await holder.rollback()
    assert await run(session, FOLLOW_UP_DUE + DAY) == 2
