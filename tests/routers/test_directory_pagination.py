"""Keyset pagination of every directory list: bounded `limit`, an opaque `cursor`, and pages that
together hold every row exactly once."""

from __future__ import annotations

import base64
import json
from collections.abc import Awaitable, Callable

import httpx
import pytest
from sqlmodel.ext.asyncio.session import AsyncSession

from tests.factories import (
    Keys,
    assert_problem,
    make_agency,
    make_enterprise,
    make_inspector,
    make_product,
)

Setup = Callable[[AsyncSession], Awaitable[str]]


async def seven_enterprises(session: AsyncSession) -> str:
    for _ in range(7):
        await make_enterprise(session)
    return "/api/v1/enterprises"


async def seven_products(session: AsyncSession) -> str:
    enterprise = await make_enterprise(session)
    for _ in range(7):
        await make_product(session, enterprise)
    return f"/api/v1/enterprises/{enterprise.uscc}/products"


async def seven_agencies(session: AsyncSession) -> str:
    for _ in range(7):
        await make_agency(session)
    return "/api/v1/agencies"


async def seven_inspectors(session: AsyncSession) -> str:
    for _ in range(7):
        await make_inspector(session)
    return "/api/v1/inspectors"


def seeded(path: str) -> Setup:
    async def setup(session: AsyncSession) -> str:
        return path

    return setup


LISTS: dict[str, tuple[Setup, dict[str, str], str]] = {
    # name: (how the rows come about, a filter that pages along, the key of a row)
    "enterprises": (seven_enterprises, {"active": "true"}, "uscc"),
    "products": (seven_products, {"category_code": "04"}, "id"),
    "agencies": (seven_agencies, {"category_code": "0401"}, "id"),
    "inspectors": (seven_inspectors, {"active": "true"}, "id"),
    "regions": (seeded("/api/v1/regions"), {"parent_code": "410100"}, "code"),
    "categories": (seeded("/api/v1/product-categories"), {"parent_code": "04"}, "code"),
    "departments": (seeded("/api/v1/departments"), {"kind": "scjg", "level": "municipal"}, "code"),
}


@pytest.mark.parametrize("name", LISTS)
async def test_paging_by_three_returns_every_row_once_in_key_order(
    client: httpx.AsyncClient, session: AsyncSession, keys: Keys, name: str
) -> None:
    setup, filters, key = LISTS[name]
    url = await setup(session)
    headers = await keys.admin()
    everything = await client.get(url, params={**filters, "limit": "500"}, headers=headers)
    assert everything.json()["next_cursor"] is None
    expected = [row[key] for row in everything.json()["items"]]
    assert len(expected) >= 7

    seen: list[str] = []
    cursor: str | None = None
    for _ in range(len(expected)):
        params = {**filters, "limit": "3"} | ({"cursor": cursor} if cursor else {})
        page = await client.get(url, params=params, headers=headers)
        assert page.status_code == 200, page.text
        items = [row[key] for row in page.json()["items"]]
        assert 1 <= len(items) <= 3
        seen += items
        cursor = page.json()["next_cursor"]
        if cursor is None:
            break

    assert seen == expected
    assert seen == sorted(seen)
    assert cursor is None


async def test_a_list_that_fits_one_page_has_no_next_cursor(
    client: httpx.AsyncClient, session: AsyncSession, keys: Keys
) -> None:
    for _ in range(3):
        await make_enterprise(session)
    response = await client.get(
        "/api/v1/enterprises", params={"limit": "3"}, headers=await keys.admin()
    )
    assert len(response.json()["items"]) == 3
    assert response.json()["next_cursor"] is None


def _encode(value: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


FOREIGN_CURSORS = [
    ("/api/v1/enterprises", "not a cursor!"),
    ("/api/v1/enterprises", "%%%%"),
    ("/api/v1/enterprises", base64.urlsafe_b64encode(b"\xff\xfe").decode()),
    ("/api/v1/enterprises", _encode({"uscc": "91410102"})),
    ("/api/v1/enterprises", _encode(12345)),
    ("/api/v1/agencies", _encode("91410102100000016K")),  # a text key for a UUID-keyed list
    ("/api/v1/inspectors", _encode([1, 2])),
    ("/api/v1/regions", "eyJhIjoxfQ"),
]


async def test_a_cursor_we_did_not_issue_is_rejected(client: httpx.AsyncClient, keys: Keys) -> None:
    headers = await keys.admin()
    for url, cursor in FOREIGN_CURSORS:
        response = await client.get(url, params={"cursor": cursor}, headers=headers)
        assert response.status_code == 422, (url, cursor, response.text)
        assert_problem(response, 422, "pagination.cursor_invalid")


async def test_a_limit_outside_its_bounds_is_a_validation_problem(
    client: httpx.AsyncClient, keys: Keys
) -> None:
    headers = await keys.admin()
    for limit in ("0", "-1", "501", "99999999999999999999", "ten", "3.5"):
        response = await client.get("/api/v1/enterprises", params={"limit": limit}, headers=headers)
        problem = assert_problem(response, 422, "request.invalid")
        assert problem["errors"][0]["loc"] == ["query", "limit"], limit
    assert (
        await client.get("/api/v1/regions", params={"limit": "500"}, headers=headers)
    ).status_code == 200
