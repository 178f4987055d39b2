"""Recorded scores: events age out of publication and the hourly job records the new score;
as-of reads answer with what was recorded then; a change of weights is a new model version and
the old scores keep theirs; a blacklisted enterprise is D; concurrent changes of one file are
serialised so the last snapshot holds every event."""

from __future__ import annotations

import asyncio
from datetime import date
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from jobs import credit as credit_job
from jobs.scheduler import job_named, run_job
from models.credit import CreditEventCreate, CreditModel, CreditScore
from models.enterprise import Enterprise
from service.auth import system_principal
from service.credit import events, file, standing
from service.credit.config import CreditSettings, ScoreWeights
from service.db import commit
from tests.factories import make_enterprise, make_listing, remove_listing

ADMIN = system_principal("test")
POSTED_ON = date(2026, 1, 20)


def penalty(kind: str = "reprimand", **overrides: Any) -> CreditEventCreate:
    return CreditEventCreate.model_validate(
        {
            "type": "administrative_penalty",
            "occurred_on": "2026-01-15",
            "reference": f"郑市监罚〔2026〕{kind}号",
            "severity": "other",
            "penalty_kind": kind,
            "department_code": "scjg-410100",
            **overrides,
        }
    )


async def post(
    session: AsyncSession, enterprise: Enterprise, data: CreditEventCreate, today: date
) -> events.Posted:
    posted = await events.post_event(session, ADMIN, enterprise.uscc, data, today=today)
    await commit(session)
    return posted


async def snapshots(session: AsyncSession, uscc: str) -> list[CreditScore]:
    statement = select(CreditScore).where(col(CreditScore.enterprise_uscc) == uscc)
    return list((await session.exec(statement.order_by(col(CreditScore.id)))).all())


async def score_on(session: AsyncSession, uscc: str, day: date) -> int:
    view = await file.credit_file(session, ADMIN, uscc, as_of=day, today=date(2026, 12, 31))
    assert sum(c.points for c in view.explanation) == view.score - view.base
    return view.score


