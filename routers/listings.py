"""The blacklist procedure: /blacklist/candidates, /listings (open, notice, statement, decision,
consent, revocation), /listings/{id}/removal-applications and /removal-applications/{id}/decision
(early removal), /me/listings (the enterprise's own). Department keys read the list through the
joint-punishment API and can never write here."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, status

from models.blacklist import Listing, ListingState
from models.common import Page, Text
from models.listings_api import (
    CandidateRead,
    ConsentCreate,
    DecisionCreate,
    EvidenceRead,
    ListingCreate,
    ListingRead,
    NoticeCreate,
    RemovalApplicationCreate,
    RemovalApplicationRead,
    RemovalDecisionCreate,
    RevocationCreate,
    StatementCreate,
)
from models.system import Role
from routers.deps import PageDep
from service import clock
from service.auth import EnterprisePrincipal, Principal, RegulatorPrincipal, require_roles
from service.blacklist import candidates, procedure, repair
from service.db import SessionDep, UnitOfWorkRoute

router = APIRouter(tags=["blacklist"], route_class=UnitOfWorkRoute)

ListingReader = Annotated[Principal, require_roles(Role.ADMIN, Role.REGULATOR, Role.ENTERPRISE)]


def _read(listing: Listing) -> ListingRead:
    read = ListingRead.model_validate(listing)
    read.early_removal_from = repair.early_removal_from(listing)
    return read


@router.get("/blacklist/candidates", response_model=Page[CandidateRead])
async def list_candidates(
    session: SessionDep, principal: RegulatorPrincipal, page: PageDep
) -> Page[CandidateRead]:
    """Enterprises of the caller's region the listing criteria propose today, with the
    evidence. A page may hold fewer than `limit` items while `next_cursor` says more follow."""
    found = await candidates.list_candidates(session, principal, page, today=clock.today())
    return Page(
        items=[
            CandidateRead(
                uscc=c.enterprise.uscc,
                enterprise_name=c.enterprise.name,
                region_code=c.enterprise.region_code,
                criteria_version=c.proposal.version,
                criteria=[k.value for k in c.proposal.criteria],
                reason=c.proposal.reason,
                legal_basis=c.proposal.legal_basis,
                evidence=[EvidenceRead.model_validate(e.record()) for e in c.proposal.evidence],
            )
            for c in found.items
        ],
        next_cursor=found.next_cursor,
    )


@router.post("/listings", status_code=status.HTTP_201_CREATED)
async def open_listing(
    session: SessionDep, principal: RegulatorPrincipal, body: ListingCreate
) -> ListingRead:
    """Open the listing procedure for a candidate (state `proposed`)."""
    return _read(await procedure.propose(session, principal, body, today=clock.today()))


@router.get("/listings", response_model=Page[ListingRead])
async def list_listings(
    session: SessionDep,
    principal: ListingReader,
    page: PageDep,
    state: ListingState | None = None,
    uscc: Annotated[Text | None, Query(min_length=1, max_length=40)] = None,
) -> Page[ListingRead]:
    found = await procedure.list_listings(session, principal, page, state=state, uscc=uscc)
    return Page(items=[_read(listing) for listing in found.items], next_cursor=found.next_cursor)


@router.get("/me/listings", response_model=Page[ListingRead])
async def my_listings(
    session: SessionDep, principal: EnterprisePrincipal, page: PageDep
) -> Page[ListingRead]:
    """The caller's own procedures and listings: notices with their statement window, decisions,
    the day early removal becomes admissible."""
    found = await procedure.list_listings(session, principal, page)
    return Page(items=[_read(listing) for listing in found.items], next_cursor=found.next_cursor)


@router.get("/listings/{listing_id}")
async def get_listing(
    session: SessionDep, principal: ListingReader, listing_id: uuid.UUID
) -> ListingRead:
    return _read(await procedure.readable_listing(session, principal, listing_id))


@router.post("/listings/{listing_id}/notice")
async def serve_notice(
    session: SessionDep, principal: RegulatorPrincipal, listing_id: uuid.UUID, body: NoticeCreate
) -> ListingRead:
    """Serve the written notice; the enterprise's statement window starts the next day."""
    listing = await procedure.serve_notice(
        session, principal, listing_id, body, today=clock.today()
    )
    return _read(listing)


@router.post("/listings/{listing_id}/statement")
async def submit_statement(
    session: SessionDep,
    principal: EnterprisePrincipal,
    listing_id: uuid.UUID,
    body: StatementCreate,
) -> ListingRead:
    """The enterprise's statement or hearing request, inside the window."""
    listing = await procedure.submit_statement(
        session, principal, listing_id, body, today=clock.today()
    )
    return _read(listing)


@router.post("/listings/{listing_id}/decision")
async def decide(
    session: SessionDep,
    principal: RegulatorPrincipal,
    listing_id: uuid.UUID,
    body: DecisionCreate,
) -> ListingRead:
    """List or drop, after the statement window. County and municipal listings then wait for
    the next level's consent."""
    listing = await procedure.decide(session, principal, listing_id, body, today=clock.today())
    return _read(listing)


@router.post("/listings/{listing_id}/consent")
async def consent(
    session: SessionDep,
    principal: RegulatorPrincipal,
    listing_id: uuid.UUID,
    body: ConsentCreate,
) -> ListingRead:
    listing = await procedure.consent(session, principal, listing_id, body, today=clock.today())
    return _read(listing)


@router.post("/listings/{listing_id}/revocation")
async def revoke(
    session: SessionDep,
    principal: RegulatorPrincipal,
    listing_id: uuid.UUID,
    body: RevocationCreate,
) -> ListingRead:
    """The penalty the listing rests on was revoked: remove the listing from today."""
    listing = await procedure.revoke(session, principal, listing_id, body, today=clock.today())
    return _read(listing)


@router.post("/listings/{listing_id}/removal-applications", status_code=status.HTTP_201_CREATED)
async def apply_for_removal(
    session: SessionDep,
    principal: EnterprisePrincipal,
    listing_id: uuid.UUID,
    body: RemovalApplicationCreate,
) -> RemovalApplicationRead:
    """Early removal (credit repair), after at least a year on the list."""
    application = await repair.apply(session, principal, listing_id, body, today=clock.today())
    return RemovalApplicationRead.model_validate(application)


@router.get("/listings/{listing_id}/removal-applications")
async def list_removal_applications(
    session: SessionDep, principal: ListingReader, listing_id: uuid.UUID
) -> list[RemovalApplicationRead]:
    found = await repair.applications_of(session, principal, listing_id)
    return [RemovalApplicationRead.model_validate(a) for a in found]


@router.post("/removal-applications/{application_id}/decision")
async def decide_removal(
    session: SessionDep,
    principal: RegulatorPrincipal,
    application_id: uuid.UUID,
    body: RemovalDecisionCreate,
) -> RemovalApplicationRead:
    application = await repair.decide(session, principal, application_id, body, today=clock.today())
    return RemovalApplicationRead.model_validate(application)
