"""The domain event log: every state change other parts consume (credit, blacklist candidates,
feeds) is written here in the same transaction as the change itself."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from models.results import Event
from service.canonical import plain


def emit(
    session: AsyncSession,
    event_type: str,
    *,
    entity_type: str,
    entity_id: object,
    enterprise_uscc: str | None = None,
    payload: Mapping[str, Any] | None = None,
) -> Event:
    """Record that `event_type` happened to the entity (e.g. `result.final`)."""
    event = Event(
        type=event_type,
        entity_type=entity_type,
        entity_id=str(entity_id),
        enterprise_uscc=enterprise_uscc,
        payload=plain(dict(payload or {})),
    )
    session.add(event)
    return event
