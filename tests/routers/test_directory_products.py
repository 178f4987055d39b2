"""Products of an enterprise through the API: one product per normalised (standard, brand, model),
whatever the spelling ("同一产品")."""

from __future__ import annotations

import httpx
import pytest
from sqlmodel.ext.asyncio.session import AsyncSession

from models.enterprise import Enterprise
from models.system import Role
from tests.factories import Keys, assert_problem, make_enterprise, make_product, product_body


@pytest.fixture
async def regulator(keys: Keys) -> dict[str, str]:
    return await keys.headers(Role.REGULATOR, department="scjg-410100")


@pytest.fixture
async def enterprise(session: AsyncSession) -> Enterprise:
    return await make_enterprise(session, region_code="410102")


async def test_a_regulator_registers_lists_reads_and_updates_products(
    client: httpx.AsyncClient, regulator: dict[str, str], enterprise: Enterprise
) -> None:
    body = product_body(model="BCD-215WT", brand="好运")
    created = await client.post(
        f"/api/v1/enterprises/{enterprise.uscc}/products", json=body, headers=regulator
    )
    assert created.status_code == 201, created.text
    product = created.json()
    assert product | body == product
    assert product["enterprise_uscc"] == enterprise.uscc

    listed = await client.get(f"/api/v1/enterprises/{enterprise.uscc}/products", headers=regulator)
    assert [p["id"] for p in listed.json()["items"]] == [product["id"]]

    url = f"/api/v1/products/{product['id']}"
    assert (await client.get(url, headers=regulator)).json() == product
    updated = await client.patch(
        url, json={"name": "双门电冰箱", "category_code": "0402"}, headers=regulator
    )
    assert updated.status_code == 200, updated.text
    assert (updated.json()["name"], updated.json()["category_code"]) == ("双门电冰箱", "0402")
    # Identity parts are not editable: a different model is a different product.
    assert updated.json()["model"] == "BCD-215WT"


async def test_two_spellings_of_one_model_are_one_product(
    client: httpx.AsyncClient, regulator: dict[str, str], enterprise: Enterprise
) -> None:
    url = f"/api/v1/enterprises/{enterprise.uscc}/products"
    first = await client.post(
        url, json=product_body(model="BCD-215 WT", brand="Haoyun"), headers=regulator
    )
    assert first.status_code == 201, first.text

    for model, brand in (
        ("ｂｃｄ－２１５\u3000ｗｔ", "Haoyun"),
        ("bcd \u2013 215  wt", "HAOYUN"),
        (" BCD-215 WT ", "ｈａｏｙｕｎ"),
    ):
        again = await client.post(
            url, json=product_body(model=model, brand=brand), headers=regulator
        )
        problem = assert_problem(again, 409, "product.exists")
        assert problem["product_id"] == first.json()["id"]


async def test_the_same_model_under_another_brand_or_standard_is_another_product(
    client: httpx.AsyncClient, regulator: dict[str, str], enterprise: Enterprise
) -> None:
    url = f"/api/v1/enterprises/{enterprise.uscc}/products"
    for overrides in (
        {"brand": "好运"},
        {"brand": "福运"},
        {"brand": "好运", "standard": "GB/T 8059-2016"},
    ):
        response = await client.post(
            url, json=product_body(model="BCD-215WT", **overrides), headers=regulator
        )
        assert response.status_code == 201, (overrides, response.text)


async def test_the_same_model_of_another_enterprise_is_another_product(
    client: httpx.AsyncClient,
    regulator: dict[str, str],
    session: AsyncSession,
    enterprise: Enterprise,
) -> None:
    other = await make_enterprise(session, region_code="410102")
    for uscc in (enterprise.uscc, other.uscc):
        response = await client.post(
            f"/api/v1/enterprises/{uscc}/products",
            json=product_body(model="BCD-215WT"),
            headers=regulator,
        )
        assert response.status_code == 201, response.text


