"""Publication (一公开, rules §5; issue 4 point 4): anyone, without a key, reads the final results
— enterprise name and USCC, product, brand, model, batch, verdict, failing items, organiser and
agency — and nothing that is not final yet. Each filter narrows the list."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from sqlmodel.ext.asyncio.session import AsyncSession

from models.results import Objection, Result, Retest, Sample, TestReport
from service.db import commit
from tests.factories import DrawnTask, assert_problem, make_agency, make_result, make_task

URL = "/api/v1/public/results"


@dataclass
class Published:
    """Final results published on different days, and two that are not final yet."""

    drawn: dict[str, DrawnTask]
    results: dict[str, Result]

    def ids(self, *names: str) -> list[str]:
        return [str(self.results[n].id) for n in names]


@pytest.fixture
async def published(session: AsyncSession) -> Published:
    drawn = {
        # Zhengzhou's fridge, nonconforming, published 2026-04-08.
        "fridge": await make_task(session, department_code="scjg-410100"),
        # A Wuhan washing machine (0402), conforming, published 2026-04-20.
        "washer": await make_task(
            session, department_code="scjg-420100", region_code="420102", category_code="0402"
        ),
        # A Henan product in category 05, conforming, published 2026-05-06.
        "other": await make_task(session, department_code="scjg-410000", category_code="0501"),
        "notified": await make_task(session),
        "objected": await make_task(session),
    }
    results = {
        "fridge": await make_result(
            session,
            drawn["fridge"],
            verdict="nonconforming",
            state="final",
            final_on=date(2026, 4, 8),
        ),
        "washer": await make_result(
            session, drawn["washer"], state="final", final_on=date(2026, 4, 20)
        ),
        "other": await make_result(
            session, drawn["other"], state="final", final_on=date(2026, 5, 6)
        ),
        "notified": await make_result(session, drawn["notified"], verdict="nonconforming"),
        "objected": await make_result(session, drawn["objected"], state="objected"),
    }
    sample = await session.get(Sample, results["fridge"].sample_id)
    assert sample is not None
    sample.batch_number = "20260215"
    await commit(session)
    return Published(drawn, results)


async def public_ids(client: httpx.AsyncClient, **params: Any) -> list[str]:
    response = await client.get(URL, params=params)
    assert response.status_code == 200, response.text
    return [item["id"] for item in response.json()["items"]]


async def test_only_final_results_are_public_newest_first_and_need_no_key(
    client: httpx.AsyncClient, published: Published
) -> None:
    assert await public_ids(client) == published.ids("other", "washer", "fridge")


async def test_a_published_result_names_everything_the_public_is_told(
    client: httpx.AsyncClient, published: Published
) -> None:
    drawn = published.drawn["fridge"]
    response = await client.get(f"{URL}/{published.results['fridge'].id}")
    assert response.status_code == 200, response.text
    item = response.json()
    assert item["enterprise_uscc"] == drawn.enterprise.uscc
    assert item["enterprise_name"] == drawn.enterprise.name
    assert (item["product_name"], item["brand"], item["model"]) == (
        drawn.product.name,
        drawn.product.brand,
        drawn.product.model,
    )
    assert item["batch_number"] == "20260215"
    assert item["verdict"] == "nonconforming"
    assert item["failing_items"] == [
        {
            "name": "耗电量",
            "standard_clause": "GB 12021.2-2015 4.2",
            "requirement": "≤ 0.50",
            "measured_value": "0.62",
            "unit": "kWh/24h",
            "severity": "general",
        }
    ]
    assert (item["organiser_code"], item["organiser_name"]) == (
        "scjg-410100",
        "郑州市市场监督管理局",
    )
    assert item["agency_name"] == drawn.agency.name
    assert item["retest_agency_name"] is None
    assert item["sampled_on"] == "2026-03-02"
    assert item["published_on"] == "2026-04-08"
    # The list carries the same item.
    listed = (await client.get(URL, params={"verdict": "nonconforming"})).json()["items"]
    assert listed == [item]


async def test_a_result_not_yet_final_is_not_found(
    client: httpx.AsyncClient, published: Published
) -> None:
    for name in ("notified", "objected"):
        response = await client.get(f"{URL}/{published.results[name].id}")
        assert_problem(response, 404, "result.not_found")


@pytest.mark.parametrize(
    ("params", "names"),
    [
        ({"region_code": "410000"}, ["other", "fridge"]),
        ({"region_code": "410102"}, ["other", "fridge"]),
        ({"region_code": "420000"}, ["washer"]),
        ({"region_code": "410200"}, []),
        ({"category_code": "04"}, ["washer", "fridge"]),
        ({"category_code": "0402"}, ["washer"]),
        ({"category_code": "05"}, ["other"]),
        ({"verdict": "conforming"}, ["other", "washer"]),
        ({"verdict": "nonconforming"}, ["fridge"]),
        ({"period_from": "2026-04-20"}, ["other", "washer"]),
        ({"period_to": "2026-04-20"}, ["washer", "fridge"]),
        ({"period_from": "2026-04-09", "period_to": "2026-05-05"}, ["washer"]),
        ({"period_from": "2026-04-08", "period_to": "2026-04-08"}, ["fridge"]),
    ],
)
async def test_each_filter_narrows_the_public_list(
    client: httpx.AsyncClient, published: Published, params: dict[str, str], names: list[str]
) -> None:
    assert await public_ids(client, **params) == published.ids(*names)


async def test_the_enterprise_filter_takes_the_uscc_in_any_case(
    client: httpx.AsyncClient, published: Published
) -> None:
    uscc = published.drawn["washer"].enterprise.uscc
    assert await public_ids(client, enterprise_uscc=f" {uscc.lower()} ") == published.ids("washer")


async def test_the_public_list_pages_newest_first(
    client: httpx.AsyncClient, published: Published
) -> None:
    seen: list[str] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = (await client.get(URL, params=params)).json()
        seen += [item["id"] for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == published.ids("other", "washer", "fridge")


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({"period_from": "2026-05-01", "period_to": "2026-04-01"}, "period.reversed"),
        ({"region_code": "419999"}, "region.unknown"),
        ({"period_from": "2026-02-30"}, "request.invalid"),
        ({"verdict": "pass"}, "request.invalid"),
        ({"category_code": "0"}, "request.invalid"),
        ({"cursor": "bm90LWEtY3Vyc29y"}, "pagination.cursor_invalid"),
        ({"cursor": "WyIyMDI2LTEzLTAxIiwgIngiXQ"}, "pagination.cursor_invalid"),
        ({"limit": 0}, "request.invalid"),
    ],
)
async def test_bad_public_queries_are_a_problem(
    client: httpx.AsyncClient, params: dict[str, Any], code: str
) -> None:
    assert_problem(await client.get(URL, params=params), 422, code)


async def test_after_a_retest_the_public_sees_the_retest_outcome(
    client: httpx.AsyncClient, session: AsyncSession, published: Published
) -> None:
    """The re-test is final for the disputed items; the others keep the first report's
    outcome."""
    result = published.results["fridge"]
    original = await session.get(TestReport, result.original_report_id)
    assert original is not None
    # The first report failed two items; the enterprise disputed only 耗电量, which passed.
    original.items = [
        {**item, "verdict": "fail", "severity": "general"} if n < 2 else item
        for n, item in enumerate(original.items)
    ]
    retest_agency = await make_agency(session)
    retest_report = TestReport(
        agency_id=retest_agency.id,
        report_number="FJ-0002",
        kind="retest",
        sample_id=result.sample_id,
        issued_on=date(2026, 4, 8),
        verdict="conforming",
        items=[{**original.items[0], "verdict": "pass", "severity": None}],
        content_digest="2" * 64,
    )
    session.add(retest_report)
    await session.flush()
    objection = Objection(
        result_id=result.id,
        enterprise_uscc=result.enterprise_uscc,
        filed_on=date(2026, 3, 25),
        disputed_items=["耗电量"],
        reason="异议",
        state="retest_ordered",
    )
    session.add(objection)
    await session.flush()
    session.add(
        Retest(
            objection_id=objection.id,
            result_id=result.id,
            sample_id=result.sample_id,
            agency_id=retest_agency.id,
            disputed_items=["耗电量"],
            state="reported",
            report_id=retest_report.id,
        )
    )
    result.report_id = retest_report.id
    await commit(session)
    item = (await client.get(f"{URL}/{result.id}")).json()
    assert [i["name"] for i in item["failing_items"]] == ["噪声"]
    assert item["retest_agency_name"] == retest_agency.name


# Already percent-encoded: %ED%A0%80 is a lone surrogate, which a client cannot even encode.
HOSTILE = [
    "a%00b",
    "%ED%A0%80",
    "%FF%FE",
    "x" * 5_000,
    quote("' OR '1'='1"),
    quote("%_\\"),
    quote("😀"),
    "-1",
    "",
]


@pytest.mark.parametrize(
    "name",
    ["region_code", "category_code", "verdict", "period_from", "enterprise_uscc", "cursor"],
)
async def test_hostile_query_values_are_never_a_server_error(
    client: httpx.AsyncClient, name: str
) -> None:
    for value in HOSTILE:
        response = await client.get(f"{URL}?{name}={value}")
        assert response.status_code < 500, (value, response.text)
        if response.status_code != 200:
            assert response.headers["content-type"].startswith("application/problem+json")


async def test_a_malformed_public_result_id_is_a_problem(client: httpx.AsyncClient) -> None:
    for segment in ["not-a-uuid", "%00", "x" * 3_000, "00000000-0000-0000-0000-0"]:
        response = await client.get(f"{URL}/{segment}")
        assert 400 <= response.status_code < 500, segment
        assert response.headers["content-type"].startswith("application/problem+json")
