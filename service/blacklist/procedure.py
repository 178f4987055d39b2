"""The listing procedure (列入程序, rules §9): a regulator opens it for a candidate, serves the
written notice, the enterprise has 5 working days for a statement or a hearing request, then the
regulator decides; a county or municipal decision waits for the consent of the next level's
market regulator. A listing whose penalty is revoked is removed. Every step is audited and in
the event log; nothing is deleted.

    proposed → noticed → listed | awaiting_consent → listed | dropped
                       ↘ dropped                    listed → removed"""

from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models.base import utcnow
from models.blacklist import OPEN_STATES, Listing, ListingState, RemovalReason
from models.enterprise import Enterprise
from models.listings_api import (
    ConsentCreate,
    DecisionCreate,
    DecisionKind,
    ListingCreate,
    NoticeCreate,
    RevocationCreate,
    StatementCreate,
)
from models.reference import Department, Region
from models.system import Role
from service import audit, events
from service.auth import Principal
from service.blacklist import candidates, lifecycle
from service.blacklist.config import get_blacklist_settings
from service.directory.enterprises import get_enterprise
from service.directory.reference import regions_inside
from service.errors import Conflict, Forbidden, InvalidInput, NotFound
from service.pagination import PageRequest, PageResult, keyset_page
from service.work_calendar import load_calendar

_OPEN = [s.value for s in OPEN_STATES]
# Decisions at these levels need the next level's consent (SAMR Order 44).
_NEEDS_CONSENT = frozenset({"county", "municipal"})


def _record(
    session: AsyncSession, principal: Principal, listing: Listing, step: str, **extra: object
) -> None:
    listing.updated_at = utcnow()
    audit.record(
        session,
        actor=principal.actor,
        action=f"listing.{step}",
        entity_type="listing",
        entity_id=str(listing.id),
        state={"state": listing.state, "enterprise_uscc": listing.enterprise_uscc, **extra},
    )
    events.emit(
        session,
        f"listing.{step}",
        entity_type="listing",
        entity_id=listing.id,
        enterprise_uscc=listing.enterprise_uscc,
        payload={"state": listing.state, **extra},
    )


async def _region_path(session: AsyncSession, code: str) -> str:
    region = await session.get(Region, code)
    return region.path if region is not None else code


async def _acting_department(session: AsyncSession, principal: Principal) -> Department:
    if principal.role is not Role.REGULATOR or principal.department_code is None:
        raise Forbidden("listing.role_forbidden", "only a market regulator's key acts on listings")
    department = await session.get(Department, principal.department_code)
    if department is None or not department.is_market_regulator:
        raise Forbidden("listing.role_forbidden", "only a market regulator's key acts on listings")
    return department


async def _enterprise_in_scope(session: AsyncSession, principal: Principal, uscc: str) -> str:
    enterprise = await get_enterprise(session, principal, uscc)
    if not principal.covers_region(await _region_path(session, enterprise.region_code)):
        raise Forbidden(
            "scope.region_forbidden",
            f"enterprise {enterprise.uscc} is outside the region of {principal.department_code}",
        )
    return enterprise.uscc


async def readable_listing(
    session: AsyncSession, principal: Principal, listing_id: uuid.UUID
) -> Listing:
    """A listing as the principal may see it: its own for an enterprise, those of enterprises
    in their region for regulators; anything else is a 404, like an unknown id."""
    listing = await session.get(Listing, listing_id)
    if listing is None:
        raise NotFound("listing.not_found", f"no listing {listing_id}")
    if principal.role is Role.ADMIN:
        return listing
    if principal.role is Role.ENTERPRISE:
        if listing.enterprise_uscc != principal.enterprise_uscc:
            raise NotFound("listing.not_found", f"no listing {listing_id}")
        return listing
    enterprise = await get_enterprise(session, principal, listing.enterprise_uscc)
    if principal.role is Role.REGULATOR and principal.covers_region(
        await _region_path(session, enterprise.region_code)
    ):
        return listing
    raise NotFound("listing.not_found", f"no listing {listing_id}")


