"""Testing agencies (检验检测机构) through the API: CMA certificate, validity and category scope."""

from __future__ import annotations

from datetime import date

import httpx
import pytest
from sqlmodel.ext.asyncio.session import AsyncSession

from models.system import Role
from tests.factories import Keys, agency_body, assert_problem, make_agency, new_uscc


@pytest.fixture
async def regulator(keys: Keys) -> dict[str, str]:
    return await keys.headers(Role.REGULATOR, department="scjg-410100")


async def test_a_regulator_registers_reads_and_updates_an_agency(
    client: httpx.AsyncClient, regulator: dict[str, str]
) -> None:
    body = agency_body("410100", category_scope=["0401", "04", "0401"])
    created = await client.post("/api/v1/agencies", json=body, headers=regulator)
    assert created.status_code == 201, created.text
    agency = created.json()
    assert agency["category_scope"] == ["04", "0401"]
    assert (agency["cma_number"], agency["region_code"]) == (body["cma_number"], "410100")

    url = f"/api/v1/agencies/{agency['id']}"
    assert (await client.get(url, headers=regulator)).json() == agency
    updated = await client.patch(
        url,
        json={"name": "郑州市产品质量检验检测中心", "category_scope": ["05"]},
        headers=regulator,
    )
    assert updated.status_code == 200, updated.text
    assert (updated.json()["name"], updated.json()["category_scope"]) == (
        "郑州市产品质量检验检测中心",
        ["05"],
    )


async def test_agencies_are_readable_by_departments_and_other_agencies(
    client: httpx.AsyncClient, keys: Keys, session: AsyncSession
) -> None:
    agency = await make_agency(session)
    for headers in (
        await keys.headers(Role.DEPARTMENT, department="fgw-410000"),
        await keys.headers(Role.AGENCY, agency=(await make_agency(session)).id),
    ):
        response = await client.get(f"/api/v1/agencies/{agency.id}", headers=headers)
        assert response.status_code == 200, response.text


async def test_a_category_filter_finds_agencies_whose_scope_covers_it(
    client: httpx.AsyncClient, regulator: dict[str, str], session: AsyncSession
) -> None:
    appliances = await make_agency(session, scope=["04"])
    fridges = await make_agency(session, scope=["0401"])
    textiles = await make_agency(session, scope=["02", "0501"])

    async def found(category_code: str) -> set[str]:
        response = await client.get(
            "/api/v1/agencies", params={"category_code": category_code}, headers=regulator
        )
        assert response.status_code == 200, response.text
        return {a["id"] for a in response.json()["items"]}

    assert await found("0401") == {str(appliances.id), str(fridges.id)}
    assert await found("0402") == {str(appliances.id)}
    # An agency for fridges alone does not cover all household appliances.
    assert await found("04") == {str(appliances.id)}
    assert await found("020101") == {str(textiles.id)}
    assert await found("0501") == {str(textiles.id)}
    assert await found("06") == set()


async def test_a_validity_filter_finds_agencies_whose_certificate_is_valid_that_day(
    client: httpx.AsyncClient, regulator: dict[str, str], session: AsyncSession
) -> None:
    old = await make_agency(session, valid_from=date(2018, 1, 1), valid_until=date(2023, 12, 31))
    new = await make_agency(session, valid_from=date(2024, 1, 1), valid_until=date(2029, 12, 31))

    async def found(day: str) -> set[str]:
        response = await client.get("/api/v1/agencies", params={"valid_on": day}, headers=regulator)
        assert response.status_code == 200, response.text
        return {a["id"] for a in response.json()["items"]}

    assert await found("2023-12-31") == {str(old.id)}
    assert await found("2024-01-01") == {str(new.id)}
    assert await found("2029-12-31") == {str(new.id)}
    assert await found("2030-01-01") == set()


