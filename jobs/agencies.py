"""Marks testing agencies whose CMA certificate has expired (daily)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlmodel.ext.asyncio.session import AsyncSession

from service.directory.agencies import mark_expired_certificates

_BUSINESS_TZ = ZoneInfo("Asia/Shanghai")


async def mark_expired_cma(session: AsyncSession) -> str:
    today = datetime.now(_BUSINESS_TZ).date()
    marked = await mark_expired_certificates(
        session, actor="job:agencies.mark_expired_cma", today=today
    )
    return f"marked {marked} agencies"
