"""Rectification (rules §6): the deadlines of the stop order and the notice (rules §1 time
counting), what each follow-up's result does to the rectification, and what is due next."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

import pytest
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models.agency import Inspector, TestingAgency
from models.common import PlanKind
from models.enterprise import Enterprise, Product
from models.plan import Plan, SamplingTask
from models.rectification_api import (
    DeadlineName,
    FollowUpCreate,
    NextAction,
    Responsible,
)
from models.results import Event, Rectification, Result
from service.auth import system_principal
from service.db import commit
from service.errors import Conflict
from service.finality import make_final
from service.rectification import schedule_follow_up
from service.rectification.terms import (
    TERMS,
    VERSION,
    deadlines,
    newly_overdue,
    next_step,
    order_deadlines,
    second_window,
)
from service.work_calendar import WorkCalendar
from tests.factories import DrawnTask, make_enterprise, make_product, make_result, make_task

ADMIN = system_principal("test")
CALENDAR = WorkCalendar()

# A Thursday whose 60th and 75th days are working days: the deadlines are the plain sums.
ORDERED_ON = date(2026, 2, 12)
CORRECTION_DUE = date(2026, 4, 13)
FOLLOW_UP_DUE = date(2026, 4, 28)


# --- helpers the router and job tests share --------------------------------------------------


async def nonconforming_final(
    session: AsyncSession,
    *,
    on: date = ORDERED_ON,
    region_code: str = "410102",
    department_code: str = "scjg-410100",
) -> tuple[Rectification, DrawnTask]:
    """A routine sampling whose nonconforming result became final on `on`: the stop order."""
    drawn = await make_task(session, department_code=department_code, region_code=region_code)
    result = await make_result(session, drawn, verdict="nonconforming")
    await make_final(session, result, on=on, actor="test", reason="window_lapsed")
    await commit(session)
    rectification = (
        await session.exec(select(Rectification).where(col(Rectification.result_id) == result.id))
    ).one()
    return rectification, drawn


async def conclude_follow_up(
    session: AsyncSession, task_id: uuid.UUID, verdict: str, on: date
) -> Result:
    """The follow-up task is sampled and tested, and its result becomes final on `on`."""
    task = await session.get(SamplingTask, task_id)
    assert task is not None
    plan = await session.get(Plan, task.plan_id)
    product = await session.get(Product, task.product_id)
    enterprise = await session.get(Enterprise, task.enterprise_uscc)
    agency = await session.get(TestingAgency, task.agency_id)
    assert plan is not None
    assert product is not None
    assert enterprise is not None
    assert agency is not None
    inspectors = [await session.get(Inspector, i) for i in task.inspector_ids]
    drawn = DrawnTask(plan, task, product, enterprise, agency, [i for i in inspectors if i])
    result = await make_result(session, drawn, verdict=verdict)
    await make_final(session, result, on=on, actor="test", reason="window_lapsed")
    await commit(session)
    return result


async def reload(session: AsyncSession, rectification_id: uuid.UUID) -> Rectification:
    return (
        await session.exec(
            select(Rectification)
            .where(col(Rectification.id) == rectification_id)
            .execution_options(populate_existing=True)
        )
    ).one()


async def events_of(session: AsyncSession, rectification_id: uuid.UUID) -> list[Event]:
    return list(
        (
            await session.exec(
                select(Event)
                .where(
                    col(Event.entity_type) == "rectification",
                    col(Event.entity_id) == str(rectification_id),
                )
                .order_by(col(Event.seq))
            )
        ).all()
    )


def follow_up_request(drawn: DrawnTask, **overrides: object) -> FollowUpCreate:
    """The original task's agency and inspectors: qualified, and of the organiser."""
    return FollowUpCreate.model_validate(
        {
            "agency_id": drawn.agency.id,
            "inspector_ids": [i.id for i in drawn.inspectors],
            **overrides,
        }
    )


async def schedule(
    session: AsyncSession, rectification: Rectification, drawn: DrawnTask, today: date
) -> Rectification:
    scheduled = await schedule_follow_up(
        session, ADMIN, rectification.id, follow_up_request(drawn), today=today
    )
    await commit(session)
    return scheduled


# --- the deadlines (pure) --------------------------------------------------------------------


def test_correction_is_due_60_days_and_the_follow_up_75_days_after_the_order() -> None:
    assert order_deadlines(ORDERED_ON, CALENDAR, TERMS) == (CORRECTION_DUE, FOLLOW_UP_DUE)


