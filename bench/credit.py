"""Benchmark: `GET /api/v1/enterprises/{uscc}/credit` with 1,000,000 enterprises and 20,000,000
credit events, at 200 concurrent connections; side by side with a minimal asyncpg endpoint that
runs the same queries, in the same run. Target: p99 under 20 ms.

Run by hand (not a test): `uv run python bench/credit.py [--enterprises N] [--events-per M]
[--data DIR] [--duration S]`. With `--data DIR` the generated database is kept there and reused
by the next run (generation takes a while); without it a temporary directory is removed at the end.

1. An embedded PostgreSQL, migrated and seeded; the rows are generated inside PostgreSQL with
   `generate_series` (constraints and indexes dropped during the load and rebuilt after, so the
   schema ends exactly as the migrations made it): enterprises, M credit events each (a fixed
   mix of types, dated over ~3 years), one score snapshot per enterprise with its explanation
   (built in SQL with the v1 points) and its standing.
2. Two servers, each uvicorn with one worker in its own process on 127.0.0.1: the real app, and a
   raw ASGI app on an asyncpg pool that runs the app's two statements per request (the key
   lookup, and the file: enterprise, snapshot in force and events as of today in one statement,
   both imported from the service) and dumps JSON.
3. A load generator in a third process (asyncio, keep-alive HTTP/1.1 over raw sockets, so it costs
   the shared 2 cores as little as possible) hits random USCCs: closed loop with 200 connections
   (throughput, latency), then open loop at fixed rates over 200 connections (latency measured
   from the scheduled send time, so queueing counts). Requests are bounded in count and time.
"""

# ruff: noqa: S608 - the SQL here is built from this file's constants and integers only

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

RESULT = ROOT / "bench" / "results" / "credit.md"
TARGET_P99_MS = 20.0
CONCURRENCY = 200
AS_OF = date(2026, 6, 1)  # the snapshots' valid_from; the app reads "today", which is later
USCC_PREFIX = "B"
TABLES = ("enterprises", "credit_events", "credit_scores", "credit_standings")

# The mix of 40 slots each enterprise's events cycle through: mostly conforming results.
MIX = (
    ["conforming_result"] * 24
    + ["nonconforming_result:general"] * 4
    + [
        "nonconforming_result:serious",
        "administrative_penalty:other",
        "administrative_penalty:other",
    ]
    + ["administrative_penalty:heavier", "verified_complaint", "verified_complaint"]
    + ["mandatory_recall", "award", "certification", "certification", "rectification_overdue"]
    + ["refusal"]
)
SAMPLING = {
    "conforming_result",
    "nonconforming_result",
    "refusal",
    "rectification_overdue",
    "follow_up_failed",
    "provincial_notice",
}
POINTS = {
    "conforming_result": ("conforming_result", 1),
    "nonconforming_result:general": ("nonconforming_result", -5),
    "nonconforming_result:serious": ("nonconforming_result_serious", -15),
    "administrative_penalty:other": ("penalty_other", -10),
    "administrative_penalty:heavier": ("penalty_heavier", -25),
    "verified_complaint": ("verified_complaint", -3),
    "mandatory_recall": ("mandatory_recall", -10),
    "award": ("award", 10),
    "certification": ("certification", 0),
    "rectification_overdue": ("rectification_overdue", -10),
    "refusal": ("refusal", -30),
}

# --- generation ---------------------------------------------------------------------------------


def uscc_sql(number: str) -> str:
    return f"'{USCC_PREFIX}' || lpad(({number})::text, 17, '0')"


def mix_case() -> tuple[str, str, str]:
    """SQL expressions over the slot `s` (1 … len(MIX)) for type, severity and origin."""
    types = ", ".join(f"'{m.split(':')[0]}'" for m in MIX)
    severities = ", ".join(f"'{m.split(':')[1]}'" if ":" in m else "NULL" for m in MIX)
    origins = ", ".join(
        "'sampling'" if m.split(":")[0] in SAMPLING else "'department'" for m in MIX
    )
    return (
        f"(ARRAY[{types}])[s]",
        f"(ARRAY[{severities}]::text[])[s]",
        f"(ARRAY[{origins}])[s]",
    )


