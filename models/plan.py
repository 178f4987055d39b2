"""Sampling plans (抽查计划), their draws (双随机抽取), the tasks a draw creates, and the samplings
that the six-month rule reads."""

from __future__ import annotations

import datetime as dt
import uuid
from datetime import date, datetime
from enum import StrEnum
from typing import Any

import pydantic
from sqlalchemy import ARRAY, CheckConstraint, Index, LargeBinary, UniqueConstraint, Uuid
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field, SQLModel

from models.base import created_at_field, instant_field
from models.common import Label, PlanKind, Schema


class PlanState(StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"
    DRAWN = "drawn"
    IN_PROGRESS = "in_progress"
    CLOSED = "closed"


class Plan(SQLModel, table=True):
    __tablename__ = "plans"
    __table_args__ = (
        CheckConstraint("period_end >= period_start", name="period"),
        CheckConstraint("kind IN ('routine', 'special', 'follow_up', 'emergency')", name="kind"),
        CheckConstraint(
            "state IN ('draft', 'published', 'drawn', 'in_progress', 'closed')", name="state"
        ),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    title: str
    department_code: str = Field(foreign_key="departments.code", index=True)
    level: str
    region_code: str = Field(foreign_key="regions.code", index=True)
    kind: str
    period_start: date
    period_end: date
    state: str = "draft"
    created_at: datetime = created_at_field()
    published_at: datetime | None = instant_field()
    closed_at: datetime | None = instant_field()


class PlanQuota(SQLModel, table=True):
    __tablename__ = "plan_quotas"
    __table_args__ = (
        UniqueConstraint("plan_id", "category_code", "region_code"),
        CheckConstraint("quota > 0", name="positive"),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    plan_id: uuid.UUID = Field(foreign_key="plans.id", index=True)
    category_code: str = Field(foreign_key="product_categories.code")
    region_code: str | None = Field(default=None, foreign_key="regions.code")
    quota: int


class Draw(SQLModel, table=True):
    """A committed, then executed, double-random draw. The pool and the outcome are stored as
    gzip-compressed canonical JSON: pools reach a million candidates and are read as a whole."""

    __tablename__ = "draws"
    __table_args__ = (
        CheckConstraint("state IN ('committed', 'executed')", name="state"),
        # At most one draw per plan is open or done: no shopping for a convenient seed.
        Index("uq_draws_plan_id", "plan_id", unique=True),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    plan_id: uuid.UUID = Field(foreign_key="plans.id")
    state: str = "committed"
    algorithm_version: str
    pool_hash: str = Field(max_length=64)
    seed_commitment: str = Field(max_length=64)
    # Secret until execution; then published.
    seed: str = Field(max_length=64)
    evaluated_on: date
    # The pool's canonical JSON, gzipped. Both blobs are stored as they are (STORAGE EXTERNAL,
    # set by the migrations): PostgreSQL's own compression would only slow their writes.
    pool_gz: bytes = Field(sa_type=LargeBinary)
    pool_size: int
    config: dict[str, Any] = Field(sa_type=JSONB)
    outcome_gz: bytes | None = Field(default=None, sa_type=LargeBinary)
    committed_at: datetime = created_at_field()
    committed_by: str
    executed_at: datetime | None = instant_field()
    executed_by: str | None = None


class TaskState(StrEnum):
    ASSIGNED = "assigned"
    SAMPLED = "sampled"
    REFUSED = "refused"
    CANCELLED = "cancelled"


class SamplingTask(SQLModel, table=True):
    """A drawn product with its inspectors and testing agency (抽查任务)."""

    __tablename__ = "sampling_tasks"
    __table_args__ = (
        UniqueConstraint("draw_id", "product_id"),
        CheckConstraint("state IN ('assigned', 'sampled', 'refused', 'cancelled')", name="state"),
        CheckConstraint("cardinality(inspector_ids) >= 2", name="two_inspectors"),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    plan_id: uuid.UUID = Field(foreign_key="plans.id", index=True)
    # Looked up through the unique key (draw_id, product_id): no index of its own.
    draw_id: uuid.UUID | None = Field(default=None, foreign_key="draws.id")
    product_id: uuid.UUID = Field(foreign_key="products.id", index=True)
    enterprise_uscc: str = Field(foreign_key="enterprises.uscc", index=True)
    category_code: str = Field(foreign_key="product_categories.code")
    agency_id: uuid.UUID = Field(foreign_key="testing_agencies.id", index=True)
    inspector_ids: list[uuid.UUID] = Field(sa_type=ARRAY(Uuid))
    stratum: str
    draw_order: int
    state: str = "assigned"
    created_at: datetime = created_at_field()


class Sampling(SQLModel, table=True):
    """One sampling of a product (a batch taken), as the six-month rule sees it: who organised
    it, at what level, when, and — once final — the verdict."""

    __tablename__ = "samplings"
    __table_args__ = (
        CheckConstraint(
            "verdict IS NULL OR verdict IN ('conforming', 'nonconforming')", name="verdict"
        ),
        Index("ix_samplings_product_id_sampled_on", "product_id", "sampled_on"),
        # The draw reads every sampling inside the lock window at once.
        Index("ix_samplings_sampled_on", "sampled_on"),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    product_id: uuid.UUID = Field(foreign_key="products.id")
    task_id: uuid.UUID | None = Field(default=None, foreign_key="sampling_tasks.id", unique=True)
    department_code: str = Field(foreign_key="departments.code")
    level: str
    region_code: str
    plan_kind: str
    sampled_on: date
    verdict: str | None = None
    created_at: datetime = created_at_field()


class QuotaIn(Schema):
    category_code: str = pydantic.Field(pattern=r"^([0-9]{2})+$")
    region_code: str | None = pydantic.Field(default=None, pattern=r"^[0-9]{6}$")
    quota: int = pydantic.Field(gt=0, le=100_000)


class PlanCreate(Schema):
    title: Label
    department_code: str | None = pydantic.Field(
        default=None, description="Organiser; a regulator's own department when omitted"
    )
    region_code: str | None = pydantic.Field(
        default=None,
        pattern=r"^[0-9]{6}$",
        description="Where to sample; the organiser's region when omitted",
    )
    kind: PlanKind
    period_start: date
    period_end: date
    quotas: list[QuotaIn] = pydantic.Field(min_length=1, max_length=500)


class QuotaRead(Schema):
    category_code: str
    region_code: str | None
    quota: int


class PlanRead(Schema):
    id: uuid.UUID
    title: str
    department_code: str
    level: str
    region_code: str
    kind: PlanKind
    period_start: date
    period_end: date
    state: PlanState
    quotas: list[QuotaRead]
    created_at: datetime
    published_at: datetime | None
    closed_at: datetime | None


class TaskRead(Schema):
    id: uuid.UUID
    plan_id: uuid.UUID
    draw_id: uuid.UUID | None
    product_id: uuid.UUID
    enterprise_uscc: str
    category_code: str
    agency_id: uuid.UUID
    inspector_ids: list[uuid.UUID]
    state: TaskState
    created_at: datetime


class BlockingSampling(Schema):
    sampling_id: uuid.UUID
    department_code: str
    level: str
    sampled_on: date
    verdict: str | None
    rule_id: str
    lock_ends_on: date


class EligibilityRead(Schema):
    product_id: uuid.UUID
    department_code: str
    date: dt.date
    plan_kind: PlanKind
    eligible: bool
    exempt: bool
    locked_until: dt.date | None
    blocking: list[BlockingSampling]
    rule_version: str
    config: dict[str, Any]


class DrawRead(Schema):
    id: uuid.UUID
    plan_id: uuid.UUID
    state: str
    algorithm_version: str
    pool_hash: str
    pool_size: int
    seed_commitment: str
    seed: str | None
    evaluated_on: date
    config: dict[str, Any]
    committed_at: datetime
    executed_at: datetime | None
    selections: list[dict[str, Any]]
    exclusions: list[dict[str, Any]]
    shortfalls: list[dict[str, Any]]


class DrawVerification(Schema):
    draw_id: uuid.UUID
    ok: bool
    first_difference: str | None
