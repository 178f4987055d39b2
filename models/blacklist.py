"""The blacklist (质量失信黑名单, rules §9) and joint punishment (联合惩戒, rules §10): listings and
their procedure, early-removal applications, the changes feed other departments follow, signed
releases (定期公布), the measures catalogue, the departments' feedback, their hit-checks, and the
webhook endpoints, outbox and delivery attempts.

Nothing here is deleted: a listing that ends is a new state with its reason and date."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import BigInteger, CheckConstraint, Index, Text, UniqueConstraint
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field, SQLModel

from models.base import created_at_field, instant_field


class ListingState(StrEnum):
    PROPOSED = "proposed"  # a regulator opened the procedure from a candidate
    NOTICED = "noticed"  # written notice served; the statement window runs
    AWAITING_CONSENT = "awaiting_consent"  # a county or municipal decision, before the next level
    LISTED = "listed"
    DROPPED = "dropped"  # decided not to list, or the next level refused consent
    REMOVED = "removed"


OPEN_STATES = (
    ListingState.PROPOSED,
    ListingState.NOTICED,
    ListingState.AWAITING_CONSENT,
    ListingState.LISTED,
)


class RemovalReason(StrEnum):
    EXPIRED = "expired"  # the term ended
    EARLY_REMOVAL = "early_removal"  # credit repair (信用修复) approved
    PENALTY_REVOKED = "penalty_revoked"  # the penalty it rests on was revoked


class ChangeKind(StrEnum):
    LISTED = "listed"
    REMOVED = "removed"
    UPDATED = "updated"


class ApplicationState(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REFUSED = "refused"


class FeedbackStatus(StrEnum):
    APPLIED = "applied"
    NOT_APPLICABLE = "not_applicable"
    LIFTED = "lifted"


class EndpointState(StrEnum):
    ACTIVE = "active"
    DISABLED = "disabled"


class DeliveryState(StrEnum):
    PENDING = "pending"
    DELIVERED = "delivered"
    FAILED = "failed"  # retried for the whole retry period, or the endpoint was disabled


def _states(column: str, values: type[StrEnum]) -> str:
    return f"{column} IN ({', '.join(repr(v.value) for v in values)})"


class Listing(SQLModel, table=True):
    """One listing procedure of one enterprise, from proposal to removal (列入、移出).

    `listed_seq` and `removed_seq` are the changes-feed numbers of its listing and its removal:
    the department list is pinned to a feed number, and what was active at number S is exactly
    the listings with `listed_seq <= S` and no `removed_seq <= S`."""

    __tablename__ = "listings"
    __table_args__ = (
        CheckConstraint(_states("state", ListingState), name="state"),
        CheckConstraint(
            "removal_reason IS NULL OR " + _states("removal_reason", RemovalReason),
            name="removal_reason",
        ),
        CheckConstraint(
            "(state = 'listed' OR state = 'removed') = (listed_on IS NOT NULL)", name="listed_on"
        ),
        CheckConstraint("(state = 'removed') = (removed_on IS NOT NULL)", name="removed_on"),
        CheckConstraint("ends_on IS NULL OR ends_on > listed_on", name="term"),
        # One open procedure or listing per enterprise at a time.
        Index(
            "uq_listings_open_enterprise",
            "enterprise_uscc",
            unique=True,
            postgresql_where="state IN ('proposed', 'noticed', 'awaiting_consent', 'listed')",
        ),
        Index("ix_listings_state_listed_seq", "state", "listed_seq"),
        Index("ix_listings_enterprise_uscc_listed_on", "enterprise_uscc", "listed_on"),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    enterprise_uscc: str = Field(foreign_key="enterprises.uscc")
    state: str = ListingState.PROPOSED.value
    # The criteria that proposed it, and the credit events it rests on (id, type, date,
    # reference, criterion), as they were when the procedure opened.
    criteria_version: str
    criteria: list[str] = Field(sa_type=JSONB)
    evidence: list[dict[str, Any]] = Field(sa_type=JSONB)
    reason: str
    legal_basis: str
    # The deciding department (the proposer's own).
    department_code: str = Field(foreign_key="departments.code", index=True)
    proposed_on: date
    proposed_by: str
    # The written notice (告知书) and the statement window (陈述申辩、听证).
    noticed_on: date | None = None
    notice_reference: str | None = None
    statement_due_on: date | None = None
    statement: str | None = None
    statement_on: date | None = None
    hearing_requested: bool = False
    hearing_held_on: date | None = None
    # The decision, and for county and municipal decisions the next level's consent.
    decided_on: date | None = None
    decided_by: str | None = None
    decision_reference: str | None = None
    decision_reason: str | None = None
    consent_department_code: str | None = Field(default=None, foreign_key="departments.code")
    consented_on: date | None = None
    consented_by: str | None = None
    consent_reason: str | None = None
    # The term: the configuration in force at the decision is kept with it.
    listed_on: date | None = None
    ends_on: date | None = None
    term_months: int | None = None
    dropped_on: date | None = None
    drop_reason: str | None = None
    removed_on: date | None = None
    removal_reason: str | None = None
    removal_note: str | None = None
    # The last day the departments that applied a measure may report it lifted.
    lift_due_on: date | None = None
    listed_seq: int | None = Field(default=None, sa_type=BigInteger)
    removed_seq: int | None = Field(default=None, sa_type=BigInteger)
    created_at: datetime = created_at_field()
    updated_at: datetime = created_at_field()


class RemovalApplication(SQLModel, table=True):
    """An enterprise's application for early removal (信用修复申请) and its decision."""

    __tablename__ = "removal_applications"
    __table_args__ = (
        CheckConstraint(_states("state", ApplicationState), name="state"),
        Index(
            "uq_removal_applications_pending_listing",
            "listing_id",
            unique=True,
            postgresql_where="state = 'pending'",
        ),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    listing_id: uuid.UUID = Field(foreign_key="listings.id", index=True)
    enterprise_uscc: str = Field(foreign_key="enterprises.uscc", index=True)
    filed_on: date
    penalty_fulfilled: bool
    harm_removed: bool
    no_new_heavier_penalty: bool
    commitment_letter_reference: str
    statement: str | None = None
    state: str = ApplicationState.PENDING.value
    decided_on: date | None = None
    decided_by: str | None = None
    decision_reason: str | None = None
    created_at: datetime = created_at_field()


class FeedHead(SQLModel, table=True):
    """The last number handed out by a feed. Writers take the next number by updating this row,
    so numbers are given out in commit order: a reader never sees number N+1 committed while N
    is still to come, and the feed has no gaps."""

    __tablename__ = "feed_heads"

    name: str = Field(primary_key=True)
    seq: int = Field(default=0, sa_type=BigInteger)


class ListingChange(SQLModel, table=True):
    """The changes feed (`GET /joint-punishment/changes`): one row per listing, removal or
    update, numbered without gaps. `payload` is the listing as departments see it then."""

    __tablename__ = "listing_changes"
    __table_args__ = (CheckConstraint(_states("kind", ChangeKind), name="kind"),)

    seq: int = Field(
        primary_key=True, sa_type=BigInteger, sa_column_kwargs={"autoincrement": False}
    )
    at: datetime = created_at_field()
    kind: str
    listing_id: uuid.UUID = Field(foreign_key="listings.id", index=True)
    enterprise_uscc: str = Field(index=True)
    payload: dict[str, Any] = Field(sa_type=JSONB)


class Release(SQLModel, table=True):
    """Release N of the list (定期公布): the canonical text that was signed with Ed25519, the
    hash of release N−1 it chains to, and the feed number it covers."""

    __tablename__ = "releases"

    number: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    published_at: datetime = created_at_field()
    as_of: date
    up_to_seq: int = Field(sa_type=BigInteger)
    canonical: str = Field(sa_type=Text)
    signature: str
    release_hash: str = Field(max_length=64, unique=True)
    prev_release_hash: str | None = Field(default=None, max_length=64)
    public_key: str
    active_count: int
    additions: int
    removals: int
    published_by: str


class Measure(SQLModel, table=True):
    """A joint-punishment measure (惩戒措施) of the catalogue, with its legal basis and the kinds
    of department that apply it."""

    __tablename__ = "measures"

    code: str = Field(primary_key=True, max_length=60)
    name: str
    description: str
    legal_basis: str
    department_kinds: list[str] = Field(sa_type=JSONB)
    active: bool = True


class MeasureFeedback(SQLModel, table=True):
    """A department's report on one measure for one listing (反馈): applied, not applicable, or
    lifted after the removal. Re-reporting the same status returns the original."""

    __tablename__ = "measure_feedback"
    __table_args__ = (
        CheckConstraint(_states("status", FeedbackStatus), name="status"),
        UniqueConstraint("listing_id", "department_code", "measure_code", "status"),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    listing_id: uuid.UUID = Field(foreign_key="listings.id", index=True)
    department_code: str = Field(foreign_key="departments.code", index=True)
    measure_code: str = Field(foreign_key="measures.code")
    status: str
    effective_on: date
    decision_reference: str
    note: str | None = None
    reported_by: str
    reported_at: datetime = created_at_field()


class HitCheck(SQLModel, table=True):
    """One `POST /joint-punishment/check` call: who asked, when, about which day."""

    __tablename__ = "hit_checks"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    department_code: str = Field(foreign_key="departments.code", index=True)
    actor: str
    checked_at: datetime = created_at_field()
    as_of: date
    asked: int
    hits: int


class HitCheckSubject(SQLModel, table=True):
    """One enterprise asked about in a check, so the enterprise can see who checked it."""

    __tablename__ = "hit_check_subjects"
    __table_args__ = (Index("ix_hit_check_subjects_uscc_check_id", "uscc", "check_id"),)

    check_id: uuid.UUID = Field(foreign_key="hit_checks.id", primary_key=True)
    uscc: str = Field(primary_key=True, max_length=18)
    listing_id: uuid.UUID | None = None


class WebhookEndpoint(SQLModel, table=True):
    """A department's registered receiver, with the secret deliveries are signed with
    (Standard Webhooks, `whsec_` + base64)."""

    __tablename__ = "webhook_endpoints"
    __table_args__ = (CheckConstraint(_states("state", EndpointState), name="state"),)

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    department_code: str = Field(foreign_key="departments.code", index=True)
    url: str
    event_types: list[str] = Field(sa_type=JSONB)
    secret: str
    state: str = EndpointState.ACTIVE.value
    failure_streak: int = 0
    disabled_at: datetime | None = instant_field()
    disabled_reason: str | None = None
    created_by: str
    created_at: datetime = created_at_field()
    updated_at: datetime = created_at_field()


class WebhookDelivery(SQLModel, table=True):
    """One message to one endpoint (the outbox), written in the transaction of the change."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        CheckConstraint(_states("state", DeliveryState), name="state"),
        Index(
            "ix_webhook_deliveries_due",
            "next_attempt_at",
            postgresql_where="state = 'pending'",
        ),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    # The `webhook-id` header: the same for every attempt and for a replay.
    message_id: str = Field(index=True)
    endpoint_id: uuid.UUID = Field(foreign_key="webhook_endpoints.id", index=True)
    event_type: str
    payload: dict[str, Any] = Field(sa_type=JSONB)
    state: str = DeliveryState.PENDING.value
    attempts: int = 0
    next_attempt_at: datetime = instant_field(nullable=False)
    give_up_at: datetime = instant_field(nullable=False)
    delivered_at: datetime | None = instant_field()
    last_status: int | None = None
    last_error: str | None = None
    replay_of: uuid.UUID | None = Field(default=None, foreign_key="webhook_deliveries.id")
    created_at: datetime = created_at_field()


class WebhookAttempt(SQLModel, table=True):
    """One attempt to deliver a message: when, the answer or the error, how long it took."""

    __tablename__ = "webhook_attempts"

    id: int | None = Field(default=None, primary_key=True, sa_type=BigInteger)
    delivery_id: uuid.UUID = Field(foreign_key="webhook_deliveries.id", index=True)
    attempted_at: datetime = created_at_field()
    status_code: int | None = None
    error: str | None = None
    duration_ms: int