async def test_a_reprimand_is_published_three_months_and_ages_out(
    session: AsyncSession,
    sessionmaker: async_sessionmaker[AsyncSession],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    enterprise = await make_enterprise(session)
    uscc = enterprise.uscc
    posted = await post(session, enterprise, penalty("reprimand"), POSTED_ON)
    event_id = posted.event.id
    assert posted.event.publish_until == date(2026, 4, 15)
    assert [s.score for s in await snapshots(session, uscc)] == [90]

    assert await standing.due_for_review(session, today=date(2026, 4, 15), limit=10) == []
    await session.rollback()
    monkeypatch.setattr("service.clock.today", lambda: date(2026, 4, 16))
    assert await run_job(sessionmaker, job_named(credit_job.NAME)) == "ok"

    history = await snapshots(session, uscc)
    assert [(s.score, s.valid_from, s.trigger) for s in history] == [
        (90, POSTED_ON, f"credit_event:{event_id}"),
        (100, date(2026, 4, 16), "review"),
    ]
    # Nothing left to review until something else changes.
    assert await standing.due_for_review(session, today=date(2026, 4, 16), limit=10) == []


async def test_other_penalties_are_published_three_years_from_publication(
    session: AsyncSession,
) -> None:
    enterprise = await make_enterprise(session)
    fine = await post(session, enterprise, penalty("fine"), POSTED_ON)
    assert fine.event.publish_until == date(2029, 1, 15)
    later = await post(
        session, enterprise, penalty("warning", published_on="2026-01-19"), POSTED_ON
    )
    assert later.event.publish_until == date(2029, 1, 19)


async def test_as_of_answers_with_the_file_and_score_recorded_then(
    session: AsyncSession,
) -> None:
    enterprise = await make_enterprise(session)
    await post(session, enterprise, penalty("reprimand"), POSTED_ON)
    await standing.recompute(
        session, [enterprise.uscc], today=date(2026, 4, 16), trigger="review", actor="test"
    )
    await commit(session)

    # Recorded on 20 January: before that day the file was empty, even though the
    # penalty is dated the 15th — as-of shows what the service showed then.
    before = await file.credit_file(
        session, ADMIN, enterprise.uscc, as_of=date(2026, 1, 19), today=date(2026, 5, 1)
    )
    assert (before.score, before.events, before.computed_at) == (100, [], None)
    assert await score_on(session, enterprise.uscc, POSTED_ON) == 90
    assert await score_on(session, enterprise.uscc, date(2026, 4, 15)) == 90
    assert await score_on(session, enterprise.uscc, date(2026, 4, 16)) == 100
    after = await file.credit_file(
        session, ADMIN, enterprise.uscc, as_of=date(2026, 4, 16), today=date(2026, 5, 1)
    )
    (event,) = after.events
    assert (event.published, event.status.value) == (False, "counting")


async def test_recomputing_an_unchanged_file_records_nothing_new(session: AsyncSession) -> None:
    enterprise = await make_enterprise(session)
    await post(session, enterprise, penalty("fine"), POSTED_ON)
    for _ in range(2):
        written = await standing.recompute(
            session, [enterprise.uscc], today=POSTED_ON, trigger="again", actor="test"
        )
        assert written == {}
    assert len(await snapshots(session, enterprise.uscc)) == 1


async def test_new_weights_make_a_new_version_and_old_scores_keep_theirs(
    session: AsyncSession,
) -> None:
    enterprise = await make_enterprise(session)
    await post(session, enterprise, penalty("fine"), POSTED_ON)
    harsher = CreditSettings(score_weights=ScoreWeights(penalty_other=-20))
    due = await standing.due_for_review(session, today=POSTED_ON, limit=10, settings=harsher)
    assert due == [enterprise.uscc]
    await standing.recompute(
        session, due, today=date(2026, 2, 1), trigger="model", actor="test", settings=harsher
    )
    await commit(session)
    old, new = await snapshots(session, enterprise.uscc)
    assert (old.score, old.model_version) == (90, "credit-score/1")
    assert new.score == 80
    assert new.model_version.startswith("credit-score/1+")
    model = await session.get(CreditModel, new.model_version)
    assert model is not None
    assert model.parameters["penalty_other"] == -20


async def test_a_listed_enterprise_is_d_from_the_listing_day_until_its_removal(
    session: AsyncSession,
) -> None:
    enterprise = await make_enterprise(session)
    listing = await make_listing(session, enterprise, listed_on=date(2026, 4, 1))
    listed = (await snapshots(session, enterprise.uscc))[-1]
    assert (listed.valid_from, listed.grade, listed.listed, listed.risk_class) == (
        date(2026, 4, 1),
        "D",
        True,
        "D",
    )
    assert not await standing.is_listed(session, enterprise.uscc, date(2026, 3, 31))
    assert await standing.is_listed(session, enterprise.uscc, date(2026, 4, 1))

    await remove_listing(session, listing, on=date(2027, 4, 1))
    after = (await snapshots(session, enterprise.uscc))[-1]
    assert (after.valid_from, after.listed) == (date(2027, 4, 1), False)
    assert after.grade != "D" or after.score < 60
    assert await standing.is_listed(session, enterprise.uscc, date(2027, 3, 31))
    assert not await standing.is_listed(session, enterprise.uscc, date(2027, 4, 1))


async def test_concurrent_changes_of_one_file_end_with_every_event_counted(
    session: AsyncSession, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    enterprise = await make_enterprise(session)

    async def post_alone(kind: str) -> None:
        async with sessionmaker() as own:
            await post(own, enterprise, penalty(kind), POSTED_ON)

    await asyncio.gather(post_alone("fine"), post_alone("confiscation"))
    latest = (await snapshots(session, enterprise.uscc))[-1]
    assert latest.score == 80
    assert len(latest.explanation) == 2
