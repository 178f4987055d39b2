"""Results, objections and re-test orders: /results, /results/{id}, /results/{id}/objections,
/objections, /objections/{id}/decision, /retests."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, status

from models.common import Page, Text
from models.results import ResultState, Verdict
from models.results_api import (
    Decision,
    DecisionRead,
    ObjectionCreate,
    ObjectionRead,
    ObjectionState,
    ResultDetail,
    ResultRead,
    RetestRead,
    RetestState,
)
from routers.deps import PageDep
from service import clock, objections, results
from service.auth import CurrentPrincipal, EnterprisePrincipal, RegulatorPrincipal
from service.db import SessionDep, UnitOfWorkRoute

router = APIRouter(tags=["results"], route_class=UnitOfWorkRoute)


@router.get("/results", response_model=Page[ResultRead])
async def list_results(
    session: SessionDep,
    principal: CurrentPrincipal,
    page: PageDep,
    state: ResultState | None = None,
    verdict: Verdict | None = None,
    plan_id: uuid.UUID | None = None,
    enterprise_uscc: Annotated[Text | None, Query(min_length=1, max_length=40)] = None,
    category_code: Annotated[str | None, Query(pattern=r"^([0-9]{2}){1,6}$")] = None,
    region_code: Annotated[str | None, Query(pattern=r"^[0-9]{6}$")] = None,
) -> Page[ResultRead]:
    filters = results.ResultFilter(
        state, verdict, plan_id, enterprise_uscc, category_code, region_code
    )
    found = await results.list_results(session, principal, filters, page)
    return Page(
        items=[ResultRead.model_validate(r) for r in found.items], next_cursor=found.next_cursor
    )


@router.get("/results/{result_id}")
async def get_result(
    session: SessionDep, principal: CurrentPrincipal, result_id: uuid.UUID
) -> ResultDetail:
    result = await results.get_result(session, principal, result_id)
    return await results.result_detail(session, result)


@router.post("/results/{result_id}/objections", status_code=status.HTTP_201_CREATED)
async def file_objection(
    session: SessionDep, principal: EnterprisePrincipal, result_id: uuid.UUID, body: ObjectionCreate
) -> ObjectionRead:
    objection = await objections.file_objection(
        session, principal, result_id, body, today=clock.today()
    )
    return ObjectionRead.model_validate(objection)


@router.get("/objections", response_model=Page[ObjectionRead])
async def list_objections(
    session: SessionDep,
    principal: CurrentPrincipal,
    page: PageDep,
    state: ObjectionState | None = None,
    result_id: uuid.UUID | None = None,
) -> Page[ObjectionRead]:
    filters = objections.ObjectionFilter(state, result_id)
    found = await objections.list_objections(session, principal, filters, page)
    return Page(
        items=[ObjectionRead.model_validate(o) for o in found.items],
        next_cursor=found.next_cursor,
    )


@router.post("/objections/{objection_id}/decision")
async def decide_objection(
    session: SessionDep, principal: RegulatorPrincipal, objection_id: uuid.UUID, body: Decision
) -> DecisionRead:
    decided = await objections.decide(session, principal, objection_id, body, today=clock.today())
    retests = await results.retest_reads(session, [decided.retest] if decided.retest else [])
    return DecisionRead(
        objection=ObjectionRead.model_validate(decided.objection),
        result=ResultRead.model_validate(decided.result),
        retest=retests[0] if retests else None,
    )


@router.get("/retests", response_model=Page[RetestRead])
async def list_retests(
    session: SessionDep,
    principal: CurrentPrincipal,
    page: PageDep,
    state: RetestState | None = None,
    result_id: uuid.UUID | None = None,
) -> Page[RetestRead]:
    filters = results.RetestFilter(state, result_id)
    found = await results.list_retests(session, principal, filters, page)
    return Page(items=list(found.items), next_cursor=found.next_cursor)
