"""Every error is RFC 9457 problem+json with `type`, `title`, `status`, `detail` and `code` —
FastAPI's own (404, 405, 422) and the body-size limit (413) as well as our domain errors."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import httpx
import pytest

from service.config import Settings
from tests.factories import PROBLEM_MEMBERS, Keys, assert_problem, enterprise_body

LIMIT = Settings().max_body_bytes


def enterprise_json(size: int) -> bytes:
    """A syntactically fine POST /enterprises body of exactly `size` bytes (a long address)."""
    raw = json.dumps(enterprise_body("410102", address=""), ensure_ascii=False).encode()
    return raw.replace(b'"address": ""', b'"address": "' + b"x" * (size - len(raw)) + b'"')


async def test_an_unknown_path_is_a_not_found_problem(
    client: httpx.AsyncClient, keys: Keys
) -> None:
    headers = await keys.admin()
    for url in ("/api/v1/no-such-thing", "/api/v2/enterprises", "/nothing"):
        assert_problem(await client.get(url, headers=headers), 404, "http.not_found")


async def test_a_wrong_method_is_a_method_not_allowed_problem(
    client: httpx.AsyncClient, keys: Keys
) -> None:
    headers = await keys.admin()
    for method, url in (("PUT", "/api/v1/enterprises"), ("POST", "/api/v1/regions")):
        response = await client.request(method, url, headers=headers)
        assert_problem(response, 405, "http.method_not_allowed")


async def test_nothing_in_the_directory_can_be_deleted(
    client: httpx.AsyncClient, keys: Keys
) -> None:
    headers = await keys.admin()
    some_id = "00000000-0000-4000-8000-000000000000"
    for path in (
        "/regions",
        "/regions/410100",
        "/product-categories",
        "/product-categories/04",
        "/departments",
        "/departments/scjg-410100",
        "/enterprises",
        "/enterprises/91410102100000016K",
        "/enterprises/91410102100000016K/products",
        f"/products/{some_id}",
        "/agencies",
        f"/agencies/{some_id}",
        "/inspectors",
        f"/inspectors/{some_id}",
    ):
        response = await client.delete(f"/api/v1{path}", headers=headers)
        assert_problem(response, 405, "http.method_not_allowed")


async def test_a_malformed_json_body_is_an_invalid_request_with_its_errors(
    client: httpx.AsyncClient, keys: Keys
) -> None:
    headers = {**await keys.admin(), "Content-Type": "application/json"}
    for content in (b'{"uscc": ', b"{'uscc': 'single quotes'}", b"[1, 2", b"\xef\xbb\xbf{"):
        response = await client.post("/api/v1/enterprises", content=content, headers=headers)
        problem = assert_problem(response, 422, "request.invalid")
        assert isinstance(problem["errors"], list)
        assert problem["errors"]
        assert problem["errors"][0]["type"] == "json_invalid"


async def test_wrong_types_and_unknown_fields_name_the_offending_member(
    client: httpx.AsyncClient, keys: Keys
) -> None:
    headers = await keys.admin()
    for body, loc, error_type in (
        ({**enterprise_body(), "size": "enormous"}, ["body", "size"], "enum"),
        ({**enterprise_body(), "name": 42}, ["body", "name"], "string_type"),
        (
            {**enterprise_body(), "region_code": "4101"},
            ["body", "region_code"],
            "string_pattern_mismatch",
        ),
        ({**enterprise_body(), "risk": "D"}, ["body", "risk"], "extra_forbidden"),
        ({"name": "缺少代码", "region_code": "410102"}, ["body", "uscc"], "missing"),
    ):
        response = await client.post("/api/v1/enterprises", json=body, headers=headers)
        problem = assert_problem(response, 422, "request.invalid")
        assert {"loc": loc, "type": error_type} in [
            {"loc": e["loc"], "type": e["type"]} for e in problem["errors"]
        ], problem["errors"]
    response = await client.post("/api/v1/enterprises", json=[enterprise_body()], headers=headers)
    assert_problem(response, 422, "request.invalid")


async def test_text_postgresql_cannot_store_is_invalid_input_not_a_database_failure(
    client: httpx.AsyncClient, keys: Keys
) -> None:
    headers = await keys.admin()
    for method, url, body, loc in (
        ("POST", "/api/v1/enterprises", enterprise_body(name="某\x00公司"), ["body", "name"]),
        (
            "POST",
            "/api/v1/agencies",
            {"category_scope": ["04\x00"]},
            ["body", "category_scope"],
        ),
        ("POST", "/api/v1/keys", {"role": "admin", "name": "\x00"}, ["body", "name"]),
        ("GET", "/api/v1/enterprises/9141%00", None, ["path", "uscc"]),
        ("GET", "/api/v1/departments/scjg%00", None, ["path", "code"]),
        ("GET", "/api/v1/enterprises?name_contains=%00", None, ["query", "name_contains"]),
    ):
        response = await client.request(method, url, json=body, headers=headers)
        problem = assert_problem(response, 422, "request.invalid")
        assert loc in [e["loc"] for e in problem["errors"]], (url, problem["errors"])
    # A lone surrogate is valid JSON (`"\ud800"`) but no UTF-8 text: refused the same way.
    content = json.dumps({"role": "department", "name": "n", "department_code": "\ud800"})
    response = await client.post(
        "/api/v1/keys", content=content, headers={**headers, "Content-Type": "application/json"}
    )
    problem = assert_problem(response, 422, "request.invalid")
    assert problem["errors"][0]["loc"] == ["body", "department_code"]


@pytest.mark.parametrize(
    ("method", "url", "body", "status", "code"),
    [
        ("GET", "/api/v1/regions/999999", None, 404, "region.not_found"),
        ("GET", "/api/v1/enterprises?cursor=x", None, 422, "pagination.cursor_invalid"),
        ("POST", "/api/v1/enterprises", {"uscc": "1"}, 422, "request.invalid"),
        ("GET", "/api/v1/agencies/not-a-uuid", None, 422, "request.invalid"),
        ("POST", "/api/v1/keys", {"role": "regulator", "name": "x"}, 422, "key.scope_missing"),
    ],
)
async def test_every_problem_document_has_the_five_members(
    client: httpx.AsyncClient,
    keys: Keys,
    method: str,
    url: str,
    body: dict[str, str] | None,
    status: int,
    code: str,
) -> None:
    response = await client.request(method, url, json=body, headers=await keys.admin())
    problem = assert_problem(response, status, code)
    assert problem["type"].endswith(code)
    assert all(isinstance(problem[m], str) for m in PROBLEM_MEMBERS if m != "status")


async def test_a_body_over_the_limit_is_refused_when_its_length_is_declared(
    client: httpx.AsyncClient, keys: Keys
) -> None:
    content = enterprise_json(LIMIT + 1)
    assert len(content) == LIMIT + 1
    response = await client.post(
        "/api/v1/enterprises",
        content=content,
        headers={**await keys.admin(), "Content-Type": "application/json"},
    )
    assert response.status_code == 413


async def test_a_declared_oversized_body_gets_a_problem_document(
    client: httpx.AsyncClient, keys: Keys
) -> None:
    response = await client.post(
        "/api/v1/enterprises",
        content=enterprise_json(LIMIT + 1),
        headers={**await keys.admin(), "Content-Type": "application/json"},
    )
    assert_problem(response, 413, "request.too_large")


async def test_a_streamed_body_over_the_limit_is_refused_without_a_length(
    client: httpx.AsyncClient, keys: Keys
) -> None:
    content = enterprise_json(LIMIT + 1)

    async def chunks() -> AsyncIterator[bytes]:
        for start in range(0, len(content), 64 * 1024):
            yield content[start : start + 64 * 1024]

    request = client.build_request(
        "POST",
        "/api/v1/enterprises",
        content=chunks(),
        headers={**await keys.admin(), "Content-Type": "application/json"},
    )
    assert "content-length" not in request.headers
    assert request.headers["transfer-encoding"] == "chunked"
    response = await client.send(request)
    assert_problem(response, 413, "request.too_large")


async def test_understating_the_length_does_not_dodge_the_limit(
    client: httpx.AsyncClient, keys: Keys
) -> None:
    response = await client.post(
        "/api/v1/enterprises",
        content=enterprise_json(LIMIT + 1),
        headers={
            **await keys.admin(),
            "Content-Type": "application/json",
            "Content-Length": "100",
        },
    )
    assert_problem(response, 413, "request.too_large")


async def test_a_body_just_within_the_limit_is_read(client: httpx.AsyncClient, keys: Keys) -> None:
    content = enterprise_json(LIMIT)
    response = await client.post(
        "/api/v1/enterprises",
        content=content,
        headers={**await keys.admin(), "Content-Type": "application/json"},
    )
    # Read and validated (the address is too long for the schema), not refused for its size.
    problem = assert_problem(response, 422, "request.invalid")
    assert problem["errors"][0]["loc"] == ["body", "address"]
