"""Hostile input never causes a server error: every directory endpoint gets very long strings,
NUL characters (PostgreSQL text cannot hold them), lone surrogates, emoji, SQL and LIKE
metacharacters, wrong types, and malformed ids, and must answer with a 4xx problem (or succeed)."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field
from urllib.parse import quote

import httpx
import pytest
from sqlmodel.ext.asyncio.session import AsyncSession

from tests.factories import (
    Keys,
    agency_body,
    enterprise_body,
    inspector_body,
    make_agency,
    make_enterprise,
    make_inspector,
    make_product,
    product_body,
)

HOSTILE_TEXT: list[str] = [
    "x" * 10_000,
    "a\x00b",
    "\x00",
    "\ud800",  # a lone surrogate: not encodable as UTF-8
    "😀🏭\U0002a6a5",
    "'; DROP TABLE enterprises; --",
    "' OR '1'='1",
    "%_\\",
    "../../etc/passwd",
    "\u202e\ufeff\u200b",
    "\u3000",
    "",
    "ＡＢＣ－１２",
    "<script>alert(1)</script>",
    "\r\n\t",
    "-1",
]
HOSTILE_VALUES: list[object] = [
    *HOSTILE_TEXT,
    10**30,
    -1,
    1.5,
    True,
    None,
    [],
    ["x" * 100] * 300,
    {"$ne": 1},
]
HOSTILE_SEGMENTS: list[str] = [
    "%00",
    "a%00b",
    "x" * 5_000,
    quote("😀"),
    "%ED%A0%80",  # an encoded surrogate
    "%FF%FE",
    quote("' OR 1=1 --"),
    "%25",
    "..",
    "-1",
    "00000000-0000-0000-0000-00000000000g",
    "null",
]


@dataclass
class Report:
    """Requests that got a 5xx, or an error that is not problem+json."""

    failures: list[str] = field(default_factory=list)

    def check(self, response: httpx.Response, what: str) -> None:
        status = response.status_code
        media_type = response.headers.get("content-type", "")
        if status >= 500 or (status >= 400 and not media_type.startswith("application/problem")):
            self.failures.append(f"{status} {media_type} ← {what[:160]}")


@pytest.fixture
async def ids(session: AsyncSession) -> dict[str, str]:
    enterprise = await make_enterprise(session)
    product = await make_product(session, enterprise)
    agency = await make_agency(session)
    inspector = await make_inspector(session)
    return {
        "uscc": enterprise.uscc,
        "product": str(product.id),
        "agency": str(agency.id),
        "inspector": str(inspector.id),
    }


def write_endpoints(ids: dict[str, str]) -> list[tuple[str, str, dict[str, object]]]:
    """Every directory write with a valid body to spoil one member at a time."""
    return [
        ("POST", "/enterprises", enterprise_body(address="地址", checksum_override_reason="r")),
        (
            "PATCH",
            f"/enterprises/{ids['uscc']}",
            {"name": "n", "region_code": "410102", "size": "small", "address": "a", "active": True},
        ),
        ("POST", f"/enterprises/{ids['uscc']}/products", product_body()),
        (
            "PATCH",
            f"/products/{ids['product']}",
            {"category_code": "04", "name": "n", "active": True},
        ),
        ("POST", "/agencies", agency_body()),
        (
            "PATCH",
            f"/agencies/{ids['agency']}",
            {
                "name": "n",
                "cma_number": "CMA-X-1",
                "cma_valid_from": "2024-01-01",
                "cma_valid_until": "2031-01-01",
                "category_scope": ["04"],
                "active": True,
            },
        ),
        ("POST", "/inspectors", inspector_body(specialities=["0401"])),
        (
            "PATCH",
            f"/inspectors/{ids['inspector']}",
            {"name": "n", "specialities": ["0401"], "active": True},
        ),
        (
            "POST",
            f"/inspectors/{ids['inspector']}/conflicts",
            {"enterprise_uscc": ids["uscc"], "reason": "r"},
        ),
        (
            "POST",
            "/departments",
            {"code": "scjg-410102", "name": "n", "level": "county", "is_market_regulator": True},
        ),
        ("PATCH", "/departments/fgw-410000", {"name": "n", "active": True}),
        (
            "POST",
            "/keys",
            {"role": "department", "name": "n", "department_code": "fgw-410000"},
        ),
    ]


async def test_hostile_members_of_write_bodies_never_cause_a_server_error(
    client: httpx.AsyncClient, keys: Keys, ids: dict[str, str]
) -> None:
    headers = {**await keys.admin(), "Content-Type": "application/json"}
    report = Report()
    for method, path, body in write_endpoints(ids):
        for member in body:
            for value in HOSTILE_VALUES:
                spoiled = {**body, member: value}
                # Encoded by hand: ensure_ascii escapes NUL and lone surrogates as JSON allows.
                content = json.dumps(spoiled).encode()
                response = await client.request(
                    method, f"/api/v1{path}", content=content, headers=headers
                )
                report.check(response, f"{method} {path} {member}={value!r}")
        for content in (b"", b"null", b"[]", b'"x"', b"{" * 5_000, b'{"a":1,"a":2}'):
            response = await client.request(
                method, f"/api/v1{path}", content=content, headers=headers
            )
            report.check(response, f"{method} {path} {content[:20]!r}")
    assert report.failures == []


async def test_hostile_path_segments_never_cause_a_server_error(
    client: httpx.AsyncClient, keys: Keys, ids: dict[str, str]
) -> None:
    headers = await keys.admin()
    report = Report()
    for segment in HOSTILE_SEGMENTS:
        for method, template, body in (
            ("GET", "/regions/{}", None),
            ("GET", "/product-categories/{}", None),
            ("GET", "/departments/{}", None),
            ("PATCH", "/departments/{}", {"name": "n"}),
            ("GET", "/enterprises/{}", None),
            ("PATCH", "/enterprises/{}", {"name": "n"}),
            ("GET", "/enterprises/{}/products", None),
            ("POST", "/enterprises/{}/products", product_body()),
            ("GET", "/products/{}", None),
            ("PATCH", "/products/{}", {"name": "n"}),
            ("GET", "/agencies/{}", None),
            ("PATCH", "/agencies/{}", {"name": "n"}),
            ("GET", "/inspectors/{}", None),
            ("PATCH", "/inspectors/{}", {"name": "n"}),
            ("POST", "/inspectors/{}/conflicts", {"enterprise_uscc": ids["uscc"], "reason": "r"}),
        ):
            url = "/api/v1" + template.replace("{}", segment)
            response = await client.request(method, url, json=body, headers=headers)
            report.check(response, f"{method} {url}")
    assert report.failures == []


LIST_PARAMETERS: dict[str, list[str]] = {
    "/regions": ["level", "parent_code", "within"],
    "/product-categories": ["parent_code", "top_level"],
    "/departments": ["kind", "level", "region_code", "is_market_regulator", "active"],
    "/enterprises": ["region_code", "size", "active", "name_contains"],
    "/enterprises/{uscc}/products": ["category_code", "active"],
    "/agencies": ["region_code", "category_code", "valid_on", "active"],
    "/inspectors": ["department_code", "speciality", "active"],
}


async def test_hostile_query_parameters_never_cause_a_server_error(
    client: httpx.AsyncClient, keys: Keys, ids: dict[str, str]
) -> None:
    headers = await keys.admin()
    report = Report()
    hostile = [t for t in HOSTILE_TEXT if t != "\ud800"] + ["9" * 400, "0000-00-00", "410000"]
    for path, parameters in LIST_PARAMETERS.items():
        url = "/api/v1" + path.format(uscc=ids["uscc"])
        for name in [*parameters, "limit"]:
            for value in hostile:
                response = await client.get(url, params={name: value}, headers=headers)
                report.check(response, f"GET {path}?{name}={value!r}")
        # Raw, so the query carries an encoded surrogate and invalid UTF-8 as sent.
        for raw in ("%ED%A0%80", "%FF%FE", "%00", "%"):
            response = await client.get(f"{url}?{parameters[0]}={raw}", headers=headers)
            report.check(response, f"GET {path}?{parameters[0]}={raw}")
    assert report.failures == []


def _cursor(value: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


async def test_hostile_but_decodable_cursors_never_cause_a_server_error(
    client: httpx.AsyncClient, keys: Keys
) -> None:
    headers = await keys.admin()
    report = Report()
    for value in ("x" * 400, "' OR 1=1 --", "%", 1e308, None, {"a": [1]}, "😀"):
        for path in LIST_PARAMETERS:
            if "{" not in path:
                response = await client.get(
                    f"/api/v1{path}", params={"cursor": _cursor(value)}, headers=headers
                )
                report.check(response, f"GET {path} cursor={value!r}")
    assert report.failures == []


async def test_a_cursor_holding_text_postgresql_cannot_store_is_refused_as_invalid(
    client: httpx.AsyncClient, keys: Keys
) -> None:
    headers = await keys.admin()
    statuses = set()
    for value in ("\x00", "a\x00b", "\ud800"):
        for path in ("/regions", "/product-categories", "/departments", "/enterprises"):
            response = await client.get(
                f"/api/v1{path}", params={"cursor": _cursor(value)}, headers=headers
            )
            statuses.add((response.status_code, response.json()["code"]))
    assert statuses == {(422, "pagination.cursor_invalid")}
