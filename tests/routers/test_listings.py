"""The listing procedure through the API (rules §9): candidates with evidence; notice, a
5-working-day window for a statement or hearing request, decision after it; county and
municipal decisions wait for the next level's consent; expiry on the end day; early removal
after a year with its conditions; revocation; department keys never write."""

from __future__ import annotations

from datetime import date
from typing import Any

import httpx
import pytest
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from jobs.scheduler import job_named, run_job
from models.blacklist import ListingChange
from models.enterprise import Enterprise
from models.system import Role
from service.credit import standing
from tests.factories import Keys, assert_problem, make_enterprise, make_penalty

API = "/api/v1"


class Today:
    """The business day, moved by the test as the procedure goes on."""

    def __init__(self) -> None:
        self.value = date(2026, 6, 1)


@pytest.fixture
def today(monkeypatch: pytest.MonkeyPatch) -> Today:
    holder = Today()
    monkeypatch.setattr("service.clock.today", lambda: holder.value)
    return holder


async def candidate(session: AsyncSession, region_code: str = "410102") -> Enterprise:
    enterprise = await make_enterprise(session, region_code=region_code)
    await make_penalty(session, enterprise, on=date(2026, 5, 20))
    return enterprise


async def open_and_notice(
    client: httpx.AsyncClient, regulator: dict[str, str], uscc: str
) -> dict[str, Any]:
    opened = await client.post(f"{API}/listings", json={"uscc": uscc}, headers=regulator)
    assert opened.status_code == 201, opened.text
    noticed = await client.post(
        f"{API}/listings/{opened.json()['id']}/notice",
        json={"notice_reference": "豫市监告〔2026〕1号"},
        headers=regulator,
    )
    assert noticed.status_code == 200, noticed.text
    body: dict[str, Any] = noticed.json()
    return body


def decision(kind: str = "list", **extra: Any) -> dict[str, Any]:
    return {
        "decision": kind,
        "decision_reference": "豫市监列〔2026〕7号",
        "reason": "经审查，符合列入条件",
        **extra,
    }


async def test_a_heavier_quality_penalty_makes_a_candidate_with_its_evidence(
    client: httpx.AsyncClient, session: AsyncSession, keys: Keys, today: Today
) -> None:
    listed = await candidate(session)
    ordinary = await make_enterprise(session)
    await make_penalty(session, ordinary, on=date(2026, 5, 20), kind="heavy_fine")
    elsewhere = await candidate(session, region_code="420102")

    regulator = await keys.headers(Role.REGULATOR, department="scjg-410000")
    found = await client.get(f"{API}/blacklist/candidates?limit=500", headers=regulator)
    assert found.status_code == 200
    by_uscc = {c["uscc"]: c for c in found.json()["items"]}
    assert listed.uscc in by_uscc
    assert ordinary.uscc in by_uscc  # a heavy fine is a heavier penalty too
    assert elsewhere.uscc not in by_uscc  # Hubei is outside Henan's region
    entry = by_uscc[listed.uscc]
    assert entry["criteria"] == ["heavier_penalty"]
    assert entry["criteria_version"] == "criteria-v1"
    assert entry["evidence"][0]["type"] == "administrative_penalty"

    department = await keys.headers(Role.DEPARTMENT)
    denied = await client.get(f"{API}/blacklist/candidates", headers=department)
    assert_problem(denied, 403, "auth.role_forbidden")


