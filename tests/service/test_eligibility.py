"""The six-month rule enforced against the database: registration refuses locked products,
the eligibility query explains why and until when, and competing registrations serialise."""

from __future__ import annotations

import asyncio
from datetime import date

import httpx
import pytest
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from models.common import PlanKind
from models.enterprise import Product
from models.system import Role
from service.db import commit
from service.eligibility import check_product, register_sampling
from service.errors import Conflict
from tests.factories import Keys, make_enterprise, make_product


async def _product(session: AsyncSession) -> Product:
    return await make_product(session, await make_enterprise(session))


async def _register(
    session: AsyncSession,
    product: Product,
    department: str,
    on: date,
    kind: PlanKind = PlanKind.ROUTINE,
) -> None:
    await register_sampling(
        session,
        actor="test",
        product_id=product.id,
        department_code=department,
        sampled_on=on,
        plan_kind=kind,
    )
    await commit(session)


async def test_a_product_sampled_by_a_city_cannot_be_sampled_again_by_it_within_six_months(
    session: AsyncSession,
) -> None:
    product = await _product(session)
    await _register(session, product, "scjg-410100", date(2025, 8, 31))
    product_id = product.id  # the rollback below expires the loaded object
    with pytest.raises(Conflict) as refused:
        await _register(session, product, "scjg-410100", date(2026, 2, 27))
    assert refused.value.code == "six_month_rule.locked"
    assert refused.value.extra["locked_until"] == "2026-02-28"
    [block] = refused.value.extra["blocking"]
    assert block["rule_id"] == "R2"
    assert block["department_code"] == "scjg-410100"
    await session.rollback()
    await register_sampling(
        session,
        actor="test",
        product_id=product_id,
        department_code="scjg-410100",
        sampled_on=date(2026, 2, 28),
        plan_kind=PlanKind.ROUTINE,
    )


async def test_a_provincial_sampling_locks_the_cities_below_it_under_r3(
    session: AsyncSession,
) -> None:
    product = await _product(session)
    await _register(session, product, "scjg-410000", date(2026, 3, 10))
    decision = await check_product(
        session,
        product_id=product.id,
        department_code="scjg-410100",
        on=date(2026, 5, 1),
        plan_kind=PlanKind.ROUTINE,
    )
    assert not decision.eligibility.eligible
    assert [b.rule_id.value for b in decision.eligibility.blocks] == ["R3"]
    # Another province's city is not below Henan's bureau.
    other = await check_product(
        session,
        product_id=product.id,
        department_code="scjg-420100",
        on=date(2026, 5, 1),
        plan_kind=PlanKind.ROUTINE,
    )
    assert other.eligibility.eligible


async def test_follow_up_sampling_is_exempt(session: AsyncSession) -> None:
    product = await _product(session)
    await _register(session, product, "scjg-410100", date(2026, 3, 10))
    await _register(session, product, "scjg-410100", date(2026, 4, 1), PlanKind.FOLLOW_UP)


async def test_two_competing_registrations_for_one_product_let_exactly_one_win(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    async with sessionmaker() as setup:
        product = await _product(setup)

    barrier = asyncio.Barrier(2)

    async def attempt() -> str:
        async with sessionmaker() as session:
            await barrier.wait()
            try:
                await _register(session, product, "scjg-410100", date(2026, 6, 1))
            except Conflict as exc:
                return exc.code
            return "registered"

    for _ in range(5):  # repeat: a race that passes once by luck must pass every time
        results = await asyncio.gather(attempt(), attempt())
        assert sorted(results) == ["registered", "six_month_rule.locked"]
        async with sessionmaker() as cleanup:
            from sqlalchemy import text

            await cleanup.exec(text("DELETE FROM samplings"))  # type: ignore[call-overload]
            await cleanup.commit()
        barrier = asyncio.Barrier(2)


async def test_the_eligibility_endpoint_names_the_blocking_sampling_and_the_lock_end(
    client: httpx.AsyncClient, session: AsyncSession, keys: Keys
) -> None:
    product = await _product(session)
    await _register(session, product, "scjg-410000", date(2025, 8, 31))
    headers = await keys.headers(Role.REGULATOR, department="scjg-410100")
    url = f"/api/v1/products/{product.id}/eligibility"
    locked = await client.get(
        url, params={"department": "scjg-410100", "date": "2026-01-15"}, headers=headers
    )
    assert locked.status_code == 200, locked.text
    body = locked.json()
    assert body["eligible"] is False
    assert body["locked_until"] == "2026-02-28"
    assert body["blocking"][0]["level"] == "provincial"
    assert body["blocking"][0]["rule_id"] == "R3"
    assert body["config"]["months"] == 6
    free = await client.get(
        url, params={"department": "scjg-410100", "date": "2026-02-28"}, headers=headers
    )
    assert free.json()["eligible"] is True
    emergency = await client.get(
        url,
        params={"department": "scjg-410100", "date": "2026-01-15", "plan_kind": "emergency"},
        headers=headers,
    )
    assert emergency.json()["exempt"] is True


@pytest.mark.parametrize(
    ("product", "department", "status", "code"),
    [
        ("00000000-0000-4000-8000-000000000000", "scjg-410100", 404, "product.not_found"),
        ("known", "scjg-999900", 422, "department.unknown"),
        ("known", "fgw-410000", 422, "department.not_a_regulator"),
        ("not-a-uuid", "scjg-410100", 422, "request.invalid"),
    ],
)
async def test_eligibility_for_unknown_products_or_departments_is_a_problem(
    client: httpx.AsyncClient,
    session: AsyncSession,
    keys: Keys,
    product: str,
    department: str,
    status: int,
    code: str,
) -> None:
    known = await _product(session)
    product_id = str(known.id) if product == "known" else product
    response = await client.get(
        f"/api/v1/products/{product_id}/eligibility",
        params={"department": department, "date": "2026-01-01"},
        headers=await keys.admin(),
    )
    assert response.status_code == status
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == code
