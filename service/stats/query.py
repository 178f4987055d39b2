"""Pass rates grouped by any dimensions, read from the rollup — never from the results.

A request names the dimensions to group by and filters on any of them; it is answered from the
smallest grain of the rollup that keeps every dimension it groups or filters by (see `grains`).
Regions roll up along the directory's tree (county → prefecture → province) and categories by
code prefix (010101 → 0101 → 01). A result whose own region or category is coarser than the
requested level stays under its own code."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any, Final

from sqlalchemy import Date, cast, func
from sqlalchemy import select as core_select
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models.agency import TestingAgency
from models.reference import ProductCategory, Region
from models.stats import PassRateReport, PassRateRow, RegionGrouping
from service.errors import InvalidInput
from service.stats import params
from service.stats.grains import CategoryDepth, Dim, Need, RegionDepth, choose_grain
from service.stats.rollup import ROLLUP, inline
from service.stats.wilson import method, rates

_REGION_COLUMN: Final[dict[int, ColumnElement[Any]]] = {
    1: ROLLUP.c.province_code,
    2: ROLLUP.c.prefecture_code,
    3: ROLLUP.c.region_code,
}
_PLAIN_DIMENSIONS: Final = frozenset(d.value for d in Dim)
_DIM_COLUMN: Final[dict[Dim, ColumnElement[Any]]] = {
    d: ROLLUP.c[d.value] for d in Dim if d is not Dim.AGENCY
} | {Dim.AGENCY: ROLLUP.c.agency_id}


@dataclass(frozen=True)
class Filters:
    """Filter values as given; `region` may be a code of any level, `category` of any depth."""

    region: str | None = None
    category: str | None = None
    plan_level: str | None = None
    plan_kind: str | None = None
    place_type: str | None = None
    enterprise_size: str | None = None
    agency: uuid.UUID | None = None

    def plain(self) -> dict[Dim, str | uuid.UUID]:
        values = {d: getattr(self, d.value) for d in Dim}
        return {d: v for d, v in values.items() if v is not None}

    def echo(self) -> dict[str, str]:
        return {k: str(v) for k, v in asdict(self).items() if v is not None}


@dataclass(frozen=True)
class PassRateRequest:
    """The query string of /stats/pass-rates, before parsing."""

    group_by: Sequence[str] = ()
    region_level: RegionGrouping | None = None
    category_depth: int | None = None
    filters: Filters = field(default_factory=Filters)
    date_from: str | None = None
    date_to: str | None = None


@dataclass(frozen=True)
class Aggregation:
    """A parsed query: group keys by dimension name, filters, and the months it covers."""

    dimensions: tuple[str, ...]
    region_level: RegionGrouping
    category_depth: int
    filters: Filters
    first: date
    last: date
    # The region filter and its ancestors, province first ("410000", "410100"); () for none.
    scope: tuple[str, ...] = ()


@dataclass(frozen=True)
class Group:
    keys: dict[str, Any]
    sampled: int
    tested: int
    nonconforming: int


async def region_scope(session: AsyncSession, code: str) -> tuple[str, ...]:
    """A region filter as the chain of codes from its province down to it; unknown codes are
    refused. Filtering on the whole chain lets the index skip straight to the region."""
    path = (await session.exec(select(Region.path).where(col(Region.code) == code))).first()
    if path is None:
        raise InvalidInput("stats.unknown_region", f"no region {code}", region=code)
    return tuple(path.split("/")[1:])


async def _check_filters(session: AsyncSession, filters: Filters) -> tuple[str, ...]:
    """Refuse filters on codes the directories do not know; return the region filter's scope."""
    if (
        filters.category is not None
        and await session.get(ProductCategory, filters.category) is None
    ):
        raise InvalidInput("stats.unknown_category", f"no product category {filters.category}")
    if filters.agency is not None and await session.get(TestingAgency, filters.agency) is None:
        raise InvalidInput("stats.unknown_agency", f"no testing agency {filters.agency}")
    return () if filters.region is None else await region_scope(session, filters.region)


