"""Delivering the outbox: claim due deliveries, send them, record what happened.

Three short transactions per batch, none held open across the network:
1. claim — due pending deliveries, oldest due first, `FOR UPDATE SKIP LOCKED` so replicas take
   disjoint batches; each claimed delivery's `next_attempt_at` moves forward by a lease and the
   claim commits. If the process dies before step 3 the delivery is simply due again when the
   lease runs out: nothing is lost across a restart (at least once; receivers deduplicate by
   `webhook-id`).
2. send — concurrently (bounded) with the one shared httpx client, each signed per Standard
   Webhooks; the address is checked again and pinned for the request.
3. record — one `webhook_attempts` row per attempt; 2xx delivers, anything else is retried with
   exponential backoff until the delivery's `give_up_at`, and the endpoint's failure streak
   grows; at `webhook_disable_after_failures` in a row the endpoint is disabled and its pending
   deliveries are held for the department to re-enable it."""

from __future__ import annotations

import asyncio
import random
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import httpx
from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models.base import utcnow
from models.blacklist import (
    DeliveryState,
    EndpointState,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
)
from service import audit
from service.db import commit
from service.webhooks import addresses, signing
from service.webhooks.endpoints import disable_endpoint, hold_pending

ACTOR = "job:webhooks.deliver"
FIRST_RETRY_SECONDS = 5.0
MAX_RETRY_SECONDS = 3600.0


@dataclass(frozen=True)
class DeliveryConfig:
    allow_loopback: bool
    timeout_seconds: float
    disable_after_failures: int
    batch_size: int = 100
    concurrency: int = 32
    # Batches one run takes at most, so a run ends and the next scheduled one starts fresh.
    max_batches: int = 50

    @property
    def lease(self) -> timedelta:
        # Longer than any send can take: the client retries a failed connect twice.
        return timedelta(seconds=3 * self.timeout_seconds + 30)


@dataclass(frozen=True)
class Claimed:
    delivery_id: uuid.UUID
    endpoint_id: uuid.UUID
    message_id: str
    url: str
    secret: str
    body: bytes


@dataclass(frozen=True)
class Outcome:
    claimed: Claimed
    attempted_at: datetime
    status_code: int | None
    error: str | None
    duration_ms: int

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


@dataclass
class RunSummary:
    claimed: int = 0
    delivered: int = 0
    retrying: int = 0
    failed: int = 0
    disabled_endpoints: list[uuid.UUID] = field(default_factory=list)

    def describe(self) -> str | None:
        if not (self.claimed or self.failed):
            return None
        return (
            f"claimed {self.claimed}, delivered {self.delivered}, retrying {self.retrying}, "
            f"failed {self.failed}, endpoints disabled {len(self.disabled_endpoints)}"
        )


def backoff(failed_attempts: int, jitter: float) -> timedelta:
    """The wait after the n-th failed attempt: 5 s, 10 s, 20 s … at most an hour, less up to a
    fifth at random (`jitter` in [0, 1)) so retries to one receiver do not arrive in step."""
    base = min(FIRST_RETRY_SECONDS * 2 ** (failed_attempts - 1), MAX_RETRY_SECONDS)
    return timedelta(seconds=base * (1 - 0.2 * jitter))


async def claim(
    session: AsyncSession, config: DeliveryConfig, summary: RunSummary
) -> list[Claimed]:
    """Take the next batch of due deliveries under a lease, and commit."""
    now = utcnow()
    rows = (
        await session.exec(
            select(WebhookDelivery, WebhookEndpoint)
            .join(WebhookEndpoint, col(WebhookEndpoint.id) == col(WebhookDelivery.endpoint_id))
            .where(
                col(WebhookDelivery.state) == DeliveryState.PENDING.value,
                col(WebhookDelivery.next_attempt_at) <= now,
            )
            .order_by(col(WebhookDelivery.next_attempt_at))
            .limit(config.batch_size)
            .with_for_update(of=WebhookDelivery, skip_locked=True)
            .execution_options(populate_existing=True)
        )
    ).all()
    sendable = []
    for delivery, endpoint in rows:
        if delivery.give_up_at <= now or endpoint.state != EndpointState.ACTIVE.value:
            # Held for a disabled endpoint until its retry period ended, or overdue after the
            # service was down that long: given up without another attempt (replay remains).
            delivery.state = DeliveryState.FAILED.value
            delivery.last_error = delivery.last_error or "the retry period ended"
            summary.failed += 1
        else:
            delivery.next_attempt_at = now + config.lease
            sendable.append((delivery, endpoint))
        session.add(delivery)
    occurred = await _occurred_at(session, [d.message_id for d, _ in sendable])
    claimed = [
        Claimed(
            delivery_id=delivery.id,
            endpoint_id=endpoint.id,
            message_id=delivery.message_id,
            url=endpoint.url,
            secret=endpoint.secret,
            body=signing.body(delivery.event_type, occurred[delivery.message_id], delivery.payload),
        )
        for delivery, endpoint in sendable
    ]
    await commit(session)
    summary.claimed += len(claimed)
    return claimed


async def _occurred_at(session: AsyncSession, message_ids: list[str]) -> dict[str, datetime]:
    """When each message was first written: its body's timestamp, the same in every replay."""
    if not message_ids:
        return {}
    rows = await session.exec(
        select(WebhookDelivery.message_id, func.min(WebhookDelivery.created_at))
        .where(col(WebhookDelivery.message_id).in_(set(message_ids)))
        .group_by(col(WebhookDelivery.message_id))
    )
    return dict(rows.all())


