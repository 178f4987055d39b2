"""Request and response bodies of `/webhooks`: endpoints, deliveries and their attempts."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any

import pydantic

from models.blacklist import DeliveryState, EndpointState
from models.common import Schema


class WebhookEventType(StrEnum):
    LISTING_LISTED = "listing.listed"
    LISTING_REMOVED = "listing.removed"
    LISTING_UPDATED = "listing.updated"
    RELEASE_PUBLISHED = "release.published"


WebhookUrl = Annotated[str, pydantic.StringConstraints(strip_whitespace=True, max_length=2000)]
# Kept as plain strings so that an unknown type is answered with the stable code
# `webhook.event_type_unknown`, not a generic validation error.
EventTypes = Annotated[list[str], pydantic.Field(min_length=1, max_length=20)]


class WebhookEndpointCreate(Schema):
    url: WebhookUrl
    event_types: EventTypes
    # Admins register for a department; other keys register for their own.
    department_code: str | None = pydantic.Field(default=None, max_length=40)


class WebhookEndpointUpdate(Schema):
    url: WebhookUrl | None = None
    event_types: EventTypes | None = None


class WebhookEndpointRead(Schema):
    id: uuid.UUID
    department_code: str
    url: str
    event_types: list[str]
    state: EndpointState
    failure_streak: int
    disabled_at: datetime | None
    disabled_reason: str | None
    created_at: datetime
    updated_at: datetime


class WebhookEndpointCreated(WebhookEndpointRead):
    """The registration answer: the only time the signing secret is shown."""

    secret: str


class WebhookAttemptRead(Schema):
    attempted_at: datetime
    status_code: int | None
    error: str | None
    duration_ms: int


class WebhookDeliveryRead(Schema):
    id: uuid.UUID
    message_id: str
    endpoint_id: uuid.UUID
    event_type: str
    state: DeliveryState
    attempts: int
    next_attempt_at: datetime
    give_up_at: datetime
    delivered_at: datetime | None
    last_status: int | None
    last_error: str | None
    replay_of: uuid.UUID | None
    created_at: datetime


class WebhookDeliveryDetail(WebhookDeliveryRead):
    payload: dict[str, Any]
    attempt_log: list[WebhookAttemptRead]
