"""The changes feed under concurrent writers: many transactions list and remove at once while a
reader follows the feed page by page; what the reader collects is every change exactly once,
numbered 1…head with no gap, in order."""

from __future__ import annotations

import asyncio
from datetime import date, timedelta

import pytest
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from jobs import joint_punishment as joint_punishment_job
from models.base import utcnow
from models.blacklist import Listing, ListingChange
from service.blacklist.config import get_blacklist_settings
from service.db import commit
from service.joint_punishment import changes
from tests.factories import make_listing, remove_listing


async def test_no_gaps_and_no_duplicates_across_concurrent_writes(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    async with sessionmaker() as session:
        to_remove = [await make_listing(session) for _ in range(5)]

    async def list_one() -> None:
        async with sessionmaker() as session:
            await make_listing(session)

    async def remove_one(listing: Listing) -> None:
        async with sessionmaker() as session:
            mine = await session.get(Listing, listing.id)
            assert mine is not None
            await remove_listing(session, mine, on=date(2026, 5, 20))

    collected: list[tuple[int, str, str]] = []
    writing = True

    async def follow() -> None:
        since = 0
        while True:
            # Read the flag before the page: a page read after the writers finished is final.
            finished = not writing
            async with sessionmaker() as session:
                page = await changes.changes_since(session, since, limit=3)
            collected.extend((c.seq, c.kind, str(c.listing_id)) for c in page.items)
            since = page.next_since
            if finished and since == page.head:
                return
            await asyncio.sleep(0)

    async def write() -> None:
        nonlocal writing
        await asyncio.gather(
            *(list_one() for _ in range(10)), *(remove_one(listing) for listing in to_remove)
        )
        writing = False

    await asyncio.gather(follow(), write())

    async with sessionmaker() as session:
        listings = (await session.exec(select(Listing))).all()
    expected = {(listing.listed_seq, "listed", str(listing.id)) for listing in listings} | {
        (listing.removed_seq, "removed", str(listing.id))
        for listing in listings
        if listing.removed_seq is not None
    }
    seqs = [seq for seq, _, _ in collected]
    assert seqs == list(range(1, len(expected) + 1))
    assert set(collected) == expected
    assert len(expected) == 15 + 5


async def test_the_prune_job_drops_only_rows_older_than_the_retention(
    sessionmaker: async_sessionmaker[AsyncSession], monkeypatch: pytest.MonkeyPatch
) -> None:
    async with sessionmaker() as session:
        await make_listing(session)
    async with sessionmaker() as session:
        assert await joint_punishment_job.prune_changes(session) == "pruned 0 changes-feed rows"
        await commit(session)
    later = utcnow() + timedelta(days=get_blacklist_settings().changes_retention_days + 1)
    monkeypatch.setattr("jobs.joint_punishment.utcnow", lambda: later)
    async with sessionmaker() as session:
        assert await joint_punishment_job.prune_changes(session) == "pruned 1 changes-feed rows"
        await commit(session)
        assert (await session.exec(select(ListingChange))).all() == []
