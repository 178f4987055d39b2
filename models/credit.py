"""The quality-credit file (质量信用档案, rules §8): credit events — from sampling (projected from
the domain event log) and posted by departments — the recorded score snapshots every view and
as-of query reads, each enterprise's current standing, the model parameters in force, and credit
objections (信用异议). Plus the request and response schemas of the credit API."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Any

import pydantic
from pydantic import StringConstraints
from sqlalchemy import BigInteger, CheckConstraint, Index, UniqueConstraint
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field, SQLModel

from models.base import created_at_field
from models.common import Note, Schema


class CreditEventType(StrEnum):
    # From sampling: projected from the event log, never posted.
    NONCONFORMING_RESULT = "nonconforming_result"
    CONFORMING_RESULT = "conforming_result"
    REFUSAL = "refusal"
    RECTIFICATION_OVERDUE = "rectification_overdue"
    FOLLOW_UP_FAILED = "follow_up_failed"
    PROVINCIAL_NOTICE = "provincial_notice"
    # Posted by departments.
    ADMINISTRATIVE_PENALTY = "administrative_penalty"
    VERIFIED_COMPLAINT = "verified_complaint"
    MANDATORY_RECALL = "mandatory_recall"
    AWARD = "award"
    CERTIFICATION = "certification"


SAMPLING_TYPES = frozenset(
    {
        CreditEventType.NONCONFORMING_RESULT,
        CreditEventType.CONFORMING_RESULT,
        CreditEventType.REFUSAL,
        CreditEventType.RECTIFICATION_OVERDUE,
        CreditEventType.FOLLOW_UP_FAILED,
        CreditEventType.PROVINCIAL_NOTICE,
    }
)

# How each type reads in a file, a report and the public view.
LABELS: dict[CreditEventType, str] = {
    CreditEventType.NONCONFORMING_RESULT: "监督抽查不合格",
    CreditEventType.CONFORMING_RESULT: "监督抽查合格",
    CreditEventType.REFUSAL: "拒绝监督抽查",
    CreditEventType.RECTIFICATION_OVERDUE: "整改逾期",
    CreditEventType.FOLLOW_UP_FAILED: "复查不合格",
    CreditEventType.PROVINCIAL_NOTICE: "省级公告",
    CreditEventType.ADMINISTRATIVE_PENALTY: "行政处罚",
    CreditEventType.VERIFIED_COMPLAINT: "投诉举报查实",
    CreditEventType.MANDATORY_RECALL: "强制召回",
    CreditEventType.AWARD: "质量奖励",
    CreditEventType.CERTIFICATION: "认证",
}


class EventOrigin(StrEnum):
    SAMPLING = "sampling"  # projected from the domain event log
    DEPARTMENT = "department"  # posted through POST /enterprises/{uscc}/credit-events


class EventStatus(StrEnum):
    COUNTING = "counting"
    CORRECTED = "corrected"  # a credit objection found it wrong: it no longer counts


class PenaltySeverity(StrEnum):
    HEAVIER = "heavier"  # 较重行政处罚 (SAMR Order 44)
    OTHER = "other"


class ResultSeverity(StrEnum):
    SERIOUS = "serious"  # a failing item of severity `serious`
    GENERAL = "general"


class PenaltyKind(StrEnum):
    """The kind of administrative penalty; it fixes the publication period (SAMR Order 45 §13:
    3 months for only a reprimand or a small fine, otherwise 3 years) and bounds the severity."""

    REPRIMAND = "reprimand"  # 通报批评
    SMALL_FINE = "small_fine"  # 较低数额罚款
    WARNING = "warning"  # 警告
    FINE = "fine"  # 罚款
    CONFISCATION = "confiscation"  # 没收违法所得、非法财物
    HEAVY_FINE = "heavy_fine"  # 较大数额罚款
    LICENCE_SUSPENSION = "licence_suspension"  # 暂扣许可证件、降低资质等级
    LICENCE_REVOCATION = "licence_revocation"  # 吊销许可证件
    BUSINESS_RESTRICTION = "business_restriction"  # 限制开展生产经营活动、限制从业
    PRODUCTION_SUSPENSION = "production_suspension"  # 责令停产停业、责令关闭


LIGHT_PENALTIES = frozenset({PenaltyKind.REPRIMAND, PenaltyKind.SMALL_FINE})
# Kinds that are heavier (较重) by their nature, whatever amount or circumstance.
HEAVIER_PENALTIES = frozenset(
    {
        PenaltyKind.HEAVY_FINE,
        PenaltyKind.LICENCE_SUSPENSION,
        PenaltyKind.LICENCE_REVOCATION,
        PenaltyKind.BUSINESS_RESTRICTION,
        PenaltyKind.PRODUCTION_SUSPENSION,
    }
)


class PenaltyArea(StrEnum):
    """What a penalty punished; listing needs the quality-safety area or obstruction of
    inspection (SAMR Order 44). Unstated on a market regulator's penalty, it is quality safety."""

    QUALITY_SAFETY = "quality_safety"  # 质量安全领域
    INSPECTION_OBSTRUCTION = "inspection_obstruction"  # 拒绝、阻碍监督检查
    OTHER = "other"


