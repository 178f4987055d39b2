"""Test harness: one embedded PostgreSQL per test run, the schema built by the migrations into a
template database once, and a fresh copy of that template for every test — real commits, real
concurrency, no shared state between tests."""

from __future__ import annotations

import asyncio
import itertools
import tempfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from seed.loader import load_reference
from service import embedded_pg
from service.app import create_app
from service.auth import system_principal
from service.config import Settings
from service.db import commit, make_engine, make_sessionmaker
from service.migrations import upgrade
from tests.factories import Keys

TEMPLATE = "qcs_template"
_numbers = itertools.count(1)


def test_settings(database_url: str) -> Settings:
    return Settings(database_url=database_url, scheduler=False, test_mode=True)


async def _seed_reference(url: str) -> None:
    engine = make_engine(url, test_settings(url))
    async with make_sessionmaker(engine)() as session:
        await load_reference(session, system_principal("test-setup"))
        await commit(session)
    await engine.dispose()


@pytest.fixture(scope="session", autouse=True)
def release_signing_key(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Every test run signs releases with a key of its own, never the user's data directory."""
    from service.blacklist.config import get_blacklist_settings

    with pytest.MonkeyPatch.context() as patch:
        path = tmp_path_factory.mktemp("signing") / "release-signing-key.pem"
        patch.setenv("QCS_BLACKLIST_SIGNING_KEY_FILE", str(path))
        get_blacklist_settings.cache_clear()
        yield
    get_blacklist_settings.cache_clear()


@pytest.fixture(scope="session")
def pg_server() -> Iterator[embedded_pg.EmbeddedServer]:
    workdir = Path(tempfile.mkdtemp(prefix="qcs-test-"))
    server = embedded_pg.start(workdir / "pg", delete_on_stop=True)
    # A throwaway server needs no durability; without it creating and dropping a database per
    # test costs milliseconds instead of a checkpoint each.
    for setting in ("fsync = off", "full_page_writes = off", "synchronous_commit = off"):
        server.psql(f"ALTER SYSTEM SET {setting}")
    server.psql("SELECT pg_reload_conf()")
    server.psql(f"CREATE DATABASE {TEMPLATE}")
    url = server.url(TEMPLATE)
    # Alembic and the seeding run their own event loops: keep them off the test loop's thread.
    _in_thread(lambda: upgrade(url))
    _in_thread(lambda: asyncio.run(_seed_reference(url)))
    yield server
    server.stop()


def _in_thread(work: object) -> None:
    import threading

    errors: list[BaseException] = []

    def run() -> None:
        try:
            work()  # type: ignore[operator]
        except BaseException as exc:  # noqa: BLE001 - re-raised below in the caller's thread
            errors.append(exc)

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    if errors:
        raise errors[0]


@pytest.fixture
def database_url(pg_server: embedded_pg.EmbeddedServer) -> Iterator[str]:
    name = f"qcs_test_{next(_numbers)}"
    pg_server.psql(f"CREATE DATABASE {name} TEMPLATE {TEMPLATE}")
    yield pg_server.url(name)
    pg_server.psql(f"DROP DATABASE {name} WITH (FORCE)")


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = make_engine(database_url, test_settings(database_url))
    yield engine
    await engine.dispose()


@pytest.fixture
def sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return make_sessionmaker(engine)


@pytest.fixture
async def session(sessionmaker: async_sessionmaker[AsyncSession]) -> AsyncIterator[AsyncSession]:
    async with sessionmaker() as session:
        yield session


@pytest.fixture
async def app(database_url: str) -> AsyncIterator[FastAPI]:
    app = create_app(test_settings(database_url))
    async with app.router.lifespan_context(app):
        yield app


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        yield client


@pytest.fixture
def keys(sessionmaker: async_sessionmaker[AsyncSession]) -> Keys:
    return Keys(sessionmaker)
