"""Inspectors (执法检查人员名录库): enforcement staff of market-regulation departments, with
their certificates, specialities and declared conflicts of interest (回避)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession
from sqlmodel.sql.expression import SelectOfScalar

from models.agency import (
    ConflictCreate,
    ConflictRead,
    Inspector,
    InspectorConflict,
    InspectorCreate,
    InspectorRead,
    InspectorUpdate,
)
from models.base import utcnow
from models.enterprise import Enterprise
from models.reference import Department
from models.system import Role
from service import audit
from service.auth import Principal
from service.directory.enterprises import ensure_can_write_in
from service.directory.reference import regions_inside, require_categories, require_region
from service.errors import Conflict, InvalidInput, NotFound
from service.pagination import PageRequest, PageResult, keyset_page
from service.uscc import normalise_uscc


def readable_inspectors(principal: Principal) -> SelectOfScalar[Inspector]:
    """The one place that bounds the roster a principal reads: a regulator sees the inspectors of
    departments inside its region."""
    statement = select(Inspector)
    if principal.role is not Role.ADMIN:
        inside = select(Department.code).where(
            col(Department.region_code).in_(regions_inside(principal.region_path))
        )
        statement = statement.where(col(Inspector.department_code).in_(inside))
    return statement


async def inspector_read(session: AsyncSession, inspector: Inspector) -> InspectorRead:
    conflicts = (
        await session.exec(
            select(InspectorConflict)
            .where(col(InspectorConflict.inspector_id) == inspector.id)
            .order_by(col(InspectorConflict.declared_at))
        )
    ).all()
    return InspectorRead.model_validate(
        {**inspector.model_dump(), "conflicts": [ConflictRead.model_validate(c) for c in conflicts]}
    )


async def inspector_reads(
    session: AsyncSession, inspectors: Sequence[Inspector]
) -> list[InspectorRead]:
    """Read models for a page of inspectors, their conflicts fetched in one query."""
    ids = [i.id for i in inspectors]
    by_inspector: dict[uuid.UUID, list[ConflictRead]] = {i: [] for i in ids}
    if ids:
        rows = await session.exec(
            select(InspectorConflict)
            .where(col(InspectorConflict.inspector_id).in_(ids))
            .order_by(col(InspectorConflict.declared_at))
        )
        for conflict in rows:
            by_inspector[conflict.inspector_id].append(ConflictRead.model_validate(conflict))
    return [
        InspectorRead.model_validate({**i.model_dump(), "conflicts": by_inspector[i.id]})
        for i in inspectors
    ]


def _state(inspector: Inspector) -> dict[str, object]:
    return inspector.model_dump(mode="json", exclude={"created_at", "updated_at"})


async def get_inspector(
    session: AsyncSession, principal: Principal, inspector_id: uuid.UUID
) -> Inspector:
    inspector = (
        await session.exec(readable_inspectors(principal).where(col(Inspector.id) == inspector_id))
    ).first()
    if inspector is None:
        raise NotFound("inspector.not_found", f"no inspector {inspector_id}")
    return inspector


@dataclass(frozen=True)
class InspectorFilter:
    department_code: str | None = None
    speciality: str | None = None
    active: bool | None = None


async def list_inspectors(
    session: AsyncSession, principal: Principal, filters: InspectorFilter, page: PageRequest
) -> PageResult[Inspector]:
    statement = readable_inspectors(principal)
    if filters.department_code is not None:
        statement = statement.where(col(Inspector.department_code) == filters.department_code)
    if filters.speciality is not None:
        statement = statement.where(col(Inspector.specialities).any_() == filters.speciality)
    if filters.active is not None:
        statement = statement.where(col(Inspector.active) == filters.active)
    return await keyset_page(session, statement, Inspector.id, page)  # type: ignore[arg-type]


async def _writable_department(
    session: AsyncSession, principal: Principal, code: str
) -> Department:
    department = await session.get(Department, code)
    if department is None:
        raise InvalidInput("department.unknown", f"no department {code}")
    if not department.is_market_regulator:
        raise InvalidInput(
            "inspector.department_not_regulator",
            f"{code} is not a market-regulation department and has no inspectors",
        )
    await ensure_can_write_in(
        session, principal, await require_region(session, department.region_code)
    )
    return department


async def create_inspector(
    session: AsyncSession, principal: Principal, data: InspectorCreate
) -> Inspector:
    department = await _writable_department(session, principal, data.department_code)
    if data.specialities:
        await require_categories(session, data.specialities)
    certificate = data.certificate_number.strip().upper()
    taken = (
        await session.exec(
            select(Inspector.id).where(col(Inspector.certificate_number) == certificate)
        )
    ).first()
    if taken is not None:
        raise Conflict("inspector.certificate_exists", f"certificate {certificate} is registered")
    inspector = Inspector(
        name=data.name.strip(),
        department_code=department.code,
        certificate_number=certificate,
        specialities=sorted(set(data.specialities)),
    )
    session.add(inspector)
    await session.flush()
    audit.record(
        session,
        actor=principal.actor,
        action="inspector.create",
        entity_type="inspector",
        entity_id=str(inspector.id),
        state=_state(inspector),
    )
    return inspector


async def update_inspector(
    session: AsyncSession, principal: Principal, inspector_id: uuid.UUID, data: InspectorUpdate
) -> Inspector:
    changes = data.model_dump(exclude_unset=True)
    if not changes:
        raise InvalidInput("request.empty_update", "the update changes nothing")
    inspector = await get_inspector(session, principal, inspector_id)
    await _writable_department(session, principal, inspector.department_code)
    if data.specialities is not None:
        await require_categories(session, data.specialities)
        inspector.specialities = sorted(set(data.specialities))
    if data.name is not None:
        inspector.name = data.name.strip()
    if data.active is not None and data.active != inspector.active:
        inspector.active = data.active
        inspector.deactivated_at = None if data.active else utcnow()
    inspector.updated_at = utcnow()
    await session.flush()
    audit.record(
        session,
        actor=principal.actor,
        action="inspector.update",
        entity_type="inspector",
        entity_id=str(inspector.id),
        state=_state(inspector),
    )
    return inspector


async def declare_conflict(
    session: AsyncSession, principal: Principal, inspector_id: uuid.UUID, data: ConflictCreate
) -> Inspector:
    inspector = await get_inspector(session, principal, inspector_id)
    await _writable_department(session, principal, inspector.department_code)
    uscc = normalise_uscc(data.enterprise_uscc)
    if await session.get(Enterprise, uscc) is None:
        raise InvalidInput("enterprise.unknown", f"no enterprise {uscc}")
    exists = (
        await session.exec(
            select(InspectorConflict.id).where(
                col(InspectorConflict.inspector_id) == inspector.id,
                col(InspectorConflict.enterprise_uscc) == uscc,
            )
        )
    ).first()
    if exists is not None:
        raise Conflict("inspector.conflict_exists", f"the conflict with {uscc} is declared")
    conflict = InspectorConflict(
        inspector_id=inspector.id, enterprise_uscc=uscc, reason=data.reason.strip()
    )
    session.add(conflict)
    await session.flush()
    audit.record(
        session,
        actor=principal.actor,
        action="inspector.conflict_declared",
        entity_type="inspector",
        entity_id=str(inspector.id),
        state={"enterprise_uscc": uscc, "reason": conflict.reason},
    )
    return inspector
