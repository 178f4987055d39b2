"""The migrations and the table models describe the same schema, and the exported OpenAPI
document is the app's."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import SQLModel

import models  # noqa: F401 - registers the tables
from service.cli import OPENAPI_PATH, openapi_document


async def test_the_migrations_build_exactly_the_models(engine: AsyncEngine) -> None:
    def diff(connection: Connection) -> list[object]:
        # Partitions (pass_rate_rollup's two tiers) are not models: their parents are.
        partitions = set(
            connection.exec_driver_sql(
                "SELECT relname FROM pg_class WHERE relispartition AND relkind = 'r'"
            ).scalars()
        )
        context = MigrationContext.configure(
            connection,
            opts={
                "compare_type": True,
                "compare_server_default": True,
                "include_name": lambda name, type_, _: (
                    not (type_ == "table" and name in partitions)
                ),
            },
        )
        return list(compare_metadata(context, SQLModel.metadata))

    async with engine.connect() as connection:
        differences = await connection.run_sync(diff)
    assert differences == []


def test_the_exported_openapi_document_matches_the_app() -> None:
    assert OPENAPI_PATH.read_text(encoding="utf-8") == openapi_document(), (
        "openapi/openapi.json is stale: run `uv run qcs openapi`"
    )


def test_operation_ids_are_stable_and_unique() -> None:
    import json

    document = json.loads(openapi_document())
    ids = [op["operationId"] for path in document["paths"].values() for op in path.values()]
    assert len(ids) == len(set(ids))
    assert "enterprises-create_enterprise" in ids
