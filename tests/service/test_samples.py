"""The rules of sample registration called directly: the field-date bounds, every sampler
problem reported at once, and competing registrations — of one task, or of one sample number —
of which exactly one succeeds."""

from __future__ import annotations

import asyncio
import uuid
from datetime import date

import pytest
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from models.results import PlaceType
from models.samples_api import SampleCreate
from models.system import Role
from service.auth import Principal
from service.db import commit
from service.errors import Conflict, DomainError, InvalidInput
from service.samples import check_field_date, check_samplers, register_sample
from tests.factories import DrawnTask, make_inspector, make_task

TODAY = date(2026, 6, 1)


def agency_of(drawn: DrawnTask) -> Principal:
    return Principal(role=Role.AGENCY, name="lab", agency_id=drawn.agency.id)


def sample_in(drawn: DrawnTask, number: str, on: date = date(2026, 5, 20)) -> SampleCreate:
    return SampleCreate(
        sample_number=number,
        sampled_on=on,
        place_type=PlaceType.CIRCULATION,
        place_name="某超市",
        quantity_unit="台",
        inspection_quantity=1,
        backup_quantity=1,
        backup_holder="超市",
        sampler_ids=[i.id for i in drawn.inspectors],
    )


async def test_the_first_and_last_day_of_the_plan_period_are_inside_it(
    session: AsyncSession,
) -> None:
    drawn = await make_task(session, period_start=date(2026, 3, 1), period_end=date(2026, 5, 31))
    for on in (date(2026, 3, 1), date(2026, 5, 31)):
        check_field_date(on, drawn.plan, today=TODAY, code_prefix="sample")
    for on in (date(2026, 2, 28), date(2026, 6, 1)):
        with pytest.raises(InvalidInput) as refused:
            check_field_date(on, drawn.plan, today=TODAY, code_prefix="sample")
        assert refused.value.code == "sample.date_outside_plan"


async def test_every_sampler_problem_is_reported_at_once(session: AsyncSession) -> None:
    drawn = await make_task(session)
    first = drawn.inspectors[0].id
    elsewhere = (await make_inspector(session, department_code="scjg-410200")).id
    unknown = uuid.uuid4()

    with pytest.raises(InvalidInput) as refused:
        await check_samplers(
            session, drawn.task, drawn.plan, [first, first, elsewhere, unknown], code="x.samplers"
        )

    assert refused.value.code == "x.samplers"
    assert refused.value.extra["samplers"] == [
        {"id": str(first), "reason": "duplicate"},
        {"id": str(elsewhere), "reason": "not_on_roster"},
        {"id": str(unknown), "reason": "unknown"},
    ]


async def test_eligible_samplers_come_back_in_the_order_given(
    session: AsyncSession,
) -> None:
    drawn = await make_task(session)
    second, first = (i.id for i in drawn.inspectors)
    assert await check_samplers(
        session, drawn.task, drawn.plan, [second, first], code="x.samplers"
    ) == [second, first]


async def _register(
    sessionmaker: async_sessionmaker[AsyncSession], drawn: DrawnTask, number: str
) -> str:
    async with sessionmaker() as session:
        try:
            await register_sample(
                session, agency_of(drawn), drawn.task.id, sample_in(drawn, number), today=TODAY
            )
            await commit(session)
        except DomainError as error:
            return error.code
        return "registered"


async def test_two_registrations_of_one_task_at_once_register_one_sample(
    session: AsyncSession, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    drawn = await make_task(session)
    outcomes = await asyncio.gather(
        _register(sessionmaker, drawn, "A-1"), _register(sessionmaker, drawn, "A-2")
    )
    assert sorted(outcomes) == ["registered", "task.not_open"]


async def test_one_sample_number_posted_for_two_tasks_at_once_is_taken_once(
    session: AsyncSession, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    first = await make_task(session)
    second = await make_task(session, agency=first.agency)
    outcomes = await asyncio.gather(
        _register(sessionmaker, first, "SAME-1"), _register(sessionmaker, second, "SAME-1")
    )
    assert sorted(outcomes) == ["registered", "sample.number_exists"]


async def test_a_closed_plan_takes_no_more_samples(session: AsyncSession) -> None:
    drawn = await make_task(session)
    drawn.plan.state = "closed"
    session.add(drawn.plan)
    await commit(session)

    with pytest.raises(Conflict) as refused:
        await register_sample(
            session, agency_of(drawn), drawn.task.id, sample_in(drawn, "C-1"), today=TODAY
        )

    assert refused.value.code == "task.not_open"
    assert refused.value.extra["plan_state"] == "closed"
