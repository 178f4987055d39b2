"""Numbered, signed releases of the blacklist (定期公布, rules §9).

Release N is one canonical JSON document: the complete list active at a changes-feed number S,
the listings added and removed since release N−1 (whose feed numbers lie in (S(N−1), S]), and
the SHA-256 of release N−1's canonical bytes, so the releases form a chain a reader can check
link by link. The UTF-8 bytes of that document are signed with the service's Ed25519 key; the
text itself is stored and served unchanged, so what a reader verifies is exactly what was signed.

Publishing takes a transaction-scoped advisory lock, so two publishers queue and get consecutive
numbers, and holds a share lock on the feed head while it reads: no listing change can commit in
between, so the active list, the additions and the removals all describe the same feed number."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any, cast

from sqlalchemy import ColumnElement, and_, or_
from sqlalchemy.orm import QueryableAttribute, defer
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models.base import utcnow
from models.blacklist import FeedHead, Listing, Release
from models.enterprise import Enterprise
from models.releases_api import ReleaseRead
from models.system import Role
from service import audit
from service.auth import Principal
from service.blacklist import feed, signing
from service.canonical import canonical_json, sha256_hex
from service.errors import Forbidden, InvalidInput, NotFound
from service.locking import lock_for_transaction
from service.pagination import PageRequest, PageResult, decode_cursor, encode_cursor
from service.webhooks import outbox

FORMAT = "qcs-blacklist-release/1"
_LOCK = "blacklist.releases"
# What a release says of each listing: enough for a department to act on it.
ENTRY_FIELDS = (
    "uscc",
    "enterprise_name",
    "listing_id",
    "listed_on",
    "ends_on",
    "reason",
    "legal_basis",
    "department_code",
    "decision_reference",
)
REMOVAL_FIELDS = (*ENTRY_FIELDS, "removed_on", "removal_reason")
PUBLISHER_LEVELS = frozenset({"national", "provincial"})


async def _pin_feed(session: AsyncSession) -> int:
    """The feed head, share-locked until the transaction ends: writers of the feed wait."""
    seq = (
        await session.exec(
            select(FeedHead.seq).where(col(FeedHead.name) == feed.FEED).with_for_update(read=True)
        )
    ).one()
    return int(seq)


async def _entries(
    session: AsyncSession, where: ColumnElement[bool], fields: Sequence[str]
) -> list[dict[str, Any]]:
    rows = (
        await session.exec(
            select(Listing, Enterprise.name)
            .join(Enterprise, col(Enterprise.uscc) == col(Listing.enterprise_uscc))
            .where(where)
            .order_by(col(Listing.listed_seq))
            .execution_options(populate_existing=True)
        )
    ).all()
    entries = []
    for listing, name in rows:
        view = feed.department_view(listing, name)
        entries.append({field: view[field] for field in fields})
    return entries


def active_at(seq: int) -> ColumnElement[bool]:
    """Listings in force at feed number `seq`."""
    return and_(
        col(Listing.listed_seq) <= seq,
        or_(col(Listing.removed_seq).is_(None), col(Listing.removed_seq) > seq),
    )


async def latest(session: AsyncSession) -> Release | None:
    return (
        await session.exec(select(Release).order_by(col(Release.number).desc()).limit(1))
    ).first()


async def publish_release(session: AsyncSession, *, today: date, actor: str) -> Release:
    """Publish the next release of the list as it stands now; `today` is its as-of day."""
    await lock_for_transaction(session, _LOCK)
    up_to = await _pin_feed(session)
    previous = await latest(session)
    number = previous.number + 1 if previous is not None else 1
    since = previous.up_to_seq if previous is not None else 0
    active = await _entries(session, active_at(up_to), ENTRY_FIELDS)
    additions = await _entries(
        session,
        and_(col(Listing.listed_seq) > since, col(Listing.listed_seq) <= up_to),
        ENTRY_FIELDS,
    )
    removals = await _entries(
        session,
        and_(col(Listing.removed_seq) > since, col(Listing.removed_seq) <= up_to),
        REMOVAL_FIELDS,
    )
    published_at = utcnow()
    prev_hash = previous.release_hash if previous is not None else None
    canonical = canonical_json(
        {
            "format": FORMAT,
            "number": number,
            "as_of": today,
            "published_at": published_at,
            "up_to_seq": up_to,
            "prev_release_hash": prev_hash,
            "active": active,
            "additions": additions,
            "removals": removals,
        }
    )
    key = signing.load_key()
    release = Release(
        number=number,
        published_at=published_at,
        as_of=today,
        up_to_seq=up_to,
        canonical=canonical.decode("utf-8"),
        signature=signing.sign(key, canonical),
        release_hash=sha256_hex(canonical),
        prev_release_hash=prev_hash,
        public_key=signing.public_key_b64(key),
        active_count=len(active),
        additions=len(additions),
        removals=len(removals),
        published_by=actor,
    )
    session.add(release)
    await session.flush()
    summary = {
        "number": number,
        "as_of": today.isoformat(),
        "up_to_seq": up_to,
        "release_hash": release.release_hash,
        "prev_release_hash": prev_hash,
        "active_count": release.active_count,
        "additions": release.additions,
        "removals": release.removals,
    }
    audit.record(
        session,
        actor=actor,
        action="release.publish",
        entity_type="release",
        entity_id=str(number),
        state=summary,
    )
    await outbox.enqueue(session, "release.published", summary, message_id=f"msg_release_{number}")
    return release


async def publish_on_demand(session: AsyncSession, principal: Principal, *, today: date) -> Release:
    """An unscheduled release: the list is published by provincial and national regulators."""
    if principal.role is not Role.ADMIN and principal.department_level not in PUBLISHER_LEVELS:
        raise Forbidden(
            "release.publisher_level",
            "releases are published by provincial or national market regulators",
        )
    return await publish_release(session, today=today, actor=principal.actor)


async def get_release(session: AsyncSession, number: int) -> Release:
    release = await session.get(Release, number)
    if release is None:
        raise NotFound("release.not_found", f"no release {number}")
    return release


async def get_latest(session: AsyncSession) -> Release:
    release = await latest(session)
    if release is None:
        raise NotFound("release.not_found", "no release has been published yet")
    return release


async def list_releases(session: AsyncSession, page: PageRequest) -> PageResult[Release]:
    """Releases newest first, without their signed text."""
    # The signed text is the bulk of a release; a summary that touched it would raise.
    canonical = cast(QueryableAttribute[str], Release.canonical)
    statement = select(Release).options(defer(canonical, raiseload=True))
    if page.cursor is not None:
        last = decode_cursor(page.cursor)
        if not isinstance(last, int) or isinstance(last, bool):
            raise InvalidInput("pagination.cursor_invalid", "the cursor is not one we issued")
        statement = statement.where(col(Release.number) < last)
    rows = (
        await session.exec(statement.order_by(col(Release.number).desc()).limit(page.limit + 1))
    ).all()
    items = rows[: page.limit]
    next_cursor = encode_cursor(items[-1].number) if len(rows) > page.limit else None
    return PageResult(items=items, next_cursor=next_cursor)


def release_read(release: Release) -> ReleaseRead:
    return ReleaseRead(
        number=release.number,
        as_of=release.as_of,
        published_at=release.published_at,
        up_to_seq=release.up_to_seq,
        release_hash=release.release_hash,
        prev_release_hash=release.prev_release_hash,
        active_count=release.active_count,
        additions=release.additions,
        removals=release.removals,
        canonical=release.canonical,
        signature=release.signature,
        algorithm=signing.ALGORITHM,
        public_key=release.public_key,
    )
