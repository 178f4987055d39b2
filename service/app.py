"""The app factory: settings, database, problem+json, routers, scheduler and the shared HTTP
client, wired once."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.routing import APIRoute
from sqlalchemy import text
from starlette.types import ASGIApp

from service.config import Settings, get_settings
from service.db import make_engine, make_sessionmaker
from service.problems import RewritePlainTooLarge, install_problem_handlers

API_PREFIX = "/api/v1"


def operation_id(route: APIRoute) -> str:
    # Stable, readable operationIds so departments can generate clients from openapi.json.
    return f"{route.tags[0]}-{route.name}" if route.tags else route.name


class QualityCreditApp(FastAPI):
    def build_middleware_stack(self) -> ASGIApp:
        return RewritePlainTooLarge(super().build_middleware_stack())


def create_app(settings: Settings | None = None, *, database_url: str | None = None) -> FastAPI:
    """Build the application. `database_url` overrides the settings (the CLI passes the embedded
    server's URL); the scheduler starts only when the settings enable it."""
    settings = settings or get_settings()
    url = database_url or settings.database_url
    if url is None:
        raise RuntimeError("no database URL: set DATABASE_URL or let `qcs serve` start one")

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        from jobs import webhooks as webhooks_job
        from jobs.scheduler import start_scheduler
        from service.http import make_http_client

        engine = make_engine(url, settings)
        app.state.engine = engine
        app.state.sessionmaker = make_sessionmaker(engine)
        app.state.settings = settings
        async with make_http_client() as client:
            app.state.http = client
            # The webhook delivery job sends with this one client for as long as the app runs.
            with webhooks_job.lend(client, allow_loopback=settings.test_mode):
                scheduler = start_scheduler(app.state.sessionmaker) if settings.scheduler else None
                # Everything imported and built so far lives as long as the process: keep it out
                # of every later garbage collection (cheaper requests on the batch paths).
                gc.freeze()
                try:
                    yield
                finally:
                    if scheduler is not None:
                        scheduler.shutdown(wait=False)
                    await engine.dispose()

    app = QualityCreditApp(
        title="质量抽查与信用黑名单服务 — Quality sampling & credit-blacklist service",
        version="1.0.0",
        lifespan=lifespan,
        generate_unique_id_function=operation_id,
        max_body_size=settings.max_body_bytes,
    )
    install_problem_handlers(app)

    @app.get("/healthz", tags=["health"])
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/readyz", tags=["health"])
    async def readyz() -> dict[str, str]:
        async with app.state.engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
        return {"status": "ready"}

    from routers import ROUTERS

    for router in ROUTERS:
        app.include_router(router, prefix=API_PREFIX)
    return app
