"""Blacklist candidates for a regulator (`GET /blacklist/candidates`): the enterprises of its
region whose credit file meets the criteria today and that have no procedure or listing open."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import exists, or_
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models.blacklist import OPEN_STATES, Listing
from models.credit import CreditEvent, CreditEventType, EventStatus
from models.enterprise import Enterprise
from service.auth import Principal
from service.blacklist import criteria
from service.blacklist.config import BlacklistSettings, get_blacklist_settings
from service.directory.reference import regions_inside
from service.pagination import PageRequest, PageResult, decode_cursor, encode_cursor
from service.six_month_rule import add_months

_QUALIFYING = (
    CreditEventType.ADMINISTRATIVE_PENALTY,
    CreditEventType.REFUSAL,
    CreditEventType.FOLLOW_UP_FAILED,
)
_READ = (*_QUALIFYING, CreditEventType.CONFORMING_RESULT, CreditEventType.NONCONFORMING_RESULT)


@dataclass(frozen=True)
class Candidate:
    enterprise: Enterprise
    proposal: criteria.Proposal


def rules_of(settings: BlacklistSettings) -> criteria.Rules:
    return criteria.Rules(
        lookback_months=settings.term_months,
        refusal_correction_days=settings.refusal_correction_days,
    )


def fact_of(event: CreditEvent) -> criteria.Fact:
    details = event.details or {}
    return criteria.Fact(
        id=event.id,
        type=CreditEventType(event.type),
        occurred_on=event.occurred_on,
        reference=event.reference,
        counting=event.status == EventStatus.COUNTING.value,
        severity=event.severity,
        area=details.get("area"),
        round=details.get("round"),
    )


async def used_evidence(session: AsyncSession, usccs: Sequence[str]) -> dict[str, set[uuid.UUID]]:
    """The credit events earlier (closed) listings of these enterprises rested on."""
    rows = (
        await session.exec(
            select(Listing.enterprise_uscc, Listing.evidence).where(
                col(Listing.enterprise_uscc).in_(usccs)
            )
        )
    ).all()
    used: dict[str, set[uuid.UUID]] = {u: set() for u in usccs}
    for uscc, evidence in rows:
        used[uscc].update(uuid.UUID(e["credit_event_id"]) for e in evidence)
    return used


async def proposals_for(
    session: AsyncSession,
    usccs: Sequence[str],
    *,
    today: date,
    settings: BlacklistSettings | None = None,
) -> dict[str, criteria.Proposal]:
    """What the criteria propose for each of `usccs` today (those with nothing are absent)."""
    settings = settings or get_blacklist_settings()
    since = add_months(today, -settings.term_months)
    events = (
        await session.exec(
            select(CreditEvent).where(
                col(CreditEvent.enterprise_uscc).in_(usccs),
                col(CreditEvent.type).in_([t.value for t in _READ]),
                col(CreditEvent.occurred_on) >= since,
            )
        )
    ).all()
    facts: dict[str, list[criteria.Fact]] = {u: [] for u in usccs}
    for event in events:
        facts[event.enterprise_uscc].append(fact_of(event))
    used = await used_evidence(session, usccs)
    found = {}
    for uscc in usccs:
        proposal = criteria.propose(
            facts[uscc], on=today, used=used[uscc], rules=rules_of(settings)
        )
        if proposal is not None:
            found[uscc] = proposal
    return found


async def list_candidates(
    session: AsyncSession, principal: Principal, page: PageRequest, *, today: date
) -> PageResult[Candidate]:
    """Candidates in the principal's region, by USCC. Enterprises with a qualifying kind of
    event are read a page at a time and the criteria decide; a page may hold fewer than
    `limit` candidates while more follow (the cursor says so)."""
    settings = get_blacklist_settings()
    since = add_months(today, -settings.term_months)
    qualifying = exists().where(
        col(CreditEvent.enterprise_uscc) == col(Enterprise.uscc),
        col(CreditEvent.type).in_([t.value for t in _QUALIFYING]),
        col(CreditEvent.status) == EventStatus.COUNTING.value,
        col(CreditEvent.occurred_on) >= since,
        or_(
            col(CreditEvent.type) != CreditEventType.ADMINISTRATIVE_PENALTY.value,
            col(CreditEvent.severity) == "heavier",
        ),
    )
    open_listing = exists().where(
        col(Listing.enterprise_uscc) == col(Enterprise.uscc),
        col(Listing.state).in_([s.value for s in OPEN_STATES]),
    )
    statement = select(Enterprise).where(qualifying, ~open_listing)
    if principal.region_path is not None:
        statement = statement.where(
            col(Enterprise.region_code).in_(regions_inside(principal.region_path))
        )
    if page.cursor is not None:
        last = decode_cursor(page.cursor)
        statement = statement.where(col(Enterprise.uscc) > str(last))
    enterprises = (
        await session.exec(statement.order_by(col(Enterprise.uscc)).limit(page.limit + 1))
    ).all()
    more = len(enterprises) > page.limit
    enterprises = enterprises[: page.limit]
    proposals = await proposals_for(
        session, [e.uscc for e in enterprises], today=today, settings=settings
    )
    items = [Candidate(e, proposals[e.uscc]) for e in enterprises if e.uscc in proposals]
    next_cursor = encode_cursor(enterprises[-1].uscc) if more else None
    return PageResult(items=items, next_cursor=next_cursor)
