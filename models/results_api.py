"""Request and response bodies of results, objections (异议), re-test orders (复检) and the public
results list (一公开).

Rules that need the result, the report in force or the directories (the window, the disputed
item names, the re-test agency's qualification) are checked by the services so that each failure
carries its own problem code; the schemas bound only shapes and sizes."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Literal

import pydantic
from pydantic import ConfigDict

from models.common import Label, Note, Schema
from models.results import ResultState, Verdict

MAX_DISPUTED_ITEMS = 100


class ObjectionState(StrEnum):
    PENDING = "pending"
    RETEST_ORDERED = "retest_ordered"
    REJECTED = "rejected"


class RetestState(StrEnum):
    ASSIGNED = "assigned"
    REPORTED = "reported"


class ItemVerdict(StrEnum):
    PASS = "pass"  # noqa: S105 - an item verdict, not a password
    FAIL = "fail"


class ReportItemRead(Schema):
    """One test item as stored with its report. Items come from JSON written by the reports
    service; keys this schema does not know are ignored rather than refused."""

    model_config = ConfigDict(extra="ignore")

    name: str
    standard_clause: str | None = None
    requirement: str | None = None
    measured_value: str | int | float | None = None
    unit: str | None = None
    verdict: ItemVerdict
    severity: str | None = None


class ReportRead(Schema):
    id: uuid.UUID
    agency_id: uuid.UUID
    report_number: str
    kind: str
    sample_id: uuid.UUID
    issued_on: date
    verdict: Verdict
    items: list[ReportItemRead]
    document_sha256: str | None


class ResultRead(Schema):
    id: uuid.UUID
    sample_id: uuid.UUID
    task_id: uuid.UUID
    plan_id: uuid.UUID
    product_id: uuid.UUID
    enterprise_uscc: str
    organiser_code: str
    plan_level: str
    plan_kind: str
    category_code: str
    region_code: str
    place_type: str
    enterprise_size: str | None
    agency_id: uuid.UUID
    sampled_on: date
    original_report_id: uuid.UUID
    report_id: uuid.UUID = pydantic.Field(description="The report in force")
    verdict: Verdict
    state: ResultState
    notified_on: date
    objection_window_ends_on: date
    final_on: date | None
    published_on: date | None
    fee_bearer: str | None
    created_at: datetime
    updated_at: datetime


class ObjectionCreate(Schema):
    disputed_items: list[Label] = pydantic.Field(
        min_length=1,
        max_length=MAX_DISPUTED_ITEMS,
        description="Names of items of the report in force",
    )
    reason: Note
    consents_to_same_agency: bool = pydantic.Field(
        default=False, description="The applicant agrees that the first agency re-tests"
    )


class ObjectionRead(Schema):
    id: uuid.UUID
    result_id: uuid.UUID
    enterprise_uscc: str
    filed_on: date
    disputed_items: list[str]
    reason: str
    consents_to_same_agency: bool
    state: ObjectionState
    decided_on: date | None
    decided_by: str | None
    decision_reason: str | None
    created_at: datetime


class RetestRead(Schema):
    """A re-test order, with what the agency needs to find the backup sample."""

    id: uuid.UUID
    objection_id: uuid.UUID
    result_id: uuid.UUID
    sample_id: uuid.UUID
    agency_id: uuid.UUID
    disputed_items: list[str]
    state: RetestState
    report_id: uuid.UUID | None
    created_at: datetime
    reported_at: datetime | None
    enterprise_uscc: str
    product_id: uuid.UUID
    category_code: str
    sample_number: str
    backup_holder: str
    backup_quantity: int
    quantity_unit: str


class ResultDetail(ResultRead):
    original_report: ReportRead
    retest_report: ReportRead | None = pydantic.Field(
        description="The re-test report once one concluded; it is the report in force"
    )
    objection: ObjectionRead | None
    retest: RetestRead | None


class MyResultRead(ResultRead):
    """An enterprise's own result with where its objection stands."""

    objection_deadline: date = pydantic.Field(description="Last day an objection is accepted")
    can_object: bool
    objection: ObjectionRead | None


class RetestDecision(Schema):
    decision: Literal["retest"]
    agency_id: uuid.UUID | None = pydantic.Field(
        default=None, description="The re-test agency; the service picks one when omitted"
    )
    reason: Note


class RejectDecision(Schema):
    decision: Literal["reject"]
    reason: Note


Decision = Annotated[RetestDecision | RejectDecision, pydantic.Field(discriminator="decision")]


class DecisionRead(Schema):
    objection: ObjectionRead
    result: ResultRead
    retest: RetestRead | None


class PublicFailingItem(Schema):
    name: str
    standard_clause: str | None
    requirement: str | None
    measured_value: str | int | float | None
    unit: str | None
    severity: str | None


class PublicResultRead(Schema):
    """A published final result (一公开)."""

    id: uuid.UUID
    enterprise_uscc: str
    enterprise_name: str
    product_name: str
    brand: str | None
    model: str
    category_code: str
    region_code: str
    batch_number: str | None
    verdict: Verdict
    failing_items: list[PublicFailingItem]
    organiser_code: str
    organiser_name: str
    agency_name: str
    retest_agency_name: str | None
    sampled_on: date
    published_on: date
