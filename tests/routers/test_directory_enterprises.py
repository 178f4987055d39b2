"""The enterprise directory (企业名录库) through the API: registration with USCC checks, reads,
updates, filters and soft deactivation."""

from __future__ import annotations

import httpx
import pytest
from sqlmodel.ext.asyncio.session import AsyncSession

from models.system import Role
from service.uscc import ALPHABET
from tests.factories import Keys, assert_problem, enterprise_body, make_enterprise, new_uscc


def with_wrong_check_character(uscc: str) -> str:
    return uscc[:17] + ALPHABET[(ALPHABET.index(uscc[17]) + 1) % len(ALPHABET)]


def full_width(text: str) -> str:
    """The code as typed with a Chinese IME: full-width, lower-case, ideographic spaces."""
    return "\u3000" + "".join(chr(ord(c) + 0xFEE0) for c in text.lower()) + "\u3000"


@pytest.fixture
async def regulator(keys: Keys) -> dict[str, str]:
    return await keys.headers(Role.REGULATOR, department="scjg-410100")


async def test_a_regulator_registers_reads_and_updates_an_enterprise(
    client: httpx.AsyncClient, regulator: dict[str, str]
) -> None:
    body = enterprise_body("410102", name="郑州好运电器有限公司", size="small", address="中原路1号")

    created = await client.post("/api/v1/enterprises", json=body, headers=regulator)
    assert created.status_code == 201, created.text
    assert created.json() | body == created.json()
    assert created.json()["active"] is True
    assert created.json()["checksum_override_reason"] is None

    url = f"/api/v1/enterprises/{body['uscc']}"
    assert (await client.get(url, headers=regulator)).json() == created.json()

    updated = await client.patch(
        url, json={"name": "郑州好运家电有限公司", "size": "medium"}, headers=regulator
    )
    assert updated.status_code == 200, updated.text
    assert (updated.json()["name"], updated.json()["size"]) == ("郑州好运家电有限公司", "medium")
    assert updated.json()["address"] == "中原路1号"
    assert (await client.get(url, headers=regulator)).json() == updated.json()


async def test_a_malformed_uscc_is_rejected_as_malformed(
    client: httpx.AsyncClient, regulator: dict[str, str]
) -> None:
    for uscc in (
        "91410102MA",  # too short
        "91410102123456788U0",  # too long
        "9141010212345678IU",  # I is not in the alphabet
        "91410102O23456788U",  # nor is O
        "91410102-2345678-U",
        "   ",
    ):
        body = enterprise_body("410102", uscc=uscc)
        response = await client.post("/api/v1/enterprises", json=body, headers=regulator)
        assert_problem(response, 422, "uscc.malformed")


async def test_a_uscc_failing_its_check_character_is_rejected(
    client: httpx.AsyncClient, regulator: dict[str, str]
) -> None:
    body = enterprise_body("410102")
    body["uscc"] = with_wrong_check_character(str(body["uscc"]))

    response = await client.post("/api/v1/enterprises", json=body, headers=regulator)

    problem = assert_problem(response, 422, "uscc.checksum")
    assert "position 18" in problem["detail"]


async def test_a_regulator_may_accept_a_failing_checksum_with_a_reason_that_is_shown(
    client: httpx.AsyncClient, regulator: dict[str, str]
) -> None:
    uscc = with_wrong_check_character(new_uscc("410102"))
    reason = "营业执照原件核对无误，试点地区早期赋码"

    blank = enterprise_body("410102", uscc=uscc, checksum_override_reason="   ")
    response = await client.post("/api/v1/enterprises", json=blank, headers=regulator)
    assert_problem(response, 422, "uscc.checksum")

    body = enterprise_body("410102", uscc=uscc, checksum_override_reason=reason)
    created = await client.post("/api/v1/enterprises", json=body, headers=regulator)
    assert created.status_code == 201, created.text
    read = await client.get(f"/api/v1/enterprises/{uscc}", headers=regulator)
    assert read.json()["checksum_override_reason"] == reason


