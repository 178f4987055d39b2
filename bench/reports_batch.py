"""Benchmark: 100,000 test reports of 10 items each through `POST /api/v1/reports:batch` (100
requests of 1,000); target under 120 s.

Run by hand (not a test): `uv run python bench/reports_batch.py [--reports 100000]
[--no-write] [--profile FILE]`.

It starts an embedded PostgreSQL in a temporary directory, migrates and seeds it, creates one
testing agency with an API key, and — outside the timing — bulk-loads (COPY) what the reports
are posted against: enterprises, products, one plan, and a sampled task with its sampling and
sample for every report. It generates the reports deterministically (random.Random(42): one in
eight nonconforming, numeric values with units, some text values) and serialises the request
bodies beforehand, starts the real app with uvicorn in a subprocess on 127.0.0.1 and posts the
batches one after the other over one keep-alive connection. Timed end to end, from the first
request sent to the last answer received; each request commits its reports, results, events and
audit records before it answers. Then it re-posts one batch (the idempotent path, all 200),
checks every answer and the stored counts, verifies the audit chain and writes
bench/results/reports_batch.md.

Besides the wall time it records the CPU time the app process and the PostgreSQL processes used
while posting: on a machine shared with other work the wall time varies with the load, the CPU
time much less. `--profile FILE` runs the app under cProfile and writes its stats to FILE.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from importlib import metadata
from pathlib import Path
from typing import Any

import asyncpg  # type: ignore[import-untyped]
import chinese_calendar
import httpx
from sqlalchemy import func, make_url, text
from sqlmodel import select

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from models.agency import AgencyCreate, InspectorCreate  # noqa: E402
from models.plan import Plan  # noqa: E402
from models.results import CalendarYear, Event, Result, TestReport  # noqa: E402
from models.system import Role  # noqa: E402
from seed.loader import load_reference  # noqa: E402
from service import clock, embedded_pg  # noqa: E402
from service.auth import create_key, system_principal  # noqa: E402
from service.config import Settings  # noqa: E402
from service.db import commit, make_engine, make_sessionmaker  # noqa: E402
from service.directory import agencies, inspectors  # noqa: E402
from service.migrations import upgrade  # noqa: E402
from service.uscc import make_uscc  # noqa: E402

RESULT = ROOT / "bench" / "results" / "reports_batch.md"
TARGET_SECONDS = 120.0
BATCH = 1_000
PRODUCTS_PER_ENTERPRISE = 5
ITEMS = [
    ("耗电量", "GB 12021.2-2015 4.2", "≤ 0.50", "kWh/24h"),
    ("噪声", "GB 19606-2004 4.1", "≤ 45", "dB(A)"),
    ("冷冻能力", "GB/T 8059-2016 5.3.9", "≥ 4.5", "kg/24h"),
    ("泄漏电流", "GB 4706.1-2005 13.2", "≤ 0.75", "mA"),
    ("电气强度", "GB 4706.1-2005 13.3", "无击穿", None),
    ("接地电阻", "GB 4706.1-2005 27.5", "≤ 0.1", "Ω"),
    ("输入功率", "GB 4706.1-2005 10.1", "±10%", "W"),
    ("温升", "GB 4706.1-2005 11.8", "≤ 75", "K"),
    ("标志和说明", "GB 4706.1-2005 7.1", "符合标准要求", None),
    ("稳定性", "GB 4706.1-2005 20.1", "不倾倒", None),
]


def database_dsn(url: str) -> dict[str, Any]:
    parsed = make_url(url)
    return {"host": parsed.query["host"], "user": parsed.username, "database": parsed.database}


async def prepare(url: str, today: date) -> dict[str, Any]:
    """Seed, create the agency, its key, an admin key and a plan; cover the calendar years."""
    settings = Settings(database_url=url, scheduler=False)
    engine = make_engine(url, settings)
    actor = system_principal("bench")
    async with make_sessionmaker(engine)() as session:
        await load_reference(session, actor)
        agency = await agencies.create_agency(
            session,
            actor,
            AgencyCreate(
                name="河南省产品质量检验检测研究院",
                uscc=make_uscc("410100", "99000001"),
                cma_number="CMA99000001",
                cma_valid_from=date(2024, 1, 1),
                cma_valid_until=date(2030, 12, 31),
                region_code="410100",
                category_scope=["04"],
            ),
        )
        staff = [
            await inspectors.create_inspector(
                session,
                actor,
                InspectorCreate(
                    name=f"执法员{n}", department_code="scjg-410100", certificate_number=f"ZF9{n}"
                ),
            )
            for n in range(2)
        ]
        plan = Plan(
            title="基准测试计划",
            department_code="scjg-410100",
            level="municipal",
            region_code="410100",
            kind="routine",
            period_start=today - timedelta(days=90),
            period_end=today + timedelta(days=90),
            state="drawn",
        )
        session.add(plan)
        # A year the calendar library does not know yet would make every window an error.
        for year in {today.year, (today + timedelta(days=60)).year}:
            try:
                chinese_calendar.is_workday(date(year, 6, 1))
            except NotImplementedError:
                session.add(CalendarYear(year=year, source="bench: weekends only"))
        _, agency_key = await create_key(
            session, actor=actor, role=Role.AGENCY, name="bench agency", agency_id=agency.id
        )
        _, admin_key = await create_key(session, actor=actor, role=Role.ADMIN, name="bench")
        await commit(session)
        version = (await session.exec(select(text("version()")))).one()
    await engine.dispose()
    return {
        "agency_id": agency.id,
        "inspector_ids": [i.id for i in staff],
        "plan_id": plan.id,
        "agency_key": agency_key,
        "admin_key": admin_key,
        "pg_version": str(version),
    }


async def load_tasks(url: str, facts: dict[str, Any], reports: int, sampled_on: date) -> list[str]:
    """COPY enterprises, products, sampled tasks, samplings and samples; return the task ids."""
    now = datetime.now(UTC)
    rows: dict[str, list[dict[str, Any]]] = {
        "enterprises": [],
        "products": [],
        "sampling_tasks": [],
        "samplings": [],
        "samples": [],
    }
    stamps = {"created_at": now}
    for n in range(reports):
        if n % PRODUCTS_PER_ENTERPRISE == 0:
            uscc = make_uscc("410102", f"{10_000_000 + n // PRODUCTS_PER_ENTERPRISE:08d}")
            rows["enterprises"].append(
                {"uscc": uscc, "name": f"基准企业{n}有限公司", "region_code": "410102"}
                | {"size": "small", "risk_class": "B", "active": True, "updated_at": now}
                | stamps
            )
        product, task, sampling = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
        model = f"BCD-{n}"
        rows["products"].append(
            {"id": product, "enterprise_uscc": uscc, "category_code": "0401", "name": "电冰箱"}
            | {"brand": "牌子", "model": model, "standard": "GB 4706.13", "identity_key": model}
            | {"active": True, "updated_at": now}
            | stamps
        )
        rows["sampling_tasks"].append(
            {"id": task, "plan_id": facts["plan_id"], "product_id": product}
            | {"enterprise_uscc": uscc, "category_code": "0401", "agency_id": facts["agency_id"]}
            | {"inspector_ids": facts["inspector_ids"], "stratum": "0401|*", "draw_order": n}
            | {"state": "sampled"}
            | stamps
        )
        rows["samplings"].append(
            {"id": sampling, "product_id": product, "task_id": task}
            | {"department_code": "scjg-410100", "level": "municipal", "region_code": "410100"}
            | {"plan_kind": "routine", "sampled_on": sampled_on}
            | stamps
        )
        rows["samples"].append(
            {"id": uuid.uuid4(), "task_id": task, "agency_id": facts["agency_id"]}
            | {"sampling_id": sampling, "sample_number": f"CY{n:08d}", "sampled_on": sampled_on}
            | {"place_type": "production", "place_name": "企业成品库", "quantity_unit": "台"}
            | {"inspection_quantity": 2, "backup_quantity": 2, "backup_holder": "企业"}
            | {"sampler_ids": facts["inspector_ids"]}
            | stamps
        )
    connection = await asyncpg.connect(**database_dsn(url))
    try:
        async with connection.transaction():
            for table, records in rows.items():
                columns = list(records[0])
                await connection.copy_records_to_table(
                    table, records=[tuple(r.values()) for r in records], columns=columns
                )
        await connection.execute("ANALYZE")
    finally:
        await connection.close()
    return [str(task["id"]) for task in rows["sampling_tasks"]]


def generate(task_ids: list[str], issued_on: date) -> list[dict[str, Any]]:
    rng = random.Random(42)
    reports = []
    for n, task_id in enumerate(task_ids):
        failing = rng.randrange(10) if rng.random() < 0.125 else None
        items = []
        for i, (name, clause, requirement, unit) in enumerate(ITEMS):
            fails = i == failing
            value = f"{rng.uniform(0.1, 0.9):.2f}" if unit else requirement
            items.append(
                {
                    "name": name,
                    "standard_clause": clause,
                    "requirement": requirement,
                    "measured_value": value,
                    "unit": unit,
                    "verdict": "fail" if fails else "pass",
                    "severity": rng.choice(["serious", "general"]) if fails else None,
                }
            )
        reports.append(
            {
                "task_id": task_id,
                "report_number": f"BG{issued_on.year}-{n:07d}",
                "issued_on": issued_on.isoformat(),
                "document_sha256": f"{rng.getrandbits(256):064x}",
                "items": items,
            }
        )
    return reports


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def peak_rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


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
        for name in ("fastapi", "starlette", "sqlalchemy", "asyncpg", "uvicorn", "pydantic")
    )
    return {
        "CPU": f"{os.cpu_count()} × {cpu} (nproc {len(os.sched_getaffinity(0))})",
        "Memory": f"{int(memory) / 1024 / 1024:.1f} GiB",
        "OS": platform.platform(),
        "Python": platform.python_version(),
        "PostgreSQL": pg_version.split(" on ")[0] + " (embedded, unix socket)",
        "Packages": packages,
    }


def start_server(url: str, port: int, profile: Path | None) -> subprocess.Popen[bytes]:
    """The real app under uvicorn (one worker); with `profile`, under cProfile writing there."""
    env = {**os.environ, "DATABASE_URL": url, "QCS_SCHEDULER": "0"}
    command = [sys.executable]
    if profile is not None:
        command += ["-m", "cProfile", "-o", str(profile)]
    command += ["-m", "uvicorn", "service.app:create_app", "--factory", "--host", "127.0.0.1"]
    command += ["--port", str(port), "--log-level", "warning", "--no-access-log"]
    server = subprocess.Popen(command, cwd=ROOT, env=env)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=2).status_code == 200:
                return server
        except httpx.TransportError:
            time.sleep(0.2)
    server.kill()
    raise RuntimeError("the app did not become ready")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def postgres_cpu_seconds(pgdata: Path) -> float:
    """CPU time used so far by the embedded server: the postmaster and its live children
    (backends of connections closed earlier are not counted; the app's pool keeps its own)."""
    postmaster = int((pgdata / "postmaster.pid").read_text().split()[0])
    total = cpu_seconds(postmaster)
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == postmaster:
                total += cpu_seconds(int(stat.parent.name))
        except (OSError, ValueError):
            continue
    return total


def load_average() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def post_all(
    client: httpx.Client, bodies: list[bytes], key: str
) -> tuple[float, list[float], list[dict[str, Any]]]:
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
    latencies, answers = [], []
    started = time.perf_counter()
    for content in bodies:
        sent = time.perf_counter()
        response = client.post("/api/v1/reports:batch", content=content, headers=headers)
        latencies.append(time.perf_counter() - sent)
        response.raise_for_status()
        answers.append(response.json())
    return time.perf_counter() - started, latencies, answers


async def stored_counts(url: str) -> dict[str, int]:
    engine = make_engine(url, Settings(database_url=url, scheduler=False))
    counts = {}
    async with make_sessionmaker(engine)() as session:
        for name, table in (("reports", TestReport), ("results", Result), ("events", Event)):
            counts[name] = int((await session.exec(select(func.count()).select_from(table))).one())
    await engine.dispose()
    return counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reports", type=int, default=100_000)
    parser.add_argument("--no-write", action="store_true", help="print only")
    parser.add_argument("--profile", type=Path, help="run the app under cProfile, stats to FILE")
    args = parser.parse_args()

    today = clock.today()
    sampled_on, issued_on = today - timedelta(days=30), today - timedelta(days=2)
    workdir = Path(tempfile.mkdtemp(prefix="qcs-bench-"))
    pg = embedded_pg.start(workdir / "pg", delete_on_stop=True)
    server: subprocess.Popen[bytes] | None = None
    try:
        url = pg.url()
        upgrade(url)  # runs its own event loop: before any other
        facts = asyncio.run(prepare(url, today))
        load_started = time.perf_counter()
        task_ids = asyncio.run(load_tasks(url, facts, args.reports, sampled_on))
        load_seconds = time.perf_counter() - load_started
        reports = generate(task_ids, issued_on)
        bodies = [
            json.dumps({"reports": reports[i : i + BATCH]}, ensure_ascii=False).encode()
            for i in range(0, len(reports), BATCH)
        ]
        port = free_port()
        server = start_server(url, port, args.profile)
        base = f"http://127.0.0.1:{port}"
        with httpx.Client(base_url=base, timeout=httpx.Timeout(600, connect=10)) as client:
            load_before = load_average()
            app_cpu, pg_cpu = cpu_seconds(server.pid), postgres_cpu_seconds(workdir / "pg")
            seconds, latencies, answers = post_all(client, bodies, facts["agency_key"])
            app_cpu = cpu_seconds(server.pid) - app_cpu
            pg_cpu = postgres_cpu_seconds(workdir / "pg") - pg_cpu
            load_after = load_average()
            repost_seconds, _, reposted = post_all(client, bodies[:1], facts["agency_key"])
            verify_started = time.perf_counter()
            verified = client.get(
                "/api/v1/audit/verify", headers={"Authorization": f"Bearer {facts['admin_key']}"}
            ).json()
            verify_seconds = time.perf_counter() - verify_started
        server_rss = peak_rss_mib(server.pid)
        # uvicorn re-raises the signal after its shutdown; SIGINT lets cProfile save its stats.
        server.send_signal(signal.SIGINT)
        server.wait(timeout=60)
        server = None
        counts = asyncio.run(stored_counts(url))
    finally:
        if server is not None:
            server.kill()
        pg.stop()
        shutil.rmtree(workdir, ignore_errors=True)

    created = sum(answer["created"] for answer in answers)
    assert created == args.reports, [a for a in answers if a["created"] != len(a["items"])][:1]
    assert reposted[0]["existing"] == len(reposted[0]["items"]), reposted[0]
    assert counts["reports"] == counts["results"] == args.reports, counts
    assert counts["events"] == 2 * args.reports, counts
    assert verified["ok"], verified
    nonconforming = sum(1 for r in reports if any(item["verdict"] == "fail" for item in r["items"]))
    median = statistics.median(latencies)
    body_mib = sum(len(b) for b in bodies) / 1024 / 1024
    facts_machine = machine_facts(facts["pg_version"])
    lines = [
        "# Benchmark result: test reports through the batch endpoint",
        "",
        f"Run {datetime.now(UTC):%Y-%m-%d %H:%M} UTC by `uv run python bench/reports_batch.py"
        f" --reports {args.reports}`.",
        "",
        "| what | reports | requests | seconds | reports/s | target |",
        "|---|---:|---:|---:|---:|---|",
        f"| new reports (all 201) | {args.reports:,} | {len(bodies)} | {seconds:.1f} | "
        f"{args.reports / seconds:,.0f} | < {TARGET_SECONDS:.0f} s: "
        f"{'met' if seconds < TARGET_SECONDS else 'MISSED'} |",
        f"| identical re-post of one batch (all 200) | {len(reposted[0]['items']):,} | 1 | "
        f"{repost_seconds:.2f} | {len(reposted[0]['items']) / repost_seconds:,.0f} | — |",
        "",
        f"- Per request of {BATCH:,} reports: median {median:.2f} s, min {min(latencies):.2f} s, "
        f"max {max(latencies):.2f} s.",
        f"- CPU time while posting the new reports: app {app_cpu:.1f} s "
        f"({app_cpu / len(bodies):.2f} s a request), PostgreSQL {pg_cpu:.1f} s "
        f"({pg_cpu / len(bodies):.2f} s a request). Load average (1, 5, 15 min) before: "
        f"{load_before}; after: {load_after} (other work on the machine shares its 2 cores).",
        f"- Bodies: {body_mib:.1f} MiB of JSON in all ({body_mib / len(bodies) * 1024:.0f} KiB a "
        f"request, 10 items a report, {nonconforming:,} nonconforming), serialised before the "
        "timing and posted one request after the other over one keep-alive loopback connection "
        "to uvicorn (one worker) running the real app.",
        f"- Each request commits its reports, results, `report.received` and `result.notified` "
        f"events and audit records before answering. Stored afterwards: {counts['reports']:,} "
        f"reports, {counts['results']:,} results, {counts['events']:,} events.",
        f"- Set-up outside the timing: {args.reports:,} sampled tasks with their samplings and "
        f"samples (and {args.reports // PRODUCTS_PER_ENTERPRISE:,} enterprises, "
        f"{args.reports:,} products) by COPY in {load_seconds:.1f} s.",
        f"- Peak RSS of the app process: {server_rss:.0f} MiB (VmHWM).",
        f"- Audit chain verified afterwards ({verified['checked']:,} records, "
        f"{verify_seconds:.1f} s): ok = {verified['ok']}.",
        "",
        "## Machine",
        "",
        *(f"- {name}: {value}" for name, value in facts_machine.items()),
        "",
    ]
    output = "\n".join(lines)
    print(output)
    if not args.no_write:
        RESULT.parent.mkdir(parents=True, exist_ok=True)
        RESULT.write_text(output, encoding="utf-8")


if __name__ == "__main__":
    main()
