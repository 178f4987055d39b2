"""The department API of joint punishment (联合惩戒): /measures, /joint-punishment/list,
/changes, /check, /feedback, /overdue-lifts, and /me/checks (which departments checked the
caller's enterprise). Webhooks have their own router."""

from __future__ import annotations

import json
import uuid
from datetime import date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Response, status

from models.common import Page
from models.joint_punishment_api import (
    ChangeRead,
    ChangesPage,
    CheckRequest,
    CheckResult,
    DepartmentListPage,
    FeedbackCreate,
    FeedbackRead,
    MeasureRead,
    MyCheckRead,
    OverdueLiftRead,
)
from models.system import Role
from routers.deps import PageDep
from service import clock
from service.auth import (
    CurrentPrincipal,
    EnterprisePrincipal,
    Principal,
    RegulatorPrincipal,
    require_roles,
)
from service.config import get_settings
from service.db import SessionDep, UnitOfWorkRoute
from service.joint_punishment import changes, check, department_list, feedback, measures, overdue

router = APIRouter(tags=["joint-punishment"], route_class=UnitOfWorkRoute)

DepartmentReader = Annotated[Principal, require_roles(Role.ADMIN, Role.REGULATOR, Role.DEPARTMENT)]
DepartmentPrincipal = Annotated[Principal, require_roles(Role.DEPARTMENT)]
_limits = get_settings()


@router.get("/measures", response_model=Page[MeasureRead])
async def list_measures(session: SessionDep, principal: CurrentPrincipal) -> Page[MeasureRead]:
    """The whole catalogue (a few dozen measures at most), with each measure's legal basis and
    the kinds of department that apply it."""
    found = await measures.catalogue(session)
    return Page(items=[MeasureRead.model_validate(m) for m in found], next_cursor=None)


@router.get(
    "/joint-punishment/list",
    response_model=DepartmentListPage,
    responses={304: {"description": "The page is unchanged since the ETag sent"}},
)
async def list_active(
    session: SessionDep,
    principal: DepartmentReader,
    page: PageDep,
    response: Response,
    if_none_match: Annotated[str | None, Header(max_length=1024)] = None,
) -> DepartmentListPage | Response:
    """Active listings with the measures the caller's department applies, all pages pinned to
    the feed number of the first (`snapshot_seq`); then follow /joint-punishment/changes from
    it."""
    answer = await department_list.list_page(session, principal, page, if_none_match=if_none_match)
    headers = {"ETag": answer.etag, "Cache-Control": "private, no-cache"}
    if answer.items is None:
        return Response(status_code=status.HTTP_304_NOT_MODIFIED, headers=headers)
    response.headers.update(headers)
    return DepartmentListPage.model_validate(
        {
            "items": answer.items,
            "next_cursor": answer.next_cursor,
            "snapshot_seq": answer.snapshot_seq,
        }
    )


@router.get("/joint-punishment/changes")
async def list_changes(
    session: SessionDep,
    principal: DepartmentReader,
    since: Annotated[int, Query(ge=0, description="The last seq the client has applied")],
    limit: Annotated[int, Query(ge=1, le=_limits.page_limit_max)] = _limits.page_limit_default,
) -> ChangesPage:
    """Every listing, removal and update after `since`, by `seq`, without gaps. 410
    `changes.since_expired` when those changes are no longer kept: resync from the list; 422
    `changes.since_ahead` for a number the feed never gave out."""
    answer = await changes.changes_since(session, since, limit)
    return ChangesPage(
        items=[
            ChangeRead(
                seq=c.seq,
                kind=c.kind,
                at=c.at,
                listing_id=c.listing_id,
                uscc=c.enterprise_uscc,
                listing=c.payload,
            )
            for c in answer.items
        ],
        next_since=answer.next_since,
        head=answer.head,
    )


def _json_value(value: Any) -> str:
    if isinstance(value, date | datetime):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    raise TypeError(type(value))


@router.post(
    "/joint-punishment/check",
    response_model=CheckResult,
    responses={413: {"description": "More codes than one check may ask (`check.too_many`)"}},
)
async def check_usccs(
    session: SessionDep, principal: DepartmentReader, body: CheckRequest
) -> Response:
    """Which of the codes were listed on `as_of` (default today), with the measures the caller
    applies; malformed codes are reported in `invalid` and the rest answered. Logged: the
    enterprise sees the check under /me/checks. Needs a key with a department."""
    answer = await check.check(session, principal, body, today=clock.today())
    # Up to 10,000 hits: serialised directly rather than validated through the response model.
    content = {
        "as_of": answer.as_of,
        "asked": answer.asked,
        "hits": answer.hits,
        "invalid": answer.invalid,
        "check_id": answer.check_id,
    }
    return Response(
        json.dumps(content, ensure_ascii=False, default=_json_value, separators=(",", ":")),
        media_type="application/json",
    )


@router.get("/me/checks", response_model=Page[MyCheckRead])
async def my_checks(
    session: SessionDep, principal: EnterprisePrincipal, page: PageDep
) -> Page[MyCheckRead]:
    """Which departments checked the caller's enterprise against the blacklist, newest first."""
    items, next_cursor = await check.my_checks(session, principal, page)
    return Page(items=[MyCheckRead.model_validate(i) for i in items], next_cursor=next_cursor)


@router.post(
    "/joint-punishment/feedback",
    status_code=status.HTTP_201_CREATED,
    responses={200: {"description": "The same report was posted before: the original"}},
)
async def post_feedback(
    session: SessionDep, principal: DepartmentPrincipal, body: FeedbackCreate, response: Response
) -> FeedbackRead:
    """The caller's department reports a measure applied, not applicable, or lifted."""
    posted = await feedback.post_feedback(session, principal, body, today=clock.today())
    if not posted.created:
        response.status_code = status.HTTP_200_OK
    return FeedbackRead.model_validate(posted.feedback)


@router.get("/joint-punishment/feedback", response_model=Page[FeedbackRead])
async def list_feedback(
    session: SessionDep,
    principal: DepartmentReader,
    page: PageDep,
    listing_id: uuid.UUID | None = None,
) -> Page[FeedbackRead]:
    """Reports on measures: regulators those in their region, a department its own."""
    found = await feedback.list_feedback(session, principal, listing_id, page)
    return Page(
        items=[FeedbackRead.model_validate(f) for f in found.items],
        next_cursor=found.next_cursor,
    )


@router.get("/joint-punishment/overdue-lifts", response_model=Page[OverdueLiftRead])
async def list_overdue_lifts(
    session: SessionDep, principal: RegulatorPrincipal, page: PageDep
) -> Page[OverdueLiftRead]:
    """Measures applied to a removed listing and not reported lifted by the due day, for
    enterprises in the regulator's region."""
    items, next_cursor = await overdue.overdue_lifts(session, principal, page, today=clock.today())
    return Page(items=[OverdueLiftRead.model_validate(i) for i in items], next_cursor=next_cursor)
