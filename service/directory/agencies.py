"""Testing agencies (检验检测机构): CMA certificate, its validity and the categories in scope."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date

from sqlalchemy.dialects import postgresql
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models.agency import AgencyCreate, AgencyRead, AgencyUpdate, TestingAgency
from models.base import utcnow
from service import audit
from service.auth import Principal
from service.directory.enterprises import ensure_can_write_in, validate_uscc
from service.directory.reference import require_categories, require_region
from service.errors import Conflict, InvalidInput, NotFound
from service.pagination import PageRequest, PageResult, keyset_page


def agency_state(agency: TestingAgency) -> dict[str, object]:
    return AgencyRead.model_validate(agency).model_dump(
        mode="json", exclude={"created_at", "updated_at"}
    )


def covers_category(scope: list[str], category_code: str) -> bool:
    """A scope entry covers its category and every category below it (codes are prefixes)."""
    return any(category_code.startswith(entry) for entry in scope)


async def get_agency(session: AsyncSession, agency_id: uuid.UUID) -> TestingAgency:
    agency = await session.get(TestingAgency, agency_id)
    if agency is None:
        raise NotFound("agency.not_found", f"no testing agency {agency_id}")
    return agency


@dataclass(frozen=True)
class AgencyFilter:
    region_code: str | None = None
    category_code: str | None = None
    valid_on: date | None = None
    active: bool | None = None


async def list_agencies(
    session: AsyncSession, filters: AgencyFilter, page: PageRequest
) -> PageResult[TestingAgency]:
    statement = select(TestingAgency)
    if filters.region_code is not None:
        statement = statement.where(col(TestingAgency.region_code) == filters.region_code)
    if filters.category_code is not None:
        # In scope: the category itself or any of its ancestors is listed.
        code = filters.category_code
        ancestors = [code[:i] for i in range(2, len(code) + 1, 2)]
        statement = statement.where(
            col(TestingAgency.category_scope).op("&&")(postgresql.array(ancestors))
        )
    if filters.valid_on is not None:
        statement = statement.where(
            col(TestingAgency.cma_valid_from) <= filters.valid_on,
            col(TestingAgency.cma_valid_until) >= filters.valid_on,
        )
    if filters.active is not None:
        statement = statement.where(col(TestingAgency.active) == filters.active)
    return await keyset_page(session, statement, TestingAgency.id, page)  # type: ignore[arg-type]


async def _ensure_unique(
    session: AsyncSession,
    *,
    uscc: str | None,
    cma_number: str | None,
    own_id: uuid.UUID | None = None,
) -> None:
    for column, value, code in (
        (TestingAgency.uscc, uscc, "agency.uscc_exists"),
        (TestingAgency.cma_number, cma_number, "agency.cma_exists"),
    ):
        if value is None:
            continue
        other = (await session.exec(select(TestingAgency.id).where(col(column) == value))).first()
        if other is not None and other != own_id:
            raise Conflict(code, f"another testing agency already has {value}")


async def create_agency(
    session: AsyncSession, principal: Principal, data: AgencyCreate
) -> TestingAgency:
    uscc = validate_uscc(data.uscc, None, principal)
    region = await require_region(session, data.region_code)
    await ensure_can_write_in(session, principal, region)
    await require_categories(session, data.category_scope)
    cma_number = data.cma_number.strip().upper()
    await _ensure_unique(session, uscc=uscc.value, cma_number=cma_number)
    agency = TestingAgency(
        name=data.name.strip(),
        uscc=uscc.value,
        cma_number=cma_number,
        cma_valid_from=data.cma_valid_from,
        cma_valid_until=data.cma_valid_until,
        region_code=region.code,
        category_scope=sorted(set(data.category_scope)),
    )
    session.add(agency)
    await session.flush()
    audit.record(
        session,
        actor=principal.actor,
        action="agency.create",
        entity_type="agency",
        entity_id=str(agency.id),
        state=agency_state(agency),
    )
    return agency


async def update_agency(
    session: AsyncSession, principal: Principal, agency_id: uuid.UUID, data: AgencyUpdate
) -> TestingAgency:
    changes = data.model_dump(exclude_unset=True)
    if not changes:
        raise InvalidInput("request.empty_update", "the update changes nothing")
    agency = await get_agency(session, agency_id)
    await ensure_can_write_in(session, principal, await require_region(session, agency.region_code))
    if data.category_scope is not None:
        await require_categories(session, data.category_scope)
        agency.category_scope = sorted(set(data.category_scope))
    if data.cma_number is not None:
        cma_number = data.cma_number.strip().upper()
        await _ensure_unique(session, uscc=None, cma_number=cma_number, own_id=agency.id)
        agency.cma_number = cma_number
    if data.name is not None:
        agency.name = data.name.strip()
    valid_from = data.cma_valid_from or agency.cma_valid_from
    valid_until = data.cma_valid_until or agency.cma_valid_until
    if valid_until < valid_from:
        raise InvalidInput("agency.cma_validity", "cma_valid_until is before cma_valid_from")
    if (valid_from, valid_until) != (agency.cma_valid_from, agency.cma_valid_until):
        agency.cma_valid_from, agency.cma_valid_until = valid_from, valid_until
        # A renewed certificate lifts the expiry mark; the job sets it again if due.
        agency.cma_expired_on = None
    if data.active is not None and data.active != agency.active:
        agency.active = data.active
        agency.deactivated_at = None if data.active else utcnow()
    agency.updated_at = utcnow()
    await session.flush()
    audit.record(
        session,
        actor=principal.actor,
        action="agency.update",
        entity_type="agency",
        entity_id=str(agency.id),
        state=agency_state(agency),
    )
    return agency


async def mark_expired_certificates(session: AsyncSession, *, actor: str, today: date) -> int:
    """Mark every agency whose CMA certificate ended before `today` (the scheduled job)."""
    expired = (
        await session.exec(
            select(TestingAgency)
            .where(
                col(TestingAgency.cma_valid_until) < today,
                col(TestingAgency.cma_expired_on).is_(None),
            )
            .with_for_update(skip_locked=True)
        )
    ).all()
    for agency in expired:
        agency.cma_expired_on = today
        agency.updated_at = utcnow()
        audit.record(
            session,
            actor=actor,
            action="agency.cma_expired",
            entity_type="agency",
            entity_id=str(agency.id),
            state=agency_state(agency),
        )
    await session.flush()
    return len(expired)
