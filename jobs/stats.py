"""Settles the pass-rate rollup nightly: the rows finalisations folded into its small `recent`
tier during the day are added to the `settled` tier (`service.stats.settle`), so that the
recent tier, which every finalisation writes to, stays a day's worth of rows."""

from __future__ import annotations

from sqlmodel.ext.asyncio.session import AsyncSession

from service import stats

NAME = "stats.settle_rollup"


async def settle_rollup(session: AsyncSession) -> str:
    return f"settled {await stats.settle(session)} rollup rows"