async def test_a_provincial_listing_is_decided_after_the_5_working_day_window(
    client: httpx.AsyncClient, session: AsyncSession, keys: Keys, today: Today
) -> None:
    enterprise = await candidate(session)
    regulator = await keys.headers(Role.REGULATOR, department="scjg-410000")
    own = await keys.headers(Role.ENTERPRISE, uscc=enterprise.uscc)

    noticed = await open_and_notice(client, regulator, enterprise.uscc)
    listing_id = noticed["id"]
    # Noticed on Monday 2026-06-01: five working days end on Monday 2026-06-08.
    assert noticed["state"] == "noticed"
    assert noticed["statement_due_on"] == "2026-06-08"

    mine = (await client.get(f"{API}/me/listings", headers=own)).json()["items"]
    assert [(m["id"], m["state"], m["statement_due_on"]) for m in mine] == [
        (listing_id, "noticed", "2026-06-08")
    ]
    credit = (await client.get(f"{API}/me/credit", headers=own)).json()
    assert {
        "kind": "listing_statement",
        "subject_id": listing_id,
        "due_on": "2026-06-08",
    }.items() <= (credit["pending_deadlines"][0].items())

    today.value = date(2026, 6, 8)
    stated = await client.post(
        f"{API}/listings/{listing_id}/statement",
        json={"statement": "我司已全面整改，请求从轻处理"},
        headers=own,
    )
    assert stated.status_code == 200, stated.text
    early = await client.post(
        f"{API}/listings/{listing_id}/decision", json=decision(), headers=regulator
    )
    problem = assert_problem(early, 409, "listing.statement_window_open")
    assert problem["statement_due_on"] == "2026-06-08"

    today.value = date(2026, 6, 9)
    late = await client.post(
        f"{API}/listings/{listing_id}/statement", json={"hearing_requested": True}, headers=own
    )
    assert_problem(late, 409, "listing.statement_window_closed")
    decided = await client.post(
        f"{API}/listings/{listing_id}/decision", json=decision(), headers=regulator
    )
    assert decided.status_code == 200, decided.text
    body = decided.json()
    assert (body["state"], body["listed_on"], body["ends_on"], body["term_months"]) == (
        "listed",
        "2026-06-09",
        "2029-06-09",
        36,
    )
    assert body["early_removal_from"] == "2027-06-09"
    repair = (await client.get(f"{API}/me/credit", headers=own)).json()["repair"]
    assert repair == {
        "listed": True,
        "can_apply": False,
        "earliest_on": "2027-06-09",
        "reason": "too_early",
    }
    assert await standing.is_listed(session, enterprise.uscc, date(2026, 6, 9))
    credit = await client.get(f"{API}/enterprises/{enterprise.uscc}/credit", headers=regulator)
    assert (credit.json()["grade"], credit.json()["listed"]) == ("D", True)
    changes = (
        await session.exec(
            select(ListingChange).where(col(ListingChange.enterprise_uscc) == enterprise.uscc)
        )
    ).all()
    assert [c.kind for c in changes] == ["listed"]


async def test_a_requested_hearing_must_be_held_before_listing(
    client: httpx.AsyncClient, session: AsyncSession, keys: Keys, today: Today
) -> None:
    enterprise = await candidate(session)
    regulator = await keys.headers(Role.REGULATOR, department="scjg-410000")
    own = await keys.headers(Role.ENTERPRISE, uscc=enterprise.uscc)
    listing_id = (await open_and_notice(client, regulator, enterprise.uscc))["id"]
    await client.post(
        f"{API}/listings/{listing_id}/statement", json={"hearing_requested": True}, headers=own
    )
    today.value = date(2026, 6, 15)
    url = f"{API}/listings/{listing_id}/decision"
    missing = await client.post(url, json=decision(), headers=regulator)
    assert_problem(missing, 422, "listing.hearing_required")
    held = await client.post(url, json=decision(hearing_held_on="2026-06-12"), headers=regulator)
    assert held.json()["state"] == "listed"


async def test_a_municipal_decision_waits_for_the_provincial_consent(
    client: httpx.AsyncClient, session: AsyncSession, keys: Keys, today: Today
) -> None:
    enterprise = await candidate(session)  # 410102 lies in Zhengzhou (410100)
    zhengzhou = await keys.headers(Role.REGULATOR, department="scjg-410100")
    henan = await keys.headers(Role.REGULATOR, department="scjg-410000")
    luoyang = await keys.headers(Role.REGULATOR, department="scjg-410300")
    listing_id = (await open_and_notice(client, zhengzhou, enterprise.uscc))["id"]

    today.value = date(2026, 6, 9)
    decided = await client.post(
        f"{API}/listings/{listing_id}/decision", json=decision(), headers=zhengzhou
    )
    assert (decided.json()["state"], decided.json()["consent_department_code"]) == (
        "awaiting_consent",
        "scjg-410000",
    )
    assert not await standing.is_listed(session, enterprise.uscc, date(2026, 6, 9))

    url = f"{API}/listings/{listing_id}/consent"
    body = {"consent": True, "reason": "同意列入"}
    assert_problem(
        await client.post(url, json=body, headers=zhengzhou), 403, "listing.consent_forbidden"
    )
    assert_problem(await client.post(url, json=body, headers=luoyang), 404, "listing.not_found")

    today.value = date(2026, 6, 12)
    consented = await client.post(url, json=body, headers=henan)
    assert (consented.json()["state"], consented.json()["listed_on"]) == ("listed", "2026-06-12")
    again = await client.post(url, json=body, headers=henan)
    assert_problem(again, 409, "listing.state_conflict")


