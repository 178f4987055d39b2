"""Sampling plans: creation with quotas, the state machine, and the bad inputs that must be a
problem, not a half-created plan."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlmodel import func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models.plan import Plan
from models.system import Role
from tests.factories import Keys

ZHENGZHOU = "scjg-410100"


def plan_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "title": "2026年郑州市家用电器产品质量监督抽查",
        "kind": "routine",
        "period_start": "2026-12-01",
        "period_end": "2027-03-31",
        "quotas": [{"category_code": "0401", "quota": 5}, {"category_code": "0402", "quota": 3}],
    }
    body.update(overrides)
    return body


async def test_a_municipal_regulator_creates_a_plan_for_its_own_department(
    client: httpx.AsyncClient, keys: Keys
) -> None:
    headers = await keys.headers(Role.REGULATOR, department=ZHENGZHOU)
    response = await client.post("/api/v1/plans", json=plan_body(), headers=headers)
    assert response.status_code == 201, response.text
    plan = response.json()
    assert plan["department_code"] == ZHENGZHOU
    assert plan["level"] == "municipal"
    assert plan["region_code"] == "410100"
    assert plan["state"] == "draft"
    assert [q["category_code"] for q in plan["quotas"]] == ["0401", "0402"]


async def test_the_plan_state_machine_allows_publish_then_close_but_not_publish_again(
    client: httpx.AsyncClient, keys: Keys
) -> None:
    headers = await keys.headers(Role.REGULATOR, department=ZHENGZHOU)
    plan = (await client.post("/api/v1/plans", json=plan_body(), headers=headers)).json()
    published = await client.post(f"/api/v1/plans/{plan['id']}/publish", headers=headers)
    assert published.json()["state"] == "published"
    assert published.json()["published_at"] is not None
    again = await client.post(f"/api/v1/plans/{plan['id']}/publish", headers=headers)
    assert again.status_code == 409
    assert again.json()["code"] == "plan.invalid_transition"
    closed = await client.post(f"/api/v1/plans/{plan['id']}/close", headers=headers)
    assert closed.json()["state"] == "closed"
    reopened = await client.post(f"/api/v1/plans/{plan['id']}/publish", headers=headers)
    assert reopened.status_code == 409


async def test_only_the_organiser_changes_a_plan(client: httpx.AsyncClient, keys: Keys) -> None:
    own = await keys.headers(Role.REGULATOR, department=ZHENGZHOU)
    plan = (await client.post("/api/v1/plans", json=plan_body(), headers=own)).json()
    province = await keys.headers(Role.REGULATOR, department="scjg-410000")
    response = await client.post(f"/api/v1/plans/{plan['id']}/publish", headers=province)
    assert response.status_code == 403
    assert response.json()["code"] == "plan.not_organiser"
    other_city = await keys.headers(Role.REGULATOR, department="scjg-410200")
    hidden = await client.get(f"/api/v1/plans/{plan['id']}", headers=other_city)
    assert hidden.status_code == 404


@pytest.mark.parametrize(
    ("overrides", "code"),
    [
        ({"quotas": [{"category_code": "9999", "quota": 1}]}, "category.unknown"),
        ({"period_start": "2027-04-01", "period_end": "2027-03-01"}, "plan.empty_period"),
        ({"region_code": "410200"}, "plan.region_outside_department"),
        ({"region_code": "999999"}, "region.unknown"),
        (
            {
                "quotas": [
                    {"category_code": "04", "quota": 2},
                    {"category_code": "0401", "quota": 1},
                ]
            },
            "plan.quota_overlap",
        ),
        (
            {"quotas": [{"category_code": "0401", "region_code": "420100", "quota": 1}]},
            "plan.quota_region_outside",
        ),
        ({"quotas": [{"category_code": "0401", "quota": 0}]}, "request.invalid"),
        ({"quotas": []}, "request.invalid"),
        ({"kind": "complaint"}, "request.invalid"),
        ({"department_code": "scjg-410000"}, "plan.not_organiser"),
    ],
)
async def test_bad_plans_are_refused_and_nothing_is_created(
    client: httpx.AsyncClient,
    session: AsyncSession,
    keys: Keys,
    overrides: dict[str, Any],
    code: str,
) -> None:
    headers = await keys.headers(Role.REGULATOR, department=ZHENGZHOU)
    response = await client.post("/api/v1/plans", json=plan_body(**overrides), headers=headers)
    assert 400 <= response.status_code < 500
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == code
    assert (await session.exec(select(func.count()).select_from(Plan))).one() == 0


async def test_quotas_per_region_inside_the_plan_region_are_separate_strata(
    client: httpx.AsyncClient, keys: Keys
) -> None:
    headers = await keys.headers(Role.REGULATOR, department="scjg-410000")
    body = plan_body(
        quotas=[
            {"category_code": "0401", "region_code": "410100", "quota": 2},
            {"category_code": "0401", "region_code": "410200", "quota": 2},
        ]
    )
    response = await client.post("/api/v1/plans", json=body, headers=headers)
    assert response.status_code == 201, response.text
    assert response.json()["level"] == "provincial"


async def test_plans_are_listed_by_state(client: httpx.AsyncClient, keys: Keys) -> None:
    headers = await keys.headers(Role.REGULATOR, department=ZHENGZHOU)
    first = (await client.post("/api/v1/plans", json=plan_body(), headers=headers)).json()
    await client.post("/api/v1/plans", json=plan_body(title="第二个"), headers=headers)
    await client.post(f"/api/v1/plans/{first['id']}/publish", headers=headers)
    listed = await client.get("/api/v1/plans", params={"state": "published"}, headers=headers)
    assert [p["id"] for p in listed.json()["items"]] == [first["id"]]
