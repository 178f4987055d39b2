"""`GET /joint-punishment/changes?since=SEQ`: the feed after a number the client holds, and the
pruning of rows older than the retention.

The page is bounded by the head read first, so it never reaches past the `head` it reports; the
writers' numbering (`service.blacklist.feed`) makes every number up to the head visible, so a
page has no gaps. A client whose `since` falls before the oldest retained row has missed changes
that are gone: it gets a 410 and resyncs from the list. A `since` beyond the head is a number
the feed never gave out — a client bug, answered with 422 rather than an empty page that would
hide it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models.blacklist import ListingChange
from service.blacklist import feed
from service.blacklist.config import get_blacklist_settings
from service.errors import Gone, InvalidInput


@dataclass(frozen=True)
class ChangesAnswer:
    items: list[ListingChange]
    next_since: int
    head: int


async def changes_since(session: AsyncSession, since: int, limit: int) -> ChangesAnswer:
    head = await feed.head(session)
    if since > head:
        raise InvalidInput(
            "changes.since_ahead",
            f"the feed has handed out numbers up to {head}; {since} was never given out",
            head=head,
        )
    oldest = (await session.exec(select(func.min(ListingChange.seq)))).one()
    first_retained = head + 1 if oldest is None else int(oldest)
    if since < first_retained - 1:
        raise Gone(
            "changes.since_expired",
            f"changes after {since} are no longer kept (the oldest kept is {first_retained}); "
            "resync from GET /api/v1/joint-punishment/list and follow the feed from its "
            "snapshot_seq",
            oldest_seq=first_retained,
            head=head,
        )
    items = list(
        (
            await session.exec(
                select(ListingChange)
                .where(col(ListingChange.seq) > since, col(ListingChange.seq) <= head)
                .order_by(col(ListingChange.seq))
                .limit(limit)
            )
        ).all()
    )
    return ChangesAnswer(items, items[-1].seq if items else since, head)


async def prune(session: AsyncSession, *, now: datetime) -> int:
    """Drop feed rows older than the retention; returns how many. The webhook outbox keeps its
    own copies, and the listings themselves are never deleted."""
    cutoff = now - timedelta(days=get_blacklist_settings().changes_retention_days)
    result = await session.exec(delete(ListingChange).where(col(ListingChange.at) < cutoff))
    return int(result.rowcount)
