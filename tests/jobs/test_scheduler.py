"""Scheduled jobs run single-flight across processes and every run is recorded."""

from __future__ import annotations

import asyncio
from datetime import date

from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from jobs.scheduler import Job, job_named, run_job
from models.agency import TestingAgency
from models.system import JobRun
from tests.factories import make_agency


async def test_two_schedulers_firing_at_once_run_the_job_once(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    started = asyncio.Event()
    calls = 0

    async def slow(session: AsyncSession) -> str:
        nonlocal calls
        calls += 1
        started.set()
        await asyncio.sleep(0.3)
        return "done"

    template = job_named("agencies.mark_expired_cma")
    job = Job(name="test.slow", run=slow, trigger=template.trigger)

    async def second() -> str:
        await started.wait()
        return await run_job(sessionmaker, job)

    # Two independent sessions stand for two replicas, each with its own connection.
    statuses = await asyncio.gather(run_job(sessionmaker, job), second())
    assert sorted(statuses) == ["ok", "skipped"]
    assert calls == 1
    async with sessionmaker() as session:
        runs = (await session.exec(select(JobRun).where(col(JobRun.job_name) == "test.slow"))).all()
    assert sorted(r.status for r in runs) == ["ok", "skipped"]


async def test_a_failing_job_is_recorded_and_rolled_back(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    async def broken(session: AsyncSession) -> str:
        raise RuntimeError("boom")

    job = Job(
        name="test.broken", run=broken, trigger=job_named("agencies.mark_expired_cma").trigger
    )
    assert await run_job(sessionmaker, job) == "failed"
    async with sessionmaker() as session:
        run = (await session.exec(select(JobRun).where(col(JobRun.job_name) == job.name))).one()
    assert run.status == "failed"
    assert run.detail == "RuntimeError: boom"


async def test_the_cma_job_marks_agencies_whose_certificate_expired(
    session: AsyncSession, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    expired = await make_agency(session, valid_from=date(2020, 1, 1), valid_until=date(2024, 6, 30))
    valid = await make_agency(session)
    assert await run_job(sessionmaker, job_named("agencies.mark_expired_cma")) == "ok"
    async with sessionmaker() as fresh:
        marked = await fresh.get(TestingAgency, expired.id)
        untouched = await fresh.get(TestingAgency, valid.id)
        assert marked is not None
        assert untouched is not None
        assert marked.cma_expired_on is not None
        assert untouched.cma_expired_on is None
        # Idempotent: a second run finds nothing more to mark.
        assert await run_job(sessionmaker, job_named("agencies.mark_expired_cma")) == "ok"
        runs = (
            await fresh.exec(
                select(JobRun.detail)
                .where(col(JobRun.job_name) == "agencies.mark_expired_cma")
                .order_by(col(JobRun.id))
            )
        ).all()
    assert runs == ["marked 1 agencies", "marked 0 agencies"]
