"""Pass rates from the rollup (rules §7) against a fixture computed by hand: only final results
count, a re-tested result counts once with its final verdict, regions roll up county →
prefecture → province, categories by code prefix, periods by month, quarter and year."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from sqlmodel.ext.asyncio.session import AsyncSession

from models.results import Result
from models.stats import RegionGrouping
from service.db import commit
from service.finality import make_final
from service.stats.query import Filters, PassRateRequest, PassRates, pass_rates
from tests.factories import make_result, make_task

TODAY = date(2026, 5, 20)
RANGE = {"date_from": "2026-01", "date_to": "2026-04"}


@dataclass(frozen=True)
class Batch:
    """One sampled batch of the fixture and how its result ends."""

    region: str
    category: str
    department: str
    size: str | None
    place: str
    sampled_on: date
    verdict: str
    final: bool = True
    retest_verdict: str | None = None  # objected and re-tested: the re-test decides


async def add_batch(session: AsyncSession, batch: Batch, *, final_on: date | None = None) -> Result:
    """A result with `batch`'s dimensions, made final through `make_final` unless it is not."""
    drawn = await make_task(
        session,
        department_code=batch.department,
        region_code=batch.region,
        category_code=batch.category,
    )
    result = await make_result(session, drawn, verdict=batch.verdict)
    # The result is a snapshot of the dimensions: set them as the batch was sampled.
    result.enterprise_size = batch.size
    result.place_type = batch.place
    result.sampled_on = batch.sampled_on
    if batch.retest_verdict is not None:
        result.state = "retesting"
        await commit(session)
        result.verdict = batch.retest_verdict
    if batch.final:
        reason = "retest_concluded" if batch.retest_verdict else "window_lapsed"
        on = final_on or date(2026, 4, 30)
        await make_final(session, result, on=on, actor="test", reason=reason)
    await commit(session)
    return result


ZHENGZHOU, HENAN, HUBEI = "scjg-410100", "scjg-410000", "scjg-420000"
# fmt: off
FIXTURE = [
    # 1 中原区 电冰箱, municipal plan, small, production: conforming
    Batch("410102", "0401", ZHENGZHOU, "small", "production", date(2026, 1, 10), "conforming"),
    # 2 中原区 电冰箱, online: nonconforming
    Batch("410102", "0401", ZHENGZHOU, "small", "e_commerce", date(2026, 1, 20), "nonconforming"),
    # 3 金水区 洗衣机, large, in a shop: conforming
    Batch("410105", "0402", ZHENGZHOU, "large", "circulation", date(2026, 2, 5), "conforming"),
    # 4 洛阳 老城区 羽绒服装 (a depth-3 leaf), provincial plan, medium: nonconforming
    Batch("410302", "020101", HENAN, "medium", "production", date(2026, 2, 14), "nonconforming"),
    # 5 老城区 羽绒被, micro, online: nonconforming, objected, the re-test found it conforming
    Batch("410302", "020102", HENAN, "micro", "e_commerce", date(2026, 3, 1), "nonconforming",
          retest_verdict="conforming"),
    # 6 济源 (a prefecture-level unit directly under the province): conforming
    Batch("419001", "0401", HENAN, "small", "production", date(2026, 3, 15), "conforming"),
    # 7 武汉 江岸区, Hubei provincial plan: nonconforming
    Batch("420102", "0401", HUBEI, "small", "production", date(2026, 1, 5), "nonconforming"),
    # 8 中原区: nonconforming but still in its objection window — not counted
    Batch("410102", "0401", ZHENGZHOU, "small", "production", date(2026, 3, 20), "nonconforming",
          final=False),
    # 9 江岸区, size unknown to the directory, online: conforming
    Batch("420102", "0401", HUBEI, None, "e_commerce", date(2026, 4, 2), "conforming"),
]
# fmt: on


@pytest.fixture
async def fixture(session: AsyncSession) -> None:
    for batch in FIXTURE:
        await add_batch(session, batch)


async def report(session: AsyncSession, *group_by: str, **options: Any) -> PassRates:
    filters = Filters(**options.pop("filters", {}))
    request = PassRateRequest(group_by=group_by, filters=filters, **{**RANGE, **options})
    return await pass_rates(session, request, today=TODAY)


def figures(result: PassRates, *keys: str) -> dict[tuple[Any, ...], tuple[Any, ...]]:
    """Each row as (keys) → (tested, nonconforming, nonconformity rate, pass rate)."""
    return {
        tuple(getattr(row, k) for k in keys): (
            row.tested,
            row.nonconforming,
            row.nonconformity_rate,
            row.pass_rate,
        )
        for row in result.rows
    }


def D(text: str) -> Decimal:  # noqa: N802 - reads like a literal
    return Decimal(text)


@pytest.mark.usefixtures("fixture")
async def test_overall_only_final_results_count_and_a_retest_counts_once_as_concluded(
    session: AsyncSession,
) -> None:
    # Final: 1–7 and 9 (8 is not final). Nonconforming: 2, 4, 7 (5 was re-tested conforming).
    overall = await report(session)
    (row,) = overall.rows
    assert (row.sampled, row.tested, row.nonconforming) == (8, 8, 3)
    assert row.nonconformity_rate == D("0.3750")
    assert row.pass_rate == D("0.6250")


