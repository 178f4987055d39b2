"""Settling the pass-rate rollup is a registered nightly job."""

from __future__ import annotations

from apscheduler.triggers.cron import CronTrigger
from sqlalchemy import text
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from jobs import stats
from jobs.scheduler import job_named, run_job
from models.system import JobRun
from tests.service.test_stats_rollup import FIXTURE, add_batch


async def test_the_nightly_job_settles_the_recent_tier(
    session: AsyncSession, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    job = job_named(stats.NAME)
    assert job.run is stats.settle_rollup
    assert isinstance(job.trigger, CronTrigger)
    for batch in FIXTURE:
        await add_batch(session, batch)

    assert await run_job(sessionmaker, job) == "ok"

    connection = await session.connection()
    assert await connection.scalar(text("SELECT count(*) FROM pass_rate_rollup_recent")) == 0
    runs = await session.exec(select(JobRun.detail).where(col(JobRun.job_name) == stats.NAME))
    [detail] = runs.all()
    assert detail is not None
    assert detail.startswith("settled ")
