"""Publication of final results (一公开, rules §5): enterprise name and USCC, product, brand,
model, batch, verdict, failing items, organiser and agency — for anyone, without a key.

Each page is one query over the joined rows, newest publication first."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select as sa_select
from sqlalchemy import tuple_
from sqlalchemy.orm import aliased
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from models.agency import TestingAgency
from models.enterprise import Enterprise, Product
from models.reference import Department
from models.results import Result, Retest, Sample, TestReport, Verdict
from models.results_api import PublicFailingItem, PublicResultRead
from service.directory.reference import regions_inside, require_region
from service.errors import InvalidInput, NotFound
from service.pagination import PageRequest, PageResult, decode_cursor, encode_cursor
from service.results import effective_items
from service.uscc import normalise_uscc

_original = aliased(TestReport, name="original_report")
_in_force = aliased(TestReport, name="report_in_force")
_retest_agency = aliased(TestingAgency, name="retest_agency")


def _published() -> Any:
    # sqlmodel's typed select() stops at four columns; the core select carries them all (and
    # its twenty-column type is not worth spelling out).
    return (
        sa_select(
            col(Result.id),
            col(Result.enterprise_uscc),
            col(Enterprise.name).label("enterprise_name"),
            col(Product.name).label("product_name"),
            col(Product.brand),
            col(Product.model),
            col(Result.category_code),
            col(Result.region_code),
            col(Sample.batch_number),
            col(Result.verdict),
            col(Result.original_report_id),
            col(Result.report_id),
            col(_original.items).label("original_items"),
            col(_in_force.items).label("in_force_items"),
            col(Result.organiser_code),
            col(Department.name).label("organiser_name"),
            col(TestingAgency.name).label("agency_name"),
            col(_retest_agency.name).label("retest_agency_name"),
            col(Result.sampled_on),
            col(Result.published_on),
        )
        .join(Enterprise, col(Enterprise.uscc) == col(Result.enterprise_uscc))
        .join(Product, col(Product.id) == col(Result.product_id))
        .join(Sample, col(Sample.id) == col(Result.sample_id))
        .join(_original, col(_original.id) == col(Result.original_report_id))
        .join(_in_force, col(_in_force.id) == col(Result.report_id))
        .join(Department, col(Department.code) == col(Result.organiser_code))
        .join(TestingAgency, col(TestingAgency.id) == col(Result.agency_id))
        .outerjoin(Retest, col(Retest.result_id) == col(Result.id))
        .outerjoin(_retest_agency, col(_retest_agency.id) == col(Retest.agency_id))
        .where(col(Result.published_on).is_not(None))
    )


def _read(row: Any) -> PublicResultRead:
    in_force = row.in_force_items if row.report_id != row.original_report_id else None
    failing = [
        PublicFailingItem.model_validate(
            {
                "name": item["name"],
                "standard_clause": item.get("standard_clause"),
                "requirement": item.get("requirement"),
                "measured_value": item.get("measured_value"),
                "unit": item.get("unit"),
                "severity": item.get("severity"),
            }
        )
        for item in effective_items(row.original_items, in_force)
        if item.get("verdict") == "fail"
    ]
    return PublicResultRead(
        id=row.id,
        enterprise_uscc=row.enterprise_uscc,
        enterprise_name=row.enterprise_name,
        product_name=row.product_name,
        brand=row.brand,
        model=row.model,
        category_code=row.category_code,
        region_code=row.region_code,
        batch_number=row.batch_number,
        verdict=Verdict(row.verdict),
        failing_items=failing,
        organiser_code=row.organiser_code,
        organiser_name=row.organiser_name,
        agency_name=row.agency_name,
        retest_agency_name=row.retest_agency_name,
        sampled_on=row.sampled_on,
        published_on=row.published_on,
    )


@dataclass(frozen=True)
class PublicFilter:
    region_code: str | None = None
    category_code: str | None = None
    verdict: Verdict | None = None
    period_from: date | None = None
    period_to: date | None = None
    enterprise_uscc: str | None = None


def _after(cursor: str) -> tuple[date, uuid.UUID]:
    """The (published_on, id) of the last row of the previous page."""
    try:
        published_on, result_id = decode_cursor(cursor)
        return date.fromisoformat(published_on), uuid.UUID(result_id)
    except (TypeError, ValueError) as exc:
        raise InvalidInput("pagination.cursor_invalid", "the cursor is not one we issued") from exc


async def list_public_results(
    session: AsyncSession, filters: PublicFilter, page: PageRequest
) -> PageResult[PublicResultRead]:
    if (
        filters.period_from is not None
        and filters.period_to is not None
        and filters.period_to < filters.period_from
    ):
        raise InvalidInput("period.reversed", "period_to is before period_from")
    statement = _published()
    if filters.region_code is not None:
        region = await require_region(session, filters.region_code)
        statement = statement.where(col(Result.region_code).in_(regions_inside(region.path)))
    if filters.category_code is not None:
        statement = statement.where(col(Result.category_code).startswith(filters.category_code))
    if filters.verdict is not None:
        statement = statement.where(col(Result.verdict) == filters.verdict.value)
    if filters.period_from is not None:
        statement = statement.where(col(Result.published_on) >= filters.period_from)
    if filters.period_to is not None:
        statement = statement.where(col(Result.published_on) <= filters.period_to)
    if filters.enterprise_uscc is not None:
        uscc = normalise_uscc(filters.enterprise_uscc)
        statement = statement.where(col(Result.enterprise_uscc) == uscc)
    if page.cursor is not None:
        statement = statement.where(
            tuple_(col(Result.published_on), col(Result.id)) < tuple_(*_after(page.cursor))
        )
    statement = statement.order_by(col(Result.published_on).desc(), col(Result.id).desc())
    rows = (await session.exec(statement.limit(page.limit + 1))).all()
    items = [_read(row) for row in rows[: page.limit]]
    next_cursor = None
    if len(rows) > page.limit:
        last = items[-1]
        next_cursor = encode_cursor([last.published_on.isoformat(), str(last.id)])
    return PageResult(items=items, next_cursor=next_cursor)


async def get_public_result(session: AsyncSession, result_id: uuid.UUID) -> PublicResultRead:
    statement = _published().where(col(Result.id) == result_id)
    row = (await session.exec(statement)).first()
    if row is None:
        raise NotFound("result.not_found", f"no published result {result_id}")
    return _read(row)
