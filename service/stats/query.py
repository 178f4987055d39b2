"""Pass rates grouped by any dimensions, read from the rollup — never from the results.

A request names the dimensions to group by and filters on any of them; it is answered from the
smallest grain of the rollup that keeps every dimension it groups or filters by (see `grains`).
Regions roll up along the directory's tree (county → prefecture → province) and categories by
code prefix (010101 → 0101 → 01). A result whose own region or category is coarser than the
requested level stays under its own code.

Rows come in the order of the rollup's key — region, agency, category, plan level, plan kind,
place type, enterprise size, then the period — whatever the order of `group_by`, and a JSON
answer is paged by that key (`limit`, `cursor`): a page is the next groups of one index range
in each of the rollup's two tiers, merged, so any page costs about the same as the first,
however large the whole answer or long the period. The CSV export is the whole answer at
once."""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field
from datetime import date
from functools import lru_cache
from typing import Any, Final

from sqlalchemy import ARRAY, Date, Table, Text, Uuid, any_, bindparam, cast, func, literal, tuple_
from sqlalchemy import select as core_select
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models.agency import TestingAgency
from models.common import storable_text
from models.reference import ProductCategory, Region
from models.stats import PassRateReport, PassRateRow, RegionGrouping
from service.errors import InvalidInput
from service.pagination import PageRequest, decode_cursor, encode_cursor
from service.stats import params
from service.stats.grains import CategoryDepth, Dim, Grain, Need, RegionDepth, choose_grain
from service.stats.rollup import ALL, ALL_AGENCIES, ROLLUP, inline
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
_REGION_NAME: Final = {1: "province_code", 2: "prefecture_code", 3: "region_code"}
_DIM_NAME: Final = {d: "agency_id" if d is Dim.AGENCY else d.value for d in Dim}
# The primary key between `grain` and `month`: the order the rows of an answer come in.
_KEY_NAMES: Final = (
    "province_code",
    "prefecture_code",
    "region_code",
    "agency_id",
    "category_code",
    "plan_level",
    "plan_kind",
    "place_type",
    "enterprise_size",
)
_KEY_DIMENSIONS: Final = (
    Dim.PLAN_LEVEL,
    Dim.PLAN_KIND,
    Dim.PLACE_TYPE,
    Dim.ENTERPRISE_SIZE,
)


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
    # The group's place in the answer's order, hidden ancestors included: what a cursor holds.
    position: tuple[Any, ...] = ()


@dataclass(frozen=True)
class _SortKey:
    name: str | None  # the dimension shown; None for an ancestor kept only for the order
    expression: ColumnElement[Any]
    kind: type  # how a cursor's value reads back: str, uuid.UUID or date
    column: str | None = None  # the rollup column the key is, or (category) a prefix of
    prefix: bool = False


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


def _sort_keys(aggregation: Aggregation, grain: Grain) -> list[_SortKey]:
    """The group keys in the order of the rollup's primary key."""
    dims = set(aggregation.dimensions)
    keys: list[_SortKey] = []
    if "region" in dims:
        # A region has one prefecture and one province above it, so grouping by them as well
        # changes no group, and lets the index give the order.
        depth = params.grouping_depth(aggregation.region_level)
        for level in range(1, depth + 1):
            name = "region" if level == depth else None
            keys.append(_SortKey(name, _REGION_COLUMN[level], str, _REGION_NAME[level]))
    elif "agency" in dims and grain.region >= RegionDepth.PROVINCE:
        # An agency is in one province.
        keys.append(_SortKey(None, ROLLUP.c.province_code, str, "province_code"))
    if "agency" in dims:
        keys.append(_SortKey("agency", ROLLUP.c.agency_id, uuid.UUID, "agency_id"))
    if "category" in dims:
        width = inline(str(2 * aggregation.category_depth))
        category = func.left(ROLLUP.c.category_code, width)
        keys.append(_SortKey("category", category, str, "category_code", prefix=True))
    for dim in _KEY_DIMENSIONS:
        if dim.value in dims:
            keys.append(_SortKey(dim.value, _DIM_COLUMN[dim], str, _DIM_NAME[dim]))
    for name in params.TIME_DIMENSIONS:
        if name in dims:
            if name == "month":
                keys.append(_SortKey(name, ROLLUP.c.month, date))
            else:
                truncated = cast(func.date_trunc(inline(f"'{name}'"), ROLLUP.c.month), Date)
                keys.append(_SortKey(name, truncated, date))
    return keys


def _pinned(aggregation: Aggregation, grain: Grain) -> dict[str, Any]:
    """The key columns every row read has the same value in: those the grain sums over, and
    those filtered on. Stated in the query, they let the index give the order of the rest."""
    kept = {_REGION_NAME[depth] for depth in range(1, int(grain.region) + 1)}
    kept |= {"category_code"} if grain.category is not CategoryDepth.NONE else set()
    kept |= {_DIM_NAME[d] for d in grain.dims}
    pinned: dict[str, Any] = {
        name: ALL_AGENCIES if name == "agency_id" else ALL
        for name in _KEY_NAMES
        if name not in kept
    }
    pinned |= {_DIM_NAME[d]: value for d, value in aggregation.filters.plain().items()}
    pinned |= {_REGION_NAME[depth]: code for depth, code in enumerate(aggregation.scope, 1)}
    return pinned


