"""The demo history says what the official figures say (rules §7): about 9–15 % of batches
nonconforming, small enterprises far above large ones, online purchases far above the rest —
and it shows a result in every state of its life."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import text
from sqlmodel.ext.asyncio.session import AsyncSession

from seed.demo import load_demo
from seed.demo_results import _directory, generate, load_demo_results
from service.auth import system_principal
from service.db import commit
from service.stats.query import PassRateRequest, pass_rates


@pytest.fixture
async def demo(session: AsyncSession) -> dict[str, int]:
    actor = system_principal("demo-test")
    await load_demo(session, actor)
    counts = await load_demo_results(session, actor=actor)
    await commit(session)
    return counts


async def rates_by(session: AsyncSession, dimension: str | None = None) -> dict[str, Decimal]:
    request = PassRateRequest(
        group_by=[dimension] if dimension else [], date_from="2024-01", date_to="2026-10"
    )
    report = await pass_rates(session, request, today=date(2026, 11, 21))
    rates = {}
    for row in report.rows:
        assert row.nonconformity_rate is not None
        rates[str(getattr(row, dimension)) if dimension else "all"] = row.nonconformity_rate
    return rates


async def test_the_demo_rates_lie_in_the_range_of_the_official_figures(
    session: AsyncSession, demo: dict[str, int]
) -> None:
    assert demo["results"] > 4_000
    overall = (await rates_by(session))["all"]
    assert Decimal("0.09") <= overall <= Decimal("0.15")

    size = await rates_by(session, "enterprise_size")
    assert Decimal("0.10") <= size["small"] <= Decimal("0.16")
    assert size["large"] <= Decimal("0.03")
    assert size["large"] < size["medium"] < size["small"] < size["micro"]

    channel = await rates_by(session, "place_type")
    assert Decimal("0.18") <= channel["e_commerce"] <= Decimal("0.27")
    assert channel["e_commerce"] > Decimal("1.5") * channel["production"]
    assert channel["e_commerce"] > Decimal("1.5") * channel["circulation"]

    years = await rates_by(session, "year")
    assert years["2024"] > years["2026"]  # a slow improvement
    cities = await rates_by(session, "region")
    assert max(cities.values()) - min(cities.values()) > Decimal("0.05")  # rankings differ


async def count(session: AsyncSession, sql: str) -> dict[str, int]:
    connection = await session.connection()
    return {str(key): int(n) for key, n in (await connection.execute(text(sql))).all()}


async def test_the_demo_shows_every_state_of_a_result(
    session: AsyncSession, demo: dict[str, int]
) -> None:
    states = await count(session, "SELECT state, count(*) FROM results GROUP BY state")
    assert set(states) == {"notified", "objected", "retesting", "final"}
    assert states["final"] > 0.9 * sum(states.values())
    final = await count(
        session, "SELECT verdict, count(*) FROM results WHERE state = 'final' GROUP BY verdict"
    )
    assert final["conforming"] > final["nonconforming"] > 0
    retested = await count(
        session,
        "SELECT verdict, count(*) FROM results WHERE report_id <> original_report_id "
        "GROUP BY verdict",
    )
    assert retested["conforming"] > 0  # a re-test overturned the first verdict
    assert retested["nonconforming"] > 0  # and one confirmed it
    awaiting_report = await count(
        session,
        "SELECT 'samples', count(*) FROM samples WHERE id NOT IN (SELECT sample_id FROM results)",
    )
    assert awaiting_report["samples"] > 0
    published = await count(
        session,
        "SELECT 'mismatched', count(*) FROM results "
        "WHERE (state = 'final') <> (published_on IS NOT NULL)",
    )
    assert published["mismatched"] == 0


async def test_the_same_seed_gives_the_same_history(
    session: AsyncSession,
) -> None:
    await load_demo(session, system_principal("demo-test"))
    directory = await _directory(session)
    first, second = generate(directory), generate(directory)
    assert first.tables == second.tables
    assert generate(directory, seed=7).tables["results"] != first.tables["results"]
