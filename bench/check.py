"""Benchmark: `POST /api/v1/joint-punishment/check` of 10,000 USCCs against 100,000 active
listings; target under 300 ms end to end.

Run by hand (not a test): `uv run python bench/check.py [--listings N] [--asked M] [--runs R]`.

It starts an embedded PostgreSQL in a temporary directory, migrates and seeds it, and loads the
enterprises and their listings in bulk (`INSERT … SELECT unnest(…)`, each listing with its
`listed_seq`, the feed head moved past them) — not through the API, whose procedure has its own
tests. It then starts the real app with uvicorn in a subprocess on 127.0.0.1 and, with a
department key (fgw-410000), posts checks of `--asked` codes: half listed, the rest valid codes
of enterprises never listed, and 10 malformed ones; a fresh random mix every run. Each request is
timed on the client from the first byte sent to the last byte of the answer received, over one
keep-alive connection, after three warm-up requests. Every check is logged (a `hit_checks` row and
one `hit_check_subjects` row per code) and committed with the audit record inside that time.
Writes bench/results/check.md.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import shutil
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import func, text
from sqlmodel import select

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.import_enterprises import free_port, machine_facts, start_server  # noqa: E402
from models.blacklist import HitCheckSubject  # noqa: E402
from models.system import Role  # noqa: E402
from seed.loader import load_reference  # noqa: E402
from service import embedded_pg  # noqa: E402
from service.auth import create_key, system_principal  # noqa: E402
from service.config import Settings  # noqa: E402
from service.db import commit, make_engine, make_sessionmaker  # noqa: E402
from service.migrations import upgrade  # noqa: E402
from service.uscc import make_uscc  # noqa: E402

RESULT = ROOT / "bench" / "results" / "check.md"
TARGET_MS = 300.0
MALFORMED = 10

_ENTERPRISES = text(
    "INSERT INTO enterprises (uscc, name, region_code, size, active) "
    "SELECT u, '失信测试企业' || n || '有限公司', '410102', 'small', true "
    "FROM unnest(CAST(:usccs AS varchar[])) WITH ORDINALITY AS t(u, n)"
)
_LISTINGS = text(
    "INSERT INTO listings (id, enterprise_uscc, state, criteria_version, criteria, evidence, "
    "reason, legal_basis, department_code, proposed_on, proposed_by, hearing_requested, "
    "decided_on, decided_by, decision_reference, listed_on, ends_on, term_months, listed_seq) "
    "SELECT gen_random_uuid(), u, 'listed', 'bench', '[\"heavier_penalty\"]', '[]', "
    "'因产品质量安全违法行为受到较重行政处罚', '《市场监督管理严重违法失信名单管理办法》第二条', "
    "'scjg-410000', DATE '2025-01-01', 'bench', false, DATE '2025-02-01' + (n % 300)::int, "
    "'bench', '豫市监列〔2025〕' || n || '号', DATE '2025-02-01' + (n % 300)::int, "
    "DATE '2028-02-01' + (n % 300)::int, 36, n "
    "FROM unnest(CAST(:usccs AS varchar[])) WITH ORDINALITY AS t(u, n)"
)


async def prepare(url: str, listed: list[str]) -> tuple[str, str]:
    """Seed, load the listings, and return a department key and the server version."""
    engine = make_engine(url, Settings(database_url=url, scheduler=False))
    async with make_sessionmaker(engine)() as session:
        await load_reference(session, system_principal("bench"))
        _, secret = await create_key(
            session,
            actor=system_principal("bench"),
            role=Role.DEPARTMENT,
            name="bench",
            department_code="fgw-410000",
        )
        connection = await session.connection()
        await connection.execute(_ENTERPRISES, {"usccs": listed})
        await connection.execute(_LISTINGS, {"usccs": listed})
        await connection.execute(
            text("UPDATE feed_heads SET seq = :n WHERE name = 'listing_changes'"),
            {"n": len(listed)},
        )
        await commit(session)
        await (await session.connection()).execute(text("ANALYZE enterprises, listings"))
        version = (await session.exec(select(text("version()")))).one()
        await commit(session)
    await engine.dispose()
    return secret, str(version)


async def count_logged(url: str) -> int:
    engine = make_engine(url, Settings(database_url=url, scheduler=False))
    async with make_sessionmaker(engine)() as session:
        count = (await session.exec(select(func.count()).select_from(HitCheckSubject))).one()
    await engine.dispose()
    return int(count)


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--listings", type=int, default=100_000)
    parser.add_argument("--asked", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--no-write", action="store_true", help="print only")
    args = parser.parse_args()

    rng = random.Random(42)
    listed = [make_uscc("410102", f"{10_000_000 + n:08d}") for n in range(args.listings)]
    never_listed = [make_uscc("410105", f"{20_000_000 + n:08d}") for n in range(args.asked)]
    hits_per_run = args.asked // 2
    misses_per_run = args.asked - hits_per_run - MALFORMED

    workdir = Path(tempfile.mkdtemp(prefix="qcs-bench-"))
    pg = embedded_pg.start(workdir / "pg", delete_on_stop=True)
    server = None
    timings: list[float] = []
    answers: list[dict[str, Any]] = []
    try:
        url = pg.url()
        upgrade(url)  # runs its own event loop: before any other
        load_started = time.perf_counter()
        key, pg_version = asyncio.run(prepare(url, listed))
        load_seconds = time.perf_counter() - load_started
        port = free_port()
        server = start_server(url, port)
        headers = {"Authorization": f"Bearer {key}"}
        with httpx.Client(
            base_url=f"http://127.0.0.1:{port}", timeout=httpx.Timeout(60, connect=10)
        ) as client:
            for run in range(3 + args.runs):
                codes = rng.sample(listed, hits_per_run) + rng.sample(never_listed, misses_per_run)
                codes += [f"BAD{run:04d}{n:04d}" for n in range(MALFORMED)]
                rng.shuffle(codes)
                started = time.perf_counter()
                response = client.post(
                    "/api/v1/joint-punishment/check", json={"usccs": codes}, headers=headers
                )
                body = response.content
                elapsed = (time.perf_counter() - started) * 1000
                response.raise_for_status()
                answer = response.json()
                assert len(answer["hits"]) == hits_per_run, len(answer["hits"])
                assert len(answer["invalid"]) == MALFORMED, answer["invalid"]
                if run >= 3:
                    timings.append(elapsed)
                    answers.append({"bytes": len(body)})
        server.terminate()
        server.wait(timeout=30)
        server = None
        logged = asyncio.run(count_logged(url))
    finally:
        if server is not None:
            server.kill()
        pg.stop()
        shutil.rmtree(workdir, ignore_errors=True)

    assert logged == (3 + args.runs) * (args.asked - MALFORMED), logged
    p50, p95, worst = percentile(timings, 0.5), percentile(timings, 0.95), max(timings)
    verdict = "met" if p95 < TARGET_MS else "MISSED"
    facts = machine_facts(pg_version)
    lines = [
        "# Benchmark result: joint-punishment check",
        "",
        f"Run {datetime.now(UTC):%Y-%m-%d %H:%M} UTC by `uv run python bench/check.py"
        f" --listings {args.listings} --asked {args.asked} --runs {args.runs}`.",
        "",
        "| what | runs | p50 ms | p95 ms | max ms | mean ms | target |",
        "|---|---:|---:|---:|---:|---:|---|",
        f"| check of {args.asked:,} codes against {args.listings:,} active listings | "
        f"{len(timings)} | {p50:.0f} | {p95:.0f} | {worst:.0f} | "
        f"{statistics.mean(timings):.0f} | p95 < {TARGET_MS:.0f} ms: {verdict} |",
        "",
        f"- Each request: {hits_per_run:,} listed codes, {misses_per_run:,} valid codes never "
        f"listed, {MALFORMED} malformed; a fresh random mix per run. Answer "
        f"{statistics.mean(a['bytes'] for a in answers) / 1024 / 1024:.1f} MiB of JSON "
        "(each hit carries the five measures fgw applies).",
        "- Timed on the client over loopback HTTP to uvicorn (one worker) running the real app: "
        "authentication, validation of every code, the hit query, the log (one `hit_checks` "
        "row, one `hit_check_subjects` row per valid code, an audit record) and its commit, "
        "and the JSON answer.",
        f"- Logged subjects afterwards: {logged:,} (all runs, warm-ups included).",
        f"- Loading {args.listings:,} enterprises and listings in bulk: {load_seconds:.1f} s "
        "(not timed as part of the check).",
        "- All timings (ms): " + ", ".join(f"{t:.0f}" for t in timings),
        "",
        "## Machine",
        "",
        *(f"- {name}: {value}" for name, value in facts.items()),
        "",
    ]
    output = "\n".join(lines)
    print(output)
    if not args.no_write:
        RESULT.parent.mkdir(parents=True, exist_ok=True)
        RESULT.write_text(output, encoding="utf-8")


if __name__ == "__main__":
    main()
