"""Departments' webhook endpoints (`/webhooks`): register, change, disable and re-enable, and
read what was delivered to them. A department key (and a regulator, for its own department)
sees only its department's endpoints; another department's endpoint is answered like an
unknown one. Admins act for any department."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession
from sqlmodel.sql.expression import SelectOfScalar

from models.base import utcnow
from models.blacklist import (
    DeliveryState,
    EndpointState,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
)
from models.reference import Department
from models.system import Role
from models.webhooks_api import (
    WebhookEndpointCreate,
    WebhookEndpointUpdate,
    WebhookEventType,
)
from service import audit
from service.auth import Principal
from service.errors import Conflict, Forbidden, InvalidInput, NotFound
from service.pagination import (
    PageRequest,
    PageResult,
    decode_cursor,
    encode_cursor,
    keyset_page,
)
from service.webhooks import addresses, signing

KNOWN_EVENT_TYPES = frozenset(t.value for t in WebhookEventType)


def readable_endpoints(principal: Principal) -> SelectOfScalar[WebhookEndpoint]:
    """The one place that bounds who sees which endpoint."""
    statement = select(WebhookEndpoint)
    if principal.role is Role.ADMIN:
        return statement
    if principal.department_code is None:
        return statement.where(col(WebhookEndpoint.id).is_(None))
    return statement.where(col(WebhookEndpoint.department_code) == principal.department_code)


def _event_types(requested: list[str]) -> list[str]:
    unknown = sorted(set(requested) - KNOWN_EVENT_TYPES)
    if unknown:
        raise InvalidInput(
            "webhook.event_type_unknown",
            f"unknown event types: {', '.join(unknown)}",
            known=sorted(KNOWN_EVENT_TYPES),
        )
    return sorted(set(requested))


async def _department_for(
    session: AsyncSession, principal: Principal, requested: str | None
) -> str:
    if principal.role is not Role.ADMIN:
        if requested is not None and requested != principal.department_code:
            raise Forbidden(
                "webhook.department_forbidden", "a key registers endpoints for its own department"
            )
        if principal.department_code is None:
            raise Forbidden("webhook.department_forbidden", "this key has no department")
        return principal.department_code
    if requested is None:
        raise InvalidInput("webhook.department_required", "an admin names the department_code")
    if await session.get(Department, requested) is None:
        raise InvalidInput("department.unknown", f"no department {requested}")
    return requested


def _record(
    session: AsyncSession, principal: Principal, endpoint: WebhookEndpoint, action: str
) -> None:
    audit.record(
        session,
        actor=principal.actor,
        action=action,
        entity_type="webhook_endpoint",
        entity_id=str(endpoint.id),
        # Never the secret: the audit state is a digest, but the secret has no place in it.
        state=endpoint.model_dump(mode="json", exclude={"secret", "created_at", "updated_at"}),
    )


async def register(
    session: AsyncSession,
    principal: Principal,
    data: WebhookEndpointCreate,
    *,
    allow_loopback: bool,
) -> WebhookEndpoint:
    department_code = await _department_for(session, principal, data.department_code)
    endpoint = WebhookEndpoint(
        department_code=department_code,
        url=await addresses.validate(data.url, allow_loopback=allow_loopback),
        event_types=_event_types(data.event_types),
        secret=signing.new_secret(),
        created_by=principal.actor,
    )
    session.add(endpoint)
    await session.flush()
    _record(session, principal, endpoint, "webhook_endpoint.registered")
    return endpoint


async def get_endpoint(
    session: AsyncSession, principal: Principal, endpoint_id: uuid.UUID, *, for_update: bool = False
) -> WebhookEndpoint:
    statement = readable_endpoints(principal).where(col(WebhookEndpoint.id) == endpoint_id)
    if for_update:
        statement = statement.with_for_update().execution_options(populate_existing=True)
    endpoint = (await session.exec(statement)).first()
    if endpoint is None:
        raise NotFound("webhook.not_found", f"no webhook endpoint {endpoint_id}")
    return endpoint


async def list_endpoints(
    session: AsyncSession, principal: Principal, page: PageRequest
) -> PageResult[WebhookEndpoint]:
    statement = readable_endpoints(principal)
    return await keyset_page(session, statement, WebhookEndpoint.id, page)  # type: ignore[arg-type]


async def change(
    session: AsyncSession,
    principal: Principal,
    endpoint_id: uuid.UUID,
    data: WebhookEndpointUpdate,
    *,
    allow_loopback: bool,
) -> WebhookEndpoint:
    endpoint = await get_endpoint(session, principal, endpoint_id, for_update=True)
    if data.url is not None:
        endpoint.url = await addresses.validate(data.url, allow_loopback=allow_loopback)
    if data.event_types is not None:
        endpoint.event_types = _event_types(data.event_types)
    endpoint.updated_at = utcnow()
    session.add(endpoint)
    await session.flush()
    _record(session, principal, endpoint, "webhook_endpoint.changed")
    return endpoint


async def hold_pending(session: AsyncSession, endpoint_id: uuid.UUID) -> None:
    """A disabled endpoint's pending deliveries wait — due only when their retry period ends,
    when the job marks them failed — unless the endpoint is re-enabled first."""
    await session.exec(
        update(WebhookDelivery)
        .where(
            col(WebhookDelivery.endpoint_id) == endpoint_id,
            col(WebhookDelivery.state) == DeliveryState.PENDING.value,
        )
        .values(next_attempt_at=col(WebhookDelivery.give_up_at))
    )


def disable_endpoint(endpoint: WebhookEndpoint, reason: str, now: datetime) -> None:
    endpoint.state = EndpointState.DISABLED.value
    endpoint.disabled_at = now
    endpoint.disabled_reason = reason
    endpoint.updated_at = now


async def disable(
    session: AsyncSession, principal: Principal, endpoint_id: uuid.UUID
) -> WebhookEndpoint:
    endpoint = await get_endpoint(session, principal, endpoint_id, for_update=True)
    if endpoint.state == EndpointState.DISABLED.value:
        return endpoint
    disable_endpoint(endpoint, f"disabled by {principal.actor}", utcnow())
    session.add(endpoint)
    await hold_pending(session, endpoint.id)
    await session.flush()
    _record(session, principal, endpoint, "webhook_endpoint.disabled")
    return endpoint


async def enable(
    session: AsyncSession, principal: Principal, endpoint_id: uuid.UUID
) -> WebhookEndpoint:
    """Active again with a clean failure streak; the deliveries held meanwhile (still inside
    their retry period) are due at once. Older ones can be replayed by id."""
    endpoint = await get_endpoint(session, principal, endpoint_id, for_update=True)
    if endpoint.state == EndpointState.ACTIVE.value and endpoint.failure_streak == 0:
        return endpoint
    now = utcnow()
    endpoint.state = EndpointState.ACTIVE.value
    endpoint.failure_streak = 0
    endpoint.disabled_at = None
    endpoint.disabled_reason = None
    endpoint.updated_at = now
    session.add(endpoint)
    await session.exec(
        update(WebhookDelivery)
        .where(
            col(WebhookDelivery.endpoint_id) == endpoint.id,
            col(WebhookDelivery.state) == DeliveryState.PENDING.value,
            col(WebhookDelivery.give_up_at) > now,
        )
        .values(next_attempt_at=now)
    )
    await session.flush()
    _record(session, principal, endpoint, "webhook_endpoint.enabled")
    return endpoint


# --- deliveries ----------------------------------------------------------------------------


@dataclass(frozen=True)
class DeliveryWithAttempts:
    delivery: WebhookDelivery
    attempts: list[WebhookAttempt]


async def list_deliveries(
    session: AsyncSession,
    principal: Principal,
    endpoint_id: uuid.UUID,
    page: PageRequest,
    *,
    state: DeliveryState | None = None,
) -> PageResult[WebhookDelivery]:
    """Newest first, by (created_at, id): the cursor carries both."""
    endpoint = await get_endpoint(session, principal, endpoint_id)
    statement = select(WebhookDelivery).where(col(WebhookDelivery.endpoint_id) == endpoint.id)
    if state is not None:
        statement = statement.where(col(WebhookDelivery.state) == state.value)
    if page.cursor is not None:
        created_at, last_id = _delivery_cursor(page.cursor)
        statement = statement.where(
            (col(WebhookDelivery.created_at) < created_at)
            | (
                (col(WebhookDelivery.created_at) == created_at)
                & (col(WebhookDelivery.id) < last_id)
            )
        )
    rows = (
        await session.exec(
            statement.order_by(
                col(WebhookDelivery.created_at).desc(), col(WebhookDelivery.id).desc()
            ).limit(page.limit + 1)
        )
    ).all()
    items = rows[: page.limit]
    next_cursor = None
    if len(rows) > page.limit:
        last = items[-1]
        next_cursor = encode_cursor([last.created_at.isoformat(), str(last.id)])
    return PageResult(items=items, next_cursor=next_cursor)


def _delivery_cursor(cursor: str) -> tuple[datetime, uuid.UUID]:
    value = decode_cursor(cursor)
    try:
        created_at, last_id = value
        return datetime.fromisoformat(created_at), uuid.UUID(last_id)
    except (TypeError, ValueError) as exc:
        raise InvalidInput("pagination.cursor_invalid", "the cursor is not one we issued") from exc


async def _delivery(
    session: AsyncSession, principal: Principal, endpoint_id: uuid.UUID, delivery_id: uuid.UUID
) -> WebhookDelivery:
    endpoint = await get_endpoint(session, principal, endpoint_id)
    delivery = (
        await session.exec(
            select(WebhookDelivery).where(
                col(WebhookDelivery.id) == delivery_id,
                col(WebhookDelivery.endpoint_id) == endpoint.id,
            )
        )
    ).first()
    if delivery is None:
        raise NotFound("webhook.delivery_not_found", f"no delivery {delivery_id} to this endpoint")
    return delivery


async def get_delivery(
    session: AsyncSession, principal: Principal, endpoint_id: uuid.UUID, delivery_id: uuid.UUID
) -> DeliveryWithAttempts:
    delivery = await _delivery(session, principal, endpoint_id, delivery_id)
    attempts = (
        await session.exec(
            select(WebhookAttempt)
            .where(col(WebhookAttempt.delivery_id) == delivery.id)
            .order_by(col(WebhookAttempt.id))
        )
    ).all()
    return DeliveryWithAttempts(delivery, list(attempts))


async def replay(
    session: AsyncSession,
    principal: Principal,
    endpoint_id: uuid.UUID,
    delivery_id: uuid.UUID,
    *,
    retry_hours: int,
) -> WebhookDelivery:
    """A new pending delivery of the same message (same `webhook-id`, same body), due now."""
    original = await _delivery(session, principal, endpoint_id, delivery_id)
    endpoint = await get_endpoint(session, principal, endpoint_id)
    if endpoint.state != EndpointState.ACTIVE.value:
        raise Conflict("webhook.endpoint_disabled", "re-enable the endpoint before replaying to it")
    now = utcnow()
    copy = WebhookDelivery(
        message_id=original.message_id,
        endpoint_id=original.endpoint_id,
        event_type=original.event_type,
        payload=original.payload,
        next_attempt_at=now,
        give_up_at=now + timedelta(hours=retry_hours),
        replay_of=original.id,
    )
    session.add(copy)
    await session.flush()
    audit.record(
        session,
        actor=principal.actor,
        action="webhook_delivery.replayed",
        entity_type="webhook_delivery",
        entity_id=str(copy.id),
        state={"message_id": copy.message_id, "replay_of": str(original.id)},
    )
    return copy