async def test_a_product_needs_a_known_category_and_a_model(
    client: httpx.AsyncClient,
    regulator: dict[str, str],
    session: AsyncSession,
    enterprise: Enterprise,
) -> None:
    url = f"/api/v1/enterprises/{enterprise.uscc}/products"
    response = await client.post(url, json=product_body(category_code="9999"), headers=regulator)
    problem = assert_problem(response, 422, "category.unknown")
    assert problem["unknown"] == ["9999"]
    response = await client.post(url, json=product_body(model="\u3000 "), headers=regulator)
    assert_problem(response, 422, "product.model_required")

    product = await make_product(session, enterprise)
    response = await client.patch(
        f"/api/v1/products/{product.id}", json={"category_code": "9999"}, headers=regulator
    )
    assert_problem(response, 422, "category.unknown")


async def test_a_deactivated_enterprise_takes_no_new_products(
    client: httpx.AsyncClient, regulator: dict[str, str], enterprise: Enterprise
) -> None:
    await client.patch(
        f"/api/v1/enterprises/{enterprise.uscc}", json={"active": False}, headers=regulator
    )
    response = await client.post(
        f"/api/v1/enterprises/{enterprise.uscc}/products", json=product_body(), headers=regulator
    )
    assert_problem(response, 422, "enterprise.inactive")


async def test_deactivating_a_product_keeps_it_readable_and_listable_by_activity(
    client: httpx.AsyncClient,
    regulator: dict[str, str],
    session: AsyncSession,
    enterprise: Enterprise,
) -> None:
    kept = await make_product(session, enterprise, category_code="0401")
    retired = await make_product(session, enterprise, category_code="0402")
    washer = await make_product(session, enterprise, category_code="0402")
    url = f"/api/v1/products/{retired.id}"

    off = await client.patch(url, json={"active": False}, headers=regulator)
    assert off.status_code == 200, off.text
    read = await client.get(url, headers=regulator)
    assert (read.json()["active"], read.json()["deactivated_at"] is not None) == (False, True)

    async def found(**params: str) -> set[str]:
        response = await client.get(
            f"/api/v1/enterprises/{enterprise.uscc}/products", params=params, headers=regulator
        )
        assert response.status_code == 200, response.text
        return {p["id"] for p in response.json()["items"]}

    assert await found(active="false") == {str(retired.id)}
    assert await found(active="true") == {str(kept.id), str(washer.id)}
    assert await found(category_code="04") == {str(kept.id), str(retired.id), str(washer.id)}
    assert await found(category_code="0402", active="true") == {str(washer.id)}


async def test_product_reads_and_writes_of_unknown_rows_are_not_found(
    client: httpx.AsyncClient, regulator: dict[str, str]
) -> None:
    missing = "00000000-0000-4000-8000-000000000000"
    response = await client.get(f"/api/v1/products/{missing}", headers=regulator)
    assert_problem(response, 404, "product.not_found")
    response = await client.patch(
        f"/api/v1/products/{missing}", json={"name": "x"}, headers=regulator
    )
    assert_problem(response, 404, "product.not_found")
    response = await client.post(
        "/api/v1/enterprises/91410102MA0000000X/products", json=product_body(), headers=regulator
    )
    assert_problem(response, 404, "enterprise.not_found")


async def test_an_empty_product_update_is_rejected(
    client: httpx.AsyncClient,
    regulator: dict[str, str],
    session: AsyncSession,
    enterprise: Enterprise,
) -> None:
    product = await make_product(session, enterprise)
    response = await client.patch(f"/api/v1/products/{product.id}", json={}, headers=regulator)
    assert_problem(response, 422, "request.empty_update")


async def test_an_enterprise_reads_its_own_products(
    client: httpx.AsyncClient, keys: Keys, session: AsyncSession, enterprise: Enterprise
) -> None:
    product = await make_product(session, enterprise)
    headers = await keys.headers(Role.ENTERPRISE, uscc=enterprise.uscc)

    listed = await client.get(f"/api/v1/enterprises/{enterprise.uscc}/products", headers=headers)
    assert [p["id"] for p in listed.json()["items"]] == [str(product.id)]
    assert (await client.get(f"/api/v1/products/{product.id}", headers=headers)).status_code == 200
