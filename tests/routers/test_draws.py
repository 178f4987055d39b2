"""The verifiable double-random draw through the API: commit publishes the pool hash and the
seed commitment, execute reveals the seed and creates the tasks, and anyone holding the export
can reproduce the selection — while a tampered pool or seed is caught."""

from __future__ import annotations

import gzip
import hashlib
import json
import subprocess
import sys
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlmodel.ext.asyncio.session import AsyncSession

from models.agency import ConflictCreate, Inspector, TestingAgency
from models.common import PlanKind
from models.enterprise import Product, ProductUpdate
from models.system import Role
from service.db import commit
from service.directory import inspectors, products
from service.eligibility import register_sampling
from tests.factories import ADMIN, Keys, make_agency, make_enterprise, make_inspector, make_product

ZHENGZHOU = "scjg-410100"
ROOT = Path(__file__).resolve().parents[2]


@dataclass
class World:
    products: list[Product]
    inspectors: list[Inspector]
    agencies: list[TestingAgency]
    headers: dict[str, str]


async def world(session: AsyncSession, keys: Keys, *, n: int = 12, n_inspectors: int = 3) -> World:
    made = []
    for i in range(n):
        enterprise = await make_enterprise(
            session, region_code=("410102", "410103", "410105")[i % 3]
        )
        made.append(await make_product(session, enterprise, category_code="0401"))
    staff = [await make_inspector(session, department_code=ZHENGZHOU) for _ in range(n_inspectors)]
    labs = [await make_agency(session, scope=["04"]), await make_agency(session, scope=["04"])]
    return World(made, staff, labs, await keys.headers(Role.REGULATOR, department=ZHENGZHOU))


async def published_plan(
    client: httpx.AsyncClient, headers: dict[str, str], quotas: list[dict[str, Any]] | None = None
) -> str:
    body = {
        "title": "2026年冬季电冰箱专项抽查",
        "kind": "special",
        "period_start": "2026-12-01",
        "period_end": "2027-03-31",
        "quotas": quotas or [{"category_code": "0401", "quota": 5}],
    }
    plan = await client.post("/api/v1/plans", json=body, headers=headers)
    assert plan.status_code == 201, plan.text
    await client.post(f"/api/v1/plans/{plan.json()['id']}/publish", headers=headers)
    return str(plan.json()["id"])


async def committed_draw(
    client: httpx.AsyncClient, headers: dict[str, str], plan_id: str
) -> dict[str, Any]:
    committed = await client.post(f"/api/v1/plans/{plan_id}/draws", headers=headers)
    assert committed.status_code == 201, committed.text
    result: dict[str, Any] = committed.json()
    return result


async def drawn(client: httpx.AsyncClient, headers: dict[str, str], plan_id: str) -> dict[str, Any]:
    committed = await committed_draw(client, headers, plan_id)
    executed = await client.post(f"/api/v1/draws/{committed['id']}/execute", headers=headers)
    assert executed.status_code == 200, executed.text
    result: dict[str, Any] = executed.json()
    return result


async def test_a_commit_publishes_hashes_and_keeps_the_seed_secret_until_execution(
    client: httpx.AsyncClient, session: AsyncSession, keys: Keys
) -> None:
    w = await world(session, keys)
    plan_id = await published_plan(client, w.headers)
    committed = (await client.post(f"/api/v1/plans/{plan_id}/draws", headers=w.headers)).json()
    assert committed["seed"] is None
    assert len(committed["pool_hash"]) == 64
    assert committed["pool_size"] == 12
    assert committed["state"] == "committed"
    executed = await client.post(f"/api/v1/draws/{committed['id']}/execute", headers=w.headers)
    record = executed.json()
    assert hashlib.sha256(bytes.fromhex(record["seed"])).hexdigest() == record["seed_commitment"]
    assert record["seed_commitment"] == committed["seed_commitment"]
    assert record["pool_hash"] == committed["pool_hash"]
    assert len(record["selections"]) == 5
    assert record["algorithm_version"] == "draw/1"