@pytest.mark.usefixtures("fixture")
async def test_regions_roll_up_to_prefecture_and_province(session: AsyncSession) -> None:
    provinces = await report(session, "region", region_level=RegionGrouping.PROVINCE)
    assert figures(provinces, "region") == {
        ("410000",): (6, 2, D("0.3333"), D("0.6667")),  # 1–6: 2 and 4
        ("420000",): (2, 1, D("0.5000"), D("0.5000")),  # 7 and 9: 7
    }
    assert [r.region_name for r in provinces.rows] == ["河南省", "湖北省"]

    henan_cities = await report(session, "region", filters={"region": "410000"})
    assert figures(henan_cities, "region") == {
        ("410100",): (3, 1, D("0.3333"), D("0.6667")),  # 1, 2, 3
        ("410300",): (2, 1, D("0.5000"), D("0.5000")),  # 4, 5
        ("419001",): (1, 0, D("0.0000"), D("1.0000")),  # 6: directly under the province
    }

    zhengzhou = await report(
        session, "region", region_level=RegionGrouping.COUNTY, filters={"region": "410100"}
    )
    assert figures(zhengzhou, "region") == {
        ("410102",): (2, 1, D("0.5000"), D("0.5000")),
        ("410105",): (1, 0, D("0.0000"), D("1.0000")),
    }


@pytest.mark.usefixtures("fixture")
async def test_categories_roll_up_by_code_prefix(session: AsyncSession) -> None:
    groups = await report(session, "category")
    assert figures(groups, "category") == {
        ("02",): (2, 1, D("0.5000"), D("0.5000")),  # 4, 5
        ("04",): (6, 2, D("0.3333"), D("0.6667")),  # 1, 2, 3, 6, 7, 9
    }
    assert [r.category_name for r in groups.rows] == ["纺织品及服装", "家用电器"]

    down = await report(session, "category", category_depth=3, filters={"category": "02"})
    assert figures(down, "category") == {
        ("020101",): (1, 1, D("1.0000"), D("0.0000")),
        ("020102",): (1, 0, D("0.0000"), D("1.0000")),
    }
    middle = await report(session, "category", category_depth=2, filters={"category": "04"})
    assert figures(middle, "category") == {
        ("0401",): (5, 2, D("0.4000"), D("0.6000")),  # 1, 2, 6, 7, 9
        ("0402",): (1, 0, D("0.0000"), D("1.0000")),  # 3
    }


@pytest.mark.usefixtures("fixture")
async def test_channel_size_and_plan_level(session: AsyncSession) -> None:
    assert figures(await report(session, "place_type"), "place_type") == {
        ("circulation",): (1, 0, D("0.0000"), D("1.0000")),  # 3
        ("e_commerce",): (3, 1, D("0.3333"), D("0.6667")),  # 2, 5, 9
        ("production",): (4, 2, D("0.5000"), D("0.5000")),  # 1, 4, 6, 7
    }
    assert figures(await report(session, "enterprise_size"), "enterprise_size") == {
        ("large",): (1, 0, D("0.0000"), D("1.0000")),
        ("medium",): (1, 1, D("1.0000"), D("0.0000")),
        ("micro",): (1, 0, D("0.0000"), D("1.0000")),
        ("small",): (4, 2, D("0.5000"), D("0.5000")),  # 1, 2, 6, 7
        ("unknown",): (1, 0, D("0.0000"), D("1.0000")),  # 9
    }
    assert figures(await report(session, "plan_level"), "plan_level") == {
        ("municipal",): (3, 1, D("0.3333"), D("0.6667")),
        ("provincial",): (5, 2, D("0.4000"), D("0.6000")),
    }


@pytest.mark.usefixtures("fixture")
async def test_periods_and_two_dimensions(session: AsyncSession) -> None:
    assert figures(await report(session, "month"), "month") == {
        ("2026-01",): (3, 2, D("0.6667"), D("0.3333")),  # 1, 2, 7
        ("2026-02",): (2, 1, D("0.5000"), D("0.5000")),  # 3, 4
        ("2026-03",): (2, 0, D("0.0000"), D("1.0000")),  # 5, 6
        ("2026-04",): (1, 0, D("0.0000"), D("1.0000")),  # 9
    }
    assert figures(await report(session, "quarter"), "quarter") == {
        ("2026Q1",): (7, 3, D("0.4286"), D("0.5714")),
        ("2026Q2",): (1, 0, D("0.0000"), D("1.0000")),
    }
    assert figures(await report(session, "year"), "year") == {
        ("2026",): (8, 3, D("0.3750"), D("0.6250"))
    }
    both = await report(
        session, "region", "place_type", filters={"region": "410000", "enterprise_size": "small"}
    )
    assert figures(both, "region", "place_type") == {
        ("410100", "e_commerce"): (1, 1, D("1.0000"), D("0.0000")),  # 2
        ("410100", "production"): (1, 0, D("0.0000"), D("1.0000")),  # 1
        ("419001", "production"): (1, 0, D("0.0000"), D("1.0000")),  # 6
    }


@pytest.mark.usefixtures("fixture")
async def test_a_date_range_covers_whole_months_of_the_sampling_date(
    session: AsyncSession,
) -> None:
    february = await report(session, date_from="2026-02-28", date_to="2026-02-01")
    assert (february.date_from, february.date_to) == (date(2026, 2, 1), date(2026, 2, 28))
    (row,) = february.rows
    assert (row.tested, row.nonconforming) == (2, 1)  # 3, 4


async def test_a_group_with_nothing_in_range_is_absent_and_empty_means_no_rows(
    session: AsyncSession,
) -> None:
    assert (await report(session, "region")).rows == []
    assert (await report(session)).rows == []
