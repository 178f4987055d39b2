"""/stats/pass-rates (JSON and CSV), /stats/rankings and /public/stats/pass-rates over HTTP: who
may read them, the shapes, the CSV a spreadsheet opens, and every bad input as a 4xx problem."""

from __future__ import annotations

import csv
import io
from datetime import date
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from sqlmodel.ext.asyncio.session import AsyncSession

from models.system import Role
from tests.factories import Keys, assert_problem
from tests.routers.test_problems_fuzz import HOSTILE_SEGMENTS, HOSTILE_TEXT, Report
from tests.service.test_stats_rollup import Batch, add_batch

PASS_RATES = "/api/v1/stats/pass-rates"
PUBLIC = "/api/v1/public/stats/pass-rates"
RANKINGS = "/api/v1/stats/rankings"
RANGE = {"date_from": "2026-01", "date_to": "2026-03"}


@pytest.fixture
async def results(session: AsyncSession) -> None:
    for region, category, place, verdict in [
        ("410102", "0401", "production", "conforming"),
        ("410102", "0401", "e_commerce", "nonconforming"),
        ("410302", "020101", "production", "conforming"),
    ]:
        batch = Batch(region, category, "scjg-410000", "small", place, date(2026, 2, 3), verdict)
        await add_batch(session, batch, final_on=date(2026, 3, 31))


@pytest.fixture
async def regulator(keys: Keys) -> dict[str, str]:
    return await keys.headers(Role.REGULATOR, department="scjg-410100")


