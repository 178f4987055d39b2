"""The one registry of scheduled jobs, and the runner that makes each run single-flight.

Every replica runs the same scheduler; a run first takes `pg_try_advisory_xact_lock` on the
job's key inside its own transaction, so when two processes fire at once exactly one does the
work and the other records a skipped run. Each run is recorded in `job_runs`."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import text
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from jobs import (
    agencies,
    blacklist,
    credit,
    joint_punishment,
    rectification,
    releases,
    results,
    stats,
    webhooks,
)
from models.base import utcnow
from models.system import JobRun
from service.db import commit

log = logging.getLogger(__name__)

BUSINESS_TIMEZONE = "Asia/Shanghai"

JobFunction = Callable[[AsyncSession], Awaitable[str | None]]
RunStatus = Literal["ok", "failed", "skipped"]


@dataclass(frozen=True)
class Job:
    name: str
    run: JobFunction
    trigger: BaseTrigger
    # A job that polls every few seconds records only the runs that did something: an idle run
    # returns None, and a run skipped for another replica's lock is not worth a row either.
    quiet: bool = False

    @property
    def lock_key(self) -> int:
        # A stable signed 64-bit key per job name, the type pg advisory locks take.
        return int.from_bytes(hashlib.sha256(self.name.encode()).digest()[:8], "big", signed=True)


REGISTRY: tuple[Job, ...] = (
    Job(
        name="agencies.mark_expired_cma",
        run=agencies.mark_expired_cma,
        trigger=CronTrigger(hour=0, minute=15, timezone=BUSINESS_TIMEZONE),
    ),
    Job(
        name=results.NAME,
        run=results.finalise_lapsed,
        trigger=CronTrigger(hour=0, minute=5, timezone=BUSINESS_TIMEZONE),
    ),
    Job(
        name=rectification.NAME,
        run=rectification.raise_overdue_deadlines,
        trigger=CronTrigger(hour=0, minute=45, timezone=BUSINESS_TIMEZONE),
    ),
    Job(
        name=blacklist.NAME,
        run=blacklist.expire_listings,
        # Before the credit job, which then sees the enterprise off the list.
        trigger=CronTrigger(hour=0, minute=30, timezone=BUSINESS_TIMEZONE),
    ),
    Job(
        name=releases.NAME,
        run=releases.publish_monthly,
        trigger=releases.monthly_trigger(BUSINESS_TIMEZONE),
    ),
    Job(
        name=credit.NAME,
        run=credit.recompute_due,
        # Hourly, the first run after the results and rectification jobs of the night.
        trigger=CronTrigger(minute=55, timezone=BUSINESS_TIMEZONE),
    ),
    Job(
        name=joint_punishment.NAME,
        run=joint_punishment.prune_changes,
        trigger=CronTrigger(hour=2, minute=30, timezone=BUSINESS_TIMEZONE),
    ),
    Job(
        name=stats.NAME,
        run=stats.settle_rollup,
        trigger=CronTrigger(hour=1, minute=10, timezone=BUSINESS_TIMEZONE),
    ),
    Job(
        name=webhooks.NAME,
        run=webhooks.deliver,
        trigger=IntervalTrigger(seconds=webhooks.INTERVAL_SECONDS),
        quiet=True,
    ),
)


def job_named(name: str) -> Job:
    for job in REGISTRY:
        if job.name == name:
            return job
    raise KeyError(name)


async def _record(
    maker: async_sessionmaker[AsyncSession],
    job: Job,
    started: datetime,
    status: RunStatus,
    detail: str | None,
) -> None:
    async with maker() as session:
        session.add(
            JobRun(
                job_name=job.name,
                started_at=started,
                finished_at=utcnow(),
                status=status,
                detail=detail,
            )
        )
        await commit(session)


async def run_job(maker: async_sessionmaker[AsyncSession], job: Job) -> RunStatus:
    """Run `job` once unless another process is running it; record the outcome."""
    started = utcnow()
    status: RunStatus
    detail: str | None
    try:
        async with maker() as session:
            locked = (
                await session.exec(
                    text("SELECT pg_try_advisory_xact_lock(:key)"),  # type: ignore[call-overload]
                    params={"key": job.lock_key},
                )
            ).scalar_one()
            if not locked:
                status, detail = "skipped", "another process holds the job lock"
            else:
                detail = await job.run(session)
                await commit(session)
                status = "ok"
    except Exception as exc:  # a job failure is recorded, never propagated into the scheduler
        log.exception("job %s failed", job.name)
        status, detail = "failed", f"{type(exc).__name__}: {exc}"[:2000]
    if job.quiet and (status == "skipped" or (status == "ok" and detail is None)):
        return status
    await _record(maker, job, started, status, detail)
    return status


def start_scheduler(maker: async_sessionmaker[AsyncSession]) -> AsyncIOScheduler:
    scheduler = AsyncIOScheduler(timezone=BUSINESS_TIMEZONE)
    for job in REGISTRY:
        scheduler.add_job(
            run_job,
            job.trigger,
            args=(maker, job),
            id=job.name,
            coalesce=True,
            max_instances=1,
            misfire_grace_time=3600,
        )
    scheduler.start()
    return scheduler
