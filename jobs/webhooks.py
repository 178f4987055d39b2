"""Delivers due webhook deliveries every few seconds (`service.webhooks.delivery`).

The job commits as it goes — claim, then record — so the advisory lock `run_job` takes lasts only
until the first claim commits; replicas running it at once is still safe, because claims skip
rows another replica has locked and leased. It uses the app's one HTTP client, which the app's
lifespan lends it (`lend`); run from the command line it makes its own for the run. Runs that
found nothing due return None, and the scheduler records only the runs that did something."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import httpx
from sqlmodel.ext.asyncio.session import AsyncSession

from service.blacklist.config import get_blacklist_settings
from service.config import get_settings
from service.http import make_http_client
from service.webhooks.delivery import DeliveryConfig, deliver_due

NAME = "webhooks.deliver"
INTERVAL_SECONDS = 2


@dataclass
class _Lent:
    client: httpx.AsyncClient | None = None
    allow_loopback: bool = False


_lent = _Lent()


@contextmanager
def lend(client: httpx.AsyncClient, *, allow_loopback: bool) -> Iterator[None]:
    """For as long as the app runs, the job sends with the app's client and test-mode flag."""
    previous = _Lent(_lent.client, _lent.allow_loopback)
    _lent.client, _lent.allow_loopback = client, allow_loopback
    try:
        yield
    finally:
        _lent.client, _lent.allow_loopback = previous.client, previous.allow_loopback


def config(*, allow_loopback: bool) -> DeliveryConfig:
    settings = get_blacklist_settings()
    return DeliveryConfig(
        allow_loopback=allow_loopback,
        timeout_seconds=settings.webhook_timeout_seconds,
        disable_after_failures=settings.webhook_disable_after_failures,
    )


async def deliver(session: AsyncSession) -> str | None:
    if _lent.client is not None:
        summary = await deliver_due(
            session, _lent.client, config(allow_loopback=_lent.allow_loopback)
        )
    else:
        async with make_http_client() as client:
            summary = await deliver_due(
                session, client, config(allow_loopback=get_settings().test_mode)
            )
    return summary.describe()
