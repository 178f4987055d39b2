"""The webhook outbox: a change writes one delivery per subscribed endpoint in its own
transaction, so a message exists exactly when the change committed, and survives restarts.

A disabled endpoint gets its deliveries too, held (due only at their `give_up_at`) until the
department re-enables it: what happened meanwhile then reaches it, within the retry period."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import insert
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models.base import utcnow
from models.blacklist import EndpointState, WebhookDelivery, WebhookEndpoint
from service.blacklist.config import get_blacklist_settings


async def enqueue(
    session: AsyncSession, event_type: str, payload: dict[str, Any], *, message_id: str
) -> int:
    """Queue `payload` for every endpoint subscribed to `event_type`; returns how many.
    `message_id` is the `webhook-id` receivers deduplicate by: unique per event."""
    endpoints = (
        await session.exec(
            select(WebhookEndpoint.id, WebhookEndpoint.state).where(
                col(WebhookEndpoint.event_types).contains([event_type]),
            )
        )
    ).all()
    if not endpoints:
        return 0
    now = utcnow()
    give_up_at = now + timedelta(hours=get_blacklist_settings().webhook_retry_hours)
    await session.exec(
        insert(WebhookDelivery).values(
            [
                {
                    "message_id": message_id,
                    "endpoint_id": endpoint_id,
                    "event_type": event_type,
                    "payload": payload,
                    "next_attempt_at": now if state == EndpointState.ACTIVE.value else give_up_at,
                    "give_up_at": give_up_at,
                }
                for endpoint_id, state in endpoints
            ]
        )
    )
    return len(endpoints)
