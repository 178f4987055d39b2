"""Testing agencies (检验检测机构) and inspectors (执法检查人员名录库)."""

from __future__ import annotations

import uuid
from datetime import date, datetime

import pydantic
from sqlalchemy import ARRAY, CheckConstraint, String, UniqueConstraint
from sqlmodel import Field, SQLModel

from models.base import created_at_field, instant_field
from models.common import Label, Note, Schema


class TestingAgency(SQLModel, table=True):
    __tablename__ = "testing_agencies"
    __table_args__ = (CheckConstraint("cma_valid_until >= cma_valid_from", name="cma_validity"),)

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    name: str
    uscc: str = Field(max_length=18, unique=True)
    cma_number: str = Field(unique=True)
    cma_valid_from: date
    cma_valid_until: date
    # Set by the scheduled job the first day the CMA certificate is no longer valid.
    cma_expired_on: date | None = None
    region_code: str = Field(foreign_key="regions.code", index=True)
    category_scope: list[str] = Field(default_factory=list, sa_type=ARRAY(String))
    active: bool = True
    deactivated_at: datetime | None = instant_field()
    created_at: datetime = created_at_field()
    updated_at: datetime = created_at_field()


class Inspector(SQLModel, table=True):
    __tablename__ = "inspectors"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    name: str
    department_code: str = Field(foreign_key="departments.code", index=True)
    certificate_number: str = Field(unique=True)
    specialities: list[str] = Field(default_factory=list, sa_type=ARRAY(String))
    active: bool = True
    deactivated_at: datetime | None = instant_field()
    created_at: datetime = created_at_field()
    updated_at: datetime = created_at_field()


class InspectorConflict(SQLModel, table=True):
    """A declared conflict of interest (回避, 行政处罚法 §43) of an inspector with an enterprise."""

    __tablename__ = "inspector_conflicts"
    __table_args__ = (UniqueConstraint("inspector_id", "enterprise_uscc"),)

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    inspector_id: uuid.UUID = Field(foreign_key="inspectors.id", index=True)
    enterprise_uscc: str = Field(foreign_key="enterprises.uscc", index=True)
    reason: str
    declared_at: datetime = created_at_field()


class AgencyCreate(Schema):
    name: Label
    uscc: str = pydantic.Field(min_length=1, max_length=40)
    cma_number: str = pydantic.Field(min_length=4, max_length=40)
    cma_valid_from: date
    cma_valid_until: date
    region_code: str = pydantic.Field(pattern=r"^[0-9]{6}$")
    category_scope: list[str] = pydantic.Field(min_length=1, max_length=200)

    @pydantic.model_validator(mode="after")
    def _validity_ordered(self) -> AgencyCreate:
        if self.cma_valid_until < self.cma_valid_from:
            raise ValueError("cma_valid_until is before cma_valid_from")
        return self


class AgencyUpdate(Schema):
    name: Label | None = None
    cma_number: str | None = pydantic.Field(default=None, min_length=4, max_length=40)
    cma_valid_from: date | None = None
    cma_valid_until: date | None = None
    category_scope: list[str] | None = pydantic.Field(default=None, min_length=1, max_length=200)
    active: bool | None = None


class AgencyRead(Schema):
    id: uuid.UUID
    name: str
    uscc: str
    cma_number: str
    cma_valid_from: date
    cma_valid_until: date
    cma_expired_on: date | None
    region_code: str
    category_scope: list[str]
    active: bool
    deactivated_at: datetime | None
    created_at: datetime
    updated_at: datetime


class InspectorCreate(Schema):
    name: Label
    department_code: str = pydantic.Field(min_length=1, max_length=40)
    certificate_number: str = pydantic.Field(min_length=4, max_length=40)
    specialities: list[str] = pydantic.Field(default_factory=list, max_length=100)


class InspectorUpdate(Schema):
    name: Label | None = None
    specialities: list[str] | None = pydantic.Field(default=None, max_length=100)
    active: bool | None = None


class ConflictCreate(Schema):
    enterprise_uscc: str = pydantic.Field(min_length=1, max_length=40)
    reason: Note


class ConflictRead(Schema):
    enterprise_uscc: str
    reason: str
    declared_at: datetime


class InspectorRead(Schema):
    id: uuid.UUID
    name: str
    department_code: str
    certificate_number: str
    specialities: list[str]
    active: bool
    deactivated_at: datetime | None
    conflicts: list[ConflictRead] = []
    created_at: datetime
    updated_at: datetime