def psql_parallel(pg: Any, statements: list[str], database: str) -> None:
    with ThreadPoolExecutor(max_workers=2) as pool:
        list(pool.map(lambda sql: pg.psql(sql, database=database), statements))


def ddl_file(pg: Any) -> Path:
    return Path(pg.socket_dir) / "bench-ddl.json"


def generate(pg: Any, database: str, enterprises: int, per: int) -> dict[str, float]:
    """Fill the database; returns seconds per phase."""
    timings: dict[str, float] = {}

    def psql(sql: str) -> str:
        result: str = pg.psql(sql, database=database)
        return result

    credit_tables = ("credit_events", "credit_scores", "credit_standings", "credit_objections")
    # The definitions are saved before anything is dropped, so an interrupted load can be rerun.
    saved = ddl_file(pg)
    if saved.exists():
        ddl = json.loads(saved.read_text())
    else:
        ddl = {
            "constraints": [
                line.split("|", 2)
                for line in psql(
                    "SELECT format('%s|%s|%s', t.relname, c.conname, pg_get_constraintdef(c.oid)) "
                    "FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid "
                    f"WHERE t.relname IN {credit_tables!r} AND c.contype IN ('p', 'u', 'f') "
                    "ORDER BY c.contype"  # f, then p and u: references before the keys they use
                ).splitlines()
            ],
            "indexes": psql(
                f"SELECT indexdef FROM pg_indexes WHERE tablename IN {TABLES!r} "
                "AND indexname NOT IN (SELECT conname FROM pg_constraint)"
            ).splitlines(),
        }
        saved.write_text(json.dumps(ddl))
    constraints = [tuple(c) for c in ddl["constraints"]]
    indexes: list[str] = ddl["indexes"]
    psql(f"TRUNCATE {', '.join(credit_tables)} CASCADE")
    psql(f"DELETE FROM enterprises WHERE uscc LIKE '{USCC_PREFIX}%'")
    for table, name, _ in constraints:
        psql(f"ALTER TABLE {table} DROP CONSTRAINT IF EXISTS {name}")
    for index in indexes:
        psql(f"DROP INDEX IF EXISTS {index.split(' INDEX ')[1].split(' ON ')[0]}")

    def rebuild(tables: set[str]) -> None:
        for index in indexes:
            if index.split(" ON ")[1].split()[0].removeprefix("public.") in tables:
                psql(index)
        for table, name, definition in reversed(constraints):
            if table in tables:
                psql(f"ALTER TABLE {table} ADD CONSTRAINT {name} {definition}")

    started = time.perf_counter()
    psql(
        "INSERT INTO enterprises (uscc, name, region_code, size, active) "
        f"SELECT {uscc_sql('i')}, '基准企业' || i || '有限公司', r.a[1 + i % cardinality(r.a)], "
        f"'small', true FROM generate_series(1, {enterprises}) i, "
        "(SELECT array_agg(code ORDER BY code) a FROM regions WHERE level = 'county') r"
    )
    rebuild({"enterprises"})
    timings["enterprises (with their indexes)"] = time.perf_counter() - started

    started = time.perf_counter()
    kind, severity, origin = mix_case()
    chunk = max(1, enterprises // 20)
    ranges = [(low, min(enterprises, low + chunk - 1)) for low in range(1, enterprises + 1, chunk)]
    psql_parallel(
        pg,
        [
            "INSERT INTO credit_events (id, enterprise_uscc, type, origin, department_code, "
            "reference, occurred_on, recorded_on, public, publish_until, severity, details, "
            "status, recorded_by) "
            f"SELECT gen_random_uuid(), {uscc_sql('e')}, {kind}, {origin}, 'scjg-410100', "
            "'bench:' || e || ':' || j, d, d, true, (d + interval '3 years')::date, "
            f"{severity}, '{{}}'::jsonb, 'counting', 'bench' "
            f"FROM generate_series({low}, {high}) e, generate_series(1, {per}) j, "
            f"LATERAL (SELECT 1 + (e * 7 + j * 13) % {len(MIX)} AS s, "
            "(date '2023-06-01' + ((e * 37 + j * 101) % 1095))::date AS d) x"
            for low, high in ranges
        ],
        database,
    )
    timings["credit_events rows"] = time.perf_counter() - started
    started = time.perf_counter()
    rebuild({"credit_events"})
    timings["credit_events indexes and constraints"] = time.perf_counter() - started

    started = time.perf_counter()
    psql(
        "INSERT INTO credit_models (version, kind, parameters) VALUES "
        "('credit-score/1', 'score', '{}'), ('credit-risk/1', 'risk', '{}') "
        "ON CONFLICT DO NOTHING"
    )
    points = ", ".join(f"('{rule}', {p})" for rule, p in set(POINTS.values()))
    rule = (
        "CASE WHEN type = 'nonconforming_result' AND severity = 'serious' "
        "THEN 'nonconforming_result_serious' WHEN type = 'administrative_penalty' THEN "
        "CASE severity WHEN 'heavier' THEN 'penalty_heavier' ELSE 'penalty_other' END "
        "ELSE type END"
    )
    psql_parallel(
        pg,
        [
            "INSERT INTO credit_scores (enterprise_uscc, valid_from, score, base, grade, "
            "grade_reason, listed, explanation, model_version, risk_class, risk_reasons, "
            "risk_version, trigger, digest) "
            f"SELECT u, date '{AS_OF}', 100 + total, 100, CASE WHEN 100 + total >= 90 THEN 'A' "
            "WHEN 100 + total >= 75 THEN 'B' WHEN 100 + total >= 60 THEN 'C' ELSE 'D' END, "
            "'score', false, expl, 'credit-score/1', 'B', '[\"no_signal\"]', 'credit-risk/1', "
            "'bench', md5(u) || md5(u) FROM ("
            "SELECT enterprise_uscc AS u, sum(p.points) AS total, jsonb_agg(jsonb_build_object("
            "'credit_event_id', ce.id, 'type', ce.type, 'occurred_on', ce.occurred_on, "
            "'rule', p.rule, 'points', p.points, 'note', NULL) "
            "ORDER BY ce.occurred_on DESC, ce.id) AS expl "
            f"FROM credit_events ce JOIN (VALUES {points}) p(rule, points) ON p.rule = {rule} "
            f"WHERE ce.enterprise_uscc BETWEEN {uscc_sql(str(low))} AND {uscc_sql(str(high))} "
            f"AND ce.occurred_on <= date '{AS_OF}' AND ce.publish_until >= date '{AS_OF}' "
            "GROUP BY ce.enterprise_uscc) g"
            for low, high in ranges
        ],
        database,
    )
    psql(
        "INSERT INTO credit_standings (enterprise_uscc, score_id, digest, model_version, "
        "risk_version, next_review_on) SELECT enterprise_uscc, id, digest, model_version, "
        f"risk_version, date '{AS_OF}' + 30 FROM credit_scores"
    )
    rebuild({"credit_scores", "credit_standings", "credit_objections"})
    psql("VACUUM (ANALYZE)")
    timings["credit_scores, standings, analyze"] = time.perf_counter() - started
    return timings


# --- the minimal asyncpg endpoint ---------------------------------------------------------------


def baseline_app(dsn: str) -> Any:
    """A raw ASGI app: GET /credit/{uscc} runs the app's two statements (the key lookup and the
    file, imported from the service so they cannot drift) on an asyncpg pool and returns the row
    as JSON. No framework, no ORM, no validation, no transaction."""
    import hashlib

    import asyncpg  # type: ignore[import-untyped]

    from service.auth import PRINCIPAL_FOR_KEY
    from service.credit.file_document import FILE_STATEMENT, LABELS_JSON

    state: dict[str, Any] = {}

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    state["pool"] = await asyncpg.create_pool(dsn, min_size=10, max_size=20)
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    await state["pool"].close()
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        uscc = scope["path"].rsplit("/", 1)[-1]
        headers = dict(scope["headers"])
        key = headers.get(b"authorization", b"").decode().removeprefix("Bearer ")
        key_hash = hashlib.sha256(key.encode()).hexdigest()
        today = datetime.now(UTC).date()
        async with state["pool"].acquire() as connection:
            principal = await connection.fetchrow(PRINCIPAL_FOR_KEY, key_hash)
            found = await connection.fetchrow(FILE_STATEMENT, uscc, today, LABELS_JSON)
        status = 200 if principal is not None and found is not None else 404
        body = json.dumps(dict(found) if found else None, default=str, ensure_ascii=False).encode()
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})

    return app


