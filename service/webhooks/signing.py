"""Standard Webhooks signing (https://www.standardwebhooks.com): secrets, the body and the
headers every delivery carries. Pure functions, so a receiver's verification can be checked
against exactly what we send."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from datetime import datetime
from typing import Any

from service.canonical import canonical_json

SECRET_PREFIX = "whsec_"  # noqa: S105 - the scheme's prefix, not a secret
SECRET_BYTES = 32  # the scheme asks for 24 to 64


def new_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode("ascii")


def secret_key(secret: str) -> bytes:
    return base64.b64decode(secret.removeprefix(SECRET_PREFIX))


def body(event_type: str, occurred_at: datetime, payload: dict[str, Any]) -> bytes:
    """The JSON body: the same bytes for every attempt and every replay of a message."""
    return canonical_json({"type": event_type, "timestamp": occurred_at, "data": payload})


def signature(secret: str, message_id: str, timestamp: int, content: bytes) -> str:
    signed = f"{message_id}.{timestamp}.".encode() + content
    digest = hmac.new(secret_key(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode("ascii")


def headers(secret: str, message_id: str, timestamp: int, content: bytes) -> dict[str, str]:
    return {
        "content-type": "application/json",
        "webhook-id": message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": signature(secret, message_id, timestamp, content),
    }
