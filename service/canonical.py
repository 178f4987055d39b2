"""Canonical JSON: the one byte representation that is hashed or signed (audit chain, draw pools,
list releases). Sorted keys, no insignificant whitespace, UTF-8 kept as is, and a fixed spelling
for the non-JSON types we store, so that anyone can recompute a digest from exported data."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any
from uuid import UUID


def plain(value: Any) -> Any:
    """The JSON-native form of a value, spelled as in canonical JSON."""
    # The common JSON-native cases first: audit digests run this over every written row.
    if value is None or isinstance(value, str | int | bool) and not isinstance(value, Enum):
        return value
    if type(value) is dict:
        return {str(k): plain(v) for k, v in value.items()}
    if type(value) is list or type(value) is tuple:
        return [plain(v) for v in value]
    if isinstance(value, Enum):
        return plain(value.value)
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, UUID | Decimal):
        return str(value)
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, Sequence) and not isinstance(value, str | bytes):
        return [plain(v) for v in value]
    if isinstance(value, float):
        raise TypeError("floats are not canonical; use Decimal or int")
    return value


def canonical_json(value: Any) -> bytes:
    return json.dumps(
        plain(value), sort_keys=True, separators=(",", ":"), ensure_ascii=False
    ).encode("utf-8")


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def digest(value: Any) -> str:
    return sha256_hex(canonical_json(value))
