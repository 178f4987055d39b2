"""`POST /joint-punishment/check`: hits as of a day (before the listing, during it, on and after
its removal day), malformed codes reported while the rest are answered, duplicates collapsed,
too many codes refused, and every check logged where the enterprise can see it."""

from __future__ import annotations

from datetime import date

import httpx
import pytest
from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models.blacklist import HitCheck, HitCheckSubject
from models.system import Role
from tests.factories import (
    Keys,
    assert_problem,
    make_enterprise,
    make_listing,
    new_uscc,
    remove_listing,
)

API = "/api/v1"
CHECK = f"{API}/joint-punishment/check"
TODAY = date(2026, 6, 1)


@pytest.fixture(autouse=True)
def fixed_today(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("service.clock.today", lambda: TODAY)


@pytest.fixture
async def fgw(keys: Keys) -> dict[str, str]:
    return await keys.headers(Role.DEPARTMENT, department="fgw-410000")


async def test_a_check_answers_what_was_true_on_the_day_asked(
    client: httpx.AsyncClient, session: AsyncSession, fgw: dict[str, str]
) -> None:
    listing = await make_listing(session, listed_on=date(2026, 4, 1))
    await remove_listing(session, listing, on=date(2026, 5, 20))
    uscc = listing.enterprise_uscc

    async def hits_on(day: str | None) -> list[dict[str, object]]:
        body: dict[str, object] = {"usccs": [uscc]} | ({"as_of": day} if day else {})
        response = await client.post(CHECK, json=body, headers=fgw)
        assert response.status_code == 200, response.text
        hits: list[dict[str, object]] = response.json()["hits"]
        return hits

    assert await hits_on("2026-03-31") == []  # the day before the listing
    [hit] = await hits_on("2026-04-01")
    assert hit["listing_id"] == str(listing.id)
    assert (hit["listed_on"], hit["ends_on"]) == ("2026-04-01", "2029-04-01")
    assert "restrict_financing" in {m["code"] for m in hit["measures"]}  # type: ignore[attr-defined]
    assert len(await hits_on("2026-05-19")) == 1  # the last day on the list
    assert await hits_on("2026-05-20") == []  # the removal day is off the list
    assert await hits_on(None) == []  # today


async def test_malformed_codes_are_reported_and_the_rest_answered_once(
    client: httpx.AsyncClient, session: AsyncSession, fgw: dict[str, str]
) -> None:
    listed = await make_listing(session)
    clean = await make_enterprise(session)
    bad_checksum = listed.enterprise_uscc[:17] + ("0" if listed.enterprise_uscc[17] != "0" else "1")
    body = {
        "usccs": [
            listed.enterprise_uscc,
            listed.enterprise_uscc.lower(),  # the same code, not yet canonical
            clean.uscc,
            "12345",
            bad_checksum,
            "12345",
        ]
    }
    response = await client.post(CHECK, json=body, headers=fgw)
    assert response.status_code == 200, response.text
    result = response.json()
    assert [h["uscc"] for h in result["hits"]] == [listed.enterprise_uscc]
    assert result["asked"] == 2
    assert [(i["uscc"], i["code"]) for i in result["invalid"]] == [
        ("12345", "uscc.malformed"),
        (bad_checksum, "uscc.checksum"),
    ]
    assert all(i["reason"] for i in result["invalid"])


async def test_more_codes_than_allowed_are_refused(
    client: httpx.AsyncClient, fgw: dict[str, str]
) -> None:
    codes = [new_uscc() for _ in range(10_001)]
    response = await client.post(CHECK, json={"usccs": codes}, headers=fgw)
    assert assert_problem(response, 413, "check.too_many")["limit"] == 10_000


async def test_future_days_admin_keys_and_enterprise_keys_are_refused(
    client: httpx.AsyncClient, fgw: dict[str, str], keys: Keys, session: AsyncSession
) -> None:
    future = await client.post(CHECK, json={"usccs": [], "as_of": "2026-06-02"}, headers=fgw)
    assert_problem(future, 422, "check.as_of_in_future")
    # A check is logged against a department; an admin key stands for none.
    admin = await client.post(CHECK, json={"usccs": []}, headers=await keys.admin())
    assert_problem(admin, 403, "joint_punishment.department_required")
    enterprise = await make_enterprise(session)
    own = await keys.headers(Role.ENTERPRISE, uscc=enterprise.uscc)
    assert_problem(
        await client.post(CHECK, json={"usccs": []}, headers=own), 403, "auth.role_forbidden"
    )
    extra = await client.post(CHECK, json={"usccs": [], "x": 1}, headers=fgw)
    assert_problem(extra, 422, "request.invalid")


async def test_every_check_is_logged_and_the_enterprise_sees_who_checked_it(
    client: httpx.AsyncClient, session: AsyncSession, fgw: dict[str, str], keys: Keys
) -> None:
    listing = await make_listing(session)
    clean = await make_enterprise(session)
    regulator = await keys.headers(Role.REGULATOR, department="scjg-410100")
    both = {"usccs": [listing.enterprise_uscc, clean.uscc]}
    assert (await client.post(CHECK, json=both, headers=fgw)).status_code == 200
    early = {"usccs": [listing.enterprise_uscc], "as_of": "2026-03-01"}
    assert (await client.post(CHECK, json=early, headers=regulator)).status_code == 200

    checks = (await session.exec(select(HitCheck).order_by(col(HitCheck.checked_at)))).all()
    assert [(c.department_code, c.asked, c.hits) for c in checks] == [
        ("fgw-410000", 2, 1),
        ("scjg-410100", 1, 0),
    ]
    subjects = (await session.exec(select(func.count()).select_from(HitCheckSubject))).one()
    assert subjects == 3

    mine = await keys.headers(Role.ENTERPRISE, uscc=listing.enterprise_uscc)
    seen = (await client.get(f"{API}/me/checks", headers=mine)).json()
    assert [(c["department_code"], c["as_of"], c["hit"]) for c in seen["items"]] == [
        ("scjg-410100", "2026-03-01", False),
        ("fgw-410000", "2026-06-01", True),
    ]
    assert seen["items"][1]["department_name"] == "河南省发展和改革委员会"
    page = (await client.get(f"{API}/me/checks", params={"limit": 1}, headers=mine)).json()
    rest = await client.get(
        f"{API}/me/checks", params={"limit": 1, "cursor": page["next_cursor"]}, headers=mine
    )
    assert [c["department_code"] for c in rest.json()["items"]] == ["fgw-410000"]

    other = await keys.headers(Role.ENTERPRISE, uscc=clean.uscc)
    theirs = (await client.get(f"{API}/me/checks", headers=other)).json()["items"]
    assert [(c["department_code"], c["hit"]) for c in theirs] == [("fgw-410000", False)]
