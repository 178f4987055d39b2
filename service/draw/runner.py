"""Commits and executes draws against the database: builds the candidate pool from the
directories (with the six-month exclusions), stores it with its hash and the seed commitment,
and on execution reveals the seed, runs the pure algorithm and creates the sampling tasks.

Not imported by `service.draw` itself, so the stand-alone verifier stays free of the database
stack."""

from __future__ import annotations

import asyncio
import gzip
import uuid
from collections import defaultdict
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from operator import itemgetter
from typing import Any
from zoneinfo import ZoneInfo

import orjson
from sqlalchemy import select as sa_select
from sqlalchemy.dialects.postgresql import distinct_on
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models.agency import Inspector, InspectorConflict, TestingAgency
from models.base import utcnow
from models.common import PlanKind
from models.plan import (
    Draw,
    DrawRead,
    Plan,
    PlanQuota,
    PlanState,
    Sampling,
    SamplingTask,
    TaskState,
)
from models.reference import Department, Region
from service import audit, six_month_rule
from service.auth import Principal
from service.canonical import sha256_hex
from service.config import get_settings
from service.db import driver_connection
from service.draw import algorithm
from service.draw.model import gc_paused
from service.eligibility import history_window_start, organiser_of
from service.errors import Conflict, NotFound
from service.plans import ensure_organiser, get_plan, plan_quotas, transition
from service.six_month_rule import SixMonthConfig

_BUSINESS_TZ = ZoneInfo("Asia/Shanghai")
_WILDCARD = "*"


def six_month_config() -> SixMonthConfig:
    settings = get_settings()
    return SixMonthConfig(
        months=settings.six_month_months,
        exempt_plan_kinds=frozenset(PlanKind(k) for k in settings.six_month_exempt_kinds),
    )


def stratum_key(quota: PlanQuota) -> str:
    return f"{quota.category_code}|{quota.region_code or _WILDCARD}"


async def _region_paths(session: AsyncSession) -> dict[str, str]:
    return {r.code: r.path for r in (await session.exec(select(Region))).all()}


def _inside(path: str, container: str) -> bool:
    return path == container or path.startswith(container + "/")


async def build_pool(
    session: AsyncSession, plan: Plan, quotas: list[PlanQuota], on: date
) -> tuple[algorithm.Pool, list[algorithm.CandidateRow]]:
    """Everything the draw depends on, fixed before the seed is known: the pool without its
    candidates, and the candidates as document rows in document order (a million objects fewer
    than a pool of :class:`~service.draw.algorithm.Candidate`)."""
    settings = get_settings()
    config = six_month_config()
    strata = [
        algorithm.Stratum(
            key=stratum_key(q),
            category_code=q.category_code,
            region_code=q.region_code,
            quota=q.quota,
        )
        for q in quotas
    ]
    rows, inactive = await _candidate_rows(session, plan, strata)
    exclusions = [
        algorithm.Exclusion(product_id, uscc, "inactive", {"stratum": stratum})
        for product_id, uscc, _, _, _, stratum in inactive
    ]

    organiser = organiser_of(await _organiser(session, plan.department_code))
    history = await _recent_history(session, organiser, on, config)
    plan_kind = PlanKind(plan.kind)
    blocked: set[str] = set()
    for product_id, uscc, _, _, _, stratum in [row for row in rows if row[0] in history]:
        result = six_month_rule.check_eligibility(
            history[product_id], organiser, on, plan_kind, config
        )
        if not result.eligible:
            block = result.blocks[0]
            blocked.add(product_id)
            exclusions.append(
                algorithm.Exclusion(
                    product_id=product_id,
                    enterprise_uscc=uscc,
                    reason="six_month_rule",
                    detail={
                        "rule_id": block.rule_id.value,
                        "blocking_sampling_id": block.sampling.sampling_id,
                        "lock_ends_on": (result.locked_until or block.lock_ends_on).isoformat(),
                        "stratum": stratum,
                    },
                )
            )
    eligible = [row for row in rows if row[0] not in blocked] if blocked else rows

    pool = algorithm.Pool(
        strata=tuple(strata),
        candidates=(),
        inspectors=await _inspectors(session, plan.department_code),
        agencies=await _agencies(session, plan),
        history=await _task_history(session, set(map(itemgetter(1), eligible))),
        weights=dict(settings.draw_risk_weights),
        inspectors_per_task=settings.draw_inspectors_per_task,
        pre_exclusions=tuple(exclusions),
    )
    return pool, eligible


