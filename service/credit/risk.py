"""The internal credit-risk class A (low) … D (high) (SAMR 2022 classification, rules §8) as a pure
function of the credit file: no database. It drives the draw's sampling ratios; it is not public
and "not a credit evaluation", so only regulators and departments ever see it.

v1 ([ours]; "recent" = within `recent_months`, default 12, of the event; "published" = inside its
publication period; corrected events never count):

- D: on the blacklist; grade D; a refusal, a failed follow-up, a provincial notice or a
  nonconforming result with a serious item that is recent; a heavier penalty that is published.
- C: a nonconforming result, a mandatory recall or a missed rectification deadline that is recent;
  any other penalty that is published; grade C.
- A: grade A, a conforming result and no negative event within `good_record_months` (24).
- B: everything else — the class of an enterprise nobody knows anything about yet.

Each class comes with the reasons that put the enterprise there, and the version names the windows
used (`credit-risk/1`, or `credit-risk/1+<hash>` with other windows)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from models.credit import CreditEventType, Grade, PenaltySeverity, ResultSeverity
from service.canonical import digest
from service.credit.config import RiskRules
from service.credit.score import Fact, in_force
from service.six_month_rule import add_months

VERSION = "credit-risk/1"
DEFAULT_RULES = RiskRules()

_T = CreditEventType
_DAY = timedelta(days=1)

NEGATIVE = frozenset(
    {
        _T.NONCONFORMING_RESULT,
        _T.REFUSAL,
        _T.RECTIFICATION_OVERDUE,
        _T.FOLLOW_UP_FAILED,
        _T.PROVINCIAL_NOTICE,
        _T.ADMINISTRATIVE_PENALTY,
        _T.VERIFIED_COMPLAINT,
        _T.MANDATORY_RECALL,
    }
)
_HIGH_WHEN_RECENT = frozenset({_T.REFUSAL, _T.FOLLOW_UP_FAILED, _T.PROVINCIAL_NOTICE})
_ELEVATED_WHEN_RECENT = frozenset(
    {_T.NONCONFORMING_RESULT, _T.MANDATORY_RECALL, _T.RECTIFICATION_OVERDUE}
)


@dataclass(frozen=True)
class RiskAssessment:
    risk_class: Grade
    reasons: tuple[str, ...]
    version: str
    next_change_on: date | None


def risk_version(rules: RiskRules = DEFAULT_RULES) -> str:
    if rules == DEFAULT_RULES:
        return VERSION
    return f"{VERSION}+{digest(rules.model_dump())[:12]}"


def _within(fact: Fact, on: date, months: int) -> bool:
    return fact.counting and fact.occurred_on <= on <= add_months(fact.occurred_on, months)


def _high_reasons(facts: list[Fact], on: date, rules: RiskRules) -> list[str]:
    reasons = []
    for fact in facts:
        recent = _within(fact, on, rules.recent_months)
        if recent and fact.type in _HIGH_WHEN_RECENT:
            reasons.append(f"{fact.type.value}_recent")
        elif (
            recent
            and fact.type is _T.NONCONFORMING_RESULT
            and fact.severity == ResultSeverity.SERIOUS.value
        ):
            reasons.append("serious_nonconformity_recent")
        elif (
            fact.type is _T.ADMINISTRATIVE_PENALTY
            and fact.severity == PenaltySeverity.HEAVIER.value
            and in_force(fact, on)
        ):
            reasons.append("heavier_penalty_published")
    return reasons


def _elevated_reasons(facts: list[Fact], on: date, rules: RiskRules) -> list[str]:
    reasons = []
    for fact in facts:
        if fact.type in _ELEVATED_WHEN_RECENT and _within(fact, on, rules.recent_months):
            reasons.append(f"{fact.type.value}_recent")
        elif fact.type is _T.ADMINISTRATIVE_PENALTY and in_force(fact, on):
            reasons.append("penalty_published")
    return reasons


def classify(
    facts: Iterable[Fact],
    *,
    on: date,
    listed: bool,
    grade: Grade,
    rules: RiskRules = DEFAULT_RULES,
) -> RiskAssessment:
    facts = list(facts)
    high = _high_reasons(facts, on, rules)
    if listed:
        high.insert(0, "listed")
    if grade is Grade.D and not listed:
        high.insert(0, "grade_d")
    risk_class, reasons = Grade.B, ["no_signal"]
    if high:
        risk_class, reasons = Grade.D, high
    elif elevated := _elevated_reasons(facts, on, rules) + (
        ["grade_c"] if grade is Grade.C else []
    ):
        risk_class, reasons = Grade.C, elevated
    elif grade is Grade.A and _good_record(facts, on, rules):
        risk_class, reasons = Grade.A, ["good_record"]
    return RiskAssessment(
        risk_class=risk_class,
        # Sorted and deduplicated: the same file always gives the same reasons.
        reasons=tuple(sorted(set(reasons))),
        version=risk_version(rules),
        next_change_on=_next_change(facts, on, rules),
    )


def _good_record(facts: list[Fact], on: date, rules: RiskRules) -> bool:
    window = [f for f in facts if _within(f, on, rules.good_record_months)]
    return any(f.type is _T.CONFORMING_RESULT for f in window) and not any(
        f.type in NEGATIVE for f in window
    )


def _next_change(facts: list[Fact], on: date, rules: RiskRules) -> date | None:
    """The first day after `on` on which a fact enters or leaves a window the class reads."""
    days: list[date] = []
    for fact in facts:
        if not fact.counting:
            continue
        if fact.occurred_on > on:
            days.append(fact.occurred_on)
            continue
        days.append(fact.publish_until + _DAY)
        days.append(add_months(fact.occurred_on, rules.recent_months) + _DAY)
        days.append(add_months(fact.occurred_on, rules.good_record_months) + _DAY)
    later = [d for d in days if d > on]
    return min(later) if later else None
