"""Publishes the monthly release of the blacklist (定期公布) on the configured day at 01:00
business time. A release already published that day (on demand, or by an earlier run) is
enough: the job then does nothing, so a retried or doubled run never makes two."""

from __future__ import annotations

from apscheduler.triggers.cron import CronTrigger
from sqlmodel.ext.asyncio.session import AsyncSession

from service import clock
from service.blacklist import releases
from service.blacklist.config import get_blacklist_settings

NAME = "blacklist.publish_release"


def monthly_trigger(timezone: str) -> CronTrigger:
    return CronTrigger(
        day=get_blacklist_settings().release_day_of_month, hour=1, minute=0, timezone=timezone
    )


async def publish_monthly(session: AsyncSession) -> str:
    today = clock.today()
    previous = await releases.latest(session)
    if previous is not None and previous.as_of >= today:
        return f"release {previous.number} was already published on {previous.as_of.isoformat()}"
    release = await releases.publish_release(session, today=today, actor=f"job:{NAME}")
    return (
        f"published release {release.number}: {release.active_count} active, "
        f"{release.additions} added, {release.removals} removed"
    )
