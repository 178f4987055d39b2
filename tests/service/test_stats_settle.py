"""The rollup's two tiers: finalisations fold into the small `recent` partition, settling adds
its rows to `settled` without changing a single figure, a key counted in both tiers is summed,
and the rebuild writes everything settled."""

from __future__ import annotations

import asyncio
import random
from datetime import date
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from models.agency import TestingAgency
from models.results import Result
from service.auth import system_principal
from service.db import commit
from service.finality import make_final
from service.pagination import PageRequest
from service.stats import rebuild, settle
from service.stats.query import PassRateRequest
from service.stats.query import pass_rates as query_pass_rates
from tests.factories import make_agency, make_result, make_task
from tests.service.test_stats_rebuild import random_history, recomputed, rollup
from tests.service.test_stats_rollup import FIXTURE, RANGE, TODAY, add_batch
from tests.service.test_stats_rollup import report as pass_rates


async def rows_by_tier(session: AsyncSession) -> dict[str, int]:
    """How many rollup rows each partition holds."""
    connection = await session.connection()
    rows = await connection.execute(
        text("SELECT tableoid::regclass::text, count(*) FROM pass_rate_rollup GROUP BY 1")
    )
    return {"pass_rate_rollup_recent": 0, "pass_rate_rollup_settled": 0} | dict(rows.all())


async def answers(session: AsyncSession) -> list[Any]:
    """A few reports, figures and all, to compare before and after rows move."""
    return [
        (await pass_rates(session, *group_by)).rows
        for group_by in ((), ("region",), ("month",), ("category", "place_type"))
    ]


async def finalise(session: AsyncSession, agency: TestingAgency, sampled_on: date) -> Result:
    drawn = await make_task(session, agency=agency)
    result = await make_result(session, drawn, verdict="nonconforming")
    result.sampled_on = sampled_on
    await make_final(session, result, on=date(2026, 4, 8), actor="t", reason="window_lapsed")
    await commit(session)
    return result


async def test_both_tiers_are_partitions_with_room_for_updates(session: AsyncSession) -> None:
    connection = await session.connection()
    partitions = await connection.execute(
        text(
            "SELECT c.relname, pg_get_expr(c.relpartbound, c.oid), c.reloptions "
            "FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "WHERE i.inhparent = 'pass_rate_rollup'::regclass"
        )
    )
    assert {name: (bound, options) for name, bound, options in partitions} == {
        "pass_rate_rollup_recent": ("FOR VALUES IN ('recent')", ["fillfactor=80"]),
        "pass_rate_rollup_settled": ("FOR VALUES IN ('settled')", ["fillfactor=80"]),
    }


async def test_finalisations_fold_into_the_recent_tier(session: AsyncSession) -> None:
    for batch in FIXTURE:
        await add_batch(session, batch)
    tiers = await rows_by_tier(session)
    assert tiers["pass_rate_rollup_recent"] > 0
    assert tiers["pass_rate_rollup_settled"] == 0
    assert await rollup(session) == await recomputed(session)


async def test_settling_moves_the_recent_rows_and_changes_no_figure(
    session: AsyncSession,
) -> None:
    for batch in FIXTURE:
        await add_batch(session, batch)
    recent = (await rows_by_tier(session))["pass_rate_rollup_recent"]
    counts, figures = await rollup(session), await answers(session)

    assert await settle(session) == recent
    await commit(session)

    assert await rows_by_tier(session) == {
        "pass_rate_rollup_recent": 0,
        "pass_rate_rollup_settled": recent,
    }
    assert await rollup(session) == counts == await recomputed(session)
    assert await answers(session) == figures
    assert await settle(session) == 0  # nothing left to move


async def test_a_key_in_both_tiers_is_summed_and_settles_into_one_row(
    session: AsyncSession,
) -> None:
    # Same keys each time: the first result settles, the second folds into recent beside it.
    agency = await make_agency(session)
    await finalise(session, agency, date(2026, 1, 5))
    await settle(session)
    await commit(session)
    await finalise(session, agency, date(2026, 1, 25))

    tiers = await rows_by_tier(session)
    assert tiers["pass_rate_rollup_recent"] == tiers["pass_rate_rollup_settled"] > 0
    by_month = await pass_rates(session, "month")
    assert [(r.month, r.sampled, r.nonconforming) for r in by_month.rows] == [("2026-01", 2, 2)]

    await settle(session)
    await commit(session)
    assert (await rows_by_tier(session))["pass_rate_rollup_recent"] == 0
    assert set((await rollup(session)).values()) == {(2, 2, 2)}
    assert await rollup(session) == await recomputed(session)


async def test_pages_read_both_tiers_in_key_order(session: AsyncSession) -> None:
    # Half the fixture settled, the rest folded into recent on top of it: every page, followed
    # by its cursor, adds up to the whole answer.
    middle = len(FIXTURE) // 2
    for batch in FIXTURE[:middle]:
        await add_batch(session, batch)
    await settle(session)
    await commit(session)
    for batch in FIXTURE[middle:]:
        await add_batch(session, batch)
    request = PassRateRequest(
        group_by=("region", "category", "month"),
        date_from=RANGE["date_from"],
        date_to=RANGE["date_to"],
    )
    whole = await query_pass_rates(session, request, today=TODAY)
    assert len(whole.groups) > 3

    paged: list[Any] = []
    cursor: str | None = None
    while True:
        page = await query_pass_rates(
            session, request, today=TODAY, page=PageRequest(limit=2, cursor=cursor)
        )
        paged += page.groups
        if (cursor := page.next_cursor) is None:
            break
    assert paged == whole.groups


async def test_a_finalisation_waits_for_a_settling_and_is_then_counted_once(
    session: AsyncSession, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    agency = await make_agency(session)
    await finalise(session, agency, date(2026, 1, 5))
    async with sessionmaker() as settling, sessionmaker() as finalising:
        await settle(settling)  # holds the recent partition until it commits
        drawn = await make_task(finalising, agency=agency)
        result = await make_result(finalising, drawn, verdict="conforming")
        result.sampled_on = date(2026, 1, 25)
        await make_final(finalising, result, on=date(2026, 4, 8), actor="t", reason="x")
        folding = asyncio.create_task(commit(finalising))
        await asyncio.sleep(0.2)
        assert not folding.done()  # the fold waits for the recent partition
        await commit(settling)
        await folding
    assert await rollup(session) == await recomputed(session)
    assert set((await rows_by_tier(session)).values()) != {0}


async def test_the_rebuild_writes_every_row_settled(session: AsyncSession) -> None:
    await random_history(session, random.Random(4), count=16)
    expected = await recomputed(session)
    assert (await rows_by_tier(session))["pass_rate_rollup_recent"] > 0

    await rebuild(session, actor=system_principal("test").actor)
    await commit(session)

    tiers = await rows_by_tier(session)
    assert tiers["pass_rate_rollup_recent"] == 0
    assert tiers["pass_rate_rollup_settled"] == len(expected)
    assert await rollup(session) == expected
