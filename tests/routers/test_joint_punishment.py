"""The department API's reads: the measures catalogue, the list pinned to one feed number with
its ETag, and the changes feed with its empty pages, its 410 past the retention and its 422s."""

from __future__ import annotations

from datetime import date, timedelta

import httpx
import pytest
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from models.base import utcnow
from models.system import Role
from service.db import commit
from service.joint_punishment import changes
from tests.factories import Keys, assert_problem, make_listing, remove_listing

API = "/api/v1"
TODAY = date(2026, 6, 1)
# What an fgw (development and reform) department applies, from seed/data/measures.csv.
FGW_MEASURES = {
    "restrict_public_bidding",
    "restrict_fiscal_subsidies",
    "no_honours",
    "no_simplified_approval",
    "restrict_financing",
}


@pytest.fixture(autouse=True)
def fixed_today(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("service.clock.today", lambda: TODAY)


@pytest.fixture
async def fgw(keys: Keys) -> dict[str, str]:
    return await keys.headers(Role.DEPARTMENT, department="fgw-410000")


async def test_any_key_reads_the_measures_catalogue_with_legal_basis_and_department_kinds(
    client: httpx.AsyncClient, fgw: dict[str, str]
) -> None:
    response = await client.get(f"{API}/measures", headers=fgw)
    assert response.status_code == 200, response.text
    by_code = {m["code"]: m for m in response.json()["items"]}
    procurement = by_code["restrict_government_procurement"]
    assert "政府采购法" in procurement["legal_basis"]
    assert procurement["department_kinds"] == ["czt", "ggzy"]
    assert set(procurement) == {"code", "name", "description", "legal_basis", "department_kinds"}


async def test_the_list_carries_the_listings_and_the_measures_of_the_callers_department(
    client: httpx.AsyncClient, session: AsyncSession, fgw: dict[str, str], keys: Keys
) -> None:
    listing = await make_listing(session)
    response = await client.get(f"{API}/joint-punishment/list", headers=fgw)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["snapshot_seq"] == listing.listed_seq
    [item] = body["items"]
    assert item["listing_id"] == str(listing.id)
    assert item["uscc"] == listing.enterprise_uscc
    assert item["listed_on"] == "2026-04-01"
    assert item["ends_on"] == "2029-04-01"
    assert item["decision_reference"] == listing.decision_reference
    assert item["enterprise_name"]
    assert {m["code"] for m in item["measures"]} == FGW_MEASURES
    assert set(item["measures"][0]) == {"code", "name", "legal_basis"}

    czt = await keys.headers(Role.DEPARTMENT, department="czt-410000")
    as_czt = (await client.get(f"{API}/joint-punishment/list", headers=czt)).json()
    assert {m["code"] for m in as_czt["items"][0]["measures"]} == {
        "restrict_government_procurement",
        "restrict_fiscal_subsidies",
    }
    enterprise = await keys.headers(Role.ENTERPRISE, uscc=listing.enterprise_uscc)
    forbidden = await client.get(f"{API}/joint-punishment/list", headers=enterprise)
    assert_problem(forbidden, 403, "auth.role_forbidden")


async def test_pages_stay_pinned_to_the_first_pages_snapshot_while_the_list_changes(
    client: httpx.AsyncClient, session: AsyncSession, fgw: dict[str, str]
) -> None:
    first, second, third = [await make_listing(session) for _ in range(3)]
    url = f"{API}/joint-punishment/list"
    page1 = (await client.get(url, params={"limit": 2}, headers=fgw)).json()
    assert [i["listing_id"] for i in page1["items"]] == [str(first.id), str(second.id)]
    snapshot = page1["snapshot_seq"]

    # Between the pages: the third is removed and a fourth listed.
    await remove_listing(session, third, on=date(2026, 5, 20))
    fourth = await make_listing(session)

    page2 = (
        await client.get(url, params={"limit": 2, "cursor": page1["next_cursor"]}, headers=fgw)
    ).json()
    assert page2["snapshot_seq"] == snapshot
    assert [i["listing_id"] for i in page2["items"]] == [str(third.id)]
    assert page2["next_cursor"] is None

    # A fresh first page sees the present; the feed from the snapshot carries the difference.
    fresh = (await client.get(url, headers=fgw)).json()
    assert {i["listing_id"] for i in fresh["items"]} == {
        str(first.id),
        str(second.id),
        str(fourth.id),
    }
    feed = (
        await client.get(f"{API}/joint-punishment/changes", params={"since": snapshot}, headers=fgw)
    ).json()
    assert [(c["kind"], c["listing_id"]) for c in feed["items"]] == [
        ("removed", str(third.id)),
        ("listed", str(fourth.id)),
    ]


async def test_an_unchanged_list_is_answered_304_and_a_change_gives_a_new_etag(
    client: httpx.AsyncClient, session: AsyncSession, fgw: dict[str, str], keys: Keys
) -> None:
    await make_listing(session)
    url = f"{API}/joint-punishment/list"
    first = await client.get(url, headers=fgw)
    etag = first.headers["etag"]
    again = await client.get(url, headers=fgw | {"If-None-Match": etag})
    assert again.status_code == 304
    assert again.content == b""
    assert again.headers["etag"] == etag

    # Another department applies other measures: another representation, another tag.
    czt = await keys.headers(Role.DEPARTMENT, department="czt-410000")
    other = await client.get(url, headers=czt | {"If-None-Match": etag})
    assert other.status_code == 200

    await make_listing(session)
    changed = await client.get(url, headers=fgw | {"If-None-Match": etag})
    assert changed.status_code == 200
    assert changed.headers["etag"] != etag
    assert len(changed.json()["items"]) == 2


async def test_a_forged_or_future_cursor_is_refused(
    client: httpx.AsyncClient, fgw: dict[str, str]
) -> None:
    from service.pagination import encode_cursor

    url = f"{API}/joint-punishment/list"
    for cursor in ("not-a-cursor", encode_cursor({"s": 99, "after": 0}), encode_cursor([1])):
        response = await client.get(url, params={"cursor": cursor}, headers=fgw)
        assert_problem(response, 422, "pagination.cursor_invalid")


async def test_the_feed_lists_each_change_once_in_order_and_then_an_empty_page(
    client: httpx.AsyncClient, session: AsyncSession, fgw: dict[str, str]
) -> None:
    listing = await make_listing(session)
    await remove_listing(session, listing, on=date(2026, 5, 20))
    url = f"{API}/joint-punishment/changes"
    page = (await client.get(url, params={"since": 0, "limit": 1}, headers=fgw)).json()
    assert [c["seq"] for c in page["items"]] == [1]
    assert page["items"][0]["kind"] == "listed"
    assert page["items"][0]["listing"]["uscc"] == listing.enterprise_uscc
    assert (page["next_since"], page["head"]) == (1, 2)

    page = (await client.get(url, params={"since": 1}, headers=fgw)).json()
    assert [(c["seq"], c["kind"]) for c in page["items"]] == [(2, "removed")]
    assert page["items"][0]["listing"]["removed_on"] == "2026-05-20"

    empty = (await client.get(url, params={"since": 2}, headers=fgw)).json()
    assert empty == {"items": [], "next_since": 2, "head": 2}


async def test_the_feed_refuses_bad_since_values(
    client: httpx.AsyncClient, session: AsyncSession, fgw: dict[str, str]
) -> None:
    await make_listing(session)
    url = f"{API}/joint-punishment/changes"
    for since in ("-1", "abc", "1.5"):
        bad = await client.get(url, params={"since": since}, headers=fgw)
        assert_problem(bad, 422, "request.invalid")
    assert_problem(await client.get(url, headers=fgw), 422, "request.invalid")
    ahead = await client.get(url, params={"since": 5}, headers=fgw)
    assert assert_problem(ahead, 422, "changes.since_ahead")["head"] == 1


async def test_a_since_older_than_the_retention_is_gone_and_points_to_the_list(
    client: httpx.AsyncClient,
    session: AsyncSession,
    sessionmaker: async_sessionmaker[AsyncSession],
    fgw: dict[str, str],
) -> None:
    old = await make_listing(session)
    await remove_listing(session, old, on=date(2026, 5, 20))
    async with sessionmaker() as pruning:
        pruned = await changes.prune(pruning, now=utcnow() + timedelta(days=366))
        await commit(pruning)
    assert pruned == 2
    await make_listing(session)  # seq 3, kept

    url = f"{API}/joint-punishment/changes"
    gone = await client.get(url, params={"since": 0}, headers=fgw)
    problem = assert_problem(gone, 410, "changes.since_expired")
    assert "/joint-punishment/list" in problem["detail"]
    assert problem["oldest_seq"] == 3
    # Holding 2 the client missed nothing that is gone.
    kept = (await client.get(url, params={"since": 2}, headers=fgw)).json()
    assert [c["seq"] for c in kept["items"]] == [3]
