"""The full credit file read in one statement (`service.credit.file_document`) says exactly what
the response models say (`service.credit.file.credit_file`): field for field, for every event type,
a corrected event, an event out of its publication period, a past day, and a day before the
enterprise's first recorded score."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import httpx
import pytest
from sqlmodel.ext.asyncio.session import AsyncSession

from models.system import Role
from service.auth import system_principal
from service.credit import file, file_document
from service.errors import Forbidden, NotFound
from tests.factories import Keys, make_enterprise

API = "/api/v1"
ADMIN = system_principal("test")
POSTED_ON = date(2026, 5, 25)
TODAY = date(2026, 6, 1)

EVENTS: list[dict[str, Any]] = [
    {"type": "administrative_penalty", "severity": "heavier", "penalty_kind": "fine"},
    {"type": "administrative_penalty", "severity": "other", "penalty_kind": "warning"},
    {"type": "verified_complaint"},
    {"type": "mandatory_recall"},
    {"type": "award"},
    {"type": "certification"},
]


async def same_file(session: AsyncSession, uscc: str, as_of: date | None) -> dict[str, Any]:
    fast: dict[str, Any] = json.loads(
        await file_document.credit_file_json(session, ADMIN, uscc, as_of=as_of, today=TODAY)
    )
    model = await file.credit_file(session, ADMIN, uscc, as_of=as_of, today=TODAY)
    assert fast == model.model_dump(mode="json")
    return fast


async def test_the_one_statement_file_equals_the_model_file_on_every_day(
    client: httpx.AsyncClient,
    session: AsyncSession,
    keys: Keys,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    enterprise = await make_enterprise(session, name="郑州一致性测试电器有限公司")
    await session.commit()
    regulator = await keys.headers(Role.REGULATOR, department="scjg-410100")
    own = await keys.headers(Role.ENTERPRISE, uscc=enterprise.uscc)

    monkeypatch.setattr("service.clock.today", lambda: POSTED_ON)
    posted = []
    for n, event in enumerate(EVENTS):
        response = await client.post(
            f"{API}/enterprises/{enterprise.uscc}/credit-events",
            json={
                "occurred_on": f"2026-0{1 + n % 5}-1{n}",
                "reference": f"一致性-{n}",
                "summary": '摘要 "引号" 与 \\ 反斜杠',
                **event,
            },
            headers=regulator,
        )
        assert response.status_code == 201, response.text
        posted.append(response.json())
    old = await client.post(
        f"{API}/enterprises/{enterprise.uscc}/credit-events",
        json={"type": "verified_complaint", "occurred_on": "2021-01-04", "reference": "旧投诉"},
        headers=regulator,
    )
    assert old.status_code == 201, old.text

    monkeypatch.setattr("service.clock.today", lambda: TODAY)
    complaint = next(e for e in posted if e["type"] == "verified_complaint")
    objection = await client.post(
        f"{API}/credit-events/{complaint['id']}/objections",
        json={"reason": "投诉对象并非本企业产品", "evidence": ["evidence/invoice.pdf"]},
        headers=own,
    )
    assert objection.status_code == 201, objection.text
    decided = await client.post(
        f"{API}/credit-objections/{objection.json()['id']}/decision",
        json={"decision": "correct", "reason": "经核查，投诉对象为同名企业"},
        headers=regulator,
    )
    assert decided.status_code == 200, decided.text

    today = await same_file(session, enterprise.uscc, None)
    statuses = {e["reference"]: (e["status"], e["published"]) for e in today["events"]}
    assert statuses["一致性-2"] == ("corrected", True)
    assert statuses["旧投诉"] == ("counting", False)
    assert {e["type"] for e in today["events"]} >= {e["type"] for e in EVENTS}
    assert today["explanation"]
    assert today["computed_at"].endswith("Z")

    before_correction = await same_file(session, enterprise.uscc, date(2026, 5, 28))
    assert {e["reference"]: e["status"] for e in before_correction["events"]}["一致性-2"] == (
        "counting"
    )
    # Before the first recorded score the answer is the model applied to that day's file.
    empty = await same_file(session, enterprise.uscc, date(2024, 1, 1))
    assert (empty["events"], empty["valid_from"]) == ([], None)

    over_http = await client.get(f"{API}/enterprises/{enterprise.uscc}/credit", headers=regulator)
    assert over_http.headers["content-type"] == "application/json"
    assert over_http.json() == today


async def test_enterprise_keys_learn_nothing_from_the_full_file(session: AsyncSession) -> None:
    mine, other = await make_enterprise(session), await make_enterprise(session)
    await session.commit()
    principal = ADMIN.__class__(role=Role.ENTERPRISE, name="e", enterprise_uscc=mine.uscc)
    with pytest.raises(NotFound):
        await file_document.credit_file_json(
            session, principal, other.uscc, as_of=None, today=TODAY
        )
    with pytest.raises(Forbidden):
        await file_document.credit_file_json(
            session, principal, mine.uscc.lower(), as_of=None, today=TODAY
        )
    with pytest.raises(NotFound):
        await file_document.credit_file_json(
            session, ADMIN, "91410100MA00000000", as_of=None, today=TODAY
        )