@pytest.mark.usefixtures("results")
async def test_rows_carry_the_group_keys_names_counts_rates_and_interval(
    client: httpx.AsyncClient, regulator: dict[str, str]
) -> None:
    response = await client.get(
        PASS_RATES, params={"group_by": "region,category", **RANGE}, headers=regulator
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["group_by"] == ["region", "category"]
    assert (body["region_level"], body["category_depth"]) == ("prefecture", 1)
    assert (body["date_from"], body["date_to"]) == ("2026-01-01", "2026-03-31")
    assert body["rows"] == [
        {
            "region": "410100",
            "region_name": "郑州市",
            "category": "04",
            "category_name": "家用电器",
            "sampled": 2,
            "tested": 2,
            "nonconforming": 1,
            "nonconformity_rate": "0.5000",
            "pass_rate": "0.5000",
            "ci_low": "0.0945",
            "ci_high": "0.9055",
            "nonconformity_ci_low": "0.0945",
            "nonconformity_ci_high": "0.9055",
        },
        {
            "region": "410300",
            "region_name": "洛阳市",
            "category": "02",
            "category_name": "纺织品及服装",
            "sampled": 1,
            "tested": 1,
            "nonconforming": 0,
            "nonconformity_rate": "0.0000",
            "pass_rate": "1.0000",
            "ci_low": "0.2065",
            "ci_high": "1.0000",
            "nonconformity_ci_low": "0.0000",
            "nonconformity_ci_high": "0.7935",
        },
    ]
    assert body["method"]["ci_of"] == "pass_rate"


@pytest.mark.usefixtures("results")
async def test_csv_has_a_bom_a_header_and_chinese_names(
    client: httpx.AsyncClient, regulator: dict[str, str]
) -> None:
    response = await client.get(
        PASS_RATES,
        params={"group_by": ["region", "place_type"], "format": "csv", **RANGE},
        headers=regulator,
    )
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert "attachment" in response.headers["content-disposition"]
    assert response.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert list(rows[0]) == [
        "region",
        "region_name",
        "place_type",
        "sampled",
        "tested",
        "nonconforming",
        "nonconformity_rate",
        "pass_rate",
        "ci_low",
        "ci_high",
        "nonconformity_ci_low",
        "nonconformity_ci_high",
    ]
    assert [(r["region_name"], r["place_type"], r["pass_rate"]) for r in rows] == [
        ("郑州市", "e_commerce", "0.0000"),
        ("郑州市", "production", "1.0000"),
        ("洛阳市", "production", "1.0000"),
    ]


@pytest.mark.usefixtures("results")
async def test_the_public_gets_the_same_figures_without_a_key(
    client: httpx.AsyncClient, regulator: dict[str, str]
) -> None:
    params = {"group_by": "place_type", **RANGE}
    public = await client.get(PUBLIC, params=params)
    assert public.status_code == 200, public.text
    private = await client.get(PASS_RATES, params=params, headers=regulator)
    assert public.json()["rows"] == private.json()["rows"]
    assert public.json()["published_only"] is True
    csv_body = await client.get(PUBLIC, params={**params, "format": "csv"})
    assert csv_body.content.startswith(b"\xef\xbb\xbf")


@pytest.mark.usefixtures("results")
async def test_a_json_answer_comes_a_page_at_a_time_and_csv_has_every_row(
    client: httpx.AsyncClient, regulator: dict[str, str]
) -> None:
    params: dict[str, Any] = {"group_by": "place_type,region", "region_level": "county", **RANGE}
    whole = await client.get(PASS_RATES, params=params, headers=regulator)
    assert whole.json()["next_cursor"] is None
    for url, headers in [(PASS_RATES, regulator), (PUBLIC, {})]:
        rows: list[dict[str, Any]] = []
        cursor: str | None = None
        pages = 0
        while True:
            paged = {**params, "limit": 2} | ({"cursor": cursor} if cursor else {})
            body = (await client.get(url, params=paged, headers=headers)).json()
            assert len(body["rows"]) <= 2
            rows += body["rows"]
            pages += 1
            cursor = body["next_cursor"]
            if cursor is None:
                break
        assert (pages, rows) == (2, whole.json()["rows"])
    assert [(r["region"], r["place_type"]) for r in rows] == [
        ("410102", "e_commerce"),
        ("410102", "production"),
        ("410302", "production"),
    ]
    exported = await client.get(
        PASS_RATES, params={**params, "limit": 1, "format": "csv"}, headers=regulator
    )
    assert len(list(csv.DictReader(io.StringIO(exported.content.decode("utf-8-sig"))))) == 3


async def test_regulators_departments_and_admins_read_statistics(
    client: httpx.AsyncClient, keys: Keys, session: AsyncSession
) -> None:
    from tests.factories import make_agency, make_enterprise

    agency = await make_agency(session)
    enterprise = await make_enterprise(session)
    for role, extra, status in [
        (Role.ADMIN, {}, 200),
        (Role.REGULATOR, {}, 200),
        (Role.DEPARTMENT, {}, 200),
        (Role.AGENCY, {"agency": agency.id}, 403),
        (Role.ENTERPRISE, {"uscc": enterprise.uscc}, 403),
    ]:
        headers = await keys.headers(role, **extra)  # type: ignore[arg-type]
        for url, params in [(PASS_RATES, {}), (RANKINGS, {"level": "province", "period": "2025"})]:
            response = await client.get(url, params=params, headers=headers)
            assert response.status_code == status, (role, url, response.text)
    assert_problem(await client.get(PASS_RATES), 401, "auth.missing")
    assert_problem(await client.get(RANKINGS, params={"level": "province"}), 401, "auth.missing")


async def test_rankings_over_http(client: httpx.AsyncClient, regulator: dict[str, str]) -> None:
    response = await client.get(
        RANKINGS,
        params={"level": "prefecture", "parent": "410000", "period": "2025Q3"},
        headers=regulator,
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["parent_name"], body["previous_period"]) == ("河南省", "2025Q2")
    assert body["targets"] == {"410000": "0.95", "420000": "0.90"}
    assert len(body["entries"]) == 18  # 17 cities and 济源


BAD_PASS_RATES: list[tuple[dict[str, Any], str]] = [
    ({"group_by": "colour"}, "stats.unknown_dimension"),
    ({"group_by": "month,year"}, "stats.conflicting_dimensions"),
    ({"date_from": "2026-05", "date_to": "2026-04"}, "stats.range_reversed"),
    ({"date_from": "2016-01", "date_to": "2026-04"}, "stats.range_too_long"),
    ({"date_from": "2026-02-30"}, "stats.invalid_date"),
    ({"region": "990000"}, "stats.unknown_region"),
    ({"category": "9999"}, "stats.unknown_category"),
    ({"agency": "00000000-0000-0000-0000-000000000001"}, "stats.unknown_agency"),
    ({"region_level": "street"}, "request.invalid"),
    ({"region_level": "national"}, "request.invalid"),
    ({"category_depth": "4"}, "request.invalid"),
    ({"category_depth": "one"}, "request.invalid"),
    ({"plan_level": "village"}, "request.invalid"),
    ({"place_type": "market"}, "request.invalid"),
    ({"enterprise_size": "huge"}, "request.invalid"),
    ({"agency": "not-a-uuid"}, "request.invalid"),
    ({"region": "4101"}, "request.invalid"),
    ({"category": "041"}, "request.invalid"),
    ({"date_to": "2026/04"}, "request.invalid"),
    ({"format": "xlsx"}, "request.invalid"),
    ({"group_by": ["year"] * 11}, "request.invalid"),
    ({"limit": "0"}, "request.invalid"),
    ({"limit": "5001"}, "request.invalid"),
    ({"cursor": "!!"}, "pagination.cursor_invalid"),
    ({"cursor": "WyI0MTAwMDAiXQ"}, "pagination.cursor_invalid"),  # ["410000"]: no group_by
]


@pytest.mark.parametrize(("params", "code"), BAD_PASS_RATES)
async def test_bad_pass_rate_requests_are_422_problems(
    client: httpx.AsyncClient, regulator: dict[str, str], params: dict[str, Any], code: str
) -> None:
    assert_problem(await client.get(PASS_RATES, params=params, headers=regulator), 422, code)
    assert_problem(await client.get(PUBLIC, params=params), 422, code)


@pytest.mark.parametrize(
    ("params", "code"),
    [
        (
            {"level": "prefecture", "parent": "410100", "period": "2025"},
            "stats.level_not_below_parent",
        ),
        ({"level": "county", "parent": "999900", "period": "2025"}, "stats.unknown_region"),
        ({"level": "county", "parent": "410000", "period": "2025Q5"}, "stats.invalid_period"),
        ({"level": "county", "parent": "410000"}, "request.invalid"),
        ({"level": "national", "period": "2025"}, "request.invalid"),
        ({"level": "county", "parent": "41", "period": "2025"}, "request.invalid"),
        ({"level": "county", "period": "2025-07-01"}, "request.invalid"),
    ],
)
async def test_bad_ranking_requests_are_422_problems(
    client: httpx.AsyncClient, regulator: dict[str, str], params: dict[str, Any], code: str
) -> None:
    assert_problem(await client.get(RANKINGS, params=params, headers=regulator), 422, code)


async def test_hostile_query_values_never_cause_a_server_error(
    client: httpx.AsyncClient, regulator: dict[str, str]
) -> None:
    report = Report()
    names = [
        "group_by", "region_level", "category_depth", "region", "category", "plan_level",
        "plan_kind", "place_type", "enterprise_size", "agency", "date_from", "date_to", "format",
        "limit", "cursor",
    ]  # fmt: skip
    # Text that can be sent as it is, and percent-encoded NULs, surrogates and invalid UTF-8.
    texts = [quote(t) for t in HOSTILE_TEXT if t != "\ud800"] + HOSTILE_SEGMENTS
    for name in names:
        for value in texts:
            response = await client.get(f"{PUBLIC}?{name}={value}")
            report.check(response, f"{PUBLIC} {name}={value!r}")
    for name in ("level", "parent", "period"):
        for value in texts:
            url = f"{RANKINGS}?level=county&period=2025&{name}={value}"
            response = await client.get(url, headers=regulator)
            report.check(response, f"{RANKINGS} {name}={value!r}")
    assert report.failures == []
