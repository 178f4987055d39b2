"""Benchmark: 100,000 enterprises through `POST /api/v1/enterprises:import`; target under 60 s.

Run by hand (not a test): `uv run python bench/import_enterprises.py [--rows 100000]`.

It starts an embedded PostgreSQL in a temporary directory, migrates and seeds it, creates an admin
key, generates the rows deterministically (random.Random(42), regions from the seeded counties,
one address in ten quoted because it holds a comma), starts the real app with uvicorn in a
subprocess on 127.0.0.1 and streams the CSV to it in 64 KiB chunks. Timed end to end, from the
first byte sent to the report received (the commit, with the audit chain's append, is inside).
A second import of the same rows with changed names measures the update path. Then it checks the
row count and the audit chain and writes bench/results/import_enterprises.md.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import io
import os
import platform
import random
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import func, text
from sqlmodel import col, select

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from models.common import EnterpriseSize  # noqa: E402
from models.enterprise import Enterprise  # noqa: E402
from models.reference import Region  # noqa: E402
from models.system import Role  # noqa: E402
from seed.loader import load_reference  # noqa: E402
from service import embedded_pg  # noqa: E402
from service.auth import create_key, system_principal  # noqa: E402
from service.config import Settings  # noqa: E402
from service.db import commit, make_engine, make_sessionmaker  # noqa: E402
from service.migrations import upgrade  # noqa: E402
from service.uscc import make_uscc  # noqa: E402

RESULT = ROOT / "bench" / "results" / "import_enterprises.md"
TARGET_SECONDS = 60.0
CHUNK = 64 * 1024
HEADER = ["uscc", "name", "region_code", "size", "address"]


async def prepare(url: str) -> tuple[str, list[tuple[str, str]], str]:
    """Seed the reference data; return an admin key, the counties and the server version."""
    engine = make_engine(url, Settings(database_url=url, scheduler=False))
    async with make_sessionmaker(engine)() as session:
        await load_reference(session, system_principal("bench"))
        _, secret = await create_key(
            session, actor=system_principal("bench"), role=Role.ADMIN, name="bench"
        )
        await commit(session)
        counties = list(
            (
                await session.exec(
                    select(Region.code, Region.name)
                    .where(col(Region.level) == "county")
                    .order_by(col(Region.code))
                )
            ).all()
        )
        version = (await session.exec(select(text("version()")))).one()
    await engine.dispose()
    return secret, counties, str(version)


async def count_enterprises(url: str) -> int:
    engine = make_engine(url, Settings(database_url=url, scheduler=False))
    async with make_sessionmaker(engine)() as session:
        count = (await session.exec(select(func.count()).select_from(Enterprise))).one()
    await engine.dispose()
    return int(count)


def generate(rows: int, counties: list[tuple[str, str]], suffix: str = "") -> bytes:
    rng = random.Random(42)
    trades = [
        "电器",
        "食品",
        "纺织",
        "建材",
        "机械",
        "化工",
        "塑料制品",
        "电线电缆",
        "家具",
        "包装",
    ]
    sizes = [size.value for size in EnterpriseSize] + [""]
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(HEADER)
    for index in range(rows):
        region, region_name = rng.choice(counties)
        uscc = make_uscc(region, f"{10_000_000 + index:08d}")
        name = f"{region_name}{rng.choice(trades)}{index}有限公司{suffix}"
        street = f"{region_name}建设路{rng.randint(1, 999)}号"
        address = f"{street}, {rng.randint(1, 30)}楼" if rng.random() < 0.1 else street
        writer.writerow([uscc, name, region, rng.choice(sizes), address])
    return buffer.getvalue().encode("utf-8")


def chunks(data: bytes) -> Iterator[bytes]:
    for start in range(0, len(data), CHUNK):
        yield data[start : start + CHUNK]


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def start_server(url: str, port: int) -> subprocess.Popen[bytes]:
    env = {**os.environ, "DATABASE_URL": url, "QCS_SCHEDULER": "0"}
    command = [sys.executable, "-m", "uvicorn", "service.app:create_app", "--factory"]
    command += ["--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"]
    server = subprocess.Popen([*command, "--no-access-log"], cwd=ROOT, env=env)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=2).status_code == 200:
                return server
        except httpx.TransportError:
            time.sleep(0.2)
    server.kill()
    raise RuntimeError("the app did not become ready")


def peak_rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def timed_import(client: httpx.Client, data: bytes, key: str) -> tuple[float, dict[str, Any]]:
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "text/csv"}
    started = time.perf_counter()
    response = client.post("/api/v1/enterprises:import", content=chunks(data), headers=headers)
    seconds = time.perf_counter() - started
    response.raise_for_status()
    report: dict[str, Any] = response.json()
    return seconds, report


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--no-write", action="store_true", help="print only")
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="qcs-bench-"))
    pg = embedded_pg.start(workdir / "pg", delete_on_stop=True)
    server: subprocess.Popen[bytes] | None = None
    try:
        url = pg.url()
        upgrade(url)  # runs its own event loop: before any other
        key, counties, pg_version = asyncio.run(prepare(url))
        data = generate(args.rows, counties)
        renamed = generate(args.rows, counties, suffix="（更名）")
        port = free_port()
        server = start_server(url, port)
        base = f"http://127.0.0.1:{port}"
        with httpx.Client(base_url=base, timeout=httpx.Timeout(600, connect=10)) as client:
            seconds, report = timed_import(client, data, key)
            update_seconds, update_report = timed_import(client, renamed, key)
            verify_started = time.perf_counter()
            verified = client.get(
                "/api/v1/audit/verify", headers={"Authorization": f"Bearer {key}"}
            ).json()
            verify_seconds = time.perf_counter() - verify_started
        server_rss = peak_rss_mib(server.pid)
        server.terminate()
        server.wait(timeout=30)
        server = None
        children_rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        stored = asyncio.run(count_enterprises(url))
    finally:
        if server is not None:
            server.kill()
        pg.stop()
        shutil.rmtree(workdir, ignore_errors=True)

    assert report["created"] == args.rows, report
    assert update_report["updated"] == args.rows, update_report
    assert stored == args.rows, stored
    assert verified["ok"], verified
    facts = machine_facts(pg_version)
    lines = [
        "# Benchmark result: bulk enterprise import",
        "",
        f"Run {datetime.now(UTC):%Y-%m-%d %H:%M} UTC by `uv run python bench/import_enterprises.py"
        f" --rows {args.rows}`.",
        "",
        "| what | rows | seconds | rows/s | target |",
        "|---|---:|---:|---:|---|",
        f"| first import (all created) | {args.rows:,} | {seconds:.1f} | {args.rows / seconds:,.0f}"
        f" | < {TARGET_SECONDS:.0f} s: {'met' if seconds < TARGET_SECONDS else 'MISSED'} |",
        f"| re-import, names changed (all updated) | {args.rows:,} | {update_seconds:.1f} | "
        f"{args.rows / update_seconds:,.0f} | — |",
        "",
        f"- Body: {len(data) / 1024 / 1024:.1f} MiB CSV, streamed in {CHUNK // 1024} KiB chunks "
        "over loopback HTTP to uvicorn (one worker) running the real app.",
        f"- Peak RSS of the app process: {server_rss:.0f} MiB (VmHWM); largest child by "
        f"`getrusage(RUSAGE_CHILDREN)`: {children_rss:.0f} MiB.",
        f"- Reports: created {report['created']:,}, rejected {report['rejected']}; then updated "
        f"{update_report['updated']:,}. Stored enterprises afterwards: {stored:,}.",
        f"- Audit chain verified afterwards ({verified['checked']:,} records, "
        f"{verify_seconds:.1f} s): ok = {verified['ok']}.",
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
