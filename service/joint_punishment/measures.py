"""The measures catalogue and which of its measures a caller's department applies."""

from __future__ import annotations

from collections.abc import Sequence

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models.blacklist import Measure
from models.reference import Department
from service.auth import Principal
from service.errors import Forbidden


async def catalogue(session: AsyncSession) -> Sequence[Measure]:
    return (
        await session.exec(select(Measure).where(col(Measure.active)).order_by(Measure.code))
    ).all()


async def department_of(session: AsyncSession, principal: Principal) -> Department:
    """The caller's department: the key's own. Admin keys have none."""
    department = (
        await session.get(Department, principal.department_code)
        if principal.department_code is not None
        else None
    )
    if department is None:
        raise Forbidden(
            "joint_punishment.department_required",
            "this needs a key of a department (or of a regulator, for its own department)",
        )
    return department


async def measures_for(session: AsyncSession, principal: Principal) -> list[Measure]:
    """The catalogue measures the caller's department applies. An admin key, which stands for
    no department, sees every measure."""
    measures = await catalogue(session)
    if principal.department_code is None:
        return list(measures)
    department = await department_of(session, principal)
    return [m for m in measures if department.kind in m.department_kinds]


def measure_refs(measures: Sequence[Measure]) -> list[dict[str, str]]:
    return [{"code": m.code, "name": m.name, "legal_basis": m.legal_basis} for m in measures]
