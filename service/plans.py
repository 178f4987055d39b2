"""Sampling plans (抽查计划): organiser, kind, period and quotas per category (and region), and the
states draft → published → drawn → in progress → closed."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession
from sqlmodel.sql.expression import SelectOfScalar

from models.base import utcnow
from models.plan import Plan, PlanCreate, PlanQuota, PlanRead, PlanState, QuotaRead
from models.reference import Department, Region
from models.system import Role
from service import audit, events
from service.auth import Principal
from service.directory.reference import regions_inside, require_categories, require_region
from service.errors import Conflict, Forbidden, InvalidInput, NotFound
from service.pagination import PageRequest, PageResult, keyset_page
from service.six_month_rule import region_contains

# Which state may follow which; anything else is a 409 `plan.invalid_transition`.
TRANSITIONS: dict[PlanState, frozenset[PlanState]] = {
    PlanState.DRAFT: frozenset({PlanState.PUBLISHED, PlanState.CLOSED}),
    PlanState.PUBLISHED: frozenset({PlanState.DRAWN, PlanState.CLOSED}),
    PlanState.DRAWN: frozenset({PlanState.IN_PROGRESS, PlanState.CLOSED}),
    PlanState.IN_PROGRESS: frozenset({PlanState.CLOSED}),
    PlanState.CLOSED: frozenset(),
}


def readable_plans(principal: Principal) -> SelectOfScalar[Plan]:
    """Regulators read the plans of departments inside their region, and those of their
    superiors (which they help carry out); admins read all."""
    statement = select(Plan)
    if principal.role is not Role.ADMIN:
        inside = regions_inside(principal.region_path)
        ancestors = (principal.region_path or "").split("/")
        statement = statement.where(
            col(Plan.region_code).in_(inside) | col(Plan.region_code).in_(ancestors)
        )
    return statement


async def plan_read(session: AsyncSession, plan: Plan) -> PlanRead:
    quotas = (
        await session.exec(
            select(PlanQuota)
            .where(col(PlanQuota.plan_id) == plan.id)
            .order_by(col(PlanQuota.category_code), col(PlanQuota.region_code))
        )
    ).all()
    return PlanRead.model_validate(
        {**plan.model_dump(), "quotas": [QuotaRead.model_validate(q) for q in quotas]}
    )


def plan_state(plan: Plan) -> dict[str, object]:
    return plan.model_dump(mode="json", exclude={"created_at"})


async def get_plan(session: AsyncSession, principal: Principal, plan_id: uuid.UUID) -> Plan:
    plan = (await session.exec(readable_plans(principal).where(col(Plan.id) == plan_id))).first()
    if plan is None:
        raise NotFound("plan.not_found", f"no plan {plan_id}")
    return plan


async def plan_quotas(session: AsyncSession, plan_id: uuid.UUID) -> Sequence[PlanQuota]:
    return (await session.exec(select(PlanQuota).where(col(PlanQuota.plan_id) == plan_id))).all()


def ensure_organiser(principal: Principal, plan: Plan) -> None:
    """Only the organising department (or an admin) changes a plan or draws for it."""
    if principal.role is not Role.ADMIN and principal.department_code != plan.department_code:
        raise Forbidden(
            "plan.not_organiser", f"plan {plan.id} is organised by {plan.department_code}"
        )


@dataclass(frozen=True)
class PlanFilter:
    state: PlanState | None = None
    department_code: str | None = None


async def list_plans(
    session: AsyncSession, principal: Principal, filters: PlanFilter, page: PageRequest
) -> PageResult[Plan]:
    statement = readable_plans(principal)
    if filters.state is not None:
        statement = statement.where(col(Plan.state) == filters.state.value)
    if filters.department_code is not None:
        statement = statement.where(col(Plan.department_code) == filters.department_code)
    return await keyset_page(session, statement, Plan.id, page)  # type: ignore[arg-type]


def _overlaps(a: PlanQuota, b: PlanQuota) -> bool:
    # Quotas must partition the candidates: each product falls in at most one stratum.
    categories = a.category_code.startswith(b.category_code) or b.category_code.startswith(
        a.category_code
    )
    regions = (
        a.region_code is None
        or b.region_code is None
        or region_contains(a.region_code, b.region_code)
        or region_contains(b.region_code, a.region_code)
    )
    return categories and regions


async def create_plan(session: AsyncSession, principal: Principal, data: PlanCreate) -> Plan:
    if principal.role is Role.ADMIN:
        if data.department_code is None:
            raise InvalidInput(
                "plan.department_required", "an admin names the organising department"
            )
        department_code = data.department_code
    else:
        department_code = principal.department_code or ""
        if data.department_code not in (None, department_code):
            raise Forbidden(
                "plan.not_organiser", "a regulator organises plans of its own department"
            )
    department = await session.get(Department, department_code)
    if department is None or not department.is_market_regulator:
        raise InvalidInput(
            "department.not_a_regulator", f"{department_code} cannot organise sampling"
        )
    if data.period_end < data.period_start:
        raise InvalidInput("plan.empty_period", "period_end is before period_start")
    department_region = await require_region(session, department.region_code)
    region = await require_region(session, data.region_code or department.region_code)
    if not _inside(region, department_region):
        raise InvalidInput(
            "plan.region_outside_department",
            f"region {region.code} is outside the region of {department.code}",
        )
    await require_categories(session, sorted({q.category_code for q in data.quotas}))
    plan = Plan(
        title=data.title.strip(),
        department_code=department.code,
        level=department.level,
        region_code=region.code,
        kind=data.kind.value,
        period_start=data.period_start,
        period_end=data.period_end,
    )
    quotas = [
        PlanQuota(
            plan_id=plan.id, category_code=q.category_code, region_code=q.region_code, quota=q.quota
        )
        for q in data.quotas
    ]
    for quota in quotas:
        if quota.region_code is not None:
            quota_region = await require_region(session, quota.region_code)
            if not _inside(quota_region, region):
                raise InvalidInput(
                    "plan.quota_region_outside",
                    f"quota region {quota.region_code} is outside the plan region {region.code}",
                )
    for i, a in enumerate(quotas):
        for b in quotas[i + 1 :]:
            if _overlaps(a, b):
                raise InvalidInput(
                    "plan.quota_overlap",
                    f"quotas {a.category_code}/{a.region_code or '*'} and "
                    f"{b.category_code}/{b.region_code or '*'} overlap",
                )
    session.add(plan)
    await session.flush()
    session.add_all(quotas)
    await session.flush()
    audit.record(
        session,
        actor=principal.actor,
        action="plan.create",
        entity_type="plan",
        entity_id=str(plan.id),
        state={**plan_state(plan), "quotas": [q.model_dump(mode="json") for q in quotas]},
    )
    return plan


def _inside(region: Region, container: Region) -> bool:
    return region.path == container.path or region.path.startswith(container.path + "/")


async def transition(session: AsyncSession, actor: str, plan: Plan, target: PlanState) -> Plan:
    """Move the plan to `target` if the state machine allows it."""
    current = PlanState(plan.state)
    if target not in TRANSITIONS[current]:
        raise Conflict(
            "plan.invalid_transition",
            f"a {current.value} plan cannot become {target.value}",
            state=current.value,
        )
    plan.state = target.value
    if target is PlanState.PUBLISHED:
        plan.published_at = utcnow()
    if target is PlanState.CLOSED:
        plan.closed_at = utcnow()
    await session.flush()
    events.emit(
        session,
        f"plan.{target.value}",
        entity_type="plan",
        entity_id=plan.id,
        payload={"department_code": plan.department_code, "kind": plan.kind},
    )
    audit.record(
        session,
        actor=actor,
        action=f"plan.{target.value}",
        entity_type="plan",
        entity_id=str(plan.id),
        state=plan_state(plan),
    )
    return plan


async def change_state(
    session: AsyncSession, principal: Principal, plan_id: uuid.UUID, target: PlanState
) -> Plan:
    plan = await get_plan(session, principal, plan_id)
    ensure_organiser(principal, plan)
    # Row lock: a concurrent draw or second request sees the state this one leaves.
    await session.refresh(plan, with_for_update=True)
    return await transition(session, principal.actor, plan, target)