class Grade(StrEnum):
    A = "A"
    B = "B"
    C = "C"
    D = "D"


class ObjectionState(StrEnum):
    PENDING = "pending"
    UPHELD = "upheld"  # the event stands
    CORRECTED = "corrected"  # the event was wrong and stops counting


class ObjectionDecisionKind(StrEnum):
    UPHOLD = "uphold"
    CORRECT = "correct"


# --- tables -----------------------------------------------------------------------------------


class CreditEvent(SQLModel, table=True):
    """One entry of an enterprise's credit file. `reference` is unique per source (the origin
    and the department), so re-posting or re-projecting the same fact finds the original."""

    __tablename__ = "credit_events"
    __table_args__ = (
        UniqueConstraint("origin", "department_code", "reference"),
        CheckConstraint("origin IN ('sampling', 'department')", name="origin"),
        CheckConstraint("status IN ('counting', 'corrected')", name="status"),
        CheckConstraint(
            "type IN ('nonconforming_result', 'conforming_result', 'refusal', "
            "'rectification_overdue', 'follow_up_failed', 'provincial_notice', "
            "'administrative_penalty', 'verified_complaint', 'mandatory_recall', 'award', "
            "'certification')",
            name="type",
        ),
        CheckConstraint(
            "(type = 'administrative_penalty' AND severity IN ('heavier', 'other')) "
            "OR (type = 'nonconforming_result' AND severity IN ('serious', 'general')) "
            "OR (type NOT IN ('administrative_penalty', 'nonconforming_result') "
            "AND severity IS NULL)",
            name="severity",
        ),
        CheckConstraint("publish_until >= occurred_on", name="publication_period"),
        CheckConstraint("(status = 'corrected') = (corrected_on IS NOT NULL)", name="corrected"),
        # The file of one enterprise, newest first: the one index every view reads.
        Index("ix_credit_events_enterprise_uscc_occurred_on", "enterprise_uscc", "occurred_on"),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    enterprise_uscc: str = Field(foreign_key="enterprises.uscc")
    type: str
    origin: str
    department_code: str = Field(foreign_key="departments.code")
    reference: str
    occurred_on: date
    # The business date the service learned of it: as-of queries show the file as recorded.
    recorded_on: date
    public: bool
    publish_until: date
    severity: str | None = None
    summary: str | None = None
    details: dict[str, Any] = Field(default_factory=dict, sa_type=JSONB)
    status: str = "counting"
    corrected_on: date | None = None
    # The event-log entry a sampling event was projected from.
    source_event_seq: int | None = Field(default=None, sa_type=BigInteger)
    recorded_by: str
    created_at: datetime = created_at_field()


class CreditScore(SQLModel, table=True):
    """A recorded score (信用评分快照): what the file, score, grade and risk class were from
    `valid_from` on. Written whenever they change; never updated. As-of queries read these."""

    __tablename__ = "credit_scores"
    __table_args__ = (
        CheckConstraint("grade IN ('A', 'B', 'C', 'D')", name="grade"),
        CheckConstraint("risk_class IN ('A', 'B', 'C', 'D')", name="risk_class"),
        Index("ix_credit_scores_enterprise_uscc_valid_from", "enterprise_uscc", "valid_from", "id"),
    )

    id: int | None = Field(default=None, primary_key=True, sa_type=BigInteger)
    enterprise_uscc: str = Field(foreign_key="enterprises.uscc")
    valid_from: date
    computed_at: datetime = created_at_field()
    score: int
    base: int
    grade: str
    grade_reason: str
    listed: bool
    explanation: list[dict[str, Any]] = Field(sa_type=JSONB)
    model_version: str = Field(foreign_key="credit_models.version")
    risk_class: str = Field(max_length=1)
    risk_reasons: list[str] = Field(sa_type=JSONB)
    risk_version: str = Field(foreign_key="credit_models.version")
    # What caused it: `credit_event:<id>`, `objection:<id>`, `ageing`, `model_change` …
    trigger: str
    digest: str = Field(max_length=64)


class CreditStanding(SQLModel, table=True):
    """Each enterprise's current recorded score, and the day it must be looked at again because
    an event ages out of publication or out of a risk window. Locking this row serialises every
    recomputation of one enterprise."""

    __tablename__ = "credit_standings"

    enterprise_uscc: str = Field(primary_key=True, foreign_key="enterprises.uscc")
    score_id: int | None = Field(default=None, foreign_key="credit_scores.id", sa_type=BigInteger)
    digest: str | None = Field(default=None, max_length=64)
    model_version: str | None = None
    risk_version: str | None = None
    next_review_on: date | None = Field(default=None, index=True)


class CreditModel(SQLModel, table=True):
    """The parameters behind a model version (score weights, risk windows), so every stored
    score can be explained with the numbers that produced it."""

    __tablename__ = "credit_models"
    __table_args__ = (CheckConstraint("kind IN ('score', 'risk')", name="kind"),)

    version: str = Field(primary_key=True)
    kind: str
    parameters: dict[str, Any] = Field(sa_type=JSONB)
    first_used_at: datetime = created_at_field()


class CreditObjection(SQLModel, table=True):
    """An enterprise's objection (信用异议) to one of its credit events, and its decision."""

    __tablename__ = "credit_objections"
    __table_args__ = (
        CheckConstraint("state IN ('pending', 'upheld', 'corrected')", name="state"),
        # One open objection per event at a time.
        Index(
            "uq_credit_objections_pending_event",
            "credit_event_id",
            unique=True,
            postgresql_where="state = 'pending'",
        ),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    credit_event_id: uuid.UUID = Field(foreign_key="credit_events.id", index=True)
    enterprise_uscc: str = Field(foreign_key="enterprises.uscc", index=True)
    filed_on: date
    reason: str
    evidence: list[str] = Field(default_factory=list, sa_type=JSONB)
    state: str = "pending"
    decided_on: date | None = None
    decided_by: str | None = None
    decision_reason: str | None = None
    created_at: datetime = created_at_field()


# --- request and response schemas -------------------------------------------------------------

Reference = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
EvidenceRef = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300)]


