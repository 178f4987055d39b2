"""Business time: dates are Shanghai dates (rules §1). Routers and jobs ask here for "today"
and pass it down, so services stay deterministic and tests can set the day."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

BUSINESS_TIMEZONE = ZoneInfo("Asia/Shanghai")


def today() -> date:
    return datetime.now(BUSINESS_TIMEZONE).date()
