"""Whole lives of a sampled batch, through the HTTP API only:

1. draw → sample → report → notification → objection → re-test → final → published;
2. nonconforming → final when the window lapses → rectification → failed follow-up → provincial
   notice → second follow-up inside the 60–90-day window."""

from __future__ import annotations

from datetime import date
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from jobs.scheduler import job_named, run_job
from models.system import Role
from service.work_calendar import WorkCalendar
from tests.factories import (
    Keys,
    make_agency,
    make_enterprise,
    make_inspector,
    make_product,
    report_items,
)

ZHENGZHOU = "scjg-410100"


class Clock:
    """The business day the service sees; tests move it forward."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.day = date(2026, 3, 1)
        monkeypatch.setattr("service.clock.today", lambda: self.day)


async def _drawn_task(
    client: httpx.AsyncClient, session: AsyncSession, keys: Keys
) -> tuple[dict[str, Any], dict[str, str], list[str]]:
    enterprise = await make_enterprise(session, region_code="410105")
    await make_product(session, enterprise, category_code="0401")
    inspectors = [await make_inspector(session, department_code=ZHENGZHOU) for _ in range(2)]
    await make_agency(session, scope=["04"])
    await make_agency(session, scope=["04"])
    regulator = await keys.headers(Role.REGULATOR, department=ZHENGZHOU)
    plan = await client.post(
        "/api/v1/plans",
        headers=regulator,
        json={
            "title": "2026年郑州市电冰箱产品质量监督抽查",
            "kind": "routine",
            "period_start": "2026-03-01",
            "period_end": "2026-08-31",
            "quotas": [{"category_code": "0401", "quota": 1}],
        },
    )
    plan_id = plan.json()["id"]
    await client.post(f"/api/v1/plans/{plan_id}/publish", headers=regulator)
    draw = (await client.post(f"/api/v1/plans/{plan_id}/draws", headers=regulator)).json()
    executed = await client.post(f"/api/v1/draws/{draw['id']}/execute", headers=regulator)
    assert executed.status_code == 200, executed.text
    [task] = (
        await client.get("/api/v1/tasks", params={"plan_id": plan_id}, headers=regulator)
    ).json()["items"]
    return task, regulator, [str(i.id) for i in inspectors]


async def _sample(
    client: httpx.AsyncClient, keys: Keys, task: dict[str, Any], samplers: list[str], on: str
) -> dict[str, str]:
    agency = await keys.headers(Role.AGENCY, agency=task["agency_id"])
    sample = await client.post(
        f"/api/v1/tasks/{task['id']}/sample",
        headers=agency,
        json={
            "sample_number": f"CY-{task['id'][:8]}",
            "sampled_on": on,
            "place_type": "production",
            "place_name": "企业成品库",
            "batch_number": "20260301",
            "quantity_unit": "台",
            "inspection_quantity": 2,
            "backup_quantity": 2,
            "backup_holder": "企业",
            "sampler_ids": samplers,
        },
    )
    assert sample.status_code == 201, sample.text
    return agency


async def _report(
    client: httpx.AsyncClient, agency: dict[str, str], body: dict[str, Any]
) -> dict[str, Any]:
    response = await client.post("/api/v1/reports", headers=agency, json=body)
    assert response.status_code == 201, response.text
    report: dict[str, Any] = response.json()
    return report


async def _only_result(
    client: httpx.AsyncClient, headers: dict[str, str], **params: str
) -> dict[str, Any]:
    results = (await client.get("/api/v1/results", params=params, headers=headers)).json()
    [result] = results["items"]
    return dict(result)


async def test_an_objection_leads_to_a_retest_whose_verdict_is_final_and_published(
    client: httpx.AsyncClient, session: AsyncSession, keys: Keys, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = Clock(monkeypatch)
    task, regulator, samplers = await _drawn_task(client, session, keys)

    clock.day = date(2026, 4, 1)
    agency = await _sample(client, keys, task, samplers, "2026-04-01")

    clock.day = date(2026, 4, 10)
    await _report(
        client,
        agency,
        {
            "task_id": task["id"],
            "report_number": "BG-2026-0001",
            "issued_on": "2026-04-10",
            "items": report_items(failing=1),
        },
    )
    enterprise = await keys.headers(Role.ENTERPRISE, uscc=task["enterprise_uscc"])
    [mine] = (await client.get("/api/v1/me/results", headers=enterprise)).json()["items"]
    assert mine["verdict"] == "nonconforming"
    assert mine["notified_on"] == "2026-04-10"
    assert (
        mine["objection_window_ends_on"]
        == WorkCalendar().period_end(date(2026, 4, 10), 15).isoformat()
    )

    clock.day = date(2026, 4, 15)
    objection = await client.post(
        f"/api/v1/results/{mine['id']}/objections",
        headers=enterprise,
        json={"disputed_items": ["耗电量"], "reason": "测试方法有误"},
    )
    assert objection.status_code == 201, objection.text
    decided = await client.post(
        f"/api/v1/objections/{objection.json()['id']}/decision",
        headers=regulator,
        json={"decision": "retest", "reason": "同意复检"},
    )
    assert decided.status_code == 200, decided.text
    [retest] = (await client.get("/api/v1/retests", headers=regulator)).json()["items"]
    assert retest["agency_id"] != task["agency_id"]

    clock.day = date(2026, 4, 25)
    retest_agency = await keys.headers(Role.AGENCY, agency=retest["agency_id"])
    await _report(
        client,
        retest_agency,
        {
            "retest_id": retest["id"],
            "report_number": "FJ-2026-0001",
            "issued_on": "2026-04-25",
            "items": [{**report_items()[0]}],
        },
    )
    result = (await client.get(f"/api/v1/results/{mine['id']}", headers=regulator)).json()
    assert result["state"] == "final"
    assert result["verdict"] == "conforming"
    assert result["fee_bearer"] == "organiser"
    assert result["report_id"] != result["original_report_id"]
    public = (
        await client.get(
            "/api/v1/public/results", params={"enterprise_uscc": task["enterprise_uscc"]}
        )
    ).json()
    assert [(p["verdict"], p["published_on"]) for p in public["items"]] == [
        ("conforming", "2026-04-25")
    ]


async def test_a_failed_follow_up_leads_to_a_provincial_notice_and_a_second_follow_up(
    client: httpx.AsyncClient,
    session: AsyncSession,
    keys: Keys,
    sessionmaker: async_sessionmaker[AsyncSession],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    clock = Clock(monkeypatch)
    task, regulator, samplers = await _drawn_task(client, session, keys)

    async def finalise() -> str:
        return await run_job(sessionmaker, job_named("results.finalise_lapsed"))

    clock.day = date(2026, 4, 1)
    agency = await _sample(client, keys, task, samplers, "2026-04-01")
    clock.day = date(2026, 4, 10)
    await _report(
        client,
        agency,
        {
            "task_id": task["id"],
            "report_number": "BG-2026-0002",
            "issued_on": "2026-04-10",
            "items": report_items(failing=1, serious=True),
        },
    )

    clock.day = date(2026, 5, 6)
    assert await finalise() == "ok"
    result = await _only_result(client, regulator, plan_id=task["plan_id"])
    assert result["state"] == "final"
    [rectification] = (await client.get("/api/v1/rectifications", headers=regulator)).json()[
        "items"
    ]
    assert rectification["state"] == "ordered"
    # The final nonconforming result (a serious item failed) reached the credit file at once.
    credit = (
        await client.get(f"/api/v1/enterprises/{task['enterprise_uscc']}/credit", headers=regulator)
    ).json()
    assert credit["score"] == credit["base"] - 15
    assert sum(entry["points"] for entry in credit["explanation"]) == -15

    clock.day = date(2026, 6, 1)
    scheduled = await client.post(
        f"/api/v1/rectifications/{rectification['id']}/follow-up",
        headers=regulator,
        json={"agency_id": task["agency_id"], "inspector_ids": samplers},
    )
    assert scheduled.status_code == 201, scheduled.text
    follow_up_task = scheduled.json()["follow_up_task_id"]

    # The same department sampled this product two months ago: only the follow_up kind lets it.
    clock.day = date(2026, 6, 3)
    follow_up = {"id": follow_up_task, "agency_id": task["agency_id"]}
    agency = await _sample(client, keys, follow_up, samplers, "2026-06-03")
    clock.day = date(2026, 6, 8)
    await _report(
        client,
        agency,
        {
            "task_id": follow_up_task,
            "report_number": "BG-2026-0003",
            "issued_on": "2026-06-08",
            "items": report_items(failing=2),
        },
    )
    clock.day = date(2026, 7, 1)
    assert await finalise() == "ok"
    noticed = (
        await client.get(f"/api/v1/rectifications/{rectification['id']}", headers=regulator)
    ).json()
    assert noticed["state"] == "noticed"
    assert noticed["notice_department_code"] == "scjg-410000"
    window = (
        date.fromisoformat(noticed["second_follow_up_from"]),
        date.fromisoformat(noticed["second_follow_up_until"]),
    )
    assert (window[0] - date(2026, 7, 1)).days == 60

    clock.day = window[0]
    second = await client.post(
        f"/api/v1/rectifications/{rectification['id']}/follow-up",
        headers=regulator,
        json={
            "agency_id": task["agency_id"],
            "inspector_ids": samplers,
            "planned_on": window[0].isoformat(),
        },
    )
    assert second.status_code == 201, second.text
    assert second.json()["state"] == "second_follow_up"
