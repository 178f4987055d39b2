"""The rollup maintained by `make_final` equals a recomputation from the raw results after a
random history — results finalised in random order, several in one transaction, some after a
re-test that changed the verdict, some never — and `qcs stats rebuild` recomputes exactly it."""

from __future__ import annotations

import asyncio
import os
import random
import sys
import uuid
from collections import Counter
from datetime import date
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlmodel import col
from sqlmodel import select as model_select
from sqlmodel.ext.asyncio.session import AsyncSession

from models.reference import Region
from models.results import Result
from service.auth import system_principal
from service.db import commit
from service.finality import make_final
from service.stats import rebuild
from service.stats.grains import GRAINS, CategoryDepth, Dim, Grain
from service.stats.rollup import ROLLUP
from tests.factories import make_result, make_task

REGIONS = ["410102", "410105", "410302", "419001", "410100", "420102", "429004"]
CATEGORIES = ["0401", "0402", "020101", "020102", "0601"]
DEPARTMENTS = ["samr-000000", "scjg-410000", "scjg-410100", "scjg-420000"]
SIZES = ["large", "medium", "small", "micro", None]
PLACES = ["production", "circulation", "e_commerce"]
Key = tuple[Any, ...]


async def random_history(session: AsyncSession, rng: random.Random, count: int) -> None:
    pending: list[Result] = []
    for _ in range(count):
        drawn = await make_task(
            session,
            department_code=rng.choice(DEPARTMENTS),
            region_code=rng.choice(REGIONS),
            category_code=rng.choice(CATEGORIES),
        )
        result = await make_result(
            session, drawn, verdict=rng.choice(["conforming", "nonconforming"])
        )
        result.enterprise_size = rng.choice(SIZES)
        result.place_type = rng.choice(PLACES)
        result.sampled_on = date(rng.choice([2025, 2026]), rng.randint(1, 12), rng.randint(1, 28))
        if rng.random() < 0.25:  # objected; the re-test may overturn the verdict
            result.state = "retesting"
            await commit(session)
            result.verdict = rng.choice(["conforming", "nonconforming"])
        await commit(session)
        pending.append(result)
    rng.shuffle(pending)
    finalised = pending[: int(count * 0.8)]
    while finalised:  # one to three results per transaction
        size = rng.randint(1, 3)
        batch, finalised = finalised[:size], finalised[size:]
        for result in batch:
            reason = "retest_concluded" if result.state == "retesting" else "window_lapsed"
            await make_final(
                session, result, on=date(2026, 6, rng.randint(1, 28)), actor="t", reason=reason
            )
        await commit(session)


def _key(grain: Grain, result: Result, path: list[str]) -> Key:
    """The rollup key of `result` in `grain`, derived here independently of the SQL."""
    province = path[1] if len(path) > 1 else result.region_code[:2] + "0000"
    prefecture = path[2] if len(path) > 2 else result.region_code
    region = [province, prefecture, result.region_code][: int(grain.region)]
    region += ["*"] * (3 - len(region))
    category = {
        CategoryDepth.NONE: "*",
        CategoryDepth.GROUP: result.category_code[:2],
        CategoryDepth.FINEST: result.category_code,
    }[grain.category]
    values = {
        Dim.PLAN_LEVEL: result.plan_level,
        Dim.PLAN_KIND: result.plan_kind,
        Dim.PLACE_TYPE: result.place_type,
        Dim.ENTERPRISE_SIZE: result.enterprise_size or "unknown",
        Dim.AGENCY: result.agency_id,
    }
    kept = [values[d] if d in grain.dims else "*" for d in Dim if d is not Dim.AGENCY]
    agency = result.agency_id if Dim.AGENCY in grain.dims else uuid.UUID(int=0)
    month = result.sampled_on.replace(day=1)
    return (grain.id, month, *region, category, *kept, agency)


