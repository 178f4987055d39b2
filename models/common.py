"""Schemas shared by every resource: the keyset page and the enums of the directories."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Generic, TypeVar

from pydantic import AfterValidator, BaseModel, ConfigDict, field_validator

T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None


class RegionLevel(StrEnum):
    NATIONAL = "national"
    PROVINCE = "province"
    PREFECTURE = "prefecture"
    COUNTY = "county"


class DepartmentLevel(StrEnum):
    NATIONAL = "national"
    PROVINCIAL = "provincial"
    MUNICIPAL = "municipal"
    COUNTY = "county"


class PlanKind(StrEnum):
    ROUTINE = "routine"
    SPECIAL = "special"
    FOLLOW_UP = "follow_up"
    EMERGENCY = "emergency"


class EnterpriseSize(StrEnum):
    LARGE = "large"
    MEDIUM = "medium"
    SMALL = "small"
    MICRO = "micro"


def reject_nul(value: str) -> str:
    """PostgreSQL `text` cannot hold U+0000: refuse it as bad input before it reaches the
    database (where it would fail the whole request as a database error)."""
    if "\x00" in value:
        raise ValueError("text must not contain NUL (U+0000) characters")
    return value


def _reject_nul_within(value: object) -> None:
    if isinstance(value, str):
        reject_nul(value)
    elif isinstance(value, list | tuple | set | frozenset):
        for item in value:
            _reject_nul_within(item)
    elif isinstance(value, dict):
        for key, item in value.items():
            _reject_nul_within(key)
            _reject_nul_within(item)


Text = Annotated[str, AfterValidator(reject_nul)]
"""A string without NUL characters, for path and query parameters; every `Schema` field gets the
same check."""


class Schema(BaseModel):
    """Base of request and response bodies: unknown fields are an error, not silently dropped,
    and no text anywhere in a body may contain a NUL character."""

    model_config = ConfigDict(from_attributes=True, extra="forbid")

    @field_validator("*", mode="after")
    @classmethod
    def _no_nul_characters(cls, value: object) -> object:
        _reject_nul_within(value)
        return value