# Ordered by product id: a uuid orders like its text (fixed width, lowercase hex, hyphens at fixed
# places), so this is the document's order; the document check re-verifies it in one pass.
_CANDIDATES_SQL = """
SELECT p.id::text, p.enterprise_uscc, p.category_code, e.region_code, e.risk_class, r.path,
       p.active AND e.active
FROM products AS p
JOIN enterprises AS e ON e.uscc = p.enterprise_uscc
JOIN regions AS r ON r.code = e.region_code
WHERE (r.path = $1 OR starts_with(r.path, $2)) AND p.category_code ^@ ANY($3::text[])
ORDER BY p.id
"""


async def _candidate_rows(
    session: AsyncSession, plan: Plan, strata: list[algorithm.Stratum]
) -> tuple[list[algorithm.CandidateRow], list[algorithm.CandidateRow]]:
    """The products in the plan's region and categories as candidate rows: (active, inactive).

    Read over the driver's own connection (same transaction): a million rows arrive as text in
    the document's order, without SQLAlchemy's per-row result handling; the stratum is worked
    out once per (category, region path) pair, a few hundred of them."""
    paths = await _region_paths(session)
    plan_path = paths[plan.region_code]
    by_prefix: dict[str, list[tuple[algorithm.Stratum, str | None]]] = defaultdict(list)
    for stratum in strata:
        region_path = paths[stratum.region_code] if stratum.region_code else None
        by_prefix[stratum.category_code].append((stratum, region_path))
    driver = await driver_connection(session)
    # The sort of a million rows spills to disk under the default 4 MB; this transaction only.
    await driver.execute("SET LOCAL work_mem = '128MB'")
    records = await driver.fetch(_CANDIDATES_SQL, plan_path, plan_path + "/", list(by_prefix))
    homes: dict[tuple[str, str], str | None] = {}
    rows: list[algorithm.CandidateRow] = []
    inactive: list[algorithm.CandidateRow] = []
    for product_id, uscc, category, region, risk, path, active in records:
        key = (category, path)
        if key in homes:
            home = homes[key]
        else:
            found = _stratum_for(by_prefix, category, path)
            home = homes[key] = found.key if found else None
        if home is not None:
            (rows if active else inactive).append((product_id, uscc, category, region, risk, home))
    return rows, inactive


def _stratum_for(
    by_prefix: dict[str, list[tuple[algorithm.Stratum, str | None]]], category: str, path: str
) -> algorithm.Stratum | None:
    for end in range(2, len(category) + 1, 2):
        for stratum, region_path in by_prefix.get(category[:end], ()):
            if region_path is None or _inside(path, region_path):
                return stratum
    return None


async def _organiser(session: AsyncSession, code: str) -> Department:
    department = await session.get(Department, code)
    if department is None:  # the foreign key makes this unreachable
        raise NotFound("department.not_found", f"no department {code}")
    return department


