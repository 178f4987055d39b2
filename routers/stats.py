"""Pass-rate statistics: /stats/pass-rates (JSON or CSV), /stats/rankings, and the same pass
rates for the public at /public/stats/pass-rates (no key).

Statistics are not scoped by region: every result they count is published (一公开) and the
public endpoint serves the same figures to anyone."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response
from fastapi.responses import StreamingResponse

from models.common import DepartmentLevel, PlanKind
from models.results import PlaceType
from models.stats import PassRateReport, RankingReport, RegionGrouping, SizeKey, StatsFormat
from models.system import Role
from service.auth import Principal, require_roles
from service.clock import today
from service.db import SessionDep, UnitOfWorkRoute
from service.pagination import PageRequest
from service.stats import export, params, query, rankings

router = APIRouter(tags=["stats"], route_class=UnitOfWorkRoute)

StatsReader = Annotated[Principal, require_roles(Role.ADMIN, Role.REGULATOR, Role.DEPARTMENT)]

_REGION = r"^[0-9]{6}$"
_CATEGORY = r"^([0-9]{2}){1,6}$"
_DATE = r"^[0-9]{4}-[0-9]{2}(-[0-9]{2})?$"
_CSV_HEADERS = {"Content-Disposition": 'attachment; filename="pass-rates.csv"'}


def pass_rate_request(
    group_by: Annotated[
        list[str],
        Query(
            max_length=10,
            description="Dimensions, repeated or comma-separated: region, category, plan_level, "
            "plan_kind, place_type, enterprise_size, agency, and one of month, quarter, year",
        ),
    ] = [],  # noqa: B006 - FastAPI copies query defaults
    region_level: Annotated[
        RegionGrouping | None, Query(description="Level regions roll up to (prefecture)")
    ] = None,
    category_depth: Annotated[
        int | None, Query(ge=1, le=3, description="Category code depth, 1 = 01 … 3 = 010101")
    ] = None,
    region: Annotated[str | None, Query(pattern=_REGION, description="Inside this region")] = None,
    category: Annotated[str | None, Query(pattern=_CATEGORY)] = None,
    plan_level: DepartmentLevel | None = None,
    plan_kind: PlanKind | None = None,
    place_type: PlaceType | None = None,
    enterprise_size: SizeKey | None = None,
    agency: uuid.UUID | None = None,
    date_from: Annotated[
        str | None,
        Query(pattern=_DATE, description="YYYY-MM or YYYY-MM-DD; whole months of sampling"),
    ] = None,
    date_to: Annotated[str | None, Query(pattern=_DATE)] = None,
) -> query.PassRateRequest:
    return query.PassRateRequest(
        group_by=group_by,
        region_level=region_level,
        category_depth=category_depth,
        filters=query.Filters(
            region=region,
            category=category,
            plan_level=plan_level.value if plan_level else None,
            plan_kind=plan_kind.value if plan_kind else None,
            place_type=place_type.value if place_type else None,
            enterprise_size=enterprise_size.value if enterprise_size else None,
            agency=agency,
        ),
        date_from=date_from,
        date_to=date_to,
    )


PassRateRequestDep = Annotated[query.PassRateRequest, Depends(pass_rate_request)]
_CSV_RESPONSE = {200: {"content": {"text/csv": {}}, "description": "JSON, or CSV with format=csv"}}


def pass_rate_page(
    limit: Annotated[
        int,
        Query(ge=1, le=params.MAX_PAGE_ROWS, description="Rows per JSON page; CSV has them all"),
    ] = params.DEFAULT_PAGE_ROWS,
    cursor: Annotated[
        str | None, Query(max_length=512, description="`next_cursor` of the previous page")
    ] = None,
) -> PageRequest:
    return PageRequest(limit=limit, cursor=cursor)


PassRatePageDep = Annotated[PageRequest, Depends(pass_rate_page)]


def _page(format: StatsFormat, page: PageRequest) -> PageRequest | None:
    return None if format is StatsFormat.CSV else page


def _respond(answer: query.PassRates, format: StatsFormat) -> Response:
    if format is StatsFormat.CSV:
        return StreamingResponse(
            export.csv_chunks(answer), media_type="text/csv; charset=utf-8", headers=_CSV_HEADERS
        )
    return Response(export.to_json(answer), media_type="application/json")


@router.get(
    "/stats/pass-rates",
    response_model=PassRateReport,
    responses=_CSV_RESPONSE,  # type: ignore[arg-type]
)
async def pass_rates(
    session: SessionDep,
    principal: StatsReader,
    request: PassRateRequestDep,
    page: PassRatePageDep,
    format: StatsFormat = StatsFormat.JSON,
) -> Response:
    """Rows in the order of the group keys, a page at a time (`next_cursor`); CSV has every
    row."""
    answer = await query.pass_rates(session, request, today=today(), page=_page(format, page))
    return _respond(answer, format)


@router.get("/stats/rankings")
async def region_rankings(
    session: SessionDep,
    principal: StatsReader,
    level: RegionGrouping,
    period: Annotated[str, Query(max_length=7, description="2025, 2025Q3 or 2025-07")],
    parent: Annotated[str, Query(pattern=_REGION)] = "000000",
) -> RankingReport:
    return await rankings.rankings(session, level=level, parent_code=parent, period_text=period)


@router.get(
    "/public/stats/pass-rates",
    tags=["public"],
    response_model=PassRateReport,
    responses=_CSV_RESPONSE,  # type: ignore[arg-type]
)
async def public_pass_rates(
    session: SessionDep,
    request: PassRateRequestDep,
    page: PassRatePageDep,
    format: StatsFormat = StatsFormat.JSON,
) -> Response:
    """The same figures as /stats/pass-rates over published results, without a key."""
    answer = await query.pass_rates(
        session, request, today=today(), page=_page(format, page), published_only=True
    )
    return _respond(answer, format)