def serve_baseline(dsn: str, port: int) -> None:
    import uvicorn

    uvicorn.run(
        baseline_app(dsn),
        host="127.0.0.1",
        port=port,
        log_level="warning",
        access_log=False,
        timeout_keep_alive=75,
    )


# --- the load generator -------------------------------------------------------------------------


class Connection:
    def __init__(self, port: int) -> None:
        self.port = port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def get(self, request: bytes) -> int:
        try:
            return await self._get(request)
        except (asyncio.IncompleteReadError, ConnectionError):
            # The server closed an idle keep-alive connection: open a new one, once.
            self.reader = None
            return await self._get(request)

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()

    async def _get(self, request: bytes) -> int:
        if self.reader is None or self.writer is None:
            self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)
        self.writer.write(request)
        head = await self.reader.readuntil(b"\r\n\r\n")
        length = 0
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        await self.reader.readexactly(length)
        return int(head[9:12])


async def load(args: argparse.Namespace) -> dict[str, Any]:
    rng = random.Random(args.seed)
    auth = f"Authorization: Bearer {args.key}\r\n" if args.key else ""

    def request() -> bytes:
        uscc = f"{USCC_PREFIX}{rng.randint(1, args.enterprises):017d}"
        path = args.path.format(uscc=uscc)
        return f"GET {path} HTTP/1.1\r\nHost: bench\r\n{auth}\r\n".encode()

    connections = [Connection(args.port) for _ in range(args.concurrency)]
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    started = time.perf_counter()
    deadline = started + args.duration

    def record(status: int, since: float) -> None:
        latencies.append(time.perf_counter() - since)
        statuses[status] = statuses.get(status, 0) + 1

    if args.rate is None:  # closed loop: every connection sends its next request at once

        async def worker(connection: Connection) -> None:
            while time.perf_counter() < deadline and len(latencies) < args.max_requests:
                since = time.perf_counter()
                record(await connection.get(request()), since)

        await asyncio.gather(*(worker(c) for c in connections))
    else:  # open loop: requests are due at a fixed rate, whatever the server's pace
        idle: asyncio.Queue[Connection] = asyncio.Queue()
        for connection in connections:
            idle.put_nowait(connection)

        async def send(due: float) -> None:
            connection = await idle.get()
            try:
                record(await connection.get(request()), due)
            finally:
                idle.put_nowait(connection)

        total = min(args.max_requests, int(args.rate * args.duration))
        tasks = []
        for n in range(total):
            due = started + n / args.rate
            delay = due - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(send(due)))
        await asyncio.gather(*tasks)
    elapsed = time.perf_counter() - started
    for connection in connections:
        connection.close()
    ordered = sorted(latencies)

    def pct(q: float) -> float:
        return 1000 * ordered[min(len(ordered) - 1, int(q * len(ordered)))]

    return {
        "requests": len(ordered),
        "seconds": elapsed,
        "throughput": len(ordered) / elapsed,
        "statuses": statuses,
        "p50": pct(0.50),
        "p90": pct(0.90),
        "p99": pct(0.99),
        "p999": pct(0.999),
        "max": 1000 * ordered[-1],
        "mean": 1000 * statistics.fmean(ordered),
    }


