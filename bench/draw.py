"""Benchmark: a 10,000-task draw from a 1,000,000-product pool, and the six-month eligibility check
against 5,000,000 past samplings (issue 3). Targets: commit + execute under 10 s; check p99 < 5 ms.

Run by hand (not a test): `uv run python bench/draw.py [--scale 1.0] [--profile] [--no-http]
[--no-write] [--pgdata DIR]`.

It starts an embedded PostgreSQL in a temporary directory, migrates it, loads the reference data
and bulk-generates (random.Random(42), COPY over one raw asyncpg connection, foreign-key triggers
off and secondary indexes rebuilt after the load, then VACUUM ANALYZE) 250,000 enterprises in the
156 Henan counties (risk A 20 % · B 50 % · C 20 % · D 10 %), 1,000,000 products in 0401…0405,
5,000,000 samplings over the last three years in date order (SAMR 3 %, Henan provincial 5 %, Hubei
provincial 1 %, the product's own city 91 %; verdicts pending for recent ones), the provincial
bureau's inspectors with some declared conflicts, testing agencies and six past provincial plans
with 60,000 tasks. None of that is timed.

Timed: `runner.commit_draw` + commit and `runner.execute_draw` + commit of a published
scjg-410000 plan with quotas 0401…0405 summing to 10,000, each in its own session, with the time
split into stages (wall-clock wrappers around the helpers of the runner and the pool builder; the
wrappers cost microseconds); with --profile a second, identical plan is drawn under cProfile for
the hot spots. Then `eligibility.check_product` for 2,000 random products on one session, and the
same through HTTP (ASGI transport, the real app with a regulator key). Writes
bench/results/draw.md (a hand-written analysis below its marker line is kept).
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import functools
import gc
import gzip
import inspect
import json
import os
import platform
import pstats
import random
import shutil
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from importlib import metadata
from pathlib import Path
from typing import Any

import asyncpg  # type: ignore[import-untyped]
import httpx
from sqlalchemy import func, table, text
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from models.common import PlanKind  # noqa: E402
from models.enterprise import Enterprise, Product  # noqa: E402
from models.plan import Draw, PlanCreate, PlanState, QuotaIn, SamplingTask  # noqa: E402
from models.system import Role  # noqa: E402
from seed.demo_plans import HENAN  # noqa: E402
from seed.loader import load_reference  # noqa: E402
from seed.reference import load_regions  # noqa: E402
from service import eligibility, embedded_pg, six_month_rule  # noqa: E402
from service.auth import create_key, system_principal  # noqa: E402
from service.config import Settings  # noqa: E402
from service.db import commit, make_engine, make_sessionmaker  # noqa: E402
from service.draw import algorithm, pool_builder, runner  # noqa: E402
from service.migrations import upgrade  # noqa: E402
from service.plans import change_state, create_plan  # noqa: E402
from service.uscc import make_uscc  # noqa: E402

RESULT = ROOT / "bench" / "results" / "draw.md"
ANALYSIS = "<!-- analysis: hand-written, kept when the benchmark rewrites this file -->"
DRAW_TARGET_S = 10.0
CHECK_P99_TARGET_MS = 5.0
ORGANISER = "scjg-410000"
LEAVES = ("0401", "0402", "0403", "0404", "0405")
QUOTA_PER_LEAF = 2_000
CHUNK = 250_000
Row = tuple[Any, ...]

# fmt: off
LEAF_NAMES = {"0401": ("电冰箱", "BCD-{}WT", "GB 4706.13-2014"),
              "0402": ("滚筒洗衣机", "XQG{}-B14", "GB 4706.24-2008"),
              "0403": ("空调器", "KFR-{}GW/BP3", "GB/T 7725-2022"),
              "0404": ("储水式电热水器", "DSZF-{}", "GB 4706.12-2006"),
              "0405": ("电磁炉", "C21-RT{}", "GB 4706.29-2008")}
RISK_DECILES = ("A", "A", "B", "B", "B", "B", "B", "C", "C", "D")  # A 20 % B 50 % C 20 % D 10 %
SIZES = ("large", "medium", "small", "small", "micro", "micro")
TRADES = "恒宏华金新鑫鼎瑞泰盛嘉永天中兴隆博汇豫安康东凯德润佳信宇"
# Who organised past samplings: (department, level, region, share). The rest: the product's city.
OTHER_ORGANISERS = (("samr-000000", "national", "000000", 0.03),
                    (ORGANISER, "provincial", "410000", 0.05),
                    ("scjg-420000", "provincial", "420000", 0.01))
# fmt: on


@dataclass
class Sizes:
    enterprises: int
    products: int
    samplings: int
    past_plans: int = 6
    tasks_per_past_plan: int = 10_000
    inspectors: int = 60
    conflicts: int = 300
    agencies: int = 12

    @classmethod
    def scaled(cls, scale: float) -> Sizes:
        return cls(
            enterprises=max(500, int(250_000 * scale)),
            products=max(2_000, int(1_000_000 * scale)),
            samplings=max(10_000, int(5_000_000 * scale)),
            tasks_per_past_plan=max(100, int(10_000 * scale)),
        )


# --- Data generation (not timed) ----------------------------------------------------------------


@dataclass
class World:
    """What the generators share; the big lists are dropped before anything is timed."""

    today: date
    counties: list[tuple[str, str, str]]  # code, name, municipal department
    usccs: list[str] = field(default_factory=list)
    enterprise_city: list[str] = field(default_factory=list)
    product_ids: list[uuid.UUID] = field(default_factory=list)
    product_enterprise: list[int] = field(default_factory=list)
    product_leaf: list[str] = field(default_factory=list)
    inspectors: list[uuid.UUID] = field(default_factory=list)
    agencies: list[uuid.UUID] = field(default_factory=list)


def _uuid(rng: random.Random) -> uuid.UUID:
    return uuid.UUID(int=rng.getrandbits(128), version=4)


def henan_counties() -> list[tuple[str, str, str]]:
    return [
        (r.code, r.name, f"scjg-{r.parent_code}")
        for r in load_regions()
        if r.level == "county" and r.code.startswith("41")
    ]


def enterprise_rows(rng: random.Random, world: World, count: int) -> Iterator[list[Row]]:
    chunk: list[Row] = []
    for i in range(count):
        code, name, city = rng.choice(world.counties)
        uscc = make_uscc(code, f"{10_000_000 + i:08d}")
        title = f"{name}{rng.choice(TRADES)}{rng.choice(TRADES)}电器{i}有限公司"
        address = f"{name}工业路{rng.randrange(1, 400)}号"
        active = rng.random() >= 0.005
        world.usccs.append(uscc)
        world.enterprise_city.append(city)
        chunk.append(
            (uscc, title, code, rng.choice(SIZES), address, rng.choice(RISK_DECILES), active)
        )
        if len(chunk) == CHUNK:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def product_rows(rng: random.Random, world: World, count: int) -> Iterator[list[Row]]:
    enterprises = len(world.usccs)
    chunk: list[Row] = []
    for j in range(count):
        e = int(rng.random() * enterprises)
        leaf = rng.choice(LEAVES)
        name, template, standard = LEAF_NAMES[leaf]
        brand = f"{rng.choice(TRADES)}{rng.choice(TRADES)}"
        model = template.format(j)
        product_id = _uuid(rng)
        world.product_ids.append(product_id)
        world.product_enterprise.append(e)
        world.product_leaf.append(leaf)
        chunk.append(
            (
                product_id,
                world.usccs[e],
                leaf,
                name,
                brand,
                model,
                standard,
                f"{standard}{brand}{model}",
                rng.random() >= 0.01,
            )
        )
        if len(chunk) == CHUNK:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def sampling_rows(rng: random.Random, world: World, count: int) -> Iterator[list[Row]]:
    """In date order over the last three years, as they would have been registered; the ids are
    time-ordered (a counter in the top bits, like UUIDv7), so the primary key grows at its end."""
    start = six_month_rule.add_months(world.today, -36)
    days = (world.today - start).days + 1
    products = len(world.product_ids)
    municipal = {city: ("municipal", city.removeprefix("scjg-")) for city in world.enterprise_city}
    chunk: list[Row] = []
    serial = 0
    for day in range(days):
        sampled_on = start + timedelta(days=day)
        age = (world.today - sampled_on).days
        for _ in range(count * (day + 1) // days - count * day // days):
            p = int(rng.random() * products)
            draw = rng.random()
            for option in OTHER_ORGANISERS:
                if draw < option[3]:
                    department, level, region = option[:3]
                    break
                draw -= option[3]
            else:
                department = world.enterprise_city[world.product_enterprise[p]]
                level, region = municipal[department]
            if age <= 45 and rng.random() < 0.6:
                verdict = None
            else:
                verdict = "conforming" if rng.random() < 0.9 else "nonconforming"
            kind = rng.random()
            plan_kind = "routine" if kind < 0.85 else "special" if kind < 0.97 else "follow_up"
            serial += 1
            sampling_id = uuid.UUID(int=(serial << 80) | rng.getrandbits(76), version=4)
            chunk.append(
                (
                    sampling_id,
                    world.product_ids[p],
                    department,
                    level,
                    region,
                    plan_kind,
                    sampled_on,
                    verdict,
                )
            )
            if len(chunk) == CHUNK:
                yield chunk
                chunk = []
    if chunk:
        yield chunk


def directory_rows(rng: random.Random, world: World, sizes: Sizes) -> dict[str, list[Row]]:
    """Inspectors (the organiser's, a few inactive, and Zhengzhou's), their conflicts, and the
    testing agencies: scope 04 and valid over the plan period, plus one out of scope and one
    whose CMA expired."""
    inspectors: list[Row] = []
    for n in range(sizes.inspectors + 5 + 10):
        department = ORGANISER if n < sizes.inspectors + 5 else "scjg-410100"
        inspector_id = _uuid(rng)
        active = not sizes.inspectors <= n < sizes.inspectors + 5
        if department == ORGANISER and active:
            world.inspectors.append(inspector_id)
        inspectors.append(
            (inspector_id, f"检查员{n:03d}", department, f"41{n:06d}", ["04"], active)
        )
    pairs = {
        (rng.choice(world.inspectors), rng.choice(world.usccs)) for _ in range(sizes.conflicts)
    }
    conflicts = [(_uuid(rng), i, u, "近亲属在该企业任职") for i, u in sorted(pairs)]
    agencies: list[Row] = []
    valid_from = world.today - timedelta(days=730)
    for n in range(sizes.agencies + 2):
        agency_id = _uuid(rng)
        scope, expired = ["04"], None
        if n == sizes.agencies:
            scope = ["02"]
        if n == sizes.agencies + 1:
            expired = world.today - timedelta(days=10)
        elif scope == ["04"]:
            world.agencies.append(agency_id)
        agencies.append(
            (
                agency_id,
                f"河南省第{n + 1}产品质量检验所",
                make_uscc("410100", f"{20_000_000 + n:08d}", authority="1", entity_type="2"),
                f"CMA{n:08d}",
                valid_from,
                valid_from + timedelta(days=6 * 365),
                expired,
                "410100",
                scope,
                True,
            )
        )
    return {"inspectors": inspectors, "conflicts": conflicts, "agencies": agencies}


def past_rows(rng: random.Random, world: World, sizes: Sizes) -> tuple[list[Row], list[Row]]:
    """Six closed provincial plans, one every half year, with their tasks (no draw rows)."""
    plans: list[Row] = []
    tasks: list[Row] = []
    for n in range(sizes.past_plans):
        start = six_month_rule.add_months(world.today, -6 * (n + 1))
        created = datetime(start.year, start.month, start.day, 2, tzinfo=UTC)
        plan_id = _uuid(rng)
        plans.append(
            (
                plan_id,
                f"往期省级监督抽查{n + 1}",
                ORGANISER,
                "provincial",
                "410000",
                "routine",
                start,
                start + timedelta(days=90),
                "closed",
                created,
            )
        )
        for order, p in enumerate(
            rng.sample(range(len(world.product_ids)), sizes.tasks_per_past_plan)
        ):
            leaf = world.product_leaf[p]
            state = "sampled" if rng.random() < 0.9 else rng.choice(("refused", "cancelled"))
            tasks.append(
                (
                    _uuid(rng),
                    plan_id,
                    world.product_ids[p],
                    world.usccs[world.product_enterprise[p]],
                    leaf,
                    rng.choice(world.agencies),
                    rng.sample(world.inspectors, 2),
                    f"{leaf}|*",
                    order,
                    state,
                    created,
                )
            )
    return plans, tasks


# --- Loading (not timed) ------------------------------------------------------------------------


# Columns given to COPY; the rest take their defaults.
COLUMNS: dict[str, str] = {
    "enterprises": "uscc name region_code size address risk_class active",
    "products": "id enterprise_uscc category_code name brand model standard identity_key active",
    "samplings": "id product_id department_code level region_code plan_kind sampled_on verdict",
    "inspectors": "id name department_code certificate_number specialities active",
    "inspector_conflicts": "id inspector_id enterprise_uscc reason",
    "testing_agencies": "id name uscc cma_number cma_valid_from cma_valid_until cma_expired_on "
    "region_code category_scope active",
    "plans": "id title department_code level region_code kind period_start period_end state "
    "created_at",
    "sampling_tasks": "id plan_id product_id enterprise_uscc category_code agency_id inspector_ids "
    "stratum draw_order state created_at",
}


async def drop_secondary_indexes(conn: Any, table: str) -> list[str]:
    """Drop the table's indexes and unique constraints except the primary key (foreign keys
    point at it); return the statements that rebuild them."""
    rows = await conn.fetch(
        """
        SELECT i.indexrelid::regclass::text AS index, pg_get_indexdef(i.indexrelid) AS indexdef,
               c.conname, pg_get_constraintdef(c.oid) AS condef
        FROM pg_index i
        LEFT JOIN pg_constraint c ON c.conindid = i.indexrelid AND c.conrelid = i.indrelid
                                  AND c.contype IN ('u', 'x')
        WHERE i.indrelid = $1::regclass AND NOT i.indisprimary
        """,
        table,
    )
    rebuild: list[str] = []
    for row in rows:
        if row["conname"]:
            await conn.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{row["conname"]}"')
            rebuild.append(f'ALTER TABLE {table} ADD CONSTRAINT "{row["conname"]}" {row["condef"]}')
        else:
            await conn.execute(f"DROP INDEX {row['index']}")
            rebuild.append(row["indexdef"])
    return rebuild


async def copy_chunks(conn: Any, table: str, chunks: Iterator[list[Row]]) -> int:
    """COPY chunk after chunk; the next chunk is generated in a thread while PostgreSQL ingests
    the current one."""
    count = 0
    chunk = await asyncio.to_thread(next, chunks, None)
    while chunk is not None:
        following = asyncio.ensure_future(asyncio.to_thread(next, chunks, None))
        await conn.copy_records_to_table(table, records=chunk, columns=COLUMNS[table].split())
        count += len(chunk)
        chunk = await following
    return count


async def load_world(socket_dir: str, world: World, sizes: Sizes) -> dict[str, tuple[int, float]]:
    """Generate and COPY everything; returns rows and seconds per table (generation included)."""
    rng = random.Random(42)
    loaded: dict[str, tuple[int, float]] = {}
    conn = await asyncpg.connect(host=socket_dir, user="postgres", database="qcs")
    try:
        # Bulk load: our rows are consistent by construction, so the foreign-key triggers are
        # skipped (replica role); the indexes are rebuilt once at the end, sorted.
        await conn.execute("SET session_replication_role = replica")
        await conn.execute("SET maintenance_work_mem = '1GB'")
        await conn.execute("SET synchronous_commit = off")
        rebuild: list[str] = []
        for table in ("enterprises", "products", "samplings"):
            rebuild += await drop_secondary_indexes(conn, table)
        generators: dict[str, Callable[[], Iterator[list[Row]]]] = {
            "enterprises": lambda: enterprise_rows(rng, world, sizes.enterprises),
            "products": lambda: product_rows(rng, world, sizes.products),
            "samplings": lambda: sampling_rows(rng, world, sizes.samplings),
        }
        for table, make in generators.items():
            started = time.perf_counter()
            count = await copy_chunks(conn, table, make())
            loaded[table] = (count, time.perf_counter() - started)
            print(f"  {table}: {count:,} rows in {loaded[table][1]:.1f} s", flush=True)
        started = time.perf_counter()
        directory = directory_rows(rng, world, sizes)
        plans, tasks = past_rows(rng, world, sizes)
        for table, rows in (
            ("inspectors", directory["inspectors"]),
            ("inspector_conflicts", directory["conflicts"]),
            ("testing_agencies", directory["agencies"]),
            ("plans", plans),
            ("sampling_tasks", tasks),
        ):
            await conn.copy_records_to_table(table, records=rows, columns=COLUMNS[table].split())
            loaded[table] = (len(rows), 0.0)
        loaded["directory and past tasks"] = (0, time.perf_counter() - started)
        started = time.perf_counter()
        for statement in rebuild:
            await conn.execute(statement)
        loaded[f"rebuild of {len(rebuild)} indexes"] = (0, time.perf_counter() - started)
        started = time.perf_counter()
        await conn.execute("VACUUM ANALYZE")
        await conn.execute("CHECKPOINT")
        loaded["VACUUM ANALYZE + CHECKPOINT"] = (0, time.perf_counter() - started)
    finally:
        await conn.close()
    return loaded


async def table_counts(maker: async_sessionmaker[AsyncSession]) -> dict[str, tuple[int, float]]:
    async with maker() as session:
        return {
            name: ((await session.exec(select(func.count()).select_from(table(name)))).one(), 0.0)
            for name in COLUMNS
        }


# --- Stage timing -------------------------------------------------------------------------------


@dataclass
class Timeline:
    """Start and end of each instrumented call and each SQL round trip, by label."""

    events: list[tuple[str, float, float]] = field(default_factory=list)

    def add(self, label: str, start: float, end: float) -> None:
        self.events.append((label, start, end))

    def first(self, label: str, after: float = 0.0) -> tuple[float, float] | None:
        for name, start, end in self.events:
            if name == label and start >= after:
                return start, end
        return None


def _timed(timeline: Timeline, label: str, fn: Callable[..., Any]) -> Callable[..., Any]:
    if inspect.iscoroutinefunction(fn):

        @functools.wraps(fn)
        async def timed_async(*args: Any, **kwargs: Any) -> Any:
            start = time.perf_counter()
            try:
                return await fn(*args, **kwargs)
            finally:
                timeline.add(label, start, time.perf_counter())

        return timed_async

    @functools.wraps(fn)
    def timed(*args: Any, **kwargs: Any) -> Any:
        start = time.perf_counter()
        try:
            return fn(*args, **kwargs)
        finally:
            timeline.add(label, start, time.perf_counter())

    return timed


@contextmanager
def instrumented(timeline: Timeline) -> Iterator[None]:
    """Wrap the helpers of the runner and the pool builder, as their callers see them."""
    patches: list[tuple[Any, str, Any]] = []

    def patch(owner: Any, name: str, label: str | None = None) -> None:
        original = getattr(owner, name, None)
        if original is not None:  # tolerate a renamed helper: that stage shows as n/a
            patches.append((owner, name, original))
            setattr(owner, name, _timed(timeline, label or name, original))

    for name in (
        "_region_paths",
        "_candidate_rows",
        "_organiser",
        "_recent_history",
        "_inspectors",
        "_agencies",
        "_task_history",
        "_six_month_locks",
    ):
        patch(pool_builder, name)
    for name in (
        "build_pool",
        "_fix_pool",
        "canonical_bytes",
        "_hash_and_compress",
        "_unpack_pool",
        "_draw",
        "_outcome_gz",
        "_insert_tasks",
        "transition",
    ):
        patch(runner, name)
    for name in (
        "pool_document_from_rows",
        "pool_rows_from_document",
        "execute_rows",
        "outcome_document",
    ):
        patch(algorithm, name)
    try:
        yield
    finally:
        for owner, name, original in reversed(patches):
            setattr(owner, name, original)


Stage = tuple[str, float | None]
Span = tuple[float, float] | None


def _at(instant: float) -> Span:
    return instant, instant


def _between(a: Span, b: Span) -> float | None:
    """From the end of `a` to the start of `b`."""
    return None if a is None or b is None else b[0] - a[1]


def _span(a: Span) -> float | None:
    return None if a is None else a[1] - a[0]


def _minus(a: float | None, b: float | None) -> float | None:
    return None if a is None or b is None else a - b


def commit_stages(t: Timeline, started: float, returned: float, committed: float) -> list[Stage]:
    build = t.first("build_pool")
    regions, candidates = t.first("_region_paths"), t.first("_candidate_rows")
    history, inspectors = t.first("_recent_history"), t.first("_inspectors")
    checks = t.first("_six_month_locks")
    # The six-month checks run in a thread beside the candidate query: one stage for the two.
    both: Span = (
        (min(candidates[0], checks[0]), max(candidates[1], checks[1]))
        if candidates and checks
        else None
    )
    beside = "" if checks is None else f" ({checks[1] - checks[0]:.2f} s in the thread)"
    packed = t.first("_hash_and_compress")
    return [
        ("plan lookup, row lock, existing-draw check", _between(_at(started), build)),
        ("organiser, six-month history (SQL + fetch over asyncpg, PastSampling)",
         _between(_at(build[0]), _at(history[1])) if build and history else None),
        ("region paths", _span(regions)),
        ("candidate rows (SQL + fetch over asyncpg, strata, inactive and six-month "
         "exclusions), beside them the six-month checks" + beside,
         _minus(_span(both), _span(regions))),
        ("inspectors, agencies, task history", _between(_at(inspectors[0]), _at(build[1]))
         if inspectors and build else None),
        ("pool document from the rows (validate, order check)",
         _span(t.first("pool_document_from_rows"))),
        ("canonical JSON bytes of the pool (orjson)", _span(t.first("canonical_bytes"))),
        ("SHA-256 + gzip (ISA-L) of the pool, side by side, rows freed beside them",
         _span(packed)),
        ("draw row, flush, audit entry", _between(packed, _at(returned))),
        ("commit (audit chain + COMMIT)", committed - returned),
    ]  # fmt: skip


def execute_stages(t: Timeline, started: float, returned: float, committed: float) -> list[Stage]:
    unpack, drawn = t.first("_unpack_pool"), t.first("_draw")
    parsed = t.first("pool_rows_from_document")
    outcome, tasks = t.first("_outcome_gz"), t.first("_insert_tasks")
    # The outcome's gzip runs in a thread beside the COPY: one stage from the start of the two
    # to the end of the later, so that nothing is counted twice.
    both: Span = (
        (min(tasks[0], outcome[0]), max(tasks[1], outcome[1])) if tasks and outcome else None
    )
    beside = "" if outcome is None else f" ({outcome[1] - outcome[0]:.2f} s in the thread)"
    return [
        ("draw and plan lookup, row locks", _between(_at(started), unpack)),
        ("gunzip (ISA-L) + SHA-256 check of the pool", _span(unpack)),
        ("orjson.loads of the pool", _between(_at(drawn[0]), parsed) if drawn else None),
        ("pool_rows_from_document (rows left to the draw's check)", _span(parsed)),
        ("algorithm.execute_rows (the draw; the committed pool is not validated again)",
         _span(t.first("execute_rows"))),
        ("categories of the selected",
         _between(t.first("execute_rows"), _at(drawn[1])) if drawn else None),
        ("task rows + COPY, beside it outcome JSON + gzip" + beside, _span(both)),
        ("plan transition, flush, audit entry", _between(both, _at(returned))),
        ("commit (audit chain + COMMIT)", committed - returned),
    ]  # fmt: skip


# --- The timed parts ----------------------------------------------------------------------------


@dataclass
class DrawRun:
    plan_id: uuid.UUID
    commit_s: float
    execute_s: float
    cpu_s: tuple[float, float]  # this process's CPU time in commit and execute (not PostgreSQL's)
    commit_stages: list[Stage]
    execute_stages: list[Stage]
    pool_size: int
    pool_gz_bytes: int
    selections: int
    exclusions: Counter[str]
    shortfalls: list[dict[str, Any]]


async def published_plan(
    maker: async_sessionmaker[AsyncSession], title: str, on: date
) -> uuid.UUID:
    async with maker() as session:
        plan = await create_plan(
            session,
            HENAN,
            PlanCreate(
                title=title,
                kind=PlanKind.ROUTINE,
                period_start=on,
                period_end=on + timedelta(days=120),
                quotas=[QuotaIn(category_code=leaf, quota=QUOTA_PER_LEAF) for leaf in LEAVES],
            ),
        )
        await change_state(session, HENAN, plan.id, PlanState.PUBLISHED)
        await commit(session)
        return plan.id


async def run_draw(
    engine: AsyncEngine, plan_id: uuid.UUID, profiler: cProfile.Profile | None = None
) -> DrawRun:
    maker = make_sessionmaker(engine)
    committed_t, executed_t = Timeline(), Timeline()
    gc.collect()
    with instrumented(committed_t):
        async with maker() as session:
            if profiler:
                profiler.enable()
            c0, cpu0 = time.perf_counter(), time.process_time()
            draw = await runner.commit_draw(session, HENAN, plan_id)
            c1 = time.perf_counter()
            await commit(session)
            c2, cpu1 = time.perf_counter(), time.process_time()
            if profiler:
                profiler.disable()
            draw_id = draw.id
    gc.collect()
    with instrumented(executed_t):
        async with maker() as session:
            if profiler:
                profiler.enable()
            e0, cpu2 = time.perf_counter(), time.process_time()
            draw = await runner.execute_draw(session, HENAN, draw_id)
            e1 = time.perf_counter()
            await commit(session)
            e2, cpu3 = time.perf_counter(), time.process_time()
            if profiler:
                profiler.disable()
    async with maker() as session:
        stored = await session.get(Draw, draw_id)
        assert stored is not None
        assert stored.outcome_gz is not None
        outcome = json.loads(gzip.decompress(stored.outcome_gz))
        pool_gz_bytes = len(stored.pool_gz)
        tasks = (
            await session.exec(
                select(func.count())
                .select_from(SamplingTask)
                .where(col(SamplingTask.draw_id) == draw_id)
            )
        ).one()
    reasons: Counter[str] = Counter()
    for exclusion in outcome["exclusions"]:
        rule = exclusion.get("detail", {}).get("rule_id")
        reasons[f"{exclusion['reason']} ({rule})" if rule else exclusion["reason"]] += 1
    assert tasks == len(outcome["selections"]), (tasks, len(outcome["selections"]))
    return DrawRun(
        plan_id=plan_id,
        commit_s=c2 - c0,
        execute_s=e2 - e0,
        cpu_s=(cpu1 - cpu0, cpu3 - cpu2),
        commit_stages=commit_stages(committed_t, c0, c1, c2),
        execute_stages=execute_stages(executed_t, e0, e1, e2),
        pool_size=stored.pool_size,
        pool_gz_bytes=pool_gz_bytes,
        selections=len(outcome["selections"]),
        exclusions=reasons,
        shortfalls=outcome["shortfalls"],
    )


def percentiles(samples: Sequence[float]) -> dict[str, float]:
    ordered = sorted(samples)

    def rank(q: float) -> float:  # nearest rank
        return ordered[max(0, min(len(ordered) - 1, int(-(-q * len(ordered) // 1)) - 1))]

    return {
        "p50": rank(0.50),
        "p95": rank(0.95),
        "p99": rank(0.99),
        "max": ordered[-1],
        "mean": sum(ordered) / len(ordered),
    }


async def check_latencies(
    engine: AsyncEngine, probes: list[uuid.UUID], warmup: list[uuid.UUID], on: date
) -> tuple[dict[str, float], Counter[str]]:
    maker = make_sessionmaker(engine)
    outcomes: Counter[str] = Counter()
    samples: list[float] = []
    async with maker() as session:
        for product_id in warmup:
            await eligibility.check_product(
                session,
                product_id=product_id,
                department_code=ORGANISER,
                on=on,
                plan_kind=PlanKind.ROUTINE,
                config=pool_builder.six_month_config(),
            )
        gc.collect()
        for product_id in probes:
            started = time.perf_counter()
            decision = await eligibility.check_product(
                session,
                product_id=product_id,
                department_code=ORGANISER,
                on=on,
                plan_kind=PlanKind.ROUTINE,
                config=pool_builder.six_month_config(),
            )
            samples.append((time.perf_counter() - started) * 1000)
            outcomes["eligible" if decision.eligibility.eligible else "locked"] += 1
    return percentiles(samples), outcomes


async def http_latencies(
    url: str, engine: AsyncEngine, probes: list[uuid.UUID], warmup: list[uuid.UUID], on: date
) -> dict[str, float]:
    async with make_sessionmaker(engine)() as session:
        _, secret = await create_key(
            session,
            actor=system_principal("bench"),
            role=Role.REGULATOR,
            name="bench",
            department_code=ORGANISER,
        )
        await commit(session)
    from service.app import create_app  # here: the rest of the benchmark does not need the app

    app = create_app(Settings(database_url=url, scheduler=False))
    samples: list[float] = []
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        headers = {"Authorization": f"Bearer {secret}"}
        params = {"department": ORGANISER, "date": on.isoformat()}
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
            for n, product_id in enumerate([*warmup, *probes]):
                started = time.perf_counter()
                response = await client.get(
                    f"/api/v1/products/{product_id}/eligibility", params=params, headers=headers
                )
                elapsed = (time.perf_counter() - started) * 1000
                assert response.status_code == 200, response.text
                if n >= len(warmup):
                    samples.append(elapsed)
    return percentiles(samples)


async def probe_history(engine: AsyncEngine, probes: list[uuid.UUID], on: date) -> dict[str, int]:
    window = eligibility.history_window_start(on, pool_builder.six_month_config())
    async with make_sessionmaker(engine)() as session:
        row = (
            await session.exec(
                text(  # type: ignore[call-overload]
                    "SELECT count(DISTINCT product_id), "
                    "count(DISTINCT product_id) FILTER (WHERE sampled_on >= :w) "
                    "FROM samplings WHERE product_id = ANY(:ids)"
                ),
                params={"w": window, "ids": probes},
            )
        ).one()
    return {"any history": int(row[0]), "history in the six-month window": int(row[1])}


def profile_tables(profiler: cProfile.Profile) -> tuple[list[str], list[str]]:
    stats = pstats.Stats(profiler)
    entries: dict[tuple[str, int, str], tuple[int, int, float, float, Any]] = stats.stats  # type: ignore[attr-defined]

    def where(key: tuple[str, int, str]) -> str:
        filename, line, function = key
        for prefix in (str(ROOT) + "/", "site-packages/"):
            if prefix in filename:
                filename = filename.split(prefix, 1)[1]
        return f"`{function}` ({filename}:{line})" if line else f"`{function}`"

    def table(
        rows: list[tuple[tuple[str, int, str], tuple[int, int, float, float, Any]]],
    ) -> list[str]:
        lines = ["| function | calls | own s | cumulative s |", "|---|---:|---:|---:|"]
        for key, (_, calls, own, cumulative, _) in rows:
            lines.append(f"| {where(key)} | {calls:,} | {own:.2f} | {cumulative:.2f} |")
        return lines

    by_own = sorted(entries.items(), key=lambda item: item[1][2], reverse=True)[:20]
    ours = [
        item
        for item in entries.items()
        if str(ROOT) in item[0][0] and ".venv" not in item[0][0] and "bench/" not in item[0][0]
    ]
    by_cumulative = sorted(ours, key=lambda item: item[1][3], reverse=True)[:20]
    return table(by_own), table(by_cumulative)


# --- Report -------------------------------------------------------------------------------------


def machine_facts(pg_version: str) -> dict[str, str]:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    memory = Path("/proc/meminfo").read_text().splitlines()[0].split()[1]
    packages = ", ".join(
        f"{name} {metadata.version(name)}"
        for name in ("fastapi", "sqlalchemy", "sqlmodel", "asyncpg", "pydantic")
    )
    return {
        "CPU": f"{os.cpu_count()} × {cpu} (nproc {len(os.sched_getaffinity(0))})",
        "Memory": f"{int(memory) / 1024 / 1024:.1f} GiB",
        "OS": platform.platform(),
        "Python": platform.python_version(),
        "PostgreSQL": pg_version.split(" on ")[0] + " (embedded, unix socket, default settings)",
        "Packages": packages,
    }


def stage_table(stages: list[Stage], total: float) -> list[str]:
    lines = ["| stage | s | share |", "|---|---:|---:|"]
    known = 0.0
    for name, seconds in stages:
        if seconds is None:
            lines.append(f"| {name} | n/a | |")
            continue
        known += seconds
        lines.append(f"| {name} | {seconds:.2f} | {seconds / total:.0%} |")
    lines.append(f"| (not attributed) | {total - known:.2f} | {(total - known) / total:.0%} |")
    lines.append(f"| **total** | **{total:.2f}** | |")
    return lines


def verdict(ok: bool) -> str:
    return "**met**" if ok else "**MISSED**"


def report(results: dict[str, Any], args: argparse.Namespace) -> str:
    sizes: Sizes = results["sizes"]
    run: DrawRun = results["draw"]
    draw_total = run.commit_s + run.execute_s
    check: dict[str, float] = results["check"]
    http: dict[str, float] | str | None = results["http"]
    loaded: dict[str, tuple[int, float]] = results["loaded"]
    six_month = sum(n for r, n in run.exclusions.items() if r.startswith("six_month"))
    shortfalls = ", ".join(f"{s['stratum']} {s['selected']}/{s['quota']}" for s in run.shortfalls)
    outcomes = ", ".join(f"{k} {v:,}" for k, v in sorted(results["outcomes"].items()))
    flags = (f" --scale {args.scale}" if args.scale != 1.0 else "") + (
        " --profile" if args.profile else ""
    )
    stages = [(f"commit: {n}", v) for n, v in run.commit_stages if v is not None]
    stages += [(f"execute: {n}", v) for n, v in run.execute_stages if v is not None]
    largest = sorted(stages, key=lambda stage: stage[1], reverse=True)[:6]
    lines = [
        "# Benchmark result: draw and eligibility at provincial scale",
        "",
        f"Run {datetime.now(UTC):%Y-%m-%d %H:%M} UTC by `uv run python bench/draw.py{flags}`; "
        f"draw date {results['on']}.",
        "",
        "| target | measured | result |",
        "|---|---:|---|",
        f"| commit + execute a draw of {QUOTA_PER_LEAF * len(LEAVES):,} tasks from "
        f"{sizes.products:,} products, < {DRAW_TARGET_S:.0f} s | {draw_total:.1f} s "
        f"(commit {run.commit_s:.1f} + execute {run.execute_s:.1f}) | "
        f"{verdict(draw_total < DRAW_TARGET_S)} |",
        f"| eligibility check p99 with {sizes.samplings:,} samplings, < {CHECK_P99_TARGET_MS:.0f}"
        f" ms | {check['p99']:.2f} ms | {verdict(check['p99'] < CHECK_P99_TARGET_MS)} |",
        "",
        "## Data",
        "",
        "| table | rows | generate + COPY, s |",
        "|---|---:|---:|",
        *(
            f"| {table} | {f'{rows:,}' if rows else ''} | {f'{seconds:.1f}' if seconds else ''} |"
            for table, (rows, seconds) in loaded.items()
        ),
        "",
        f"Generated with `random.Random(42)`: {sizes.enterprises:,} enterprises in the Henan "
        f"counties (risk A 20 % · B 50 % · C 20 % · D 10 %, 0.5 % inactive), {sizes.products:,} "
        "products in 0401…0405 (1 % inactive), samplings spread evenly over the three years to "
        "the draw date (SAMR 3 %, scjg-410000 5 %, scjg-420000 1 %, the product's city 91 %; 60 % "
        f"of the last 45 days still without verdict); {sizes.inspectors} active inspectors in "
        f"{ORGANISER} (5 inactive), {loaded['inspector_conflicts'][0]} declared conflicts, "
        f"{sizes.agencies} agencies with scope 04 (plus one out of scope and one expired), "
        f"{sizes.past_plans} closed provincial plans with "
        f"{sizes.past_plans * sizes.tasks_per_past_plan:,} tasks. Secondary indexes were rebuilt "
        "after the load, then VACUUM ANALYZE and CHECKPOINT; none of this is timed. Total setup "
        f"{results['setup_s']:.0f} s.",
        "",
        "## Draw",
        "",
        f"Plan of {ORGANISER} for the whole province, quotas {', '.join(LEAVES)} × "
        f"{QUOTA_PER_LEAF:,}, kind routine. Each call in its own session, committed with "
        "`service.db.commit`; the timings below include the commit.",
        "",
        f"- Pool: {run.pool_size:,} candidates; stored pool {run.pool_gz_bytes / 1024 / 1024:.1f}"
        " MiB gzip.",
        f"- Exclusions: {', '.join(f'{r} {n:,}' for r, n in sorted(run.exclusions.items()))} "
        f"(six-month share of the products in scope: {six_month / sizes.products:.1%}).",
        f"- Selections: {run.selections:,}; shortfalls: {shortfalls or 'none'}.",
        f"- Largest stages: {'; '.join(f'{n} {v:.1f} s' for n, v in largest)}.",
        "",
        f"### commit_draw + commit: {run.commit_s:.2f} s "
        f"(CPU time of the benchmark process: {run.cpu_s[0]:.2f} s)",
        "",
        *stage_table(run.commit_stages, run.commit_s),
        "",
        f"### execute_draw + commit: {run.execute_s:.2f} s "
        f"(CPU time of the benchmark process: {run.cpu_s[1]:.2f} s)",
        "",
        *stage_table(run.execute_stages, run.execute_s),
        "",
        "Stages come from wall-clock wrappers around the helpers of the runner and the pool "
        "builder; the other rows are the gaps between them.",
        "",
    ]
    if results["profile"]:
        by_own, by_cumulative = results["profile"]
        commit_s, execute_s = results["profiled"]
        lines += [
            f"### Profile (a second, identical plan under cProfile: commit {commit_s:.1f} s + "
            f"execute {execute_s:.1f} s, inflated by the profiler)",
            "",
            "Top 20 by own time:",
            "",
            *by_own,
            "",
            "Project functions by cumulative time:",
            "",
            *by_cumulative,
            "",
        ]
    lines += [
        "## Eligibility check",
        "",
        f"`service.eligibility.check_product` for {args.probes:,} random products "
        f"({', '.join(f'{k} {v:,}' for k, v in results['probe_history'].items())}), organiser "
        f"{ORGANISER}, kind routine, sequentially on one session after {args.warmup} warm-up "
        f"calls; outcomes {outcomes}.",
        "",
        "| path | p50 ms | p95 ms | p99 ms | max ms | mean ms |",
        "|---|---:|---:|---:|---:|---:|",
        "| check_product (one session) | "
        + " | ".join(f"{check[k]:.2f}" for k in ("p50", "p95", "p99", "max", "mean"))
        + " |",
    ]
    if isinstance(http, str):
        lines += ["", f"The HTTP run failed: `{http}`."]
    elif http:
        lines.append(
            "| GET /api/v1/products/{id}/eligibility (ASGI, new session, key lookup) | "
            + " | ".join(f"{http[k]:.2f}" for k in ("p50", "p95", "p99", "max", "mean"))
            + " |"
        )
    before, after = results["load"]
    lines += [
        "",
        "## Machine",
        "",
        *(f"- {k}: {v}" for k, v in results["facts"].items()),
        f"- Load average (1 min) before the draw {before:.1f}, at the end {after:.1f}: anything "
        "above ~1 means other work shared the two cores and the wall times are inflated.",
        "",
    ]
    return "\n".join(lines)


# --- Main ---------------------------------------------------------------------------------------


async def bench(url: str, socket_dir: str, args: argparse.Namespace) -> dict[str, Any]:
    settings = Settings(database_url=url, scheduler=False)
    setup_started = time.perf_counter()
    engine = make_engine(url, settings)
    maker = make_sessionmaker(engine)
    async with maker() as session:
        await load_reference(session, system_principal("bench"))
        await commit(session)
        pg_version = str((await session.exec(select(text("version()")))).one())
        loaded_before = (await session.exec(select(func.count()).select_from(Enterprise))).one()
    sizes = Sizes.scaled(args.scale)
    on = runner.business_today()
    if loaded_before:  # --pgdata with a database loaded by an earlier run
        print(f"reusing the {loaded_before:,} enterprises etc. in {args.pgdata}", flush=True)
        loaded = await table_counts(maker)
    else:
        world = World(today=on, counties=henan_counties())
        loaded = await load_world(socket_dir, world, sizes)
        del world  # the timed parts run without the generator's millions of objects
    gc.collect()
    async with maker() as session:
        ids = (await session.exec(select(Product.id).order_by(col(Product.id)))).all()
    sample = random.Random(4242).sample(ids, args.probes + args.warmup)
    probes, warmup = sample[: args.probes], sample[args.probes :]
    del ids
    plan_a = await published_plan(maker, "基准：省级电器产品监督抽查（计时）", on)
    plan_b = (
        await published_plan(maker, "基准：省级电器产品监督抽查（剖析）", on)
        if args.profile
        else None
    )
    async with maker() as session:  # a warm connection and compiled statements, as in a server
        await session.exec(select(text("1")))
    setup_s = time.perf_counter() - setup_started
    print(f"setup done in {setup_s:.0f} s; drawing", flush=True)

    load_before = os.getloadavg()[0]
    run = await run_draw(engine, plan_a)
    print(f"draw: commit {run.commit_s:.2f} s, execute {run.execute_s:.2f} s", flush=True)
    print("\n".join(stage_table(run.commit_stages, run.commit_s)), flush=True)
    print("\n".join(stage_table(run.execute_stages, run.execute_s)), flush=True)
    profile: tuple[list[str], list[str]] | None = None
    profiled = (0.0, 0.0)
    if plan_b is not None:
        profiler = cProfile.Profile()
        second = await run_draw(engine, plan_b, profiler)
        profile = profile_tables(profiler)
        profiled = (second.commit_s, second.execute_s)
        print(f"profiled draw: commit {profiled[0]:.1f} s, execute {profiled[1]:.1f} s", flush=True)
    check, outcomes = await check_latencies(engine, probes, warmup, on)
    print(f"check_product: p50 {check['p50']:.2f} ms, p99 {check['p99']:.2f} ms", flush=True)
    http: dict[str, float] | str | None = None
    if not args.no_http:
        try:
            http = await http_latencies(url, engine, probes, warmup, on)
        except Exception as exc:  # the app is shared with work in progress: report, go on
            http = f"{type(exc).__name__}: {exc}"
            print(f"HTTP run failed: {http}", flush=True)
    history = await probe_history(engine, probes, on)
    await engine.dispose()
    return {
        "sizes": sizes,
        "on": on,
        "loaded": loaded,
        "setup_s": setup_s,
        "draw": run,
        "profile": profile,
        "profiled": profiled,
        "check": check,
        "outcomes": outcomes,
        "http": http,
        "probe_history": history,
        "facts": machine_facts(pg_version),
        "load": (load_before, os.getloadavg()[0]),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0, help="data size factor (1.0 = issue)")
    parser.add_argument("--probes", type=int, default=2_000)
    parser.add_argument("--warmup", type=int, default=200)
    parser.add_argument("--no-http", action="store_true", help="skip the HTTP eligibility run")
    parser.add_argument(
        "--profile", action="store_true", help="also draw a second plan under cProfile (slow)"
    )
    parser.add_argument("--no-write", action="store_true", help="print only")
    parser.add_argument(
        "--pgdata",
        type=Path,
        help="keep the database here and reuse it when already loaded (for iterating; the "
        "result file should come from a fresh run)",
    )
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="qcs-bench-"))
    pg = embedded_pg.start(args.pgdata or workdir / "pg", delete_on_stop=args.pgdata is None)
    try:
        url = pg.url()
        upgrade(url)  # runs its own event loop: before any other
        results = asyncio.run(bench(url, pg.socket_dir, args))
    finally:
        pg.stop()
        shutil.rmtree(workdir, ignore_errors=True)
    output = report(results, args)
    print(output)
    if not args.no_write:
        # A hand-written analysis below the marker survives re-runs (it carries its own date).
        kept = RESULT.read_text(encoding="utf-8").partition(ANALYSIS)[2] if RESULT.exists() else ""
        RESULT.parent.mkdir(parents=True, exist_ok=True)
        RESULT.write_text(output + (ANALYSIS + kept if kept else ""), encoding="utf-8")


if __name__ == "__main__":
    main()
