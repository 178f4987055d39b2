"""Inspectors (执法检查人员名录库) and their declared conflicts of interest."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, status

from models.agency import ConflictCreate, InspectorCreate, InspectorRead, InspectorUpdate
from models.common import Page, Text
from routers.deps import PageDep
from service.auth import RegulatorPrincipal
from service.db import SessionDep, UnitOfWorkRoute
from service.directory import inspectors

router = APIRouter(tags=["inspectors"], route_class=UnitOfWorkRoute)


@router.get("/inspectors", response_model=Page[InspectorRead])
async def list_inspectors(
    session: SessionDep,
    principal: RegulatorPrincipal,
    page: PageDep,
    department_code: Annotated[Text | None, Query(max_length=40)] = None,
    speciality: Annotated[str | None, Query(pattern=r"^([0-9]{2})+$")] = None,
    active: bool | None = None,
) -> Page[InspectorRead]:
    filters = inspectors.InspectorFilter(department_code, speciality, active)
    result = await inspectors.list_inspectors(session, principal, filters, page)
    return Page(
        items=await inspectors.inspector_reads(session, result.items),
        next_cursor=result.next_cursor,
    )


@router.post("/inspectors", status_code=status.HTTP_201_CREATED)
async def create_inspector(
    session: SessionDep, principal: RegulatorPrincipal, body: InspectorCreate
) -> InspectorRead:
    inspector = await inspectors.create_inspector(session, principal, body)
    return await inspectors.inspector_read(session, inspector)


@router.get("/inspectors/{inspector_id}")
async def get_inspector(
    session: SessionDep, principal: RegulatorPrincipal, inspector_id: uuid.UUID
) -> InspectorRead:
    inspector = await inspectors.get_inspector(session, principal, inspector_id)
    return await inspectors.inspector_read(session, inspector)


@router.patch("/inspectors/{inspector_id}")
async def update_inspector(
    session: SessionDep,
    principal: RegulatorPrincipal,
    inspector_id: uuid.UUID,
    body: InspectorUpdate,
) -> InspectorRead:
    inspector = await inspectors.update_inspector(session, principal, inspector_id, body)
    return await inspectors.inspector_read(session, inspector)


@router.post("/inspectors/{inspector_id}/conflicts", status_code=status.HTTP_201_CREATED)
async def declare_conflict(
    session: SessionDep,
    principal: RegulatorPrincipal,
    inspector_id: uuid.UUID,
    body: ConflictCreate,
) -> InspectorRead:
    inspector = await inspectors.declare_conflict(session, principal, inspector_id, body)
    return await inspectors.inspector_read(session, inspector)
