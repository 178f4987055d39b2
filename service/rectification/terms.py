"""The pure core of rectification: the terms (Order 18 §44–50), the deadlines they give, whether
each deadline is open, met, missed or superseded on a given day, and what is due next. No
database: the services load the facts and pass them in, and the tests call these directly."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date, timedelta
from typing import Protocol

from models.rectification_api import (
    DeadlineName,
    DeadlineRead,
    DeadlineStatus,
    NextAction,
    NextStep,
    Responsible,
)
from models.results import Rectification, RectificationState

VERSION = "rectification-terms/1"

_State = RectificationState


@dataclass(frozen=True)
class Terms:
    """The numbers of rules §6, recorded with every decision they drive."""

    correction_days: int = 60  # [reg] correct within 60 days of the order
    follow_up_days: int = 75  # [reg] follow-up inspection within 75 days
    second_window_opens_days: int = 60  # [reg] second follow-up 60 …
    second_window_closes_days: int = 90  # [reg] … to 90 days after the notice
    # [ours] No rule fixes when the follow-up after suspension is due; this is the period its
    # plan is given.
    suspension_follow_up_days: int = 90
    # [ours] A first follow-up scheduled after its due day still has to be sampled: its plan
    # runs this long (the 15 days between the correction and the follow-up deadline).
    late_follow_up_days: int = 15

    def as_record(self) -> dict[str, object]:
        return {"version": VERSION, **asdict(self)}


TERMS = Terms()


class PeriodCalendar(Protocol):
    def period_end(self, event_day: date, days: int) -> date: ...


def order_deadlines(ordered_on: date, calendar: PeriodCalendar, terms: Terms) -> tuple[date, date]:
    """Correction and follow-up due dates: periods of N days (民法典 §201, §203), so a last day
    on a rest day or holiday moves to the next working day."""
    return (
        calendar.period_end(ordered_on, terms.correction_days),
        calendar.period_end(ordered_on, terms.follow_up_days),
    )


def second_window(noticed_on: date, calendar: PeriodCalendar, terms: Terms) -> tuple[date, date]:
    """The second follow-up's window. Its opening day is not a period's end, so it never moves;
    its closing day is, and does."""
    return (
        noticed_on + timedelta(days=terms.second_window_opens_days),
        calendar.period_end(noticed_on, terms.second_window_closes_days),
    )


def first_round_concluded_on(r: Rectification) -> date | None:
    """When the first follow-up's result became final: it failed (notice) or passed (closed)."""
    if r.noticed_on is not None:
        return r.noticed_on
    return r.closed_on if r.state == _State.CLOSED.value else None


def second_round_concluded_on(r: Rectification) -> date | None:
    if r.noticed_on is None:
        return None
    if r.suspended_on is not None:
        return r.suspended_on
    return r.closed_on if r.state == _State.CLOSED.value else None


def _by_date(due_on: date, today: date) -> DeadlineStatus:
    # The due day itself is still in time.
    return DeadlineStatus.MISSED if today > due_on else DeadlineStatus.OPEN


def _by_conclusion(concluded_on: date, due_on: date) -> DeadlineStatus:
    return DeadlineStatus.MET if concluded_on <= due_on else DeadlineStatus.MISSED


