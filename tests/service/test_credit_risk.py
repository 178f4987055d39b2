"""The internal risk class v1 as a pure function of the file: recent nonconformity, refusals,
penalties and listing raise it; a good record lowers it; windows age."""

from __future__ import annotations

import uuid
from datetime import date

import pytest

from models.credit import CreditEventType, Grade
from service.credit.config import RiskRules
from service.credit.risk import VERSION, classify, risk_version
from service.credit.score import Fact, compute

T = CreditEventType
ON = date(2026, 6, 1)


def fact(
    kind: CreditEventType,
    severity: str | None = None,
    *,
    occurred_on: date = date(2026, 3, 1),
    publish_until: date = date(2029, 3, 1),
    counting: bool = True,
) -> Fact:
    return Fact(uuid.uuid4(), kind, occurred_on, publish_until, severity, counting)


def risk_of(*facts: Fact, listed: bool = False, on: date = ON) -> tuple[Grade, tuple[str, ...]]:
    grade = compute(facts, on=on, listed=listed).grade
    assessment = classify(facts, on=on, listed=listed, grade=grade)
    return assessment.risk_class, assessment.reasons


def test_nothing_known_is_the_default_b() -> None:
    assert risk_of() == (Grade.B, ("no_signal",))


@pytest.mark.parametrize(
    ("facts", "reason"),
    [
        ([fact(T.REFUSAL)], "refusal_recent"),
        ([fact(T.NONCONFORMING_RESULT, "serious")], "serious_nonconformity_recent"),
        ([fact(T.PROVINCIAL_NOTICE)], "provincial_notice_recent"),
        ([fact(T.ADMINISTRATIVE_PENALTY, "heavier")], "heavier_penalty_published"),
    ],
)
def test_high_risk_signals_make_d(facts: list[Fact], reason: str) -> None:
    risk_class, reasons = risk_of(*facts)
    assert risk_class is Grade.D
    assert reason in reasons


def test_listing_makes_d() -> None:
    assert risk_of(fact(T.AWARD), listed=True) == (Grade.D, ("listed",))


@pytest.mark.parametrize(
    ("facts", "reason"),
    [
        ([fact(T.NONCONFORMING_RESULT, "general")], "nonconforming_result_recent"),
        ([fact(T.ADMINISTRATIVE_PENALTY, "other")], "penalty_published"),
        ([fact(T.MANDATORY_RECALL)], "mandatory_recall_recent"),
        ([fact(T.RECTIFICATION_OVERDUE)], "rectification_overdue_recent"),
    ],
)
def test_elevated_signals_make_c(facts: list[Fact], reason: str) -> None:
    assert risk_of(*facts) == (Grade.C, (reason,))


def test_a_good_record_makes_a() -> None:
    assert risk_of(fact(T.CONFORMING_RESULT)) == (Grade.A, ("good_record",))
    # A complaint within two years spoils the record (not enough for C).
    assert risk_of(fact(T.CONFORMING_RESULT), fact(T.VERIFIED_COMPLAINT))[0] is Grade.B


def test_recent_means_within_twelve_months_of_the_event() -> None:
    refusal = fact(T.REFUSAL, occurred_on=date(2025, 6, 1))
    assert risk_of(refusal, on=date(2026, 6, 1))[0] is Grade.D  # the anniversary itself
    # One day later the refusal is no longer recent; it still costs 30 points (grade C).
    assert risk_of(refusal, on=date(2026, 6, 2)) == (Grade.C, ("grade_c",))


def test_corrected_events_are_not_signals() -> None:
    assert risk_of(fact(T.REFUSAL, counting=False))[0] is Grade.B


def test_the_class_says_when_a_window_closes_next() -> None:
    facts = [fact(T.NONCONFORMING_RESULT, "general", occurred_on=date(2026, 3, 1))]
    grade = compute(facts, on=ON, listed=False).grade
    assert classify(facts, on=ON, listed=False, grade=grade).next_change_on == date(2027, 3, 2)


def test_other_windows_make_a_new_version() -> None:
    assert risk_version() == VERSION
    assert risk_version(RiskRules(recent_months=6)).startswith(f"{VERSION}+")
