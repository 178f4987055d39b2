"""The red list (守信激励名单, rules §10, `GET /public/redlist`, no key): enterprises whose current
recorded quality-credit grade is A, with no listing in force on any day of the last
`redlist_years` years and no nonconforming final result sampled or made final in that time.

Only the public grade is read; the internal risk class is never part of it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import exists, or_
from sqlalchemy import select as sa_select
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from models.blacklist import Listing
from models.credit import CreditScore, CreditStanding, Grade
from models.enterprise import Enterprise
from models.releases_api import RedListEntry
from models.results import Result, Verdict
from service.blacklist.config import BlacklistSettings, get_blacklist_settings
from service.directory.reference import regions_inside, require_region
from service.errors import InvalidInput
from service.pagination import PageRequest, PageResult, decode_cursor, encode_cursor
from service.six_month_rule import add_months


@dataclass(frozen=True)
class RedListFilter:
    region_code: str | None = None


def period_start(today: date, settings: BlacklistSettings) -> date:
    """The first day of the period an enterprise must have stayed clean."""
    return add_months(today, -12 * settings.redlist_years)


def _listed_in_period(since: date, today: date) -> Any:
    # In force on some day of [since, today]: listed by today and not removed before `since`
    # (the removal day itself is off the list).
    return exists().where(
        col(Listing.enterprise_uscc) == col(Enterprise.uscc),
        col(Listing.listed_on).is_not(None),
        col(Listing.listed_on) <= today,
        or_(col(Listing.removed_on).is_(None), col(Listing.removed_on) > since),
    )


def _nonconforming_in_period(since: date) -> Any:
    return exists().where(
        col(Result.enterprise_uscc) == col(Enterprise.uscc),
        col(Result.state) == "final",
        col(Result.verdict) == Verdict.NONCONFORMING.value,
        or_(col(Result.sampled_on) >= since, col(Result.final_on) >= since),
    )


async def list_redlist(
    session: AsyncSession,
    filters: RedListFilter,
    page: PageRequest,
    *,
    today: date,
    settings: BlacklistSettings | None = None,
) -> PageResult[RedListEntry]:
    """Red-list enterprises in USCC order."""
    since = period_start(today, settings or get_blacklist_settings())
    statement: Any = (
        sa_select(
            col(Enterprise.uscc),
            col(Enterprise.name),
            col(Enterprise.region_code),
            col(CreditScore.grade),
            col(CreditScore.valid_from),
        )
        .join(CreditStanding, col(CreditStanding.enterprise_uscc) == col(Enterprise.uscc))
        .join(CreditScore, col(CreditScore.id) == col(CreditStanding.score_id))
        .where(
            col(Enterprise.active),
            col(CreditScore.grade) == Grade.A.value,
            ~_listed_in_period(since, today),
            ~_nonconforming_in_period(since),
        )
    )
    if filters.region_code is not None:
        region = await require_region(session, filters.region_code)
        statement = statement.where(col(Enterprise.region_code).in_(regions_inside(region.path)))
    if page.cursor is not None:
        last = decode_cursor(page.cursor)
        if not isinstance(last, str) or not last.isalnum():
            raise InvalidInput("pagination.cursor_invalid", "the cursor is not one we issued")
        statement = statement.where(col(Enterprise.uscc) > last)
    statement = statement.order_by(col(Enterprise.uscc)).limit(page.limit + 1)
    rows = (await session.exec(statement)).all()
    items = [
        RedListEntry(
            uscc=row.uscc,
            enterprise_name=row.name,
            region_code=row.region_code,
            grade=row.grade,
            graded_since=row.valid_from,
        )
        for row in rows[: page.limit]
    ]
    next_cursor = encode_cursor(items[-1].uscc) if len(rows) > page.limit else None
    return PageResult(items=items, next_cursor=next_cursor)
