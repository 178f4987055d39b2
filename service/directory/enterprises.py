"""Enterprises (企业名录库), keyed by 统一社会信用代码, and who may see or change which."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession
from sqlmodel.sql.expression import SelectOfScalar

from models.base import utcnow
from models.common import EnterpriseSize
from models.enterprise import Enterprise, EnterpriseCreate, EnterpriseRead, EnterpriseUpdate
from models.reference import Region
from models.system import Role
from service import audit
from service.auth import Principal
from service.directory.reference import regions_inside, require_region
from service.errors import Conflict, Forbidden, InvalidInput, NotFound
from service.pagination import PageRequest, PageResult, keyset_page
from service.uscc import Uscc, normalise_uscc, parse_uscc

REGULATING_ROLES = (Role.ADMIN, Role.REGULATOR)


def readable_enterprises(principal: Principal) -> SelectOfScalar[Enterprise]:
    """The one place that bounds which enterprises a principal can read: an enterprise sees only
    itself; regulators, agencies and departments read the whole directory (sampling in
    circulation crosses regions)."""
    statement = select(Enterprise)
    if principal.role is Role.ENTERPRISE:
        statement = statement.where(col(Enterprise.uscc) == principal.enterprise_uscc)
    return statement


async def ensure_can_write_in(session: AsyncSession, principal: Principal, region: Region) -> None:
    """Directory writes: admins anywhere, regulators inside their department's region."""
    if principal.role not in REGULATING_ROLES:
        raise Forbidden("auth.role_forbidden", "only regulators change the directory")
    if not principal.covers_region(region.path):
        raise Forbidden(
            "scope.region_forbidden",
            f"region {region.code} is outside the region of {principal.department_code}",
        )


def validate_uscc(raw: str, override_reason: str | None, principal: Principal) -> Uscc:
    # Only a regulator vouches for a code that fails its check (it has seen the licence).
    if override_reason and principal.role not in REGULATING_ROLES:
        raise Forbidden("uscc.override_forbidden", "only a regulator may override a checksum")
    return parse_uscc(raw, checksum_override_reason=override_reason)


def enterprise_state(enterprise: Enterprise) -> dict[str, object]:
    return EnterpriseRead.model_validate(enterprise).model_dump(
        mode="json", exclude={"created_at", "updated_at"}
    )


async def get_enterprise(session: AsyncSession, principal: Principal, uscc: str) -> Enterprise:
    statement = readable_enterprises(principal).where(col(Enterprise.uscc) == normalise_uscc(uscc))
    enterprise = (await session.exec(statement)).first()
    if enterprise is None:
        # An enterprise asking about another gets the same answer as for an unknown code.
        raise NotFound("enterprise.not_found", f"no enterprise {uscc}")
    return enterprise


@dataclass(frozen=True)
class EnterpriseFilter:
    region_code: str | None = None
    size: EnterpriseSize | None = None
    active: bool | None = None
    name_contains: str | None = None


async def list_enterprises(
    session: AsyncSession, principal: Principal, filters: EnterpriseFilter, page: PageRequest
) -> PageResult[Enterprise]:
    statement = readable_enterprises(principal)
    if filters.region_code is not None:
        region = await require_region(session, filters.region_code)
        statement = statement.where(col(Enterprise.region_code).in_(regions_inside(region.path)))
    if filters.size is not None:
        statement = statement.where(col(Enterprise.size) == filters.size.value)
    if filters.active is not None:
        statement = statement.where(col(Enterprise.active) == filters.active)
    if filters.name_contains:
        # A literal fragment: '%' and '_' in a name are characters, not LIKE wildcards.
        statement = statement.where(
            col(Enterprise.name).contains(filters.name_contains, autoescape=True)
        )
    return await keyset_page(session, statement, Enterprise.uscc, page)  # type: ignore[arg-type]


async def create_enterprise(
    session: AsyncSession, principal: Principal, data: EnterpriseCreate
) -> Enterprise:
    uscc = validate_uscc(data.uscc, data.checksum_override_reason, principal)
    region = await require_region(session, data.region_code)
    await ensure_can_write_in(session, principal, region)
    if await session.get(Enterprise, uscc.value) is not None:
        raise Conflict("enterprise.exists", f"enterprise {uscc.value} is already registered")
    enterprise = Enterprise(
        uscc=uscc.value,
        name=data.name.strip(),
        region_code=region.code,
        size=data.size.value if data.size else None,
        address=data.address,
        checksum_override_reason=(
            data.checksum_override_reason.strip()
            if uscc.checksum_overridden and data.checksum_override_reason
            else None
        ),
    )
    session.add(enterprise)
    await session.flush()
    audit.record(
        session,
        actor=principal.actor,
        action="enterprise.create",
        entity_type="enterprise",
        entity_id=enterprise.uscc,
        state=enterprise_state(enterprise),
    )
    return enterprise


async def update_enterprise(
    session: AsyncSession, principal: Principal, uscc: str, data: EnterpriseUpdate
) -> Enterprise:
    changes = data.model_dump(exclude_unset=True)
    if not changes:
        raise InvalidInput("request.empty_update", "the update changes nothing")
    enterprise = await get_enterprise(session, principal, uscc)
    # Moving an enterprise needs authority over both the old and the new region.
    for region_code in {
        enterprise.region_code,
        changes.get("region_code") or enterprise.region_code,
    }:
        await ensure_can_write_in(session, principal, await require_region(session, region_code))
    for field in ("name", "region_code", "address"):
        if changes.get(field) is not None:
            setattr(enterprise, field, changes[field])
    if "size" in changes:
        enterprise.size = data.size.value if data.size else None
    if data.active is not None and data.active != enterprise.active:
        enterprise.active = data.active
        enterprise.deactivated_at = None if data.active else utcnow()
    enterprise.updated_at = utcnow()
    await session.flush()
    audit.record(
        session,
        actor=principal.actor,
        action="enterprise.update",
        entity_type="enterprise",
        entity_id=enterprise.uscc,
        state=enterprise_state(enterprise),
    )
    return enterprise
