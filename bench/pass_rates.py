"""Benchmark: pass-rate queries over 10,000,000 final results, and what the rollup costs
finalisation. Targets: any one- or two-dimension query over any period under 100 ms at p95; the
rollup under 20 % of result-finalisation throughput.

Run by hand (not a test): `uv run python bench/pass_rates.py [--results 10000000]` (~30 min).

What is measured, honestly:
- Scale. The regions are the seeded Henan and Hubei tree plus 29 synthetic provinces of 11
  prefectures and 9 counties each (3,127 county-level units, 354 prefecture-level: the national
  count), so region grains have national cardinality. Categories are the 96 seeded ones (75
  leaves); agencies 12 per province (372).
- Raw results. 10M rows are generated into the real `results` table by `INSERT … SELECT
  generate_series` inside the server. Its foreign keys, unique constraints and secondary
  indexes are dropped first, so plans, tasks, samples and reports need not exist 10M times;
  the rows have the real columns and the state/verdict/dimension mix below. 97 % are final.
- Rollup. Built by the service's own `rebuild` (the same GROUPING SETS statement `make_final`
  runs per result), timed; the rebuild writes every row into the `settled` tier.
- Queries. A matrix of every one- and two-dimension `group_by` (regions at three levels,
  categories at three depths, level, kind, channel, size, agency, month/quarter/year) over five
  periods (a month, a quarter, a year, all 36 months, an unaligned 17 months), plus each
  county-level shape within one province. A JSON answer is paged, so each shape is timed as
  its first page and as a page from the middle of the answer (a cursor at its middle group),
  three times each after a warm-up, end to end through `service.stats.query.pass_rates` and
  `export.to_json` (SQL, names, rates and Wilson bounds, the JSON bytes), and the first page's
  SQL alone. The whole answer is timed once as the CSV export (`pass_rates` without a page and
  `export.to_csv`), with its SQL alone. Baseline: the same GROUP BY over the raw results for a
  sample of shapes, same run, against the whole answer's SQL.
- Finalisation. The demo directory and history are loaded first (real rows, foreign keys and
  all) and their ~4,400 results set back to `notified`; after the scale run they are made final
  through `make_final` (event, audit record, rectification, commit with the audit chain) into
  the full-size rollup, in alternating rounds with the rollup update on and patched out, one
  result per transaction (as an objection decision) and 100 per transaction (as the lapse
  job). They fold into the rollup's `recent` tier, which each series starts empty, as after
  the nightly `stats.settle_rollup`. After each series the bench settles what it folded and
  reports that time too, added to the rounds with the rollup: the deferred part of their cost.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import event, insert, text
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from models.reference import Region  # noqa: E402
from models.stats import RegionGrouping  # noqa: E402
from seed.demo import load_demo  # noqa: E402
from seed.demo_results import load_demo_results  # noqa: E402
from seed.loader import load_reference  # noqa: E402
from service import embedded_pg, stats  # noqa: E402
from service.auth import system_principal  # noqa: E402
from service.config import Settings  # noqa: E402
from service.db import commit, make_engine, make_sessionmaker  # noqa: E402
from service.migrations import upgrade  # noqa: E402
from service.pagination import PageRequest, encode_cursor  # noqa: E402
from service.stats import export, params, query  # noqa: E402
from service.stats.grains import choose_grain  # noqa: E402

RESULT = ROOT / "bench" / "results" / "pass_rates.md"
TARGET_MS = 100.0
TARGET_OVERHEAD = 0.20
TODAY = date(2027, 1, 15)
ACTOR = system_principal("bench")
# Province codes of the 29 provinces the seed does not have.
OTHER_PROVINCES = (11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 43, 44, 45, 46,
                   50, 51, 52, 53, 54, 61, 62, 63, 64, 65)  # fmt: skip
# The period whose first pages are timed again while the recent tier holds a series' rows.
PROBED = "36 months"
PERIODS = {
    "month": ("2025-07", "2025-07"),
    "quarter": ("2025-07", "2025-09"),
    "year": ("2025-01", "2025-12"),
    "36 months": ("2024-01", "2026-12"),
    "17 months (unaligned)": ("2024-08", "2025-12"),
}


def settings(url: str) -> Settings:
    # Rebuilding from 10M rows takes minutes; the app's 30 s statement timeout would stop it.
    return Settings(database_url=url, scheduler=False, db_statement_timeout_ms=3_600_000)


async def run_sql(engine: AsyncEngine, *statements: str) -> None:
    async with engine.begin() as connection:
        for statement in statements:
            await connection.execute(text(statement))


# --- the national region tree and 10M results --------------------------------------------


def national_regions() -> list[dict[str, Any]]:
    """29 synthetic provinces of 11 prefectures of 9 counties, beside the seeded two."""
    rows = []
    for province in OTHER_PROVINCES:
        p = f"{province}0000"
        rows.append({"code": p, "name": f"省{province}", "level": "province",
                     "parent_code": "000000", "path": f"000000/{p}"})  # fmt: skip
        for city in range(1, 12):
            c = f"{province}{city:02d}00"
            rows.append({"code": c, "name": f"市{c}", "level": "prefecture", "parent_code": p,
                         "path": f"000000/{p}/{c}"})  # fmt: skip
            for county in range(1, 10):
                x = f"{c[:4]}{county:02d}"
                rows.append({"code": x, "name": f"县{x}", "level": "county", "parent_code": c,
                             "path": f"000000/{p}/{c}/{x}"})  # fmt: skip
    return rows


RELAX_RESULTS = """
DO $$ DECLARE c record; BEGIN
  FOR c IN SELECT conname FROM pg_constraint
           WHERE conrelid = 'results'::regclass AND contype IN ('f', 'u') LOOP
    EXECUTE format('ALTER TABLE results DROP CONSTRAINT %I', c.conname);
  END LOOP;
  FOR c IN SELECT indexrelid::regclass::text AS name FROM pg_index
           WHERE indrelid = 'results'::regclass AND NOT indisprimary LOOP
    EXECUTE format('DROP INDEX %s', c.name);
  END LOOP;
