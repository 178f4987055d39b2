"""/rectifications over HTTP (rules §6): the organiser schedules follow-ups through the whole
path — order, follow-up, provincial notice, second follow-up in its window, suspension,
revocation recommendation — records corrections, and each role sees only its rectifications."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import date
from typing import Any

import httpx
import pytest
from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models.agency import InspectorConflict, TestingAgency
from models.plan import Plan, PlanQuota, SamplingTask
from models.results import Event
from models.system import Role
from service import clock
from service.db import commit
from tests.factories import (
    DrawnTask,
    Keys,
    assert_problem,
    make_agency,
    make_inspector,
)
from tests.service.test_rectification import conclude_follow_up, nonconforming_final

SetToday = Callable[[date], None]


@pytest.fixture
def set_today(monkeypatch: pytest.MonkeyPatch) -> SetToday:
    """The business day the API sees."""

    def set_day(day: date) -> None:
        monkeypatch.setattr(clock, "today", lambda: day)

    return set_day


def url(rectification_id: uuid.UUID, action: str = "") -> str:
    return f"/api/v1/rectifications/{rectification_id}{action}"


def follow_up_body(drawn: DrawnTask, **overrides: object) -> dict[str, object]:
    return {
        "agency_id": str(drawn.agency.id),
        "inspector_ids": [str(i.id) for i in drawn.inspectors],
        **overrides,
    }


async def stored(session: AsyncSession) -> tuple[int, int, int]:
    """Plans, tasks and events: what a refused request must leave as it was."""
    counts = []
    for column in (Plan.id, SamplingTask.id, Event.seq):
        counts.append((await session.exec(select(func.count(col(column))))).one())
    return counts[0], counts[1], counts[2]


async def test_the_full_path_from_stop_order_to_revocation_recommendation(
    client: httpx.AsyncClient, session: AsyncSession, keys: Keys, set_today: SetToday
) -> None:
    rectification, drawn = await nonconforming_final(session)
    organiser = await keys.headers(Role.REGULATOR, department="scjg-410100")

    set_today(date(2026, 3, 2))
    read = (await client.get(url(rectification.id), headers=organiser)).json()
    assert read["state"] == "ordered"
    assert (read["correction_due_on"], read["follow_up_due_on"]) == ("2026-04-13", "2026-04-28")
    assert read["next_step"]["action"] == "report_correction"
    assert read["next_step"]["responsible"] == "enterprise"

    # 1. The follow-up (复查), within 75 days of the order.
    response = await client.post(
        url(rectification.id, "/follow-up"), json=follow_up_body(drawn), headers=organiser
    )
    assert response.status_code == 201, response.text
    read = response.json()
    assert read["state"] == "follow_up"
    [follow_up] = read["follow_ups"]
    assert follow_up["round"] == "follow_up"
    assert (follow_up["period_start"], follow_up["period_end"]) == ("2026-03-02", "2026-04-28")
    task = await session.get(SamplingTask, uuid.UUID(follow_up["task_id"]))
    assert task is not None
    assert read["follow_up_task_id"] == str(task.id)
    assert (task.product_id, task.draw_id, task.stratum, task.draw_order) == (
        drawn.product.id,
        None,
        "follow_up",
        0,
    )
    assert task.agency_id == drawn.agency.id
    plan = await session.get(Plan, task.plan_id)
    assert plan is not None
    # Kind follow_up: the sample registration exempts it from the six-month rule.
    assert (plan.kind, plan.state, plan.department_code) == (
        "follow_up",
        "in_progress",
        "scjg-410100",
    )
    quota = (await session.exec(select(PlanQuota).where(col(PlanQuota.plan_id) == plan.id))).one()
    assert (quota.category_code, quota.quota) == ("0401", 1)

    # 2. It fails: Henan's provincial bureau issues the notice; the second window opens.
    await conclude_follow_up(session, task.id, "nonconforming", date(2026, 4, 20))
    read = (await client.get(url(rectification.id), headers=organiser)).json()
    assert read["state"] == "noticed"
    assert (read["noticed_on"], read["notice_department_code"]) == ("2026-04-20", "scjg-410000")
    assert (read["second_follow_up_from"], read["second_follow_up_until"]) == (
        "2026-06-19",
        "2026-07-20",
    )
    assert read["next_step"]["action"] == "schedule_second_follow_up"

    # 3. The second follow-up: refused before its window, accepted inside it.
    set_today(date(2026, 5, 20))
    before = await stored(session)
    response = await client.post(
        url(rectification.id, "/follow-up"), json=follow_up_body(drawn), headers=organiser
    )
    assert_problem(response, 409, "rectification.outside_second_window")
    assert await stored(session) == before
    set_today(date(2026, 6, 19))
    response = await client.post(
        url(rectification.id, "/follow-up"), json=follow_up_body(drawn), headers=organiser
    )
    assert response.status_code == 201, response.text
    read = response.json()
    assert read["state"] == "second_follow_up"
    second_task = uuid.UUID(read["second_task_id"])
    assert read["follow_ups"][1]["period_end"] == "2026-07-20"

    # 4. It fails: suspension (停业整顿); then one more follow-up, which fails too.
    await conclude_follow_up(session, second_task, "nonconforming", date(2026, 7, 10))
    assert (await client.get(url(rectification.id), headers=organiser)).json()[
        "state"
    ] == "suspended"
    set_today(date(2026, 8, 3))
    response = await client.post(
        url(rectification.id, "/follow-up"), json=follow_up_body(drawn), headers=organiser
    )
    assert response.status_code == 201, response.text
    read = response.json()
    assert read["state"] == "suspended"
    assert read["second_task_id"] == str(second_task)
    third = read["follow_ups"][2]
    assert third["round"] == "suspension_follow_up"
    assert read["next_step"]["action"] == "await_suspension_follow_up_result"
    response = await client.post(
        url(rectification.id, "/follow-up"), json=follow_up_body(drawn), headers=organiser
    )
    assert_problem(response, 409, "rectification.follow_up_pending")
    await conclude_follow_up(
        session, uuid.UUID(third["task_id"]), "nonconforming", date(2026, 9, 1)
    )

    read = (await client.get(url(rectification.id), headers=organiser)).json()
    assert (read["state"], read["revocation_recommended_on"]) == (
        "revocation_recommended",
        "2026-09-01",
    )
    assert read["next_step"] is None
    assert [f["verdict"] for f in read["follow_ups"]] == ["nonconforming"] * 3
    response = await client.post(
        url(rectification.id, "/follow-up"), json=follow_up_body(drawn), headers=organiser
    )
    assert_problem(response, 409, "rectification.invalid_state")


async def test_a_passing_follow_up_closes_the_rectification_and_ends_it(
    client: httpx.AsyncClient, session: AsyncSession, keys: Keys, set_today: SetToday
) -> None:
    rectification, drawn = await nonconforming_final(session)
    admin = await keys.admin()
    set_today(date(2026, 3, 2))
    response = await client.post(
        url(rectification.id, "/follow-up"), json=follow_up_body(drawn), headers=admin
    )
    assert response.status_code == 201, response.text
    task_id = uuid.UUID(response.json()["follow_up_task_id"])
    await conclude_follow_up(session, task_id, "conforming", date(2026, 4, 1))
    read = (await client.get(url(rectification.id), headers=admin)).json()
    assert (read["state"], read["closed_on"], read["next_step"]) == ("closed", "2026-04-01", None)
    deadlines = {d["name"]: d["status"] for d in read["deadlines"]}
    assert deadlines == {"correction": "superseded", "follow_up": "met"}


# --- bad input: a 4xx problem, and nothing stored ---------------------------------------------


async def _agency(session: AsyncSession, kind: str) -> uuid.UUID:
    if kind == "unknown":
        return uuid.uuid4()
    if kind == "out_of_scope":
        return (await make_agency(session, scope=["05"])).id
    if kind == "cma_ends_before_due":
        return (await make_agency(session, valid_until=date(2026, 3, 31))).id
    agency = await make_agency(session)
    stored_agency = await session.get(TestingAgency, agency.id)
    assert stored_agency is not None
    stored_agency.active = False
    await commit(session)
    return agency.id


@pytest.mark.parametrize(
    ("kind", "status", "code", "reason"),
    [
        ("unknown", 422, "agency.unknown", None),
        ("out_of_scope", 422, "agency.not_qualified", "agency_scope"),
        ("cma_ends_before_due", 422, "agency.not_qualified", "cma_invalid"),
        ("inactive", 422, "agency.not_qualified", "inactive"),
    ],
)
async def test_an_unqualified_agency_is_refused(
    client: httpx.AsyncClient,
    session: AsyncSession,
    keys: Keys,
    set_today: SetToday,
    kind: str,
    status: int,
    code: str,
    reason: str | None,
) -> None:
    rectification, drawn = await nonconforming_final(session)
    agency_id = await _agency(session, kind)
    set_today(date(2026, 3, 2))
    before = await stored(session)
    response = await client.post(
        url(rectification.id, "/follow-up"),
        json=follow_up_body(drawn, agency_id=str(agency_id)),
        headers=await keys.headers(Role.REGULATOR, department="scjg-410100"),
    )
    problem = assert_problem(response, status, code)
    assert problem.get("reason") == reason
    assert await stored(session) == before


@pytest.mark.parametrize(
    ("inspectors", "code"),
    [
        ("one", "inspectors.too_few"),
        ("the_same_twice", "inspectors.too_few"),
        ("another_department", "inspectors.not_of_organiser"),
        ("unknown", "inspector.unknown"),
        ("conflicted", "inspectors.conflict_of_interest"),
    ],
)
async def test_inspectors_must_be_two_distinct_of_the_organiser_without_conflict(
    client: httpx.AsyncClient,
    session: AsyncSession,
    keys: Keys,
    set_today: SetToday,
    inspectors: str,
    code: str,
) -> None:
    rectification, drawn = await nonconforming_final(session)
    first, second = (str(i.id) for i in drawn.inspectors)
    if inspectors == "one":
        ids = [first]
    elif inspectors == "the_same_twice":
        ids = [first, first]
    elif inspectors == "another_department":
        ids = [first, str((await make_inspector(session, department_code="scjg-410200")).id)]
    elif inspectors == "unknown":
        ids = [first, str(uuid.uuid4())]
    else:
        session.add(
            InspectorConflict(
                inspector_id=drawn.inspectors[1].id,
                enterprise_uscc=drawn.enterprise.uscc,
                reason="亲属在该企业任职",
            )
        )
        await commit(session)
        ids = [first, second]
    set_today(date(2026, 3, 2))
    before = await stored(session)
    response = await client.post(
        url(rectification.id, "/follow-up"),
        json=follow_up_body(drawn, inspector_ids=ids),
        headers=await keys.headers(Role.REGULATOR, department="scjg-410100"),
    )
    assert_problem(response, 422, code)
    assert await stored(session) == before


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"planned_on": "2026-03-01"}, 422, "rectification.planned_in_past"),
        ({"inspector_ids": []}, 422, "request.invalid"),
        ({"agency_id": "not-a-uuid"}, 422, "request.invalid"),
        ({"fee": 0}, 422, "request.invalid"),
    ],
)
async def test_a_malformed_follow_up_request_is_refused(
    client: httpx.AsyncClient,
    session: AsyncSession,
    keys: Keys,
    set_today: SetToday,
    body: dict[str, Any],
    status: int,
    code: str,
) -> None:
    rectification, drawn = await nonconforming_final(session)
    set_today(date(2026, 3, 2))
    before = await stored(session)
    response = await client.post(
        url(rectification.id, "/follow-up"),
        json=follow_up_body(drawn, **body),
        headers=await keys.headers(Role.REGULATOR, department="scjg-410100"),
    )
    assert_problem(response, status, code)
    assert await stored(session) == before


@pytest.mark.parametrize(
    ("role", "department", "status", "code"),
    [
        # The provincial bureau sees it (inside its region) but did not organise it.
        (Role.REGULATOR, "scjg-410000", 403, "rectification.not_organiser"),
        # Hubei's bureau does not see a Zhengzhou enterprise's rectification at all.
        (Role.REGULATOR, "scjg-420000", 404, "rectification.not_found"),
        (Role.DEPARTMENT, "fgw-410000", 403, "auth.role_forbidden"),
        (Role.AGENCY, None, 403, "auth.role_forbidden"),
    ],
)
async def test_only_the_organiser_schedules_a_follow_up(
    client: httpx.AsyncClient,
    session: AsyncSession,
    keys: Keys,
    set_today: SetToday,
    role: Role,
    department: str | None,
    status: int,
    code: str,
) -> None:
    rectification, drawn = await nonconforming_final(session)
    headers = await keys.headers(
        role, department=department, agency=drawn.agency.id if role is Role.AGENCY else None
    )
    set_today(date(2026, 3, 2))
    before = await stored(session)
    response = await client.post(
        url(rectification.id, "/follow-up"), json=follow_up_body(drawn), headers=headers
    )
    assert_problem(response, status, code)
    assert await stored(session) == before


async def test_an_unknown_rectification_is_404(
    client: httpx.AsyncClient, keys: Keys, set_today: SetToday
) -> None:
    set_today(date(2026, 3, 2))
    response = await client.get(url(uuid.uuid4()), headers=await keys.admin())
    assert_problem(response, 404, "rectification.not_found")


# --- corrections ------------------------------------------------------------------------------


async def test_a_correction_reported_in_time_meets_the_correction_deadline(
    client: httpx.AsyncClient, session: AsyncSession, keys: Keys, set_today: SetToday
) -> None:
    rectification, _ = await nonconforming_final(session)
    organiser = await keys.headers(Role.REGULATOR, department="scjg-410100")
    set_today(date(2026, 4, 10))
    response = await client.post(
        url(rectification.id, "/corrected"),
        json={"corrected_on": "2026-04-08", "reference": "整改报告 ZG-2026-017"},
        headers=organiser,
    )
    assert response.status_code == 201, response.text
    read = response.json()
    assert read["corrections"][0]["reference"] == "整改报告 ZG-2026-017"
    assert {d["name"]: d["status"] for d in read["deadlines"]}["correction"] == "met"
    assert read["next_step"]["action"] == "schedule_follow_up"
    event = (
        await session.exec(select(Event).where(col(Event.type) == "rectification.corrected"))
    ).one()
    assert event.enterprise_uscc == rectification.enterprise_uscc
    assert event.payload["in_time"] is True


@pytest.mark.parametrize(
    ("corrected_on", "code"),
    [
        ("2026-04-11", "rectification.corrected_in_future"),
        ("2026-02-11", "rectification.corrected_before_order"),
    ],
)
async def test_a_correction_dated_in_the_future_or_before_the_order_is_refused(
    client: httpx.AsyncClient,
    session: AsyncSession,
    keys: Keys,
    set_today: SetToday,
    corrected_on: str,
    code: str,
) -> None:
    rectification, _ = await nonconforming_final(session)
    set_today(date(2026, 4, 10))
    before = await stored(session)
    response = await client.post(
        url(rectification.id, "/corrected"),
        json={"corrected_on": corrected_on, "reference": "ZG-1"},
        headers=await keys.admin(),
    )
    assert_problem(response, 422, code)
    assert await stored(session) == before


async def test_a_closed_rectification_takes_no_correction(
    client: httpx.AsyncClient, session: AsyncSession, keys: Keys, set_today: SetToday
) -> None:
    rectification, drawn = await nonconforming_final(session)
    admin = await keys.admin()
    set_today(date(2026, 3, 2))
    response = await client.post(
        url(rectification.id, "/follow-up"), json=follow_up_body(drawn), headers=admin
    )
    await conclude_follow_up(
        session, uuid.UUID(response.json()["follow_up_task_id"]), "conforming", date(2026, 4, 1)
    )
    set_today(date(2026, 4, 10))
    response = await client.post(
        url(rectification.id, "/corrected"),
        json={"corrected_on": "2026-04-02", "reference": "ZG-1"},
        headers=admin,
    )
    assert_problem(response, 409, "rectification.invalid_state")


# --- who sees what ----------------------------------------------------------------------------


async def test_regulators_see_rectifications_organised_or_located_inside_their_region(
    client: httpx.AsyncClient, session: AsyncSession, keys: Keys, set_today: SetToday
) -> None:
    set_today(date(2026, 3, 2))
    zhengzhou, _ = await nonconforming_final(session)
    # Organised by Zhengzhou, of an enterprise in Kaifeng (sampled in circulation).
    kaifeng, _ = await nonconforming_final(session, region_code="410202")
    seen: dict[str, set[uuid.UUID]] = {}
    for department in ("scjg-410100", "scjg-410200", "scjg-410000", "scjg-420000"):
        headers = await keys.headers(Role.REGULATOR, department=department)
        listed = (await client.get("/api/v1/rectifications", headers=headers)).json()
        seen[department] = {uuid.UUID(item["id"]) for item in listed["items"]}
        for r in (zhengzhou, kaifeng):
            response = await client.get(url(r.id), headers=headers)
            assert (response.status_code == 200) == (r.id in seen[department]), department
    assert seen == {
        "scjg-410100": {zhengzhou.id, kaifeng.id},
        "scjg-410200": {kaifeng.id},
        "scjg-410000": {zhengzhou.id, kaifeng.id},
        "scjg-420000": set(),
    }


async def test_an_enterprise_sees_its_own_without_the_coming_follow_up(
    client: httpx.AsyncClient, session: AsyncSession, keys: Keys, set_today: SetToday
) -> None:
    own, drawn = await nonconforming_final(session)
    other, _ = await nonconforming_final(session)
    set_today(date(2026, 3, 2))
    response = await client.post(
        url(own.id, "/follow-up"), json=follow_up_body(drawn), headers=await keys.admin()
    )
    assert response.status_code == 201
    enterprise = await keys.headers(Role.ENTERPRISE, uscc=own.enterprise_uscc)
    listed = (await client.get("/api/v1/rectifications", headers=enterprise)).json()
    assert [item["id"] for item in listed["items"]] == [str(own.id)]
    assert_problem(
        await client.get(url(other.id), headers=enterprise), 404, "rectification.not_found"
    )
    # Until sampled, when and by whom it is re-sampled stays the organiser's (Order 18 §14).
    read = (await client.get(url(own.id), headers=enterprise)).json()
    assert read["state"] == "follow_up"
    assert (read["follow_up_task_id"], read["follow_ups"]) == (None, [])


@pytest.mark.parametrize("role", [Role.AGENCY, Role.DEPARTMENT])
async def test_agencies_and_other_departments_do_not_read_rectifications(
    client: httpx.AsyncClient, session: AsyncSession, keys: Keys, role: Role
) -> None:
    agency = await make_agency(session)
    headers = await keys.headers(role, agency=agency.id if role is Role.AGENCY else None)
    response = await client.get("/api/v1/rectifications", headers=headers)
    assert_problem(response, 403, "auth.role_forbidden")


async def test_the_list_filters_and_pages_by_keyset(
    client: httpx.AsyncClient, session: AsyncSession, keys: Keys, set_today: SetToday
) -> None:
    set_today(date(2026, 3, 2))
    first, drawn = await nonconforming_final(session)
    second, _ = await nonconforming_final(session)
    national, _ = await nonconforming_final(session, department_code="samr-000000")
    admin = await keys.admin()
    await client.post(url(first.id, "/follow-up"), json=follow_up_body(drawn), headers=admin)

    async def ids(**params: str) -> list[str]:
        response = await client.get("/api/v1/rectifications", params=params, headers=admin)
        assert response.status_code == 200, response.text
        return [item["id"] for item in response.json()["items"]]

    assert await ids(state="follow_up") == [str(first.id)]
    assert await ids(enterprise_uscc=second.enterprise_uscc.lower()) == [str(second.id)]
    assert await ids(organiser_code="samr-000000") == [str(national.id)]
    pages: list[str] = []
    cursor: str | None = None
    while True:
        params: dict[str, str | int] = {"limit": 1, **({"cursor": cursor} if cursor else {})}
        body = (await client.get("/api/v1/rectifications", params=params, headers=admin)).json()
        pages += [item["id"] for item in body["items"]]
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert sorted(pages) == sorted(str(r.id) for r in (first, second, national))
    assert_problem(
        await client.get("/api/v1/rectifications", params={"state": "lost"}, headers=admin),
        422,
        "request.invalid",
    )


async def test_hostile_filters_and_ids_never_cause_a_server_error(
    client: httpx.AsyncClient, keys: Keys
) -> None:
    admin = await keys.admin()
    for value in ("a\x00b", "x" * 5_000, "' OR 1=1 --", "%_\\", "😀"):
        for name in ("enterprise_uscc", "organiser_code", "cursor"):
            response = await client.get(
                "/api/v1/rectifications", params={name: value}, headers=admin
            )
            assert response.status_code < 500, (name, value, response.text)
    for segment in ("%00", "null", "x" * 500):
        response = await client.get(f"/api/v1/rectifications/{segment}", headers=admin)
        assert response.status_code == 422, response.text
