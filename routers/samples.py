"""What the assigned agency records on site: /tasks/{id}/sample and /tasks/{id}/refusal."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, status

from models.samples_api import RefusalCreate, RefusalRead, SampleCreate, SampleRead
from models.system import Role
from service import clock, refusals, samples
from service.auth import AgencyPrincipal, Principal, require_roles
from service.db import SessionDep, UnitOfWorkRoute

router = APIRouter(tags=["samples"], route_class=UnitOfWorkRoute)

# Only an agency samples; who reads a task's record is then bounded by task visibility.
FieldRecordReader = Annotated[
    Principal, require_roles(Role.ADMIN, Role.REGULATOR, Role.AGENCY, Role.ENTERPRISE)
]


@router.post("/tasks/{task_id}/sample", status_code=status.HTTP_201_CREATED)
async def register_sample(
    session: SessionDep, principal: AgencyPrincipal, task_id: uuid.UUID, body: SampleCreate
) -> SampleRead:
    sample = await samples.register_sample(session, principal, task_id, body, today=clock.today())
    return SampleRead.model_validate(sample)


@router.get("/tasks/{task_id}/sample")
async def get_sample(
    session: SessionDep, principal: FieldRecordReader, task_id: uuid.UUID
) -> SampleRead:
    return SampleRead.model_validate(await samples.get_sample(session, principal, task_id))


@router.post("/tasks/{task_id}/refusal", status_code=status.HTTP_201_CREATED)
async def record_refusal(
    session: SessionDep, principal: AgencyPrincipal, task_id: uuid.UUID, body: RefusalCreate
) -> RefusalRead:
    refusal = await refusals.record_refusal(session, principal, task_id, body, today=clock.today())
    return RefusalRead.model_validate(refusal)


@router.get("/tasks/{task_id}/refusal")
async def get_refusal(
    session: SessionDep, principal: FieldRecordReader, task_id: uuid.UUID
) -> RefusalRead:
    return RefusalRead.model_validate(await refusals.get_refusal(session, principal, task_id))
