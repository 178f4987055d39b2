"""Commits and executes draws against the database: fixes the candidate pool
(:mod:`service.draw.pool_builder`), stores it with its hash and the seed commitment, and on
execution reveals the seed, runs the pure algorithm and creates the sampling tasks.

Not imported by `service.draw` itself, so the stand-alone verifier stays free of the database
stack."""

from __future__ import annotations

import asyncio
import uuid
from bisect import bisect_left
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from operator import itemgetter
from typing import Any
from zoneinfo import ZoneInfo

import orjson
from isal import igzip
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models.base import utcnow
from models.plan import (
    Draw,
    DrawRead,
    Plan,
    PlanState,
    SamplingTask,
    TaskState,
)
from service import audit
from service.auth import Principal
from service.canonical import sha256_hex
from service.db import driver_connection
from service.draw import algorithm
from service.draw.model import gc_paused
from service.draw.pool_builder import build_pool, six_month_config
from service.errors import Conflict, NotFound
from service.plans import ensure_organiser, get_plan, plan_quotas, transition

_BUSINESS_TZ = ZoneInfo("Asia/Shanghai")
_ROW_ID = itemgetter(0)


def canonical_bytes(document: Mapping[str, Any]) -> bytes:
    """The canonical JSON of a pool or outcome document (JSON types only: str keys, str, int,
    list, tuple, dict, None), byte for byte what ``algorithm.pool_document_bytes`` and
    ``service.canonical.canonical_json`` give — tests hold them equal — at a tenth of the time.
    The verifier keeps the standard-library encoder; only the service uses this one."""
    return orjson.dumps(document, option=orjson.OPT_SORT_KEYS)


def _fix_pool(pool: algorithm.Pool, rows: list[algorithm.CandidateRow]) -> bytes:
    # CPU-bound for large pools (a second at a million candidates): run off the event loop.
    try:
        return canonical_bytes(algorithm.pool_document_from_rows(pool, rows))
    except algorithm.InvalidPool as exc:
        raise Conflict("draw.pool_invalid", f"the candidate pool cannot be drawn: {exc}") from exc


def _gzip(data: bytes) -> bytes:
    # Intel's ISA-L deflate: plain gzip that any reader opens (`gzip.decompress`, zcat), four
    # times as fast as zlib's fastest level and smaller (a million-candidate pool: 0.3 s and
    # 38 MiB against 1.2 s and 41 MiB).
    return igzip.compress(data, compresslevel=1, mtime=0)


def _gunzip(data: bytes) -> bytes:
    # Reads every gzip member, and older pools, gzipped by zlib, too.
    unpacked: bytes = igzip.decompress(data)  # type: ignore[no-untyped-call]
    return unpacked


async def _hash_and_compress(data: bytes) -> tuple[str, bytes]:
    """SHA-256 and gzip of a pool, side by side: hashlib releases the GIL."""
    digest, packed = await asyncio.gather(
        asyncio.to_thread(sha256_hex, data), asyncio.to_thread(_gzip, data)
    )
    return digest, packed


def _unpack_pool(pool_gz: bytes, pool_hash: str) -> bytes:
    pool_bytes = _gunzip(pool_gz)
    if sha256_hex(pool_bytes) != pool_hash:
        raise Conflict("draw.pool_corrupted", "the stored pool no longer matches its hash")
    return pool_bytes


def _draw(
    pool_bytes: bytes, seed: str
) -> tuple[list[algorithm.CandidateRow], dict[str, str], algorithm.DrawOutcome]:
    """The draw from the stored pool's bytes, without a million Candidate objects; with the
    category of each selected product, for its task.

    The bytes were checked against the pool hash, and `commit_draw` hashed them only after
    `pool_document_from_rows` had validated the pool and its order: the draw does not check
    them again (``committed=True``). The verifier, which trusts nothing, does."""
    with gc_paused():  # millions of parsed containers, no reference cycles
        pool, rows = algorithm.pool_rows_from_document(
            orjson.loads(pool_bytes), check_candidates=False
        )
        outcome = algorithm.execute_rows(pool, rows, seed, committed=True)
        return rows, _categories(rows, outcome.selections), outcome


def _categories(
    rows: Sequence[algorithm.CandidateRow], selections: Sequence[algorithm.Selection]
) -> dict[str, str]:
    """The category of each selected product, looked up in the rows (ordered by product id)."""
    categories: dict[str, str] = {}
    for selection in selections:
        row = rows[bisect_left(rows, selection.product_id, key=_ROW_ID)]
        categories[selection.product_id] = row[2]
    return categories


