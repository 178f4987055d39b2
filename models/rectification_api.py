"""Request and response schemas of rectification (整改, rules §6): the follow-up (复查) request,
the recorded correction, and the rectification as read — its deadlines and what is due next."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum

import pydantic

from models.common import Label, Note, Schema
from models.plan import TaskState
from models.results import RectificationState, Verdict


class FollowUpRound(StrEnum):
    """Which follow-up a sampling task is: the first (复查, within 75 days of the order), the
    second (60–90 days after the provincial notice) or the one after suspension (停业整顿)."""

    FOLLOW_UP = "follow_up"
    SECOND_FOLLOW_UP = "second_follow_up"
    SUSPENSION_FOLLOW_UP = "suspension_follow_up"


class DeadlineName(StrEnum):
    CORRECTION = "correction"  # the enterprise corrects within 60 days of the order
    FOLLOW_UP = "follow_up"  # the organiser's follow-up concludes within 75 days
    SECOND_FOLLOW_UP = "second_follow_up"  # inside the 60–90-day window after the notice


class DeadlineStatus(StrEnum):
    OPEN = "open"  # not yet due, not yet met
    MET = "met"
    MISSED = "missed"
    SUPERSEDED = "superseded"  # the follow-up concluded before this fell due


class Responsible(StrEnum):
    ENTERPRISE = "enterprise"
    ORGANISER = "organiser"


class NextAction(StrEnum):
    REPORT_CORRECTION = "report_correction"
    SCHEDULE_FOLLOW_UP = "schedule_follow_up"
    AWAIT_FOLLOW_UP_RESULT = "await_follow_up_result"
    SCHEDULE_SECOND_FOLLOW_UP = "schedule_second_follow_up"
    AWAIT_SECOND_FOLLOW_UP_RESULT = "await_second_follow_up_result"
    SCHEDULE_SUSPENSION_FOLLOW_UP = "schedule_suspension_follow_up"
    AWAIT_SUSPENSION_FOLLOW_UP_RESULT = "await_suspension_follow_up_result"


class FollowUpCreate(Schema):
    agency_id: uuid.UUID = pydantic.Field(
        description="A testing agency whose scope covers the product's category, with a valid "
        "CMA certificate for the whole follow-up period, active"
    )
    inspector_ids: list[uuid.UUID] = pydantic.Field(
        min_length=1,
        max_length=10,
        description="At least two distinct active inspectors of the organising department "
        "(行政处罚法 §42), none with a declared conflict with the enterprise",
    )
    planned_on: date | None = pydantic.Field(
        default=None, description="The day the sampling is planned for; today when omitted"
    )


class CorrectionCreate(Schema):
    corrected_on: date = pydantic.Field(description="The day the enterprise completed correction")
    reference: Label = pydantic.Field(description="The enterprise's correction report (整改报告)")
    note: Note | None = None


class CorrectionRead(Schema):
    corrected_on: date
    reference: str
    note: str | None
    in_time: bool = pydantic.Field(description="Corrected on or before the correction due date")
    recorded_at: datetime


class FollowUpRead(Schema):
    round: FollowUpRound
    plan_id: uuid.UUID
    task_id: uuid.UUID
    agency_id: uuid.UUID
    scheduled_on: date
    planned_on: date | None
    period_start: date
    period_end: date
    task_state: TaskState
    result_id: uuid.UUID | None
    verdict: Verdict | None
    final_on: date | None


class DeadlineRead(Schema):
    name: DeadlineName
    responsible: Responsible
    opens_on: date | None
    due_on: date
    status: DeadlineStatus
    overdue_reported: bool


class NextStep(Schema):
    action: NextAction
    responsible: Responsible
    opens_on: date | None
    due_on: date | None
    overdue: bool


class RectificationRead(Schema):
    id: uuid.UUID
    result_id: uuid.UUID
    enterprise_uscc: str
    product_id: uuid.UUID
    organiser_code: str
    state: RectificationState
    ordered_on: date
    correction_due_on: date
    follow_up_due_on: date
    follow_up_task_id: uuid.UUID | None
    noticed_on: date | None
    notice_department_code: str | None
    second_follow_up_from: date | None
    second_follow_up_until: date | None
    second_task_id: uuid.UUID | None
    suspended_on: date | None
    revocation_recommended_on: date | None
    closed_on: date | None
    overdue_reported: list[str]
    deadlines: list[DeadlineRead]
    next_step: NextStep | None = pydantic.Field(
        description="What is due next and from whom; none once closed or revocation recommended"
    )
    corrections: list[CorrectionRead]
    follow_ups: list[FollowUpRead]
    created_at: datetime
    updated_at: datetime
