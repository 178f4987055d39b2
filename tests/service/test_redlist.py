"""The red list (守信激励): grade-A enterprises with no listing in force on any day of the last
three years and no nonconforming final result sampled or made final in that time."""

from __future__ import annotations

from datetime import date

from sqlmodel.ext.asyncio.session import AsyncSession

from models.credit import CreditScore, CreditStanding
from models.enterprise import Enterprise
from service.blacklist import redlist
from service.blacklist.config import get_blacklist_settings
from service.credit import standing
from service.db import commit
from service.pagination import PageRequest
from tests.factories import (
    make_enterprise,
    make_listing,
    make_penalty,
    make_result,
    make_task,
    remove_listing,
)

TODAY = date(2026, 6, 1)  # the period is 2023-06-01 … 2026-06-01


async def graded(session: AsyncSession, *enterprises: Enterprise) -> dict[str, str]:
    """Record the enterprises' credit today; their grades."""
    await standing.recompute(
        session, [e.uscc for e in enterprises], today=TODAY, trigger="test", actor="test"
    )
    await commit(session)
    grades = {}
    for e in enterprises:
        found = await session.get(CreditStanding, e.uscc)
        assert found is not None
        assert found.score_id is not None
        score = await session.get(CreditScore, found.score_id)
        assert score is not None
        grades[e.uscc] = score.grade
    return grades


async def red_list(session: AsyncSession, region_code: str | None = None) -> list[str]:
    found = await redlist.list_redlist(
        session, redlist.RedListFilter(region_code), PageRequest(limit=100), today=TODAY
    )
    return [entry.uscc for entry in found.items]


async def with_result(
    session: AsyncSession, verdict: str, *, state: str = "final", sampled_on: date | None = None
) -> Enterprise:
    drawn = await make_task(session)
    result = await make_result(session, drawn, verdict=verdict, state=state)
    if sampled_on is not None:
        result.sampled_on = sampled_on
        result.final_on = sampled_on.replace(month=sampled_on.month + 1)
        session.add(result)
        await session.commit()
    return drawn.enterprise


def test_the_period_is_the_configured_number_of_years() -> None:
    assert redlist.period_start(TODAY, get_blacklist_settings()) == date(2023, 6, 1)


async def test_grade_a_enterprises_with_a_clean_record_are_on_the_red_list(
    session: AsyncSession,
) -> None:
    clean = await make_enterprise(session)
    conforming = await with_result(session, "conforming")
    old_nonconforming = await with_result(session, "nonconforming", sampled_on=date(2022, 5, 3))
    pending_nonconforming = await with_result(session, "nonconforming", state="notified")
    long_ago_listed = await make_enterprise(session)
    old = await make_listing(session, long_ago_listed, listed_on=date(2019, 3, 1))
    await remove_listing(session, old, on=date(2020, 6, 1))
    never_graded = await make_enterprise(session)

    members = [clean, conforming, old_nonconforming, pending_nonconforming, long_ago_listed]
    assert set((await graded(session, *members)).values()) == {"A"}
    listed = await red_list(session)
    assert set(listed) == {e.uscc for e in members}
    assert listed == sorted(listed)
    assert never_graded.uscc not in listed


async def test_a_listing_in_force_during_the_period_keeps_a_grade_a_enterprise_off(
    session: AsyncSession,
) -> None:
    # Listed in 2022, removed early in September 2023: grade A again today (the penalty has
    # aged out of publication) but on the list inside the last three years.
    formerly = await make_enterprise(session)
    listing = await make_listing(session, formerly, listed_on=date(2022, 1, 10))
    await remove_listing(session, listing, on=date(2023, 9, 1))
    listed_now = await make_listing(session, listed_on=date(2026, 4, 1))
    now = await session.get(Enterprise, listed_now.enterprise_uscc)
    assert now is not None

    grades = await graded(session, formerly, now)
    assert grades == {formerly.uscc: "A", now.uscc: "D"}
    assert await red_list(session) == []


async def test_a_nonconforming_final_result_in_the_period_keeps_a_grade_a_enterprise_off(
    session: AsyncSession,
) -> None:
    failed = await with_result(session, "nonconforming")
    assert await graded(session, failed) == {failed.uscc: "A"}
    assert await red_list(session) == []


async def test_grades_below_a_and_other_regions_are_left_out(session: AsyncSession) -> None:
    penalised = await make_enterprise(session)
    await make_penalty(session, penalised, on=date(2026, 3, 2))
    hubei = await make_enterprise(session, region_code="420102")
    henan = await make_enterprise(session, region_code="410102")
    grades = await graded(session, penalised, hubei, henan)
    assert grades[penalised.uscc] == "B"

    assert set(await red_list(session)) == {hubei.uscc, henan.uscc}
    assert await red_list(session, "420000") == [hubei.uscc]
    assert await red_list(session, "410100") == [henan.uscc]