async def recomputed(session: AsyncSession) -> dict[Key, tuple[int, int, int]]:
    paths = {r.code: r.path.split("/") for r in (await session.exec(model_select(Region))).all()}
    finals = (
        await session.exec(
            model_select(Result)
            .where(col(Result.state) == "final")
            .execution_options(populate_existing=True)
        )
    ).all()
    counts: Counter[tuple[Key, str]] = Counter()
    for result in finals:
        for grain in GRAINS:
            key = _key(grain, result, paths[result.region_code])
            counts[key, "sampled"] += 1
            counts[key, "tested"] += 1
            counts[key, "nonconforming"] += result.verdict == "nonconforming"
    keys = {key for key, _ in counts}
    return {
        k: (counts[k, "sampled"], counts[k, "tested"], counts[k, "nonconforming"]) for k in keys
    }


# The key in the order `_key` gives it, then the counts.
_COLUMNS = [
    "grain", "month", "province_code", "prefecture_code", "region_code", "category_code",
    "plan_level", "plan_kind", "place_type", "enterprise_size", "agency_id",
    "sampled", "tested", "nonconforming",
]  # fmt: skip


async def rollup(session: AsyncSession) -> dict[Key, tuple[int, int, int]]:
    """The rollup's counts by key, over both tiers (a key may have a recent and a settled row)."""
    connection = await session.connection()
    keys = [ROLLUP.c[name] for name in _COLUMNS[:11]]
    counts = [func.sum(ROLLUP.c[name]) for name in _COLUMNS[11:]]
    rows = await connection.execute(select(*keys, *counts).group_by(*keys))
    return {tuple(row[:11]): (int(row[11]), int(row[12]), int(row[13])) for row in rows}


@pytest.mark.parametrize("seed", [1, 2])
async def test_the_incremental_rollup_equals_the_raw_recomputation_and_the_rebuild(
    session: AsyncSession, seed: int
) -> None:
    await random_history(session, random.Random(seed), count=24)
    expected = await recomputed(session)
    assert len({key[0] for key in expected}) == len(GRAINS)
    assert await rollup(session) == expected

    report = await rebuild(session, actor=system_principal("test").actor)
    await commit(session)
    assert await rollup(session) == expected
    assert report.rows == len(expected)
    assert report.results == sum(v[0] for k, v in expected.items() if k[0] == 0)


async def test_a_result_is_added_when_it_becomes_final_and_only_then(
    session: AsyncSession,
) -> None:
    drawn = await make_task(session)
    result = await make_result(session, drawn, verdict="nonconforming")
    assert await rollup(session) == {}
    await make_final(session, result, on=date(2026, 4, 8), actor="t", reason="window_lapsed")
    await commit(session)
    counted = await rollup(session)
    assert len(counted) == len(GRAINS)  # one row in each grain
    assert set(counted.values()) == {(1, 1, 1)}


async def test_qcs_stats_rebuild_restores_a_lost_rollup(
    session: AsyncSession, database_url: str
) -> None:
    await random_history(session, random.Random(3), count=4)
    expected = await rollup(session)
    connection = await session.connection()
    await connection.execute(ROLLUP.delete())
    await commit(session)

    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "service.cli",
        "stats",
        "rebuild",
        env={**os.environ, "DATABASE_URL": database_url},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    stdout, stderr = await process.communicate()
    assert process.returncode == 0, stderr.decode()
    assert stdout.decode().startswith("pass-rate rollup rebuilt: 3 final results")
    assert await rollup(session) == expected


async def test_a_savepoint_rolled_back_takes_its_result_away_and_a_released_one_keeps_it(
    session: AsyncSession,
) -> None:
    kept, undone = [
        await make_result(session, await make_task(session), verdict="nonconforming")
        for _ in range(2)
    ]
    async with session.begin_nested():
        await make_final(session, kept, on=date(2026, 4, 8), actor="t", reason="window_lapsed")
    savepoint = await session.begin_nested()
    await make_final(session, undone, on=date(2026, 4, 8), actor="t", reason="window_lapsed")
    await savepoint.rollback()
    await commit(session)
    counted = await rollup(session)
    assert set(counted.values()) == {(1, 1, 1)}  # one result, in every grain
    assert await recomputed(session) == counted