class CreditEventCreate(Schema):
    """A credit event posted by a department. Administrative penalties carry their severity
    and kind; `reference` is the decision number (决定书文号) or the department's own reference,
    and re-posting it returns the original."""

    type: CreditEventType
    occurred_on: date = pydantic.Field(description="Decision or event date; not in the future")
    reference: Reference
    summary: Note | None = None
    public: bool = True
    severity: PenaltySeverity | None = pydantic.Field(
        default=None, description="Administrative penalties: `heavier` (较重) or `other`"
    )
    penalty_kind: PenaltyKind | None = None
    area: PenaltyArea | None = pydantic.Field(
        default=None,
        description="Administrative penalties: the area of the violation (default quality_safety)",
    )
    published_on: date | None = pydantic.Field(
        default=None,
        description="The day the department published it, which starts the publication period "
        "(Order 45 §13); defaults to occurred_on",
    )
    department_code: str | None = pydantic.Field(
        default=None,
        max_length=40,
        description="Only for admin keys: the department the event comes from",
    )


class CreditEventRead(Schema):
    id: uuid.UUID
    enterprise_uscc: str
    type: CreditEventType
    label: str
    origin: EventOrigin
    department_code: str
    reference: str
    occurred_on: date
    recorded_on: date
    public: bool
    publish_until: date
    published: bool = pydantic.Field(description="Inside its publication period on the as-of day")
    severity: str | None
    summary: str | None
    details: dict[str, Any]
    status: EventStatus
    corrected_on: date | None