async def _recent_history(
    session: AsyncSession, organiser: six_month_rule.Organiser, on: date, config: SixMonthConfig
) -> dict[str, list[six_month_rule.PastSampling]]:
    """Samplings in the lock window that could block this organiser at all: its own (R2),
    passed national/provincial ones (R1) and any by a higher level (R3). A superset of what
    the rules block — the pure check still decides — but a tenth of the window's rows."""
    higher = [
        level.value
        for level in six_month_rule.Level
        if six_month_rule.is_higher(level, organiser.level)
    ]
    rows = await session.exec(  # type: ignore[call-overload]
        sa_select(
            col(Sampling.id),
            col(Sampling.product_id),
            col(Sampling.department_code),
            col(Sampling.level),
            col(Sampling.region_code),
            col(Sampling.sampled_on),
            col(Sampling.verdict),
        ).where(
            col(Sampling.sampled_on) >= history_window_start(on, config),
            col(Sampling.sampled_on) <= on,
            (col(Sampling.department_code) == organiser.department_code)
            | (
                (col(Sampling.verdict) == "conforming")
                & col(Sampling.level).in_(["national", "provincial"])
            )
            | col(Sampling.level).in_(higher),
        )
    )
    organisers: dict[str, six_month_rule.Organiser] = {}
    history: dict[str, list[six_month_rule.PastSampling]] = defaultdict(list)
    for sampling_id, product_id, department, level, region, sampled_on, verdict in rows:
        past_organiser = organisers.get(department)
        if past_organiser is None:
            past_organiser = six_month_rule.Organiser(
                department, six_month_rule.Level(level), region
            )
            organisers[department] = past_organiser
        history[str(product_id)].append(
            six_month_rule.PastSampling(str(sampling_id), past_organiser, sampled_on, verdict)
        )
    return history


async def _inspectors(
    session: AsyncSession, department_code: str
) -> tuple[algorithm.InspectorEntry, ...]:
    inspectors = (
        await session.exec(
            select(Inspector.id).where(
                col(Inspector.department_code) == department_code, col(Inspector.active)
            )
        )
    ).all()
    conflicts: dict[uuid.UUID, list[str]] = defaultdict(list)
    for inspector_id, uscc in await session.exec(
        select(InspectorConflict.inspector_id, InspectorConflict.enterprise_uscc).where(
            col(InspectorConflict.inspector_id).in_(inspectors)
        )
    ):
        conflicts[inspector_id].append(uscc)
    return tuple(
        algorithm.InspectorEntry(inspector_id=str(i), conflicts=tuple(sorted(conflicts[i])))
        for i in inspectors
    )


async def _agencies(session: AsyncSession, plan: Plan) -> tuple[algorithm.AgencyEntry, ...]:
    # Valid CMA for the whole period: the sampling date is not known yet.
    rows = await session.exec(
        select(TestingAgency.id, TestingAgency.category_scope).where(
            col(TestingAgency.active),
            col(TestingAgency.cma_expired_on).is_(None),
            col(TestingAgency.cma_valid_from) <= plan.period_start,
            col(TestingAgency.cma_valid_until) >= plan.period_end,
        )
    )
    return tuple(
        algorithm.AgencyEntry(agency_id=str(agency_id), category_scope=tuple(sorted(scope)))
        for agency_id, scope in rows
    )


async def _task_history(
    session: AsyncSession, enterprises: set[str]
) -> dict[str, algorithm.History]:
    if not enterprises:
        return {}
    rows = await session.exec(
        select(SamplingTask.enterprise_uscc, SamplingTask.inspector_ids, SamplingTask.agency_id)
        .where(col(SamplingTask.state) != "cancelled")
        .ext(distinct_on(col(SamplingTask.enterprise_uscc)))
        # A draw's tasks share one created_at: the later in the draw is the previous task.
        .order_by(
            col(SamplingTask.enterprise_uscc),
            col(SamplingTask.created_at).desc(),
            col(SamplingTask.draw_order).desc(),
        )
    )
    return {
        uscc: algorithm.History(
            last_inspectors=tuple(sorted(str(i) for i in inspectors)), last_agency=str(agency)
        )
        for uscc, inspectors, agency in rows
        if uscc in enterprises
    }


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


def _gzip(data: bytes | memoryview) -> bytes:
    return gzip.compress(data, compresslevel=1, mtime=0)