# --- orchestration ------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def wait_ready(port: int, path: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server on {port} exited with {process.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as probe:
                probe.sendall(f"GET {path} HTTP/1.1\r\nHost: bench\r\n\r\n".encode())
                if probe.recv(12).startswith(b"HTTP/1.1"):
                    return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"server on {port} did not become ready")


def start_app(url: str, port: int) -> subprocess.Popen[bytes]:
    env = {**os.environ, "DATABASE_URL": url, "QCS_SCHEDULER": "0", "QCS_DB_POOL_SIZE": "20"}
    command = [sys.executable, "-m", "uvicorn", "service.app:create_app", "--factory"]
    command += ["--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"]
    command += ["--timeout-keep-alive", "75"]
    process = subprocess.Popen([*command, "--no-access-log"], cwd=ROOT, env=env)
    wait_ready(port, "/readyz", process)
    return process


def start_baseline(dsn: str, port: int) -> subprocess.Popen[bytes]:
    command = [sys.executable, __file__, "serve-baseline", "--dsn", dsn, "--port", str(port)]
    process = subprocess.Popen(command, cwd=ROOT)
    wait_ready(port, "/credit/none", process)
    return process


def run_load(port: int, path: str, key: str, enterprises: int, **options: Any) -> dict[str, Any]:
    command = [sys.executable, __file__, "load", "--port", str(port), "--path", path]
    command += ["--key", key, "--enterprises", str(enterprises)]
    for name, value in options.items():
        if value is not None:
            command += [f"--{name.replace('_', '-')}", str(value)]
    output = subprocess.run(command, cwd=ROOT, check=True, capture_output=True, text=True).stdout
    result: dict[str, Any] = json.loads(output)
    return result


