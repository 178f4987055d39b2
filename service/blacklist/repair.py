"""Early removal (信用修复, rules §9): after at least a year on the list an enterprise that has
fulfilled the penalty, removed the harm and had no new heavier penalty applies with its
commitment letter (信用承诺书); a regulator of the listing department approves or refuses with
reasons. Approval removes the listing that day.

Expiry (`expire_due`) is the other way off the list: the daily job removes every listing whose
term has ended, on its end day."""

from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models.blacklist import (
    ApplicationState,
    Listing,
    ListingState,
    RemovalApplication,
    RemovalReason,
)
from models.credit import (
    CreditEvent,
    CreditEventType,
    EventStatus,
    PenaltySeverity,
    RepairStatus,
)
from models.listings_api import (
    RemovalApplicationCreate,
    RemovalDecisionCreate,
    RemovalDecisionKind,
)
from models.system import Role
from service import audit
from service.auth import Principal, system_principal
from service.blacklist import lifecycle, procedure
from service.blacklist.config import get_blacklist_settings
from service.errors import Conflict, Forbidden, InvalidInput, NotFound
from service.six_month_rule import add_months


def early_removal_from(listing: Listing) -> date | None:
    """The first day an early-removal application is admissible."""
    if listing.listed_on is None:
        return None
    return add_months(listing.listed_on, get_blacklist_settings().early_removal_after_months)


def _record(session: AsyncSession, principal: Principal, application: RemovalApplication) -> None:
    audit.record(
        session,
        actor=principal.actor,
        action=f"removal_application.{application.state}",
        entity_type="removal_application",
        entity_id=str(application.id),
        state={
            "listing_id": application.listing_id,
            "state": application.state,
            "decision_reason": application.decision_reason,
        },
    )


async def repair_status(session: AsyncSession, uscc: str, *, today: date) -> RepairStatus:
    """Whether and when the enterprise can apply for early removal (shown on /me/credit)."""
    listing = (
        await session.exec(
            select(Listing).where(
                col(Listing.enterprise_uscc) == uscc,
                col(Listing.state) == ListingState.LISTED.value,
            )
        )
    ).first()
    if listing is None:
        return RepairStatus(listed=False, can_apply=False, earliest_on=None, reason="not_listed")
    earliest = early_removal_from(listing)
    pending = (
        await session.exec(
            select(RemovalApplication.id).where(
                col(RemovalApplication.listing_id) == listing.id,
                col(RemovalApplication.state) == ApplicationState.PENDING.value,
            )
        )
    ).first()
    if pending is not None:
        reason = "application_pending"
    elif earliest is not None and today < earliest:
        reason = "too_early"
    else:
        reason = "can_apply"
    return RepairStatus(
        listed=True, can_apply=reason == "can_apply", earliest_on=earliest, reason=reason
    )


async def _new_heavier_penalties(session: AsyncSession, listing: Listing) -> list[str]:
    assert listing.listed_on is not None  # noqa: S101 - only listed listings get here
    rows = await session.exec(
        select(CreditEvent.reference).where(
            col(CreditEvent.enterprise_uscc) == listing.enterprise_uscc,
            col(CreditEvent.type) == CreditEventType.ADMINISTRATIVE_PENALTY.value,
            col(CreditEvent.severity) == PenaltySeverity.HEAVIER.value,
            col(CreditEvent.status) == EventStatus.COUNTING.value,
            col(CreditEvent.occurred_on) > listing.listed_on,
        )
    )
    return list(rows.all())


