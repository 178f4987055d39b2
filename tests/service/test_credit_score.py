"""The score model v1 (rules §8) as a pure function: each rule's points, the grade bounds,
blacklisted ⇒ D, ageing out of publication, the explanation that adds up to the score, and the
model version that follows the weights."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

import pytest

from models.credit import CreditEventType, Grade
from service.credit.config import ScoreWeights
from service.credit.score import VERSION, Fact, compute, grade_of, model_version

T = CreditEventType
ON = date(2026, 6, 1)
DAY = timedelta(days=1)


def fact(
    kind: CreditEventType,
    severity: str | None = None,
    *,
    occurred_on: date = date(2026, 3, 1),
    publish_until: date = date(2029, 3, 1),
    counting: bool = True,
) -> Fact:
    return Fact(uuid.uuid4(), kind, occurred_on, publish_until, severity, counting)


def points_of(*facts: Fact) -> int:
    result = compute(facts, on=ON, listed=False)
    return result.score - result.base


@pytest.mark.parametrize(
    ("kind", "severity", "points"),
    [
        (T.NONCONFORMING_RESULT, "general", -5),
        (T.NONCONFORMING_RESULT, "serious", -15),
        (T.REFUSAL, None, -30),
        (T.RECTIFICATION_OVERDUE, None, -10),
        (T.FOLLOW_UP_FAILED, None, -10),
        (T.PROVINCIAL_NOTICE, None, -20),
        (T.ADMINISTRATIVE_PENALTY, "heavier", -25),
        (T.ADMINISTRATIVE_PENALTY, "other", -10),
        (T.VERIFIED_COMPLAINT, None, -3),
        (T.MANDATORY_RECALL, None, -10),
        (T.CONFORMING_RESULT, None, 1),
        (T.AWARD, None, 10),
        (T.CERTIFICATION, None, 0),
    ],
)
def test_each_event_type_scores_its_points(
    kind: CreditEventType, severity: str | None, points: int
) -> None:
    assert points_of(fact(kind, severity)) == points


def test_a_file_without_events_scores_the_base_and_is_grade_a() -> None:
    result = compute([], on=ON, listed=False)
    assert (result.score, result.base, result.grade, result.explanation) == (100, 100, Grade.A, ())


def test_conforming_results_add_at_most_ten_points_newest_first() -> None:
    results = [fact(T.CONFORMING_RESULT, occurred_on=date(2026, 1, 1) + n * DAY) for n in range(12)]
    outcome = compute(results, on=ON, listed=False)
    assert outcome.score == 110
    by_day = {c.occurred_on: c for c in outcome.explanation}
    assert [by_day[date(2026, 1, 1) + n * DAY].points for n in range(12)] == [0, 0] + [1] * 10
    assert by_day[date(2026, 1, 1)].note is not None


def test_the_cap_applies_to_conforming_results_only() -> None:
    results = [fact(T.CONFORMING_RESULT) for _ in range(15)]
    assert points_of(*results, fact(T.AWARD), fact(T.AWARD)) == 10 + 20


@pytest.mark.parametrize(
    ("score", "grade"),
    [
        (120, Grade.A),
        (90, Grade.A),
        (89, Grade.B),
        (75, Grade.B),
        (74, Grade.C),
        (60, Grade.C),
        (59, Grade.D),
        (-40, Grade.D),
    ],
)
def test_grade_bounds(score: int, grade: Grade) -> None:
    assert grade_of(score, listed=False) is grade


def test_the_grade_follows_the_score_at_the_bounds() -> None:
    # 100 − 10 = 90 → A; one complaint more (−3) → 87 → B.
    assert compute([fact(T.MANDATORY_RECALL)], on=ON, listed=False).grade is Grade.A
    two = [fact(T.MANDATORY_RECALL), fact(T.VERIFIED_COMPLAINT)]
    assert compute(two, on=ON, listed=False).grade is Grade.B
    # 100 − 25 = 75 → B; −26 → C; 100 − 30 − 10 = 60 → C; −41 → D.
    assert (
        compute([fact(T.ADMINISTRATIVE_PENALTY, "heavier")], on=ON, listed=False).grade is Grade.B
    )
    c = [fact(T.REFUSAL), fact(T.FOLLOW_UP_FAILED)]
    assert compute(c, on=ON, listed=False).grade is Grade.C
    d = [*c, fact(T.CONFORMING_RESULT, counting=True), fact(T.PROVINCIAL_NOTICE)]
    assert compute(d, on=ON, listed=False).grade is Grade.D


def test_a_blacklisted_enterprise_is_d_whatever_its_score() -> None:
    outcome = compute([fact(T.AWARD)], on=ON, listed=True)
    assert (outcome.score, outcome.grade, outcome.grade_reason, outcome.listed) == (
        110,
        Grade.D,
        "listed",
        True,
    )


def test_the_explanation_adds_up_to_score_minus_base_and_names_every_event() -> None:
    facts = [
        fact(T.NONCONFORMING_RESULT, "serious"),
        fact(T.REFUSAL),
        *(fact(T.CONFORMING_RESULT) for _ in range(13)),
        fact(T.AWARD),
        fact(T.CERTIFICATION),
        fact(T.ADMINISTRATIVE_PENALTY, "other"),
    ]
    outcome = compute(facts, on=ON, listed=False)
    assert sum(c.points for c in outcome.explanation) == outcome.score - outcome.base
    assert {c.event_id for c in outcome.explanation} == {f.id for f in facts}
    assert outcome.model_version == VERSION


def test_events_count_inside_their_publication_period_only() -> None:
    penalty = fact(
        T.ADMINISTRATIVE_PENALTY, "other", occurred_on=date(2026, 1, 15), publish_until=ON
    )
    assert compute([penalty], on=date(2026, 1, 14), listed=False).score == 100  # not yet
    assert compute([penalty], on=date(2026, 1, 15), listed=False).score == 90
    assert compute([penalty], on=ON, listed=False).score == 90  # the last day still counts
    assert compute([penalty], on=ON + DAY, listed=False).score == 100  # aged out


def test_the_score_says_when_it_changes_next_without_new_events() -> None:
    early = fact(T.REFUSAL, publish_until=date(2026, 9, 30))
    late = fact(T.AWARD, publish_until=date(2027, 1, 31))
    assert compute([early, late], on=ON, listed=False).next_change_on == date(2026, 10, 1)
    assert compute([late], on=date(2026, 10, 1), listed=False).next_change_on == date(2027, 2, 1)
    assert compute([], on=ON, listed=False).next_change_on is None


def test_corrected_events_do_not_count() -> None:
    assert points_of(fact(T.REFUSAL, counting=False)) == 0
    assert compute([fact(T.REFUSAL, counting=False)], on=ON, listed=False).explanation == ()


def test_weights_come_from_configuration_and_make_a_new_version() -> None:
    harsher = ScoreWeights(refusal=-50)
    outcome = compute([fact(T.REFUSAL)], on=ON, listed=False, weights=harsher)
    assert outcome.score == 50
    assert outcome.model_version.startswith(f"{VERSION}+")
    assert outcome.model_version == model_version(ScoreWeights(refusal=-50))
    assert outcome.model_version != model_version(ScoreWeights(refusal=-40))
    assert model_version(ScoreWeights()) == VERSION


def test_grade_bounds_must_descend() -> None:
    with pytest.raises(ValueError, match="descend"):
        ScoreWeights(grade_a_from=70, grade_b_from=75)