def _outcome_gz(outcome: algorithm.DrawOutcome, rows: list[algorithm.CandidateRow]) -> bytes:
    """The outcome's canonical gzip; then frees the pool's rows, the caller's last use of them
    (a million lists: the thread does it while PostgreSQL takes the tasks)."""
    with gc_paused():
        outcome_gz = _gzip(canonical_bytes(algorithm.outcome_document(outcome)))
        rows.clear()
        return outcome_gz


def _decompress(data: bytes) -> Any:
    return orjson.loads(_gunzip(data))


def business_today() -> date:
    return datetime.now(_BUSINESS_TZ).date()


async def commit_draw(session: AsyncSession, principal: Principal, plan_id: uuid.UUID) -> Draw:
    """Fix the pool and publish sha256(seed); the seed stays secret until execution."""
    plan = await get_plan(session, principal, plan_id)
    ensure_organiser(principal, plan)
    await session.refresh(plan, with_for_update=True)
    if plan.state != PlanState.PUBLISHED.value:
        raise Conflict(
            "draw.plan_not_published",
            f"draws are made for published plans; this one is {plan.state}",
        )
    existing = (await session.exec(select(Draw.id).where(col(Draw.plan_id) == plan.id))).first()
    if existing is not None:
        raise Conflict(
            "draw.exists", f"plan {plan.id} already has draw {existing}", draw_id=str(existing)
        )
    on = max(plan.period_start, business_today())
    # A million short-lived candidate rows, no reference cycles: the collector waits until they
    # are freed, or its first full collection would walk them all.
    with gc_paused():
        pool, rows = await build_pool(session, plan, list(await plan_quotas(session, plan.id)), on)
        pool_bytes = await asyncio.to_thread(_fix_pool, pool, rows)
        pool_size = len(rows)
        # Freeing a million rows takes a while: done in a thread while hashlib, which runs
        # without the GIL, hashes the pool.
        (pool_hash, pool_gz), _ = await asyncio.gather(
            _hash_and_compress(pool_bytes), asyncio.to_thread(rows.clear)
        )
    seed = algorithm.new_seed()
    draw = Draw(
        plan_id=plan.id,
        algorithm_version=algorithm.ALGORITHM_VERSION,
        pool_hash=pool_hash,
        seed_commitment=algorithm.seed_commitment(seed),
        seed=seed,
        evaluated_on=on,
        pool_gz=pool_gz,
        pool_size=pool_size,
        config={
            "six_month_rule": six_month_config().as_record(),
            "evaluated_on": on.isoformat(),
            "weights": dict(pool.weights),
            "inspectors_per_task": pool.inspectors_per_task,
        },
        committed_by=principal.actor,
    )
    session.add(draw)
    await session.flush()
    audit.record(
        session,
        actor=principal.actor,
        action="draw.commit",
        entity_type="draw",
        entity_id=str(draw.id),
        state={
            "plan_id": plan.id,
            "pool_hash": draw.pool_hash,
            "seed_commitment": draw.seed_commitment,
            "config": draw.config,
        },
    )
    return draw


async def _draw_for_update(
    session: AsyncSession, principal: Principal, draw_id: uuid.UUID
) -> tuple[Draw, Plan]:
    # Locked as it is read: the pool is tens of megabytes, read once.
    draw = await session.get(Draw, draw_id, with_for_update=True)
    if draw is None:
        raise NotFound("draw.not_found", f"no draw {draw_id}")
    plan = await get_plan(session, principal, draw.plan_id)  # readable only where its plan is
    return draw, plan


