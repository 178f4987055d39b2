from __future__ import annotations

import asyncio

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.factories import Keys


async def test_health_answers_without_a_key(client: httpx.AsyncClient) -> None:
    response = await client.get("/healthz")
    assert response.status_code == 200
    assert (await client.get("/readyz")).json() == {"status": "ready"}


async def test_the_seeded_regions_are_served(client: httpx.AsyncClient, keys: Keys) -> None:
    headers = await keys.admin()
    response = await client.get(
        "/api/v1/regions", params={"parent_code": "410000"}, headers=headers
    )
    assert response.status_code == 200, response.text
    codes = [r["code"] for r in response.json()["items"]]
    assert {"410100", "419001"} <= set(codes)


async def test_connections_the_server_closed_are_replaced_without_an_error(
    client: httpx.AsyncClient, engine: AsyncEngine, keys: Keys
) -> None:
    headers = await keys.admin()
    for _ in range(3):  # fill the app's pool with a few connections
        assert (await client.get("/api/v1/regions", headers=headers)).status_code == 200
    async with engine.connect() as connection:
        terminated = await connection.scalar(
            text(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid() "
                "AND backend_type = 'client backend'"
            )
        )
    assert terminated
    await asyncio.sleep(0.2)  # the closed sockets reach the event loop
    for _ in range(5):
        assert (await client.get("/api/v1/regions", headers=headers)).status_code == 200