async def _hash_and_compress(data: bytes) -> tuple[str, bytes]:
    """SHA-256 and gzip of a pool, side by side: hashlib and zlib release the GIL, so the two
    halves are compressed on both cores while the hash runs. The halves are two gzip members;
    a gzip stream may hold several, and ``gzip.decompress`` reads them as one."""
    view, middle = memoryview(data), len(data) // 2
    digest, first, second = await asyncio.gather(
        asyncio.to_thread(sha256_hex, data),
        asyncio.to_thread(_gzip, view[:middle]),
        asyncio.to_thread(_gzip, view[middle:]),
    )
    return digest, first + second


def _unpack_pool(pool_gz: bytes, pool_hash: str) -> bytes:
    pool_bytes = gzip.decompress(pool_gz)
    if sha256_hex(pool_bytes) != pool_hash:
        raise Conflict("draw.pool_corrupted", "the stored pool no longer matches its hash")
    return pool_bytes


def _draw(
    pool_bytes: bytes, seed: str
) -> tuple[list[algorithm.CandidateRow], algorithm.DrawOutcome, bytes]:
    """The draw from the stored pool's bytes (already checked against the pool hash), without a
    million Candidate objects; with the outcome's canonical gzip."""
    with gc_paused():  # millions of parsed containers, no reference cycles
        pool, rows = algorithm.pool_rows_from_document(orjson.loads(pool_bytes))
        outcome = algorithm.execute_rows(pool, rows, seed)
        return rows, outcome, _gzip(canonical_bytes(algorithm.outcome_document(outcome)))


def _decompress(data: bytes) -> Any:
    return orjson.loads(gzip.decompress(data))


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
    with gc_paused():  # a million short-lived candidate rows, no reference cycles
        pool, rows = await build_pool(session, plan, list(await plan_quotas(session, plan.id)), on)
        pool_bytes = await asyncio.to_thread(_fix_pool, pool, rows)
    pool_hash, pool_gz = await _hash_and_compress(pool_bytes)
    seed = algorithm.new_seed()
    draw = Draw(
        plan_id=plan.id,
        algorithm_version=algorithm.ALGORITHM_VERSION,
        pool_hash=pool_hash,
        seed_commitment=algorithm.seed_commitment(seed),
        seed=seed,
        evaluated_on=on,
        pool_gz=pool_gz,
        pool_size=len(rows),
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
    draw = await get_draw(session, principal, draw_id)
    await session.refresh(draw, with_for_update=True)
    plan = await get_plan(session, principal, draw.plan_id)
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
    pool_bytes = await asyncio.to_thread(_unpack_pool, draw.pool_gz, draw.pool_hash)
    rows, outcome, outcome_gz = await asyncio.to_thread(_draw, pool_bytes, draw.seed)
    del pool_bytes
    draw.outcome_gz = outcome_gz
    draw.state = "executed"
    draw.executed_at = datetime.now(_BUSINESS_TZ)
    draw.executed_by = principal.actor
    await _insert_tasks(session, plan, draw, rows, outcome.selections)
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
            "outcome_digest": sha256_hex(gzip.decompress(outcome_gz)),
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
    draw: Draw,
    rows: list[algorithm.CandidateRow],
    selections: Sequence[algorithm.Selection],
) -> None:
    """One task per selection, through COPY on the session's own connection: ten thousand rows
    in one round trip, without the ORM's per-row bulk-insert preparation."""
    if not selections:
        return
    selected = {s.product_id for s in selections}
    categories = {row[0]: row[2] for row in rows if row[0] in selected}
    created_at = utcnow()  # one instant for the draw's tasks; draw_order orders them
    records = [
        (
            uuid.uuid4(),
            plan.id,
            draw.id,
            uuid.UUID(s.product_id),
            s.enterprise_uscc,
            categories[s.product_id],
            uuid.UUID(s.agency_id),
            [uuid.UUID(i) for i in s.inspector_ids],
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
