"""Bulk directory imports through HTTP: the per-row report, what lands, streaming edge cases,
authorisation and the audit chain."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute
from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models.enterprise import Enterprise
from models.system import AuditEntry, Role
from routers.imports import router as imports_router
from service.app import create_app
from service.canonical import digest
from service.db import commit
from service.directory.enterprises import enterprise_state
from service.uscc import ALPHABET
from tests import conftest
from tests.factories import Keys, make_enterprise, new_uscc

ENTERPRISES = "/api/v1/enterprises:import"
PRODUCTS = "/api/v1/products:import"
CSV = {"Content-Type": "text/csv"}
NDJSON = {"Content-Type": "application/x-ndjson"}
HEADER = "uscc,name,region_code,size,address,checksum_override_reason\n"

Body = bytes | AsyncIterator[bytes]


async def post(
    client: httpx.AsyncClient, url: str, body: Body, headers: dict[str, str], kind: dict[str, str]
) -> httpx.Response:
    return await client.post(url, content=body, headers={**headers, **kind})


async def report_of(
    client: httpx.AsyncClient, url: str, body: Body, headers: dict[str, str], kind: dict[str, str]
) -> dict[str, Any]:
    response = await post(client, url, body, headers, kind)
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


def bad_checksum(uscc: str) -> str:
    return uscc[:17] + ALPHABET[(ALPHABET.index(uscc[17]) + 1) % len(ALPHABET)]


def errors(report: dict[str, Any]) -> list[tuple[int, str]]:
    return [(error["row"], error["code"]) for error in report["errors"]]


async def in_pieces(data: bytes, size: int) -> AsyncIterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start : start + size]


async def audit_count(session: AsyncSession) -> int:
    return (await session.exec(select(func.count()).select_from(AuditEntry))).one()


async def read(client: httpx.AsyncClient, uscc: str, headers: dict[str, str]) -> dict[str, Any]:
    response = await client.get(f"/api/v1/enterprises/{uscc}", headers=headers)
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


async def test_csv_lists_exactly_the_bad_rows_and_lands_the_good_ones(
    client: httpx.AsyncClient, keys: Keys
) -> None:
    headers = await keys.headers(Role.REGULATOR, department="scjg-410100")
    good, pilot, quoted, last = (new_uscc("410102") for _ in range(4))
    duplicate = new_uscc("410103")
    body = HEADER + "\n".join(
        [
            f"{good},郑州甲有限公司,410102,small,,",  # row 1
            "12345,坏代码公司,410102,,,",  # 2: malformed
            f"{bad_checksum(new_uscc())},校验错公司,410102,,,",  # 3: checksum
            f"{bad_checksum(pilot)},试点公司,410102,,,试点地区早期代码",  # 4: override
            f"{new_uscc()},未知地区公司,999999,,,",  # 5: unknown region
            f"{new_uscc('410302')},洛阳公司,410302,,,",  # 6: outside Zhengzhou
            f"{new_uscc()},   ,410102,,,",  # 7: blank name
            f"{new_uscc()},大小不对公司,410102,huge,,",  # 8: bad size
            f"{good},重复公司,410102,,,",  # 9: duplicate of row 1
            f"{new_uscc()},列数不对公司,410102,,",  # 10: five fields
            f'{quoted},"引号公司, 有限",410102,medium,"郑州市中原区\n建设路 1 号, 2 楼",',  # 11
            f"{duplicate},第二家公司,410103,MICRO,,",  # 12, on line 14
            f"{new_uscc()},空\x00字符公司,410102,,,",  # 13: NUL
            "",  # blank: skipped, not counted
            f"{last},最后一家公司,410102,,,",  # 15
        ]
    )
    report = await report_of(client, ENTERPRISES, body.encode(), headers, CSV)

    assert errors(report) == [
        (2, "uscc.malformed"),
        (3, "uscc.checksum"),
        (5, "region.unknown"),
        (6, "scope.region_forbidden"),
        (7, "import.field_required"),
        (8, "import.field_invalid"),
        (9, "import.duplicate_row"),
        (10, "import.column_count"),
        (13, "import.invalid_text"),
    ]
    assert {e["row"]: e["line"] for e in report["errors"]}[13] == 15
    assert {e["row"]: e["field"] for e in report["errors"]}[7] == "name"
    assert "row 1" in report["errors"][6]["message"]
    assert report | {"errors": []} == {
        "received": 14,
        "created": 5,
        "updated": 0,
        "unchanged": 0,
        "rejected": 9,
        "errors": [],
        "errors_truncated": False,
    }
    first = await read(client, good, headers)
    assert (first["name"], first["size"], first["address"]) == ("郑州甲有限公司", "small", None)
    assert (await read(client, bad_checksum(pilot), headers))["checksum_override_reason"] == (
        "试点地区早期代码"
    )
    with_quotes = await read(client, quoted, headers)
    assert with_quotes["name"] == "引号公司, 有限"
    assert with_quotes["address"] == "郑州市中原区\n建设路 1 号, 2 楼"
    assert (await read(client, duplicate, headers))["size"] == "micro"
    assert (await read(client, last, headers))["name"] == "最后一家公司"


async def test_ndjson_lists_exactly_the_bad_lines(client: httpx.AsyncClient, keys: Keys) -> None:
    headers = await keys.headers(Role.REGULATOR, department="scjg-410100")
    good, other = new_uscc("410105"), new_uscc("410102")
    lines = [
        json.dumps({"uscc": good, "name": "金水公司", "region_code": "410105", "size": None}),
        '{"uscc": "broken", ',  # 2: not JSON
        json.dumps([good]),  # 3: not an object
        json.dumps({"uscc": new_uscc(), "name": "多字段", "region_code": "410102", "x": "1"}),
        json.dumps({"uscc": new_uscc(), "name": "数字", "region_code": 410102}),  # 5
        "",  # 6: blank
        json.dumps({"uscc": bad_checksum(new_uscc()), "name": "校验错", "region_code": "410102"}),
        json.dumps({"uscc": new_uscc(), "name": "无地区"}),  # 8
        json.dumps({"uscc": good, "name": "重复", "region_code": "410105"}),  # 9
        json.dumps(
            {"uscc": other, "name": "中原公司", "region_code": "410102"}, ensure_ascii=False
        ),
        json.dumps({"uscc": new_uscc(), "name": "\ud800", "region_code": "410102"}),  # 11
    ]
    report = await report_of(client, ENTERPRISES, "\n".join(lines).encode(), headers, NDJSON)

    assert errors(report) == [
        (2, "import.invalid_json"),
        (3, "import.invalid_json"),
        (4, "import.unknown_field"),
        (5, "import.field_type"),
        (7, "uscc.checksum"),
        (8, "import.field_required"),
        (9, "import.duplicate_row"),
        (11, "import.invalid_text"),
    ]
    assert (report["received"], report["created"], report["rejected"]) == (10, 2, 8)
    assert (await read(client, good, headers))["name"] == "金水公司"
    assert (await read(client, other, headers))["name"] == "中原公司"


async def test_reimport_updates_changed_rows_and_never_clears(
    client: httpx.AsyncClient, keys: Keys
) -> None:
    headers = await keys.admin()
    first, second = new_uscc(), new_uscc()
    body = f"{HEADER}{first},甲公司,410102,small,建设路 1 号,\n{second},乙公司,410102,large,,\n"
    assert (await report_of(client, ENTERPRISES, body.encode(), headers, CSV))["created"] == 2

    again = f"uscc,name,region_code,size\n{first},甲公司（更名）,410103,\n{second},乙公司,410102,\n"
    report = await report_of(client, ENTERPRISES, again.encode(), headers, CSV)

    assert (report["created"], report["updated"], report["unchanged"]) == (0, 1, 1)
    moved = await read(client, first, headers)
    assert (moved["name"], moved["region_code"]) == ("甲公司（更名）", "410103")
    assert (moved["size"], moved["address"]) == ("small", "建设路 1 号")


async def test_bom_crlf_and_a_character_split_across_chunks(
    client: httpx.AsyncClient, keys: Keys
) -> None:
    headers = await keys.admin()
    uscc = new_uscc()
    data = f"\ufeffUSCC, Name ,region_code\r\n{uscc},河南省郑州市𠀀测试有限公司,410102\r\n".encode()
    # One byte at a time: every multi-byte character and the BOM straddle chunk boundaries.
    report = await report_of(client, ENTERPRISES, in_pieces(data, 1), headers, CSV)

    assert (report["created"], report["rejected"]) == (1, 0), report
    assert (await read(client, uscc, headers))["name"] == "河南省郑州市𠀀测试有限公司"


async def test_a_quote_never_closed_is_the_last_rows_error(
    client: httpx.AsyncClient, keys: Keys
) -> None:
    headers = await keys.admin()
    uscc = new_uscc()
    body = f'{HEADER}{uscc},好公司,410102,,,\n{new_uscc()},"坏公司,410102,,,\n{new_uscc()},x,1,,,'
    report = await report_of(client, ENTERPRISES, body.encode(), headers, CSV)

    assert errors(report) == [(2, "import.malformed_row")]
    assert report["created"] == 1


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ("", "import.header_invalid"),
        ("uscc,name\n", "import.header_invalid"),
        ("uscc,name,region_code,phone\n", "import.header_invalid"),
        ("uscc,name,name,region_code\n", "import.header_invalid"),
    ],
)
async def test_an_unusable_header_rejects_the_body(
    client: httpx.AsyncClient, keys: Keys, body: str, code: str
) -> None:
    response = await post(client, ENTERPRISES, body.encode(), await keys.admin(), CSV)
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == code


async def test_a_body_that_fails_halfway_leaves_nothing(
    app: FastAPI, client: httpx.AsyncClient, keys: Keys, session: AsyncSession
) -> None:
    # Small batches, so that rows have been written when the bad bytes arrive.
    app.state.settings = app.state.settings.model_copy(update={"import_batch_rows": 2})
    headers = await keys.admin()
    before = await audit_count(session)
    good = [new_uscc() for _ in range(5)]
    data = (HEADER + "".join(f"{u},好公司,410102,,,\n" for u in good)).encode()
    data += "坏".encode("gbk") + b",,\n"
    response = await post(client, ENTERPRISES, in_pieces(data, 50), headers, CSV)

    assert response.status_code == 422
    assert response.json()["code"] == "import.encoding"
    assert "line 7" in response.json()["detail"]
    assert (await client.get(f"/api/v1/enterprises/{good[0]}", headers=headers)).status_code == 404
    assert await audit_count(session) == before


async def test_more_bad_rows_than_the_error_cap(client: httpx.AsyncClient, keys: Keys) -> None:
    body = HEADER + "x,坏,410102,,,\n" * 1_005
    report = await report_of(client, ENTERPRISES, body.encode(), await keys.admin(), CSV)
    assert (report["rejected"], len(report["errors"]), report["errors_truncated"]) == (
        1_005,
        1_000,
        True,
    )


async def test_other_media_types_are_refused(client: httpx.AsyncClient, keys: Keys) -> None:
    headers = await keys.admin()
    for content_type in ("application/json", "text/csv; charset=gbk", "text/plain"):
        response = await post(
            client, ENTERPRISES, b"uscc\n", headers, {"Content-Type": content_type}
        )
        assert response.status_code == 415, content_type
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["code"] == "import.unsupported_media_type"
    response = await post(
        client, PRODUCTS, b"", headers, {"Content-Type": "text/csv; charset=UTF-8"}
    )
    assert response.status_code == 422  # accepted as CSV; the empty body has no header


async def test_a_body_over_the_import_limit_is_refused(
    database_url: str, keys: Keys, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The limit is fixed when the routes are declared; lower it for one app built here.
    route = next(r for r in imports_router.routes if isinstance(r, APIRoute))
    monkeypatch.setattr(route, "max_body_size", 1_000)
    app = create_app(conftest.test_settings(database_url))
    headers = {**await keys.admin(), **CSV}
    data = (HEADER + f"{new_uscc()},甲公司,410102,,,\n" * 40).encode()
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://t") as client,
    ):
        streamed = await client.post(ENTERPRISES, content=in_pieces(data, 100), headers=headers)
        assert streamed.status_code == 413
        assert streamed.headers["content-type"] == "application/problem+json"
        assert streamed.json()["code"] == "request.too_large"
        # A declared length over the limit is refused before the body is read (by Starlette,
        # which answers in plain text).
        declared = await client.post(ENTERPRISES, content=data, headers=headers)
        assert declared.status_code == 413
        small = await client.post(ENTERPRISES, content=data[:200], headers=headers)
        assert small.status_code == 422  # under the limit: read, and cut inside a character


async def test_a_body_over_the_ordinary_limit_is_accepted(
    client: httpx.AsyncClient, keys: Keys
) -> None:
    # 1.5 MiB of rows: past the app-wide 1 MiB limit, inside the import limit.
    body = HEADER + f"x,{'坏' * 40},410102,,,\n" * 12_000
    assert len(body.encode()) > 1_500_000
    report = await report_of(client, ENTERPRISES, body.encode(), await keys.admin(), CSV)
    assert report["rejected"] == 12_000


async def test_only_regulators_import(
    client: httpx.AsyncClient, keys: Keys, session: AsyncSession
) -> None:
    body = f"{HEADER}{new_uscc()},甲,410102,,,\n".encode()
    for url in (ENTERPRISES, PRODUCTS):
        assert (await post(client, url, body, {}, CSV)).status_code == 401
    enterprise = await make_enterprise(session)
    for headers in (
        await keys.headers(Role.DEPARTMENT),
        await keys.headers(Role.ENTERPRISE, uscc=enterprise.uscc),
    ):
        for url in (ENTERPRISES, PRODUCTS):
            response = await post(client, url, body, headers, CSV)
            assert response.status_code == 403
            assert response.json()["code"] == "auth.role_forbidden"


async def test_a_regulator_cannot_take_over_an_enterprise_of_another_region(
    client: httpx.AsyncClient, keys: Keys, session: AsyncSession
) -> None:
    luoyang = await make_enterprise(session, region_code="410302")
    headers = await keys.headers(Role.REGULATOR, department="scjg-410100")
    body = f"{HEADER}{luoyang.uscc},搬到郑州,410102,,,\n{new_uscc()},郑州公司,410102,,,\n"
    report = await report_of(client, ENTERPRISES, body.encode(), headers, CSV)

    assert errors(report) == [(1, "scope.region_forbidden")]
    assert report["created"] == 1
    assert (await read(client, luoyang.uscc, headers))["region_code"] == "410302"


async def test_products_import_normalises_the_identity(
    client: httpx.AsyncClient, keys: Keys, session: AsyncSession
) -> None:
    zhengzhou = await make_enterprise(session, region_code="410102")
    luoyang = await make_enterprise(session, region_code="410302")
    closed = await make_enterprise(session, region_code="410102")
    closed.active = False
    session.add(closed)
    await commit(session)
    headers = await keys.headers(Role.REGULATOR, department="scjg-410100")
    rows = [
        "enterprise_uscc,category_code,name,brand,model,standard",
        f"{zhengzhou.uscc},0401,电冰箱,海尔,BCD-200,GB 4706.13-2014",  # 1
        f"{zhengzhou.uscc.lower()},0401,冰箱,海尔, ｂｃｄ － ２００ ,GB 4706.13-2014",  # 2: same
        f"{zhengzhou.uscc},0401,电冰箱,海尔,BCD-300,GB 4706.13-2014",  # 3
        f"{new_uscc()},0401,电冰箱,海尔,BCD-200,",  # 4: no such enterprise
        f"{zhengzhou.uscc},9999,电冰箱,海尔,BCD-400,",  # 5: no such category
        f"{zhengzhou.uscc},0401,电冰箱,海尔,   ,",  # 6: blank model
        f"{luoyang.uscc},0401,电冰箱,海尔,BCD-200,",  # 7: outside Zhengzhou
        f"{closed.uscc},0401,电冰箱,海尔,BCD-200,",  # 8: deactivated
    ]
    report = await report_of(client, PRODUCTS, "\n".join(rows).encode(), headers, CSV)

    assert errors(report) == [
        (2, "import.duplicate_row"),
        (4, "enterprise.unknown"),
        (5, "category.unknown"),
        (6, "product.model_required"),
        (7, "scope.region_forbidden"),
        (8, "enterprise.inactive"),
    ]
    assert report["created"] == 2
    listed = await client.get(f"/api/v1/enterprises/{zhengzhou.uscc}/products", headers=headers)
    assert sorted(p["model"] for p in listed.json()["items"]) == ["BCD-200", "BCD-300"]

    again = json.dumps(
        {
            "enterprise_uscc": zhengzhou.uscc,
            "category_code": "0402",
            "name": "双门电冰箱",
            "brand": "海尔",
            "model": "bcd—200",
            "standard": "GB 4706.13—2014",
        },
        ensure_ascii=False,
    )
    report = await report_of(client, PRODUCTS, again.encode(), headers, NDJSON)
    assert (report["created"], report["updated"]) == (0, 1), report
    listed = await client.get(f"/api/v1/enterprises/{zhengzhou.uscc}/products", headers=headers)
    product = next(p for p in listed.json()["items"] if p["model"] == "BCD-200")
    assert (product["name"], product["category_code"]) == ("双门电冰箱", "0402")


async def test_each_landed_row_appends_one_audit_record(
    client: httpx.AsyncClient, keys: Keys, session: AsyncSession
) -> None:
    headers = await keys.admin()
    before = await audit_count(session)
    usccs = [new_uscc("410105") for _ in range(3)]
    body = HEADER + "".join(f"{u},审计公司{i},410105,small,,\n" for i, u in enumerate(usccs))
    body += "坏,坏,410105,,,\n"
    assert (await report_of(client, ENTERPRISES, body.encode(), headers, CSV))["created"] == 3
    body = HEADER + f"{usccs[0]},审计公司（新）,410105,,,\n{usccs[1]},审计公司1,410105,,,\n"
    assert (await report_of(client, ENTERPRISES, body.encode(), headers, CSV))["updated"] == 1

    assert await audit_count(session) == before + 4
    verified = await client.get("/api/v1/audit/verify", headers=headers)
    assert verified.json()["ok"] is True, verified.json()
    # The import digests the same state as a single-row create or update would.
    entry = (
        await session.exec(
            select(AuditEntry)
            .where(col(AuditEntry.entity_id) == usccs[0])
            .order_by(col(AuditEntry.seq).desc())
        )
    ).first()
    enterprise = await session.get(Enterprise, usccs[0])
    assert entry is not None
    assert enterprise is not None
    assert entry.action == "enterprise.import"
    assert entry.state_digest == digest(enterprise_state(enterprise))
