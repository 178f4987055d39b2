"""Reading results (issue 4 points 3–4): who sees which result, the filters of the list, the
result with its original and re-test reports, an enterprise's own results with its objection
deadline, and the re-test work an agency finds on /retests."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import httpx
import pytest
from sqlmodel.ext.asyncio.session import AsyncSession

from models.results import Objection, Result, Retest, TestReport
from models.system import Role
from service.db import commit
from tests.factories import (
    DrawnTask,
    Keys,
    assert_problem,
    make_agency,
    make_enterprise,
    make_product,
    make_result,
    make_task,
    report_items,
)

A, R, G, E, D = Role.ADMIN, Role.REGULATOR, Role.AGENCY, Role.ENTERPRISE, Role.DEPARTMENT


@pytest.fixture(autouse=True)
def fixed_today(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("service.clock.today", lambda: date(2026, 4, 1))


@dataclass
class World:
    """Four results:
    - `zhengzhou`: organised by Zhengzhou for an enterprise in Zhengzhou (notified);
    - `national`: organised by SAMR for an enterprise in Zhengzhou (notified);
    - `wuhan`: organised by Wuhan for an enterprise in Wuhan (notified);
    - `wuhan_final`: the same, final and published."""

    drawn: dict[str, DrawnTask]
    results: dict[str, Result]

    def ids(self, *names: str) -> set[str]:
        return {str(self.results[n].id) for n in names}


@pytest.fixture
async def world(session: AsyncSession) -> World:
    drawn = {
        "zhengzhou": await make_task(session, department_code="scjg-410100"),
        "national": await make_task(session, department_code="samr-000000"),
        "wuhan": await make_task(session, department_code="scjg-420100", region_code="420102"),
        "wuhan_final": await make_task(
            session, department_code="scjg-420100", region_code="420102", category_code="0501"
        ),
    }
    results = {
        "zhengzhou": await make_result(session, drawn["zhengzhou"], verdict="nonconforming"),
        "national": await make_result(session, drawn["national"]),
        "wuhan": await make_result(session, drawn["wuhan"]),
        "wuhan_final": await make_result(
            session, drawn["wuhan_final"], verdict="nonconforming", state="final"
        ),
    }
    return World(drawn, results)


async def listed(client: httpx.AsyncClient, headers: dict[str, str], **params: Any) -> set[str]:
    response = await client.get("/api/v1/results", params=params, headers=headers)
    assert response.status_code == 200, response.text
    return {item["id"] for item in response.json()["items"]}


# --- who sees what -----------------------------------------------------------------------------

ALL = {"zhengzhou", "national", "wuhan", "wuhan_final"}
VISIBILITY: list[tuple[str, Role, str | None, set[str]]] = [
    ("admin", A, None, ALL),
    # Organised inside the city, or an enterprise inside it whoever organised.
    ("zhengzhou-regulator", R, "scjg-410100", {"zhengzhou", "national"}),
    ("henan-regulator", R, "scjg-410000", {"zhengzhou", "national"}),
    ("hubei-regulator", R, "scjg-420000", {"wuhan", "wuhan_final"}),
    ("national-regulator", R, "samr-000000", ALL),
    ("consuming-department", D, "fgw-410000", {"wuhan_final"}),
]


@pytest.mark.parametrize(
    ("role", "department", "visible"),
    [(role, department, visible) for _, role, department, visible in VISIBILITY],
    ids=[name for name, *_ in VISIBILITY],
)
async def test_each_role_reads_the_results_in_its_scope(
    client: httpx.AsyncClient,
    keys: Keys,
    world: World,
    role: Role,
    department: str | None,
    visible: set[str],
) -> None:
    headers = await keys.headers(role, department=department)
    assert await listed(client, headers) == world.ids(*visible)
    for name, result in world.results.items():
        response = await client.get(f"/api/v1/results/{result.id}", headers=headers)
        if name in visible:
            assert response.status_code == 200, response.text
        else:
            assert_problem(response, 404, "result.not_found")


async def test_an_agency_reads_the_results_of_its_own_tasks(
    client: httpx.AsyncClient, keys: Keys, world: World
) -> None:
    headers = await keys.headers(G, agency=world.drawn["wuhan"].agency.id)
    assert await listed(client, headers) == world.ids("wuhan")


async def test_an_enterprise_reads_only_its_own_results(
    client: httpx.AsyncClient, keys: Keys, world: World
) -> None:
    headers = await keys.headers(E, uscc=world.drawn["national"].enterprise.uscc)
    assert await listed(client, headers) == world.ids("national")
    other = await client.get(f"/api/v1/results/{world.results['wuhan'].id}", headers=headers)
    assert_problem(other, 404, "result.not_found")


# --- the list's filters ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "visible"),
    [
        ({"state": "final"}, {"wuhan_final"}),
        ({"state": "notified"}, {"zhengzhou", "national", "wuhan"}),
        ({"verdict": "nonconforming"}, {"zhengzhou", "wuhan_final"}),
        ({"category_code": "05"}, {"wuhan_final"}),
        ({"category_code": "0401"}, {"zhengzhou", "national", "wuhan"}),
        ({"region_code": "410000"}, {"zhengzhou", "national"}),
        ({"region_code": "420102"}, {"wuhan", "wuhan_final"}),
        ({"region_code": "420100", "verdict": "conforming"}, {"wuhan"}),
    ],
)
async def test_the_list_filters_narrow_the_results(
    client: httpx.AsyncClient,
    keys: Keys,
    world: World,
    params: dict[str, str],
    visible: set[str],
) -> None:
    assert await listed(client, await keys.admin(), **params) == world.ids(*visible)


async def test_the_list_filters_by_plan_and_enterprise(
    client: httpx.AsyncClient, keys: Keys, world: World
) -> None:
    admin = await keys.admin()
    plan_id = str(world.drawn["wuhan"].plan.id)
    assert await listed(client, admin, plan_id=plan_id) == world.ids("wuhan")
    uscc = world.drawn["zhengzhou"].enterprise.uscc
    assert await listed(client, admin, enterprise_uscc=uscc.lower()) == world.ids("zhengzhou")


async def test_the_list_pages_through_every_result(
    client: httpx.AsyncClient, keys: Keys, world: World
) -> None:
    admin, seen, cursor = await keys.admin(), [], None
    while True:
        params: dict[str, Any] = {"limit": 1, **({"cursor": cursor} if cursor else {})}
        page = (await client.get("/api/v1/results", params=params, headers=admin)).json()
        seen += [item["id"] for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert sorted(seen) == sorted(world.ids(*world.results))


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({"region_code": "419999"}, "region.unknown"),
        ({"region_code": "41"}, "request.invalid"),
        ({"category_code": "4"}, "request.invalid"),
        ({"state": "closed"}, "request.invalid"),
        ({"cursor": "not-a-cursor"}, "pagination.cursor_invalid"),
    ],
)
async def test_bad_filters_are_a_problem(
    client: httpx.AsyncClient, keys: Keys, params: dict[str, str], code: str
) -> None:
    response = await client.get("/api/v1/results", params=params, headers=await keys.admin())
    assert_problem(response, 422, code)


# --- one result with its reports ---------------------------------------------------------------


async def test_a_result_comes_with_its_original_report_and_items(
    client: httpx.AsyncClient, keys: Keys, world: World
) -> None:
    result = world.results["zhengzhou"]
    response = await client.get(f"/api/v1/results/{result.id}", headers=await keys.admin())
    body = response.json()
    assert body["verdict"] == "nonconforming"
    assert body["original_report"]["id"] == str(result.original_report_id)
    assert [i["name"] for i in body["original_report"]["items"]] == ["耗电量", "噪声", "标志和说明"]
    assert body["original_report"]["items"][0]["severity"] == "general"
    assert body["retest_report"] is None
    assert body["objection"] is None
    assert body["retest"] is None


async def retested(session: AsyncSession, drawn: DrawnTask, result: Result) -> Retest:
    """An objection to 耗电量, re-tested by another agency that found it passing, in force."""
    agency = await make_agency(session)
    objection = Objection(
        result_id=result.id,
        enterprise_uscc=result.enterprise_uscc,
        filed_on=date(2026, 3, 25),
        disputed_items=["耗电量"],
        reason="异议",
        state="retest_ordered",
    )
    session.add(objection)
    await session.flush()
    report = TestReport(
        agency_id=agency.id,
        report_number="FJ-0001",
        kind="retest",
        sample_id=result.sample_id,
        issued_on=date(2026, 4, 20),
        verdict="conforming",
        items=report_items()[:1],
        content_digest="1" * 64,
    )
    session.add(report)
    await session.flush()
    retest = Retest(
        objection_id=objection.id,
        result_id=result.id,
        sample_id=result.sample_id,
        agency_id=agency.id,
        disputed_items=["耗电量"],
        state="reported",
        report_id=report.id,
    )
    session.add(retest)
    result.report_id, result.verdict = report.id, "conforming"
    result.state = "final"
    result.final_on = result.published_on = date(2026, 4, 20)
    await commit(session)
    return retest


async def test_a_re_tested_result_shows_both_reports_and_the_retest(
    client: httpx.AsyncClient, session: AsyncSession, keys: Keys, world: World
) -> None:
    result = world.results["zhengzhou"]
    retest = await retested(session, world.drawn["zhengzhou"], result)
    body = (await client.get(f"/api/v1/results/{result.id}", headers=await keys.admin())).json()
    assert body["original_report"]["id"] == str(result.original_report_id)
    assert body["retest_report"]["id"] == str(retest.report_id)
    assert body["report_id"] == str(retest.report_id)
    assert body["objection"]["state"] == "retest_ordered"
    assert body["retest"]["id"] == str(retest.id)


# --- an enterprise's own results ---------------------------------------------------------------


async def test_me_results_lists_only_the_callers_results_with_the_objection_deadline(
    client: httpx.AsyncClient, session: AsyncSession, keys: Keys, world: World
) -> None:
    drawn = world.drawn["zhengzhou"]
    # A second product of the same enterprise, with a window that closed.
    product = await make_product(session, drawn.enterprise)
    closed = await make_result(
        session,
        await make_task(session, product=product),
        notified_on=date(2026, 3, 1),
        window_ends_on=date(2026, 3, 16),
    )
    headers = await keys.headers(E, uscc=drawn.enterprise.uscc)
    response = await client.get("/api/v1/me/results", headers=headers)
    items = {item["id"]: item for item in response.json()["items"]}
    assert set(items) == {str(world.results["zhengzhou"].id), str(closed.id)}
    open_one = items[str(world.results["zhengzhou"].id)]
    assert open_one["objection_deadline"] == "2026-04-07"
    assert open_one["can_object"] is True
    assert open_one["objection"] is None
    assert items[str(closed.id)]["can_object"] is False


async def test_me_results_shows_the_filed_objection_and_no_second_chance(
    client: httpx.AsyncClient, keys: Keys, world: World
) -> None:
    result = world.results["zhengzhou"]
    headers = await keys.headers(E, uscc=world.drawn["zhengzhou"].enterprise.uscc)
    filed = await client.post(
        f"/api/v1/results/{result.id}/objections",
        json={"disputed_items": ["耗电量"], "reason": "复检申请"},
        headers=headers,
    )
    assert filed.status_code == 201, filed.text
    item = (await client.get("/api/v1/me/results", headers=headers)).json()["items"][0]
    assert item["state"] == "objected"
    assert item["can_object"] is False
    assert item["objection"]["id"] == filed.json()["id"]


async def test_an_enterprise_without_results_sees_none(
    client: httpx.AsyncClient, session: AsyncSession, keys: Keys, world: World
) -> None:
    enterprise = await make_enterprise(session)
    headers = await keys.headers(E, uscc=enterprise.uscc)
    assert (await client.get("/api/v1/me/results", headers=headers)).json()["items"] == []


async def test_me_results_needs_an_enterprise_key(client: httpx.AsyncClient, keys: Keys) -> None:
    response = await client.get("/api/v1/me/results", headers=await keys.admin())
    assert_problem(response, 403, "auth.role_forbidden")
    assert_problem(await client.get("/api/v1/me/results"), 401, "auth.missing")


# --- re-test work ------------------------------------------------------------------------------


async def test_an_agency_finds_the_retests_ordered_from_it(
    client: httpx.AsyncClient, session: AsyncSession, keys: Keys, world: World
) -> None:
    drawn, result = world.drawn["zhengzhou"], world.results["zhengzhou"]
    retest = await retested(session, drawn, result)
    mine = await keys.headers(G, agency=retest.agency_id)
    response = await client.get("/api/v1/retests", headers=mine)
    items = response.json()["items"]
    assert [i["id"] for i in items] == [str(retest.id)]
    assert items[0]["sample_number"]
    assert items[0]["backup_holder"] == "企业"
    assert items[0]["disputed_items"] == ["耗电量"]
    # It may read the result it re-tests.
    assert (await client.get(f"/api/v1/results/{result.id}", headers=mine)).status_code == 200
    # The first agency has no re-test work; regulators see those inside their scope.
    first = await keys.headers(G, agency=drawn.agency.id)
    assert (await client.get("/api/v1/retests", headers=first)).json()["items"] == []
    zhengzhou = await keys.headers(R, department="scjg-410100")
    wuhan = await keys.headers(R, department="scjg-420100")
    assert len((await client.get("/api/v1/retests", headers=zhengzhou)).json()["items"]) == 1
    assert (await client.get("/api/v1/retests", headers=wuhan)).json()["items"] == []
    filtered = await client.get("/api/v1/retests", params={"state": "assigned"}, headers=mine)
    assert filtered.json()["items"] == []