async def test_an_override_reason_does_not_make_a_malformed_code_acceptable(
    client: httpx.AsyncClient, regulator: dict[str, str]
) -> None:
    body = enterprise_body("410102", uscc="9141010212345678IU", checksum_override_reason="核对过")
    response = await client.post("/api/v1/enterprises", json=body, headers=regulator)
    assert_problem(response, 422, "uscc.malformed")


async def test_an_override_reason_on_a_valid_code_is_not_recorded(
    client: httpx.AsyncClient, regulator: dict[str, str]
) -> None:
    body = enterprise_body("410102", checksum_override_reason="多余的说明")
    created = await client.post("/api/v1/enterprises", json=body, headers=regulator)
    assert created.status_code == 201, created.text
    assert created.json()["checksum_override_reason"] is None


async def test_a_full_width_uscc_is_stored_in_its_canonical_form(
    client: httpx.AsyncClient, regulator: dict[str, str]
) -> None:
    uscc = new_uscc("410102")
    body = enterprise_body("410102", uscc=full_width(uscc))

    created = await client.post("/api/v1/enterprises", json=body, headers=regulator)

    assert created.status_code == 201, created.text
    assert created.json()["uscc"] == uscc
    # Reads fold the same way, so a code typed full-width finds the row.
    read = await client.get(f"/api/v1/enterprises/{full_width(uscc).strip()}", headers=regulator)
    assert read.status_code == 200, read.text
    assert read.json()["uscc"] == uscc


async def test_registering_an_enterprise_twice_conflicts_whatever_the_spelling(
    client: httpx.AsyncClient, regulator: dict[str, str]
) -> None:
    body = enterprise_body("410102")
    assert (
        await client.post("/api/v1/enterprises", json=body, headers=regulator)
    ).status_code == 201

    for spelling in (str(body["uscc"]), full_width(str(body["uscc"]))):
        again = enterprise_body("410102", uscc=spelling)
        response = await client.post("/api/v1/enterprises", json=again, headers=regulator)
        assert_problem(response, 409, "enterprise.exists")


async def test_an_enterprise_in_an_unknown_region_is_rejected(
    client: httpx.AsyncClient, regulator: dict[str, str], session: AsyncSession
) -> None:
    # The code's own region segment may be abolished; the enterprise's region must exist.
    response = await client.post(
        "/api/v1/enterprises",
        json={**enterprise_body("410102"), "region_code": "419999"},
        headers=regulator,
    )
    assert_problem(response, 422, "region.unknown")

    enterprise = await make_enterprise(session)
    response = await client.patch(
        f"/api/v1/enterprises/{enterprise.uscc}", json={"region_code": "419999"}, headers=regulator
    )
    assert_problem(response, 422, "region.unknown")


async def test_a_uscc_whose_region_segment_is_no_region_is_still_accepted(
    client: httpx.AsyncClient, regulator: dict[str, str]
) -> None:
    body = enterprise_body("410102", uscc=new_uscc("419999"))
    response = await client.post("/api/v1/enterprises", json=body, headers=regulator)
    assert response.status_code == 201, response.text


async def test_an_update_that_changes_nothing_is_rejected(
    client: httpx.AsyncClient, regulator: dict[str, str], session: AsyncSession
) -> None:
    enterprise = await make_enterprise(session)
    response = await client.patch(
        f"/api/v1/enterprises/{enterprise.uscc}", json={}, headers=regulator
    )
    assert_problem(response, 422, "request.empty_update")


async def test_an_unknown_enterprise_is_not_found(
    client: httpx.AsyncClient, regulator: dict[str, str]
) -> None:
    uscc = new_uscc("410102")
    for method, body in (("GET", None), ("PATCH", {"size": "large"})):
        response = await client.request(
            method, f"/api/v1/enterprises/{uscc}", json=body, headers=regulator
        )
        assert_problem(response, 404, "enterprise.not_found")


