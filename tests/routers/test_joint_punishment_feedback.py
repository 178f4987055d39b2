"""Measure feedback and the lifts departments owe: a department reports only measures its kind
applies, `applied` only while listed, `lifted` only after `applied` and the removal, the same
report twice is one report; regulators see the reports and, after a removal, every applied
measure not lifted within 3 working days."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

import httpx
import pytest
from sqlmodel.ext.asyncio.session import AsyncSession

from models.blacklist import Listing
from models.system import Role
from service.db import commit
from tests.factories import Keys, assert_problem, make_listing, remove_listing

API = "/api/v1"
FEEDBACK = f"{API}/joint-punishment/feedback"
TODAY = date(2026, 6, 1)


@pytest.fixture(autouse=True)
def fixed_today(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("service.clock.today", lambda: TODAY)


@pytest.fixture
async def fgw(keys: Keys) -> dict[str, str]:
    return await keys.headers(Role.DEPARTMENT, department="fgw-410000")


def report(listing: Listing, status: str, on: str, **overrides: Any) -> dict[str, Any]:
    return {
        "listing_id": str(listing.id),
        "measure_code": "restrict_financing",
        "status": status,
        "effective_on": on,
        "decision_reference": f"豫发改信用〔2026〕{status}-{on}号",
    } | overrides


async def test_an_applied_report_is_kept_once_and_a_repost_returns_the_original(
    client: httpx.AsyncClient, session: AsyncSession, fgw: dict[str, str]
) -> None:
    listing = await make_listing(session)
    first = await client.post(FEEDBACK, json=report(listing, "applied", "2026-04-03"), headers=fgw)
    assert first.status_code == 201, first.text
    assert first.json()["department_code"] == "fgw-410000"
    again = await client.post(
        FEEDBACK, json=report(listing, "applied", "2026-04-05", note="再次报送"), headers=fgw
    )
    assert again.status_code == 200
    assert again.json() == first.json()


async def test_feedback_rules(
    client: httpx.AsyncClient, session: AsyncSession, fgw: dict[str, str], keys: Keys
) -> None:
    listing = await make_listing(session, listed_on=date(2026, 4, 1))

    async def post(body: dict[str, Any], headers: dict[str, str] = fgw) -> httpx.Response:
        return await client.post(FEEDBACK, json=body, headers=headers)

    not_theirs = report(listing, "applied", "2026-04-03", measure_code="restrict_state_land")
    assert_problem(await post(not_theirs), 422, "feedback.measure_not_applicable_to_department")
    unknown = report(listing, "applied", "2026-04-03", measure_code="no_such_measure")
    assert_problem(await post(unknown), 422, "feedback.measure_unknown")
    assert_problem(
        await post(report(listing, "applied", "2026-06-02")), 422, "feedback.effective_on_in_future"
    )
    assert_problem(
        await post(report(listing, "applied", "2026-03-31")), 422, "feedback.not_while_listed"
    )
    assert_problem(
        await post(report(listing, "lifted", "2026-05-01")), 409, "feedback.lift_without_applied"
    )
    nowhere = report(listing, "applied", "2026-04-03", listing_id=str(uuid.uuid4()))
    assert_problem(await post(nowhere), 404, "listing.not_found")
    regulator = await keys.headers(Role.REGULATOR, department="scjg-410000")
    assert_problem(
        await post(report(listing, "applied", "2026-04-03"), regulator), 403, "auth.role_forbidden"
    )

    assert (await post(report(listing, "applied", "2026-04-03"))).status_code == 201
    assert_problem(
        await post(report(listing, "lifted", "2026-05-01")), 409, "feedback.listing_not_removed"
    )
    assert_problem(
        await post(report(listing, "not_applicable", "2026-04-04")),
        409,
        "feedback.already_applied",
    )
    await remove_listing(session, listing, on=date(2026, 5, 20))
    assert_problem(
        await post(report(listing, "applied", "2026-05-20", measure_code="no_honours")),
        422,
        "feedback.not_while_listed",
    )
    assert_problem(
        await post(report(listing, "lifted", "2026-05-19")), 422, "feedback.lifted_before_removal"
    )
    assert (await post(report(listing, "lifted", "2026-05-21"))).status_code == 201
    skipped = report(listing, "not_applicable", "2026-04-03", measure_code="no_honours")
    assert (await post(skipped)).status_code == 201


async def test_regulators_read_the_reports_and_a_department_only_its_own(
    client: httpx.AsyncClient, session: AsyncSession, fgw: dict[str, str], keys: Keys
) -> None:
    listing = await make_listing(session)
    rmyh = await keys.headers(Role.DEPARTMENT, department="rmyh-410000")
    for headers in (fgw, rmyh):
        posted = await client.post(
            FEEDBACK, json=report(listing, "applied", "2026-04-03"), headers=headers
        )
        assert posted.status_code == 201, posted.text

    def departments(response: httpx.Response) -> list[str]:
        assert response.status_code == 200, response.text
        return sorted(f["department_code"] for f in response.json()["items"])

    params = {"listing_id": str(listing.id)}
    regulator = await keys.headers(Role.REGULATOR, department="scjg-410100")
    assert departments(await client.get(FEEDBACK, params=params, headers=regulator)) == [
        "fgw-410000",
        "rmyh-410000",
    ]
    assert departments(await client.get(FEEDBACK, params=params, headers=fgw)) == ["fgw-410000"]
    hubei = await keys.headers(Role.REGULATOR, department="scjg-420000")
    assert departments(await client.get(FEEDBACK, params=params, headers=hubei)) == []


async def test_applied_measures_not_lifted_within_three_working_days_are_overdue(
    client: httpx.AsyncClient, session: AsyncSession, fgw: dict[str, str], keys: Keys
) -> None:
    owing, lifted, recent, uncovered = [await make_listing(session) for _ in range(4)]
    for listing in (owing, lifted, recent, uncovered):
        applied = report(listing, "applied", "2026-04-03")
        assert (await client.post(FEEDBACK, json=applied, headers=fgw)).status_code == 201
    for listing in (owing, lifted, uncovered):
        await remove_listing(session, listing, on=date(2026, 5, 6))
    await remove_listing(session, recent, on=date(2026, 5, 29))
    assert recent.lift_due_on is not None
    assert recent.lift_due_on >= TODAY
    lift = report(lifted, "lifted", "2026-05-07")
    assert (await client.post(FEEDBACK, json=lift, headers=fgw)).status_code == 201
    # Removed while the calendar did not cover the year: the due day is computed when read.
    due = owing.lift_due_on
    assert due is not None
    uncovered.lift_due_on = None
    session.add(uncovered)
    await commit(session)

    regulator = await keys.headers(Role.REGULATOR, department="scjg-410000")
    response = await client.get(f"{API}/joint-punishment/overdue-lifts", headers=regulator)
    assert response.status_code == 200, response.text
    rows = response.json()["items"]
    assert sorted(r["listing_id"] for r in rows) == sorted([str(owing.id), str(uncovered.id)])
    row = next(r for r in rows if r["listing_id"] == str(owing.id))
    assert row["department_code"] == "fgw-410000"
    assert row["measure_code"] == "restrict_financing"
    assert row["applied_reference"] == report(owing, "applied", "2026-04-03")["decision_reference"]
    assert (row["removed_on"], row["lift_due_on"]) == ("2026-05-06", due.isoformat())
    assert row["days_overdue"] == (TODAY - due).days
    assert all(r["lift_due_on"] == due.isoformat() for r in rows)

    hubei = await keys.headers(Role.REGULATOR, department="scjg-420000")
    elsewhere = await client.get(f"{API}/joint-punishment/overdue-lifts", headers=hubei)
    assert elsewhere.json()["items"] == []
    forbidden = await client.get(f"{API}/joint-punishment/overdue-lifts", headers=fgw)
    assert_problem(forbidden, 403, "auth.role_forbidden")
