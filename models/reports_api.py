"""Request and response bodies of test reports (检验报告): one report, a batch of them, and the
per-item answer of a batch. The tables are in `models.results`; the shorter report view that
results embed is `models.results_api.ReportRead`."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Any

import pydantic
from pydantic import StringConstraints, WithJsonSchema, field_validator

from models.common import Schema
from models.results import Verdict

# One item verdict and one stored-item shape for the whole API: the result views embed reports.
from models.results_api import ItemVerdict, ReportItemRead


class Severity(StrEnum):
    """How grave a failing item is (严重 / 一般); credit scoring weighs serious ones more."""

    SERIOUS = "serious"
    GENERAL = "general"


class ReportKind(StrEnum):
    ORIGINAL = "original"
    RETEST = "retest"


# Text PostgreSQL can store (see `models.common.storable_text`), checked natively: the pattern
# refuses NUL, and pydantic-core itself refuses strings with lone surrogates.
_NO_NUL = r"^[^\x00]*$"


def _text(min_length: int, max_length: int) -> StringConstraints:
    return StringConstraints(
        strip_whitespace=True, min_length=min_length, max_length=max_length, pattern=_NO_NUL
    )


ItemText = Annotated[str, _text(1, 200)]
Requirement = Annotated[str, _text(1, 500)]
ReportNumber = Annotated[str, _text(1, 64)]
MeasuredValue = Annotated[str, _text(1, 200)]
Unit = Annotated[str, _text(0, 40)]

MAX_ITEMS = 500


class _NativelyStorable(Schema):
    """Bodies that need not run the base class's storability check, a Python call per field (a
    batch of a thousand reports of ten items would make eighty thousand): requests whose text
    fields all check it natively (`_text`), and responses (what we stored is storable)."""

    @field_validator("*", mode="after")
    @classmethod
    def _storable_text_only(cls, value: object) -> object:
        return value


class ReportItemIn(_NativelyStorable):
    name: ItemText
    standard_clause: ItemText
    requirement: Requirement
    measured_value: MeasuredValue = pydantic.Field(
        description="As printed in the report; when it is a number, `unit` is required"
    )
    unit: Unit | None = None
    verdict: ItemVerdict
    severity: Severity | None = pydantic.Field(
        default=None, description="Required for a failing item, not allowed for a passing one"
    )


class ReportIn(_NativelyStorable):
    """A test report. Give `task_id` for the original report of a sampling task, or `retest_id`
    for the report of a re-test (复检) — exactly one."""

    task_id: uuid.UUID | None = None
    retest_id: uuid.UUID | None = None
    report_number: ReportNumber = pydantic.Field(description="Unique per agency")
    issued_on: date
    verdict: Verdict | None = pydantic.Field(
        default=None,
        description="Optional: the verdict is derived from the items (nonconforming iff one "
        "fails); a posted verdict must agree with them",
    )
    document_sha256: str | None = pydantic.Field(
        default=None, pattern=r"^[0-9a-fA-F]{64}$", description="SHA-256 of the report document"
    )
    items: list[ReportItemIn] = pydantic.Field(min_length=1, max_length=MAX_ITEMS)


class ReportBatchIn(_NativelyStorable):
    # Validated item by item by the service (as `ReportIn`, text checks included), so that one
    # malformed report is refused alone instead of refusing the whole batch; documented as what
    # each item must be.
    reports: Annotated[
        list[Any],
        WithJsonSchema(
            {
                "type": "array",
                "items": {"$ref": "#/components/schemas/ReportIn"},
                "description": "At most 1,000 reports, answered item by item in order",
            }
        ),
    ]


class ReportDetail(Schema):
    """A test report with what it reports on: the task, the re-test (for a re-test report) and
    the result it belongs to."""

    id: uuid.UUID
    kind: ReportKind
    agency_id: uuid.UUID
    report_number: str
    task_id: uuid.UUID
    retest_id: uuid.UUID | None
    result_id: uuid.UUID | None
    sample_id: uuid.UUID
    issued_on: date
    verdict: Verdict
    items: list[ReportItemRead]
    document_sha256: str | None
    content_digest: str
    created_at: datetime


class BatchItemResult(_NativelyStorable):
    """The answer for one report of a batch: `status` 201 (stored), 200 (an identical report
    was already stored: `id` is that one) or the 4xx a single POST would have answered, with
    its `code` and `detail` (and `errors` when the item did not match the schema)."""

    index: int
    status: int
    id: uuid.UUID | None = None
    code: str | None = None
    detail: str | None = None
    errors: list[dict[str, Any]] | None = None


class ReportBatchRead(_NativelyStorable):
    items: list[BatchItemResult]
    created: int
    existing: int
    refused: int