def _read_cursor(cursor: str, keys: Sequence[_SortKey]) -> tuple[Any, ...]:
    values = decode_cursor(cursor)
    try:
        if not isinstance(values, list) or len(values) != len(keys):
            raise ValueError(values)
        position: list[Any] = []
        for key, value in zip(keys, values, strict=True):
            if not isinstance(value, str):
                raise ValueError(value)
            storable_text(value)
            if key.kind is date:
                position.append(date.fromisoformat(value))
            elif key.kind is uuid.UUID:
                position.append(uuid.UUID(value))
            else:
                position.append(value)
        return tuple(position)
    except ValueError as exc:
        raise InvalidInput(
            "pagination.cursor_invalid", "the cursor is not one this query issued"
        ) from exc


def _after(
    keys: Sequence[_SortKey], position: tuple[Any, ...], pinned: dict[str, Any]
) -> list[ColumnElement[bool]]:
    """The rows of the groups after `position`. The exact condition is on the group keys; the
    second one states its leading columns as the primary key has them, so that the index
    starts there instead of at the grain's first row."""
    after = [
        tuple_(*(k.expression for k in keys)) > tuple_(*(literal(v) for v in position)),
    ]
    at = {k.column: (v, k.prefix) for k, v in zip(keys, position, strict=True) if k.column}
    columns: list[ColumnElement[Any]] = []
    values: list[Any] = []
    for name in _KEY_NAMES:
        if name in pinned:
            values.append(pinned[name])
        elif name in at:
            value, prefix = at[name]
            values.append(value)
            if prefix:  # a category group starts at its code: 0401 ≤ 040101 …
                columns.append(ROLLUP.c[name])
                break
        else:
            break
        columns.append(ROLLUP.c[name])
    if any(c.key in at for c in columns):
        after.append(tuple_(*columns) >= tuple_(*(literal(v) for v in values)))
    return after


async def _aggregate(
    session: AsyncSession, aggregation: Aggregation, page: PageRequest | None
) -> tuple[list[Group], str | None]:
    grain = choose_grain(_need(aggregation))
    keys = _sort_keys(aggregation, grain)
    pinned = _pinned(aggregation, grain)
    where = [
        ROLLUP.c.grain == grain.id,
        ROLLUP.c.month.between(aggregation.first, aggregation.last),
        *(ROLLUP.c[name] == value for name, value in pinned.items()),
    ]
    if aggregation.filters.category is not None:
        prefix = func.left(ROLLUP.c.category_code, len(aggregation.filters.category))
        where.append(prefix == aggregation.filters.category)
    if page is not None and page.cursor is not None:
        where += _after(keys, _read_cursor(page.cursor, keys), pinned)
    expressions = [k.expression for k in keys]
    statement = (
        core_select(
            *expressions,
            func.sum(ROLLUP.c.sampled),
            func.sum(ROLLUP.c.tested),
            func.sum(ROLLUP.c.nonconforming),
        )
        .where(*where)
        .group_by(*expressions)
        .order_by(*expressions)
    )
    if page is not None:
        statement = statement.limit(page.limit + 1)
    connection = await session.connection()
    width = len(keys)
    shown = [(i, k.name) for i, k in enumerate(keys) if k.name is not None]
    groups = [
        Group(
            keys={name: row[i] for i, name in shown},
            sampled=int(row[width]),
            tested=int(row[width + 1]),
            nonconforming=int(row[width + 2]),
            position=tuple(row[:width]),
        )
        for row in await connection.execute(statement)
        # Without group keys an empty range still yields one row, of nulls.
        if row[width] is not None
    ]
    if page is None or len(groups) <= page.limit:
        return groups, None
    groups = groups[: page.limit]
    return groups, encode_cursor([str(v) for v in groups[-1].position])


async def aggregate(session: AsyncSession, aggregation: Aggregation) -> list[Group]:
    """The counts of every group, in the rollup's key order."""
    groups, _ = await _aggregate(session, aggregation, None)
    return groups


async def aggregate_page(
    session: AsyncSession, aggregation: Aggregation, page: PageRequest
) -> tuple[list[Group], str | None]:
    """The counts of the `page.limit` groups after the cursor, and the cursor of the next."""
    return await _aggregate(session, aggregation, page)


def _time_key(name: str, month: date) -> str:
    if name == "month":
        return f"{month:%Y-%m}"
    if name == "quarter":
        return params.period_label(month, 3)
    return f"{month.year}"


@dataclass(frozen=True)
class Names:
    """Chinese names of the regions, categories and agencies an answer names."""

    regions: dict[str, str]
    categories: dict[str, str]
    agencies: dict[uuid.UUID, str]


