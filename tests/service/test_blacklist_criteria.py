"""The listing criteria v1 (rules §9): a heavier penalty in the quality-safety area or for
obstructing inspection, a refusal not corrected within 30 days, a failed second follow-up —
counting facts inside the look-back that no earlier listing rested on."""

from __future__ import annotations

import uuid
from datetime import date

from models.credit import CreditEventType
from service.blacklist import criteria
from service.blacklist.criteria import Criterion, Fact

ON = date(2026, 6, 1)
T = CreditEventType


def fact(kind: CreditEventType, on: date, **fields: object) -> Fact:
    return Fact(id=uuid.uuid4(), type=kind, occurred_on=on, reference=f"ref-{on}", **fields)  # type: ignore[arg-type]


def proposed(*facts: Fact, used: frozenset[uuid.UUID] = frozenset()) -> tuple[Criterion, ...]:
    proposal = criteria.propose(facts, on=ON, used=used)
    return proposal.criteria if proposal else ()


def test_a_heavier_penalty_in_quality_safety_or_for_obstruction_qualifies() -> None:
    assert proposed(fact(T.ADMINISTRATIVE_PENALTY, date(2026, 3, 1), severity="heavier")) == (
        Criterion.HEAVIER_PENALTY,
    )
    obstruction = fact(
        T.ADMINISTRATIVE_PENALTY,
        date(2026, 3, 1),
        severity="heavier",
        area="inspection_obstruction",
    )
    assert proposed(obstruction) == (Criterion.HEAVIER_PENALTY,)


def test_an_ordinary_penalty_or_one_in_another_area_does_not() -> None:
    assert proposed(fact(T.ADMINISTRATIVE_PENALTY, date(2026, 3, 1), severity="other")) == ()
    other_area = fact(T.ADMINISTRATIVE_PENALTY, date(2026, 3, 1), severity="heavier", area="other")
    assert proposed(other_area) == ()


def test_a_refusal_qualifies_only_once_the_30_day_correction_period_has_passed() -> None:
    assert proposed(fact(T.REFUSAL, date(2026, 5, 1))) == (Criterion.UNCORRECTED_REFUSAL,)
    # 2026-05-02 + 30 days = 2026-06-01: today is still the last day to correct it.
    assert proposed(fact(T.REFUSAL, date(2026, 5, 2))) == ()


def test_a_refusal_followed_by_a_sampling_was_corrected() -> None:
    refusal = fact(T.REFUSAL, date(2026, 2, 1))
    sampled_after = fact(T.CONFORMING_RESULT, date(2026, 3, 1))
    sampled_before = fact(T.NONCONFORMING_RESULT, date(2026, 1, 1), severity="general")
    assert proposed(refusal, sampled_after) == ()
    assert proposed(refusal, sampled_before) == (Criterion.UNCORRECTED_REFUSAL,)


def test_only_a_failed_second_follow_up_qualifies() -> None:
    assert proposed(fact(T.FOLLOW_UP_FAILED, date(2026, 4, 1), round="follow_up")) == ()
    assert proposed(fact(T.FOLLOW_UP_FAILED, date(2026, 4, 1), round="second_follow_up")) == (
        Criterion.FAILED_SECOND_FOLLOW_UP,
    )
    after_suspension = fact(T.FOLLOW_UP_FAILED, date(2026, 4, 1), round="suspension_follow_up")
    assert proposed(after_suspension) == (Criterion.FAILED_SECOND_FOLLOW_UP,)


def test_corrected_used_old_or_future_facts_do_not_qualify() -> None:
    heavier = {"severity": "heavier"}
    corrected = fact(T.ADMINISTRATIVE_PENALTY, date(2026, 3, 1), counting=False, **heavier)
    used = fact(T.ADMINISTRATIVE_PENALTY, date(2026, 3, 1), **heavier)
    too_old = fact(T.ADMINISTRATIVE_PENALTY, date(2023, 5, 31), **heavier)
    future = fact(T.ADMINISTRATIVE_PENALTY, date(2026, 6, 2), **heavier)
    assert proposed(corrected, used, too_old, future, used=frozenset({used.id})) == ()
    assert proposed(fact(T.ADMINISTRATIVE_PENALTY, date(2023, 6, 1), **heavier)) == (
        Criterion.HEAVIER_PENALTY,
    )


def test_a_proposal_carries_every_criterion_met_with_its_evidence_reason_and_basis() -> None:
    penalty = fact(T.ADMINISTRATIVE_PENALTY, date(2026, 3, 1), severity="heavier")
    refusal = fact(T.REFUSAL, date(2026, 1, 5))
    proposal = criteria.propose([penalty, refusal], on=ON)
    assert proposal is not None
    assert proposal.version == criteria.VERSION
    assert proposal.criteria == (Criterion.HEAVIER_PENALTY, Criterion.UNCORRECTED_REFUSAL)
    assert [e.credit_event_id for e in proposal.evidence] == [refusal.id, penalty.id]
    assert "较重行政处罚" in proposal.reason
    assert "拒不改正" in proposal.reason
    assert "第44号" in proposal.legal_basis
    assert "第五十六条" in proposal.legal_basis
