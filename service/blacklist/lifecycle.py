"""The two moments every department hears about: a listing takes effect (列入) and a listing ends
(移出). Both write the changes feed and the webhook outbox, the domain event log, the audit trail,
and recompute the enterprise's credit (a listed enterprise is grade D) — all in the caller's
transaction, so a department never sees a listing the credit file does not show."""

from __future__ import annotations

from datetime import date

from sqlmodel.ext.asyncio.session import AsyncSession

from models.base import utcnow
from models.blacklist import ChangeKind, Listing, ListingState, RemovalReason
from service import audit, events
from service.blacklist import feed
from service.blacklist.config import BlacklistSettings, get_blacklist_settings
from service.credit import standing
from service.six_month_rule import add_months
from service.work_calendar import CalendarNotCovered, load_calendar


def _record(session: AsyncSession, listing: Listing, action: str, actor: str) -> None:
    listing.updated_at = utcnow()
    audit.record(
        session,
        actor=actor,
        action=f"listing.{action}",
        entity_type="listing",
        entity_id=str(listing.id),
        state={
            "state": listing.state,
            "enterprise_uscc": listing.enterprise_uscc,
            "listed_on": listing.listed_on,
            "ends_on": listing.ends_on,
            "removed_on": listing.removed_on,
            "removal_reason": listing.removal_reason,
        },
    )


async def take_effect(
    session: AsyncSession,
    listing: Listing,
    *,
    on: date,
    actor: str,
    settings: BlacklistSettings | None = None,
) -> None:
    """The listing is in force from `on` for the configured term."""
    settings = settings or get_blacklist_settings()
    listing.state = ListingState.LISTED.value
    listing.listed_on = on
    listing.term_months = settings.term_months
    listing.ends_on = add_months(on, settings.term_months)
    await session.flush()
    await feed.record_change(session, listing, ChangeKind.LISTED, on=on)
    events.emit(
        session,
        "listing.listed",
        entity_type="listing",
        entity_id=listing.id,
        enterprise_uscc=listing.enterprise_uscc,
        payload={"listed_on": on, "ends_on": listing.ends_on},
    )
    _record(session, listing, "listed", actor)
    await standing.recompute(
        session, [listing.enterprise_uscc], today=on, trigger=f"listing:{listing.id}", actor=actor
    )


async def remove(
    session: AsyncSession,
    listing: Listing,
    *,
    on: date,
    reason: RemovalReason,
    note: str | None,
    actor: str,
    settings: BlacklistSettings | None = None,
) -> None:
    """The listing ends on `on` (that day the enterprise is off the list). The departments that
    applied a measure owe a `lifted` feedback within the configured working days; when the
    calendar does not cover that year yet the day stays open and is computed when read, because
    an expiry must never wait for a calendar."""
    settings = settings or get_blacklist_settings()
    listing.state = ListingState.REMOVED.value
    listing.removed_on = on
    listing.removal_reason = reason.value
    listing.removal_note = note
    try:
        calendar = await load_calendar(session)
        listing.lift_due_on = calendar.add_working_days(on, settings.lift_working_days)
    except CalendarNotCovered:
        listing.lift_due_on = None
    await session.flush()
    await feed.record_change(session, listing, ChangeKind.REMOVED, on=on)
    events.emit(
        session,
        "listing.removed",
        entity_type="listing",
        entity_id=listing.id,
        enterprise_uscc=listing.enterprise_uscc,
        payload={"removed_on": on, "reason": reason.value, "lift_due_on": listing.lift_due_on},
    )
    _record(session, listing, "removed", actor)
    await standing.recompute(
        session,
        [listing.enterprise_uscc],
        today=on,
        trigger=f"listing_removed:{listing.id}",
        actor=actor,
    )
