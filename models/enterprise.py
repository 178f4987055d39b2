"""Enterprises (by 统一社会信用代码) and their products (by normalised 规格型号 identity)."""

from __future__ import annotations

import uuid
from datetime import datetime

import pydantic
from sqlalchemy import CheckConstraint, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from models.base import created_at_field, instant_field
from models.common import EnterpriseSize, Label, Schema


class Enterprise(SQLModel, table=True):
    __tablename__ = "enterprises"
    __table_args__ = (
        CheckConstraint("size IN ('large', 'medium', 'small', 'micro')", name="size"),
        CheckConstraint("risk_class IN ('A', 'B', 'C', 'D')", name="risk_class"),
        Index(
            "ix_enterprises_name_trgm",
            "name",
            postgresql_using="gin",
            postgresql_ops={"name": "gin_trgm_ops"},
        ),
    )

    uscc: str = Field(primary_key=True, max_length=18)
    name: str
    region_code: str = Field(foreign_key="regions.code", index=True)
    size: str | None = None
    address: str | None = None
    # A regulator accepted a code whose check character fails (pre-standard pilot codes).
    checksum_override_reason: str | None = None
    # Internal credit-risk class A (low) … D (high): drives draw weights, never shown outside
    # regulators. Every enterprise is B until the credit file exists.
    risk_class: str = Field(default="B", sa_column_kwargs={"server_default": "B"}, max_length=1)
    active: bool = True
    deactivated_at: datetime | None = instant_field()
    created_at: datetime = created_at_field()
    updated_at: datetime = created_at_field()


class Product(SQLModel, table=True):
    __tablename__ = "products"
    __table_args__ = (UniqueConstraint("enterprise_uscc", "identity_key"),)

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    enterprise_uscc: str = Field(foreign_key="enterprises.uscc", index=True)
    category_code: str = Field(foreign_key="product_categories.code", index=True)
    name: str
    brand: str | None = None
    model: str
    standard: str | None = None
    # The normalised (standard, brand, model): two spellings of one model are one product.
    identity_key: str
    active: bool = True
    deactivated_at: datetime | None = instant_field()
    created_at: datetime = created_at_field()
    updated_at: datetime = created_at_field()


class EnterpriseCreate(Schema):
    uscc: str = pydantic.Field(min_length=1, max_length=40)
    name: Label
    region_code: str = pydantic.Field(pattern=r"^[0-9]{6}$")
    size: EnterpriseSize | None = None
    address: str | None = pydantic.Field(default=None, max_length=300)
    checksum_override_reason: str | None = pydantic.Field(default=None, max_length=500)


class EnterpriseUpdate(Schema):
    name: Label | None = None
    region_code: str | None = pydantic.Field(default=None, pattern=r"^[0-9]{6}$")
    size: EnterpriseSize | None = None
    address: str | None = pydantic.Field(default=None, max_length=300)
    active: bool | None = None


class EnterpriseRead(Schema):
    uscc: str
    name: str
    region_code: str
    size: EnterpriseSize | None
    address: str | None
    checksum_override_reason: str | None
    active: bool
    deactivated_at: datetime | None
    created_at: datetime
    updated_at: datetime


class ProductCreate(Schema):
    category_code: str = pydantic.Field(min_length=2, max_length=12)
    name: Label
    brand: str | None = pydantic.Field(default=None, max_length=100)
    model: str = pydantic.Field(min_length=1, max_length=200)  # blank → product.model_required
    standard: str | None = pydantic.Field(default=None, max_length=200)


class ProductUpdate(Schema):
    category_code: str | None = pydantic.Field(default=None, min_length=2, max_length=12)
    name: Label | None = None
    active: bool | None = None


class ProductRead(Schema):
    id: uuid.UUID
    enterprise_uscc: str
    category_code: str
    name: str
    brand: str | None
    model: str
    standard: str | None
    active: bool
    deactivated_at: datetime | None
    created_at: datetime
    updated_at: datetime
