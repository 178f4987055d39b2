"""Quality-credit files: /enterprises/{uscc}/credit (regulators, departments),
/enterprises/{uscc}/credit-events, /enterprises/{uscc}/credit-report (PDF), /me/credit (the
enterprise's own key), /public/enterprises/{uscc} (no key), and credit objections
(/credit-events/{id}/objections, /credit-objections…)."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from models.common import Page, Text
from models.credit import (
    CreditEventCreate,
    CreditEventRead,
    CreditFileRead,
    CreditObjectionCreate,
    CreditObjectionDecision,
    CreditObjectionRead,
    MyCreditRead,
    ObjectionState,
    PublicEnterpriseRead,
)
from models.system import Role
from routers.deps import PageDep
from service import clock
from service.auth import EnterprisePrincipal, Principal, RegulatorPrincipal, require_roles
from service.credit import events, file, file_document, objections, report_pdf
from service.db import SessionDep, UnitOfWorkRoute

router = APIRouter(tags=["credit"], route_class=UnitOfWorkRoute)

CreditPoster = Annotated[Principal, require_roles(Role.ADMIN, Role.REGULATOR, Role.DEPARTMENT)]
# Enterprise keys are admitted to the readers so that another enterprise's file is a 404 (like an
# unknown code) rather than a 403 that would confirm it exists.
CreditReader = Annotated[
    Principal, require_roles(Role.ADMIN, Role.REGULATOR, Role.DEPARTMENT, Role.ENTERPRISE)
]
ObjectionReader = Annotated[Principal, require_roles(Role.ADMIN, Role.REGULATOR, Role.ENTERPRISE)]
AsOf = Annotated[
    date | None,
    Query(description="The file, score and grade as recorded on this day (default: today)"),
]


@router.get("/enterprises/{uscc}/credit", response_model=CreditFileRead)
async def get_credit_file(
    session: SessionDep, principal: CreditReader, uscc: Text, as_of: AsOf = None
) -> Response:
    """The full credit file: events, score and its explanation, grade, listing status and the
    internal risk class. Enterprise keys: 404 for another enterprise, 403 for their own (their
    view without the risk class is /me/credit)."""
    document = await file_document.credit_file_json(
        session, principal, uscc, as_of=as_of, today=clock.today()
    )
    return Response(document, media_type="application/json")


@router.post(
    "/enterprises/{uscc}/credit-events",
    status_code=status.HTTP_201_CREATED,
    responses={200: {"description": "The reference was posted before: the original event"}},
)
async def post_credit_event(
    session: SessionDep,
    principal: CreditPoster,
    uscc: Text,
    body: CreditEventCreate,
    response: Response,
) -> CreditEventRead:
    posted = await events.post_event(session, principal, uscc, body, today=clock.today())
    if not posted.created:
        response.status_code = status.HTTP_200_OK
    return file.event_read(posted.event, clock.today())


@router.get(
    "/enterprises/{uscc}/credit-report",
    response_class=Response,
    responses={200: {"content": {"application/pdf": {}}, "description": "The report (PDF)"}},
)
async def get_credit_report(
    session: SessionDep, principal: CreditReader, uscc: Text, as_of: AsOf = None
) -> Response:
    """The printable credit report (Chinese font embedded): the file, grade and explanation.
    An enterprise key gets its own only."""
    number, pdf = await report_pdf.credit_report(
        session, principal, uscc, as_of=as_of, today=clock.today()
    )
    return Response(
        pdf,
        media_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="credit-report-{number}.pdf"'},
    )


@router.get("/me/credit")
async def get_my_credit(
    session: SessionDep, principal: EnterprisePrincipal, as_of: AsOf = None
) -> MyCreditRead:
    """The caller's own credit file — without the internal risk class — with its pending
    deadlines and whether it can apply for credit repair."""
    return await file.my_credit(session, principal, as_of=as_of, today=clock.today())


@router.get("/public/enterprises/{uscc}")
async def get_public_enterprise(
    session: SessionDep, uscc: Text, as_of: AsOf = None
) -> PublicEnterpriseRead:
    """Name, grade and the public events inside their publication period."""
    return await file.public_enterprise(session, uscc, as_of=as_of, today=clock.today())


@router.post("/credit-events/{event_id}/objections", status_code=status.HTTP_201_CREATED)
async def file_credit_objection(
    session: SessionDep,
    principal: EnterprisePrincipal,
    event_id: uuid.UUID,
    body: CreditObjectionCreate,
) -> CreditObjectionRead:
    """The enterprise disputes one of its own credit events (信用异议)."""
    objection = await objections.file_objection(
        session, principal, event_id, body, today=clock.today()
    )
    return CreditObjectionRead.model_validate(objection)


@router.get("/credit-objections", response_model=Page[CreditObjectionRead])
async def list_credit_objections(
    session: SessionDep,
    principal: ObjectionReader,
    page: PageDep,
    state: ObjectionState | None = None,
    enterprise_uscc: Annotated[Text | None, Query(min_length=1, max_length=40)] = None,
) -> Page[CreditObjectionRead]:
    filters = objections.ObjectionFilter(state, enterprise_uscc)
    found = await objections.list_objections(session, principal, filters, page)
    return Page(
        items=[CreditObjectionRead.model_validate(o) for o in found.items],
        next_cursor=found.next_cursor,
    )


@router.get("/credit-objections/{objection_id}")
async def get_credit_objection(
    session: SessionDep, principal: ObjectionReader, objection_id: uuid.UUID
) -> CreditObjectionRead:
    objection = await objections.get_objection(session, principal, objection_id)
    return CreditObjectionRead.model_validate(objection)


@router.post("/credit-objections/{objection_id}/decision")
async def decide_credit_objection(
    session: SessionDep,
    principal: RegulatorPrincipal,
    objection_id: uuid.UUID,
    body: CreditObjectionDecision,
) -> CreditObjectionRead:
    """Uphold the event, or correct it: a corrected event stops counting and the score is
    recomputed at once."""
    objection = await objections.decide(session, principal, objection_id, body, today=clock.today())
    return CreditObjectionRead.model_validate(objection)
