"""The public lists, without a key: /public/blacklist shows the listings in force — never a
procedure still running, a dropped one or a removed one — page by page and by region;
/public/redlist shows the grade and never the internal risk class."""

from __future__ import annotations

from datetime import date

import httpx
import pytest
from sqlmodel.ext.asyncio.session import AsyncSession

from models.blacklist import Listing, ListingState
from service.credit import standing
from service.db import commit
from tests.factories import assert_problem, make_enterprise, make_listing, remove_listing

API = "/api/v1"
TODAY = date(2026, 6, 1)


@pytest.fixture(autouse=True)
def fixed_today(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("service.clock.today", lambda: TODAY)


async def open_procedure(session: AsyncSession, state: ListingState) -> Listing:
    """A listing procedure that never took effect."""
    enterprise = await make_enterprise(session)
    listing = Listing(
        enterprise_uscc=enterprise.uscc,
        criteria_version="test",
        criteria=["heavier_penalty"],
        evidence=[],
        reason="拒绝监督抽查",
        legal_basis="《市场监督管理严重违法失信名单管理办法》第二条",
        department_code="scjg-410000",
        proposed_on=date(2026, 5, 1),
        proposed_by="test",
        noticed_on=date(2026, 5, 2),
        state=state.value,
        dropped_on=date(2026, 5, 20) if state is ListingState.DROPPED else None,
        drop_reason="陈述申辩理由成立" if state is ListingState.DROPPED else None,
    )
    session.add(listing)
    await session.commit()
    return listing


async def test_only_listings_in_force_are_public(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    henan = await make_listing(session, listed_on=date(2026, 1, 10))
    hubei_enterprise = await make_enterprise(session, region_code="420102", name="武汉某电器公司")
    hubei = await make_listing(
        session, hubei_enterprise, listed_on=date(2026, 2, 10), department_code="scjg-420000"
    )
    removed = await make_listing(session, listed_on=date(2026, 3, 1))
    await remove_listing(session, removed, on=date(2026, 5, 1))
    for state in (ListingState.PROPOSED, ListingState.NOTICED, ListingState.DROPPED):
        await open_procedure(session, state)

    response = await client.get(f"{API}/public/blacklist")
    assert response.status_code == 200, response.text
    items = response.json()["items"]
    assert [i["listing_id"] for i in items] == [str(hubei.id), str(henan.id)]
    assert items[0] == {
        "listing_id": str(hubei.id),
        "uscc": hubei_enterprise.uscc,
        "enterprise_name": "武汉某电器公司",
        "region_code": "420102",
        "listed_on": "2026-02-10",
        "ends_on": "2029-02-10",
        "reason": hubei.reason,
        "legal_basis": hubei.legal_basis,
        "department_code": "scjg-420000",
        "department_name": items[0]["department_name"],
        "decision_reference": hubei.decision_reference,
    }
    assert items[0]["department_name"]

    by_region = await client.get(f"{API}/public/blacklist", params={"region_code": "410000"})
    assert [i["listing_id"] for i in by_region.json()["items"]] == [str(henan.id)]


async def test_the_public_blacklist_pages_without_gaps_or_repeats(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    made = [await make_listing(session, listed_on=date(2026, 1, d)) for d in (5, 6, 7)]
    seen: list[str] = []
    cursor: str | None = None
    while True:
        params: dict[str, str | int] = {"limit": 2} | ({"cursor": cursor} if cursor else {})
        page = (await client.get(f"{API}/public/blacklist", params=params)).json()
        seen += [i["listing_id"] for i in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == [str(listing.id) for listing in reversed(made)]


async def test_bad_parameters_of_the_public_lists(client: httpx.AsyncClient) -> None:
    for path in ("/public/blacklist", "/public/redlist"):
        assert_problem(
            await client.get(f"{API}{path}", params={"region_code": "999999"}),
            422,
            "region.unknown",
        )
        assert_problem(
            await client.get(f"{API}{path}", params={"cursor": "e30"}),
            422,
            "pagination.cursor_invalid",
        )
        assert (await client.get(f"{API}{path}", params={"region_code": "41"})).status_code == 422


async def test_the_red_list_needs_no_key_and_never_shows_the_risk_class(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    enterprise = await make_enterprise(session, name="守信示范企业有限公司")
    await standing.recompute(session, [enterprise.uscc], today=TODAY, trigger="test", actor="t")
    await commit(session)

    response = await client.get(f"{API}/public/redlist")
    assert response.status_code == 200, response.text
    assert response.json()["items"] == [
        {
            "uscc": enterprise.uscc,
            "enterprise_name": "守信示范企业有限公司",
            "region_code": "410102",
            "grade": "A",
            "graded_since": TODAY.isoformat(),
        }
    ]
    assert "risk" not in response.text
