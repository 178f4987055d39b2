"""The quality-credit score model v1 (rules §8, [ours] default) as a pure function: no database.

Start at `base` (100) over the events inside their publication period on the given day, add each
event's points, and grade the sum: A ≥ 90, B 75–89, C 60–74, D < 60; an enterprise on the
blacklist is D whatever its score. Every counting event appears in the explanation with its points,
so the points always add up to score − base. The score is not clamped: clamping would break that
sum, and a score below 0 or above 100 grades the same as 0 or 100.

Counting on day `on`: the event is not corrected by a credit objection and
`occurred_on ≤ on ≤ publish_until` (the last day of publication is still inside; 民法典 §201–202:
a period of N months ends on the corresponding day).

Conforming results add +1 each up to +10 in all: the newest count first, so a run of good results
stays visible as older ones age out; the others are listed with 0 points and a note.

The version is `credit-score/1` with the default weights; any other weights make
`credit-score/1+<hash of the weights>`, so stored scores always name the numbers behind them."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from models.credit import (
    CreditEventType,
    Grade,
    PenaltySeverity,
    ResultSeverity,
)
from service.canonical import digest
from service.credit.config import ScoreWeights

VERSION = "credit-score/1"
DEFAULT_WEIGHTS = ScoreWeights()

_T = CreditEventType
_DAY = timedelta(days=1)


@dataclass(frozen=True)
class Fact:
    """One credit event as the models see it."""

    id: uuid.UUID
    type: CreditEventType
    occurred_on: date
    publish_until: date
    severity: str | None = None
    counting: bool = True  # False once a credit objection corrected it


@dataclass(frozen=True)
class Contribution:
    event_id: uuid.UUID
    type: CreditEventType
    occurred_on: date
    rule: str
    points: int
    note: str | None = None


@dataclass(frozen=True)
class Score:
    score: int
    base: int
    grade: Grade
    grade_reason: str  # `score`, or `listed` when the blacklist makes it D
    listed: bool
    explanation: tuple[Contribution, ...]
    model_version: str
    # The first day after `on` on which the score changes without any new event.
    next_change_on: date | None


def model_version(weights: ScoreWeights = DEFAULT_WEIGHTS) -> str:
    if weights == DEFAULT_WEIGHTS:
        return VERSION
    return f"{VERSION}+{digest(weights.model_dump())[:12]}"


def in_force(fact: Fact, on: date) -> bool:
    """Whether the fact counts on `on`: not corrected, and inside its publication period."""
    return fact.counting and fact.occurred_on <= on <= fact.publish_until


def rule_of(fact: Fact) -> str:
    """The weight that applies to the fact: a field name of `ScoreWeights`."""
    if fact.type is _T.NONCONFORMING_RESULT:
        serious = fact.severity == ResultSeverity.SERIOUS.value
        return "nonconforming_result_serious" if serious else "nonconforming_result"
    if fact.type is _T.ADMINISTRATIVE_PENALTY:
        heavier = fact.severity == PenaltySeverity.HEAVIER.value
        return "penalty_heavier" if heavier else "penalty_other"
    return fact.type.value


def grade_of(score: int, *, listed: bool, weights: ScoreWeights = DEFAULT_WEIGHTS) -> Grade:
    if listed or score < weights.grade_c_from:
        return Grade.D
    if score >= weights.grade_a_from:
        return Grade.A
    return Grade.B if score >= weights.grade_b_from else Grade.C


def _newest_first(facts: Iterable[Fact]) -> list[Fact]:
    # A total order (ties broken by id) keeps the explanation — and its digest — stable.
    return sorted(facts, key=lambda f: (f.occurred_on, str(f.id)), reverse=True)


def compute(
    facts: Iterable[Fact],
    *,
    on: date,
    listed: bool,
    weights: ScoreWeights = DEFAULT_WEIGHTS,
) -> Score:
    """The score, grade and explanation of a file on day `on`."""
    facts = list(facts)
    contributions: list[Contribution] = []
    conforming_used = 0
    for fact in _newest_first(f for f in facts if in_force(f, on)):
        rule = rule_of(fact)
        points: int = getattr(weights, rule)
        note = None
        if fact.type is _T.CONFORMING_RESULT and points > 0:
            allowed = max(0, min(points, weights.conforming_result_cap - conforming_used))
            if allowed < points:
                note = f"cap of +{weights.conforming_result_cap} for conforming results reached"
            points = allowed
            conforming_used += points
        contributions.append(Contribution(fact.id, fact.type, fact.occurred_on, rule, points, note))
    score = weights.base + sum(c.points for c in contributions)
    return Score(
        score=score,
        base=weights.base,
        grade=grade_of(score, listed=listed, weights=weights),
        grade_reason="listed" if listed else "score",
        listed=listed,
        explanation=tuple(contributions),
        model_version=model_version(weights),
        next_change_on=next_change(facts, on),
    )


def next_change(facts: Iterable[Fact], on: date) -> date | None:
    """The first day after `on` on which a fact starts or stops counting."""
    days = [
        f.occurred_on if f.occurred_on > on else f.publish_until + _DAY
        for f in facts
        if f.counting and f.publish_until >= on
    ]
    later = [d for d in days if d > on]
    return min(later) if later else None
