"""A result becomes final (rules §5): when its objection window lapses, when the objection is
rejected, or when the re-test concludes. Final results are published the same day (一公开) and
count in pass rates and credit; a nonconforming one opens rectification, and the final result of
a follow-up sampling moves its rectification on."""

from __future__ import annotations

from datetime import date

from sqlmodel.ext.asyncio.session import AsyncSession

from models.base import utcnow
from models.results import Result, ResultState
from service import audit, events, rectification, stats
from service.errors import Conflict


async def make_final(
    session: AsyncSession, result: Result, *, on: date, actor: str, reason: str
) -> Result:
    """Mark `result` final and published on `on`. `reason`: `window_lapsed`,
    `objection_rejected` or `retest_concluded`."""
    if result.state == ResultState.FINAL.value:
        raise Conflict(
            "result.already_final", f"result {result.id} is final since {result.final_on}"
        )
    result.state = ResultState.FINAL.value
    result.final_on = on
    result.published_on = on
    result.updated_at = utcnow()
    await session.flush()
    await stats.record_final(session, result)
    payload = {
        "verdict": result.verdict,
        "reason": reason,
        "final_on": on,
        "plan_kind": result.plan_kind,
        "product_id": result.product_id,
        "report_id": result.report_id,
    }
    events.emit(
        session,
        "result.final",
        entity_type="result",
        entity_id=result.id,
        enterprise_uscc=result.enterprise_uscc,
        payload=payload,
    )
    events.emit(
        session,
        "result.published",
        entity_type="result",
        entity_id=result.id,
        enterprise_uscc=result.enterprise_uscc,
        payload={"published_on": on},
    )
    audit.record(
        session,
        actor=actor,
        action="result.final",
        entity_type="result",
        entity_id=str(result.id),
        state={**payload, "state": result.state},
    )
    if result.plan_kind == "follow_up":
        await rectification.follow_up_concluded(session, result, on=on, actor=actor)
    elif result.verdict == "nonconforming":
        await rectification.open_for(session, result, on=on, actor=actor)
    return result
