"""The public blacklist (`GET /public/blacklist`, no key): the listings in force now — nothing of
a procedure still running (proposed, noticed, awaiting consent) or dropped, nothing removed.

Pages follow the changes-feed number of the listing, newest first: it is unique, indexed with the
state, and fixed once a listing takes effect, so pages stay stable while listings are added."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select as sa_select
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from models.blacklist import Listing, ListingState
from models.enterprise import Enterprise
from models.reference import Department
from models.releases_api import PublicListingRead
from service.directory.reference import regions_inside, require_region
from service.errors import InvalidInput
from service.pagination import PageRequest, PageResult, decode_cursor, encode_cursor


@dataclass(frozen=True)
class PublicListFilter:
    region_code: str | None = None


def _after(cursor: str) -> int:
    last = decode_cursor(cursor)
    if not isinstance(last, int) or isinstance(last, bool):
        raise InvalidInput("pagination.cursor_invalid", "the cursor is not one we issued")
    return last


async def list_public_blacklist(
    session: AsyncSession, filters: PublicListFilter, page: PageRequest, *, today: date
) -> PageResult[PublicListingRead]:
    statement: Any = (
        sa_select(
            col(Listing.id),
            col(Listing.listed_seq),
            col(Listing.enterprise_uscc),
            col(Enterprise.name).label("enterprise_name"),
            col(Enterprise.region_code),
            col(Listing.listed_on),
            col(Listing.ends_on),
            col(Listing.reason),
            col(Listing.legal_basis),
            col(Listing.department_code),
            col(Department.name).label("department_name"),
            col(Listing.decision_reference),
        )
        .join(Enterprise, col(Enterprise.uscc) == col(Listing.enterprise_uscc))
        .join(Department, col(Department.code) == col(Listing.department_code))
        .where(col(Listing.state) == ListingState.LISTED.value, col(Listing.listed_on) <= today)
    )
    if filters.region_code is not None:
        region = await require_region(session, filters.region_code)
        statement = statement.where(col(Enterprise.region_code).in_(regions_inside(region.path)))
    if page.cursor is not None:
        statement = statement.where(col(Listing.listed_seq) < _after(page.cursor))
    statement = statement.order_by(col(Listing.listed_seq).desc()).limit(page.limit + 1)
    rows = (await session.exec(statement)).all()
    items = [
        PublicListingRead(
            listing_id=row.id,
            uscc=row.enterprise_uscc,
            enterprise_name=row.enterprise_name,
            region_code=row.region_code,
            listed_on=row.listed_on,
            ends_on=row.ends_on,
            reason=row.reason,
            legal_basis=row.legal_basis,
            department_code=row.department_code,
            department_name=row.department_name,
            decision_reference=row.decision_reference,
        )
        for row in rows[: page.limit]
    ]
    next_cursor = encode_cursor(rows[page.limit - 1].listed_seq) if len(rows) > page.limit else None
    return PageResult(items=items, next_cursor=next_cursor)