async def _for_update(
    session: AsyncSession, principal: Principal, listing_id: uuid.UUID
) -> Listing:
    await readable_listing(session, principal, listing_id)
    listing = (
        await session.exec(
            select(Listing)
            .where(col(Listing.id) == listing_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
    ).one()
    return listing


def _expect(listing: Listing, *states: ListingState) -> None:
    if listing.state not in {s.value for s in states}:
        raise Conflict(
            "listing.state_conflict",
            f"the listing is {listing.state}; this step needs "
            + " or ".join(s.value for s in states),
            state=listing.state,
        )


def _own_decision(principal: Principal, listing: Listing) -> None:
    if principal.role is not Role.ADMIN and principal.department_code != listing.department_code:
        raise Forbidden(
            "listing.department_forbidden",
            f"the procedure belongs to {listing.department_code}",
        )


async def propose(
    session: AsyncSession, principal: Principal, data: ListingCreate, *, today: date
) -> Listing:
    """Open the procedure for an enterprise the criteria propose today."""
    department = await _acting_department(session, principal)
    uscc = await _enterprise_in_scope(session, principal, data.uscc)
    open_listing = (
        await session.exec(
            select(Listing.id).where(
                col(Listing.enterprise_uscc) == uscc, col(Listing.state).in_(_OPEN)
            )
        )
    ).first()
    if open_listing is not None:
        raise Conflict(
            "listing.already_open",
            f"{uscc} already has an open procedure or listing",
            listing_id=str(open_listing),
        )
    proposal = (await candidates.proposals_for(session, [uscc], today=today)).get(uscc)
    if proposal is None:
        raise InvalidInput(
            "listing.no_qualifying_event",
            f"nothing in the credit file of {uscc} meets the listing criteria today",
        )
    listing = Listing(
        enterprise_uscc=uscc,
        criteria_version=proposal.version,
        criteria=[c.value for c in proposal.criteria],
        evidence=[e.record() for e in proposal.evidence],
        reason=data.reason or proposal.reason,
        legal_basis=data.legal_basis or proposal.legal_basis,
        department_code=department.code,
        proposed_on=today,
        proposed_by=principal.actor,
    )
    session.add(listing)
    try:
        async with session.begin_nested():
            await session.flush()
    except IntegrityError:
        # A concurrent proposal for the same enterprise won the open-listing index.
        raise Conflict("listing.already_open", f"{uscc} already has an open procedure") from None
    _record(session, principal, listing, "proposed", criteria=listing.criteria)
    return listing


async def serve_notice(
    session: AsyncSession,
    principal: Principal,
    listing_id: uuid.UUID,
    data: NoticeCreate,
    *,
    today: date,
) -> Listing:
    """Serve the written notice (告知): the statement window runs from the next day."""
    await _acting_department(session, principal)
    listing = await _for_update(session, principal, listing_id)
    _own_decision(principal, listing)
    _expect(listing, ListingState.PROPOSED)
    settings = get_blacklist_settings()
    calendar = await load_calendar(session)
    listing.state = ListingState.NOTICED.value
    listing.noticed_on = today
    listing.notice_reference = data.notice_reference
    listing.statement_due_on = calendar.add_working_days(today, settings.statement_working_days)
    _record(
        session,
        principal,
        listing,
        "noticed",
        statement_due_on=listing.statement_due_on,
        statement_working_days=settings.statement_working_days,
    )
    return listing


async def submit_statement(
    session: AsyncSession,
    principal: Principal,
    listing_id: uuid.UUID,
    data: StatementCreate,
    *,
    today: date,
) -> Listing:
    """The enterprise's statement (陈述申辩) or hearing request (听证), inside the window."""
    if principal.role is not Role.ENTERPRISE:
        raise Forbidden("auth.role_forbidden", "only the enterprise makes its statement")
    listing = await _for_update(session, principal, listing_id)
    _expect(listing, ListingState.NOTICED)
    assert listing.statement_due_on is not None  # noqa: S101 - set with the notice
    if today > listing.statement_due_on:
        raise Conflict(
            "listing.statement_window_closed",
            f"the statement window ended on {listing.statement_due_on}",
        )
    if listing.statement_on is not None:
        raise Conflict("listing.statement_already_made", "the statement was made already")
    if data.statement is None and not data.hearing_requested:
        raise InvalidInput(
            "listing.statement_empty", "give a statement, request a hearing, or both"
        )
    listing.statement = data.statement
    listing.statement_on = today
    listing.hearing_requested = data.hearing_requested
    _record(session, principal, listing, "statement", hearing_requested=data.hearing_requested)
    return listing


async def _consenting_department(session: AsyncSession, department: Department) -> Department:
    region = await session.get(Region, department.region_code)
    parent = region.parent_code if region is not None else None
    found = (
        await session.exec(
            select(Department).where(
                col(Department.region_code) == parent,
                col(Department.is_market_regulator),
                col(Department.active),
            )
        )
    ).first()
    if found is None:
        raise Conflict(
            "listing.no_consenting_department",
            f"no active market regulator above {department.code} to consent",
        )
    return found


async def decide(
    session: AsyncSession,
    principal: Principal,
    listing_id: uuid.UUID,
    data: DecisionCreate,
    *,
    today: date,
) -> Listing:
    """Decide after the statement window: list (at once, or after the next level's consent)
    or drop."""
    department = await _acting_department(session, principal)
    listing = await _for_update(session, principal, listing_id)
    _own_decision(principal, listing)
    _expect(listing, ListingState.NOTICED)
    assert listing.statement_due_on is not None  # noqa: S101 - set with the notice
    if today <= listing.statement_due_on:
        raise Conflict(
            "listing.statement_window_open",
            f"the enterprise may make its statement until {listing.statement_due_on}",
            statement_due_on=listing.statement_due_on.isoformat(),
        )
    if data.decision is DecisionKind.LIST and listing.hearing_requested:
        if data.hearing_held_on is None:
            raise InvalidInput(
                "listing.hearing_required", "the enterprise asked for a hearing: give its date"
            )
        if not listing.noticed_on or not listing.noticed_on < data.hearing_held_on <= today:
            raise InvalidInput(
                "listing.hearing_date_invalid", "the hearing is after the notice and not later"
            )
    listing.decided_on = today
    listing.decided_by = principal.actor
    listing.decision_reference = data.decision_reference
    listing.decision_reason = data.reason
    listing.hearing_held_on = data.hearing_held_on
    if data.decision is DecisionKind.DROP:
        listing.state = ListingState.DROPPED.value
        listing.dropped_on = today
        listing.drop_reason = data.reason
        _record(session, principal, listing, "dropped", decision_reference=data.decision_reference)
    elif department.level in _NEEDS_CONSENT:
        consenting = await _consenting_department(session, department)
        listing.state = ListingState.AWAITING_CONSENT.value
        listing.consent_department_code = consenting.code
        _record(session, principal, listing, "decided", consent_department=consenting.code)
    else:
        _record(session, principal, listing, "decided", decision_reference=data.decision_reference)
        await lifecycle.take_effect(session, listing, on=today, actor=principal.actor)
    return listing


async def consent(
    session: AsyncSession,
    principal: Principal,
    listing_id: uuid.UUID,
    data: ConsentCreate,
    *,
    today: date,
) -> Listing:
    """The next level's consent (or refusal) to a county or municipal listing decision."""
    await _acting_department(session, principal)
    listing = await _for_update(session, principal, listing_id)
    _expect(listing, ListingState.AWAITING_CONSENT)
    if principal.department_code != listing.consent_department_code:
        raise Forbidden(
            "listing.consent_forbidden",
            f"consent is for {listing.consent_department_code} to give",
        )
    listing.consented_by = principal.actor
    listing.consent_reason = data.reason
    if data.consent:
        listing.consented_on = today
        _record(session, principal, listing, "consented")
        await lifecycle.take_effect(session, listing, on=today, actor=principal.actor)
    else:
        listing.state = ListingState.DROPPED.value
        listing.dropped_on = today
        listing.drop_reason = data.reason
        _record(session, principal, listing, "consent_refused")
    return listing


async def revoke(
    session: AsyncSession,
    principal: Principal,
    listing_id: uuid.UUID,
    data: RevocationCreate,
    *,
    today: date,
) -> Listing:
    """The penalty the listing rests on was revoked: the listing is removed from today."""
    await _acting_department(session, principal)
    listing = await _for_update(session, principal, listing_id)
    _expect(listing, ListingState.LISTED)
    await lifecycle.remove(
        session,
        listing,
        on=today,
        reason=RemovalReason.PENALTY_REVOKED,
        note=data.reason,
        actor=principal.actor,
    )
    return listing


async def list_listings(
    session: AsyncSession,
    principal: Principal,
    page: PageRequest,
    *,
    state: ListingState | None = None,
    uscc: str | None = None,
) -> PageResult[Listing]:
    """Listings of the principal's scope: an enterprise its own, a regulator those of
    enterprises in its region, an admin all."""
    statement = select(Listing)
    if principal.role is Role.ENTERPRISE:
        statement = statement.where(col(Listing.enterprise_uscc) == principal.enterprise_uscc)
    elif principal.role is not Role.ADMIN:
        inside = select(Enterprise.uscc).where(
            col(Enterprise.region_code).in_(regions_inside(principal.region_path))
        )
        statement = statement.where(col(Listing.enterprise_uscc).in_(inside))
    if state is not None:
        statement = statement.where(col(Listing.state) == state.value)
    if uscc is not None:
        statement = statement.where(col(Listing.enterprise_uscc) == uscc.strip().upper())
    return await keyset_page(session, statement, Listing.id, page)  # type: ignore[arg-type]
