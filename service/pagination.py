"""Keyset pagination: `?limit=` (bounded) and an opaque `?cursor=` that encodes the last sort key.
Stable under concurrent inserts, and every page costs one index range scan."""

from __future__ import annotations

import base64
import binascii
import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy import Uuid
from sqlalchemy.orm import InstrumentedAttribute
from sqlmodel.ext.asyncio.session import AsyncSession
from sqlmodel.sql.expression import SelectOfScalar

from models.common import storable_text
from service.errors import InvalidInput

T = TypeVar("T")


@dataclass(frozen=True)
class PageRequest:
    limit: int
    cursor: str | None = None


@dataclass(frozen=True)
class PageResult(Generic[T]):
    items: Sequence[T]
    next_cursor: str | None


def encode_cursor(value: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> Any:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        return json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
    except (ValueError, binascii.Error, UnicodeError) as exc:
        raise InvalidInput("pagination.cursor_invalid", "the cursor is not one we issued") from exc


def _cursor_value(cursor: str, key: InstrumentedAttribute[Any]) -> Any:
    last = decode_cursor(cursor)
    try:
        if not isinstance(last, str):
            raise ValueError(last)
        storable_text(last)
        return uuid.UUID(last) if isinstance(key.type, Uuid) else last
    except ValueError as exc:
        raise InvalidInput("pagination.cursor_invalid", "the cursor is not one we issued") from exc


async def keyset_page(
    session: AsyncSession,
    statement: SelectOfScalar[T],
    key: InstrumentedAttribute[Any],
    page: PageRequest,
) -> PageResult[T]:
    """One page of `statement` ordered by the unique column `key`."""
    if page.cursor is not None:
        statement = statement.where(key > _cursor_value(page.cursor, key))
    rows = (await session.exec(statement.order_by(key).limit(page.limit + 1))).all()
    items = rows[: page.limit]
    next_cursor = None
    if len(rows) > page.limit:
        next_cursor = encode_cursor(str(getattr(items[-1], key.key)))
    return PageResult(items=items, next_cursor=next_cursor)