END $$;
"""

# One chunk of results. Nonconformity ~11 % overall, higher for small enterprises and online;
# agencies are drawn among the twelve of the result's province; 97 % are final.
RESULT_CHUNK = """
WITH units AS (
  SELECT array_agg(code ORDER BY code) AS codes FROM regions r
  WHERE level = 'county' OR (level = 'prefecture'
        AND NOT EXISTS (SELECT 1 FROM regions c WHERE c.parent_code = r.code))
), leaves AS (
  SELECT array_agg(code ORDER BY code) AS codes FROM product_categories p
  WHERE NOT EXISTS (SELECT 1 FROM product_categories c WHERE c.parent_code = p.code)
), drawn AS (
  SELECT units.codes[1 + floor(random() * cardinality(units.codes))::int] AS region,
         leaves.codes[1 + floor(random() * cardinality(leaves.codes))::int] AS category,
         random() AS level, random() AS kind, random() AS place, random() AS size,
         random() AS verdict, random() AS state, floor(random() * 12)::int AS agency,
         date '2024-01-01' + floor(random() * 1096)::int AS sampled_on
  FROM units, leaves, generate_series(1, :rows)
), shaped AS (
  SELECT d.*,
    CASE WHEN place < 0.5 THEN 'production' WHEN place < 0.83 THEN 'circulation'
         ELSE 'e_commerce' END AS place_type,
    CASE WHEN size < 0.05 THEN 'large' WHEN size < 0.2 THEN 'medium' WHEN size < 0.7 THEN 'small'
         WHEN size < 0.95 THEN 'micro' END AS enterprise_size
  FROM drawn d
)
INSERT INTO results (id, sample_id, task_id, plan_id, product_id, enterprise_uscc,
  organiser_code, plan_level, plan_kind, category_code, region_code, place_type,
  enterprise_size, agency_id, sampled_on, original_report_id, report_id, verdict, state,
  notified_on, objection_window_ends_on, final_on, published_on, created_at, updated_at)
SELECT gen_random_uuid(), gen_random_uuid(), gen_random_uuid(), gen_random_uuid(),
  gen_random_uuid(), '91' || region || '0000000000', 'scjg-' || left(region, 2) || '0000',
  CASE WHEN level < 0.05 THEN 'national' WHEN level < 0.5 THEN 'provincial'
       WHEN level < 0.9 THEN 'municipal' ELSE 'county' END,
  CASE WHEN kind < 0.8 THEN 'routine' WHEN kind < 0.92 THEN 'special'
       WHEN kind < 0.98 THEN 'follow_up' ELSE 'emergency' END,
  category, region, place_type, enterprise_size,
  md5(left(region, 2) || '/' || agency)::uuid, sampled_on,
  '00000000-0000-4000-8000-000000000001', '00000000-0000-4000-8000-000000000001',
  CASE WHEN verdict < 0.06 * (CASE enterprise_size WHEN 'large' THEN 0.2 WHEN 'medium' THEN 0.7
                                  WHEN 'small' THEN 1.2 ELSE 1.4 END)
                        * (CASE place_type WHEN 'e_commerce' THEN 2.2 ELSE 1 END) * 1.4
       THEN 'nonconforming' ELSE 'conforming' END,
  CASE WHEN state < 0.97 THEN 'final' ELSE 'notified' END,
  sampled_on + 20, sampled_on + 36,
  CASE WHEN state < 0.97 THEN sampled_on + 37 END, CASE WHEN state < 0.97 THEN sampled_on + 37 END,
  now(), now()
