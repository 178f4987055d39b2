"""Credit objections (信用异议): an enterprise disputes its own event; a competent regulator
upholds it or corrects it; a corrected event stops counting and the score is recomputed at once;
everything is in the audit trail."""

from __future__ import annotations

from datetime import date
from typing import Any

import httpx
import pytest
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models.enterprise import Enterprise
from models.system import AuditEntry, Role
from tests.factories import Keys, assert_problem, make_enterprise

API = "/api/v1"
TODAY = date(2026, 6, 1)


@pytest.fixture(autouse=True)
def fixed_today(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("service.clock.today", lambda: TODAY)


@pytest.fixture
async def enterprise(session: AsyncSession) -> Enterprise:
    return await make_enterprise(session)


@pytest.fixture
async def regulator(keys: Keys) -> dict[str, str]:
    return await keys.headers(Role.REGULATOR, department="scjg-410100")


async def complaint(
    client: httpx.AsyncClient, regulator: dict[str, str], enterprise: Enterprise
) -> dict[str, Any]:
    response = await client.post(
        f"{API}/enterprises/{enterprise.uscc}/credit-events",
        json={"type": "verified_complaint", "occurred_on": "2026-05-10", "reference": "12315-1"},
        headers=regulator,
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def my_credit(client: httpx.AsyncClient, headers: dict[str, str]) -> dict[str, Any]:
    response = await client.get(f"{API}/me/credit", headers=headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_a_corrected_event_stops_counting_and_the_score_is_recomputed(
    client: httpx.AsyncClient,
    keys: Keys,
    regulator: dict[str, str],
    enterprise: Enterprise,
    session: AsyncSession,
) -> None:
    event = await complaint(client, regulator, enterprise)
    own = await keys.headers(Role.ENTERPRISE, uscc=enterprise.uscc)
    assert (await my_credit(client, own))["score"] == 97

    filed = await client.post(
        f"{API}/credit-events/{event['id']}/objections",
        json={"reason": "投诉对象并非本企业产品", "evidence": ["evidence/invoice.pdf"]},
        headers=own,
    )
    assert filed.status_code == 201, filed.text
    objection = filed.json()
    assert (objection["state"], objection["filed_on"]) == ("pending", "2026-06-01")

    decided = await client.post(
        f"{API}/credit-objections/{objection['id']}/decision",
        json={"decision": "correct", "reason": "经核查，投诉对象为同名other企业"},
        headers=regulator,
    )
    assert decided.status_code == 200, decided.text
    assert decided.json()["state"] == "corrected"

    mine = await my_credit(client, own)
    assert (mine["score"], mine["explanation"]) == (100, [])
    (listed_event,) = mine["events"]
    assert (listed_event["status"], listed_event["corrected_on"]) == ("corrected", "2026-06-01")
    assert [o["state"] for o in mine["objections"]] == ["corrected"]

    actions = (
        await session.exec(
            select(AuditEntry.action).where(
                col(AuditEntry.action).in_(
                    ["credit_objection.filed", "credit_objection.decided", "credit_event.correct"]
                )
            )
        )
    ).all()
    assert sorted(actions) == [
        "credit_event.correct",
        "credit_objection.decided",
        "credit_objection.filed",
    ]


async def test_an_upheld_event_keeps_counting(
    client: httpx.AsyncClient, keys: Keys, regulator: dict[str, str], enterprise: Enterprise
) -> None:
    event = await complaint(client, regulator, enterprise)
    own = await keys.headers(Role.ENTERPRISE, uscc=enterprise.uscc)
    filed = await client.post(
        f"{API}/credit-events/{event['id']}/objections", json={"reason": "不服"}, headers=own
    )
    decided = await client.post(
        f"{API}/credit-objections/{filed.json()['id']}/decision",
        json={"decision": "uphold", "reason": "投诉属实"},
        headers=regulator,
    )
    assert decided.json()["state"] == "upheld"
    assert (await my_credit(client, own))["score"] == 97
    # Decided once: a second decision is refused.
    again = await client.post(
        f"{API}/credit-objections/{filed.json()['id']}/decision",
        json={"decision": "correct", "reason": "改判"},
        headers=regulator,
    )
    assert_problem(again, 409, "credit_objection.already_decided")


async def test_objection_problems(
    client: httpx.AsyncClient,
    keys: Keys,
    regulator: dict[str, str],
    enterprise: Enterprise,
    session: AsyncSession,
) -> None:
    event = await complaint(client, regulator, enterprise)
    own = await keys.headers(Role.ENTERPRISE, uscc=enterprise.uscc)
    other = await keys.headers(Role.ENTERPRISE, uscc=(await make_enterprise(session)).uscc)
    path = f"{API}/credit-events/{event['id']}/objections"

    # Another enterprise's event is answered like an unknown one.
    assert_problem(
        await client.post(path, json={"reason": "x"}, headers=other), 404, "credit_event.not_found"
    )
    unknown = f"{API}/credit-events/00000000-0000-0000-0000-000000000000/objections"
    assert_problem(
        await client.post(unknown, json={"reason": "x"}, headers=own),
        404,
        "credit_event.not_found",
    )
    assert_problem(
        await client.post(path, json={"reason": "x"}, headers=regulator),
        403,
        "auth.role_forbidden",
    )
    filed = await client.post(path, json={"reason": "不服"}, headers=own)
    assert filed.status_code == 201
    assert_problem(
        await client.post(path, json={"reason": "再次"}, headers=own),
        409,
        "credit_objection.pending_exists",
    )
    # Another province's regulator is not competent; the enterprise cannot decide its own.
    hubei = await keys.headers(Role.REGULATOR, department="scjg-420000")
    decision = f"{API}/credit-objections/{filed.json()['id']}/decision"
    body = {"decision": "correct", "reason": "x"}
    assert_problem(
        await client.post(decision, json=body, headers=hubei), 404, "credit_objection.not_found"
    )
    assert_problem(await client.post(decision, json=body, headers=own), 403, "auth.role_forbidden")
    # Once corrected, the event takes no more objections.
    assert (await client.post(decision, json=body, headers=regulator)).status_code == 200
    assert_problem(
        await client.post(path, json={"reason": "x"}, headers=own),
        409,
        "credit_event.already_corrected",
    )


async def test_objections_are_listed_for_their_readers_only(
    client: httpx.AsyncClient,
    keys: Keys,
    regulator: dict[str, str],
    enterprise: Enterprise,
    session: AsyncSession,
) -> None:
    event = await complaint(client, regulator, enterprise)
    own = await keys.headers(Role.ENTERPRISE, uscc=enterprise.uscc)
    filed = await client.post(
        f"{API}/credit-events/{event['id']}/objections", json={"reason": "不服"}, headers=own
    )
    other = await keys.headers(Role.ENTERPRISE, uscc=(await make_enterprise(session)).uscc)

    async def ids(headers: dict[str, str], **params: str) -> list[str]:
        response = await client.get(f"{API}/credit-objections", params=params, headers=headers)
        assert response.status_code == 200, response.text
        return [o["id"] for o in response.json()["items"]]

    assert await ids(own) == [filed.json()["id"]]
    assert await ids(regulator, state="pending") == [filed.json()["id"]]
    assert await ids(regulator, state="corrected") == []
    assert await ids(other) == []
    single = await client.get(f"{API}/credit-objections/{filed.json()['id']}", headers=other)
    assert_problem(single, 404, "credit_objection.not_found")
