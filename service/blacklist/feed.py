"""The changes feed (变更流) departments follow with `GET /joint-punishment/changes?since=`.

Every listing, removal and update gets the next number of the feed in the transaction that makes
it. The number comes from updating the feed's head row, which the writer then holds until it
commits: a second writer waits, so numbers become visible in order and without gaps, and a
reader that has seen N never later finds a smaller number appear. Listings are decided by hand,
a few a day, so writers queueing on one row costs nothing."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models.blacklist import ChangeKind, FeedHead, Listing, ListingChange
from models.enterprise import Enterprise
from service.canonical import plain
from service.webhooks import outbox

FEED = "listing_changes"


async def take_next_seq(session: AsyncSession) -> int:
    """The next feed number; the head row stays locked until the transaction ends."""
    result = await session.exec(
        update(FeedHead)
        .where(col(FeedHead.name) == FEED)
        .values(seq=col(FeedHead.seq) + 1)
        .returning(col(FeedHead.seq))
    )
    return int(result.scalar_one())


async def head(session: AsyncSession) -> int:
    """The last committed feed number (as this transaction sees it)."""
    seq = (await session.exec(select(FeedHead.seq).where(col(FeedHead.name) == FEED))).one()
    return int(seq)


def department_view(listing: Listing, enterprise_name: str) -> dict[str, Any]:
    """A listing as departments see it in the feed, the list and webhooks."""
    view: dict[str, Any] = plain(
        {
            "listing_id": listing.id,
            "uscc": listing.enterprise_uscc,
            "enterprise_name": enterprise_name,
            "state": listing.state,
            "listed_on": listing.listed_on,
            "ends_on": listing.ends_on,
            "removed_on": listing.removed_on,
            "removal_reason": listing.removal_reason,
            "reason": listing.reason,
            "legal_basis": listing.legal_basis,
            "department_code": listing.department_code,
            "decision_reference": listing.decision_reference,
        }
    )
    return view


async def record_change(
    session: AsyncSession, listing: Listing, kind: ChangeKind, *, on: date
) -> ListingChange:
    """Number the change, write it to the feed and to the webhook outbox, in the caller's
    transaction."""
    enterprise = await session.get(Enterprise, listing.enterprise_uscc)
    name = enterprise.name if enterprise is not None else ""
    seq = await take_next_seq(session)
    if kind is ChangeKind.LISTED:
        listing.listed_seq = seq
    elif kind is ChangeKind.REMOVED:
        listing.removed_seq = seq
    payload = department_view(listing, name)
    change = ListingChange(
        seq=seq,
        kind=kind.value,
        listing_id=listing.id,
        enterprise_uscc=listing.enterprise_uscc,
        payload=payload,
    )
    session.add(change)
    await outbox.enqueue(
        session,
        f"listing.{kind.value}",
        {"seq": seq, "kind": kind.value, "on": on.isoformat(), "listing": payload},
        message_id=f"msg_listing_{seq}",
    )
    return change
