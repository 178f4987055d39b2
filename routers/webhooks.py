"""Webhooks (`/webhooks`): a department registers endpoints for the joint-punishment events,
reads what was delivered to them with every attempt, replays a delivery, and re-enables an
endpoint the delivery job disabled. Deliveries are signed per Standard Webhooks."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Request, status

from models.blacklist import DeliveryState
from models.common import Page
from models.system import Role
from models.webhooks_api import (
    WebhookAttemptRead,
    WebhookDeliveryDetail,
    WebhookDeliveryRead,
    WebhookEndpointCreate,
    WebhookEndpointCreated,
    WebhookEndpointRead,
    WebhookEndpointUpdate,
)
from routers.deps import PageDep
from service.auth import Principal, require_roles
from service.blacklist.config import get_blacklist_settings
from service.db import SessionDep, UnitOfWorkRoute
from service.webhooks import endpoints

router = APIRouter(prefix="/webhooks", tags=["webhooks"], route_class=UnitOfWorkRoute)

# Department keys for their department; regulators for their own department; admins for any.
WebhookOwner = Annotated[Principal, require_roles(Role.ADMIN, Role.REGULATOR, Role.DEPARTMENT)]


def _allow_loopback(request: Request) -> bool:
    return bool(request.app.state.settings.test_mode)


@router.post("", status_code=status.HTTP_201_CREATED)
async def register_webhook(
    session: SessionDep, principal: WebhookOwner, body: WebhookEndpointCreate, request: Request
) -> WebhookEndpointCreated:
    """Register an https endpoint for some event types. The answer carries the signing secret
    (`whsec_…`), shown this once only."""
    endpoint = await endpoints.register(
        session, principal, body, allow_loopback=_allow_loopback(request)
    )
    return WebhookEndpointCreated.model_validate(endpoint)


@router.get("", response_model=Page[WebhookEndpointRead])
async def list_webhooks(
    session: SessionDep, principal: WebhookOwner, page: PageDep
) -> Page[WebhookEndpointRead]:
    found = await endpoints.list_endpoints(session, principal, page)
    return Page(
        items=[WebhookEndpointRead.model_validate(e) for e in found.items],
        next_cursor=found.next_cursor,
    )


@router.get("/{endpoint_id}")
async def get_webhook(
    session: SessionDep, principal: WebhookOwner, endpoint_id: uuid.UUID
) -> WebhookEndpointRead:
    return WebhookEndpointRead.model_validate(
        await endpoints.get_endpoint(session, principal, endpoint_id)
    )


@router.patch("/{endpoint_id}")
async def change_webhook(
    session: SessionDep,
    principal: WebhookOwner,
    endpoint_id: uuid.UUID,
    body: WebhookEndpointUpdate,
    request: Request,
) -> WebhookEndpointRead:
    endpoint = await endpoints.change(
        session, principal, endpoint_id, body, allow_loopback=_allow_loopback(request)
    )
    return WebhookEndpointRead.model_validate(endpoint)


@router.post("/{endpoint_id}/disable")
async def disable_webhook(
    session: SessionDep, principal: WebhookOwner, endpoint_id: uuid.UUID
) -> WebhookEndpointRead:
    """Stop deliveries; what is pending is held until the endpoint is enabled again."""
    endpoint = await endpoints.disable(session, principal, endpoint_id)
    return WebhookEndpointRead.model_validate(endpoint)


@router.post("/{endpoint_id}/enable")
async def enable_webhook(
    session: SessionDep, principal: WebhookOwner, endpoint_id: uuid.UUID
) -> WebhookEndpointRead:
    """Active again, failure streak cleared; held deliveries still inside their retry period go
    out at once (older ones: replay them by id)."""
    endpoint = await endpoints.enable(session, principal, endpoint_id)
    return WebhookEndpointRead.model_validate(endpoint)


@router.get("/{endpoint_id}/deliveries", response_model=Page[WebhookDeliveryRead])
async def list_webhook_deliveries(
    session: SessionDep,
    principal: WebhookOwner,
    endpoint_id: uuid.UUID,
    page: PageDep,
    state: DeliveryState | None = None,
) -> Page[WebhookDeliveryRead]:
    """Newest first."""
    found = await endpoints.list_deliveries(session, principal, endpoint_id, page, state=state)
    return Page(
        items=[WebhookDeliveryRead.model_validate(d) for d in found.items],
        next_cursor=found.next_cursor,
    )


@router.get("/{endpoint_id}/deliveries/{delivery_id}")
async def get_webhook_delivery(
    session: SessionDep, principal: WebhookOwner, endpoint_id: uuid.UUID, delivery_id: uuid.UUID
) -> WebhookDeliveryDetail:
    """The delivery, its payload and every attempt."""
    found = await endpoints.get_delivery(session, principal, endpoint_id, delivery_id)
    return WebhookDeliveryDetail.model_validate(
        {
            **WebhookDeliveryRead.model_validate(found.delivery).model_dump(),
            "payload": found.delivery.payload,
            "attempt_log": [WebhookAttemptRead.model_validate(a) for a in found.attempts],
        }
    )


@router.post("/{endpoint_id}/deliveries/{delivery_id}/replay", status_code=status.HTTP_202_ACCEPTED)
async def replay_webhook_delivery(
    session: SessionDep, principal: WebhookOwner, endpoint_id: uuid.UUID, delivery_id: uuid.UUID
) -> WebhookDeliveryRead:
    """Send the message again: a new delivery with the same `webhook-id` and body."""
    copy = await endpoints.replay(
        session,
        principal,
        endpoint_id,
        delivery_id,
        retry_hours=get_blacklist_settings().webhook_retry_hours,
    )
    return WebhookDeliveryRead.model_validate(copy)
