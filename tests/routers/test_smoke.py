from __future__ import annotations

import httpx

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
