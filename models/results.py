"""What happens after a draw: samples (抽样单) and refusals, test reports, results with their
notification and objection window, objections (异议) and re-tests (复检), rectification (整改), the
domain event log every state change writes to, and the working-day calendar overrides."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    ARRAY,
    BigInteger,
    CheckConstraint,
    Index,
    String,
    UniqueConstraint,
    Uuid,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field, SQLModel

from models.base import created_at_field, instant_field


class PlaceType(StrEnum):
    PRODUCTION = "production"
    CIRCULATION = "circulation"
    E_COMMERCE = "e_commerce"


class Verdict(StrEnum):
    CONFORMING = "conforming"
    NONCONFORMING = "nonconforming"


class ResultState(StrEnum):
    NOTIFIED = "notified"  # the enterprise has the result; the objection window runs
    OBJECTED = "objected"  # an objection awaits the regulator's decision
    RETESTING = "retesting"  # a re-test was ordered and has not reported yet
    FINAL = "final"  # window lapsed, objection rejected, or re-test concluded


class Event(SQLModel, table=True):
    """The domain event log (事件): one row per state change, written in the same transaction
    as the change, read by credit, blacklist candidates and feeds."""

    __tablename__ = "events"
    __table_args__ = (
        Index("ix_events_type_seq", "type", "seq"),
        # Rectification reads and the overdue job look up an entity's history.
        Index("ix_events_entity", "entity_type", "entity_id"),
    )

    seq: int | None = Field(default=None, primary_key=True, sa_type=BigInteger)
    at: datetime = created_at_field()
    type: str
    entity_type: str
    entity_id: str
    enterprise_uscc: str | None = Field(default=None, index=True)
    payload: dict[str, Any] = Field(default_factory=dict, sa_type=JSONB)


class Sample(SQLModel, table=True):
    """A sample record (抽样单) registered by the agency that holds the task."""

    __tablename__ = "samples"
    __table_args__ = (
        UniqueConstraint("agency_id", "sample_number"),
        CheckConstraint(
            "place_type IN ('production', 'circulation', 'e_commerce')", name="place_type"
        ),
        CheckConstraint("cardinality(sampler_ids) >= 2", name="two_samplers"),
        CheckConstraint(
            "place_type <> 'e_commerce' OR e_commerce IS NOT NULL", name="e_commerce_evidence"
        ),
        CheckConstraint("inspection_quantity > 0 AND backup_quantity > 0", name="quantities"),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    task_id: uuid.UUID = Field(foreign_key="sampling_tasks.id", unique=True)
    agency_id: uuid.UUID = Field(foreign_key="testing_agencies.id", index=True)
    sampling_id: uuid.UUID = Field(foreign_key="samplings.id", unique=True)
    sample_number: str
    sampled_on: date
    place_type: str
    place_name: str
    batch_number: str | None = None
    production_date: date | None = None
    quantity_unit: str
    inspection_quantity: int
    backup_quantity: int
    # Who keeps the backup sample (备用样品) for a possible re-test.
    backup_holder: str
    sampler_ids: list[uuid.UUID] = Field(sa_type=ARRAY(Uuid))
    # Online purchases: shop, order number, paying account, delivery address, evidence files.
    e_commerce: dict[str, Any] | None = Field(default=None, sa_type=JSONB)
    created_at: datetime = created_at_field()


class Refusal(SQLModel, table=True):
    """An enterprise's refusal of sampling (拒绝抽查), with evidence; a credit event."""

    __tablename__ = "refusals"
    __table_args__ = (CheckConstraint("cardinality(sampler_ids) >= 2", name="two_samplers"),)

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    task_id: uuid.UUID = Field(foreign_key="sampling_tasks.id", unique=True)
    agency_id: uuid.UUID = Field(foreign_key="testing_agencies.id")
    enterprise_uscc: str = Field(foreign_key="enterprises.uscc", index=True)
    refused_on: date
    reason: str
    evidence: list[dict[str, Any]] = Field(sa_type=JSONB)
    sampler_ids: list[uuid.UUID] = Field(sa_type=ARRAY(Uuid))
    created_at: datetime = created_at_field()


