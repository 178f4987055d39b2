"""The six-month rule against the database: which samplings of a product exist, whether a
department may sample it on a date, and the registration of a new sampling — serialised per
product so that two competing registrations cannot both pass the check."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models.common import PlanKind
from models.enterprise import Product
from models.plan import Sampling
from models.reference import Department
from service import audit, six_month_rule
from service.errors import Conflict, InvalidInput, NotFound
from service.locking import lock_for_transaction
from service.six_month_rule import DEFAULT, Eligibility, Organiser, PastSampling, SixMonthConfig


@dataclass(frozen=True)
class EligibilityDecision:
    product_id: uuid.UUID
    organiser: Organiser
    on: date
    plan_kind: PlanKind
    eligibility: Eligibility
    config: SixMonthConfig


def organiser_of(department: Department) -> Organiser:
    return Organiser(
        department_code=department.code,
        level=six_month_rule.Level(department.level),
        region_code=department.region_code,
    )


def past_sampling(row: Sampling) -> PastSampling:
    return PastSampling(
        sampling_id=str(row.id),
        organiser=Organiser(row.department_code, six_month_rule.Level(row.level), row.region_code),
        sampled_on=row.sampled_on,
        verdict=row.verdict,  # type: ignore[arg-type]
    )


def history_window_start(on: date, config: SixMonthConfig) -> date:
    """The earliest sampling date that can still lock `on` (one day of slack for clamping)."""
    return six_month_rule.add_months(on, -config.months)


async def recent_samplings(
    session: AsyncSession, product_ids: Sequence[uuid.UUID], on: date, config: SixMonthConfig
) -> dict[uuid.UUID, list[PastSampling]]:
    """Samplings that could lock the products on `on`, grouped by product."""
    rows = await session.exec(
        select(Sampling).where(
            col(Sampling.product_id).in_(product_ids),
            col(Sampling.sampled_on) >= history_window_start(on, config),
            col(Sampling.sampled_on) <= on,
        )
    )
    history: dict[uuid.UUID, list[PastSampling]] = {}
    for row in rows:
        history.setdefault(row.product_id, []).append(past_sampling(row))
    return history


async def _department(session: AsyncSession, code: str) -> Department:
    department = await session.get(Department, code)
    if department is None:
        raise InvalidInput("department.unknown", f"no department {code}")
    if not department.is_market_regulator:
        raise InvalidInput(
            "department.not_a_regulator", f"{code} does not organise supervision sampling"
        )
    return department


async def check_product(
    session: AsyncSession,
    *,
    product_id: uuid.UUID,
    department_code: str,
    on: date,
    plan_kind: PlanKind,
    config: SixMonthConfig = DEFAULT,
) -> EligibilityDecision:
    """May `department_code` sample the product on `on` under a plan of `plan_kind`?"""
    if await session.get(Product, product_id) is None:
        raise NotFound("product.not_found", f"no product {product_id}")
    organiser = organiser_of(await _department(session, department_code))
    history = (await recent_samplings(session, [product_id], on, config)).get(product_id, [])
    result = six_month_rule.check_eligibility(history, organiser, on, plan_kind, config)
    return EligibilityDecision(product_id, organiser, on, plan_kind, result, config)


def locked_error(decision: EligibilityDecision) -> Conflict:
    blocking = [
        {
            "sampling_id": b.sampling.sampling_id,
            "department_code": b.sampling.organiser.department_code,
            "level": b.sampling.organiser.level.value,
            "sampled_on": b.sampling.sampled_on.isoformat(),
            "verdict": b.sampling.verdict,
            "rule_id": b.rule_id.value,
            "lock_ends_on": b.lock_ends_on.isoformat(),
        }
        for b in decision.eligibility.blocks
    ]
    until = decision.eligibility.locked_until
    first = decision.eligibility.blocks[0]
    return Conflict(
        "six_month_rule.locked",
        f"product {decision.product_id} is locked by rule {first.rule_id.value} "
        f"(sampling of {first.sampling.sampled_on} by {first.sampling.organiser.department_code})"
        f" until {until}",
        blocking=blocking,
        locked_until=until.isoformat() if until else None,
        rule_version=six_month_rule.VERSION,
    )


async def lock_product(session: AsyncSession, product_id: uuid.UUID) -> None:
    """Serialise check-then-insert per product until the transaction ends."""
    await lock_for_transaction(session, f"product:{product_id}")


async def register_sampling(
    session: AsyncSession,
    *,
    actor: str,
    product_id: uuid.UUID,
    department_code: str,
    sampled_on: date,
    plan_kind: PlanKind,
    task_id: uuid.UUID | None = None,
    config: SixMonthConfig = DEFAULT,
) -> Sampling:
    """Record that the product was sampled, refusing it when the six-month rule locks it (409
    `six_month_rule.locked`). Called by sample registration."""
    await lock_product(session, product_id)
    decision = await check_product(
        session,
        product_id=product_id,
        department_code=department_code,
        on=sampled_on,
        plan_kind=plan_kind,
        config=config,
    )
    if not decision.eligibility.eligible:
        raise locked_error(decision)
    organiser = decision.organiser
    sampling = Sampling(
        product_id=product_id,
        task_id=task_id,
        department_code=organiser.department_code,
        level=organiser.level.value,
        region_code=organiser.region_code,
        plan_kind=plan_kind.value,
        sampled_on=sampled_on,
    )
    session.add(sampling)
    await session.flush()
    audit.record(
        session,
        actor=actor,
        action="sampling.register",
        entity_type="sampling",
        entity_id=str(sampling.id),
        state={
            **sampling.model_dump(exclude={"created_at"}),
            "rule": config.as_record(),
            "exempt": decision.eligibility.exempt,
        },
    )
    return sampling