def test_a_deadline_on_a_holiday_moves_to_the_next_working_day() -> None:
    # Day 60 after 2026-03-04 is 2026-05-03, inside the Labour Day holiday (1–5 May).
    correction_due, follow_up_due = order_deadlines(date(2026, 3, 4), CALENDAR, TERMS)
    assert correction_due == date(2026, 5, 6)
    assert follow_up_due == date(2026, 5, 18)


def test_the_second_follow_up_window_runs_from_day_60_to_day_90_after_the_notice() -> None:
    # Day 90 is Sunday 2026-07-19: the window closes on Monday; its opening never moves.
    assert second_window(date(2026, 4, 20), CALENDAR, TERMS) == (
        date(2026, 6, 19),
        date(2026, 7, 20),
    )


def test_the_terms_are_recorded_with_their_version() -> None:
    assert TERMS.as_record()["version"] == VERSION
    assert TERMS.as_record()["correction_days"] == 60


def ordered(**changes: object) -> Rectification:
    fields: dict[str, object] = {
        "result_id": uuid.uuid4(),
        "enterprise_uscc": "x",
        "product_id": uuid.uuid4(),
        "organiser_code": "scjg-410100",
        "ordered_on": ORDERED_ON,
        "correction_due_on": CORRECTION_DUE,
        "follow_up_due_on": FOLLOW_UP_DUE,
        **changes,
    }
    return Rectification.model_validate(fields)


def statuses(r: Rectification, *, corrected: bool = False, today: date) -> dict[str, str]:
    return {
        d.name.value: d.status.value for d in deadlines(r, corrected_by_due=corrected, today=today)
    }


def test_deadlines_are_open_until_their_day_and_missed_after_it() -> None:
    r = ordered()
    assert statuses(r, today=CORRECTION_DUE) == {"correction": "open", "follow_up": "open"}
    after = CORRECTION_DUE + timedelta(days=1)
    assert statuses(r, today=after) == {"correction": "missed", "follow_up": "open"}
    assert statuses(r, corrected=True, today=after) == {"correction": "met", "follow_up": "open"}


def test_a_follow_up_concluded_in_time_meets_its_deadline_and_supersedes_the_correction() -> None:
    r = ordered(state="noticed", noticed_on=date(2026, 3, 30))
    r.second_follow_up_from, r.second_follow_up_until = date(2026, 5, 29), date(2026, 6, 29)
    assert statuses(r, today=date(2026, 5, 1)) == {
        "correction": "superseded",
        "follow_up": "met",
        "second_follow_up": "open",
    }


def test_a_follow_up_concluded_late_missed_its_deadline() -> None:
    r = ordered(state="closed", closed_on=FOLLOW_UP_DUE + timedelta(days=3))
    assert statuses(r, corrected=True, today=date(2026, 6, 1))["follow_up"] == "missed"


def test_only_missed_unreported_deadlines_of_the_current_phase_are_newly_overdue() -> None:
    r = ordered(state="follow_up", overdue_reported=["correction"])
    today = FOLLOW_UP_DUE + timedelta(days=1)
    views = deadlines(r, corrected_by_due=False, today=today)
    assert [v.name for v in newly_overdue(r, views)] == [DeadlineName.FOLLOW_UP]
    # Once the first follow-up failed, its deadlines belong to a past phase.
    noticed = ordered(state="noticed", noticed_on=today, second_follow_up_until=date(2026, 8, 1))
    late = deadlines(noticed, corrected_by_due=False, today=today)
    assert newly_overdue(noticed, late) == []


@pytest.mark.parametrize(
    ("changes", "corrected", "action", "responsible"),
    [
        ({}, False, NextAction.REPORT_CORRECTION, Responsible.ENTERPRISE),
        ({}, True, NextAction.SCHEDULE_FOLLOW_UP, Responsible.ORGANISER),
        ({"state": "follow_up"}, True, NextAction.AWAIT_FOLLOW_UP_RESULT, Responsible.ORGANISER),
        (
            {"state": "noticed", "second_follow_up_until": date(2026, 8, 1)},
            True,
            NextAction.SCHEDULE_SECOND_FOLLOW_UP,
            Responsible.ORGANISER,
        ),
        ({"state": "suspended"}, True, NextAction.SCHEDULE_SUSPENSION_FOLLOW_UP, None),
    ],
)
def test_what_is_due_next_follows_the_state(
    changes: dict[str, object],
    corrected: bool,
    action: NextAction,
    responsible: Responsible | None,
) -> None:
    step = next_step(
        ordered(**changes),
        corrected=corrected,
        suspension_follow_up_pending=False,
        today=date(2026, 3, 1),
    )
    assert step is not None
    assert step.action is action
    assert responsible is None or step.responsible is responsible


