"""Tables of the service itself: API keys, the audit chain and scheduled job runs."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

import pydantic
from sqlalchemy import BigInteger, CheckConstraint
from sqlmodel import Field, SQLModel

from models.base import created_at_field, instant_field
from models.common import Label, Schema


class Role(StrEnum):
    ADMIN = "admin"
    REGULATOR = "regulator"
    AGENCY = "agency"
    ENTERPRISE = "enterprise"
    DEPARTMENT = "department"


class ApiKey(SQLModel, table=True):
    """An API key. Only its SHA-256 is stored: keys are 256-bit random, so a fast hash is enough
    and a stolen table reveals no usable key."""

    __tablename__ = "api_keys"
    __table_args__ = (
        CheckConstraint(
            "role IN ('admin', 'regulator', 'agency', 'enterprise', 'department')", name="role"
        ),
        CheckConstraint(
            "(role <> 'regulator' AND role <> 'department') OR department_code IS NOT NULL",
            name="department_scope",
        ),
        CheckConstraint("role <> 'enterprise' OR enterprise_uscc IS NOT NULL", name="uscc_scope"),
        CheckConstraint("role <> 'agency' OR agency_id IS NOT NULL", name="agency_scope"),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    name: str
    key_hash: str = Field(unique=True, max_length=64)
    role: str
    department_code: str | None = Field(default=None, foreign_key="departments.code")
    enterprise_uscc: str | None = Field(default=None, foreign_key="enterprises.uscc")
    agency_id: uuid.UUID | None = Field(default=None, foreign_key="testing_agencies.id")
    created_at: datetime = created_at_field()
    revoked_at: datetime | None = instant_field()


class AuditEntry(SQLModel, table=True):
    """One link of the audit hash chain: hash = sha256(prev_hash || canonical record)."""

    __tablename__ = "audit_log"

    seq: int = Field(
        primary_key=True, sa_type=BigInteger, sa_column_kwargs={"autoincrement": False}
    )
    at: datetime = created_at_field()
    actor: str
    action: str
    entity_type: str
    entity_id: str
    state_digest: str = Field(max_length=64)
    prev_hash: str = Field(max_length=64)
    hash: str = Field(max_length=64)


class AuditHead(SQLModel, table=True):
    """The chain's tip, kept in the same transaction as each append, so that deleting the newest
    records is detected too."""

    __tablename__ = "audit_head"
    __table_args__ = (CheckConstraint("id = 1", name="single_row"),)

    id: int = Field(default=1, primary_key=True)
    seq: int = Field(sa_type=BigInteger)
    hash: str = Field(max_length=64)


class JobRun(SQLModel, table=True):
    __tablename__ = "job_runs"
    __table_args__ = (CheckConstraint("status IN ('ok', 'failed', 'skipped')", name="status"),)

    id: int | None = Field(default=None, primary_key=True, sa_type=BigInteger)
    job_name: str = Field(index=True)
    started_at: datetime = created_at_field()
    finished_at: datetime = created_at_field()
    status: str
    detail: str | None = None


class ApiKeyCreate(Schema):
    role: Role
    name: Label
    department_code: str | None = pydantic.Field(default=None, max_length=40)
    enterprise_uscc: str | None = pydantic.Field(default=None, max_length=40)
    agency_id: uuid.UUID | None = None


class ApiKeyCreated(Schema):
    id: uuid.UUID
    key: str
    role: Role
    name: str


class AuditVerification(Schema):
    ok: bool
    checked: int
    first_bad_seq: int | None = None
    problem: str | None = None
