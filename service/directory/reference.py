"""Reference directories: regions (GB/T 2260), product categories and departments."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession
from sqlmodel.sql.expression import SelectOfScalar

from models.common import DepartmentLevel, RegionLevel
from models.reference import Department, DepartmentCreate, DepartmentUpdate, ProductCategory, Region
from service import audit
from service.auth import Principal
from service.errors import Conflict, InvalidInput, NotFound
from service.pagination import PageRequest, PageResult, keyset_page

# A department's level must fit the level of the region it sits in.
_LEVEL_FOR_REGION = {
    RegionLevel.NATIONAL: DepartmentLevel.NATIONAL,
    RegionLevel.PROVINCE: DepartmentLevel.PROVINCIAL,
    RegionLevel.PREFECTURE: DepartmentLevel.MUNICIPAL,
    RegionLevel.COUNTY: DepartmentLevel.COUNTY,
}


def regions_inside(path: str | None) -> SelectOfScalar[str]:
    """The codes of the region with this path and of every region below it: the one definition
    of "inside a region" that scopes and roll-ups use."""
    return select(Region.code).where(
        (col(Region.path) == path) | col(Region.path).startswith(f"{path}/")
    )


async def get_region(session: AsyncSession, code: str) -> Region:
    region = await session.get(Region, code)
    if region is None:
        raise NotFound("region.not_found", f"no region {code}")
    return region


async def require_region(session: AsyncSession, code: str) -> Region:
    """The region a written row refers to: unknown is bad input, not a missing resource."""
    region = await session.get(Region, code)
    if region is None:
        raise InvalidInput("region.unknown", f"no region {code}")
    return region


@dataclass(frozen=True)
class RegionFilter:
    level: RegionLevel | None = None
    parent_code: str | None = None
    within: str | None = None


async def list_regions(
    session: AsyncSession, filters: RegionFilter, page: PageRequest
) -> PageResult[Region]:
    statement = select(Region)
    if filters.level is not None:
        statement = statement.where(col(Region.level) == filters.level.value)
    if filters.parent_code is not None:
        statement = statement.where(col(Region.parent_code) == filters.parent_code)
    if filters.within is not None:
        ancestor = await get_region(session, filters.within)
        statement = statement.where(col(Region.path).startswith(ancestor.path + "/"))
    return await keyset_page(session, statement, Region.code, page)  # type: ignore[arg-type]


async def get_category(session: AsyncSession, code: str) -> ProductCategory:
    category = await session.get(ProductCategory, code)
    if category is None:
        raise NotFound("category.not_found", f"no product category {code}")
    return category


async def require_categories(session: AsyncSession, codes: list[str]) -> None:
    known = set(
        (
            await session.exec(
                select(ProductCategory.code).where(col(ProductCategory.code).in_(codes))
            )
        ).all()
    )
    unknown = sorted(set(codes) - known)
    if unknown:
        raise InvalidInput(
            "category.unknown",
            f"unknown product categories: {', '.join(unknown)}",
            unknown=unknown,
        )


async def list_categories(
    session: AsyncSession, parent_code: str | None, top_level: bool, page: PageRequest
) -> PageResult[ProductCategory]:
    statement = select(ProductCategory)
    if parent_code is not None:
        statement = statement.where(col(ProductCategory.parent_code) == parent_code)
    elif top_level:
        statement = statement.where(col(ProductCategory.parent_code).is_(None))
    return await keyset_page(session, statement, ProductCategory.code, page)  # type: ignore[arg-type]


async def get_department(session: AsyncSession, code: str) -> Department:
    department = await session.get(Department, code)
    if department is None:
        raise NotFound("department.not_found", f"no department {code}")
    return department


@dataclass(frozen=True)
class DepartmentFilter:
    kind: str | None = None
    level: DepartmentLevel | None = None
    region_code: str | None = None
    is_market_regulator: bool | None = None
    active: bool | None = None


async def list_departments(
    session: AsyncSession, filters: DepartmentFilter, page: PageRequest
) -> PageResult[Department]:
    statement = select(Department)
    if filters.kind is not None:
        statement = statement.where(col(Department.kind) == filters.kind)
    if filters.level is not None:
        statement = statement.where(col(Department.level) == filters.level.value)
    if filters.region_code is not None:
        statement = statement.where(col(Department.region_code) == filters.region_code)
    if filters.is_market_regulator is not None:
        statement = statement.where(
            col(Department.is_market_regulator) == filters.is_market_regulator
        )
    if filters.active is not None:
        statement = statement.where(col(Department.active) == filters.active)
    return await keyset_page(session, statement, Department.code, page)  # type: ignore[arg-type]


def _department_state(department: Department) -> dict[str, object]:
    return department.model_dump(exclude={"created_at"})


async def create_department(
    session: AsyncSession, actor: Principal, data: DepartmentCreate
) -> Department:
    kind, region_code = data.code.split("-", 1)
    region = await require_region(session, region_code)
    expected = _LEVEL_FOR_REGION[RegionLevel(region.level)]
    if expected is not data.level:
        raise InvalidInput(
            "department.level_mismatch",
            f"a department in a {region.level} region is {expected.value}",
        )
    if await session.get(Department, data.code) is not None:
        raise Conflict("department.exists", f"department {data.code} exists")
    department = Department(
        code=data.code,
        name=data.name,
        kind=kind,
        level=data.level.value,
        region_code=region_code,
        is_market_regulator=data.is_market_regulator,
    )
    session.add(department)
    await session.flush()
    audit.record(
        session,
        actor=actor.actor,
        action="department.create",
        entity_type="department",
        entity_id=department.code,
        state=_department_state(department),
    )
    return department


async def update_department(
    session: AsyncSession, actor: Principal, code: str, data: DepartmentUpdate
) -> Department:
    changes = data.model_dump(exclude_unset=True)
    if not changes:
        raise InvalidInput("request.empty_update", "the update changes nothing")
    department = await get_department(session, code)
    for field, value in changes.items():
        if value is not None:
            setattr(department, field, value)
    await session.flush()
    audit.record(
        session,
        actor=actor.actor,
        action="department.update",
        entity_type="department",
        entity_id=department.code,
        state=_department_state(department),
    )
    return department
