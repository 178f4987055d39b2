"""`GET /joint-punishment/list`: the active listings with the measures the caller applies,
pinned to one moment of the changes feed.

The first page takes the feed's head S and writes it into the cursor; every later page shows the
listings active at S (`listed_seq <= S` and not removed at or before S), so a listing added or
removed while a department pages through is neither doubled nor lost — it arrives through the
changes feed after S. Pages are ordered by `listed_seq`, unique because each feed number is one
change of one listing. The ETag names S, the department and the page asked for: a page that
has not changed since the client last read it is answered with 304 and no body."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from sqlmodel import col, or_, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models.blacklist import Listing, ListingState
from models.enterprise import Enterprise
from service.auth import Principal
from service.blacklist import feed
from service.errors import InvalidInput
from service.joint_punishment.measures import measure_refs, measures_for
from service.pagination import PageRequest, decode_cursor, encode_cursor


@dataclass(frozen=True)
class ListAnswer:
    etag: str
    snapshot_seq: int
    # None when the client's copy (If-None-Match) is current.
    items: list[dict[str, Any]] | None
    next_cursor: str | None


def _bad_cursor() -> InvalidInput:
    return InvalidInput("pagination.cursor_invalid", "the cursor is not one we issued")


def _pinned(cursor: str, head: int) -> tuple[int, int]:
    value = decode_cursor(cursor)
    if not isinstance(value, dict) or set(value) != {"s", "after"}:
        raise _bad_cursor()
    snapshot, after = value["s"], value["after"]
    if not all(type(v) is int for v in (snapshot, after)) or not 0 <= after <= snapshot <= head:
        raise _bad_cursor()
    return snapshot, after


def matches(if_none_match: str | None, etag: str) -> bool:
    """RFC 9110 weak comparison against each tag of an If-None-Match header."""
    if if_none_match is None:
        return False
    opaque = etag.removeprefix("W/")
    tags = [tag.strip() for tag in if_none_match.split(",")]
    return any(tag == "*" or tag.removeprefix("W/") == opaque for tag in tags)


async def list_page(
    session: AsyncSession, principal: Principal, page: PageRequest, *, if_none_match: str | None
) -> ListAnswer:
    head = await feed.head(session)
    snapshot, after = (head, 0) if page.cursor is None else _pinned(page.cursor, head)
    measures = await measures_for(session, principal)
    refs = measure_refs(measures)
    # The representation depends on the moment, the page asked for and the measures the
    # department applies (the catalogue may change without a feed entry).
    fingerprint = hashlib.sha256(
        repr((principal.department_code, after, page.limit, [m.code for m in measures])).encode()
    ).hexdigest()[:20]
    etag = f'W/"jp-list-{snapshot}-{fingerprint}"'
    if matches(if_none_match, etag):
        return ListAnswer(etag, snapshot, None, None)

    rows = (
        await session.exec(
            select(Listing, Enterprise.name)
            .join(Enterprise, col(Enterprise.uscc) == col(Listing.enterprise_uscc))
            .where(
                col(Listing.state).in_([ListingState.LISTED.value, ListingState.REMOVED.value]),
                col(Listing.listed_seq) <= snapshot,
                col(Listing.listed_seq) > after,
                or_(col(Listing.removed_seq).is_(None), col(Listing.removed_seq) > snapshot),
            )
            .order_by(col(Listing.listed_seq))
            .limit(page.limit + 1)
        )
    ).all()
    shown = rows[: page.limit]
    items = [
        {
            "listing_id": listing.id,
            "uscc": listing.enterprise_uscc,
            "enterprise_name": name,
            "listed_on": listing.listed_on,
            "ends_on": listing.ends_on,
            "reason": listing.reason,
            "legal_basis": listing.legal_basis,
            "department_code": listing.department_code,
            "decision_reference": listing.decision_reference,
            "measures": refs,
        }
        for listing, name in shown
    ]
    next_cursor = None
    if len(rows) > page.limit:
        next_cursor = encode_cursor({"s": snapshot, "after": shown[-1][0].listed_seq})
    return ListAnswer(etag, snapshot, items, next_cursor)
