"""Objections (异议) and the organiser's decision (rules §5, issue 4 point 3): the enterprise
objects to named items of its own result inside the window, once; the organiser orders a re-test
by a qualified agency other than the first unless the applicant agreed, or rejects the objection
and the result becomes final and published. Every refusal is a problem with a code and leaves
nothing behind."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

import httpx
import pytest
from sqlalchemy import func
from sqlmodel import SQLModel, col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models.agency import TestingAgency
from models.results import Event, Objection, Rectification, Result, Retest
from models.system import Role
from service.audit import verify_chain
from service.db import commit
from tests.factories import DrawnTask, Keys, assert_problem, make_agency, make_result, make_task

NOTIFIED_ON = date(2026, 3, 20)
WINDOW_ENDS_ON = date(2026, 4, 7)
DECIDED_ON = date(2026, 4, 10)

SetToday = Callable[[date], None]


@pytest.fixture(autouse=True)
def set_today(monkeypatch: pytest.MonkeyPatch) -> SetToday:
    def set_to(day: date) -> None:
        monkeypatch.setattr("service.clock.today", lambda: day)

    set_to(NOTIFIED_ON)  # inside the window unless a test moves the day
    return set_to


@dataclass
class Notified:
    """A nonconforming result (耗电量 fails) notified to its enterprise, with the keys of the
    enterprise and of the organiser (Zhengzhou)."""

    drawn: DrawnTask
    result: Result
    enterprise: dict[str, str]
    organiser: dict[str, str]

    @property
    def objections_url(self) -> str:
        return f"/api/v1/results/{self.result.id}/objections"


@pytest.fixture
async def notified(session: AsyncSession, keys: Keys) -> Notified:
    drawn = await make_task(session, department_code="scjg-410100")
    result = await make_result(
        session,
        drawn,
        verdict="nonconforming",
        notified_on=NOTIFIED_ON,
        window_ends_on=WINDOW_ENDS_ON,
    )
    return Notified(
        drawn,
        result,
        await keys.headers(Role.ENTERPRISE, uscc=drawn.enterprise.uscc),
        await keys.headers(Role.REGULATOR, department="scjg-410100"),
    )


def objection_body(**overrides: Any) -> dict[str, Any]:
    return {"disputed_items": ["耗电量"], "reason": "检测时电压不稳定，结果不可信", **overrides}


async def count(session: AsyncSession, table: type[SQLModel]) -> int:
    return (await session.exec(select(func.count()).select_from(table))).one()


async def event_types(session: AsyncSession) -> list[str]:
    return list((await session.exec(select(Event.type).order_by(col(Event.seq)))).all())


async def fresh(session: AsyncSession, result: Result) -> Result:
    await session.refresh(result)
    return result


async def file(client: httpx.AsyncClient, world: Notified, **overrides: Any) -> dict[str, Any]:
    response = await client.post(
        world.objections_url, json=objection_body(**overrides), headers=world.enterprise
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


# --- filing ------------------------------------------------------------------------------------


async def test_an_enterprise_objects_on_the_last_day_of_its_window(
    client: httpx.AsyncClient, session: AsyncSession, notified: Notified, set_today: SetToday
) -> None:
    set_today(WINDOW_ENDS_ON)
    objection = await file(client, notified, disputed_items=["耗电量", "耗电量", "噪声"])
    assert objection["state"] == "pending"
    assert objection["filed_on"] == "2026-04-07"
    assert objection["disputed_items"] == ["耗电量", "噪声"]
    assert objection["consents_to_same_agency"] is False
    assert (await fresh(session, notified.result)).state == "objected"
    assert "objection.filed" in await event_types(session)


async def test_the_day_after_the_window_is_too_late_and_nothing_is_stored(
    client: httpx.AsyncClient, session: AsyncSession, notified: Notified, set_today: SetToday
) -> None:
    set_today(date(2026, 4, 8))
    response = await client.post(
        notified.objections_url, json=objection_body(), headers=notified.enterprise
    )
    problem = assert_problem(response, 409, "objection.window_closed")
    assert problem["objection_window_ends_on"] == "2026-04-07"
    assert await count(session, Objection) == 0
    assert (await fresh(session, notified.result)).state == "notified"


async def test_a_final_result_takes_no_objection(
    client: httpx.AsyncClient, session: AsyncSession, keys: Keys, set_today: SetToday
) -> None:
    drawn = await make_task(session)
    result = await make_result(session, drawn, state="final", window_ends_on=date(2026, 4, 20))
    set_today(date(2026, 4, 1))
    response = await client.post(
        f"/api/v1/results/{result.id}/objections",
        json=objection_body(),
        headers=await keys.headers(Role.ENTERPRISE, uscc=drawn.enterprise.uscc),
    )
    assert_problem(response, 409, "objection.window_closed")


async def test_another_enterprise_cannot_tell_the_result_exists(
    client: httpx.AsyncClient, session: AsyncSession, keys: Keys, notified: Notified
) -> None:
    other = await make_task(session)
    headers = await keys.headers(Role.ENTERPRISE, uscc=other.enterprise.uscc)
    response = await client.post(notified.objections_url, json=objection_body(), headers=headers)
    assert_problem(response, 404, "result.not_found")
    assert await count(session, Objection) == 0


async def test_only_an_enterprise_files_objections(
    client: httpx.AsyncClient, notified: Notified
) -> None:
    response = await client.post(
        notified.objections_url, json=objection_body(), headers=notified.organiser
    )
    assert_problem(response, 403, "auth.role_forbidden")


async def test_disputed_items_must_be_items_of_the_report(
    client: httpx.AsyncClient, session: AsyncSession, notified: Notified
) -> None:
    response = await client.post(
        notified.objections_url,
        json=objection_body(disputed_items=["耗电量", "外观"]),
        headers=notified.enterprise,
    )
    problem = assert_problem(response, 422, "objection.unknown_items")
    assert problem["unknown"] == ["外观"]
    assert await count(session, Objection) == 0
    assert (await fresh(session, notified.result)).state == "notified"


@pytest.mark.parametrize(
    "body",
    [
        {"disputed_items": [], "reason": "理由"},
        {"disputed_items": ["耗电量"], "reason": "   "},
        {"disputed_items": ["耗电量"]},
        {"disputed_items": ["耗电量"], "reason": "理由", "fee": 0},
    ],
    ids=["no-items", "blank-reason", "no-reason", "unknown-field"],
)
async def test_a_malformed_objection_is_refused(
    client: httpx.AsyncClient, session: AsyncSession, notified: Notified, body: dict[str, Any]
) -> None:
    response = await client.post(notified.objections_url, json=body, headers=notified.enterprise)
    assert_problem(response, 422, "request.invalid")
    assert await count(session, Objection) == 0


async def test_a_result_takes_one_objection(
    client: httpx.AsyncClient, session: AsyncSession, notified: Notified
) -> None:
    await file(client, notified)
    again = await client.post(
        notified.objections_url, json=objection_body(), headers=notified.enterprise
    )
    assert_problem(again, 409, "objection.exists")
    assert await count(session, Objection) == 1


async def test_two_objections_at_once_store_exactly_one(
    client: httpx.AsyncClient, session: AsyncSession, notified: Notified
) -> None:
    responses = await asyncio.gather(
        *(
            client.post(notified.objections_url, json=objection_body(), headers=notified.enterprise)
            for _ in range(2)
        )
    )
    assert sorted(r.status_code for r in responses) == [201, 409]
    assert await count(session, Objection) == 1


# --- deciding: re-test -------------------------------------------------------------------------


async def decide(
    client: httpx.AsyncClient, objection_id: str, headers: dict[str, str], **body: Any
) -> httpx.Response:
    return await client.post(
        f"/api/v1/objections/{objection_id}/decision",
        json={"reason": "异议理由成立，安排复检", **body},
        headers=headers,
    )


async def qualified_agencies(session: AsyncSession, n: int) -> list[TestingAgency]:
    return [await make_agency(session, scope=["04"]) for _ in range(n)]


async def test_a_retest_goes_to_the_qualified_agency_with_the_lowest_id_other_than_the_first(
    client: httpx.AsyncClient,
    session: AsyncSession,
    notified: Notified,
    set_today: SetToday,
) -> None:
    others = await qualified_agencies(session, 3)
    objection = await file(client, notified)
    set_today(DECIDED_ON)
    response = await decide(client, objection["id"], notified.organiser, decision="retest")
    assert response.status_code == 200, response.text
    decided = response.json()
    retest = decided["retest"]
    assert retest["agency_id"] == str(min(a.id for a in others))
    assert retest["sample_id"] == str(notified.result.sample_id)
    assert retest["disputed_items"] == ["耗电量"]
    assert retest["state"] == "assigned"
    assert retest["backup_quantity"] == 2
    assert decided["objection"]["state"] == "retest_ordered"
    assert decided["objection"]["decided_on"] == "2026-04-10"
    assert decided["result"]["state"] == "retesting"
    assert decided["result"]["final_on"] is None
    types = await event_types(session)
    assert types[-2:] == ["objection.decided", "retest.assigned"]


async def test_the_first_agency_re_tests_only_with_the_applicants_consent(
    client: httpx.AsyncClient, session: AsyncSession, notified: Notified
) -> None:
    objection = await file(client, notified)
    first = str(notified.drawn.agency.id)
    response = await decide(
        client, objection["id"], notified.organiser, decision="retest", agency_id=first
    )
    assert_problem(response, 422, "retest.same_agency_without_consent")
    assert await count(session, Retest) == 0
    stored = await session.get(Objection, uuid.UUID(objection["id"]))
    assert stored is not None
    assert stored.state == "pending"
    assert (await fresh(session, notified.result)).state == "objected"


async def test_with_consent_the_first_agency_may_re_test(
    client: httpx.AsyncClient, notified: Notified
) -> None:
    objection = await file(client, notified, consents_to_same_agency=True)
    first = str(notified.drawn.agency.id)
    response = await decide(
        client, objection["id"], notified.organiser, decision="retest", agency_id=first
    )
    assert response.status_code == 200, response.text
    assert response.json()["retest"]["agency_id"] == first


async def test_a_named_qualified_agency_re_tests(
    client: httpx.AsyncClient, session: AsyncSession, notified: Notified
) -> None:
    chosen = await make_agency(session, scope=["0401"])
    objection = await file(client, notified)
    response = await decide(
        client, objection["id"], notified.organiser, decision="retest", agency_id=str(chosen.id)
    )
    assert response.status_code == 200, response.text
    assert response.json()["retest"]["agency_id"] == str(chosen.id)


@pytest.mark.parametrize(
    ("agency_args", "reason"),
    [
        ({"scope": ["05"]}, "category_out_of_scope"),
        ({"valid_until": date(2026, 4, 9)}, "cma_not_valid"),
        ({"valid_from": date(2026, 4, 11)}, "cma_not_valid"),
    ],
    ids=["out-of-scope", "cma-expired", "cma-not-yet-valid"],
)
async def test_an_unqualified_agency_cannot_re_test(
    client: httpx.AsyncClient,
    session: AsyncSession,
    notified: Notified,
    set_today: SetToday,
    agency_args: dict[str, Any],
    reason: str,
) -> None:
    agency = await make_agency(session, **agency_args)
    objection = await file(client, notified)
    set_today(DECIDED_ON)
    response = await decide(
        client, objection["id"], notified.organiser, decision="retest", agency_id=str(agency.id)
    )
    problem = assert_problem(response, 422, "retest.agency_unqualified")
    assert problem["reasons"] == [reason]
    assert await count(session, Retest) == 0


async def test_an_inactive_agency_cannot_re_test(
    client: httpx.AsyncClient, session: AsyncSession, notified: Notified
) -> None:
    agency = await make_agency(session)
    agency.active = False
    await commit(session)
    objection = await file(client, notified)
    response = await decide(
        client, objection["id"], notified.organiser, decision="retest", agency_id=str(agency.id)
    )
    assert assert_problem(response, 422, "retest.agency_unqualified")["reasons"] == ["inactive"]


async def test_an_unknown_agency_is_bad_input(
    client: httpx.AsyncClient, notified: Notified
) -> None:
    objection = await file(client, notified)
    response = await decide(
        client,
        objection["id"],
        notified.organiser,
        decision="retest",
        agency_id="00000000-0000-4000-8000-000000000000",
    )
    assert_problem(response, 422, "agency.unknown")


async def test_without_another_qualified_agency_there_is_no_retest(
    client: httpx.AsyncClient, session: AsyncSession, notified: Notified
) -> None:
    await make_agency(session, scope=["05"])  # not in scope for 0401
    objection = await file(client, notified)
    response = await decide(client, objection["id"], notified.organiser, decision="retest")
    assert_problem(response, 409, "retest.no_qualified_agency")
    assert await count(session, Retest) == 0


async def test_with_consent_and_no_other_agency_the_first_one_is_picked(
    client: httpx.AsyncClient, notified: Notified
) -> None:
    objection = await file(client, notified, consents_to_same_agency=True)
    response = await decide(client, objection["id"], notified.organiser, decision="retest")
    assert response.status_code == 200, response.text
    assert response.json()["retest"]["agency_id"] == str(notified.drawn.agency.id)


# --- deciding: reject, and who decides ---------------------------------------------------------


async def test_a_rejected_objection_makes_the_result_final_and_published(
    client: httpx.AsyncClient, session: AsyncSession, notified: Notified, set_today: SetToday
) -> None:
    objection = await file(client, notified)
    set_today(DECIDED_ON)
    response = await decide(
        client, objection["id"], notified.organiser, decision="reject", reason="检测过程合规"
    )
    assert response.status_code == 200, response.text
    decided = response.json()
    assert decided["objection"]["state"] == "rejected"
    assert decided["objection"]["decision_reason"] == "检测过程合规"
    assert decided["retest"] is None
    assert decided["result"]["state"] == "final"
    assert decided["result"]["final_on"] == decided["result"]["published_on"] == "2026-04-10"
    assert decided["result"]["fee_bearer"] is None
    assert {"objection.decided", "result.final", "result.published"} <= set(
        await event_types(session)
    )
    final = (await session.exec(select(Event).where(col(Event.type) == "result.final"))).one()
    assert final.payload["reason"] == "objection_rejected"
    assert (await verify_chain(session)).ok


async def test_a_nonconforming_result_made_final_opens_a_rectification(
    client: httpx.AsyncClient, session: AsyncSession, notified: Notified
) -> None:
    objection = await file(client, notified)
    await decide(client, objection["id"], notified.organiser, decision="reject")
    rectification = (
        await session.exec(
            select(Rectification).where(col(Rectification.result_id) == notified.result.id)
        )
    ).one()
    assert rectification.enterprise_uscc == notified.drawn.enterprise.uscc


async def test_an_objection_is_decided_once(client: httpx.AsyncClient, notified: Notified) -> None:
    objection = await file(client, notified)
    assert (await decide(client, objection["id"], notified.organiser, decision="reject")).is_success
    again = await decide(client, objection["id"], notified.organiser, decision="retest")
    assert_problem(again, 409, "objection.decided")


async def test_only_the_organiser_decides(
    client: httpx.AsyncClient, session: AsyncSession, keys: Keys, notified: Notified
) -> None:
    objection = await file(client, notified)
    # The province sees the result (the organiser is inside Henan) but did not organise it.
    province = await keys.headers(Role.REGULATOR, department="scjg-410000")
    response = await decide(client, objection["id"], province, decision="reject")
    assert_problem(response, 403, "objection.not_organiser")
    # Wuhan cannot see it at all.
    wuhan = await keys.headers(Role.REGULATOR, department="scjg-420100")
    hidden = await decide(client, objection["id"], wuhan, decision="reject")
    assert_problem(hidden, 404, "objection.not_found")
    agency = await keys.headers(Role.AGENCY, agency=notified.drawn.agency.id)
    assert_problem(
        await decide(client, objection["id"], agency, decision="reject"),
        403,
        "auth.role_forbidden",
    )
    assert (await fresh(session, notified.result)).state == "objected"


async def test_an_admin_decides_too(
    client: httpx.AsyncClient, keys: Keys, notified: Notified
) -> None:
    objection = await file(client, notified)
    response = await decide(client, objection["id"], await keys.admin(), decision="reject")
    assert response.status_code == 200, response.text


@pytest.mark.parametrize(
    "body",
    [
        {"decision": "reject", "agency_id": "00000000-0000-4000-8000-000000000000"},
        {"decision": "approve"},
        {"decision": "retest", "reason": ""},
    ],
    ids=["reject-with-agency", "unknown-decision", "blank-reason"],
)
async def test_a_malformed_decision_is_refused(
    client: httpx.AsyncClient, notified: Notified, body: dict[str, Any]
) -> None:
    objection = await file(client, notified)
    response = await client.post(
        f"/api/v1/objections/{objection['id']}/decision",
        json={"reason": "理由", **body},
        headers=notified.organiser,
    )
    assert_problem(response, 422, "request.invalid")


async def test_the_regulator_finds_pending_objections(
    client: httpx.AsyncClient, notified: Notified
) -> None:
    objection = await file(client, notified)
    response = await client.get(
        "/api/v1/objections", params={"state": "pending"}, headers=notified.organiser
    )
    assert [o["id"] for o in response.json()["items"]] == [objection["id"]]
    decided = await client.get(
        "/api/v1/objections", params={"state": "rejected"}, headers=notified.organiser
    )
    assert decided.json()["items"] == []
