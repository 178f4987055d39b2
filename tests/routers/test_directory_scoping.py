"""Row scoping: a regulator writes only inside its department's region, an enterprise sees only
itself, a regulator reads only the inspectors of departments inside its region."""

from __future__ import annotations

import httpx
import pytest
from sqlmodel.ext.asyncio.session import AsyncSession

from models.system import Role
from tests.factories import (
    Keys,
    agency_body,
    assert_problem,
    enterprise_body,
    inspector_body,
    make_enterprise,
    make_inspector,
    make_product,
    product_body,
)

ZHENGZHOU = "scjg-410100"  # municipal, 郑州
HENAN = "scjg-410000"  # provincial


async def test_a_municipal_regulator_registers_and_updates_enterprises_in_its_own_city(
    client: httpx.AsyncClient, keys: Keys
) -> None:
    headers = await keys.headers(Role.REGULATOR, department=ZHENGZHOU)
    body = enterprise_body("410102")

    created = await client.post("/api/v1/enterprises", json=body, headers=headers)
    assert created.status_code == 201, created.text
    moved = await client.patch(
        f"/api/v1/enterprises/{body['uscc']}", json={"region_code": "410105"}, headers=headers
    )
    assert moved.status_code == 200, moved.text
    assert moved.json()["region_code"] == "410105"


async def test_a_municipal_regulator_cannot_register_an_enterprise_outside_its_city(
    client: httpx.AsyncClient, keys: Keys
) -> None:
    headers = await keys.headers(Role.REGULATOR, department=ZHENGZHOU)
    body = enterprise_body("410202")  # 开封 龙亭区

    response = await client.post("/api/v1/enterprises", json=body, headers=headers)

    assert_problem(response, 403, "scope.region_forbidden")
    admin = await keys.admin()
    missing = await client.get(f"/api/v1/enterprises/{body['uscc']}", headers=admin)
    assert_problem(missing, 404, "enterprise.not_found")


async def test_a_municipal_regulator_cannot_move_its_enterprise_to_another_province(
    client: httpx.AsyncClient, session: AsyncSession, keys: Keys
) -> None:
    enterprise = await make_enterprise(session, region_code="410102")
    headers = await keys.headers(Role.REGULATOR, department=ZHENGZHOU)

    response = await client.patch(
        f"/api/v1/enterprises/{enterprise.uscc}", json={"region_code": "420100"}, headers=headers
    )

    assert_problem(response, 403, "scope.region_forbidden")
    after = await client.get(f"/api/v1/enterprises/{enterprise.uscc}", headers=headers)
    assert after.json()["region_code"] == "410102"


async def test_a_municipal_regulator_cannot_change_an_enterprise_of_another_city(
    client: httpx.AsyncClient, session: AsyncSession, keys: Keys
) -> None:
    kaifeng = await make_enterprise(session, region_code="410202")
    headers = await keys.headers(Role.REGULATOR, department=ZHENGZHOU)

    # Reading crosses regions (sampling in circulation does); changing does not.
    assert (
        await client.get(f"/api/v1/enterprises/{kaifeng.uscc}", headers=headers)
    ).status_code == 200
    for method, url, body in (
        ("PATCH", f"/api/v1/enterprises/{kaifeng.uscc}", {"size": "large"}),
        # Pulling it into Zhengzhou needs authority over where it is now, too.
        ("PATCH", f"/api/v1/enterprises/{kaifeng.uscc}", {"region_code": "410102"}),
        ("POST", f"/api/v1/enterprises/{kaifeng.uscc}/products", product_body()),
    ):
        response = await client.request(method, url, json=body, headers=headers)
        assert_problem(response, 403, "scope.region_forbidden")


@pytest.mark.parametrize(
    ("region_code", "allowed"),
    [
        ("410102", True),  # a district of 郑州
        ("410202", True),  # a district of 开封
        ("419001", True),  # 济源, directly under the province
        ("420102", False),  # 武汉 江岸区, Hubei
    ],
)
async def test_a_provincial_regulator_writes_anywhere_in_its_province_and_nowhere_else(
    client: httpx.AsyncClient, keys: Keys, region_code: str, allowed: bool
) -> None:
    headers = await keys.headers(Role.REGULATOR, department=HENAN)

    response = await client.post(
        "/api/v1/enterprises", json=enterprise_body(region_code), headers=headers
    )

    if allowed:
        assert response.status_code == 201, response.text
    else:
        assert_problem(response, 403, "scope.region_forbidden")


async def test_an_admin_writes_in_every_province(client: httpx.AsyncClient, keys: Keys) -> None:
    headers = await keys.admin()
    body = enterprise_body("420102")

    created = await client.post("/api/v1/enterprises", json=body, headers=headers)
    assert created.status_code == 201, created.text
    moved = await client.patch(
        f"/api/v1/enterprises/{body['uscc']}", json={"region_code": "410202"}, headers=headers
    )
    assert moved.status_code == 200, moved.text


