"""Blacklist candidates (失信名单候选, rules §9): which facts of a credit file qualify an
enterprise for the listing procedure. Pure and versioned; a regulator decides, the criteria only
propose, with the evidence.

Criteria v1:
- **heavier_penalty** — a heavier administrative penalty (较重行政处罚) for a violation in the
  quality-safety area or for refusing or obstructing inspection (SAMR Order 44);
- **uncorrected_refusal** — a refusal of sampling (拒绝监督抽查) with no sampling of the
  enterprise since, once the correction period has passed (产品质量法 §56: 责令改正, 拒不改正);
- **failed_second_follow_up** — the second follow-up after rectification failed, or the
  follow-up of a suspension did (Order 18 §44–50).

Facts that count (not corrected by a credit objection) and that occurred within the look-back
qualify; facts a past listing already rested on do not qualify again."""

from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import StrEnum

from models.credit import CreditEventType, PenaltyArea, PenaltySeverity
from service.six_month_rule import add_months

VERSION = "criteria-v1"


class Criterion(StrEnum):
    HEAVIER_PENALTY = "heavier_penalty"
    UNCORRECTED_REFUSAL = "uncorrected_refusal"
    FAILED_SECOND_FOLLOW_UP = "failed_second_follow_up"


REASONS: dict[Criterion, str] = {
    Criterion.HEAVIER_PENALTY: "因产品质量安全违法行为受到较重行政处罚",
    Criterion.UNCORRECTED_REFUSAL: "拒绝接受依法进行的产品质量监督抽查，拒不改正",
    Criterion.FAILED_SECOND_FOLLOW_UP: "产品质量监督抽查不合格，整改后复查仍不合格",
}

LEGAL_BASES: dict[Criterion, str] = {
    Criterion.HEAVIER_PENALTY: (
        "《市场监督管理严重违法失信名单管理办法》（国家市场监督管理总局令第44号）第二条"
    ),
    Criterion.UNCORRECTED_REFUSAL: (
        "《中华人民共和国产品质量法》第五十六条；《市场监督管理严重违法失信名单管理办法》第二条"
    ),
    Criterion.FAILED_SECOND_FOLLOW_UP: (
        "《产品质量监督抽查管理暂行办法》（国家市场监督管理总局令第18号）第四十四条至第五十条"
    ),
}

_LISTABLE_AREAS = frozenset({PenaltyArea.QUALITY_SAFETY, PenaltyArea.INSPECTION_OBSTRUCTION})
_SECOND_ROUNDS = frozenset({"second_follow_up", "suspension_follow_up"})
_SAMPLINGS = frozenset({CreditEventType.CONFORMING_RESULT, CreditEventType.NONCONFORMING_RESULT})


@dataclass(frozen=True)
class Rules:
    """[ours] How old a fact may be and still open a procedure; how long a refusal has to be
    corrected before it qualifies."""

    lookback_months: int = 36
    refusal_correction_days: int = 30


@dataclass(frozen=True)
class Fact:
    """What the criteria read of one credit event."""

    id: uuid.UUID
    type: CreditEventType
    occurred_on: date
    reference: str
    counting: bool = True
    severity: str | None = None
    area: str | None = None
    round: str | None = None


@dataclass(frozen=True)
class Evidence:
    credit_event_id: uuid.UUID
    criterion: Criterion
    type: CreditEventType
    occurred_on: date
    reference: str

    def record(self) -> dict[str, str]:
        return {
            "credit_event_id": str(self.credit_event_id),
            "criterion": self.criterion.value,
            "type": self.type.value,
            "occurred_on": self.occurred_on.isoformat(),
            "reference": self.reference,
        }


@dataclass(frozen=True)
class Proposal:
    criteria: tuple[Criterion, ...]
    evidence: tuple[Evidence, ...]
    version: str = VERSION
    reason: str = field(init=False)
    legal_basis: str = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "reason", "；".join(REASONS[c] for c in self.criteria))
        object.__setattr__(self, "legal_basis", "；".join(LEGAL_BASES[c] for c in self.criteria))


def _criterion_of(fact: Fact, facts: Sequence[Fact], on: date, rules: Rules) -> Criterion | None:
    if fact.type is CreditEventType.ADMINISTRATIVE_PENALTY:
        area = PenaltyArea(fact.area) if fact.area else PenaltyArea.QUALITY_SAFETY
        if fact.severity == PenaltySeverity.HEAVIER.value and area in _LISTABLE_AREAS:
            return Criterion.HEAVIER_PENALTY
    elif fact.type is CreditEventType.REFUSAL:
        corrected = any(f.type in _SAMPLINGS and f.occurred_on > fact.occurred_on for f in facts)
        due = fact.occurred_on + timedelta(days=rules.refusal_correction_days)
        if not corrected and on > due:
            return Criterion.UNCORRECTED_REFUSAL
    elif fact.type is CreditEventType.FOLLOW_UP_FAILED and fact.round in _SECOND_ROUNDS:
        return Criterion.FAILED_SECOND_FOLLOW_UP
    return None


def propose(
    facts: Sequence[Fact],
    *,
    on: date,
    used: Collection[uuid.UUID] = frozenset(),
    rules: Rules = Rules(),
) -> Proposal | None:
    """The proposal the file supports on `on`, or None. `used` are the events earlier listings
    rested on."""
    since = add_months(on, -rules.lookback_months)
    evidence = []
    for fact in sorted(facts, key=lambda f: (f.occurred_on, str(f.id))):
        if not fact.counting or fact.id in used or not since <= fact.occurred_on <= on:
            continue
        criterion = _criterion_of(fact, facts, on, rules)
        if criterion is not None:
            evidence.append(
                Evidence(fact.id, criterion, fact.type, fact.occurred_on, fact.reference)
            )
    if not evidence:
        return None
    criteria = tuple(c for c in Criterion if any(e.criterion is c for e in evidence))
    return Proposal(criteria=criteria, evidence=tuple(evidence))
