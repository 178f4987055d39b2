"""Who reads which test report, and the report with what it reports on."""

from __future__ import annotations

import uuid

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession
from sqlmodel.sql.expression import SelectOfScalar

from models.plan import Plan, SamplingTask
from models.reports_api import ReportDetail
from models.results import Result, Retest, Sample, TestReport
from models.system import Role
from service.auth import Principal
from service.errors import NotFound


def readable_reports(principal: Principal) -> SelectOfScalar[TestReport]:
    """The one place that bounds report visibility: admins; the agency that issued the report;
    regulators of the department that organised the sampling."""
    statement = select(TestReport)
    if principal.role is Role.ADMIN:
        return statement
    if principal.role is Role.AGENCY:
        return statement.where(col(TestReport.agency_id) == principal.agency_id)
    if principal.role is Role.REGULATOR:
        organised = (
            select(Sample.id)
            .join(SamplingTask, col(SamplingTask.id) == col(Sample.task_id))
            .join(Plan, col(Plan.id) == col(SamplingTask.plan_id))
            .where(col(Plan.department_code) == principal.department_code)
        )
        return statement.where(col(TestReport.sample_id).in_(organised))
    return statement.where(col(TestReport.id).is_(None))


async def get_report(
    session: AsyncSession, principal: Principal, report_id: uuid.UUID
) -> ReportDetail:
    statement = readable_reports(principal).where(col(TestReport.id) == report_id)
    report = (await session.exec(statement)).first()
    if report is None:
        # Same answer for "hidden" and "absent".
        raise NotFound("report.not_found", f"no test report {report_id}")
    return await report_detail(session, report)


async def report_detail(session: AsyncSession, report: TestReport) -> ReportDetail:
    task_id, retest_id, result_id = (
        await session.exec(
            select(Sample.task_id, Retest.id, Result.id)
            .select_from(Sample)
            .outerjoin(Retest, col(Retest.report_id) == report.id)
            # One sample, one result: the original and the re-test report share both.
            .outerjoin(Result, col(Result.sample_id) == col(Sample.id))
            .where(col(Sample.id) == report.sample_id)
        )
    ).one()
    return ReportDetail.model_validate(
        {**report.model_dump(), "task_id": task_id, "retest_id": retest_id, "result_id": result_id}
    )