async def test_an_enterprise_asking_about_another_enterprise_is_told_it_does_not_exist(
    client: httpx.AsyncClient, session: AsyncSession, keys: Keys
) -> None:
    own = await make_enterprise(session)
    other = await make_enterprise(session)
    other_product = await make_product(session, other)
    headers = await keys.headers(Role.ENTERPRISE, uscc=own.uscc)

    assert (await client.get(f"/api/v1/enterprises/{own.uscc}", headers=headers)).status_code == 200
    # Not 403: an enterprise must not learn which codes are registered.
    response = await client.get(f"/api/v1/enterprises/{other.uscc}", headers=headers)
    assert_problem(response, 404, "enterprise.not_found")
    response = await client.get(f"/api/v1/enterprises/{other.uscc}/products", headers=headers)
    assert_problem(response, 404, "enterprise.not_found")
    response = await client.get(f"/api/v1/products/{other_product.id}", headers=headers)
    assert_problem(response, 404, "product.not_found")


async def test_an_enterprise_lists_only_itself(
    client: httpx.AsyncClient, session: AsyncSession, keys: Keys
) -> None:
    own = await make_enterprise(session)
    await make_enterprise(session)
    await make_enterprise(session, region_code="420102")
    headers = await keys.headers(Role.ENTERPRISE, uscc=own.uscc)

    for params in ({}, {"region_code": "410000"}, {"name_contains": "测试企业"}):
        response = await client.get("/api/v1/enterprises", params=params, headers=headers)
        assert response.status_code == 200, response.text
        assert [e["uscc"] for e in response.json()["items"]] == [own.uscc]


async def test_a_regulator_reads_only_inspectors_of_departments_inside_its_region(
    client: httpx.AsyncClient, session: AsyncSession, keys: Keys
) -> None:
    roster = {
        code: (await make_inspector(session, department_code=code)).id
        for code in ("scjg-410000", "scjg-410100", "scjg-410200", "scjg-420000", "scjg-420100")
    }
    expected = {
        ZHENGZHOU: {"scjg-410100"},
        HENAN: {"scjg-410000", "scjg-410100", "scjg-410200"},
        "scjg-420000": {"scjg-420000", "scjg-420100"},
    }

    for department, visible in expected.items():
        headers = await keys.headers(Role.REGULATOR, department=department)
        listed = await client.get("/api/v1/inspectors", headers=headers)
        assert listed.status_code == 200, listed.text
        assert {i["department_code"] for i in listed.json()["items"]} == visible
        for code, inspector_id in roster.items():
            response = await client.get(f"/api/v1/inspectors/{inspector_id}", headers=headers)
            if code in visible:
                assert response.status_code == 200, response.text
            else:
                assert_problem(response, 404, "inspector.not_found")


async def test_an_admin_reads_the_whole_roster(
    client: httpx.AsyncClient, session: AsyncSession, keys: Keys
) -> None:
    for code in ("scjg-410100", "scjg-420100", "samr-000000"):
        await make_inspector(session, department_code=code)

    listed = await client.get("/api/v1/inspectors", headers=await keys.admin())

    assert {i["department_code"] for i in listed.json()["items"]} == {
        "scjg-410100",
        "scjg-420100",
        "samr-000000",
    }


async def test_a_municipal_regulator_registers_inspectors_and_agencies_only_in_its_city(
    client: httpx.AsyncClient, keys: Keys
) -> None:
    headers = await keys.headers(Role.REGULATOR, department=ZHENGZHOU)

    for url, inside, outside in (
        ("/api/v1/inspectors", inspector_body(ZHENGZHOU), inspector_body("scjg-410200")),
        ("/api/v1/agencies", agency_body("410100"), agency_body("410200")),
    ):
        assert (await client.post(url, json=inside, headers=headers)).status_code == 201
        response = await client.post(url, json=outside, headers=headers)
        assert_problem(response, 403, "scope.region_forbidden")


async def test_a_municipal_regulator_cannot_change_an_inspector_of_another_city(
    client: httpx.AsyncClient, session: AsyncSession, keys: Keys
) -> None:
    inspector = await make_inspector(session, department_code="scjg-410200")
    municipal = await keys.headers(Role.REGULATOR, department=ZHENGZHOU)
    provincial = await keys.headers(Role.REGULATOR, department=HENAN)
    url = f"/api/v1/inspectors/{inspector.id}"

    # Outside its region the inspector does not exist for 郑州; the province may change them.
    response = await client.patch(url, json={"name": "改名"}, headers=municipal)
    assert_problem(response, 404, "inspector.not_found")
    assert (await client.patch(url, json={"name": "改名"}, headers=provincial)).status_code == 200
