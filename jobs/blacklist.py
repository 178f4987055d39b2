"""The daily expiry of listings whose term has ended (rules §9: removed automatically)."""

from __future__ import annotations

from sqlmodel.ext.asyncio.session import AsyncSession

from service import clock
from service.blacklist import repair

NAME = "blacklist.expire_listings"


async def expire_listings(session: AsyncSession) -> str | None:
    removed = await repair.expire_due(session, today=clock.today())
    return f"{removed} listings expired" if removed else None
