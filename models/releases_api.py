"""Schemas of the signed list releases (定期公布), the public blacklist and the red list."""

from __future__ import annotations

import uuid
from datetime import date, datetime

import pydantic

from models.common import Schema


class PublicKeyRead(Schema):
    algorithm: str = pydantic.Field(examples=["Ed25519"])
    public_key: str = pydantic.Field(description="Base64 of the raw 32-byte Ed25519 public key")


class ReleaseSummary(Schema):
    """A release without its signed text."""

    number: int
    as_of: date
    published_at: datetime
    up_to_seq: int = pydantic.Field(description="The changes-feed number the release covers")
    release_hash: str = pydantic.Field(description="SHA-256 (hex) of the canonical bytes")
    prev_release_hash: str | None = pydantic.Field(
        description="SHA-256 (hex) of release number − 1's canonical bytes; null for release 1"
    )
    active_count: int
    additions: int
    removals: int


class ReleaseRead(ReleaseSummary):
    """A release with the exact text that was signed. `canonical` is canonical JSON (sorted keys,
    no whitespace) holding the complete active list, the additions and removals since the
    previous release, and `prev_release_hash`; `signature` is base64 Ed25519 over its UTF-8
    bytes, checkable with `GET /releases/public-key`."""

    canonical: str
    signature: str
    algorithm: str
    public_key: str = pydantic.Field(description="The key that signed it (base64, raw 32 bytes)")


class PublicListingRead(Schema):
    """An enterprise on the blacklist, as the public sees it."""

    listing_id: uuid.UUID
    uscc: str
    enterprise_name: str
    region_code: str
    listed_on: date
    ends_on: date | None
    reason: str
    legal_basis: str
    department_code: str
    department_name: str
    decision_reference: str | None


class RedListEntry(Schema):
    """A grade-A enterprise on the red list (守信激励)."""

    uscc: str
    enterprise_name: str
    region_code: str
    grade: str
    graded_since: date = pydantic.Field(description="The day its current recorded grade began")