async def prepare(url: str) -> tuple[str, str]:
    """Seed the reference data if needed; return a regulator key and the server version."""
    from sqlalchemy import text
    from sqlmodel import select

    from models.reference import Region
    from models.system import Role
    from seed.loader import load_reference
    from service.auth import create_key, system_principal
    from service.config import Settings
    from service.db import commit, make_engine, make_sessionmaker

    engine = make_engine(url, Settings(database_url=url, scheduler=False))
    async with make_sessionmaker(engine)() as session:
        if (await session.exec(select(Region).limit(1))).first() is None:
            await load_reference(session, system_principal("bench"))
        _, secret = await create_key(
            session,
            actor=system_principal("bench"),
            role=Role.REGULATOR,
            department_code="scjg-410100",
            name="bench",
        )
        await commit(session)
        version = (await session.exec(select(text("version()")))).one()
    await engine.dispose()
    return secret, str(version)


def tune(pg: Any, pgdata: Path) -> Any:
    """A benchmark server: large buffers, no durability (the load is regenerated if lost)."""
    from service import embedded_pg

    for setting in (
        "shared_buffers = '4GB'",
        "effective_cache_size = '16GB'",
        "maintenance_work_mem = '1GB'",
        "work_mem = '64MB'",
        "max_wal_size = '16GB'",
        "fsync = off",
        "synchronous_commit = off",
        "full_page_writes = off",
        "max_connections = 200",
    ):
        pg.psql(f"ALTER SYSTEM SET {setting}")
    pg.stop()
    return embedded_pg.start(pgdata)


def row(label: str, result: dict[str, Any]) -> str:
    errors = sum(n for status, n in result["statuses"].items() if str(status) != "200")
    return (
        f"| {label} | {result['requests']:,} | {result['throughput']:,.0f} | {result['p50']:.1f} "
        f"| {result['p90']:.1f} | {result['p99']:.1f} | {result['max']:.1f} | {errors} |"
    )