def test_nothing_is_due_once_closed_or_revocation_is_recommended() -> None:
    for state in ("closed", "revocation_recommended"):
        r = ordered(state=state)
        assert (
            next_step(r, corrected=True, suspension_follow_up_pending=False, today=ORDERED_ON)
            is None
        )


def test_an_unreported_correction_past_its_day_leaves_the_follow_up_next_and_overdue() -> None:
    step = next_step(
        ordered(), corrected=False, suspension_follow_up_pending=False, today=date(2026, 5, 1)
    )
    assert step is not None
    assert step.action is NextAction.SCHEDULE_FOLLOW_UP
    assert step.overdue


# --- the state machine (database) ------------------------------------------------------------


async def test_a_nonconforming_final_result_orders_a_stop_with_its_deadlines(
    session: AsyncSession,
) -> None:
    rectification, drawn = await nonconforming_final(session)
    assert rectification.state == "ordered"
    assert rectification.organiser_code == "scjg-410100"
    assert rectification.enterprise_uscc == drawn.enterprise.uscc
    assert (rectification.correction_due_on, rectification.follow_up_due_on) == (
        CORRECTION_DUE,
        FOLLOW_UP_DUE,
    )
    [event] = await events_of(session, rectification.id)
    assert event.type == "rectification.ordered"
    assert event.enterprise_uscc == drawn.enterprise.uscc
    assert event.payload["terms"]["version"] == VERSION


async def test_a_passing_first_follow_up_closes_the_rectification(session: AsyncSession) -> None:
    rectification, drawn = await nonconforming_final(session)
    scheduled = await schedule(session, rectification, drawn, date(2026, 3, 2))
    assert scheduled.follow_up_task_id is not None
    await conclude_follow_up(session, scheduled.follow_up_task_id, "conforming", date(2026, 4, 1))
    closed = await reload(session, rectification.id)
    assert (closed.state, closed.closed_on) == ("closed", date(2026, 4, 1))
    assert (await events_of(session, rectification.id))[-1].type == "rectification.closed"


async def test_a_failing_follow_up_is_noticed_by_the_provincial_department(
    session: AsyncSession,
) -> None:
    rectification, drawn = await nonconforming_final(session)
    scheduled = await schedule(session, rectification, drawn, date(2026, 3, 2))
    assert scheduled.follow_up_task_id is not None
    await conclude_follow_up(
        session, scheduled.follow_up_task_id, "nonconforming", date(2026, 4, 20)
    )
    noticed = await reload(session, rectification.id)
    assert noticed.state == "noticed"
    assert noticed.noticed_on == date(2026, 4, 20)
    # The municipal organiser sampled; the notice comes from Henan's provincial bureau.
    assert noticed.notice_department_code == "scjg-410000"
    assert (noticed.second_follow_up_from, noticed.second_follow_up_until) == (
        date(2026, 6, 19),
        date(2026, 7, 20),
    )
    event = (await events_of(session, rectification.id))[-1]
    assert event.type == "rectification.noticed"
    assert event.payload["notice_department_code"] == "scjg-410000"


async def test_the_notice_follows_the_enterprise_province_not_the_organiser(
    session: AsyncSession,
) -> None:
    # A national sampling of a Hubei (Xiantao, directly under the province) enterprise.
    rectification, drawn = await nonconforming_final(
        session, region_code="429004", department_code="samr-000000"
    )
    scheduled = await schedule(session, rectification, drawn, date(2026, 3, 2))
    assert scheduled.follow_up_task_id is not None
    await conclude_follow_up(
        session, scheduled.follow_up_task_id, "nonconforming", date(2026, 4, 20)
    )
    assert (await reload(session, rectification.id)).notice_department_code == "scjg-420000"


async def test_a_passing_second_follow_up_closes_and_a_failing_one_suspends(
    session: AsyncSession,
) -> None:
    outcomes = {}
    for verdict in ("conforming", "nonconforming"):
        rectification, drawn = await nonconforming_final(session)
        first = await schedule(session, rectification, drawn, date(2026, 3, 2))
        assert first.follow_up_task_id is not None
        await conclude_follow_up(
            session, first.follow_up_task_id, "nonconforming", date(2026, 4, 20)
        )
        second = await schedule(session, rectification, drawn, date(2026, 6, 19))
        assert (second.state, second.second_task_id is not None) == ("second_follow_up", True)
        assert second.second_task_id is not None
        await conclude_follow_up(session, second.second_task_id, verdict, date(2026, 7, 10))
        outcomes[verdict] = await reload(session, rectification.id)
    assert outcomes["conforming"].state == "closed"
    assert outcomes["nonconforming"].state == "suspended"
    assert outcomes["nonconforming"].suspended_on == date(2026, 7, 10)


