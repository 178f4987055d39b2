"""Regions, product categories and departments through the API, checked against the seed files
they are loaded from."""

from __future__ import annotations

import httpx
import pytest

from models.system import Role
from seed.reference import load_categories, load_departments, load_regions
from tests.factories import Keys, assert_problem, enterprise_body


async def everything(
    client: httpx.AsyncClient, path: str, headers: dict[str, str], **params: str
) -> list[dict[str, object]]:
    response = await client.get(
        f"/api/v1/{path}", params={"limit": "500", **params}, headers=headers
    )
    assert response.status_code == 200, response.text
    assert response.json()["next_cursor"] is None
    items: list[dict[str, object]] = response.json()["items"]
    return items


@pytest.fixture
async def reader(keys: Keys) -> dict[str, str]:
    # Reference data is for every key; a consuming department's is the least privileged one.
    return await keys.headers(Role.DEPARTMENT, department="fgw-410000")


async def test_regions_filter_by_level_parent_and_ancestor(
    client: httpx.AsyncClient, reader: dict[str, str]
) -> None:
    regions = load_regions()
    path = {r.code: r.parent_code for r in regions}

    def inside(ancestor: str, code: str) -> bool:
        parent = path[code]
        return parent is not None and (parent == ancestor or inside(ancestor, parent))

    async def codes(**params: str) -> list[str]:
        return [str(r["code"]) for r in await everything(client, "regions", reader, **params)]

    assert await codes(level="province") == ["410000", "420000"]
    assert await codes(parent_code="410100") == sorted(
        r.code for r in regions if r.parent_code == "410100"
    )
    assert "420400" not in await codes(parent_code="420000")
    assert await codes(within="410000") == sorted(
        r.code for r in regions if inside("410000", r.code)
    )
    assert await codes(within="420000", level="prefecture") == sorted(
        r.code for r in regions if r.level == "prefecture" and r.parent_code == "420000"
    )


async def test_a_region_is_read_by_code(client: httpx.AsyncClient, reader: dict[str, str]) -> None:
    response = await client.get("/api/v1/regions/419001", headers=reader)
    # 济源 is county-level but directly under the province: seeded as a prefecture-level unit.
    assert response.json() == {
        "code": "419001",
        "name": "济源市",
        "level": "prefecture",
        "parent_code": "410000",
        "active": True,
    }
    assert_problem(
        await client.get("/api/v1/regions/420400", headers=reader), 404, "region.not_found"
    )
    response = await client.get("/api/v1/regions", params={"within": "420400"}, headers=reader)
    assert_problem(response, 404, "region.not_found")


async def test_categories_filter_by_top_level_and_parent(
    client: httpx.AsyncClient, reader: dict[str, str]
) -> None:
    categories = load_categories()

    async def codes(**params: str) -> list[str]:
        return [
            str(c["code"]) for c in await everything(client, "product-categories", reader, **params)
        ]

    assert await codes() == sorted(c.code for c in categories)
    assert await codes(top_level="true") == sorted(
        c.code for c in categories if c.parent_code is None
    )
    assert await codes(parent_code="04") == sorted(
        c.code for c in categories if c.parent_code == "04"
    )
    assert await codes(parent_code="0201") == ["020101", "020102"]

    read = await client.get("/api/v1/product-categories/0401", headers=reader)
    assert (read.json()["name"], read.json()["parent_code"]) == ("电冰箱", "04")
    missing = await client.get("/api/v1/product-categories/9999", headers=reader)
    assert_problem(missing, 404, "category.not_found")


async def test_departments_filter_by_kind_level_region_and_role(
    client: httpx.AsyncClient, reader: dict[str, str]
) -> None:
    departments = load_departments()

    async def codes(**params: str) -> set[str]:
        return {str(d["code"]) for d in await everything(client, "departments", reader, **params)}

    assert await codes(kind="fgw") == {"fgw-410000", "fgw-420000"}
    assert await codes(level="national") == {"samr-000000"}
    assert await codes(level="provincial", is_market_regulator="true") == {
        "scjg-410000",
        "scjg-420000",
    }
    assert await codes(is_market_regulator="false") == {
        d.code for d in departments if not d.is_market_regulator
    }
    assert await codes(region_code="410100") == {"scjg-410100"}
    assert await codes(kind="scjg", level="municipal") == {
        d.code for d in departments if d.kind == "scjg" and d.level == "municipal"
    }


async def test_an_admin_opens_a_county_bureau(client: httpx.AsyncClient, keys: Keys) -> None:
    admin = await keys.admin()
    body = {
        "code": "scjg-410102",
        "name": "郑州市中原区市场监督管理局",
        "level": "county",
        "is_market_regulator": True,
    }

    created = await client.post("/api/v1/departments", json=body, headers=admin)

    assert created.status_code == 201, created.text
    assert created.json() | {"kind": "scjg", "region_code": "410102", "active": True} == (
        created.json()
    )
    read = await client.get("/api/v1/departments/scjg-410102", headers=admin)
    assert read.json() == created.json()
    again = await client.post("/api/v1/departments", json=body, headers=admin)
    assert_problem(again, 409, "department.exists")
    # The new bureau's regulators write in their district and nowhere else.
    headers = await keys.headers(Role.REGULATOR, department="scjg-410102")
    inside = await client.post(
        "/api/v1/enterprises", json=enterprise_body("410102"), headers=headers
    )
    assert inside.status_code == 201, inside.text
    outside = await client.post(
        "/api/v1/enterprises", json=enterprise_body("410105"), headers=headers
    )
    assert_problem(outside, 403, "scope.region_forbidden")


@pytest.mark.parametrize(
    ("code", "level", "problem_code"),
    [
        ("scjg-410102", "municipal", "department.level_mismatch"),  # 410102 is a county
        ("scjg-410100", "county", "department.level_mismatch"),  # 410100 is a prefecture
        ("fgw-000000", "provincial", "department.level_mismatch"),
        ("scjg-419999", "county", "region.unknown"),
    ],
)
async def test_a_department_level_must_fit_its_region(
    client: httpx.AsyncClient, keys: Keys, code: str, level: str, problem_code: str
) -> None:
    body = {"code": code, "name": "某局", "level": level, "is_market_regulator": True}
    response = await client.post("/api/v1/departments", json=body, headers=await keys.admin())
    assert_problem(response, 422, problem_code)


async def test_a_department_update_renames_or_deactivates_and_must_change_something(
    client: httpx.AsyncClient, keys: Keys
) -> None:
    admin = await keys.admin()
    url = "/api/v1/departments/fgw-410000"
    department_key = await keys.headers(Role.DEPARTMENT, department="fgw-410000")

    assert_problem(await client.patch(url, json={}, headers=admin), 422, "request.empty_update")
    renamed = await client.patch(url, json={"name": "河南省发改委"}, headers=admin)
    assert renamed.json()["name"] == "河南省发改委"

    off = await client.patch(url, json={"active": False}, headers=admin)
    assert off.json()["active"] is False
    assert (await client.get(url, headers=admin)).json()["active"] is False
    # The keys of a closed department stop working.
    response = await client.get("/api/v1/regions", headers=department_key)
    assert_problem(response, 401, "auth.invalid")


async def test_an_unknown_department_is_not_found(client: httpx.AsyncClient, keys: Keys) -> None:
    admin = await keys.admin()
    url = "/api/v1/departments/scjg-419999"
    assert_problem(await client.get(url, headers=admin), 404, "department.not_found")
    response = await client.patch(url, json={"name": "x"}, headers=admin)
    assert_problem(response, 404, "department.not_found")