async def test_agencies_filter_by_region_and_activity(
    client: httpx.AsyncClient, regulator: dict[str, str], session: AsyncSession
) -> None:
    zhengzhou = await make_agency(session, region_code="410100")
    retired = await make_agency(session, region_code="410100")
    wuhan = await make_agency(session, region_code="420100")
    await client.patch(f"/api/v1/agencies/{retired.id}", json={"active": False}, headers=regulator)

    async def found(**params: str) -> set[str]:
        response = await client.get("/api/v1/agencies", params=params, headers=regulator)
        return {a["id"] for a in response.json()["items"]}

    assert await found(region_code="410100") == {str(zhengzhou.id), str(retired.id)}
    assert await found(region_code="410100", active="true") == {str(zhengzhou.id)}
    assert await found(active="false") == {str(retired.id)}
    assert await found(region_code="420100") == {str(wuhan.id)}


async def test_a_second_agency_with_the_same_cma_certificate_conflicts(
    client: httpx.AsyncClient, regulator: dict[str, str], session: AsyncSession
) -> None:
    first = await make_agency(session)
    # Compared trimmed and upper-cased, as stored.
    body = agency_body("410100", cma_number=f" {first.cma_number.lower()} ")
    response = await client.post("/api/v1/agencies", json=body, headers=regulator)
    assert_problem(response, 409, "agency.cma_exists")

    other = await make_agency(session)
    response = await client.patch(
        f"/api/v1/agencies/{other.id}", json={"cma_number": first.cma_number}, headers=regulator
    )
    assert_problem(response, 409, "agency.cma_exists")


async def test_a_second_agency_with_the_same_uscc_conflicts(
    client: httpx.AsyncClient, regulator: dict[str, str], session: AsyncSession
) -> None:
    first = await make_agency(session)
    response = await client.post(
        "/api/v1/agencies", json=agency_body("410100", uscc=first.uscc), headers=regulator
    )
    assert_problem(response, 409, "agency.uscc_exists")


async def test_an_agency_needs_known_categories_a_known_region_and_a_valid_uscc(
    client: httpx.AsyncClient, regulator: dict[str, str]
) -> None:
    for overrides, code in (
        ({"category_scope": ["04", "9999"]}, "category.unknown"),
        ({"region_code": "419999"}, "region.unknown"),
        ({"uscc": new_uscc("410100")[:17] + "I"}, "uscc.malformed"),
        ({"category_scope": []}, "request.invalid"),
        ({"cma_valid_from": "2030-01-01", "cma_valid_until": "2029-01-01"}, "request.invalid"),
    ):
        response = await client.post(
            "/api/v1/agencies", json={**agency_body("410100"), **overrides}, headers=regulator
        )
        assert_problem(response, 422, code)


async def test_an_update_may_not_end_the_certificate_before_it_starts(
    client: httpx.AsyncClient, regulator: dict[str, str], session: AsyncSession
) -> None:
    agency = await make_agency(session, valid_from=date(2024, 1, 1))
    response = await client.patch(
        f"/api/v1/agencies/{agency.id}", json={"cma_valid_until": "2023-06-30"}, headers=regulator
    )
    assert_problem(response, 422, "agency.cma_validity")


async def test_deactivating_an_agency_keeps_it_readable_and_records_when(
    client: httpx.AsyncClient, regulator: dict[str, str], session: AsyncSession
) -> None:
    agency = await make_agency(session)
    url = f"/api/v1/agencies/{agency.id}"

    assert_problem(await client.patch(url, json={}, headers=regulator), 422, "request.empty_update")
    off = await client.patch(url, json={"active": False}, headers=regulator)
    assert off.status_code == 200, off.text
    read = (await client.get(url, headers=regulator)).json()
    assert (read["active"], read["deactivated_at"] is not None) == (False, True)


async def test_an_unknown_agency_is_not_found(
    client: httpx.AsyncClient, regulator: dict[str, str]
) -> None:
    url = "/api/v1/agencies/00000000-0000-4000-8000-000000000000"
    assert_problem(await client.get(url, headers=regulator), 404, "agency.not_found")
    response = await client.patch(url, json={"name": "x"}, headers=regulator)
    assert_problem(response, 404, "agency.not_found")
