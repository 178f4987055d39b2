"""Bodies over the configured limit get 413 problem+json, whether the size is declared up front
or only discovered while streaming."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx

from tests.factories import Keys

LIMIT = 1_048_576


async def test_a_declared_oversized_body_is_refused_as_a_problem(
    client: httpx.AsyncClient, keys: Keys
) -> None:
    response = await client.post(
        "/api/v1/enterprises",
        content=b"{" + b" " * LIMIT + b"}",
        headers={**await keys.admin(), "Content-Type": "application/json"},
    )
    assert response.status_code == 413
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == "request.too_large"


async def test_a_streamed_oversized_body_is_refused_as_a_problem(
    client: httpx.AsyncClient, keys: Keys
) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        yield b'{"name": "'
        for _ in range(20):
            yield b"x" * 65_536
        yield b'"}'

    response = await client.post(
        "/api/v1/enterprises",
        content=chunks(),
        headers={**await keys.admin(), "Content-Type": "application/json"},
    )
    assert response.status_code == 413
    assert response.json()["code"] == "request.too_large"
