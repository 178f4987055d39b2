"""The six-month no-resampling rule (domain rules §4) as pure functions: no database, no web.

A new supervision sampling of a product is refused while any earlier sampling of it is "in lock":

- R1 — seed policy (Hubei 2017 / Henan): a product that passed national or provincial supervision
  sampling may not be sampled again by any region, department or agency for six months.
- R2 — SAMR Order No. 18 (《产品质量监督抽查管理暂行办法》): the same organising department may not
  sample the same product again within six months, whatever the earlier verdict.
- R3 — 《产品质量法》§15 and Order No. 18: a product sampled by a higher-level department may not
  be sampled by a lower-level one within six months.

Exceptions: plans of kind ``follow_up`` (re-checking products found nonconforming) and
``emergency``. Complaint-driven sampling is not an exception unless configured so. The months and
the exempt plan kinds are configuration (:class:`SixMonthConfig`); callers store
``config.as_record()`` with every decision, so each decision can be explained later under the
configuration that produced it.

A sampling dated ``d`` locks ``[d, d + 6 calendar months)``: sampling on the end date is allowed.

Why the month arithmetic clamps: "six months" is counted in calendar months, not days, and many
start days have no counterpart six months later (31 August → February). Rolling the surplus days
into the next month (2025-08-31 → 2026-03-03) would stretch the lock beyond six calendar months,
and refusing such dates is not an option, so the end falls on the last day of the target month —
the same convention 《民法典》§202 uses for periods counted in months ("没有对应日的，月末日为期间的
最后一日"). Note that §201–202 would make that day the *last day inside* the period, while §4 of
the domain rules makes it the first day *outside* it; this module follows §4.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from functools import lru_cache
from typing import Literal, get_args

from models.common import PlanKind as PlanKind  # re-exported: the rule speaks of plan kinds

VERSION = "six-month-rule/1"

NATIONAL_REGION_CODE = "000000"

Verdict = Literal["conforming", "nonconforming"]
_VERDICTS = frozenset(get_args(Verdict))


class Level(StrEnum):
    NATIONAL = "national"
    PROVINCIAL = "provincial"
    MUNICIPAL = "municipal"
    COUNTY = "county"

    @property
    def rank(self) -> int:
        """Larger is higher: national outranks everyone, county no one."""
        return _LEVEL_RANK[self]


_LEVEL_RANK: dict[Level, int] = {
    Level.NATIONAL: 4,
    Level.PROVINCIAL: 3,
    Level.MUNICIPAL: 2,
    Level.COUNTY: 1,
}


def is_higher(a: Level, b: Level) -> bool:
    """Whether ``a`` is strictly higher than ``b`` (equal levels are not higher)."""
    return a.rank > b.rank


class RuleId(StrEnum):
    R1 = "R1"
    R2 = "R2"
    R3 = "R3"


# Explicit rather than relying on the string order of the values, which happens to agree today.
_RULE_ORDER: dict[RuleId, int] = {RuleId.R1: 1, RuleId.R2: 2, RuleId.R3: 3}

# R1 protects products that passed sampling organised at these levels only.
_R1_LEVELS: frozenset[Level] = frozenset({Level.NATIONAL, Level.PROVINCIAL})


@dataclass(frozen=True)
class SixMonthConfig:
    months: int = 6
    exempt_plan_kinds: frozenset[PlanKind] = frozenset({PlanKind.FOLLOW_UP, PlanKind.EMERGENCY})

    def __post_init__(self) -> None:
        # bool is an int subclass; months=True is always a mistake, never "one month".
        if isinstance(self.months, bool) or not isinstance(self.months, int):
            raise TypeError(f"months must be an int, got {self.months!r}")
        if self.months < 0:
            raise ValueError(f"months must be >= 0, got {self.months}")
        # Configuration often arrives as plain strings (env, JSON); normalise so that a typo fails
        # here instead of silently exempting nothing.
        kinds = frozenset(PlanKind(kind) for kind in self.exempt_plan_kinds)
        object.__setattr__(self, "exempt_plan_kinds", kinds)

    def as_record(self) -> dict[str, object]:
        """JSON-able snapshot of the configuration, tagged with the rule version."""
        return {
            "rule_version": VERSION,
            "months": self.months,
            "exempt_plan_kinds": sorted(kind.value for kind in self.exempt_plan_kinds),
        }


DEFAULT = SixMonthConfig()


def _check_region_code(code: str) -> None:
    # str.isdigit() accepts non-ASCII digits such as "４２"; GB/T 2260 codes are ASCII only.
    if not (isinstance(code, str) and len(code) == 6 and code.isascii() and code.isdigit()):
        raise ValueError(f"region code must be 6 ASCII digits (GB/T 2260), got {code!r}")


@dataclass(frozen=True)
class Organiser:
    department_code: str
    level: Level
    region_code: str  # GB/T 2260, 6 digits; national = "000000"

    def __post_init__(self) -> None:
        if not self.department_code:
            raise ValueError("department_code must not be empty")
        object.__setattr__(self, "level", Level(self.level))
        _check_region_code(self.region_code)
        # Containment is computed from the code shape, so a level that disagrees with its code
        # would silently widen or narrow who counts as a superior.
        is_national_code = self.region_code == NATIONAL_REGION_CODE
        if (self.level is Level.NATIONAL) != is_national_code:
            raise ValueError(
                f"only the national level uses region {NATIONAL_REGION_CODE}: "
                f"{self.level.value} with {self.region_code}"
            )
        is_province_code = not is_national_code and self.region_code.endswith("0000")
        if (self.level is Level.PROVINCIAL) != is_province_code:
            raise ValueError(
                f"provincial organisers, and only they, use a province code PP0000: "
                f"{self.level.value} with {self.region_code}"
            )


@dataclass(frozen=True)
class PastSampling:
    sampling_id: str
    organiser: Organiser
    sampled_on: date
    verdict: Verdict | None  # None = result not final yet

    def __post_init__(self) -> None:
        if not self.sampling_id:
            raise ValueError("sampling_id must not be empty")
        # A datetime is a date subclass but cannot be compared with a date.
        if isinstance(self.sampled_on, datetime) or not isinstance(self.sampled_on, date):
            raise TypeError(f"sampled_on must be a date, got {self.sampled_on!r}")
        if self.verdict is not None and self.verdict not in _VERDICTS:
            raise ValueError(f"verdict must be conforming, nonconforming or None: {self.verdict!r}")


@dataclass(frozen=True)
class Block:
    sampling: PastSampling
    rule_id: RuleId
    lock_ends_on: date


@dataclass(frozen=True)
class Eligibility:
    eligible: bool
    blocks: tuple[Block, ...]
    # The latest lock end among the blocks: the first date this organiser may sample the product.
    locked_until: date | None
    # True when the plan kind made the sampling eligible despite history that would have blocked it.
    exempt: bool


def add_months(d: date, months: int) -> date:
    """``d`` plus whole calendar months, clamped to the end of the target month."""
    month_index = d.year * 12 + (d.month - 1) + months
    year, month0 = divmod(month_index, 12)
    last_day = calendar.monthrange(year, month0 + 1)[1]
    return date(year, month0 + 1, min(d.day, last_day))


def lock_end(sampled_on: date, config: SixMonthConfig = DEFAULT) -> date:
    """The first day after the lock started by a sampling on ``sampled_on``."""
    return _lock_end(sampled_on, config.months)


# A draw checks tens of thousands of histories whose dates fall on a few hundred days; the
# calendar arithmetic is pure, so each (day, months) is worked out once.
_lock_end = lru_cache(maxsize=4096)(add_months)


def region_contains(ancestor_code: str, code: str) -> bool:
    """GB/T 2260 containment judged from the codes alone; every code contains itself.

    ``000000`` contains everything, ``PP0000`` the codes starting with ``PP``, ``PPCC00`` those
    starting with ``PPCC``. Any other code contains only itself — this includes units directly
    under a province such as 419001 济源 or 429004 仙桃, which have no children.
    """
    _check_region_code(ancestor_code)
    _check_region_code(code)
    if ancestor_code == code or ancestor_code == NATIONAL_REGION_CODE:
        return True
    if ancestor_code.endswith("0000"):
        return code.startswith(ancestor_code[:2])
    if ancestor_code.endswith("00"):
        return code.startswith(ancestor_code[:4])
    return False


def is_superior(higher: Organiser, lower: Organiser) -> bool:
    """Higher level *and* responsible for the lower's region: a Hubei bureau is no superior of a
    Henan one, whatever their levels."""
    return is_higher(higher.level, lower.level) and region_contains(
        higher.region_code, lower.region_code
    )


def _rules_matched(past: PastSampling, organiser: Organiser) -> tuple[RuleId, ...]:
    return _rules(past.verdict, past.organiser, organiser)


# Which rules a past sampling triggers depends only on its verdict and the two organisers, of
# which there are few (departments), while a draw asks for tens of thousands of samplings.
@lru_cache(maxsize=4096)
def _rules(verdict: Verdict | None, past: Organiser, organiser: Organiser) -> tuple[RuleId, ...]:
    rules: list[RuleId] = []
    if verdict == "conforming" and past.level in _R1_LEVELS:
        rules.append(RuleId.R1)
    if past.department_code == organiser.department_code:
        rules.append(RuleId.R2)
    if is_superior(past, organiser):
        rules.append(RuleId.R3)
    return tuple(rules)


def _unique(history: Iterable[PastSampling]) -> list[PastSampling]:
    # History assembled from several queries may repeat a sampling; that is harmless. Two
    # *different* records under one id mean corrupt data, and guessing which is right could
    # wrongly refuse or permit a sampling, so refuse to decide.
    pasts = list(history)
    if len(pasts) < 2:  # most products have one sampling in the window, or none
        return pasts
    by_id: dict[str, PastSampling] = {}
    for past in pasts:
        seen = by_id.setdefault(past.sampling_id, past)
        if seen != past:
            raise ValueError(f"conflicting records for sampling {past.sampling_id!r}")
    return list(by_id.values())


def check_eligibility(
    history: Iterable[PastSampling],
    organiser: Organiser,
    on: date,
    plan_kind: PlanKind,
    config: SixMonthConfig = DEFAULT,
) -> Eligibility:
    """May ``organiser`` sample the product on ``on``, given the product's sampling ``history``?

    ``history`` holds samplings of this one product only; selecting them is the caller's job.
    Samplings dated after ``on`` are ignored, so the question can be asked about past dates.
    """
    if isinstance(on, datetime) or not isinstance(on, date):
        raise TypeError(f"on must be a date, got {on!r}")
    plan_kind = PlanKind(plan_kind)

    blocks: list[Block] = []
    for past in _unique(history):
        ends = lock_end(past.sampled_on, config)
        if not past.sampled_on <= on < ends:
            continue
        blocks.extend(Block(past, rule, ends) for rule in _rules_matched(past, organiser))

    if plan_kind in config.exempt_plan_kinds:
        return Eligibility(eligible=True, blocks=(), locked_until=None, exempt=bool(blocks))
    if not blocks:
        return Eligibility(eligible=True, blocks=(), locked_until=None, exempt=False)

    blocks.sort(
        key=lambda b: (b.sampling.sampled_on, b.sampling.sampling_id, _RULE_ORDER[b.rule_id])
    )
    return Eligibility(
        eligible=False,
        blocks=tuple(blocks),
        locked_until=max(b.lock_ends_on for b in blocks),
        exempt=False,
    )
