"""Schemas shared by every resource: the keyset page and the enums of the directories."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Generic, TypeVar

from pydantic import AfterValidator, BaseModel, ConfigDict, StringConstraints, field_validator

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


def storable_text(value: str) -> str:
    """Refuse text PostgreSQL cannot store — NUL (U+0000) and lone surrogates (not encodable as
    UTF-8) — as bad input, before it reaches the database and fails there as a database error."""
    if "\x00" in value:
        raise ValueError("text must not contain NUL (U+0000) characters")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("text must be valid Unicode (no lone surrogates)") from None
    return value


def _storable_within(value: object) -> None:
    if isinstance(value, str):
        storable_text(value)
    elif isinstance(value, list | tuple | set | frozenset):
        for item in value:
            _storable_within(item)
    elif isinstance(value, dict):
        for key, item in value.items():
            _storable_within(key)
            _storable_within(item)


Text = Annotated[str, AfterValidator(storable_text)]
"""A string PostgreSQL can store, for path and query parameters; every `Schema` field gets the
same check."""


Label = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
"""A name or title: surrounding whitespace is dropped and what is left must not be blank."""

Note = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]
"""A stated reason: the same, longer."""


class Schema(BaseModel):
    """Base of request and response bodies: unknown fields are an error, not silently dropped,
    and all text in a body must be storable (no NUL, no lone surrogates)."""

    model_config = ConfigDict(from_attributes=True, extra="forbid")

    @field_validator("*", mode="after")
    @classmethod
    def _storable_text_only(cls, value: object) -> object:
        _storable_within(value)
        return value