async def test_a_refused_consent_drops_the_listing_and_nothing_is_deleted(
    client: httpx.AsyncClient, session: AsyncSession, keys: Keys, today: Today
) -> None:
    enterprise = await candidate(session)
    zhengzhou = await keys.headers(Role.REGULATOR, department="scjg-410100")
    henan = await keys.headers(Role.REGULATOR, department="scjg-410000")
    listing_id = (await open_and_notice(client, zhengzhou, enterprise.uscc))["id"]
    today.value = date(2026, 6, 9)
    await client.post(f"{API}/listings/{listing_id}/decision", json=decision(), headers=zhengzhou)
    refused = await client.post(
        f"{API}/listings/{listing_id}/consent",
        json={"consent": False, "reason": "证据不足"},
        headers=henan,
    )
    assert (refused.json()["state"], refused.json()["drop_reason"]) == ("dropped", "证据不足")
    kept = await client.get(f"{API}/listings/{listing_id}", headers=henan)
    assert kept.json()["decision_reference"] == "豫市监列〔2026〕7号"


async def test_bad_requests_are_refused_with_their_codes(
    client: httpx.AsyncClient, session: AsyncSession, keys: Keys, today: Today
) -> None:
    clean = await make_enterprise(session)
    enterprise = await candidate(session)
    regulator = await keys.headers(Role.REGULATOR, department="scjg-410000")
    department = await keys.headers(Role.DEPARTMENT, department="fgw-410000")
    other = await keys.headers(Role.ENTERPRISE, uscc=clean.uscc)

    nothing = await client.post(f"{API}/listings", json={"uscc": clean.uscc}, headers=regulator)
    assert_problem(nothing, 422, "listing.no_qualifying_event")
    by_department = await client.post(
        f"{API}/listings", json={"uscc": enterprise.uscc}, headers=department
    )
    assert_problem(by_department, 403, "auth.role_forbidden")

    listing_id = (await open_and_notice(client, regulator, enterprise.uscc))["id"]
    twice = await client.post(f"{API}/listings", json={"uscc": enterprise.uscc}, headers=regulator)
    assert_problem(twice, 409, "listing.already_open")
    for path, body in (
        ("decision", decision()),
        ("notice", {"notice_reference": "x"}),
        ("revocation", {"reason": "x"}),
    ):
        denied = await client.post(
            f"{API}/listings/{listing_id}/{path}", json=body, headers=department
        )
        assert_problem(denied, 403, "auth.role_forbidden")
    assert_problem(
        await client.get(f"{API}/listings/{listing_id}", headers=other), 404, "listing.not_found"
    )
    assert_problem(
        await client.post(
            f"{API}/listings/{listing_id}/statement", json={"statement": "x"}, headers=other
        ),
        404,
        "listing.not_found",
    )
    renotice = await client.post(
        f"{API}/listings/{listing_id}/notice", json={"notice_reference": "y"}, headers=regulator
    )
    assert_problem(renotice, 409, "listing.state_conflict")


async def listed(
    client: httpx.AsyncClient, session: AsyncSession, keys: Keys, today: Today
) -> tuple[str, Enterprise, dict[str, str], dict[str, str]]:
    enterprise = await candidate(session)
    regulator = await keys.headers(Role.REGULATOR, department="scjg-410000")
    own = await keys.headers(Role.ENTERPRISE, uscc=enterprise.uscc)
    listing_id = (await open_and_notice(client, regulator, enterprise.uscc))["id"]
    today.value = date(2026, 6, 9)
    response = await client.post(
        f"{API}/listings/{listing_id}/decision", json=decision(), headers=regulator
    )
    assert response.json()["state"] == "listed"
    return listing_id, enterprise, regulator, own


APPLICATION = {
    "penalty_fulfilled": True,
    "harm_removed": True,
    "no_new_heavier_penalty": True,
    "commitment_letter_reference": "信用承诺书〔2027〕15号",
}