async def execute_draw(session: AsyncSession, principal: Principal, draw_id: uuid.UUID) -> Draw:
    """Reveal the seed, draw, and create the tasks. Once only."""
    draw, plan = await _draw_for_update(session, principal, draw_id)
    ensure_organiser(principal, plan)
    if draw.state == "executed":
        raise Conflict(
            "draw.already_executed", f"draw {draw.id} was executed at {draw.executed_at}"
        )
    await session.refresh(plan, with_for_update=True)
    # As in `commit_draw`: no collection while the pool's million rows are alive.
    with gc_paused():
        pool_bytes = await asyncio.to_thread(_unpack_pool, draw.pool_gz, draw.pool_hash)
        rows, categories, outcome = await asyncio.to_thread(_draw, pool_bytes, draw.seed)
        del pool_bytes
        # The outcome's JSON and gzip run in a thread while PostgreSQL takes the tasks' COPY.
        _, outcome_gz = await asyncio.gather(
            _insert_tasks(session, plan, draw.id, categories, outcome.selections),
            asyncio.to_thread(_outcome_gz, outcome, rows),
        )
    draw.outcome_gz = outcome_gz
    draw.state = "executed"
    draw.executed_at = datetime.now(_BUSINESS_TZ)
    draw.executed_by = principal.actor
    await transition(session, principal.actor, plan, PlanState.DRAWN)
    await session.flush()
    audit.record(
        session,
        actor=principal.actor,
        action="draw.execute",
        entity_type="draw",
        entity_id=str(draw.id),
        state={
            "seed": draw.seed,
            "outcome_digest": sha256_hex(_gunzip(outcome_gz)),
            "tasks": len(outcome.selections),
        },
    )
    return draw


_TASK_COLUMNS = (
    "id",
    "plan_id",
    "draw_id",
    "product_id",
    "enterprise_uscc",
    "category_code",
    "agency_id",
    "inspector_ids",
    "stratum",
    "draw_order",
    "state",
    "created_at",
)


async def _insert_tasks(
    session: AsyncSession,
    plan: Plan,
    draw_id: uuid.UUID,
    categories: Mapping[str, str],
    selections: Sequence[algorithm.Selection],
) -> None:
    """One task per selection, through COPY on the session's own connection: ten thousand rows
    in one round trip, without the ORM's per-row bulk-insert preparation."""
    if not selections:
        return
    created_at = utcnow()  # one instant for the draw's tasks; draw_order orders them
    records = [
        (
            uuid.uuid4(),
            plan.id,
            draw_id,
            s.product_id,  # asyncpg writes a uuid from its text: no UUID objects to make
            s.enterprise_uscc,
            categories[s.product_id],
            s.agency_id,
            list(s.inspector_ids),
            s.stratum,
            s.order,
            TaskState.ASSIGNED.value,
            created_at,
        )
        for s in selections
    ]
    driver = await driver_connection(session)
    await driver.copy_records_to_table(
        SamplingTask.__tablename__, records=records, columns=_TASK_COLUMNS
    )


async def get_draw(session: AsyncSession, principal: Principal, draw_id: uuid.UUID) -> Draw:
    draw = await session.get(Draw, draw_id)
    if draw is None:
        raise NotFound("draw.not_found", f"no draw {draw_id}")
    await get_plan(session, principal, draw.plan_id)  # readable only where its plan is
    return draw


def _outcome(draw: Draw) -> dict[str, Any]:
    if draw.outcome_gz is None:
        pool = _decompress(draw.pool_gz)
        return {"selections": [], "exclusions": pool.get("pre_exclusions", []), "shortfalls": []}
    document: dict[str, Any] = _decompress(draw.outcome_gz)
    return document


def draw_read(draw: Draw) -> DrawRead:
    outcome = _outcome(draw)
    return DrawRead(
        id=draw.id,
        plan_id=draw.plan_id,
        state=draw.state,
        algorithm_version=draw.algorithm_version,
        pool_hash=draw.pool_hash,
        pool_size=draw.pool_size,
        seed_commitment=draw.seed_commitment,
        seed=draw.seed if draw.state == "executed" else None,
        evaluated_on=draw.evaluated_on,
        config=draw.config,
        committed_at=draw.committed_at,
        executed_at=draw.executed_at,
        selections=outcome["selections"],
        exclusions=outcome["exclusions"],
        shortfalls=outcome["shortfalls"],
    )


async def export_draw(
    session: AsyncSession, principal: Principal, draw_id: uuid.UUID
) -> dict[str, Any]:
    draw = await get_draw(session, principal, draw_id)
    if draw.state != "executed":
        raise Conflict("draw.not_executed", "a draw can be exported once it has been executed")
    return {
        "id": str(draw.id),
        "plan_id": str(draw.plan_id),
        "algorithm_version": draw.algorithm_version,
        "pool_hash": draw.pool_hash,
        "seed_commitment": draw.seed_commitment,
        "seed": draw.seed,
        "pool": _decompress(draw.pool_gz),
        **_outcome(draw),
    }


async def verify_stored_draw(
    session: AsyncSession, principal: Principal, draw_id: uuid.UUID
) -> algorithm.VerifyReport:
    return algorithm.verify(await export_draw(session, principal, draw_id))
