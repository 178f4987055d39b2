"""Inspectors (执法检查人员名录库) through the API: certificates, specialities and declared
conflicts of interest (回避)."""

from __future__ import annotations

import httpx
import pytest
from sqlmodel.ext.asyncio.session import AsyncSession

from models.system import Role
from tests.factories import (
    Keys,
    assert_problem,
    inspector_body,
    make_enterprise,
    make_inspector,
    new_uscc,
)


@pytest.fixture
async def regulator(keys: Keys) -> dict[str, str]:
    return await keys.headers(Role.REGULATOR, department="scjg-410100")


async def test_a_regulator_registers_reads_and_updates_an_inspector(
    client: httpx.AsyncClient, regulator: dict[str, str]
) -> None:
    body = inspector_body("scjg-410100", specialities=["0402", "0401", "0402"])
    created = await client.post("/api/v1/inspectors", json=body, headers=regulator)
    assert created.status_code == 201, created.text
    inspector = created.json()
    assert inspector["specialities"] == ["0401", "0402"]
    assert (inspector["conflicts"], inspector["active"]) == ([], True)

    url = f"/api/v1/inspectors/{inspector['id']}"
    assert (await client.get(url, headers=regulator)).json() == inspector
    updated = await client.patch(
        url, json={"name": "张执法", "specialities": ["05"]}, headers=regulator
    )
    assert updated.status_code == 200, updated.text
    assert (updated.json()["name"], updated.json()["specialities"]) == ("张执法", ["05"])


async def test_a_certificate_number_is_registered_once(
    client: httpx.AsyncClient, regulator: dict[str, str], session: AsyncSession
) -> None:
    first = await make_inspector(session)
    body = inspector_body(certificate_number=f"  {first.certificate_number.lower()}")
    response = await client.post("/api/v1/inspectors", json=body, headers=regulator)
    assert_problem(response, 409, "inspector.certificate_exists")


async def test_an_inspector_belongs_to_a_known_market_regulation_department(
    client: httpx.AsyncClient, keys: Keys
) -> None:
    admin = await keys.admin()
    for department_code, code in (
        ("fgw-410000", "inspector.department_not_regulator"),
        ("czt-410000", "inspector.department_not_regulator"),
        ("scjg-419999", "department.unknown"),
    ):
        response = await client.post(
            "/api/v1/inspectors", json=inspector_body(department_code), headers=admin
        )
        assert_problem(response, 422, code)


async def test_specialities_must_be_known_categories(
    client: httpx.AsyncClient, regulator: dict[str, str], session: AsyncSession
) -> None:
    body = inspector_body(specialities=["0401", "9901"])
    response = await client.post("/api/v1/inspectors", json=body, headers=regulator)
    assert_problem(response, 422, "category.unknown")

    inspector = await make_inspector(session)
    response = await client.patch(
        f"/api/v1/inspectors/{inspector.id}", json={"specialities": ["98"]}, headers=regulator
    )
    assert_problem(response, 422, "category.unknown")


async def test_inspectors_filter_by_speciality_department_and_activity(
    client: httpx.AsyncClient, regulator: dict[str, str], keys: Keys
) -> None:
    admin = await keys.admin()
    ids: dict[str, str] = {}
    for label, department, specialities in (
        ("fridges", "scjg-410100", ["0401"]),
        ("appliances", "scjg-410100", ["0401", "0402"]),
        ("toys", "scjg-410100", ["0601"]),
        ("kaifeng", "scjg-410200", ["0401"]),
    ):
        body = inspector_body(department, specialities=specialities)
        ids[label] = (await client.post("/api/v1/inspectors", json=body, headers=admin)).json()[
            "id"
        ]
    await client.patch(f"/api/v1/inspectors/{ids['toys']}", json={"active": False}, headers=admin)

    async def found(**params: str) -> set[str]:
        response = await client.get("/api/v1/inspectors", params=params, headers=admin)
        assert response.status_code == 200, response.text
        names = {v: k for k, v in ids.items()}
        return {names[i["id"]] for i in response.json()["items"]}

    assert await found(speciality="0401") == {"fridges", "appliances", "kaifeng"}
    assert await found(speciality="0402") == {"appliances"}
    assert await found(speciality="04") == set()  # specialities match exactly
    assert await found(department_code="scjg-410200") == {"kaifeng"}
    assert await found(active="false") == {"toys"}
    assert await found(speciality="0401", department_code="scjg-410100", active="true") == {
        "fridges",
        "appliances",
    }


async def test_a_declared_conflict_of_interest_is_shown_with_the_inspector(
    client: httpx.AsyncClient, regulator: dict[str, str], session: AsyncSession
) -> None:
    inspector = await make_inspector(session)
    enterprise = await make_enterprise(session)
    url = f"/api/v1/inspectors/{inspector.id}"

    declared = await client.post(
        f"{url}/conflicts",
        json={"enterprise_uscc": enterprise.uscc.lower(), "reason": "配偶在该企业任质量负责人"},
        headers=regulator,
    )

    assert declared.status_code == 201, declared.text
    conflicts = (await client.get(url, headers=regulator)).json()["conflicts"]
    assert [(c["enterprise_uscc"], c["reason"]) for c in conflicts] == [
        (enterprise.uscc, "配偶在该企业任质量负责人")
    ]
    listed = await client.get("/api/v1/inspectors", headers=regulator)
    assert listed.json()["items"][0]["conflicts"] == conflicts


async def test_a_conflict_is_declared_once_and_only_for_a_registered_enterprise(
    client: httpx.AsyncClient, regulator: dict[str, str], session: AsyncSession
) -> None:
    inspector = await make_inspector(session)
    enterprise = await make_enterprise(session)
    url = f"/api/v1/inspectors/{inspector.id}/conflicts"
    body = {"enterprise_uscc": enterprise.uscc, "reason": "曾在该企业任职"}

    assert (await client.post(url, json=body, headers=regulator)).status_code == 201
    response = await client.post(url, json=body, headers=regulator)
    assert_problem(response, 409, "inspector.conflict_exists")
    response = await client.post(
        url, json={"enterprise_uscc": new_uscc(), "reason": "亲属关系"}, headers=regulator
    )
    assert_problem(response, 422, "enterprise.unknown")


async def test_deactivating_an_inspector_keeps_them_readable_and_records_when(
    client: httpx.AsyncClient, regulator: dict[str, str], session: AsyncSession
) -> None:
    inspector = await make_inspector(session)
    url = f"/api/v1/inspectors/{inspector.id}"

    assert_problem(await client.patch(url, json={}, headers=regulator), 422, "request.empty_update")
    off = await client.patch(url, json={"active": False}, headers=regulator)
    assert off.status_code == 200, off.text
    read = (await client.get(url, headers=regulator)).json()
    assert (read["active"], read["deactivated_at"] is not None) == (False, True)


async def test_an_unknown_inspector_is_not_found(
    client: httpx.AsyncClient, regulator: dict[str, str]
) -> None:
    url = "/api/v1/inspectors/00000000-0000-4000-8000-000000000000"
    assert_problem(await client.get(url, headers=regulator), 404, "inspector.not_found")
    response = await client.post(
        f"{url}/conflicts", json={"enterprise_uscc": new_uscc(), "reason": "x"}, headers=regulator
    )
    assert_problem(response, 404, "inspector.not_found")
