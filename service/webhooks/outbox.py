"""The webhook outbox: a change writes one delivery per subscribed active endpoint in its own
transaction, so a message exists exactly when the change committed, and survives restarts."""

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
    """Queue `payload` for every active endpoint subscribed to `event_type`; returns how many."""
    endpoints = (
        await session.exec(
            select(WebhookEndpoint.id).where(
                col(WebhookEndpoint.state) == EndpointState.ACTIVE.value,
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
                    "next_attempt_at": now,
                    "give_up_at": give_up_at,
                }
                for endpoint_id in endpoints
            ]
        )
    )
    return len(endpoints)
