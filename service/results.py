"""Reading results (抽查结果) and the re-tests ordered on them: who sees which result, the
result with its reports, an enterprise's own results with where its objection stands, and the
re-test work of an agency."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, false, true
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession
from sqlmodel.sql.expression import SelectOfScalar

from models.reference import Department
from models.results import Objection, Result, ResultState, Retest, Sample, TestReport, Verdict
from models.results_api import (
    MyResultRead,
    ObjectionRead,
    ReportRead,
    ResultDetail,
    RetestRead,
    RetestState,
)
from models.system import Role
from service.auth import Principal
from service.directory.reference import regions_inside, require_region
from service.errors import NotFound
from service.pagination import PageRequest, PageResult, keyset_page
from service.uscc import normalise_uscc


def _scope(principal: Principal) -> ColumnElement[bool]:
    if principal.role is Role.ADMIN:
        return true()
    if principal.role is Role.REGULATOR and principal.region_path is not None:
        # Sampling crosses regions: a regulator follows the plans organised inside its region
        # and every result of an enterprise inside it, whoever organised the plan.
        inside = regions_inside(principal.region_path)
        organisers = select(Department.code).where(col(Department.region_code).in_(inside))
        return col(Result.organiser_code).in_(organisers) | col(Result.region_code).in_(inside)
    if principal.role is Role.AGENCY:
        # Its own tasks, and the results it was ordered to re-test.
        retested = select(Retest.result_id).where(col(Retest.agency_id) == principal.agency_id)
        return (col(Result.agency_id) == principal.agency_id) | col(Result.id).in_(retested)
    if principal.role is Role.ENTERPRISE:
        return col(Result.enterprise_uscc) == principal.enterprise_uscc
    if principal.role is Role.DEPARTMENT:
        # Consuming departments act on what is settled: final (and so published) results.
        return col(Result.state) == ResultState.FINAL.value
    return false()


def readable_results(principal: Principal) -> SelectOfScalar[Result]:
    """The one place that bounds result visibility."""
    return select(Result).where(_scope(principal))


def readable_result_ids(principal: Principal) -> SelectOfScalar[uuid.UUID]:
    """The ids of `readable_results`, for scoping what hangs off a result."""
    return select(Result.id).where(_scope(principal))


async def get_result(
    session: AsyncSession, principal: Principal, result_id: uuid.UUID, *, for_update: bool = False
) -> Result:
    statement = readable_results(principal).where(col(Result.id) == result_id)
    if for_update:
        # Serialises everything that moves a result: objections, decisions, the lapse job.
        statement = statement.with_for_update(of=Result).execution_options(populate_existing=True)
    result = (await session.exec(statement)).first()
    if result is None:
        # Same answer for "hidden" and "absent": another enterprise's result is not confirmed.
        raise NotFound("result.not_found", f"no result {result_id}")
    return result


@dataclass(frozen=True)
class ResultFilter:
    state: ResultState | None = None
    verdict: Verdict | None = None
    plan_id: uuid.UUID | None = None
    enterprise_uscc: str | None = None
    category_code: str | None = None
    region_code: str | None = None


async def list_results(
    session: AsyncSession, principal: Principal, filters: ResultFilter, page: PageRequest
) -> PageResult[Result]:
    statement = readable_results(principal)
    if filters.state is not None:
        statement = statement.where(col(Result.state) == filters.state.value)
    if filters.verdict is not None:
        statement = statement.where(col(Result.verdict) == filters.verdict.value)
    if filters.plan_id is not None:
        statement = statement.where(col(Result.plan_id) == filters.plan_id)
    if filters.enterprise_uscc is not None:
        uscc = normalise_uscc(filters.enterprise_uscc)
        statement = statement.where(col(Result.enterprise_uscc) == uscc)
    if filters.category_code is not None:
        statement = statement.where(col(Result.category_code).startswith(filters.category_code))
    if filters.region_code is not None:
        region = await require_region(session, filters.region_code)
        statement = statement.where(col(Result.region_code).in_(regions_inside(region.path)))
    return await keyset_page(session, statement, Result.id, page)  # type: ignore[arg-type]


def effective_items(
    original: Sequence[dict[str, Any]], in_force: Sequence[dict[str, Any]] | None
) -> list[dict[str, Any]]:
    """The items that decide a result. A re-test tests only the disputed items and its
    conclusion is final for them; the items nobody disputed keep the first report's outcome."""
    if in_force is None:
        return list(original)
    retested = {item["name"] for item in in_force}
    return [item for item in original if item["name"] not in retested] + list(in_force)