class Contribution(Schema):
    credit_event_id: uuid.UUID
    type: CreditEventType
    label: str
    occurred_on: date
    rule: str
    points: int
    note: str | None = None


class ScoreRead(Schema):
    score: int
    grade: Grade
    base: int
    explanation: list[Contribution] = pydantic.Field(
        description="Every counting event and its points; the points add up to score − base"
    )
    model_version: str
    listed: bool
    grade_reason: str = pydantic.Field(description="`score` or `listed` (on the blacklist ⇒ D)")
    valid_from: date | None = pydantic.Field(description="When this recorded score took effect")
    computed_at: datetime | None = pydantic.Field(description="None: nothing recorded yet")


class EnterpriseSummary(Schema):
    uscc: str
    name: str
    region_code: str
    active: bool


class CreditFileRead(ScoreRead):
    """The full file for regulators and departments: with the internal risk class."""

    as_of: date
    enterprise: EnterpriseSummary
    risk_class: Grade = pydantic.Field(description="Internal credit-risk class A (low) … D (high)")
    risk_reasons: list[str]
    risk_version: str
    events: list[CreditEventRead]


class PendingDeadline(Schema):
    kind: str = pydantic.Field(
        description="`result_objection`, `rectification.<deadline>` or `listing_statement`"
    )
    subject_id: uuid.UUID
    due_on: date
    opens_on: date | None = None
    responsible: str


class RepairStatus(Schema):
    listed: bool
    can_apply: bool
    earliest_on: date | None
    reason: str


class CreditObjectionRead(Schema):
    id: uuid.UUID
    credit_event_id: uuid.UUID
    enterprise_uscc: str
    filed_on: date
    reason: str
    evidence: list[str]
    state: ObjectionState
    decided_on: date | None
    decision_reason: str | None


class MyCreditRead(ScoreRead):
    """The enterprise's own file: no risk class (it is internal and "not a credit evaluation")."""

    as_of: date
    enterprise: EnterpriseSummary
    events: list[CreditEventRead]
    objections: list[CreditObjectionRead]
    pending_deadlines: list[PendingDeadline] = pydantic.Field(
        description="Open deadlines today (not as of): objection windows and rectification"
    )
    repair: RepairStatus


class PublicCreditEvent(Schema):
    type: CreditEventType
    label: str
    department_code: str
    occurred_on: date
    publish_until: date
    summary: str | None
    severity: str | None


class PublicEnterpriseRead(Schema):
    uscc: str
    name: str
    as_of: date
    grade: Grade
    model_version: str
    events: list[PublicCreditEvent] = pydantic.Field(
        description="Public events inside their publication period only"
    )


class CreditObjectionCreate(Schema):
    reason: Note
    evidence: list[EvidenceRef] = pydantic.Field(
        default_factory=list, max_length=20, description="References to evidence files"
    )


class CreditObjectionDecision(Schema):
    decision: ObjectionDecisionKind
    reason: Note
