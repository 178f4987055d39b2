"""Request and response bodies of the listing procedure: candidates, listings, the notice, the
enterprise's statement, the decision, the next level's consent, revocation and early-removal
applications."""

from __future__ import annotations

import uuid
from datetime import date
from enum import StrEnum
from typing import Annotated, Any

import pydantic
from pydantic import StringConstraints

from models.blacklist import ApplicationState, ListingState, RemovalReason
from models.common import Note, Schema

Reference = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
Statement = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=5000)]


class EvidenceRead(Schema):
    credit_event_id: uuid.UUID
    criterion: str
    type: str
    occurred_on: date
    reference: str


class CandidateRead(Schema):
    uscc: str
    enterprise_name: str
    region_code: str
    criteria_version: str
    criteria: list[str]
    reason: str
    legal_basis: str
    evidence: list[EvidenceRead]


class ListingCreate(Schema):
    """Open the procedure for a candidate. Reason and legal basis default to the criteria's."""

    uscc: str = pydantic.Field(min_length=1, max_length=40)
    reason: Note | None = None
    legal_basis: Note | None = None


class NoticeCreate(Schema):
    notice_reference: Reference = pydantic.Field(description="告知书文号")


class StatementCreate(Schema):
    statement: Statement | None = None
    hearing_requested: bool = False


class DecisionKind(StrEnum):
    LIST = "list"
    DROP = "drop"


class DecisionCreate(Schema):
    decision: DecisionKind
    decision_reference: Reference = pydantic.Field(description="决定书文号")
    reason: Note
    hearing_held_on: date | None = pydantic.Field(
        default=None, description="Required to list when the enterprise asked for a hearing"
    )


class ConsentCreate(Schema):
    consent: bool
    reason: Note


class RevocationCreate(Schema):
    reason: Note = pydantic.Field(description="E.g. the decision that revoked the penalty")


class ListingRead(Schema):
    id: uuid.UUID
    enterprise_uscc: str
    state: ListingState
    criteria_version: str
    criteria: list[str]
    evidence: list[dict[str, Any]]
    reason: str
    legal_basis: str
    department_code: str
    proposed_on: date
    noticed_on: date | None
    notice_reference: str | None
    statement_due_on: date | None = pydantic.Field(
        description="The last day of the enterprise's statement or hearing-request window"
    )
    statement: str | None
    statement_on: date | None
    hearing_requested: bool
    hearing_held_on: date | None
    decided_on: date | None
    decision_reference: str | None
    decision_reason: str | None
    consent_department_code: str | None
    consented_on: date | None
    consent_reason: str | None
    listed_on: date | None
    ends_on: date | None
    term_months: int | None
    dropped_on: date | None
    drop_reason: str | None
    removed_on: date | None
    removal_reason: RemovalReason | None
    removal_note: str | None
    lift_due_on: date | None
    early_removal_from: date | None = pydantic.Field(
        default=None, description="The first day an early-removal application is admissible"
    )


class RemovalApplicationCreate(Schema):
    """An application for early removal (信用修复). All three conditions must be declared met."""

    penalty_fulfilled: bool = pydantic.Field(description="履行了行政处罚决定")
    harm_removed: bool = pydantic.Field(description="消除了不良影响 / 危害后果")
    no_new_heavier_penalty: bool = pydantic.Field(description="未再受到较重行政处罚")
    commitment_letter_reference: Reference = pydantic.Field(description="信用承诺书编号")
    statement: Statement | None = None


class RemovalDecisionKind(StrEnum):
    APPROVE = "approve"
    REFUSE = "refuse"


class RemovalDecisionCreate(Schema):
    decision: RemovalDecisionKind
    reason: Note


class RemovalApplicationRead(Schema):
    id: uuid.UUID
    listing_id: uuid.UUID
    enterprise_uscc: str
    filed_on: date
    penalty_fulfilled: bool
    harm_removed: bool
    no_new_heavier_penalty: bool
    commitment_letter_reference: str
    statement: str | None
    state: ApplicationState
    decided_on: date | None
    decision_reason: str | None
