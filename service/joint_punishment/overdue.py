"""`GET /joint-punishment/overdue-lifts`: after a removal, every department that applied a
measure owes a `lifted` report within 3 working days (NDRC and SAMR credit-repair rules); these
are the (listing, department, measure) that still owe it after the due day.

The due day is stored at removal; when the calendar did not cover that year then, it is computed
here, and a year still uncovered surfaces as the calendar's 503 rather than a guess."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date

from sqlalchemy.orm import aliased
from sqlmodel import col, or_, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models.blacklist import FeedbackStatus, Listing, ListingState, Measure, MeasureFeedback
from models.enterprise import Enterprise
from models.reference import Department
from models.system import Role
from service.auth import Principal
from service.blacklist.config import get_blacklist_settings
from service.directory.reference import regions_inside
from service.pagination import PageRequest, keyset_page
from service.work_calendar import load_calendar


@dataclass(frozen=True)
class OverdueLift:
    listing_id: uuid.UUID
    uscc: str
    enterprise_name: str
    department_code: str
    department_name: str
    measure_code: str
    measure_name: str
    applied_feedback_id: uuid.UUID
    applied_on: date
    applied_reference: str
    removed_on: date
    lift_due_on: date
    days_overdue: int


async def overdue_lifts(
    session: AsyncSession, principal: Principal, page: PageRequest, *, today: date
) -> tuple[list[OverdueLift], str | None]:
    """One page of owed lifts, by applied report. A page may come back shorter than asked when
    a due day had to be computed and turned out not to be passed yet; follow `next_cursor`."""
    lifted = aliased(MeasureFeedback)
    statement = (
        select(MeasureFeedback)
        .join(Listing, col(Listing.id) == col(MeasureFeedback.listing_id))
        .where(
            col(MeasureFeedback.status) == FeedbackStatus.APPLIED.value,
            col(Listing.state) == ListingState.REMOVED.value,
            or_(col(Listing.lift_due_on).is_(None), col(Listing.lift_due_on) < today),
            ~select(lifted.id)
            .where(
                lifted.listing_id == MeasureFeedback.listing_id,
                lifted.department_code == MeasureFeedback.department_code,
                lifted.measure_code == MeasureFeedback.measure_code,
                lifted.status == FeedbackStatus.LIFTED.value,
            )
            .exists(),
        )
    )
    if principal.role is not Role.ADMIN:
        statement = statement.join(
            Enterprise, col(Enterprise.uscc) == col(Listing.enterprise_uscc)
        ).where(col(Enterprise.region_code).in_(regions_inside(principal.region_path)))
    found = await keyset_page(session, statement, MeasureFeedback.id, page)  # type: ignore[arg-type]
    if not found.items:
        return [], found.next_cursor

    ids = [f.id for f in found.items]
    rows = (
        await session.exec(
            select(MeasureFeedback, Listing, Enterprise.name, Department.name)
            .join(Listing, col(Listing.id) == col(MeasureFeedback.listing_id))
            .join(Enterprise, col(Enterprise.uscc) == col(Listing.enterprise_uscc))
            .join(Department, col(Department.code) == col(MeasureFeedback.department_code))
            .where(col(MeasureFeedback.id).in_(ids))
            .order_by(col(MeasureFeedback.id))
        )
    ).all()
    names = {m.code: m.name for m in (await session.exec(select(Measure))).all()}
    calendar = None
    items: list[OverdueLift] = []
    for applied, listing, enterprise_name, department_name in rows:
        if listing.removed_on is None:  # the state's check constraint rules this out
            continue
        due = listing.lift_due_on
        if due is None:
            calendar = calendar or await load_calendar(session)
            due = calendar.add_working_days(
                listing.removed_on, get_blacklist_settings().lift_working_days
            )
        if today <= due:
            continue
        items.append(
            OverdueLift(
                listing_id=listing.id,
                uscc=listing.enterprise_uscc,
                enterprise_name=enterprise_name,
                department_code=applied.department_code,
                department_name=department_name,
                measure_code=applied.measure_code,
                measure_name=names[applied.measure_code],
                applied_feedback_id=applied.id,
                applied_on=applied.effective_on,
                applied_reference=applied.decision_reference,
                removed_on=listing.removed_on,
                lift_due_on=due,
                days_overdue=(today - due).days,
            )
        )
    return items, found.next_cursor