async def test_a_follow_up_plan_made_outside_rectification_opens_one_when_it_fails(
    session: AsyncSession,
) -> None:
    enterprise = await make_enterprise(session)
    product = await make_product(session, enterprise)
    drawn = await make_task(session, kind=PlanKind.FOLLOW_UP, product=product)
    result = await make_result(session, drawn, verdict="nonconforming")
    await make_final(session, result, on=ORDERED_ON, actor="test", reason="window_lapsed")
    await commit(session)
    opened = (
        await session.exec(select(Rectification).where(col(Rectification.result_id) == result.id))
    ).one()
    assert opened.state == "ordered"


async def test_after_suspension_one_follow_up_at_a_time_and_its_failure_recommends_revocation(
    session: AsyncSession,
) -> None:
    rectification, drawn = await nonconforming_final(session)
    first = await schedule(session, rectification, drawn, date(2026, 3, 2))
    assert first.follow_up_task_id is not None
    await conclude_follow_up(session, first.follow_up_task_id, "nonconforming", date(2026, 4, 20))
    second = await schedule(session, rectification, drawn, date(2026, 6, 19))
    assert second.second_task_id is not None
    await conclude_follow_up(session, second.second_task_id, "nonconforming", date(2026, 7, 10))
    third = await schedule(session, rectification, drawn, date(2026, 8, 3))
    assert third.state == "suspended"
    third_task_id = third.second_task_id
    assert third_task_id is not None
    with pytest.raises(Conflict) as raised:
        await schedule_follow_up(
            session, ADMIN, rectification.id, follow_up_request(drawn), today=date(2026, 8, 4)
        )
    assert raised.value.code == "rectification.follow_up_pending"
    await session.rollback()
    await conclude_follow_up(session, third_task_id, "nonconforming", date(2026, 9, 1))
    final = await reload(session, rectification.id)
    assert (final.state, final.revocation_recommended_on) == (
        "revocation_recommended",
        date(2026, 9, 1),
    )
    statuses_seen = [e.type for e in await events_of(session, rectification.id)]
    assert statuses_seen == [
        "rectification.ordered",
        "rectification.follow_up_scheduled",
        "rectification.noticed",
        "rectification.follow_up_scheduled",
        "rectification.suspended",
        "rectification.follow_up_scheduled",
        "rectification.revocation_recommended",
    ]


async def _plan_of(session: AsyncSession, task_id: uuid.UUID | None) -> Plan:
    task = await session.get(SamplingTask, task_id)
    assert task is not None
    plan = await session.get(Plan, task.plan_id)
    assert plan is not None
    return plan


async def test_a_late_follow_up_is_still_owed_and_gets_a_period_of_its_own(
    session: AsyncSession,
) -> None:
    rectification, drawn = await nonconforming_final(session)
    late = FOLLOW_UP_DUE + timedelta(days=10)
    scheduled = await schedule(session, rectification, drawn, late)
    plan = await _plan_of(session, scheduled.follow_up_task_id)
    assert (plan.period_start, plan.period_end) == (
        late,
        late + timedelta(days=TERMS.late_follow_up_days),
    )


async def test_a_second_follow_up_may_be_planned_ahead_for_a_day_inside_its_window(
    session: AsyncSession,
) -> None:
    rectification, drawn = await nonconforming_final(session)
    first = await schedule(session, rectification, drawn, date(2026, 3, 2))
    assert first.follow_up_task_id is not None
    await conclude_follow_up(session, first.follow_up_task_id, "nonconforming", date(2026, 4, 20))
    request = follow_up_request(drawn, planned_on=date(2026, 6, 22))
    second = await schedule_follow_up(
        session, ADMIN, rectification.id, request, today=date(2026, 6, 1)
    )
    await commit(session)
    # Sampling cannot start before the window opens, whenever it was arranged.
    plan = await _plan_of(session, second.second_task_id)
    assert (plan.period_start, plan.period_end) == (date(2026, 6, 19), date(2026, 7, 20))