async def reports_of(session: AsyncSession, result: Result) -> tuple[TestReport, TestReport | None]:
    """The original report and, once a re-test concluded, the re-test report in force."""
    ids = {result.original_report_id, result.report_id}
    reports = {
        r.id: r
        for r in (await session.exec(select(TestReport).where(col(TestReport.id).in_(ids)))).all()
    }
    original = reports[result.original_report_id]
    in_force = reports[result.report_id] if result.report_id != result.original_report_id else None
    return original, in_force


async def result_items(session: AsyncSession, result: Result) -> list[dict[str, Any]]:
    original, in_force = await reports_of(session, result)
    return effective_items(original.items, in_force.items if in_force else None)


async def retest_reads(session: AsyncSession, retests: Iterable[Retest]) -> list[RetestRead]:
    """Re-tests with their sample and result, in one query for the lot."""
    retests = list(retests)
    if not retests:
        return []
    rows = (
        await session.exec(
            select(Retest.id, Sample, Result)
            .join(Sample, col(Sample.id) == col(Retest.sample_id))
            .join(Result, col(Result.id) == col(Retest.result_id))
            .where(col(Retest.id).in_([r.id for r in retests]))
        )
    ).all()
    context = {retest_id: (sample, result) for retest_id, sample, result in rows}
    reads = []
    for retest in retests:
        sample, result = context[retest.id]
        reads.append(
            RetestRead.model_validate(
                {
                    **retest.model_dump(),
                    "enterprise_uscc": result.enterprise_uscc,
                    "product_id": result.product_id,
                    "category_code": result.category_code,
                    "sample_number": sample.sample_number,
                    "backup_holder": sample.backup_holder,
                    "backup_quantity": sample.backup_quantity,
                    "quantity_unit": sample.quantity_unit,
                }
            )
        )
    return reads


async def result_detail(session: AsyncSession, result: Result) -> ResultDetail:
    original, in_force = await reports_of(session, result)
    objection = (
        await session.exec(select(Objection).where(col(Objection.result_id) == result.id))
    ).first()
    retest = (await session.exec(select(Retest).where(col(Retest.result_id) == result.id))).first()
    return ResultDetail.model_validate(
        {
            **result.model_dump(),
            "original_report": ReportRead.model_validate(original),
            "retest_report": ReportRead.model_validate(in_force) if in_force else None,
            "objection": ObjectionRead.model_validate(objection) if objection else None,
            "retest": (await retest_reads(session, [retest]))[0] if retest else None,
        }
    )


def can_object(result: Result, objection: Objection | None, today: date) -> bool:
    """Inside the window (its last day included) and nothing filed yet."""
    return (
        objection is None
        and result.state == ResultState.NOTIFIED.value
        and today <= result.objection_window_ends_on
    )


@dataclass(frozen=True)
class MyResultFilter:
    state: ResultState | None = None
    verdict: Verdict | None = None


async def my_results(
    session: AsyncSession,
    principal: Principal,
    filters: MyResultFilter,
    page: PageRequest,
    *,
    today: date,
) -> PageResult[MyResultRead]:
    """An enterprise's own results, each with its objection deadline and objection."""
    found = await list_results(
        session, principal, ResultFilter(state=filters.state, verdict=filters.verdict), page
    )
    ids = [r.id for r in found.items]
    objections = {
        o.result_id: o
        for o in (
            await session.exec(select(Objection).where(col(Objection.result_id).in_(ids)))
        ).all()
    }
    items = []
    for result in found.items:
        objection = objections.get(result.id)
        items.append(
            MyResultRead.model_validate(
                {
                    **result.model_dump(),
                    "objection_deadline": result.objection_window_ends_on,
                    "can_object": can_object(result, objection, today),
                    "objection": ObjectionRead.model_validate(objection) if objection else None,
                }
            )
        )
    return PageResult(items=items, next_cursor=found.next_cursor)


def readable_retests(principal: Principal) -> SelectOfScalar[Retest]:
    """An agency sees the re-tests it was ordered to do; everyone else those of the results
    they can read."""
    if principal.role is Role.AGENCY:
        return select(Retest).where(col(Retest.agency_id) == principal.agency_id)
    return select(Retest).where(col(Retest.result_id).in_(readable_result_ids(principal)))


@dataclass(frozen=True)
class RetestFilter:
    state: RetestState | None = None
    result_id: uuid.UUID | None = None


async def list_retests(
    session: AsyncSession, principal: Principal, filters: RetestFilter, page: PageRequest
) -> PageResult[RetestRead]:
    statement = readable_retests(principal)
    if filters.state is not None:
        statement = statement.where(col(Retest.state) == filters.state.value)
    if filters.result_id is not None:
        statement = statement.where(col(Retest.result_id) == filters.result_id)
    found = await keyset_page(session, statement, Retest.id, page)  # type: ignore[arg-type]
    return PageResult(items=await retest_reads(session, found.items), next_cursor=found.next_cursor)