async def test_deactivating_an_enterprise_keeps_it_readable_and_records_when(
    client: httpx.AsyncClient, regulator: dict[str, str], session: AsyncSession
) -> None:
    enterprise = await make_enterprise(session)
    url = f"/api/v1/enterprises/{enterprise.uscc}"

    off = await client.patch(url, json={"active": False}, headers=regulator)
    assert off.status_code == 200, off.text
    read = await client.get(url, headers=regulator)
    assert read.status_code == 200
    assert read.json()["active"] is False
    assert read.json()["deactivated_at"] is not None

    on = await client.patch(url, json={"active": True}, headers=regulator)
    assert (on.json()["active"], on.json()["deactivated_at"]) == (True, None)


async def test_a_province_filter_rolls_up_to_the_enterprises_of_its_counties(
    client: httpx.AsyncClient, regulator: dict[str, str], session: AsyncSession
) -> None:
    zhongyuan = await make_enterprise(session, region_code="410102")
    kaifeng = await make_enterprise(session, region_code="410202")
    wuhan = await make_enterprise(session, region_code="420102")

    async def found(region_code: str) -> set[str]:
        response = await client.get(
            "/api/v1/enterprises", params={"region_code": region_code}, headers=regulator
        )
        assert response.status_code == 200, response.text
        return {e["uscc"] for e in response.json()["items"]}

    assert await found("410000") == {zhongyuan.uscc, kaifeng.uscc}
    assert await found("410100") == {zhongyuan.uscc}
    assert await found("410102") == {zhongyuan.uscc}
    assert await found("420000") == {wuhan.uscc}
    assert await found("000000") == {zhongyuan.uscc, kaifeng.uscc, wuhan.uscc}
    response = await client.get(
        "/api/v1/enterprises", params={"region_code": "419999"}, headers=regulator
    )
    assert_problem(response, 422, "region.unknown")


async def test_enterprises_filter_by_size_activity_and_a_chinese_name_fragment(
    client: httpx.AsyncClient, regulator: dict[str, str], session: AsyncSession
) -> None:
    fridge = await make_enterprise(session, name="郑州冰箱制造有限公司", size="large")
    washer = await make_enterprise(session, name="郑州洗衣机有限公司", size="small")
    retired = await make_enterprise(session, name="开封冰箱厂", size="small")
    await client.patch(
        f"/api/v1/enterprises/{retired.uscc}", json={"active": False}, headers=regulator
    )

    async def found(**params: str) -> set[str]:
        response = await client.get("/api/v1/enterprises", params=params, headers=regulator)
        assert response.status_code == 200, response.text
        return {e["uscc"] for e in response.json()["items"]}

    assert await found(name_contains="冰箱") == {fridge.uscc, retired.uscc}
    assert await found(name_contains="冰箱", active="true") == {fridge.uscc}
    assert await found(size="small") == {washer.uscc, retired.uscc}
    assert await found(size="small", active="false") == {retired.uscc}
    assert await found(name_contains="电视") == set()


async def test_a_name_fragment_with_sql_wildcards_matches_them_literally(
    client: httpx.AsyncClient, regulator: dict[str, str], session: AsyncSession
) -> None:
    percent = await make_enterprise(session, name="百分百_100%电器有限公司")
    await make_enterprise(session, name="普通电器有限公司")

    for fragment, expected in (
        ("%", {percent.uscc}),
        ("_", {percent.uscc}),
        ("0%电", {percent.uscc}),
    ):
        response = await client.get(
            "/api/v1/enterprises", params={"name_contains": fragment}, headers=regulator
        )
        assert {e["uscc"] for e in response.json()["items"]} == expected, fragment


async def test_an_unknown_size_filter_is_a_validation_problem(
    client: httpx.AsyncClient, regulator: dict[str, str]
) -> None:
    response = await client.get("/api/v1/enterprises", params={"size": "huge"}, headers=regulator)
    problem = assert_problem(response, 422, "request.invalid")
    assert problem["errors"][0]["loc"] == ["query", "size"]