def _need(aggregation: Aggregation) -> Need:
    dims, filters = aggregation.dimensions, aggregation.filters
    region = max(
        params.grouping_depth(aggregation.region_level) if "region" in dims else 0,
        len(aggregation.scope),
    )

    def category_depth(depth: int) -> CategoryDepth:
        return CategoryDepth.GROUP if depth == 1 else CategoryDepth.FINEST

    category = max(
        category_depth(aggregation.category_depth) if "category" in dims else CategoryDepth.NONE,
        category_depth(len(filters.category) // 2) if filters.category else CategoryDepth.NONE,
    )
    grouped = {Dim(d) for d in dims if d in _PLAIN_DIMENSIONS}
    return Need(RegionDepth(region), category, frozenset(grouped | set(filters.plain())))


def _key_column(name: str, aggregation: Aggregation) -> ColumnElement[Any]:
    if name == "region":
        return _REGION_COLUMN[params.grouping_depth(aggregation.region_level)]
    if name == "category":
        return func.left(ROLLUP.c.category_code, inline(str(2 * aggregation.category_depth)))
    if name in params.TIME_DIMENSIONS:
        if name == "month":
            return ROLLUP.c.month
        return cast(func.date_trunc(inline(f"'{name}'"), ROLLUP.c.month), Date)
    return _DIM_COLUMN[Dim(name)]


async def aggregate(session: AsyncSession, aggregation: Aggregation) -> list[Group]:
    """The counts of each group, ordered by the group keys."""
    grain = choose_grain(_need(aggregation))
    keys = [_key_column(name, aggregation) for name in aggregation.dimensions]
    filters = aggregation.filters
    where = [
        ROLLUP.c.grain == grain.id,
        ROLLUP.c.month.between(aggregation.first, aggregation.last),
        *(_DIM_COLUMN[d] == value for d, value in filters.plain().items()),
    ]
    where += [_REGION_COLUMN[depth] == code for depth, code in enumerate(aggregation.scope, 1)]
    if filters.category is not None:
        prefix = func.left(ROLLUP.c.category_code, len(filters.category))
        where.append(prefix == filters.category)
    statement = (
        core_select(
            *keys,
            func.sum(ROLLUP.c.sampled),
            func.sum(ROLLUP.c.tested),
            func.sum(ROLLUP.c.nonconforming),
        )
        .where(*where)
        .group_by(*keys)
        .order_by(*keys)
    )
    connection = await session.connection()
    width = len(keys)
    return [
        Group(
            keys=dict(zip(aggregation.dimensions, row[:width], strict=True)),
            sampled=int(row[width]),
            tested=int(row[width + 1]),
            nonconforming=int(row[width + 2]),
        )
        for row in await connection.execute(statement)
        # Without group keys an empty range still yields one row, of nulls.
        if row[width] is not None
    ]


def _time_key(name: str, month: date) -> str:
    if name == "month":
        return f"{month:%Y-%m}"
    if name == "quarter":
        return params.period_label(month, 3)
    return f"{month.year}"


async def _names(
    session: AsyncSession, groups: Sequence[Group]
) -> tuple[dict[str, str], dict[str, str], dict[uuid.UUID, str]]:
    """Chinese names of the regions, categories and agencies the groups name."""

    def values(key: str) -> set[Any]:
        return {g.keys[key] for g in groups if key in g.keys}

    regions = await session.exec(
        select(Region.code, Region.name).where(col(Region.code).in_(values("region")))
    )
    categories = await session.exec(
        select(ProductCategory.code, ProductCategory.name).where(
            col(ProductCategory.code).in_(values("category"))
        )
    )
    agencies = await session.exec(
        select(TestingAgency.id, TestingAgency.name).where(
            col(TestingAgency.id).in_(values("agency"))
        )
    )
    return dict(regions.all()), dict(categories.all()), dict(agencies.all())


def _row(
    group: Group, names: tuple[dict[str, str], dict[str, str], dict[uuid.UUID, str]]
) -> PassRateRow:
    region_names, category_names, agency_names = names
    keys: dict[str, Any] = {}
    for name, value in group.keys.items():
        if name in params.TIME_DIMENSIONS:
            keys[name] = _time_key(name, value)
            continue
        keys[name] = value
        if name == "region":
            keys["region_name"] = region_names.get(value)
        elif name == "category":
            keys["category_name"] = category_names.get(value)
        elif name == "agency":
            keys["agency_name"] = agency_names.get(value)
    figures = rates(group.tested, group.nonconforming)
    # Built from our own counts and codes: nothing to validate, and thousands of rows.
    return PassRateRow.model_construct(
        **keys,
        sampled=group.sampled,
        tested=group.tested,
        nonconforming=group.nonconforming,
        nonconformity_rate=figures.nonconformity_rate if figures else None,
        pass_rate=figures.pass_rate if figures else None,
        ci_low=figures.ci_low if figures else None,
        ci_high=figures.ci_high if figures else None,
        nonconformity_ci_low=figures.nonconformity_ci_low if figures else None,
        nonconformity_ci_high=figures.nonconformity_ci_high if figures else None,
    )


async def pass_rates(
    session: AsyncSession, request: PassRateRequest, *, today: date, published_only: bool = False
) -> PassRateReport:
    """Grouped pass rates. Final results are published the day they become final
    (`make_final`), so the published figures (`published_only`, the public endpoint) are the
    same rollup; the flag is echoed so a reader knows which view it has."""
    dimensions = params.parse_dimensions(request.group_by)
    first, last = params.month_range(request.date_from, request.date_to, today=today)
    aggregation = Aggregation(
        dimensions=dimensions,
        region_level=request.region_level or RegionGrouping.PREFECTURE,
        category_depth=request.category_depth or 1,
        filters=request.filters,
        first=first,
        last=last,
        scope=await _check_filters(session, request.filters),
    )
    groups = await aggregate(session, aggregation)
    names = await _names(session, groups)
    return PassRateReport(
        group_by=list(dimensions),
        region_level=aggregation.region_level if "region" in dimensions else None,
        category_depth=aggregation.category_depth if "category" in dimensions else None,
        date_from=first,
        date_to=params.last_day(last),
        filters=request.filters.echo(),
        published_only=published_only,
        method=method(),
        rows=[_row(g, names) for g in groups],
    )
