"""Maintaining the pass-rate rollup: `record_final` (called by `make_final`) adds a result as it
becomes final, in the same transaction, into the rollup's `recent` tier; `settle` (the nightly
job) moves that tier's rows into `settled`; and `rebuild` recomputes the whole table from the
final results.

Both run the same `GROUP BY GROUPING SETS` statement over the results — one grouping set per
grain — over a transaction's newly final results and over all of them, so the incremental path
and the rebuild cannot derive keys differently. A re-tested result is added once, with the
verdict in force when it becomes final; results never stop being final, so nothing is ever
subtracted."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any, Final

from sqlalchemy import (
    BigInteger,
    Date,
    Insert,
    MetaData,
    Select,
    Table,
    Text,
    bindparam,
    case,
    cast,
    delete,
    event,
    func,
    literal,
    literal_column,
    select,
    text,
    tuple_,
)
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel.ext.asyncio.session import AsyncSession

from models.reference import Region
from models.results import Result, ResultState, Verdict
from models.stats import PassRatePending, PassRateRollup, RollupTier
from service import audit
from service.stats.grains import FINEST, GRAINS, CategoryDepth, Dim, Grain

ALL: Final = "*"
ALL_AGENCIES: Final = uuid.UUID(int=0)
UNKNOWN_SIZE: Final = "unknown"

ROLLUP: Final[Table] = PassRateRollup.__table__  # type: ignore[attr-defined]
# The partition finalisations fold into (see PassRateRollup), as a table of its own: `settle`
# empties it.
_RECENT: Final = ROLLUP.to_metadata(MetaData(), name="pass_rate_rollup_recent")
PENDING: Final[Table] = PassRatePending.__table__  # type: ignore[attr-defined]
_pending = PENDING.c
_results = Result.__table__.c  # type: ignore[attr-defined]
_regions = Region.__table__.c  # type: ignore[attr-defined]
_RESULTS_JOIN: Final = Result.__table__.outerjoin(  # type: ignore[attr-defined]
    Region.__table__,  # type: ignore[attr-defined]
    _regions.code == _results.region_code,
)
_KEYS: Final = [c.name for c in ROLLUP.primary_key.columns]
_COUNTS: Final = ("sampled", "tested", "nonconforming")


def inline(constant: str) -> ColumnElement[Any]:
    # Constants inside grouping expressions are written inline: as bound parameters each
    # occurrence would be a different parameter, and PostgreSQL would no longer recognise the
    # selected expression as the grouped one.
    return literal_column(constant)


def _path_part(index: int) -> ColumnElement[str]:
    # A region's path is "000000/410000/410100/410102": part 2 is the province, part 3 the
    # prefecture-level unit. A region at a higher level has no such part (an empty string).
    return func.nullif(
        func.split_part(_regions.path, inline("'/'"), inline(str(index))), inline("''")
    )


# The grouping columns, computed from a result and its region. A code missing from the
# directory (not expected: enterprises reference regions) falls back to code arithmetic.
_month = cast(func.date_trunc(inline("'month'"), _results.sampled_on), Date)
_province = func.coalesce(
    _path_part(2), func.concat(func.left(_results.region_code, inline("2")), inline("'0000'"))
)
_prefecture = func.coalesce(_path_part(3), _results.region_code)
_region = _results.region_code
_category_group = func.left(_results.category_code, inline("2"))
_category = _results.category_code
_DIM_COLUMNS: Final[dict[Dim, ColumnElement[Any]]] = {
    Dim.PLAN_LEVEL: _results.plan_level,
    Dim.PLAN_KIND: _results.plan_kind,
    Dim.PLACE_TYPE: _results.place_type,
    Dim.ENTERPRISE_SIZE: func.coalesce(_results.enterprise_size, inline(f"'{UNKNOWN_SIZE}'")),
    Dim.AGENCY: _results.agency_id,
}
# The columns GROUPING() reports on, in bit order (the first is the most significant bit).
_GROUPING: Final[list[ColumnElement[Any]]] = [
    _province,
    _prefecture,
    _region,
    _category_group,
    _category,
    *_DIM_COLUMNS.values(),
]


def _grouping_set(grain: Grain) -> list[ColumnElement[Any]]:
    region = [_province, _prefecture, _region][: int(grain.region)]
    category = {
        CategoryDepth.NONE: [],
        CategoryDepth.GROUP: [_category_group],
        CategoryDepth.FINEST: [_category],
    }[grain.category]
    return [_month, *region, *category, *(_DIM_COLUMNS[d] for d in Dim if d in grain.dims)]


def _grouping_mask(grain: Grain) -> int:
    kept = {id(c) for c in _grouping_set(grain)}
    width = len(_GROUPING)
    return sum(1 << (width - 1 - i) for i, c in enumerate(_GROUPING) if id(c) not in kept)


def _rollup_select(tier: RollupTier, *where: ColumnElement[bool]) -> Select[Any]:
    """The final results matching `where`, summed into every grain, as rollup rows of `tier`."""
    grain = case({_grouping_mask(g): g.id for g in GRAINS}, value=func.grouping(*_GROUPING))
    nonconforming = _results.verdict == Verdict.NONCONFORMING.value
    columns: dict[str, ColumnElement[Any]] = {
        "grain": grain,
        "month": _month,
        "tier": literal(tier.value),
        "province_code": func.coalesce(_province, ALL),
        "prefecture_code": func.coalesce(_prefecture, ALL),
        "region_code": func.coalesce(_region, ALL),
        "category_code": func.coalesce(_category, _category_group, ALL),
        **{
            d.value: func.coalesce(_DIM_COLUMNS[d], ALL)
            for d in (Dim.PLAN_LEVEL, Dim.PLAN_KIND, Dim.PLACE_TYPE, Dim.ENTERPRISE_SIZE)
        },
        "agency_id": func.coalesce(_DIM_COLUMNS[Dim.AGENCY], literal(ALL_AGENCIES)),
        # A result is one batch, tested when a report is in force (every result, today).
        "sampled": func.count(),
        "tested": func.count(_results.report_id),
        "nonconforming": func.count().filter(nonconforming),
    }
    # In the order of the primary key: the insert takes the columns by position, and the
    # rebuild writes the heap in key order.
    return (
        select(*(columns[name].label(name) for name in (*_KEYS, *_COUNTS)))
        .select_from(_RESULTS_JOIN)
        .where(_results.state == ResultState.FINAL.value, *where)
        .group_by(func.grouping_sets(*(tuple_(*_grouping_set(g)) for g in GRAINS)))
    )


def _add_to_rollup(rows: Select[Any]) -> Insert:
    """Rollup rows (keys and counts in primary-key order) added to the rows of their key."""
    # Sorted keys: every transaction locks the rows it adds to in the same order, so two
    # transactions folding into the same month's totals wait for each other, never deadlock.
    statement = insert(ROLLUP).from_select([*_KEYS, *_COUNTS], rows.order_by(*_key_positions()))
    return statement.on_conflict_do_update(
        index_elements=_KEYS, set_={c: ROLLUP.c[c] + statement.excluded[c] for c in _COUNTS}
    )


def _fold_statement() -> Insert:
    # The results this transaction made final, taken off the pending list.
    mine = _pending.xact == _current_transaction
    moved = delete(PENDING).where(mine).returning(_pending.result_id).cte("moved")
    return _add_to_rollup(
        _rollup_select(RollupTier.RECENT, _results.id.in_(select(moved.c.result_id)))
    )


def _settle_statement() -> Insert:
    moved = delete(_RECENT).returning(*_RECENT.c).cte("moved")
    settled = literal(RollupTier.SETTLED.value)
    return _add_to_rollup(
        select(*(settled if name == "tier" else moved.c[name] for name in (*_KEYS, *_COUNTS)))
    )


def _key_positions() -> list[ColumnElement[Any]]:
    return [literal_column(str(position)) for position in range(1, len(_KEYS) + 1)]


_current_transaction = cast(cast(func.pg_current_xact_id(), Text), BigInteger)
_FOLD: Final = _fold_statement()
_SETTLE: Final = _settle_statement()
_ADD_PENDING: Final = insert(PENDING).values(
    result_id=bindparam("result_id"), xact=_current_transaction
)
_PENDING_FLAG: Final = "pass_rate_pending"


async def record_final(session: AsyncSession, result: Result) -> None:
    """Count `result`, just made final and flushed, when its transaction commits.

    The result goes on a pending list (a row in the same transaction, so a rolled-back
    savepoint takes it away again) and the commit folds the transaction's whole list into
    every grain at once: each rollup row is written once per transaction however many of its
    results become final, and its lock is held only for the commit."""
    connection = await session.connection()
    await connection.execute(_ADD_PENDING, {"result_id": result.id})
    session.info[_PENDING_FLAG] = True


@event.listens_for(Session, "before_commit")
def _fold_pending(session: Session) -> None:
    # Runs inside the transaction being committed; a failure here fails the commit. Releasing
    # a savepoint fires this too: the list waits for the real commit, so that a transaction
    # folds once, in one sorted statement.
    if not session.in_nested_transaction() and session.info.pop(_PENDING_FLAG, False):
        session.connection().execute(_FOLD)


async def settle(session: AsyncSession) -> int:
    """Move the rollup's `recent` rows into `settled`, adding each to its key's settled row;
    return how many moved. Totals do not change, only where they are kept.

    The recent partition is locked first (EXCLUSIVE: reads go on): a finalisation committing
    meanwhile waits to fold until this transaction ends, and then folds into an empty recent
    partition. Without the lock its sorted row locks and this statement's unsorted ones could
    deadlock."""
    connection = await session.connection()
    await connection.execute(text("LOCK TABLE pass_rate_rollup_recent IN EXCLUSIVE MODE"))
    moved = await connection.execute(_SETTLE)
    return int(moved.rowcount)


@dataclass(frozen=True)
class RebuildReport:
    results: int
    rows: int


async def rebuild(session: AsyncSession, *, actor: str) -> RebuildReport:
    """Recompute the rollup from the final results in the caller's transaction, all of it in
    the `settled` tier.

    TRUNCATE keeps the rollup to itself until commit. A transaction finalising results
    meanwhile keeps them on its pending list, invisible here, and folds them after this
    commits — so each result is counted by the rebuild or by its own commit, never both."""
    connection = await session.connection()
    await connection.execute(text("TRUNCATE pass_rate_rollup"))
    # Only lists of transactions that committed without folding are visible: already counted.
    await connection.execute(delete(PENDING))
    rows = _rollup_select(RollupTier.SETTLED).order_by(*_key_positions())
    await connection.execute(insert(ROLLUP).from_select([*_KEYS, *_COUNTS], rows))
    rows_written, results = (
        await connection.execute(
            select(
                func.count(),
                func.coalesce(func.sum(ROLLUP.c.sampled).filter(ROLLUP.c.grain == FINEST.id), 0),
            ).select_from(ROLLUP)
        )
    ).one()
    report = RebuildReport(results=int(results), rows=int(rows_written))
    audit.record(
        session,
        actor=actor,
        action="stats.rebuild",
        entity_type="pass_rate_rollup",
        entity_id="all",
        state={"results": report.results, "rows": report.rows, "grains": len(GRAINS)},
    )
    return report