async def test_execution_creates_one_task_per_selection_with_two_inspectors_and_a_scoped_agency(
    client: httpx.AsyncClient, session: AsyncSession, keys: Keys
) -> None:
    w = await world(session, keys)
    plan_id = await published_plan(client, w.headers)
    record = await drawn(client, w.headers, plan_id)
    tasks = (
        await client.get("/api/v1/tasks", params={"plan_id": plan_id}, headers=w.headers)
    ).json()
    assert len(tasks["items"]) == 5
    agencies = {str(a.id) for a in w.agencies}
    for task in tasks["items"]:
        assert len(set(task["inspector_ids"])) >= 2
        assert task["agency_id"] in agencies
        assert task["state"] == "assigned"
    assert {t["product_id"] for t in tasks["items"]} == {
        s["product_id"] for s in record["selections"]
    }
    plan = (await client.get(f"/api/v1/plans/{plan_id}", headers=w.headers)).json()
    assert plan["state"] == "drawn"


async def test_a_draw_executes_once_and_a_plan_has_one_draw(
    client: httpx.AsyncClient, session: AsyncSession, keys: Keys
) -> None:
    w = await world(session, keys)
    plan_id = await published_plan(client, w.headers)
    record = await drawn(client, w.headers, plan_id)
    again = await client.post(f"/api/v1/draws/{record['id']}/execute", headers=w.headers)
    assert again.status_code == 409
    assert again.json()["code"] == "draw.already_executed"
    second = await client.post(f"/api/v1/plans/{plan_id}/draws", headers=w.headers)
    assert second.status_code == 409
    assert second.json()["code"] == "draw.plan_not_published"


async def test_the_next_pool_records_each_enterprises_previous_inspectors_and_agency(
    client: httpx.AsyncClient, session: AsyncSession, keys: Keys
) -> None:
    w = await world(session, keys)
    first = await drawn(client, w.headers, await published_plan(client, w.headers))
    second = await drawn(client, w.headers, await published_plan(client, w.headers))
    export = (await client.get(f"/api/v1/draws/{second['id']}/export", headers=w.headers)).json()
    # Candidates are the first draw's too (special plans are exempt from the six-month rule).
    expected = sorted(
        [s["enterprise_uscc"], sorted(s["inspector_ids"]), s["agency_id"]]
        for s in first["selections"]
    )
    assert export["pool"]["history"] == expected


async def test_a_draft_plan_cannot_be_drawn(
    client: httpx.AsyncClient, session: AsyncSession, keys: Keys
) -> None:
    w = await world(session, keys, n=2)
    body = {
        "title": "草稿",
        "kind": "routine",
        "period_start": "2026-12-01",
        "period_end": "2026-12-31",
        "quotas": [{"category_code": "0401", "quota": 1}],
    }
    plan = (await client.post("/api/v1/plans", json=body, headers=w.headers)).json()
    response = await client.post(f"/api/v1/plans/{plan['id']}/draws", headers=w.headers)
    assert response.status_code == 409
    assert response.json()["code"] == "draw.plan_not_published"


async def test_the_stored_draw_verifies_and_the_stand_alone_script_reproduces_the_export(
    client: httpx.AsyncClient, session: AsyncSession, keys: Keys, tmp_path: Path
) -> None:
    w = await world(session, keys)
    plan_id = await published_plan(client, w.headers)
    record = await drawn(client, w.headers, plan_id)
    verified = await client.get(f"/api/v1/draws/{record['id']}/verify", headers=w.headers)
    assert verified.json() == {"draw_id": record["id"], "ok": True, "first_difference": None}

    export = (await client.get(f"/api/v1/draws/{record['id']}/export", headers=w.headers)).json()
    genuine = tmp_path / "draw.json"
    genuine.write_text(json.dumps(export, ensure_ascii=False), encoding="utf-8")
    assert _verify_file(genuine).returncode == 0

    tampered_seed = dict(export, seed="0" * 64)
    assert _verify_file(_write(tmp_path / "seed.json", tampered_seed)).returncode == 1

    pool = json.loads(json.dumps(export["pool"]))
    pool["weights"]["B"] = 3
    tampered_pool = dict(export, pool=pool)
    result = _verify_file(_write(tmp_path / "pool.json", tampered_pool))
    assert result.returncode == 1
    assert "pool" in result.stdout.lower()


