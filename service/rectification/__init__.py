"""Rectification (整改) of nonconforming final results, Order 18 §44–50 (rules §6): stop order and
60-day correction → follow-up (复查) within 75 days → on failure a provincial notice (公告) →
second follow-up 60–90 days after it → on failure suspension (停业整顿) → on failure again a
recommendation to revoke the licence. Missing a deadline is a `rectification.overdue` event.

`service.finality` calls `open_for` and `follow_up_concluded` when results become final."""

from service.rectification.follow_up import schedule_follow_up
from service.rectification.lifecycle import (
    follow_up_concluded,
    open_for,
    record_correction,
    rectification_state,
)
from service.rectification.overdue import raise_overdue
from service.rectification.reading import (
    RectificationFilter,
    get_rectification,
    list_rectifications,
    readable_rectifications,
    rectification_reads,
)

__all__ = [
    "RectificationFilter",
    "follow_up_concluded",
    "get_rectification",
    "list_rectifications",
    "open_for",
    "raise_overdue",
    "readable_rectifications",
    "record_correction",
    "rectification_reads",
    "rectification_state",
    "schedule_follow_up",
]
