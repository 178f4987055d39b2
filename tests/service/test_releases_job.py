"""The monthly release job: registered to run on the configured day at 01:00 business time,
it publishes the next release, and a second run the same day publishes nothing more."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from jobs import releases as release_job
from jobs.scheduler import job_named, run_job
from models.blacklist import Release
from models.system import JobRun
from service.blacklist.config import get_blacklist_settings
from tests.factories import make_listing

SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture(autouse=True)
def signing_key_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    path = tmp_path / "release-signing-key.pem"
    monkeypatch.setenv("QCS_BLACKLIST_SIGNING_KEY_FILE", str(path))
    get_blacklist_settings.cache_clear()
    yield path
    get_blacklist_settings.cache_clear()


def test_the_job_is_registered_monthly_at_one_in_the_morning() -> None:
    job = job_named(release_job.NAME)
    after = datetime(2026, 5, 2, 12, 0, tzinfo=SHANGHAI)
    day = get_blacklist_settings().release_day_of_month
    assert job.trigger.get_next_fire_time(None, after) == datetime(
        2026, 6, day, 1, 0, tzinfo=SHANGHAI
    )


async def test_the_job_publishes_the_release_once_a_day(
    sessionmaker: async_sessionmaker[AsyncSession], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("service.clock.today", lambda: date(2026, 6, 1))
    async with sessionmaker() as session:
        listing = await make_listing(session, listed_on=date(2026, 4, 1))
    job = job_named(release_job.NAME)

    assert await run_job(sessionmaker, job) == "ok"
    assert await run_job(sessionmaker, job) == "ok"

    async with sessionmaker() as session:
        published = (await session.exec(select(Release))).all()
        runs = (
            await session.exec(
                select(JobRun).where(col(JobRun.job_name) == job.name).order_by(col(JobRun.id))
            )
        ).all()
    assert [r.number for r in published] == [1]
    release = published[0]
    assert (release.as_of, release.published_by) == (date(2026, 6, 1), f"job:{job.name}")
    assert [e["listing_id"] for e in json.loads(release.canonical)["active"]] == [str(listing.id)]
    assert runs[0].detail == "published release 1: 1 active, 1 added, 0 removed"
    assert runs[1].detail == "release 1 was already published on 2026-06-01"
