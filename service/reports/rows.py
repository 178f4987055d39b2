"""The stored form of a report, shared by the original and the re-test writers."""

from __future__ import annotations

import uuid
from typing import Any

from models.reports_api import ReportKind
from service.reports.content import Content


def report_row(
    report_id: uuid.UUID, agency_id: uuid.UUID, sample_id: uuid.UUID, kind: ReportKind, c: Content
) -> dict[str, Any]:
    return {
        "id": report_id,
        "agency_id": agency_id,
        "report_number": c.report.report_number,
        "kind": kind.value,
        "sample_id": sample_id,
        "issued_on": c.report.issued_on,
        "verdict": c.verdict.value,
        "items": c.items,
        "document_sha256": c.document_sha256,
        "content_digest": c.digest,
    }


def report_state(row: dict[str, Any]) -> dict[str, Any]:
    """What the audit record of a report digests. The content digest stands for the items (it
    is computed over them): the record stays small and still pins down every item."""
    return {name: value for name, value in row.items() if name not in ("items", "created_at")}