async def send(client: httpx.AsyncClient, claimed: Claimed, config: DeliveryConfig) -> Outcome:
    attempted_at = utcnow()
    started = time.monotonic()
    status_code: int | None = None
    error: str | None = None
    try:
        target = await addresses.check(claimed.url, allow_loopback=config.allow_loopback)
        url, host, extensions = addresses.pinned(target)
        headers = signing.headers(
            claimed.secret, claimed.message_id, int(time.time()), claimed.body
        )
        async with client.stream(
            "POST",
            url,
            content=claimed.body,
            headers=headers | host,
            extensions=extensions,
            timeout=config.timeout_seconds,
        ) as response:
            # The status is the answer; the body is not read (a receiver could send anything).
            status_code = response.status_code
        if not 200 <= status_code < 300:
            error = f"HTTP {status_code}"
    except addresses.AddressNotAllowed as exc:
        error = f"address not allowed: {exc}"
    except httpx.HTTPError as exc:
        error = f"{type(exc).__name__}: {exc}"[:500]
    duration_ms = round((time.monotonic() - started) * 1000)
    return Outcome(claimed, attempted_at, status_code, error, duration_ms)


async def record(
    session: AsyncSession, outcomes: Sequence[Outcome], config: DeliveryConfig, summary: RunSummary
) -> None:
    """Write the attempts and their consequences, and commit."""
    if not outcomes:
        return
    endpoint_ids = sorted({o.claimed.endpoint_id for o in outcomes})
    # Locked in a fixed order, so two recorders never wait on each other in a cycle.
    endpoints = {
        e.id: e
        for e in (
            await session.exec(
                select(WebhookEndpoint)
                .where(col(WebhookEndpoint.id).in_(endpoint_ids))
                .order_by(col(WebhookEndpoint.id))
                .with_for_update()
                .execution_options(populate_existing=True)
            )
        ).all()
    }
    deliveries = {
        d.id: d
        for d in (
            await session.exec(
                select(WebhookDelivery)
                .where(col(WebhookDelivery.id).in_([o.claimed.delivery_id for o in outcomes]))
                .order_by(col(WebhookDelivery.id))
                .with_for_update()
                .execution_options(populate_existing=True)
            )
        ).all()
    }
    newly_disabled: list[WebhookEndpoint] = []
    for outcome in outcomes:
        delivery = deliveries[outcome.claimed.delivery_id]
        endpoint = endpoints[outcome.claimed.endpoint_id]
        session.add(
            WebhookAttempt(
                delivery_id=delivery.id,
                attempted_at=outcome.attempted_at,
                status_code=outcome.status_code,
                error=outcome.error,
                duration_ms=outcome.duration_ms,
            )
        )
        delivery.attempts += 1
        delivery.last_status = outcome.status_code
        delivery.last_error = outcome.error
        finished = outcome.attempted_at + timedelta(milliseconds=outcome.duration_ms)
        if outcome.ok:
            if endpoint.state == EndpointState.ACTIVE.value:
                endpoint.failure_streak = 0
            # Another worker may have delivered it after our lease ran out: stays delivered.
            if delivery.state == DeliveryState.PENDING.value:
                delivery.state = DeliveryState.DELIVERED.value
                delivery.delivered_at = finished
                summary.delivered += 1
        else:
            endpoint.failure_streak += 1
            if (
                endpoint.state == EndpointState.ACTIVE.value
                and endpoint.failure_streak >= config.disable_after_failures
            ):
                disable_endpoint(
                    endpoint, f"{endpoint.failure_streak} failed attempts in a row", finished
                )
                newly_disabled.append(endpoint)
            if delivery.state == DeliveryState.PENDING.value:
                retry_at = finished + backoff(delivery.attempts, random.random())  # noqa: S311 - jitter, not a secret
                if retry_at >= delivery.give_up_at:
                    delivery.state = DeliveryState.FAILED.value
                    summary.failed += 1
                elif endpoint.state != EndpointState.ACTIVE.value:
                    delivery.next_attempt_at = delivery.give_up_at
                else:
                    delivery.next_attempt_at = retry_at
                    summary.retrying += 1
        session.add(delivery)
        session.add(endpoint)
    await session.flush()
    for endpoint in newly_disabled:
        await hold_pending(session, endpoint.id)
        audit.record(
            session,
            actor=ACTOR,
            action="webhook_endpoint.disabled",
            entity_type="webhook_endpoint",
            entity_id=str(endpoint.id),
            state=endpoint.model_dump(mode="json", exclude={"secret", "created_at", "updated_at"}),
        )
        summary.disabled_endpoints.append(endpoint.id)
    await commit(session)


async def deliver_due(
    session: AsyncSession, client: httpx.AsyncClient, config: DeliveryConfig
) -> RunSummary:
    """Deliver everything due now, batch by batch."""
    summary = RunSummary()
    gate = asyncio.Semaphore(config.concurrency)

    async def bounded(claimed: Claimed) -> Outcome:
        async with gate:
            return await send(client, claimed, config)

    for _ in range(config.max_batches):
        batch = await claim(session, config, summary)
        if not batch:
            break
        outcomes = await asyncio.gather(*(bounded(c) for c in batch))
        await record(session, outcomes, config, summary)
    return summary
