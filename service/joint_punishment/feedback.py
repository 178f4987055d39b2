"""Measure feedback (反馈, 国发〔2016〕33号): a department reports that it applied a measure to a
listed enterprise, that the measure does not apply to the case, or that it lifted it after the
removal. Reports are kept, never changed: one per (listing, department, measure, status), and
posting the same one again returns the original.

The order is enforced: `applied` only for a day the listing was in force; `lifted` only after an
`applied`, for a removed listing, on or after the removal day; `not_applicable` never after an
`applied` (the department lifts instead)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date

from sqlalchemy.dialects.postgresql import insert
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession
from sqlmodel.sql.expression import SelectOfScalar

from models.base import utcnow
from models.blacklist import FeedbackStatus, Listing, Measure, MeasureFeedback
from models.enterprise import Enterprise
from models.joint_punishment_api import FeedbackCreate
from models.system import Role
from service import audit
from service.auth import Principal
from service.directory.reference import regions_inside
from service.errors import Conflict, InvalidInput, NotFound
from service.joint_punishment.measures import department_of
from service.pagination import PageRequest, PageResult, keyset_page


@dataclass(frozen=True)
class Posted:
    feedback: MeasureFeedback
    created: bool


async def _existing(
    session: AsyncSession, listing_id: uuid.UUID, department: str, measure: str
) -> dict[str, MeasureFeedback]:
    rows = (
        await session.exec(
            select(MeasureFeedback).where(
                col(MeasureFeedback.listing_id) == listing_id,
                col(MeasureFeedback.department_code) == department,
                col(MeasureFeedback.measure_code) == measure,
            )
        )
    ).all()
    return {row.status: row for row in rows}


def _check_order(
    data: FeedbackCreate, listing: Listing, reported: dict[str, MeasureFeedback]
) -> None:
    if listing.listed_on is None:
        raise Conflict("feedback.listing_not_listed", f"listing {listing.id} has not taken effect")
    day = data.effective_on
    if data.status is FeedbackStatus.APPLIED:
        if day < listing.listed_on or (
            listing.removed_on is not None and day >= listing.removed_on
        ):
            raise InvalidInput(
                "feedback.not_while_listed",
                f"the listing was in force from {listing.listed_on}"
                + (f" until {listing.removed_on} (exclusive)" if listing.removed_on else ""),
            )
    elif data.status is FeedbackStatus.NOT_APPLICABLE:
        if FeedbackStatus.APPLIED.value in reported:
            raise Conflict(
                "feedback.already_applied",
                "the measure was reported applied; report it lifted instead",
            )
    else:
        applied = reported.get(FeedbackStatus.APPLIED.value)
        if applied is None:
            raise Conflict(
                "feedback.lift_without_applied", "the measure was never reported applied"
            )
        if listing.removed_on is None:
            raise Conflict(
                "feedback.listing_not_removed",
                f"listing {listing.id} is still in force; measures are lifted after its removal",
            )
        if day < listing.removed_on:
            raise InvalidInput(
                "feedback.lifted_before_removal",
                f"the listing was removed on {listing.removed_on}; a lift is effective from then",
            )


async def post_feedback(
    session: AsyncSession, principal: Principal, data: FeedbackCreate, *, today: date
) -> Posted:
    department = await department_of(session, principal)
    if data.effective_on > today:
        raise InvalidInput(
            "feedback.effective_on_in_future", f"{data.effective_on} is after today ({today})"
        )
    listing = await session.get(Listing, data.listing_id)
    if listing is None:
        raise NotFound("listing.not_found", f"no listing {data.listing_id}")
    measure = await session.get(Measure, data.measure_code)
    if measure is None:
        raise InvalidInput("feedback.measure_unknown", f"no measure {data.measure_code}")
    if department.kind not in measure.department_kinds:
        raise InvalidInput(
            "feedback.measure_not_applicable_to_department",
            f"{measure.code} is applied by {', '.join(measure.department_kinds)}, "
            f"not by {department.kind} departments",
        )
    reported = await _existing(session, listing.id, department.code, measure.code)
    original = reported.get(data.status.value)
    if original is not None:
        return Posted(original, created=False)
    _check_order(data, listing, reported)

    # Two identical posts racing: the unique constraint keeps one, the other returns it.
    inserted = (
        await session.exec(
            insert(MeasureFeedback)
            .values(
                id=uuid.uuid4(),
                listing_id=listing.id,
                department_code=department.code,
                measure_code=measure.code,
                status=data.status.value,
                effective_on=data.effective_on,
                decision_reference=data.decision_reference,
                note=data.note,
                reported_by=principal.actor,
                reported_at=utcnow(),
            )
            .on_conflict_do_nothing()
            .returning(col(MeasureFeedback.id))
        )
    ).first()
    row = await _existing(session, listing.id, department.code, measure.code)
    feedback = row[data.status.value]
    if inserted is None:
        return Posted(feedback, created=False)
    audit.record(
        session,
        actor=principal.actor,
        action=f"measure_feedback.{data.status.value}",
        entity_type="measure_feedback",
        entity_id=str(feedback.id),
        state=feedback.model_dump(mode="json", exclude={"reported_at"}),
    )
    return Posted(feedback, created=True)


def readable_feedback(principal: Principal) -> SelectOfScalar[MeasureFeedback]:
    """Who sees which reports: a department its own; a regulator those on listings of
    enterprises in its region or decided by its department; admins all."""
    statement = select(MeasureFeedback)
    if principal.role is Role.ADMIN:
        return statement
    if principal.role is Role.DEPARTMENT:
        return statement.where(col(MeasureFeedback.department_code) == principal.department_code)
    in_scope = select(Listing.id).where(
        col(Listing.enterprise_uscc).in_(
            select(Enterprise.uscc).where(
                col(Enterprise.region_code).in_(regions_inside(principal.region_path))
            )
        )
        | (col(Listing.department_code) == principal.department_code)
    )
    return statement.where(col(MeasureFeedback.listing_id).in_(in_scope))


async def list_feedback(
    session: AsyncSession, principal: Principal, listing_id: uuid.UUID | None, page: PageRequest
) -> PageResult[MeasureFeedback]:
    statement = readable_feedback(principal)
    if listing_id is not None:
        statement = statement.where(col(MeasureFeedback.listing_id) == listing_id)
    return await keyset_page(session, statement, MeasureFeedback.id, page)  # type: ignore[arg-type]