def deadlines(r: Rectification, *, corrected_by_due: bool, today: date) -> list[DeadlineRead]:
    """Every deadline the rectification has reached so far, with its status on `today`.
    `corrected_by_due`: a correction dated on or before the correction due date is recorded."""
    reported = set(r.overdue_reported)
    first = first_round_concluded_on(r)
    if corrected_by_due:
        correction = DeadlineStatus.MET
    elif first is not None and first <= r.correction_due_on:
        correction = DeadlineStatus.SUPERSEDED
    else:
        correction = _by_date(r.correction_due_on, today)
    views = [
        DeadlineRead(
            name=DeadlineName.CORRECTION,
            responsible=Responsible.ENTERPRISE,
            opens_on=None,
            due_on=r.correction_due_on,
            status=correction,
            overdue_reported=DeadlineName.CORRECTION.value in reported,
        ),
        DeadlineRead(
            name=DeadlineName.FOLLOW_UP,
            responsible=Responsible.ORGANISER,
            opens_on=None,
            due_on=r.follow_up_due_on,
            status=(
                _by_conclusion(first, r.follow_up_due_on)
                if first is not None
                else _by_date(r.follow_up_due_on, today)
            ),
            overdue_reported=DeadlineName.FOLLOW_UP.value in reported,
        ),
    ]
    if r.second_follow_up_until is not None:
        second = second_round_concluded_on(r)
        views.append(
            DeadlineRead(
                name=DeadlineName.SECOND_FOLLOW_UP,
                responsible=Responsible.ORGANISER,
                opens_on=r.second_follow_up_from,
                due_on=r.second_follow_up_until,
                status=(
                    _by_conclusion(second, r.second_follow_up_until)
                    if second is not None
                    else _by_date(r.second_follow_up_until, today)
                ),
                overdue_reported=DeadlineName.SECOND_FOLLOW_UP.value in reported,
            )
        )
    return views


# The states in which each deadline is still running: the overdue job watches only these.
PHASE: dict[DeadlineName, frozenset[str]] = {
    DeadlineName.CORRECTION: frozenset({_State.ORDERED.value, _State.FOLLOW_UP.value}),
    DeadlineName.FOLLOW_UP: frozenset({_State.ORDERED.value, _State.FOLLOW_UP.value}),
    DeadlineName.SECOND_FOLLOW_UP: frozenset({_State.NOTICED.value, _State.SECOND_FOLLOW_UP.value}),
}


def newly_overdue(r: Rectification, views: list[DeadlineRead]) -> list[DeadlineRead]:
    """Deadlines of the current phase that were missed and not yet reported."""
    return [
        v
        for v in views
        if v.status is DeadlineStatus.MISSED and not v.overdue_reported and r.state in PHASE[v.name]
    ]


def next_step(
    r: Rectification, *, corrected: bool, suspension_follow_up_pending: bool, today: date
) -> NextStep | None:
    """What is due next, and from whom. `corrected`: any correction is recorded."""
    state = RectificationState(r.state)
    org = Responsible.ORGANISER
    step: tuple[NextAction, Responsible, date | None, date | None]
    if state is _State.ORDERED:
        if not corrected and today <= r.correction_due_on:
            step = (NextAction.REPORT_CORRECTION, Responsible.ENTERPRISE, None, r.correction_due_on)
        else:
            step = (NextAction.SCHEDULE_FOLLOW_UP, org, None, r.follow_up_due_on)
    elif state is _State.FOLLOW_UP:
        step = (NextAction.AWAIT_FOLLOW_UP_RESULT, org, None, r.follow_up_due_on)
    elif state is _State.NOTICED:
        step = (
            NextAction.SCHEDULE_SECOND_FOLLOW_UP,
            org,
            r.second_follow_up_from,
            r.second_follow_up_until,
        )
    elif state is _State.SECOND_FOLLOW_UP:
        step = (NextAction.AWAIT_SECOND_FOLLOW_UP_RESULT, org, None, r.second_follow_up_until)
    elif state is _State.SUSPENDED:
        action = (
            NextAction.AWAIT_SUSPENSION_FOLLOW_UP_RESULT
            if suspension_follow_up_pending
            else NextAction.SCHEDULE_SUSPENSION_FOLLOW_UP
        )
        step = (action, org, None, None)
    else:  # closed, or revocation recommended: the process has ended
        return None
    action, responsible, opens_on, due_on = step
    return NextStep(
        action=action,
        responsible=responsible,
        opens_on=opens_on,
        due_on=due_on,
        overdue=due_on is not None and today > due_on,
    )
