"""Alembic environment: async (asyncpg), URL given by `service.migrations` or DATABASE_URL."""

from __future__ import annotations

import asyncio

from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine
from sqlmodel import SQLModel

import models  # noqa: F401 - registers every table on the metadata
from alembic import context
from service.config import get_settings

target_metadata = SQLModel.metadata


def _url() -> str:
    url = context.config.attributes.get("database_url") or get_settings().database_url
    if not url:
        raise RuntimeError("no database URL for migrations")
    return str(url)


def _partitions(connection: Connection) -> set[str]:
    # Partitions (pass_rate_rollup's two tiers) are not models: autogenerate compares their
    # parents only.
    return set(
        connection.exec_driver_sql(
            "SELECT relname FROM pg_class WHERE relispartition AND relkind = 'r'"
        ).scalars()
    )


def _run(connection: Connection) -> None:
    partitions = _partitions(connection)
    connection.commit()  # the query began a transaction: the migrations run in their own
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        compare_type=True,
        compare_server_default=True,
        include_name=lambda name, type_, _: not (type_ == "table" and name in partitions),
    )
    with context.begin_transaction():
        context.run_migrations()


async def _run_async() -> None:
    engine = create_async_engine(_url())
    async with engine.connect() as connection:
        await connection.run_sync(_run)
    await engine.dispose()


if context.is_offline_mode():
    context.configure(url=_url(), target_metadata=target_metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()
else:
    asyncio.run(_run_async())
