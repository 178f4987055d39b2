"""Sampling tasks (抽查任务). Nobody may tell an enterprise it was drawn before sampling (Order 18
§14): until a task is sampled (or refused) only the organiser and the assigned agency see it;
afterwards the enterprise sees its own tasks and superior regulators see those organised inside
their region."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession
from sqlmodel.sql.expression import SelectOfScalar

from models.plan import Plan, SamplingTask, TaskState
from models.reference import Department
from models.system import Role
from service.auth import Principal
from service.directory.reference import regions_inside
from service.errors import NotFound
from service.pagination import PageRequest, PageResult, keyset_page

# The states in which the enterprise has met the samplers: the task is no longer a secret.
DISCLOSED_STATES = (TaskState.SAMPLED.value, TaskState.REFUSED.value)


def readable_tasks(principal: Principal) -> SelectOfScalar[SamplingTask]:
    """The one place that bounds task visibility."""
    statement = select(SamplingTask)
    disclosed = col(SamplingTask.state).in_(DISCLOSED_STATES)
    if principal.role is Role.ADMIN:
        return statement
    if principal.role is Role.AGENCY:
        return statement.where(col(SamplingTask.agency_id) == principal.agency_id)
    if principal.role is Role.ENTERPRISE:
        return statement.where(
            col(SamplingTask.enterprise_uscc) == principal.enterprise_uscc, disclosed
        )
    if principal.role is Role.REGULATOR:
        organised = select(Plan.id).where(col(Plan.department_code) == principal.department_code)
        organised_below = (
            select(Plan.id)
            .join(Department, col(Department.code) == col(Plan.department_code))
            .where(col(Department.region_code).in_(regions_inside(principal.region_path)))
        )
        return statement.where(
            col(SamplingTask.plan_id).in_(organised)
            | (col(SamplingTask.plan_id).in_(organised_below) & disclosed)
        )
    return statement.where(col(SamplingTask.id).is_(None))


async def get_task(session: AsyncSession, principal: Principal, task_id: uuid.UUID) -> SamplingTask:
    task = (
        await session.exec(readable_tasks(principal).where(col(SamplingTask.id) == task_id))
    ).first()
    if task is None:
        # Same answer for "hidden" and "absent": a task's existence is itself confidential.
        raise NotFound("task.not_found", f"no task {task_id}")
    return task


@dataclass(frozen=True)
class TaskFilter:
    plan_id: uuid.UUID | None = None
    state: TaskState | None = None


async def list_tasks(
    session: AsyncSession, principal: Principal, filters: TaskFilter, page: PageRequest
) -> PageResult[SamplingTask]:
    statement = readable_tasks(principal)
    if filters.plan_id is not None:
        statement = statement.where(col(SamplingTask.plan_id) == filters.plan_id)
    if filters.state is not None:
        statement = statement.where(col(SamplingTask.state) == filters.state.value)
    return await keyset_page(session, statement, SamplingTask.id, page)  # type: ignore[arg-type]
