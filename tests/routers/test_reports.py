"""Test reports through the API (rules §5, issue 4 points 2 and 3): the assigned agency posts the
report of a sampled task, the verdict is derived from the items, re-posting is idempotent, the
result is created and notified the same day; a re-test report supersedes the original and makes
the result final. Bad input is a problem with a code and leaves nothing behind."""

from __future__ import annotations

import itertools
from datetime import date
from typing import Any

import httpx
import pytest
from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models.results import Event, Objection, Result, Retest, TestReport
from models.system import AuditEntry, Role
from service.audit import verify_chain
from service.db import commit
from tests.factories import (
    DrawnTask,
    Keys,
    assert_problem,
    make_agency,
    make_result,
    make_sample,
    make_task,
    report_items,
)

TODAY = date(2026, 3, 24)
_numbers = itertools.count(1)


@pytest.fixture(autouse=True)
def fixed_today(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("service.clock.today", lambda: TODAY)


def report_body(task: object, **overrides: Any) -> dict[str, Any]:
    return {
        "task_id": str(task),
        "report_number": f"BG2026-{next(_numbers):05d}",
        "issued_on": "2026-03-20",
        "items": report_items(),
        **overrides,
    }


async def sampled_task(session: AsyncSession) -> DrawnTask:
    drawn = await make_task(session)
    await make_sample(session, drawn, sampled_on=date(2026, 3, 2))
    return drawn


async def count(session: AsyncSession, table: type[Any]) -> int:
    return int((await session.exec(select(func.count()).select_from(table))).one())


async def stored(session: AsyncSession) -> dict[str, int]:
    """How many reports, results, events and audit records exist."""
    return {
        "reports": await count(session, TestReport),
        "results": await count(session, Result),
        "events": await count(session, Event),
        "audit": await count(session, AuditEntry),
    }


async def agency_headers(keys: Keys, drawn: DrawnTask) -> dict[str, str]:
    return await keys.headers(Role.AGENCY, agency=drawn.agency.id)


# --- one report, an original ------------------------------------------------------------------


async def test_the_assigned_agency_posts_a_report_and_the_enterprise_is_notified_today(
    client: httpx.AsyncClient, keys: Keys, session: AsyncSession
) -> None:
    drawn = await sampled_task(session)
    body = report_body(drawn.task.id, items=report_items(failing=1, serious=True))
    response = await client.post(
        "/api/v1/reports", json=body, headers=await agency_headers(keys, drawn)
    )
    assert response.status_code == 201, response.text
    report = response.json()
    assert report["verdict"] == "nonconforming"
    assert report["kind"] == "original"
    assert report["task_id"] == str(drawn.task.id)
    assert [item["verdict"] for item in report["items"]] == ["fail", "pass", "pass"]

    result = (await session.exec(select(Result).where(col(Result.task_id) == drawn.task.id))).one()
    assert str(result.id) == report["result_id"]
    assert str(result.original_report_id) == str(result.report_id) == report["id"]
    assert (result.verdict, result.state) == ("nonconforming", "notified")
    assert result.notified_on == TODAY
    # 2026-03-24 + 15 days = Thursday 2026-04-08, a working day.
    assert result.objection_window_ends_on == date(2026, 4, 8)
    # The snapshot the statistics group by.
    assert (result.organiser_code, result.plan_level, result.plan_kind) == (
        "scjg-410100",
        "municipal",
        "routine",
    )
    assert (result.category_code, result.region_code, result.enterprise_size) == (
        "0401",
        "410102",
        "small",
    )
    assert (result.place_type, result.sampled_on) == ("production", date(2026, 3, 2))
    assert result.agency_id == drawn.agency.id

    events = (await session.exec(select(Event).order_by(col(Event.seq)))).all()
    assert [(e.type, e.enterprise_uscc) for e in events] == [
        ("report.received", drawn.enterprise.uscc),
        ("result.notified", drawn.enterprise.uscc),
    ]
    assert events[1].payload["objection_window_ends_on"] == "2026-04-08"
    actions = (await session.exec(select(AuditEntry.action))).all()
    assert {"test_report.create", "result.notify"} <= set(actions)
    assert (await verify_chain(session)).ok


async def test_all_items_passing_make_the_report_conforming(
    client: httpx.AsyncClient, keys: Keys, session: AsyncSession
) -> None:
    drawn = await sampled_task(session)
    response = await client.post(
        "/api/v1/reports",
        json=report_body(drawn.task.id, verdict="conforming"),
        headers=await agency_headers(keys, drawn),
    )
    assert response.status_code == 201, response.text
    assert response.json()["verdict"] == "conforming"


def _item(**overrides: Any) -> dict[str, Any]:
    return {**report_items()[0], **overrides}


@pytest.mark.parametrize(
    ("overrides", "status", "code"),
    [
        (
            {"verdict": "conforming", "items": report_items(failing=1)},
            422,
            "report.verdict_contradicts_items",
        ),
        ({"verdict": "nonconforming"}, 422, "report.verdict_contradicts_items"),
        ({"items": [_item(measured_value="0.45", unit=None)]}, 422, "report.unit_missing"),
        ({"items": [_item(measured_value="１２", unit="  ")]}, 422, "report.unit_missing"),
        ({"items": [_item(verdict="fail", severity=None)]}, 422, "report.severity_missing"),
        (
            {"items": [_item(verdict="pass", severity="general")]},
            422,
            "report.severity_not_allowed",
        ),
        ({"retest_id": "00000000-0000-4000-8000-000000000000"}, 422, "report.target_required"),
        ({"task_id": None}, 422, "report.target_required"),
        ({"issued_on": "2026-03-25"}, 422, "report.issued_in_future"),
        ({"issued_on": "2026-03-01"}, 422, "report.issued_before_sampling"),
        ({"items": []}, 422, "request.invalid"),
        ({"items": [_item(severity="fatal")]}, 422, "request.invalid"),
        ({"document_sha256": "abc"}, 422, "request.invalid"),
        ({"report_number": "   "}, 422, "request.invalid"),
        ({"items": [_item(name="耗电\x00量")]}, 422, "request.invalid"),
        ({"remarks": "unknown field"}, 422, "request.invalid"),
    ],
    ids=[
        "verdict-contradicts-a-failing-item",
        "verdict-contradicts-passing-items",
        "numeric-value-without-unit",
        "full-width-number-with-blank-unit",
        "failing-item-without-severity",
        "passing-item-with-severity",
        "both-task-and-retest",
        "neither-task-nor-retest",
        "issued-in-the-future",
        "issued-before-sampling",
        "no-items",
        "unknown-severity",
        "malformed-document-hash",
        "blank-report-number",
        "nul-in-text",
        "unknown-field",
    ],
)
async def test_a_bad_report_is_refused_with_its_code_and_nothing_is_stored(
    client: httpx.AsyncClient,
    keys: Keys,
    session: AsyncSession,
    overrides: dict[str, Any],
    status: int,
    code: str,
) -> None:
    drawn = await sampled_task(session)
    headers = await agency_headers(keys, drawn)
    before = await stored(session)
    response = await client.post(
        "/api/v1/reports", json=report_body(drawn.task.id, **overrides), headers=headers
    )
    assert_problem(response, status, code)
    assert await stored(session) == before


async def test_a_text_value_needs_no_unit(
    client: httpx.AsyncClient, keys: Keys, session: AsyncSession
) -> None:
    drawn = await sampled_task(session)
    items = [_item(measured_value="符合", unit=None), _item(name="铅", measured_value="<0.01")]
    response = await client.post(
        "/api/v1/reports",
        json=report_body(drawn.task.id, items=items),
        headers=await agency_headers(keys, drawn),
    )
    assert response.status_code == 201, response.text
    assert response.json()["items"][0]["unit"] is None


async def test_reposting_the_identical_report_returns_the_original_and_stores_nothing_new(
    client: httpx.AsyncClient, keys: Keys, session: AsyncSession
) -> None:
    drawn = await sampled_task(session)
    headers = await agency_headers(keys, drawn)
    body = report_body(drawn.task.id, document_sha256="AB" * 32)
    first = await client.post("/api/v1/reports", json=body, headers=headers)
    assert first.status_code == 201, first.text
    before = await stored(session)

    # The same content, spelled differently: verdict stated, hash in lower case, padding.
    again = {
        **body,
        "verdict": "conforming",
        "document_sha256": "ab" * 32,
        "report_number": f"  {body['report_number']} ",
    }
    second = await client.post("/api/v1/reports", json=again, headers=headers)
    assert second.status_code == 200, second.text
    assert second.json() == first.json()
    assert await stored(session) == before


async def test_the_same_number_with_different_content_is_a_conflict(
    client: httpx.AsyncClient, keys: Keys, session: AsyncSession
) -> None:
    drawn = await sampled_task(session)
    headers = await agency_headers(keys, drawn)
    body = report_body(drawn.task.id)
    first = (await client.post("/api/v1/reports", json=body, headers=headers)).json()
    before = await stored(session)
    changed = {**body, "items": report_items(failing=1)}
    response = await client.post("/api/v1/reports", json=changed, headers=headers)
    problem = assert_problem(response, 409, "report.number_conflict")
    assert problem["report_id"] == first["id"]
    assert await stored(session) == before


async def test_only_the_assigned_agency_may_post_the_report(
    client: httpx.AsyncClient, keys: Keys, session: AsyncSession
) -> None:
    drawn = await sampled_task(session)
    other = await make_agency(session)
    headers = await keys.headers(Role.AGENCY, agency=other.id)
    response = await client.post(
        "/api/v1/reports", json=report_body(drawn.task.id), headers=headers
    )
    assert_problem(response, 403, "report.not_assigned")
    assert await count(session, TestReport) == 0


@pytest.mark.parametrize("role", [Role.REGULATOR, Role.ADMIN])
async def test_reports_are_posted_by_agencies_only(
    client: httpx.AsyncClient, keys: Keys, session: AsyncSession, role: Role
) -> None:
    drawn = await sampled_task(session)
    headers = await keys.headers(role, department="scjg-410100" if role is Role.REGULATOR else None)
    response = await client.post(
        "/api/v1/reports", json=report_body(drawn.task.id), headers=headers
    )
    assert_problem(response, 403, "auth.role_forbidden")


async def test_a_task_without_a_sample_cannot_have_a_report(
    client: httpx.AsyncClient, keys: Keys, session: AsyncSession
) -> None:
    drawn = await make_task(session)
    response = await client.post(
        "/api/v1/reports",
        json=report_body(drawn.task.id),
        headers=await agency_headers(keys, drawn),
    )
    problem = assert_problem(response, 409, "report.not_sampled")
    assert problem["state"] == "assigned"


async def test_a_task_has_one_original_report(
    client: httpx.AsyncClient, keys: Keys, session: AsyncSession
) -> None:
    drawn = await sampled_task(session)
    headers = await agency_headers(keys, drawn)
    first = await client.post("/api/v1/reports", json=report_body(drawn.task.id), headers=headers)
    assert first.status_code == 201
    second = await client.post("/api/v1/reports", json=report_body(drawn.task.id), headers=headers)
    problem = assert_problem(second, 409, "report.exists_for_task")
    assert problem["report_number"] == first.json()["report_number"]


async def test_an_unknown_task_is_not_found(
    client: httpx.AsyncClient, keys: Keys, session: AsyncSession
) -> None:
    drawn = await sampled_task(session)
    body = report_body("00000000-0000-4000-8000-000000000000")
    response = await client.post(
        "/api/v1/reports", json=body, headers=await agency_headers(keys, drawn)
    )
    assert_problem(response, 404, "task.not_found")


# --- reading a report ------------------------------------------------------------------------


async def test_a_report_is_read_by_its_agency_the_organiser_and_admins_only(
    client: httpx.AsyncClient, keys: Keys, session: AsyncSession
) -> None:
    drawn = await sampled_task(session)
    posted = await client.post(
        "/api/v1/reports",
        json=report_body(drawn.task.id),
        headers=await agency_headers(keys, drawn),
    )
    url = f"/api/v1/reports/{posted.json()['id']}"
    for headers in (
        await agency_headers(keys, drawn),
        await keys.headers(Role.REGULATOR, department="scjg-410100"),
        await keys.admin(),
    ):
        response = await client.get(url, headers=headers)
        assert response.status_code == 200, response.text
        assert response.json() == posted.json()

    other_agency = await make_agency(session)
    for headers in (
        await keys.headers(Role.AGENCY, agency=other_agency.id),
        await keys.headers(Role.REGULATOR, department="scjg-410200"),
    ):
        assert_problem(await client.get(url, headers=headers), 404, "report.not_found")
    enterprise = await keys.headers(Role.ENTERPRISE, uscc=drawn.enterprise.uscc)
    assert_problem(await client.get(url, headers=enterprise), 403, "auth.role_forbidden")


# --- the batch -------------------------------------------------------------------------------


async def test_a_batch_answers_every_item_and_stores_only_the_good_ones(
    client: httpx.AsyncClient, keys: Keys, session: AsyncSession
) -> None:
    agency = await make_agency(session)
    tasks = [await make_task(session, agency=agency) for _ in range(4)]
    for drawn in tasks:
        await make_sample(session, drawn, sampled_on=date(2026, 3, 2))
    headers = await keys.headers(Role.AGENCY, agency=agency.id)
    already = report_body(tasks[0].task.id)
    first = await client.post("/api/v1/reports", json=already, headers=headers)
    assert first.status_code == 201
    before = await stored(session)

    good = report_body(tasks[1].task.id, items=report_items(failing=2))
    batch = [
        good,
        already,  # identical to a stored report
        {**already, "issued_on": "2026-03-21"},  # its number, other content
        report_body(tasks[2].task.id, items=[_item(unit=None)]),  # no unit
        {"report_number": "BG-X"},  # not a report at all
        "not even an object",
        report_body(tasks[3].task.id, report_number=good["report_number"]),  # number taken above
        good,  # the same report twice in one batch
    ]
    response = await client.post("/api/v1/reports:batch", json={"reports": batch}, headers=headers)
    assert response.status_code == 200, response.text
    answer = response.json()
    statuses = [(item["index"], item["status"], item.get("code")) for item in answer["items"]]
    assert statuses == [
        (0, 201, None),
        (1, 200, None),
        (2, 409, "report.number_conflict"),
        (3, 422, "report.unit_missing"),
        (4, 422, "request.invalid"),
        (5, 422, "request.invalid"),
        (6, 409, "report.number_conflict"),
        (7, 200, None),
    ]
    items = answer["items"]
    assert items[1]["id"] == first.json()["id"]
    assert items[7]["id"] == items[0]["id"]
    assert {e["loc"][0] for e in items[4]["errors"]} >= {"issued_on", "items"}
    assert all("id" not in item for item in items if item["status"] >= 400)
    assert (answer["created"], answer["existing"], answer["refused"]) == (1, 2, 5)

    after = await stored(session)
    assert after["reports"] == before["reports"] + 1
    assert after["results"] == before["results"] + 1
    assert after["events"] == before["events"] + 2
    report = await session.get(TestReport, items[0]["id"])
    assert report is not None
    assert report.verdict == "nonconforming"
    assert (await verify_chain(session)).ok


async def test_a_batch_of_more_than_a_thousand_reports_is_refused_whole(
    client: httpx.AsyncClient, keys: Keys, session: AsyncSession
) -> None:
    drawn = await sampled_task(session)
    body = {"reports": [report_body(drawn.task.id)] * 1001}
    response = await client.post(
        "/api/v1/reports:batch", json=body, headers=await agency_headers(keys, drawn)
    )
    problem = assert_problem(response, 422, "report.batch_too_large")
    assert problem["limit"] == 1000
    assert await count(session, TestReport) == 0


async def test_a_batch_is_not_limited_to_the_ordinary_body_size(
    client: httpx.AsyncClient, keys: Keys, session: AsyncSession
) -> None:
    drawn = await sampled_task(session)
    items = [_item(name=f"项目{n}", requirement="≤ 0.50 " + "说明" * 100) for n in range(500)]
    body = {"reports": [report_body(drawn.task.id, items=items) for _ in range(5)]}
    response = await client.post(
        "/api/v1/reports:batch", json=body, headers=await agency_headers(keys, drawn)
    )
    assert len(response.request.content) > 1_048_576
    assert response.status_code == 200, response.text
    assert [item["status"] for item in response.json()["items"]] == [201, 409, 409, 409, 409]


# --- the re-test report ----------------------------------------------------------------------


async def retest_of(
    session: AsyncSession, *, disputed: list[str]
) -> tuple[DrawnTask, Result, Retest]:
    """A nonconforming result (its first item, 耗电量, fails) under re-test by a second agency,
    as the objection decision leaves it."""
    drawn = await make_task(session)
    result = await make_result(session, drawn, verdict="nonconforming", state="retesting")
    objection = Objection(
        result_id=result.id,
        enterprise_uscc=result.enterprise_uscc,
        filed_on=date(2026, 3, 21),
        disputed_items=disputed,
        reason="检测方法有误",
        state="retest_ordered",
        decided_on=date(2026, 3, 22),
    )
    session.add(objection)
    await session.flush()
    second = await make_agency(session)
    retest = Retest(
        objection_id=objection.id,
        result_id=result.id,
        sample_id=result.sample_id,
        agency_id=second.id,
        disputed_items=disputed,
    )
    session.add(retest)
    await commit(session)
    return drawn, result, retest


def retest_body(retest: Retest, items: list[dict[str, Any]], **overrides: Any) -> dict[str, Any]:
    return {
        "retest_id": str(retest.id),
        "report_number": f"FJ2026-{next(_numbers):05d}",
        "issued_on": "2026-03-24",
        "items": items,
        **overrides,
    }


async def test_a_retest_that_overturns_the_failure_supersedes_the_report_and_makes_it_final(
    client: httpx.AsyncClient, keys: Keys, session: AsyncSession
) -> None:
    drawn, result, retest = await retest_of(session, disputed=["耗电量"])
    headers = await keys.headers(Role.AGENCY, agency=retest.agency_id)
    passing = [_item()]  # 耗电量 passes on the backup sample
    response = await client.post(
        "/api/v1/reports", json=retest_body(retest, passing), headers=headers
    )
    assert response.status_code == 201, response.text
    report = response.json()
    assert (report["kind"], report["retest_id"], report["result_id"]) == (
        "retest",
        str(retest.id),
        str(result.id),
    )

    await session.refresh(result)
    await session.refresh(retest)
    assert str(result.report_id) == report["id"]  # the re-test report is in force
    original = await session.get(TestReport, result.original_report_id)
    assert original is not None  # and the original is kept
    assert original.kind == "original"
    assert result.verdict == "conforming"  # the undisputed items passed
    assert result.fee_bearer == "organiser"  # the first result was wrong
    assert (result.state, result.final_on, result.published_on) == ("final", TODAY, TODAY)
    assert (retest.state, str(retest.report_id)) == ("reported", report["id"])
    assert retest.reported_at is not None

    types = (await session.exec(select(Event.type).order_by(col(Event.seq)))).all()
    assert types == ["report.received", "retest.reported", "result.final", "result.published"]
    retested = (await session.exec(select(Event).where(col(Event.type) == "retest.reported"))).one()
    assert retested.enterprise_uscc == drawn.enterprise.uscc
    assert retested.payload["verdict_before"] == "nonconforming"
    assert retested.payload["fee_bearer"] == "organiser"
    assert (await verify_chain(session)).ok


async def test_a_retest_that_confirms_the_failure_keeps_it_and_the_applicant_pays(
    client: httpx.AsyncClient, keys: Keys, session: AsyncSession
) -> None:
    _, result, retest = await retest_of(session, disputed=["耗电量"])
    headers = await keys.headers(Role.AGENCY, agency=retest.agency_id)
    failing = [_item(verdict="fail", measured_value="0.61", severity="general")]
    body = retest_body(retest, failing)
    response = await client.post("/api/v1/reports", json=body, headers=headers)
    assert response.status_code == 201, response.text
    await session.refresh(result)
    assert (result.verdict, result.fee_bearer, result.state) == (
        "nonconforming",
        "applicant",
        "final",
    )
    again = await client.post("/api/v1/reports", json=body, headers=headers)
    assert (again.status_code, again.json()["id"]) == (200, response.json()["id"])


async def test_an_undisputed_failure_keeps_the_result_nonconforming_after_a_passing_retest(
    client: httpx.AsyncClient, keys: Keys, session: AsyncSession
) -> None:
    # 耗电量 failed; the enterprise disputes only 噪声, which passed, and it passes again.
    _, result, retest = await retest_of(session, disputed=["噪声"])
    headers = await keys.headers(Role.AGENCY, agency=retest.agency_id)
    noise = [{**report_items()[1]}]
    response = await client.post(
        "/api/v1/reports", json=retest_body(retest, noise), headers=headers
    )
    assert response.status_code == 201, response.text
    await session.refresh(result)
    assert (result.verdict, result.fee_bearer) == ("nonconforming", "applicant")


async def test_a_retest_report_has_exactly_the_disputed_items(
    client: httpx.AsyncClient, keys: Keys, session: AsyncSession
) -> None:
    _, result, retest = await retest_of(session, disputed=["耗电量"])
    headers = await keys.headers(Role.AGENCY, agency=retest.agency_id)
    before = await stored(session)
    response = await client.post(
        "/api/v1/reports", json=retest_body(retest, report_items()), headers=headers
    )
    problem = assert_problem(response, 422, "report.items_not_disputed")
    assert problem["unexpected"] == ["噪声", "标志和说明"]
    assert await stored(session) == before
    await session.refresh(result)
    assert result.state == "retesting"


async def test_only_the_retest_agency_posts_the_retest_report(
    client: httpx.AsyncClient, keys: Keys, session: AsyncSession
) -> None:
    drawn, _, retest = await retest_of(session, disputed=["耗电量"])
    first_agency = await agency_headers(keys, drawn)
    response = await client.post(
        "/api/v1/reports", json=retest_body(retest, [_item()]), headers=first_agency
    )
    assert_problem(response, 403, "report.not_assigned")


async def test_a_retest_has_one_report(
    client: httpx.AsyncClient, keys: Keys, session: AsyncSession
) -> None:
    _, _, retest = await retest_of(session, disputed=["耗电量"])
    headers = await keys.headers(Role.AGENCY, agency=retest.agency_id)
    first = await client.post(
        "/api/v1/reports", json=retest_body(retest, [_item()]), headers=headers
    )
    assert first.status_code == 201
    second = await client.post(
        "/api/v1/reports", json=retest_body(retest, [_item()]), headers=headers
    )
    assert_problem(second, 409, "retest.already_reported")
