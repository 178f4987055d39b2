"""Regional rankings (rules §7): the prefecture-level units of Hubei ranked by pass rate in 2025,
the bottom three flagged, the Hubei target of 90 % applied, and the change against 2024."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlmodel.ext.asyncio.session import AsyncSession

from models.stats import RankingReport, RegionGrouping
from service.errors import InvalidInput
from service.stats.rankings import rankings
from tests.service.test_stats_rollup import Batch, add_batch

HUBEI = "scjg-420000"


def batch(region: str, verdict: str, year: int = 2025) -> Batch:
    return Batch(region, "0401", HUBEI, "small", "production", date(year, 5, 10), verdict)


# Region: (conforming, nonconforming) in 2025.
IN_2025 = {
    "420102": (3, 0),  # 武汉 (江岸区 rolls up): 100 %
    "420500": (3, 1),  # 宜昌: 75 %
    "429004": (2, 1),  # 仙桃 (directly under the province): 66.67 %
    "420600": (1, 1),  # 襄阳: 50 %
    "420300": (1, 1),  # 十堰: 50 %
}


@pytest.fixture
async def hubei(session: AsyncSession) -> None:
    for region, (good, bad) in IN_2025.items():
        for verdict, times in (("conforming", good), ("nonconforming", bad)):
            for _ in range(times):
                await add_batch(session, batch(region, verdict), final_on=date(2025, 6, 30))
    # 2024: 武汉 1 of 2 nonconforming.
    for verdict in ("conforming", "nonconforming"):
        await add_batch(session, batch("420102", verdict, 2024), final_on=date(2024, 6, 30))


async def hubei_cities(session: AsyncSession, period: str = "2025") -> RankingReport:
    return await rankings(
        session, level=RegionGrouping.PREFECTURE, parent_code="420000", period_text=period
    )


@pytest.mark.usefixtures("hubei")
async def test_cities_are_ranked_by_pass_rate_and_the_bottom_three_flagged(
    session: AsyncSession,
) -> None:
    report = await hubei_cities(session)
    ranked = [(e.region, e.rank, e.pass_rate, e.bottom_three) for e in report.entries if e.rank]
    assert ranked == [
        ("420100", 1, Decimal("1.0000"), False),
        ("420500", 2, Decimal("0.7500"), False),
        ("429004", 3, Decimal("0.6667"), True),
        ("420300", 4, Decimal("0.5000"), True),  # a tie shares the rank
        ("420600", 4, Decimal("0.5000"), True),
    ]
    assert (report.period, report.previous_period) == ("2025", "2024")
    assert (report.date_from, report.date_to) == (date(2025, 1, 1), date(2025, 12, 31))


@pytest.mark.usefixtures("hubei")
async def test_every_city_is_listed_and_those_without_batches_are_unranked(
    session: AsyncSession,
) -> None:
    report = await hubei_cities(session)
    codes = [e.region for e in report.entries]
    assert len(codes) == 17  # 12 cities, 恩施州, and 4 units directly under the province
    assert {"420200", "422800", "429021"} <= set(codes)
    unranked = report.entries[5:]
    assert all(e.rank is None and e.tested == 0 and e.pass_rate is None for e in unranked)
    assert not any(e.bottom_three for e in unranked)
    assert [e.region for e in unranked] == sorted(e.region for e in unranked)


@pytest.mark.usefixtures("hubei")
async def test_each_city_is_compared_with_the_hubei_target(session: AsyncSession) -> None:
    entries = {e.region: e for e in (await hubei_cities(session)).entries}
    assert entries["420100"].target == Decimal("0.90")
    assert (entries["420100"].meets_target, entries["420100"].gap) == (True, Decimal("0.1000"))
    assert (entries["420500"].meets_target, entries["420500"].gap) == (False, Decimal("-0.1500"))
    assert (entries["420200"].meets_target, entries["420200"].gap) == (None, None)


@pytest.mark.usefixtures("hubei")
async def test_the_change_against_the_previous_period(session: AsyncSession) -> None:
    entries = {e.region: e for e in (await hubei_cities(session)).entries}
    wuhan = entries["420100"]
    assert (wuhan.previous_pass_rate, wuhan.previous_rank) == (Decimal("0.5000"), 1)
    assert wuhan.change == Decimal("0.5000")
    assert (entries["420500"].previous_pass_rate, entries["420500"].change) == (None, None)
    # A quarter is compared with the quarter before: 2025Q2 against 2025Q1 (nothing then).
    quarter = await hubei_cities(session, "2025Q2")
    assert quarter.previous_period == "2025Q1"
    assert all(e.change is None for e in quarter.entries)
    assert [e.region for e in quarter.entries if e.rank == 1] == ["420100"]


async def test_a_tie_at_third_lowest_flags_every_tied_region(session: AsyncSession) -> None:
    for region, verdicts in {
        "420102": ["conforming"],
        "420500": ["conforming", "nonconforming"],
        "420600": ["conforming", "nonconforming"],
        "420300": ["conforming", "nonconforming"],
        "420700": ["nonconforming"],
    }.items():
        for verdict in verdicts:
            await add_batch(session, batch(region, verdict), final_on=date(2025, 6, 30))
    entries = [e for e in (await hubei_cities(session)).entries if e.rank]
    assert [(e.region, e.rank, e.bottom_three) for e in entries] == [
        ("420100", 1, False),
        ("420300", 2, True),
        ("420500", 2, True),
        ("420600", 2, True),
        ("420700", 5, True),
    ]


async def test_county_level_includes_units_without_counties(session: AsyncSession) -> None:
    report = await rankings(
        session, level=RegionGrouping.COUNTY, parent_code="410000", period_text="2025-07"
    )
    codes = {e.region for e in report.entries}
    assert {"410102", "419001"} <= codes
    assert "410100" not in codes


@pytest.mark.parametrize(
    ("level", "parent", "code"),
    [
        (RegionGrouping.PREFECTURE, "410100", "stats.level_not_below_parent"),
        (RegionGrouping.PROVINCE, "410000", "stats.level_not_below_parent"),
        (RegionGrouping.COUNTY, "410102", "stats.level_not_below_parent"),
        (RegionGrouping.COUNTY, "990000", "stats.unknown_region"),
    ],
)
async def test_a_level_not_below_the_parent_is_refused(
    session: AsyncSession, level: RegionGrouping, parent: str, code: str
) -> None:
    with pytest.raises(InvalidInput) as refused:
        await rankings(session, level=level, parent_code=parent, period_text="2025")
    assert refused.value.code == code
