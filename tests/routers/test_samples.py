"""Sample registration and refusals through the API (rules §5, issue 4 point 1): the assigned
agency records what it took or that the enterprise refused; bad input is a problem with a code
and leaves nothing behind; the six-month rule is enforced at registration; and a task stops
being a secret from the enterprise and superior regulators once it is sampled or refused."""

from __future__ import annotations

import itertools
from datetime import date
from typing import Any

import httpx
import pytest
from sqlalchemy import func
from sqlmodel import SQLModel, col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models.agency import ConflictCreate, InspectorUpdate
from models.common import PlanKind
from models.plan import Sampling
from models.results import Event, Refusal, Sample
from models.system import AuditEntry, Role
from service.audit import verify_chain
from service.db import commit
from service.directory import inspectors
from tests.factories import (
    ADMIN,
    DrawnTask,
    Keys,
    assert_problem,
    make_agency,
    make_enterprise,
    make_inspector,
    make_sample,
    make_task,
)

TODAY = date(2026, 6, 1)
_numbers = itertools.count(1)


@pytest.fixture(autouse=True)
def fixed_today(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("service.clock.today", lambda: TODAY)


def sample_body(drawn: DrawnTask, **overrides: object) -> dict[str, Any]:
    return {
        "sample_number": f"CY2026-{next(_numbers):05d}",
        "sampled_on": "2026-05-20",
        "place_type": "production",
        "place_name": "企业成品库",
        "batch_number": "20260501",
        "production_date": "2026-05-01",
        "quantity_unit": "台",
        "inspection_quantity": 2,
        "backup_quantity": 2,
        "backup_holder": "郑州市产品质量检验检测中心",
        "sampler_ids": [str(i.id) for i in drawn.inspectors],
        **overrides,
    }


def purchase(**overrides: object) -> dict[str, Any]:
    return {
        "shop": "某电器京东旗舰店",
        "order_number": "JD2026052000123",
        "paying_account": "抽样专用账户 6222****0001",
        "delivery_address": "郑州市金水区花园路 21 号",
        "evidence": [{"ref": "evidence/2026/JD2026052000123.png", "sha256": "AB" * 32}],
        **overrides,
    }


def refusal_body(drawn: DrawnTask, **overrides: object) -> dict[str, Any]:
    return {
        "refused_on": "2026-05-20",
        "reason": "企业负责人拒绝抽样人员进入成品库",
        "evidence": [{"ref": "evidence/2026/refusal-video.mp4"}],
        "sampler_ids": [str(i.id) for i in drawn.inspectors],
        **overrides,
    }


def url(drawn: DrawnTask, what: str = "sample") -> str:
    return f"/api/v1/tasks/{drawn.task.id}/{what}"


async def lab(keys: Keys, drawn: DrawnTask) -> dict[str, str]:
    return await keys.headers(Role.AGENCY, agency=drawn.agency.id)


async def stored(session: AsyncSession) -> dict[str, int]:
    """How many rows a registration or refusal could have written."""
    tables: list[type[SQLModel]] = [Sample, Sampling, Refusal, Event, AuditEntry]
    counts = {}
    for table in tables:
        counts[table.__name__] = (await session.exec(select(func.count()).select_from(table))).one()
    return counts


async def task_and_plan_state(session: AsyncSession, drawn: DrawnTask) -> tuple[str, str]:
    await session.refresh(drawn.task)
    await session.refresh(drawn.plan)
    return drawn.task.state, drawn.plan.state


async def assert_refused_without_trace(
    client: httpx.AsyncClient,
    session: AsyncSession,
    drawn: DrawnTask,
    headers: dict[str, str],
    body: dict[str, Any],
    status: int,
    code: str,
    *,
    what: str = "sample",
) -> dict[str, Any]:
    before = (await stored(session), await task_and_plan_state(session, drawn))
    problem = assert_problem(
        await client.post(url(drawn, what), json=body, headers=headers), status, code
    )
    assert (await stored(session), await task_and_plan_state(session, drawn)) == before
    return problem


# --- registration ------------------------------------------------------------------------------


async def test_the_assigned_agency_registers_a_sample_the_task_closes_and_the_plan_starts(
    client: httpx.AsyncClient, session: AsyncSession, keys: Keys
) -> None:
    drawn = await make_task(session)
    body = sample_body(drawn)

    response = await client.post(url(drawn), json=body, headers=await lab(keys, drawn))

    assert response.status_code == 201, response.text
    sample = response.json()
    assert sample["task_id"] == str(drawn.task.id)
    assert sample["agency_id"] == str(drawn.agency.id)
    assert sample["sample_number"] == body["sample_number"]
    assert sample["sampler_ids"] == body["sampler_ids"]
    assert (sample["backup_quantity"], sample["e_commerce"]) == (2, None)
    assert await task_and_plan_state(session, drawn) == ("sampled", "in_progress")
    sampling = await session.get(Sampling, sample["sampling_id"])
    assert sampling is not None
    assert (sampling.task_id, sampling.sampled_on) == (drawn.task.id, date(2026, 5, 20))
    [event] = (
        await session.exec(select(Event).where(col(Event.type) == "sample.registered"))
    ).all()
    assert (event.entity_id, event.enterprise_uscc) == (sample["id"], drawn.enterprise.uscc)
    assert event.payload["task_id"] == str(drawn.task.id)
    assert (await verify_chain(session)).ok


async def test_the_sample_record_is_read_back_by_the_agency(
    client: httpx.AsyncClient, session: AsyncSession, keys: Keys
) -> None:
    drawn = await make_task(session)
    headers = await lab(keys, drawn)
    posted = await client.post(url(drawn), json=sample_body(drawn), headers=headers)

    read = await client.get(url(drawn), headers=headers)

    assert read.status_code == 200
    assert read.json() == posted.json()


async def test_an_online_sample_is_registered_with_its_order_and_evidence(
    client: httpx.AsyncClient, session: AsyncSession, keys: Keys
) -> None:
    drawn = await make_task(session)
    body = sample_body(drawn, place_type="e_commerce", e_commerce=purchase())

    response = await client.post(url(drawn), json=body, headers=await lab(keys, drawn))

    assert response.status_code == 201, response.text
    online = response.json()["e_commerce"]
    assert online["order_number"] == "JD2026052000123"
    assert online["evidence"] == [{"ref": "evidence/2026/JD2026052000123.png", "sha256": "ab" * 32}]


@pytest.mark.parametrize(
    ("e_commerce", "missing"),
    [
        (None, ["shop", "order_number", "paying_account", "delivery_address", "evidence"]),
        (purchase(evidence=[]), ["evidence"]),
        (
            {k: v for k, v in purchase().items() if k not in ("shop", "evidence")},
            ["shop", "evidence"],
        ),
    ],
    ids=["no-purchase", "no-evidence", "no-shop-no-evidence"],
)
async def test_an_online_sample_without_its_evidence_is_refused(
    client: httpx.AsyncClient,
    session: AsyncSession,
    keys: Keys,
    e_commerce: dict[str, Any] | None,
    missing: list[str],
) -> None:
    drawn = await make_task(session)
    body = sample_body(drawn, place_type="e_commerce", e_commerce=e_commerce)

    problem = await assert_refused_without_trace(
        client, session, drawn, await lab(keys, drawn), body, 422,
        "sample.e_commerce_evidence_missing",
    )  # fmt: skip

    assert problem["missing"] == missing
    assert await task_and_plan_state(session, drawn) == ("assigned", "drawn")


async def test_purchase_details_on_a_sample_taken_in_a_factory_are_refused(
    client: httpx.AsyncClient, session: AsyncSession, keys: Keys
) -> None:
    drawn = await make_task(session)
    body = sample_body(drawn, place_type="production", e_commerce=purchase())
    await assert_refused_without_trace(
        client, session, drawn, await lab(keys, drawn), body, 422, "sample.e_commerce_unexpected"
    )


async def test_an_unknown_task_is_not_found(
    client: httpx.AsyncClient, session: AsyncSession, keys: Keys
) -> None:
    drawn = await make_task(session)
    body = sample_body(drawn)
    response = await client.post(
        "/api/v1/tasks/00000000-0000-4000-8000-000000000000/sample",
        json=body,
        headers=await lab(keys, drawn),
    )
    assert_problem(response, 404, "task.not_found")


async def test_an_agency_not_assigned_to_the_task_cannot_even_tell_it_exists(
    client: httpx.AsyncClient, session: AsyncSession, keys: Keys
) -> None:
    drawn = await make_task(session)
    other = await make_agency(session)
    headers = await keys.headers(Role.AGENCY, agency=other.id)
    await assert_refused_without_trace(
        client, session, drawn, headers, sample_body(drawn), 404, "task.not_found"
    )
    assert_problem(await client.get(url(drawn), headers=headers), 404, "task.not_found")


@pytest.mark.parametrize("role", [Role.ADMIN, Role.REGULATOR, Role.ENTERPRISE, Role.DEPARTMENT])
async def test_only_an_agency_registers_samples(
    client: httpx.AsyncClient, session: AsyncSession, keys: Keys, role: Role
) -> None:
    drawn = await make_task(session)
    scope: dict[str, Any] = {
        Role.REGULATOR: {"department": drawn.plan.department_code},
        Role.ENTERPRISE: {"uscc": drawn.enterprise.uscc},
    }.get(role, {})
    headers = await keys.headers(role, **scope)
    for what, body in (("sample", sample_body(drawn)), ("refusal", refusal_body(drawn))):
        await assert_refused_without_trace(
            client, session, drawn, headers, body, 403, "auth.role_forbidden", what=what
        )


@pytest.mark.parametrize(
    ("period", "sampled_on", "code"),
    [
        ((date(2026, 5, 21), date(2026, 12, 31)), "2026-05-20", "sample.date_outside_plan"),
        ((date(2026, 1, 1), date(2026, 4, 30)), "2026-05-20", "sample.date_outside_plan"),
        ((date(2026, 1, 1), date(2026, 12, 31)), "2026-06-02", "sample.date_in_future"),
    ],
    ids=["before-the-plan-period", "after-the-plan-period", "in-the-future"],
)
async def test_a_sampling_date_outside_the_plan_period_or_in_the_future_is_refused(
    client: httpx.AsyncClient,
    session: AsyncSession,
    keys: Keys,
    period: tuple[date, date],
    sampled_on: str,
    code: str,
) -> None:
    drawn = await make_task(session, period_start=period[0], period_end=period[1])
    body = sample_body(drawn, sampled_on=sampled_on, production_date=None)
    await assert_refused_without_trace(
        client, session, drawn, await lab(keys, drawn), body, 422, code
    )


async def test_sampling_today_is_allowed(
    client: httpx.AsyncClient, session: AsyncSession, keys: Keys
) -> None:
    drawn = await make_task(session)
    body = sample_body(drawn, sampled_on=TODAY.isoformat())
    response = await client.post(url(drawn), json=body, headers=await lab(keys, drawn))
    assert response.status_code == 201, response.text


async def test_a_production_date_after_the_sampling_date_is_refused(
    client: httpx.AsyncClient, session: AsyncSession, keys: Keys
) -> None:
    drawn = await make_task(session)
    body = sample_body(drawn, production_date="2026-05-21")
    await assert_refused_without_trace(
        client, session, drawn, await lab(keys, drawn), body, 422,
        "sample.production_date_after_sampling",
    )  # fmt: skip


async def test_a_sample_without_a_backup_is_refused(
    client: httpx.AsyncClient, session: AsyncSession, keys: Keys
) -> None:
    drawn = await make_task(session)
    body = sample_body(drawn, backup_quantity=0)
    await assert_refused_without_trace(
        client, session, drawn, await lab(keys, drawn), body, 422, "request.invalid"
    )


@pytest.mark.parametrize(
    "samplers",
    ["one", "the-same-twice", "other-department", "unknown", "inactive", "conflicted"],
)
async def test_samplers_must_be_two_distinct_eligible_inspectors(
    client: httpx.AsyncClient, session: AsyncSession, keys: Keys, samplers: str
) -> None:
    drawn = await make_task(session)
    first, second = (str(i.id) for i in drawn.inspectors)
    if samplers == "one":
        ids = [first]
    elif samplers == "the-same-twice":
        ids = [first, first]
    elif samplers == "other-department":
        ids = [first, str((await make_inspector(session, department_code="scjg-410200")).id)]
    elif samplers == "unknown":
        ids = [first, "00000000-0000-4000-8000-000000000000"]
    elif samplers == "inactive":
        await inspectors.update_inspector(
            session, ADMIN, drawn.inspectors[1].id, InspectorUpdate(active=False)
        )
        await commit(session)
        ids = [first, second]
    else:
        await inspectors.declare_conflict(
            session,
            ADMIN,
            drawn.inspectors[1].id,
            ConflictCreate(enterprise_uscc=drawn.enterprise.uscc, reason="亲属在该企业任职"),
        )
        await commit(session)
        ids = [first, second]
    for what, body in (
        ("sample", sample_body(drawn, sampler_ids=ids)),
        ("refusal", refusal_body(drawn, sampler_ids=ids)),
    ):
        await assert_refused_without_trace(
            client, session, drawn, await lab(keys, drawn), body, 422, f"{what}.samplers",
            what=what,
        )  # fmt: skip


async def test_an_inspector_of_the_organisers_roster_who_was_not_drawn_may_sample(
    client: httpx.AsyncClient, session: AsyncSession, keys: Keys
) -> None:
    drawn = await make_task(session)
    stand_in = await make_inspector(session, department_code=drawn.plan.department_code)
    body = sample_body(drawn, sampler_ids=[str(drawn.inspectors[0].id), str(stand_in.id)])
    response = await client.post(url(drawn), json=body, headers=await lab(keys, drawn))
    assert response.status_code == 201, response.text


async def test_a_sample_number_is_used_once_per_agency(
    client: httpx.AsyncClient, session: AsyncSession, keys: Keys
) -> None:
    first = await make_task(session)
    second = await make_task(session, agency=first.agency)
    headers = await lab(keys, first)
    body = sample_body(first)
    assert (await client.post(url(first), json=body, headers=headers)).status_code == 201

    reused = sample_body(second, sample_number=body["sample_number"])
    await assert_refused_without_trace(
        client, session, second, headers, reused, 409, "sample.number_exists"
    )
    # Another agency numbers its own samples.
    third = await make_task(session)
    elsewhere = sample_body(third, sample_number=body["sample_number"])
    response = await client.post(url(third), json=elsewhere, headers=await lab(keys, third))
    assert response.status_code == 201, response.text


async def test_a_task_is_sampled_once(
    client: httpx.AsyncClient, session: AsyncSession, keys: Keys
) -> None:
    drawn = await make_task(session)
    headers = await lab(keys, drawn)
    assert (await client.post(url(drawn), json=sample_body(drawn), headers=headers)).is_success

    problem = await assert_refused_without_trace(
        client, session, drawn, headers, sample_body(drawn), 409, "task.not_open"
    )
    assert problem["state"] == "sampled"
    await assert_refused_without_trace(
        client, session, drawn, headers, refusal_body(drawn), 409, "task.not_open", what="refusal"
    )


# --- the six-month rule at registration --------------------------------------------------------


async def test_a_product_the_organiser_sampled_two_months_ago_is_locked(
    client: httpx.AsyncClient, session: AsyncSession, keys: Keys
) -> None:
    earlier = await make_task(session)
    await make_sample(session, earlier, sampled_on=date(2026, 3, 20))
    drawn = await make_task(session, product=earlier.product)

    problem = await assert_refused_without_trace(
        client, session, drawn, await lab(keys, drawn), sample_body(drawn), 409,
        "six_month_rule.locked",
    )  # fmt: skip

    assert problem["blocking"][0]["rule_id"] == "R2"
    assert problem["blocking"][0]["sampled_on"] == "2026-03-20"
    assert problem["locked_until"] == "2026-09-20"
    assert await task_and_plan_state(session, drawn) == ("assigned", "drawn")


async def test_a_follow_up_plan_may_sample_a_locked_product(
    client: httpx.AsyncClient, session: AsyncSession, keys: Keys
) -> None:
    earlier = await make_task(session)
    await make_sample(session, earlier, sampled_on=date(2026, 3, 20))
    drawn = await make_task(session, product=earlier.product, kind=PlanKind.FOLLOW_UP)

    response = await client.post(
        url(drawn), json=sample_body(drawn), headers=await lab(keys, drawn)
    )

    assert response.status_code == 201, response.text


# --- refusals ----------------------------------------------------------------------------------


async def test_a_refusal_is_recorded_with_its_evidence_and_becomes_a_credit_event(
    client: httpx.AsyncClient, session: AsyncSession, keys: Keys
) -> None:
    drawn = await make_task(session)
    headers = await lab(keys, drawn)

    response = await client.post(url(drawn, "refusal"), json=refusal_body(drawn), headers=headers)

    assert response.status_code == 201, response.text
    refusal = response.json()
    assert (refusal["enterprise_uscc"], refusal["refused_on"]) == (
        drawn.enterprise.uscc,
        "2026-05-20",
    )
    assert await task_and_plan_state(session, drawn) == ("refused", "in_progress")
    [event] = (await session.exec(select(Event).where(col(Event.type) == "task.refused"))).all()
    assert event.enterprise_uscc == drawn.enterprise.uscc
    assert event.payload["refusal_id"] == refusal["id"]
    assert event.payload["reason"] == "企业负责人拒绝抽样人员进入成品库"
    assert (event.payload["refused_on"], event.payload["evidence_count"]) == ("2026-05-20", 1)
    assert (await session.exec(select(func.count()).select_from(Sampling))).one() == 0
    assert (await client.get(url(drawn, "refusal"), headers=headers)).json() == refusal
    assert (await verify_chain(session)).ok


@pytest.mark.parametrize(
    ("overrides", "code"),
    [
        ({"evidence": []}, "refusal.evidence_missing"),
        ({"refused_on": "2026-06-02"}, "refusal.date_in_future"),
        ({"refused_on": "2025-12-31"}, "refusal.date_outside_plan"),
        ({"reason": "   "}, "request.invalid"),
    ],
    ids=["no-evidence", "in-the-future", "before-the-plan", "blank-reason"],
)
async def test_a_refusal_without_evidence_or_at_an_impossible_date_is_refused(
    client: httpx.AsyncClient,
    session: AsyncSession,
    keys: Keys,
    overrides: dict[str, Any],
    code: str,
) -> None:
    drawn = await make_task(session)
    body = refusal_body(drawn, **overrides)
    await assert_refused_without_trace(
        client, session, drawn, await lab(keys, drawn), body, 422, code, what="refusal"
    )


async def test_a_refused_task_cannot_be_sampled_afterwards(
    client: httpx.AsyncClient, session: AsyncSession, keys: Keys
) -> None:
    drawn = await make_task(session)
    headers = await lab(keys, drawn)
    await client.post(url(drawn, "refusal"), json=refusal_body(drawn), headers=headers)
    problem = await assert_refused_without_trace(
        client, session, drawn, headers, sample_body(drawn), 409, "task.not_open"
    )
    assert problem["state"] == "refused"
    assert_problem(await client.get(url(drawn), headers=headers), 404, "sample.not_found")


# --- who sees a task, before and after sampling --------------------------------------------------


async def test_the_enterprise_and_superior_regulators_see_a_task_only_once_it_is_sampled(
    client: httpx.AsyncClient, session: AsyncSession, keys: Keys
) -> None:
    drawn = await make_task(session)
    task_url = f"/api/v1/tasks/{drawn.task.id}"
    stranger = await make_enterprise(session)
    organiser = await keys.headers(Role.REGULATOR, department="scjg-410100")
    enterprise = await keys.headers(Role.ENTERPRISE, uscc=drawn.enterprise.uscc)
    province = await keys.headers(Role.REGULATOR, department="scjg-410000")
    nation = await keys.headers(Role.REGULATOR, department="samr-000000")
    sibling_city = await keys.headers(Role.REGULATOR, department="scjg-410200")
    other_province = await keys.headers(Role.REGULATOR, department="scjg-420000")
    other_enterprise = await keys.headers(Role.ENTERPRISE, uscc=stranger.uscc)
    hidden_after = (sibling_city, other_province, other_enterprise)

    assert (await client.get(task_url, headers=organiser)).status_code == 200
    assert_problem(await client.get(url(drawn), headers=organiser), 404, "sample.not_found")
    for headers in (enterprise, province, nation, *hidden_after):
        assert_problem(await client.get(task_url, headers=headers), 404, "task.not_found")
        assert_problem(await client.get(url(drawn), headers=headers), 404, "task.not_found")
    listed = await client.get("/api/v1/tasks", headers=enterprise)
    assert listed.json()["items"] == []

    sampled = await client.post(url(drawn), json=sample_body(drawn), headers=await lab(keys, drawn))
    assert sampled.status_code == 201

    for headers in (organiser, enterprise, province, nation):
        assert (await client.get(task_url, headers=headers)).status_code == 200
        assert (await client.get(url(drawn), headers=headers)).json() == sampled.json()
    listed = await client.get("/api/v1/tasks", headers=enterprise)
    assert [t["id"] for t in listed.json()["items"]] == [str(drawn.task.id)]
    for headers in hidden_after:
        assert_problem(await client.get(task_url, headers=headers), 404, "task.not_found")
        assert_problem(await client.get(url(drawn), headers=headers), 404, "task.not_found")
    department = await keys.headers(Role.DEPARTMENT, department="fgw-410000")
    assert_problem(await client.get(url(drawn), headers=department), 403, "auth.role_forbidden")


async def test_the_enterprise_sees_a_task_it_refused(
    client: httpx.AsyncClient, session: AsyncSession, keys: Keys
) -> None:
    drawn = await make_task(session)
    enterprise = await keys.headers(Role.ENTERPRISE, uscc=drawn.enterprise.uscc)
    refused = await client.post(
        url(drawn, "refusal"), json=refusal_body(drawn), headers=await lab(keys, drawn)
    )
    assert refused.status_code == 201

    assert (await client.get(f"/api/v1/tasks/{drawn.task.id}", headers=enterprise)).is_success
    assert (await client.get(url(drawn, "refusal"), headers=enterprise)).json() == refused.json()


async def test_a_task_whose_agency_lost_its_cma_cannot_be_sampled(
    client: httpx.AsyncClient, session: AsyncSession, keys: Keys, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("service.clock.today", lambda: date(2026, 6, 1))
    agency = await make_agency(session, valid_until=date(2026, 3, 1))
    drawn = await make_task(session, agency=agency)
    headers = await keys.headers(Role.AGENCY, agency=agency.id)
    body = {
        "sample_number": "CY-CMA-1",
        "sampled_on": "2026-05-04",
        "place_type": "production",
        "place_name": "成品库",
        "quantity_unit": "台",
        "inspection_quantity": 2,
        "backup_quantity": 2,
        "backup_holder": "企业",
        "sampler_ids": [str(i.id) for i in drawn.inspectors],
    }
    response = await client.post(
        f"/api/v1/tasks/{drawn.task.id}/sample", json=body, headers=headers
    )
    assert_problem(response, 409, "agency.cma_invalid")