FROM shaped
"""


async def build_results(engine: AsyncEngine, count: int, chunk: int = 1_000_000) -> float:
    await run_sql(engine, RELAX_RESULTS)
    started = time.perf_counter()
    done = 0
    while done < count:
        rows = min(chunk, count - done)
        async with engine.begin() as connection:
            await connection.execute(text(RESULT_CHUNK), {"rows": rows})
        done += rows
        print(f"  results: {done:,}", flush=True)
    async with engine.connect() as connection:
        await connection.execution_options(isolation_level="AUTOCOMMIT")
        await connection.execute(text("VACUUM ANALYZE results"))
    return time.perf_counter() - started


# --- the query matrix ----------------------------------------------------------------------


@dataclass(frozen=True)
class Axis:
    name: str
    family: str
    dimension: str
    region_level: RegionGrouping | None = None
    category_depth: int | None = None


AXES = [
    *(Axis(f"region@{lv.value}", "region", "region", region_level=lv) for lv in RegionGrouping),
    *(Axis(f"category@{d}", "category", "category", category_depth=d) for d in (1, 2, 3)),
    *(Axis(d, d, d) for d in ("plan_level", "plan_kind", "place_type", "enterprise_size")),
    Axis("agency", "agency", "agency"),
    *(Axis(t, "time", t) for t in ("month", "quarter", "year")),
]


@dataclass(frozen=True)
class Shape:
    axes: tuple[Axis, ...]
    period: str
    within: str | None = None  # a province filter

    @property
    def name(self) -> str:
        names = " × ".join(a.name for a in self.axes) or "(overall)"
        return names + (f" in {self.within}" if self.within else "")

    @property
    def county(self) -> bool:
        return any(a.name == "region@county" for a in self.axes)

    def request(self) -> query.PassRateRequest:
        first, last = PERIODS[self.period]
        level = next((a.region_level for a in self.axes if a.region_level), None)
        depth = next((a.category_depth for a in self.axes if a.category_depth), None)
        return query.PassRateRequest(
            group_by=[a.dimension for a in self.axes],
            region_level=level,
            category_depth=depth,
            filters=query.Filters(region=self.within),
            date_from=first,
            date_to=last,
        )


def shapes() -> list[Shape]:
    combos: list[tuple[Axis, ...]] = [(), *((a,) for a in AXES)]
    combos += [(a, b) for a, b in itertools.combinations(AXES, 2) if a.family != b.family]
    matrix = [Shape(axes, period) for axes in combos for period in PERIODS]
    matrix += [
        Shape(axes, period, within="410000")
        for axes in combos
        for period in PERIODS
        if any(a.name == "region@county" for a in axes)
    ]
    return matrix


@dataclass
class Timing:
    shape: Shape
    page_ms: list[float] = field(default_factory=list)  # the first page, JSON bytes and all
    page_sql_ms: list[float] = field(default_factory=list)  # its rollup query alone
    deep_ms: list[float] = field(default_factory=list)  # a page from the middle of the answer
    export_ms: float = 0.0  # the whole answer as CSV bytes
    whole_sql_ms: float = 0.0  # the whole answer's rollup query alone
    rows: int = 0  # of the whole answer
    pages: int = 1
    grain: int = -1


def since(started: float) -> float:
    return (time.perf_counter() - started) * 1000


def aggregation_of(shape: Shape, request: query.PassRateRequest) -> query.Aggregation:
    first, last = params.month_range(request.date_from, request.date_to, today=TODAY)
    return query.Aggregation(
        dimensions=tuple(a.dimension for a in shape.axes),
        region_level=request.region_level or RegionGrouping.PREFECTURE,
        category_depth=request.category_depth or 1,
        filters=request.filters,
        first=first,
        last=last,
        scope=(shape.within,) if shape.within else (),
    )


async def json_page(
    session: AsyncSession, request: query.PassRateRequest, page: PageRequest
) -> int:
    answer = await query.pass_rates(session, request, today=TODAY, page=page)
    return len(export.to_json(answer))


async def measure_queries(engine: AsyncEngine, matrix: list[Shape], runs: int) -> list[Timing]:
    """Per shape: the whole answer once as the CSV export (which also gives its size and a
    cursor to the middle of it), then `runs` times the first JSON page, its SQL alone and the
    middle page, after a warm-up of each."""
    timings = []
    maker = make_sessionmaker(engine)
    first_page = PageRequest(limit=params.DEFAULT_PAGE_ROWS)
    async with maker() as session:
        for index, shape in enumerate(matrix):
            timing = Timing(shape)
            request = shape.request()
            aggregation = aggregation_of(shape, request)
            timing.grain = choose_grain(query._need(aggregation)).id
            started = time.perf_counter()
            whole = await query.pass_rates(session, request, today=TODAY)
            csv_bytes = export.to_csv(whole)
            timing.export_ms = since(started)
            timing.rows = len(whole.groups)
            timing.pages = max(1, -(-timing.rows // params.DEFAULT_PAGE_ROWS))
            started = time.perf_counter()
            await query.aggregate(session, aggregation)
            timing.whole_sql_ms = since(started)
            del whole, csv_bytes
            middle = None
            if timing.pages > 1:
                groups = await query.aggregate(session, aggregation)
                at = groups[(len(groups) // 2) - 1].position
                middle = PageRequest(params.DEFAULT_PAGE_ROWS, encode_cursor([str(v) for v in at]))
                del groups
            await json_page(session, request, first_page)  # warm-up
            if middle is not None:
                await json_page(session, request, middle)
            for _ in range(runs):
                started = time.perf_counter()
                await json_page(session, request, first_page)
                timing.page_ms.append(since(started))
                started = time.perf_counter()
                await query.aggregate_page(session, aggregation, first_page)
                timing.page_sql_ms.append(since(started))
                if middle is not None:
                    started = time.perf_counter()
                    await json_page(session, request, middle)
                    timing.deep_ms.append(since(started))
            await session.rollback()
            timings.append(timing)
            if index % 50 == 0:
                print(f"  queries: {index}/{len(matrix)} {shape.name} {shape.period}", flush=True)
    return timings


# --- the baseline: the same GROUP BY over the raw results --------------------------------

_RAW_KEYS = {
    "region@province": "coalesce(nullif(split_part(g.path, '/', 2), ''), "
    "left(r.region_code, 2) || '0000')",
    "region@prefecture": "coalesce(nullif(split_part(g.path, '/', 3), ''), r.region_code)",
    "region@county": "r.region_code",
    "category@1": "left(r.category_code, 2)",
    "category@2": "left(r.category_code, 4)",
    "category@3": "left(r.category_code, 6)",
    "plan_level": "r.plan_level",
    "plan_kind": "r.plan_kind",
    "place_type": "r.place_type",
    "enterprise_size": "coalesce(r.enterprise_size, 'unknown')",
    "agency": "r.agency_id",
    "month": "date_trunc('month', r.sampled_on)",
    "quarter": "date_trunc('quarter', r.sampled_on)",
    "year": "date_trunc('year', r.sampled_on)",
}
BASELINE = [
    (),
    ("region@province",),
    ("region@prefecture",),
    ("category@1",),
    ("place_type",),
    ("enterprise_size",),
    ("region@prefecture", "year"),
    ("category@1", "place_type"),
    ("plan_level", "enterprise_size"),
    ("agency", "month"),
]


def raw_sql(shape: Shape) -> str:
    first, last = PERIODS[shape.period]
    keys = [_RAW_KEYS[a.name] for a in shape.axes]
    where = [
        "r.state = 'final'",
        f"r.sampled_on >= date '{first}-01'",
        f"r.sampled_on < date '{last}-01' + interval '1 month'",
    ]
    if shape.within:
        where.append(f"split_part(g.path, '/', 2) = '{shape.within}'")
    listed = "".join(f"{k}, " for k in keys)
    grouped = f" GROUP BY {', '.join(keys)}" if keys else ""
    return (
        f"SELECT {listed}count(*), count(*) FILTER (WHERE r.verdict = 'nonconforming') "  # noqa: S608 - our own expressions
        f"FROM results r LEFT JOIN regions g ON g.code = r.region_code "
        f"WHERE {' AND '.join(where)}{grouped}"
    )


async def measure_baseline(engine: AsyncEngine, timings: list[Timing], runs: int) -> list[Any]:
    by_shape = {(t.shape.axes, t.shape.period, t.shape.within): t for t in timings}
    compared = []
    for names in BASELINE:
        axes = tuple(next(a for a in AXES if a.name == n) for n in names)
        for period in ("year", "36 months"):
            shape = Shape(axes, period)
            raw = []
            async with engine.connect() as connection:
                for _ in range(runs):
                    started = time.perf_counter()
                    await connection.execute(text(raw_sql(shape)))
                    raw.append(since(started))
            rollup = by_shape[(axes, period, None)]
            compared.append((shape, statistics.median(raw), rollup.whole_sql_ms))
            print(f"  baseline: {shape.name} {period} {compared[-1][1]:.0f} ms", flush=True)
    return compared


# --- finalisation throughput with and without the rollup ---------------------------------


async def first_pages(session: AsyncSession, matrix: list[Shape]) -> list[float]:
    """The first JSON page of each shape, once after a warm-up (ms)."""
    page = PageRequest(limit=params.DEFAULT_PAGE_ROWS)
    times = []
    for shape in matrix:
        request = shape.request()
        await json_page(session, request, page)
        started = time.perf_counter()
        await json_page(session, request, page)
        times.append(since(started))
    return times


async def finalisation(
    url: str, rounds: int, per_round: int, batch: int, probe: list[Shape] | None = None
) -> dict[str, Any]:
    """Results made final per second (the median of the rounds), with the rollup update and
    with it patched out, and the share of the time the rollup's own statements took. Then,
    with `probe`, the first pages of those shapes while the recent tier holds what the rounds
    folded; then the settling of it, timed.

    The modes alternate A B B A … so that drift (other sessions on the machine, a growing
    table) weighs on both alike; one round of each warms up first. The A/B ratio carries the
    machine's noise; the share — the rollup's statements (the pending-list insert, the fold at
    commit) timed at the driver, over the whole round — does not."""
    from models.results import Result
    from service.finality import make_final

    engine = make_engine(url, settings(url))
    maker = make_sessionmaker(engine)
    spent = [0.0]

    @event.listens_for(engine.sync_engine, "before_cursor_execute")
    def _started(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        conn.info["bench_started"] = time.perf_counter()

    @event.listens_for(engine.sync_engine, "after_cursor_execute")
    def _finished(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if "pass_rate_pending" in statement:
            spent[0] += time.perf_counter() - conn.info["bench_started"]

    async with maker() as session:
        found = await session.exec(
            # The demo's results: the synthetic ones have no plan, product or enterprise.
            text(
                "SELECT id FROM results WHERE state = 'notified' "
                "AND plan_id IN (SELECT id FROM plans) ORDER BY id"
            )  # type: ignore[call-overload]
        )
        ids = list(found.scalars())
    original = stats.record_final
    folded = 0  # results made final with the rollup, warm-up too: what the settling moves

    async def skip(session: Any, result: Any) -> None:
        return None

    async def round_(chunk: list[Any], with_rollup: bool) -> tuple[float, float]:
        nonlocal folded
        stats.record_final = original if with_rollup else skip
        spent[0] = 0.0
        started = time.perf_counter()
        async with maker() as session:
            results = (
                await session.exec(
                    select(Result).where(col(Result.id).in_(chunk)).order_by(col(Result.id))
                )
            ).all()
            for index, result in enumerate(results, 1):
                await make_final(
                    session, result, on=date(2026, 6, 1), actor="bench", reason="window_lapsed"
                )
                if index % batch == 0 or index == len(results):
                    await commit(session)
        elapsed = time.perf_counter() - started
        if with_rollup:
            folded += len(chunk)
        return len(chunk) / elapsed, spent[0] / elapsed

    rates: dict[str, list[float]] = {"with rollup": [], "without rollup": []}
    shares: list[float] = []
    for warm_up in (True, False):
        chunk, ids = ids[: per_round // 2], ids[per_round // 2 :]
        await round_(chunk, warm_up)
    for number in range(rounds):
        with_rollup = number % 4 in (0, 3)
        chunk, ids = ids[:per_round], ids[per_round:]
        rate, share = await round_(chunk, with_rollup)
        rates["with rollup" if with_rollup else "without rollup"].append(rate)
        if with_rollup:
            shares.append(share)
    stats.record_final = original
    probed: list[float] = []
    if probe:
        async with maker() as session:
            probed = await first_pages(session, probe)
    started = time.perf_counter()
    async with maker() as session:
        settled_rows = await stats.settle(session)
        await commit(session)
    settle_s = time.perf_counter() - started
    await engine.dispose()
    figures = {mode: statistics.median(values) for mode, values in rates.items()}
    return {
        **figures,
        "probed_ms": probed,
        "share": statistics.median(shares),
        "settled_rows": settled_rows,
        "settle_s": settle_s,
        # Results per second with the rollup once each result's share of the settling is
        # added to its time.
        "with settling": 1 / (1 / figures["with rollup"] + settle_s / folded),
    }


async def prepare_demo(engine: AsyncEngine) -> int:
    """The demo directory and history (real rows, foreign keys and all), its final results set
    back to notified for `finalisation`; the rollup emptied for the scale run."""
    async with make_sessionmaker(engine)() as session:
        await load_demo(session, ACTOR)
        await load_demo_results(session, actor=ACTOR)
        await commit(session)
    await run_sql(
        engine,
        "UPDATE results SET state = 'notified', final_on = NULL, published_on = NULL, "
        "fee_bearer = NULL WHERE state = 'final'",
        "TRUNCATE pass_rate_rollup",
    )
    async with engine.connect() as connection:
        count = (
            await connection.execute(text("SELECT count(*) FROM results WHERE state = 'notified'"))
        ).scalar_one()
    return int(count)


# --- the run and its report ----------------------------------------------------------------


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def summary(timings: list[Timing], pick: Callable[[Timing], list[float]]) -> str:
    values = [v for t in timings for v in pick(t)]
    if not values:
        return "— | — | — | —"
    p95 = percentile(values, 0.95)
    return (
        f"{percentile(values, 0.5):.1f} | {p95:.1f} | {max(values):.1f} | "
        f"{'met' if p95 < TARGET_MS else 'missed'}"
    )


def machine() -> list[str]:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    memory = int(Path("/proc/meminfo").read_text().splitlines()[0].split()[1]) / 1024 / 1024
    return [
        f"- CPU: {os.cpu_count()} × {cpu}; memory {memory:.1f} GiB; {platform.platform()}",
        f"- Python {platform.python_version()}; load average at the end "
        f"{' '.join(f'{x:.1f}' for x in os.getloadavg())} (other sessions share the machine)",
    ]


def report(facts: dict[str, Any], timings: list[Timing], baseline: list[Any]) -> str:
    lines = [
        "# Benchmark result: pass-rate statistics",
        "",
        f"Run {datetime.now(UTC):%Y-%m-%d %H:%M} UTC by `uv run python bench/pass_rates.py "
        f"--results {facts['results']}`. What is measured: see the docstring of "
        "`bench/pass_rates.py`.",
        "",
        "## Data",
        "",
        f"- {facts['results']:,} results ({facts['final']:,} final) over 2024-01 … 2026-12, "
        f"generated in {facts['generate_s']:.0f} s; {facts['regions']}.",
        f"- Rollup rebuilt from them by `service.stats.rebuild` in {facts['rebuild_s']:.0f} s: "
        f"{facts['rollup_rows']:,} rows, {facts['rollup_size']} with its index. Rows per grain: "
        + ", ".join(f"{g}: {n:,}" for g, n in facts["grains"]),
        "",
        "## Queries (ms)",
        "",
        f"{len(timings)} shapes. A JSON answer is paged ({params.DEFAULT_PAGE_ROWS:,} rows, "
        "the default); the CSV export is the whole answer. For each shape, after a warm-up, "
        f"{facts['runs']} runs each of: `first page` = `pass_rates()` for the first page end "
        "to end (SQL, names, rates and Wilson bounds, the JSON bytes); `its SQL` = that "
        "page's rollup query alone; `middle page` = the same end to end from a cursor in the "
        "middle of the answer (shapes of more than one page). `rows` is the size of the "
        "whole answer.",
        "",
        "| shapes | count | first page p50 | p95 | max | < 100 ms at p95 | its SQL p50 | p95 "
        "| max | middle page p50 | p95 | max | < 100 ms at p95 |",
        "|---|---:|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|---|",
    ]
    sizes = {"up to 100 rows": (0, 100), "101–1,000 rows": (101, 1_000)}
    sizes |= {"1,001–10,000 rows": (1_001, 10_000), "over 10,000 rows": (10_001, 10**9)}
    groups = {
        "all one- and two-dimension shapes": timings,
        **{
            f"— answers of {name}": [t for t in timings if low <= t.rows <= high]
            for name, (low, high) in sizes.items()
        },
        "— county or agency shapes within one province": [t for t in timings if t.shape.within],
        **{f"— period: {p}": [t for t in timings if t.shape.period == p] for p in PERIODS},
    }
    for name, members in groups.items():
        sql = summary(members, lambda t: t.page_sql_ms).rsplit(" | ", 1)[0]
        lines.append(
            f"| {name} | {len(members)} | {summary(members, lambda t: t.page_ms)} | {sql} | "
            f"{summary(members, lambda t: t.deep_ms)} |"
        )

    def worse_page(t: Timing) -> float:
        return max(statistics.median(m) for m in (t.page_ms, t.deep_ms) if m)

    slowest = sorted(timings, key=worse_page, reverse=True)[:12]
    lines += [
        "",
        "Slowest pages (median of the runs):",
        "",
        "| shape | period | rows | pages | grain | first page | its SQL | middle page |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
        *(
            f"| {t.shape.name} | {t.shape.period} | {t.rows:,} | {t.pages:,} | {t.grain} | "
            f"{statistics.median(t.page_ms):.0f} | {statistics.median(t.page_sql_ms):.0f} | "
            f"{statistics.median(t.deep_ms):.0f} |"
            if t.deep_ms
            else f"| {t.shape.name} | {t.shape.period} | {t.rows:,} | 1 | {t.grain} | "
            f"{statistics.median(t.page_ms):.0f} | {statistics.median(t.page_sql_ms):.0f} | — |"
            for t in slowest
        ),
    ]
    paged = [t for t in timings if t.pages > 1]
    exports = [t.export_ms for t in paged]
    lines += [
        "",
        "### The whole answer: CSV export (one run, ms)",
        "",
        "Not a target: the whole answer of a shape of more than one page, read from the rollup "
        "and written as CSV bytes (`pass_rates()` without a page, then `export.to_csv`), and "
        "its rollup query alone.",
        "",
        "| shapes | count | export p50 | p95 | max | SQL p50 | p95 | max |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    if exports:
        whole = [t.whole_sql_ms for t in paged]
        lines.append(
            f"| answers of more than one page | {len(paged)} | "
            f"{percentile(exports, 0.5):.0f} | {percentile(exports, 0.95):.0f} | "
            f"{max(exports):.0f} | {percentile(whole, 0.5):.0f} | "
            f"{percentile(whole, 0.95):.0f} | {max(whole):.0f} |"
        )
    biggest = sorted(paged, key=lambda t: -t.export_ms)[:5]
    lines += [
        "",
        "| shape | period | rows | export | SQL |",
        "|---|---|---:|---:|---:|",
        *(
            f"| {t.shape.name} | {t.shape.period} | {t.rows:,} | {t.export_ms:.0f} | "
            f"{t.whole_sql_ms:.0f} |"
            for t in biggest
        ),
        "",
        "## Rollup against a plain GROUP BY over the results (same run, median ms)",
        "",
        "The rollup side is the whole answer's query (as the export runs it), not a page.",
        "",
        "| shape | period | raw GROUP BY | rollup SQL | ratio |",
        "|---|---|---:|---:|---:|",
        *(
            f"| {shape.name} | {shape.period} | {raw:.0f} | {rolled:.1f} | {raw / rolled:,.0f}× |"
            for shape, raw, rolled in baseline
        ),
        "",
        "## Finalisation throughput (results made final per second)",
        "",
        f"Into the rollup above ({facts['rollup_rows']:,} rows); median of four rounds per "
        "mode, modes alternating, after a warm-up round of each.",
        "",
        "`A/B` compares the throughput of the rounds with and without the rollup (noisy: the "
        "machine is shared); `timed` is the share of a round's time the rollup's own statements "
        "took, measured at the driver (the pending-list insert and the fold at commit), i.e. "
        "the throughput lost to the rollup.",
        "",
        "Finalisations fold into the rollup's small `recent` tier; the nightly job moves its "
        "rows into `settled`. `settling` is that job run once after the series, over every row "
        "the series folded (warm-up included), and `A/B with settling` adds its time to the "
        "rounds with the rollup.",
        "",
        "The target is judged on the finalisation path: both `A/B` and `timed` under 20 %. "
        "The settling is not on that path (it runs at night, off the finalisations); its "
        "columns show what it would add if it were.",
        "",
        "| per transaction | with the rollup | without | cost, A/B | cost, timed | < 20 % | "
        "settling (nightly) | cost, A/B with settling |",
        "|---|---:|---:|---:|---:|---|---:|---:|",
    ]
    for label, rates in facts["finalisation"].items():
        cost = 1 - rates["with rollup"] / rates["without rollup"]
        settled = 1 - rates["with settling"] / rates["without rollup"]
        verdict = "met" if max(cost, rates["share"]) < TARGET_OVERHEAD else "missed"
        lines.append(
            f"| {label} | {rates['with rollup']:.0f} | {rates['without rollup']:.0f} | "
            f"{cost:.1%} | {rates['share']:.1%} | {verdict} | {rates['settled_rows']:,} rows "
            f"in {rates['settle_s']:.2f} s | {settled:.1%} |"
        )
    probes = [
        (label, rates) for label, rates in facts["finalisation"].items() if rates["probed_ms"]
    ]
    for label, rates in probes:
        before = [statistics.median(t.page_ms) for t in timings if t.shape.period == PROBED]
        after = rates["probed_ms"]
        lines += [
            "",
            f"First pages of the {len(after)} shapes over {PROBED} again, after the "
            f"{label} series and before its settling, while the recent tier held its "
            f"{rates['settled_rows']:,} rows (one run each after a warm-up), against the same "
            "shapes above with the recent tier empty (median of the runs), ms:",
            "",
            "| recent tier | p50 | p95 | max |",
            "|---|---:|---:|---:|",
            f"| empty | {percentile(before, 0.5):.1f} | {percentile(before, 0.95):.1f} | "
            f"{max(before):.1f} |",
            f"| {rates['settled_rows']:,} rows | {percentile(after, 0.5):.1f} | "
            f"{percentile(after, 0.95):.1f} | {max(after):.1f} |",
        ]
    lines += ["", "## Machine", "", *machine(), f"- {facts['pg']}", ""]
    lines += [
        "<details><summary>Every shape (median ms)</summary>",
        "",
        "| shape | period | rows | grain | first page | its SQL | middle page | export |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
        *(
            f"| {t.shape.name} | {t.shape.period} | {t.rows:,} | {t.grain} | "
            f"{statistics.median(t.page_ms):.1f} | {statistics.median(t.page_sql_ms):.1f} | "
            + (f"{statistics.median(t.deep_ms):.1f}" if t.deep_ms else "—")
            + f" | {t.export_ms:.1f} |"
            for t in timings
        ),
        "",
        "</details>",
        "",
    ]
    return "\n".join(lines)


async def scale_run(
    engine: AsyncEngine, count: int, runs: int
) -> tuple[dict[str, Any], list[Timing], list[Any]]:
    facts: dict[str, Any] = {"results": count, "runs": runs}
    facts["generate_s"] = await build_results(engine, count)
    started = time.perf_counter()
    async with make_sessionmaker(engine)() as session:
        await stats.rebuild(session, actor=ACTOR.actor)
        await commit(session)
    facts["rebuild_s"] = time.perf_counter() - started
    async with engine.connect() as connection:
        await connection.execution_options(isolation_level="AUTOCOMMIT")
        await connection.execute(text("VACUUM ANALYZE pass_rate_rollup"))

        async def rows(sql: str) -> list[tuple[Any, ...]]:
            return [tuple(r) for r in await connection.execute(text(sql))]

        facts["grains"] = await rows(
            "SELECT grain, count(*) FROM pass_rate_rollup GROUP BY grain ORDER BY grain"
        )
        facts["rollup_rows"] = sum(n for _, n in facts["grains"])
        [(facts["rollup_size"],)] = await rows(  # the partitions hold the rows
            "SELECT pg_size_pretty(sum(pg_total_relation_size(relid))) "
            "FROM pg_partition_tree('pass_rate_rollup')"
        )
        [(facts["final"],)] = await rows("SELECT count(*) FROM results WHERE state = 'final'")
        levels = dict(await rows("SELECT level, count(*) FROM regions GROUP BY 1"))
        facts["regions"] = (
            f"{levels['province']} provinces, {levels['prefecture']} prefecture-level and "
            f"{levels['county']} county-level regions"
        )
        [(version,)] = await rows("SELECT version()")
        facts["pg"] = version.split(" on ")[0]
    print(f"  rollup: {facts['rollup_rows']:,} rows in {facts['rebuild_s']:.0f} s", flush=True)
    timings = await measure_queries(engine, shapes(), runs)
    baseline = await measure_baseline(engine, timings, runs=2)
    return facts, timings, baseline


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--results", type=int, default=10_000_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--no-write", action="store_true", help="print only")
    parser.add_argument("--only-finalisation", action="store_true", help="skip the scale run")
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="qcs-bench-"))
    pg = embedded_pg.start(workdir / "pg", delete_on_stop=True)
    try:
        url = pg.url()
        upgrade(url)  # runs its own event loop: before any other

        async def run() -> str:
            engine = make_engine(url, settings(url))
            async with make_sessionmaker(engine)() as session:
                await load_reference(session, ACTOR)
                await commit(session)
            async with engine.begin() as connection:
                await connection.execute(insert(Region), national_regions())
            notified = await prepare_demo(engine)
            print(f"demo history: {notified:,} results to make final later", flush=True)
            facts: dict[str, Any] = {}
            if not args.only_finalisation:
                print(f"scale: {args.results:,} results", flush=True)
                facts, timings, baseline = await scale_run(engine, args.results, args.runs)
            # Finalisation last, so that the rollup it adds to holds the whole scale run.
            await engine.dispose()
            facts["finalisation"] = {
                "one result (an objection decision)": await finalisation(url, 8, 150, 1),
                "100 results (the lapse job)": await finalisation(
                    url, 8, 300, 100, probe=[s for s in shapes() if s.period == PROBED]
                ),
            }
            print(f"  {facts['finalisation']}", flush=True)
            if args.only_finalisation:
                return str(facts["finalisation"])
            return report(facts, timings, baseline)

        document = asyncio.run(run())
    finally:
        pg.stop()
    print(document)
    if not args.no_write:
        RESULT.write_text(document, encoding="utf-8")
        print(f"wrote {RESULT}")


if __name__ == "__main__":
    main()
