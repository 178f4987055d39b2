"""The one outbound HTTP client, made in the lifespan: explicit timeouts, bounded connections."""

from __future__ import annotations

import httpx


def make_http_client() -> httpx.AsyncClient:
    return httpx.AsyncClient(
        timeout=httpx.Timeout(10.0, connect=5.0),
        limits=httpx.Limits(max_connections=100, max_keepalive_connections=20),
        follow_redirects=False,
        transport=httpx.AsyncHTTPTransport(retries=2),
    )