async def apply(
    session: AsyncSession,
    principal: Principal,
    listing_id: uuid.UUID,
    data: RemovalApplicationCreate,
    *,
    today: date,
) -> RemovalApplication:
    if principal.role is not Role.ENTERPRISE:
        raise Forbidden("auth.role_forbidden", "the listed enterprise applies for removal")
    listing = await procedure.readable_listing(session, principal, listing_id)
    if listing.state != ListingState.LISTED.value:
        raise Conflict("listing.state_conflict", f"the listing is {listing.state}")
    earliest = early_removal_from(listing)
    assert earliest is not None  # noqa: S101 - a listed listing has its day
    if today < earliest:
        raise InvalidInput(
            "removal.too_early",
            f"early removal may be applied for from {earliest}",
            earliest=earliest.isoformat(),
        )
    unmet = [
        name
        for name in ("penalty_fulfilled", "harm_removed", "no_new_heavier_penalty")
        if not getattr(data, name)
    ]
    if unmet:
        raise InvalidInput(
            "removal.conditions_not_met",
            "early removal needs all three conditions met: " + ", ".join(unmet),
            unmet=unmet,
        )
    newer = await _new_heavier_penalties(session, listing)
    if newer:
        raise InvalidInput(
            "removal.new_heavier_penalty",
            "the credit file holds a heavier penalty after the listing",
            references=newer,
        )
    application = RemovalApplication(
        listing_id=listing.id,
        enterprise_uscc=listing.enterprise_uscc,
        filed_on=today,
        penalty_fulfilled=data.penalty_fulfilled,
        harm_removed=data.harm_removed,
        no_new_heavier_penalty=data.no_new_heavier_penalty,
        commitment_letter_reference=data.commitment_letter_reference,
        statement=data.statement,
    )
    session.add(application)
    try:
        async with session.begin_nested():
            await session.flush()
    except IntegrityError:
        raise Conflict(
            "removal.application_pending", "an application for this listing is pending"
        ) from None
    _record(session, principal, application)
    return application


async def decide(
    session: AsyncSession,
    principal: Principal,
    application_id: uuid.UUID,
    data: RemovalDecisionCreate,
    *,
    today: date,
) -> RemovalApplication:
    if principal.role not in (Role.ADMIN, Role.REGULATOR):
        raise Forbidden("listing.role_forbidden", "only a market regulator decides removals")
    application = (
        await session.exec(
            select(RemovalApplication)
            .where(col(RemovalApplication.id) == application_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
    ).first()
    if application is None:
        raise NotFound("removal_application.not_found", f"no application {application_id}")
    listing = await procedure.readable_listing(session, principal, application.listing_id)
    if principal.role is not Role.ADMIN and principal.department_code != listing.department_code:
        raise Forbidden(
            "listing.department_forbidden", f"the listing belongs to {listing.department_code}"
        )
    if application.state != ApplicationState.PENDING.value:
        raise Conflict("removal.already_decided", f"the application is {application.state}")
    application.decided_on = today
    application.decided_by = principal.actor
    application.decision_reason = data.reason
    if data.decision is RemovalDecisionKind.APPROVE:
        application.state = ApplicationState.APPROVED.value
        await session.refresh(listing, with_for_update=True)
        if listing.state != ListingState.LISTED.value:
            raise Conflict("listing.state_conflict", f"the listing is {listing.state}")
        await lifecycle.remove(
            session,
            listing,
            on=today,
            reason=RemovalReason.EARLY_REMOVAL,
            note=data.reason,
            actor=principal.actor,
        )
    else:
        application.state = ApplicationState.REFUSED.value
    _record(session, principal, application)
    return application


async def applications_of(
    session: AsyncSession, principal: Principal, listing_id: uuid.UUID
) -> list[RemovalApplication]:
    listing = await procedure.readable_listing(session, principal, listing_id)
    rows = await session.exec(
        select(RemovalApplication)
        .where(col(RemovalApplication.listing_id) == listing.id)
        .order_by(col(RemovalApplication.created_at))
    )
    return list(rows.all())


async def expire_due(session: AsyncSession, *, today: date, limit: int = 1_000) -> int:
    """Remove every listing whose term ended by `today`, each on its own end day."""
    actor = system_principal("blacklist.expire").actor
    due = (
        await session.exec(
            select(Listing)
            .where(
                col(Listing.state) == ListingState.LISTED.value,
                col(Listing.ends_on) <= today,
            )
            .order_by(col(Listing.ends_on), col(Listing.id))
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
    ).all()
    for listing in due:
        assert listing.ends_on is not None  # noqa: S101 - listed listings have a term
        await lifecycle.remove(
            session,
            listing,
            on=listing.ends_on,
            reason=RemovalReason.EXPIRED,
            note=None,
            actor=actor,
        )
    return len(due)
