"""PostgreSQL advisory locks for check-then-insert rules (the six-month rule per product, unique
numbers per agency): a transaction-scoped lock on a named key, released at commit or rollback."""

from __future__ import annotations

from sqlalchemy import text
from sqlmodel.ext.asyncio.session import AsyncSession


async def lock_for_transaction(session: AsyncSession, key: str) -> None:
    """Wait for, then hold until the transaction ends, the lock named `key`."""
    await session.exec(
        text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))"),  # type: ignore[call-overload]
        params={"key": key},
    )
