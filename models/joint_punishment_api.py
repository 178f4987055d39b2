"""Request and response schemas of the department API (联合惩戒, rules §10): the measures
catalogue, the pinned department list, the changes feed, hit checks and the enterprise's view of
them, measure feedback and overdue lifts. Field names in `CheckRequest`, `CheckHit` and
`CheckResult`, and `seq` in the feed, are fixed by api.md."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

import pydantic

from models.blacklist import FeedbackStatus
from models.common import Note, Schema


class MeasureRead(Schema):
    code: str
    name: str
    description: str
    legal_basis: str
    department_kinds: list[str]


class MeasureRef(Schema):
    """A measure as it travels with a listing: what the caller's department applies."""

    code: str
    name: str
    legal_basis: str


class DepartmentListingRead(Schema):
    listing_id: uuid.UUID
    uscc: str
    enterprise_name: str
    listed_on: date
    ends_on: date | None
    reason: str
    legal_basis: str
    department_code: str
    decision_reference: str | None
    measures: list[MeasureRef]


class DepartmentListPage(Schema):
    """One page of the list as it stood at feed number `snapshot_seq`; every page reached through
    `next_cursor` shows that same moment."""

    items: list[DepartmentListingRead]
    next_cursor: str | None
    snapshot_seq: int


class ChangeRead(Schema):
    seq: int
    kind: str
    at: datetime
    listing_id: uuid.UUID
    uscc: str
    listing: dict[str, Any]


class ChangesPage(Schema):
    """Changes after `since`, in order. Continue with `since=next_since`; `head` is the last
    number the feed has handed out, so `next_since == head` means the client is up to date."""

    items: list[ChangeRead]
    next_since: int
    head: int


class CheckRequest(pydantic.BaseModel):
    # Not a `Schema`: the codes are never stored as given, and a bad one must be reported
    # alongside the answers for the others, not fail the whole request.
    model_config = pydantic.ConfigDict(extra="forbid")

    usccs: list[str]
    as_of: date | None = None


class CheckHit(Schema):
    uscc: str
    listing_id: uuid.UUID
    listed_on: date
    ends_on: date | None
    measures: list[MeasureRef]


class InvalidUscc(Schema):
    uscc: str
    code: str
    reason: str


class CheckResult(Schema):
    as_of: date
    asked: int
    hits: list[CheckHit]
    invalid: list[InvalidUscc]
    check_id: uuid.UUID


class MyCheckRead(Schema):
    check_id: uuid.UUID
    department_code: str
    department_name: str
    checked_at: datetime
    as_of: date
    hit: bool


class FeedbackCreate(Schema):
    listing_id: uuid.UUID
    measure_code: str = pydantic.Field(min_length=1, max_length=60)
    status: FeedbackStatus
    effective_on: date
    decision_reference: str = pydantic.Field(min_length=1, max_length=200)
    note: Note | None = None


class FeedbackRead(Schema):
    id: uuid.UUID
    listing_id: uuid.UUID
    department_code: str
    measure_code: str
    status: FeedbackStatus
    effective_on: date
    decision_reference: str
    note: str | None
    reported_by: str
    reported_at: datetime


class OverdueLiftRead(Schema):
    listing_id: uuid.UUID
    uscc: str
    enterprise_name: str
    department_code: str
    department_name: str
    measure_code: str
    measure_name: str
    applied_feedback_id: uuid.UUID
    applied_on: date
    applied_reference: str
    removed_on: date
    lift_due_on: date
    days_overdue: int
