"""Test reports: POST /reports (one), POST /reports:batch (up to 1,000, answered item by item),
GET /reports/{id}."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Annotated, Any

from fastapi import APIRouter, Response, status

from models.reports_api import (
    BatchItemResult,
    ReportBatchIn,
    ReportBatchRead,
    ReportDetail,
    ReportIn,
)
from models.system import Role
from service import clock, reports
from service.auth import Principal, require_roles
from service.config import get_settings
from service.db import SessionDep, UnitOfWorkRoute

router = APIRouter(tags=["reports"], route_class=UnitOfWorkRoute)

AgencyPrincipal = Annotated[Principal, require_roles(Role.AGENCY)]
ReportReader = Annotated[Principal, require_roles(Role.ADMIN, Role.REGULATOR, Role.AGENCY)]

# Route options are fixed when the module is imported, like the page limits in routers.deps.
# A full batch (1,000 reports of up to 500 items) is far beyond the ordinary body limit.
_MAX_BATCH_BYTES = get_settings().max_import_bytes

_REPOSTED: dict[int | str, dict[str, Any]] = {
    200: {"model": ReportDetail, "description": "An identical re-post: the report already stored"},
}


@router.post("/reports", status_code=status.HTTP_201_CREATED, responses=_REPOSTED)
async def post_report(
    session: SessionDep, principal: AgencyPrincipal, body: ReportIn, response: Response
) -> ReportDetail:
    """Post a test report: 201 when stored, 200 with the stored one when it is an identical
    re-post."""
    report, created = await reports.post_report(session, principal, body, today=clock.today())
    if not created:
        response.status_code = status.HTTP_200_OK
    return report


def _batch_read(outcomes: Sequence[reports.ItemOutcome]) -> ReportBatchRead:
    items = []
    for outcome in outcomes:
        if outcome.error is not None:
            error = outcome.error
            errors = error.extra.get("errors")
            items.append(
                BatchItemResult(
                    index=outcome.index,
                    status=error.status,
                    code=error.code,
                    detail=error.detail,
                    errors=errors if isinstance(errors, list) else None,
                )
            )
        else:
            code = status.HTTP_201_CREATED if outcome.created else status.HTTP_200_OK
            items.append(BatchItemResult(index=outcome.index, status=code, id=outcome.report_id))
    return ReportBatchRead(
        items=items,
        created=sum(1 for o in outcomes if o.created),
        existing=sum(1 for o in outcomes if o.error is None and not o.created),
        refused=sum(1 for o in outcomes if o.error is not None),
    )


@router.post("/reports:batch", max_body_size=_MAX_BATCH_BYTES, response_model_exclude_none=True)
async def post_reports_batch(
    session: SessionDep, principal: AgencyPrincipal, body: ReportBatchIn
) -> ReportBatchRead:
    """Post up to 1,000 reports. Each is answered in order with the status a single POST would
    have had; refused items store nothing and do not stop the others."""
    outcomes = await reports.post_batch(session, principal, body.reports, today=clock.today())
    return _batch_read(outcomes)


@router.get("/reports/{report_id}")
async def get_report(
    session: SessionDep, principal: ReportReader, report_id: uuid.UUID
) -> ReportDetail:
    return await reports.get_report(session, principal, report_id)
