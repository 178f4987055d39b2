"""Makes results final whose objection window lapsed without an objection (daily, just after
midnight Shanghai time, so a window's last day is a full day)."""

from __future__ import annotations

from sqlmodel.ext.asyncio.session import AsyncSession

from service import clock
from service.objections import finalise_lapsed_windows

NAME = "results.finalise_lapsed"


async def finalise_lapsed(session: AsyncSession) -> str:
    today = clock.today()
    finalised = await finalise_lapsed_windows(session, today=today, actor=f"job:{NAME}")
    return f"finalised {finalised} results whose window ended before {today.isoformat()}"