def _write(path: Path, document: dict[str, Any]) -> Path:
    path.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    return path


def _verify_file(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 - our own module on our own file
        [sys.executable, "-m", "service.draw", "verify", str(path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )


async def test_locked_inactive_conflicted_and_unscoped_candidates_are_excluded_with_reasons(
    client: httpx.AsyncClient, session: AsyncSession, keys: Keys
) -> None:
    w = await world(session, keys, n=6, n_inspectors=2)
    locked, inactive, conflicted = w.products[0], w.products[1], w.products[2]
    await register_sampling(
        session,
        actor="test",
        product_id=locked.id,
        department_code=ZHENGZHOU,
        sampled_on=date(2026, 11, 1),
        plan_kind=PlanKind.ROUTINE,
    )
    await products.update_product(session, ADMIN, inactive.id, ProductUpdate(active=False))
    await inspectors.declare_conflict(
        session,
        ADMIN,
        w.inspectors[0].id,
        ConflictCreate(enterprise_uscc=conflicted.enterprise_uscc, reason="亲属在该企业任职"),
    )
    await commit(session)
    # A 05 stratum with no agency whose scope covers it.
    enterprise = await make_enterprise(session)
    unscoped = await make_product(session, enterprise, category_code="0501")
    ids = {
        "locked": str(locked.id),
        "inactive": str(inactive.id),
        "conflicted": str(conflicted.id),
        "unscoped": str(unscoped.id),
    }

    plan_id = await published_plan(
        client,
        w.headers,
        [{"category_code": "0401", "quota": 10}, {"category_code": "0501", "quota": 1}],
    )
    record = await drawn(client, w.headers, plan_id)
    reasons = {e["product_id"]: e for e in record["exclusions"]}
    assert reasons[ids["locked"]]["reason"] == "six_month_rule"
    assert reasons[ids["locked"]]["detail"]["rule_id"] == "R2"
    assert reasons[ids["inactive"]]["reason"] == "inactive"
    assert reasons[ids["conflicted"]]["reason"] == "conflict_of_interest"
    assert reasons[ids["unscoped"]]["reason"] == "agency_scope"
    selected = {s["product_id"] for s in record["selections"]}
    assert selected.isdisjoint(ids.values())
    assert len(selected) == 3
    shortfalls = {s["stratum"]: s for s in record["shortfalls"]}
    assert shortfalls["0401|*"]["quota"] == 10
    assert shortfalls["0401|*"]["selected"] == 3


async def test_tasks_are_hidden_from_everyone_but_the_organiser_and_the_assigned_agency(
    client: httpx.AsyncClient, session: AsyncSession, keys: Keys
) -> None:
    w = await world(session, keys)
    plan_id = await published_plan(client, w.headers)
    await drawn(client, w.headers, plan_id)
    organiser_view = (await client.get("/api/v1/tasks", headers=w.headers)).json()["items"]
    by_agency: dict[str, int] = {}
    for task in organiser_view:
        by_agency[task["agency_id"]] = by_agency.get(task["agency_id"], 0) + 1
    for agency in w.agencies:
        own = await keys.headers(Role.AGENCY, agency=agency.id)
        seen = (await client.get("/api/v1/tasks", headers=own)).json()["items"]
        assert len(seen) == by_agency.get(str(agency.id), 0)
    superior = await keys.headers(Role.REGULATOR, department="scjg-410000")
    assert (await client.get("/api/v1/tasks", headers=superior)).json()["items"] == []
    task_id = organiser_view[0]["id"]
    hidden = await client.get(f"/api/v1/tasks/{task_id}", headers=superior)
    assert hidden.status_code == 404
    enterprise = await keys.headers(Role.ENTERPRISE, uscc=organiser_view[0]["enterprise_uscc"])
    assert (await client.get("/api/v1/tasks", headers=enterprise)).json()["items"] == []


@pytest.mark.parametrize("path", ["/api/v1/draws/{id}", "/api/v1/draws/{id}/verify"])
async def test_unknown_draws_are_404(client: httpx.AsyncClient, keys: Keys, path: str) -> None:
    response = await client.get(
        path.format(id="00000000-0000-4000-8000-000000000000"), headers=await keys.admin()
    )
    assert response.status_code == 404
    assert response.json()["code"] == "draw.not_found"


async def _stored_pool(session: AsyncSession, draw_id: str) -> bytes:
    connection = await session.connection()
    blob = await connection.scalar(
        text("SELECT pool_gz FROM draws WHERE id = :id"), {"id": draw_id}
    )
    assert isinstance(blob, bytes)
    return blob


async def _store_pool(session: AsyncSession, draw_id: str, blob: bytes) -> None:
    connection = await session.connection()
    await connection.execute(
        text("UPDATE draws SET pool_gz = :blob WHERE id = :id"), {"blob": blob, "id": draw_id}
    )
    await commit(session)


async def test_a_pool_altered_in_the_database_after_commit_is_refused_at_execution(
    client: httpx.AsyncClient, session: AsyncSession, keys: Keys
) -> None:
    # Execution trusts the stored pool only because it hashes to the published pool hash.
    w = await world(session, keys)
    plan_id = await published_plan(client, w.headers)
    committed = await committed_draw(client, w.headers, plan_id)
    document = json.loads(gzip.decompress(await _stored_pool(session, committed["id"])))
    document["candidates"][0][4] = "D"  # a riskier class: drawn more often
    altered = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    await _store_pool(session, committed["id"], gzip.compress(altered.encode()))

    response = await client.post(f"/api/v1/draws/{committed['id']}/execute", headers=w.headers)

    assert response.status_code == 409
    assert response.json()["code"] == "draw.pool_corrupted"
    tasks = await client.get("/api/v1/tasks", params={"plan_id": plan_id}, headers=w.headers)
    assert tasks.json()["items"] == []


async def test_a_pool_gzipped_in_two_zlib_members_by_an_earlier_version_still_executes(
    client: httpx.AsyncClient, session: AsyncSession, keys: Keys
) -> None:
    w = await world(session, keys)
    plan_id = await published_plan(client, w.headers)
    committed = await committed_draw(client, w.headers, plan_id)
    pool = gzip.decompress(await _stored_pool(session, committed["id"]))
    middle = len(pool) // 2
    older = gzip.compress(pool[:middle], mtime=0) + gzip.compress(pool[middle:], mtime=0)
    await _store_pool(session, committed["id"], older)

    executed = await client.post(f"/api/v1/draws/{committed['id']}/execute", headers=w.headers)

    assert executed.status_code == 200, executed.text
    assert len(executed.json()["selections"]) == 5
    verified = await client.get(f"/api/v1/draws/{committed['id']}/verify", headers=w.headers)
    assert verified.json()["ok"] is True


async def test_the_draws_gzip_blobs_are_stored_without_postgresqls_own_compression(
    session: AsyncSession,
) -> None:
    connection = await session.connection()
    storage = await connection.execute(
        text(
            "SELECT attname, attstorage::text FROM pg_attribute "
            "WHERE attrelid = 'draws'::regclass AND attname IN ('pool_gz', 'outcome_gz')"
        )
    )
    assert dict(storage.all()) == {"pool_gz": "e", "outcome_gz": "e"}
