"""Reference directories: regions (GB/T 2260), product categories and departments."""

from __future__ import annotations

from datetime import datetime

import pydantic
from sqlalchemy import CheckConstraint
from sqlmodel import Field, SQLModel

from models.base import created_at_field
from models.common import DepartmentLevel, Label, RegionLevel, Schema


class Region(SQLModel, table=True):
    """行政区划. `path` lists the codes from the national root down to this region, joined by
    '/', so that "inside region X" is one prefix comparison."""

    __tablename__ = "regions"
    __table_args__ = (
        CheckConstraint("code ~ '^[0-9]{6}$'", name="code_format"),
        CheckConstraint("level IN ('national', 'province', 'prefecture', 'county')", name="level"),
    )

    code: str = Field(primary_key=True, max_length=6)
    name: str
    level: str
    parent_code: str | None = Field(default=None, foreign_key="regions.code", index=True)
    path: str = Field(index=True)
    active: bool = True


class ProductCategory(SQLModel, table=True):
    """产品类别, with codes whose prefixes are their ancestors (01 → 0101 → 010101)."""

    __tablename__ = "product_categories"
    __table_args__ = (CheckConstraint("code ~ '^([0-9]{2})+$'", name="code_format"),)

    code: str = Field(primary_key=True, max_length=12)
    name: str
    parent_code: str | None = Field(default=None, foreign_key="product_categories.code", index=True)
    active: bool = True


class Department(SQLModel, table=True):
    """A government department: a market-regulation bureau that organises sampling and lists
    enterprises, or a department that consumes the lists (发改, 财政, 住建, 人民银行 …)."""

    __tablename__ = "departments"
    __table_args__ = (
        CheckConstraint("level IN ('national', 'provincial', 'municipal', 'county')", name="level"),
        CheckConstraint("code ~ '^[a-z]+-[0-9]{6}$'", name="code_format"),
    )

    code: str = Field(primary_key=True, max_length=40)
    name: str
    kind: str
    level: str
    region_code: str = Field(foreign_key="regions.code", index=True)
    is_market_regulator: bool
    active: bool = True
    created_at: datetime = created_at_field()


class RegionRead(Schema):
    code: str
    name: str
    level: RegionLevel
    parent_code: str | None
    active: bool


class CategoryRead(Schema):
    code: str
    name: str
    parent_code: str | None
    active: bool


class DepartmentCreate(Schema):
    code: str = pydantic.Field(pattern=r"^[a-z]+-[0-9]{6}$", max_length=40)
    name: Label
    level: DepartmentLevel
    is_market_regulator: bool


class DepartmentUpdate(Schema):
    name: Label | None = None
    active: bool | None = None


class DepartmentRead(Schema):
    code: str
    name: str
    kind: str
    level: DepartmentLevel
    region_code: str
    is_market_regulator: bool
    active: bool
