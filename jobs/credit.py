"""Recomputes credit scores that may be out of date (hourly, the first run just after midnight):
events that aged out of publication or out of a risk window overnight, and every enterprise
after a change of the score weights or risk windows (a new model version; the stored scores of
the old one stay as they were). Each run handles at most `recompute_per_run` enterprises, the
most overdue first, so a model change reaches everyone over a few runs."""

from __future__ import annotations

from sqlmodel.ext.asyncio.session import AsyncSession

from service import clock
from service.credit.config import get_credit_settings
from service.credit.standing import due_for_review, recompute

NAME = "credit.recompute_due"
_BATCH = 1_000


async def recompute_due(session: AsyncSession) -> str:
    today, settings = clock.today(), get_credit_settings()
    reviewed = changed = 0
    while reviewed < settings.recompute_per_run:
        limit = min(_BATCH, settings.recompute_per_run - reviewed)
        due = await due_for_review(session, today=today, limit=limit, settings=settings)
        if not due:
            break
        written = await recompute(
            session, due, today=today, trigger="review", actor=f"job:{NAME}", settings=settings
        )
        reviewed, changed = reviewed + len(due), changed + len(written)
    return f"reviewed {reviewed} credit files, {changed} changed, on {today.isoformat()}"