def open_row(label: str, rate: int, result: dict[str, Any]) -> str:
    errors = sum(n for status, n in result["statuses"].items() if str(status) != "200")
    return (
        f"| {label} | {rate:,} | {result['requests']:,} | {result['p50']:.1f} "
        f"| {result['p90']:.1f} | {result['p99']:.1f} | {result['max']:.1f} | {errors} |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--enterprises", type=int, default=1_000_000)
    parser.add_argument("--events-per", type=int, default=20)
    parser.add_argument("--data", type=Path, help="keep (and reuse) the database here")
    parser.add_argument("--duration", type=float, default=20.0, help="seconds per load run")
    parser.add_argument("--no-write", action="store_true", help="print only")
    args = parser.parse_args()

    from service import embedded_pg
    from service.migrations import upgrade

    workdir = args.data or Path(tempfile.mkdtemp(prefix="qcs-bench-credit-"))
    pg = tune(embedded_pg.start(workdir / "pg"), workdir / "pg")
    processes: list[subprocess.Popen[bytes]] = []
    try:
        url = pg.url()
        database = embedded_pg.DATABASE_NAME
        upgrade(url)
        key, pg_version = asyncio.run(prepare(url))
        existing = int(
            pg.psql(
                f"SELECT count(*) FROM enterprises WHERE uscc LIKE '{USCC_PREFIX}%'",
                database=database,
            )
        )
        timings: dict[str, float] = {}
        if existing != args.enterprises:
            timings = generate(pg, database, args.enterprises, args.events_per)
        counts = {
            table: int(pg.psql(f"SELECT count(*) FROM {table}", database=database))
            for table in TABLES
        }
        sizes = pg.psql(
            "SELECT string_agg(format('%s %s', relname, pg_size_pretty(pg_total_relation_size("
            f"oid))), ', ') FROM pg_class WHERE relname IN {TABLES!r}",
            database=database,
        ).strip()
        # Warm the OS cache: the events table and its index are the working set.
        pg.psql("SELECT count(*) FROM credit_events", database=database)
        pg.psql(
            "SELECT count(*) FROM (SELECT enterprise_uscc, occurred_on FROM credit_events "
            "ORDER BY enterprise_uscc, occurred_on) x",
            database=database,
        )

        app_port, baseline_port = free_port(), free_port()
        dsn = url.replace("postgresql+asyncpg://", "postgresql://")
        processes.append(start_app(url, app_port))
        processes.append(start_baseline(dsn, baseline_port))
        targets = {
            "app `GET /api/v1/enterprises/{uscc}/credit`": (
                app_port,
                "/api/v1/enterprises/{uscc}/credit",
            ),
            "minimal asyncpg endpoint": (baseline_port, "/credit/{uscc}"),
        }
        common = {"concurrency": CONCURRENCY, "seed": 7}
        load_before = os.getloadavg()
        for port, path in targets.values():  # warm-up, discarded
            run_load(port, path, key, args.enterprises, duration=5, **common)
        closed = {
            label: run_load(port, path, key, args.enterprises, duration=args.duration, **common)
            for label, (port, path) in targets.items()
        }
        app_max = next(iter(closed.values()))["throughput"]
        rates = [int(app_max * share) for share in (0.25, 0.5, 0.75, 0.9)]
        opened = {
            (label, rate): run_load(
                port, path, key, args.enterprises, duration=args.duration / 2, rate=rate, **common
            )
            for rate in rates
            for label, (port, path) in targets.items()
        }
        load_after = os.getloadavg()
    finally:
        for process in processes:
            process.terminate()
            process.wait(timeout=30)
        pg.stop()
        if args.data is None:
            shutil.rmtree(workdir, ignore_errors=True)

    app_closed, base_closed = closed.values()
    lines = [
        "# Benchmark result: credit file read",
        "",
        f"Run {datetime.now(UTC):%Y-%m-%d %H:%M} UTC by `uv run python bench/credit.py "
        f"--enterprises {args.enterprises} --events-per {args.events_per} "
        f"--duration {args.duration:g}`.",
        "",
        f"Data: {counts['enterprises']:,} enterprises (incl. seed), {counts['credit_events']:,} "
        f"credit events, {counts['credit_scores']:,} score snapshots; {sizes}.",
        *(
            [f"Generation: {', '.join(f'{k} {v:.0f} s' for k, v in timings.items())}."]
            if timings
            else ["Generation: reused from an earlier run."]
        ),
        "",
        f"## Closed loop: {CONCURRENCY} connections, each sending its next request at once",
        "",
        "| endpoint | requests | req/s | p50 ms | p90 ms | p99 ms | max ms | non-200 |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
        *(row(label, result) for label, result in closed.items()),
        "",
        f"App throughput is {app_closed['throughput'] / base_closed['throughput']:.0%} of the "
        "minimal endpoint's. With 200 requests always in flight, latency is 200 ÷ throughput "
        f"(Little's law): a p99 under {TARGET_P99_MS:.0f} ms would need over "
        f"{CONCURRENCY / TARGET_P99_MS * 1000:,.0f} req/s from the 2 cores that also run "
        "PostgreSQL and the load generator.",
        "",
        f"## Open loop: fixed request rates over {CONCURRENCY} connections",
        "",
        "Latency from each request's scheduled time, so time spent waiting for a connection "
        "counts.",
        "",
        "| endpoint | rate req/s | requests | p50 ms | p90 ms | p99 ms | max ms | non-200 |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
        *(open_row(label, rate, result) for (label, rate), result in opened.items()),
        "",
        f"Target p99 < {TARGET_P99_MS:.0f} ms: "
        + ", ".join(
            f"{rate:,} req/s {'met' if result['p99'] < TARGET_P99_MS else 'MISSED'}"
            for (label, rate), result in opened.items()
            if label.startswith("app")
        )
        + ".",
        "",
        "## Machine",
        "",
        f"- {os.cpu_count()} cores, {Path('/proc/meminfo').read_text().split()[1]} kB memory; "
        f"Python {sys.version.split()[0]}; {pg_version.split(' on ')[0]} (embedded, unix socket, "
        "shared_buffers 4 GB, fsync off).",
        "- Each server: uvicorn, one worker, its own process; the load generator a third process.",
        f"- Load average (1/5/15 min) before the measured runs: "
        f"{'/'.join(f'{x:.1f}' for x in load_before)}, after: "
        f"{'/'.join(f'{x:.1f}' for x in load_after)} — anything above ~3 means other work "
        "shared the 2 cores.",
        "",
    ]
    output = "\n".join(lines)
    print(output)
    if not args.no_write:
        RESULT.parent.mkdir(parents=True, exist_ok=True)
        RESULT.write_text(output, encoding="utf-8")


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "serve-baseline":
        options = argparse.ArgumentParser()
        options.add_argument("--dsn", required=True)
        options.add_argument("--port", type=int, required=True)
        parsed = options.parse_args(sys.argv[2:])
        serve_baseline(parsed.dsn, parsed.port)
    elif len(sys.argv) > 1 and sys.argv[1] == "load":
        options = argparse.ArgumentParser()
        options.add_argument("--port", type=int, required=True)
        options.add_argument("--path", required=True)
        options.add_argument("--key", default="")
        options.add_argument("--enterprises", type=int, required=True)
        options.add_argument("--concurrency", type=int, default=CONCURRENCY)
        options.add_argument("--duration", type=float, default=10.0)
        options.add_argument("--rate", type=float)
        options.add_argument("--max-requests", type=int, default=2_000_000)
        options.add_argument("--seed", type=int, default=7)
        print(json.dumps(asyncio.run(load(options.parse_args(sys.argv[2:])))))
    else:
        main()