async def test_early_removal_after_a_year_with_the_three_conditions(
    client: httpx.AsyncClient, session: AsyncSession, keys: Keys, today: Today
) -> None:
    listing_id, enterprise, regulator, own = await listed(client, session, keys, today)
    url = f"{API}/listings/{listing_id}/removal-applications"

    today.value = date(2027, 6, 8)
    too_early = await client.post(url, json=APPLICATION, headers=own)
    assert assert_problem(too_early, 422, "removal.too_early")["earliest"] == "2027-06-09"
    today.value = date(2027, 6, 9)
    unmet = await client.post(url, json=APPLICATION | {"harm_removed": False}, headers=own)
    assert assert_problem(unmet, 422, "removal.conditions_not_met")["unmet"] == ["harm_removed"]

    applied = await client.post(url, json=APPLICATION, headers=own)
    assert applied.status_code == 201, applied.text
    twice = await client.post(url, json=APPLICATION, headers=own)
    assert_problem(twice, 409, "removal.application_pending")

    today.value = date(2027, 6, 15)
    decision_url = f"{API}/removal-applications/{applied.json()['id']}/decision"
    by_enterprise = await client.post(
        decision_url, json={"decision": "approve", "reason": "x"}, headers=own
    )
    assert_problem(by_enterprise, 403, "auth.role_forbidden")
    approved = await client.post(
        decision_url, json={"decision": "approve", "reason": "已完成信用修复"}, headers=regulator
    )
    assert approved.json()["state"] == "approved"
    listing = (await client.get(f"{API}/listings/{listing_id}", headers=regulator)).json()
    assert (listing["state"], listing["removed_on"], listing["removal_reason"]) == (
        "removed",
        "2027-06-15",
        "early_removal",
    )
    assert not await standing.is_listed(session, enterprise.uscc, date(2027, 6, 15))
    again = await client.post(
        decision_url, json={"decision": "refuse", "reason": "x"}, headers=regulator
    )
    assert_problem(again, 409, "removal.already_decided")


async def test_a_new_heavier_penalty_bars_early_removal(
    client: httpx.AsyncClient, session: AsyncSession, keys: Keys, today: Today
) -> None:
    listing_id, enterprise, _, own = await listed(client, session, keys, today)
    await make_penalty(session, enterprise, on=date(2026, 10, 1))
    today.value = date(2027, 6, 9)
    refused = await client.post(
        f"{API}/listings/{listing_id}/removal-applications", json=APPLICATION, headers=own
    )
    assert_problem(refused, 422, "removal.new_heavier_penalty")


async def test_the_expiry_job_removes_a_listing_on_its_end_day(
    client: httpx.AsyncClient,
    session: AsyncSession,
    keys: Keys,
    today: Today,
    sessionmaker: Any,
) -> None:
    listing_id, enterprise, regulator, _ = await listed(client, session, keys, today)
    today.value = date(2029, 6, 8)
    await run_job(sessionmaker, job_named("blacklist.expire_listings"))
    still = (await client.get(f"{API}/listings/{listing_id}", headers=regulator)).json()
    assert still["state"] == "listed"

    today.value = date(2029, 6, 11)  # the job did not run on the end day itself
    await run_job(sessionmaker, job_named("blacklist.expire_listings"))
    gone = (await client.get(f"{API}/listings/{listing_id}", headers=regulator)).json()
    assert (gone["state"], gone["removed_on"], gone["removal_reason"]) == (
        "removed",
        "2029-06-09",
        "expired",
    )
    assert await standing.is_listed(session, enterprise.uscc, date(2029, 6, 8))
    assert not await standing.is_listed(session, enterprise.uscc, date(2029, 6, 9))


async def test_a_revoked_penalty_removes_the_listing(
    client: httpx.AsyncClient, session: AsyncSession, keys: Keys, today: Today
) -> None:
    listing_id, enterprise, regulator, _ = await listed(client, session, keys, today)
    today.value = date(2026, 9, 1)
    revoked = await client.post(
        f"{API}/listings/{listing_id}/revocation",
        json={"reason": "行政复议撤销原处罚决定"},
        headers=regulator,
    )
    body = revoked.json()
    assert (body["state"], body["removal_reason"], body["removed_on"]) == (
        "removed",
        "penalty_revoked",
        "2026-09-01",
    )
    # Three working days to lift the measures: Wed 2 – Fri 4 September.
    assert body["lift_due_on"] == "2026-09-04"
    changes = (
        await session.exec(
            select(ListingChange.kind)
            .where(col(ListingChange.enterprise_uscc) == enterprise.uscc)
            .order_by(col(ListingChange.seq))
        )
    ).all()
    assert list(changes) == ["listed", "removed"]
