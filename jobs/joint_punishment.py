"""The nightly pruning of the changes feed beyond its retention (`since` older than that is 410:
the client resyncs from the list)."""

from __future__ import annotations

from sqlmodel.ext.asyncio.session import AsyncSession

from models.base import utcnow
from service import audit
from service.joint_punishment import changes

NAME = "joint_punishment.prune_changes"


async def prune_changes(session: AsyncSession) -> str:
    """The nightly job: prune, and leave the count in the audit trail."""
    now = utcnow()
    pruned = await changes.prune(session, now=now)
    if pruned:
        audit.record(
            session,
            actor=f"job:{NAME}",
            action="listing_changes.pruned",
            entity_type="listing_changes",
            entity_id=NAME,
            state={"pruned": pruned, "at": now},
        )
    return f"pruned {pruned} changes-feed rows"