class TestReport(SQLModel, table=True):
    """A test report (检验报告). Items are stored with the report; `content_digest` is the hash
    of the posted content, which makes re-posting the identical report idempotent."""

    __tablename__ = "test_reports"
    __table_args__ = (
        UniqueConstraint("agency_id", "report_number"),
        CheckConstraint("kind IN ('original', 'retest')", name="kind"),
        CheckConstraint("verdict IN ('conforming', 'nonconforming')", name="verdict"),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    agency_id: uuid.UUID = Field(foreign_key="testing_agencies.id")
    report_number: str
    kind: str
    sample_id: uuid.UUID = Field(foreign_key="samples.id", index=True)
    issued_on: date
    verdict: str
    items: list[dict[str, Any]] = Field(sa_type=JSONB)
    document_sha256: str | None = Field(default=None, max_length=64)
    content_digest: str = Field(max_length=64)
    created_at: datetime = created_at_field()


class Result(SQLModel, table=True):
    """The result of one sampled batch. It carries a snapshot of the dimensions pass rates are
    grouped by, so that statistics never join back into the directories."""

    __tablename__ = "results"
    __table_args__ = (
        CheckConstraint("verdict IN ('conforming', 'nonconforming')", name="verdict"),
        CheckConstraint("state IN ('notified', 'objected', 'retesting', 'final')", name="state"),
        CheckConstraint(
            "fee_bearer IS NULL OR fee_bearer IN ('applicant', 'organiser')", name="fee_bearer"
        ),
        CheckConstraint("state <> 'final' OR final_on IS NOT NULL", name="final_dated"),
        Index("ix_results_state_window", "state", "objection_window_ends_on"),
        # The public list pages newest publication first.
        Index("ix_results_published_on_id", "published_on", "id"),
        # Scoped reads: by the testing agency, the organiser, the enterprise's region.
        Index("ix_results_agency_id", "agency_id"),
        Index("ix_results_organiser_code", "organiser_code"),
        Index("ix_results_region_code", "region_code"),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    sample_id: uuid.UUID = Field(foreign_key="samples.id", unique=True)
    task_id: uuid.UUID = Field(foreign_key="sampling_tasks.id", unique=True)
    plan_id: uuid.UUID = Field(foreign_key="plans.id", index=True)
    product_id: uuid.UUID = Field(foreign_key="products.id", index=True)
    enterprise_uscc: str = Field(foreign_key="enterprises.uscc", index=True)
    organiser_code: str = Field(foreign_key="departments.code")
    plan_level: str
    plan_kind: str
    category_code: str
    region_code: str
    place_type: str
    enterprise_size: str | None = None
    agency_id: uuid.UUID = Field(foreign_key="testing_agencies.id")
    sampled_on: date
    original_report_id: uuid.UUID = Field(foreign_key="test_reports.id")
    # The report in force: the re-test report once one concludes (the original stays linked).
    report_id: uuid.UUID = Field(foreign_key="test_reports.id")
    verdict: str
    state: str
    notified_on: date
    objection_window_ends_on: date
    final_on: date | None = None
    published_on: date | None = None
    fee_bearer: str | None = None
    created_at: datetime = created_at_field()
    updated_at: datetime = created_at_field()


class Objection(SQLModel, table=True):
    """An enterprise's objection (异议) to a result, and the regulator's decision on it."""

    __tablename__ = "objections"
    __table_args__ = (
        CheckConstraint("state IN ('pending', 'retest_ordered', 'rejected')", name="state"),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    result_id: uuid.UUID = Field(foreign_key="results.id", unique=True)
    enterprise_uscc: str = Field(foreign_key="enterprises.uscc", index=True)
    filed_on: date
    disputed_items: list[str] = Field(sa_type=ARRAY(String))
    reason: str
    # The applicant may agree that the first agency re-tests (rules §5).
    consents_to_same_agency: bool = False
    state: str = "pending"
    decided_on: date | None = None
    decided_by: str | None = None
    decision_reason: str | None = None
    created_at: datetime = created_at_field()


class Retest(SQLModel, table=True):
    """A re-test (复检) of the disputed items on the backup sample; its report is final."""

    __tablename__ = "retests"
    __table_args__ = (CheckConstraint("state IN ('assigned', 'reported')", name="state"),)

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    objection_id: uuid.UUID = Field(foreign_key="objections.id", unique=True)
    result_id: uuid.UUID = Field(foreign_key="results.id", unique=True)
    sample_id: uuid.UUID = Field(foreign_key="samples.id")
    agency_id: uuid.UUID = Field(foreign_key="testing_agencies.id", index=True)
    disputed_items: list[str] = Field(sa_type=ARRAY(String))
    state: str = "assigned"
    report_id: uuid.UUID | None = Field(default=None, foreign_key="test_reports.id", unique=True)
    created_at: datetime = created_at_field()
    reported_at: datetime | None = instant_field()


class RectificationState(StrEnum):
    ORDERED = "ordered"  # stop order issued; correction due in 60 days
    FOLLOW_UP = "follow_up"  # follow-up sampling (复查) scheduled, due within 75 days
    NOTICED = "noticed"  # follow-up failed: provincial public notice (公告)
    SECOND_FOLLOW_UP = "second_follow_up"  # 60–90 days after the notice
    SUSPENDED = "suspended"  # second follow-up failed: suspend and rectify (停业整顿)
    REVOCATION_RECOMMENDED = "revocation_recommended"  # failed again
    CLOSED = "closed"  # a follow-up passed


class Rectification(SQLModel, table=True):
    """Rectification (整改) of a nonconforming final result, Order 18 §44–50."""

    __tablename__ = "rectifications"
    __table_args__ = (
        CheckConstraint(
            "state IN ('ordered', 'follow_up', 'noticed', 'second_follow_up', 'suspended', "
            "'revocation_recommended', 'closed')",
            name="state",
        ),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    result_id: uuid.UUID = Field(foreign_key="results.id", unique=True)
    enterprise_uscc: str = Field(foreign_key="enterprises.uscc", index=True)
    product_id: uuid.UUID = Field(foreign_key="products.id")
    organiser_code: str = Field(foreign_key="departments.code")
    state: str = "ordered"
    ordered_on: date
    correction_due_on: date
    follow_up_due_on: date
    follow_up_task_id: uuid.UUID | None = Field(default=None, foreign_key="sampling_tasks.id")
    noticed_on: date | None = None
    notice_department_code: str | None = Field(default=None, foreign_key="departments.code")
    second_follow_up_from: date | None = None
    second_follow_up_until: date | None = None
    second_task_id: uuid.UUID | None = Field(default=None, foreign_key="sampling_tasks.id")
    suspended_on: date | None = None
    revocation_recommended_on: date | None = None
    closed_on: date | None = None
    # Deadlines already reported as `rectification.overdue`, so the job raises each once.
    overdue_reported: list[str] = Field(default_factory=list, sa_type=ARRAY(String))
    created_at: datetime = created_at_field()
    updated_at: datetime = created_at_field()


class CalendarOverride(SQLModel, table=True):
    """A day whose working status the official calendar decides differently from the library
    (or for a year the library does not know yet): holidays and make-up working days (调休)."""

    __tablename__ = "calendar_overrides"

    day: date = Field(primary_key=True)
    is_working_day: bool
    note: str


class CalendarYear(SQLModel, table=True):
    """A year whose holidays and make-up days the override table fully defines."""

    __tablename__ = "calendar_years"

    year: int = Field(primary_key=True)
    source: str