_REGIONS: Final[Table] = Region.__table__  # type: ignore[attr-defined]
_CATEGORIES: Final[Table] = ProductCategory.__table__  # type: ignore[attr-defined]
_AGENCIES: Final[Table] = TestingAgency.__table__  # type: ignore[attr-defined]
# One array parameter however many codes a page names: one prepared statement, not one per
# length of an IN list.
_NAME_QUERIES: Final = {
    "region": core_select(_REGIONS.c.code, _REGIONS.c.name).where(
        _REGIONS.c.code == any_(bindparam("keys", type_=ARRAY(Text)))
    ),
    "category": core_select(_CATEGORIES.c.code, _CATEGORIES.c.name).where(
        _CATEGORIES.c.code == any_(bindparam("keys", type_=ARRAY(Text)))
    ),
    "agency": core_select(_AGENCIES.c.id, _AGENCIES.c.name).where(
        _AGENCIES.c.id == any_(bindparam("keys", type_=ARRAY(Uuid)))
    ),
}


async def _names(session: AsyncSession, groups: Sequence[Group]) -> Names:
    connection = await session.connection()
    found: dict[str, dict[Any, str]] = {}
    for key, statement in _NAME_QUERIES.items():
        wanted = list({g.keys[key] for g in groups if key in g.keys})
        found[key] = {}
        if wanted:
            rows = await connection.execute(statement, {"keys": wanted})
            found[key] = {row[0]: row[1] for row in rows}
    return Names(found["region"], found["category"], found["agency"])


# The figures of a row worked out from its counts, as PassRateRow names them.
RATE_FIELDS: Final = (
    "nonconformity_rate",
    "pass_rate",
    "ci_low",
    "ci_high",
    "nonconformity_ci_low",
    "nonconformity_ci_high",
)
_NO_FIGURES: Final[dict[str, str | None]] = dict.fromkeys(RATE_FIELDS)


@lru_cache(maxsize=65_536)
def _figure_texts(tested: int, nonconforming: int) -> dict[str, str | None]:
    # Rates as the JSON strings they travel as; the same pairs recur across a large answer.
    figures = rates(tested, nonconforming)
    if figures is None:
        return _NO_FIGURES
    return {name: str(getattr(figures, name)) for name in RATE_FIELDS}


@dataclass(frozen=True)
class PassRates:
    """Grouped pass rates: one page of groups (all of them for an export) and what they
    answer."""

    group_by: tuple[str, ...]
    region_level: RegionGrouping | None
    category_depth: int | None
    date_from: date
    date_to: date
    filters: dict[str, str]
    published_only: bool
    groups: list[Group]
    names: Names
    next_cursor: str | None = None

    def header(self) -> PassRateReport:
        """The report without its rows."""
        return PassRateReport(
            group_by=list(self.group_by),
            region_level=self.region_level,
            category_depth=self.category_depth,
            date_from=self.date_from,
            date_to=self.date_to,
            filters=self.filters,
            published_only=self.published_only,
            method=method(),
            rows=[],
            next_cursor=self.next_cursor,
        )

    def texts(self) -> Iterator[dict[str, Any]]:
        """Each row as the JSON object `PassRateRow` documents: codes, names and rates as
        strings, counts as integers. Built directly: a page has thousands of rows."""
        names = self.names
        lookups: dict[str, dict[Any, str]] = {
            "region": names.regions,
            "category": names.categories,
            "agency": names.agencies,
        }
        for group in self.groups:
            row: dict[str, Any] = {}
            for name, value in group.keys.items():
                if name in params.TIME_DIMENSIONS:
                    row[name] = _time_key(name, value)
                    continue
                row[name] = str(value)
                if name in lookups:
                    row[f"{name}_name"] = lookups[name].get(value)
            row["sampled"] = group.sampled
            row["tested"] = group.tested
            row["nonconforming"] = group.nonconforming
            row.update(_figure_texts(group.tested, group.nonconforming))
            yield row

    @property
    def rows(self) -> list[PassRateRow]:
        """The rows as models, Decimal rates and all."""
        return [PassRateRow.model_validate(row) for row in self.texts()]


async def pass_rates(
    session: AsyncSession,
    request: PassRateRequest,
    *,
    today: date,
    page: PageRequest | None = None,
    published_only: bool = False,
) -> PassRates:
    """Grouped pass rates: the page of groups `page` asks for, or every group without one.
    Final results are published the day they become final (`make_final`), so the published
    figures (`published_only`, the public endpoint) are the same rollup; the flag is echoed so
    a reader knows which view it has."""
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
    groups, next_cursor = await _aggregate(session, aggregation, page)
    return PassRates(
        group_by=dimensions,
        region_level=aggregation.region_level if "region" in dimensions else None,
        category_depth=aggregation.category_depth if "category" in dimensions else None,
        date_from=first,
        date_to=params.last_day(last),
        filters=request.filters.echo(),
        published_only=published_only,
        groups=groups,
        names=await _names(session, groups),
        next_cursor=next_cursor,
    )
