"""Raises `rectification.overdue` for each missed rectification deadline, once (daily)."""

from __future__ import annotations

from sqlmodel.ext.asyncio.session import AsyncSession

from service import clock
from service.rectification import raise_overdue

NAME = "rectification.raise_overdue"


async def raise_overdue_deadlines(session: AsyncSession) -> str:
    raised = await raise_overdue(session, today=clock.today(), actor=f"job:{NAME}")
    return f"raised {raised} overdue deadlines"
