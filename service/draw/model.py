"""The draw's data — pool, outcome — its constants, seeds, and the pool's invariants.

Plain frozen dataclasses without per-object validation: pools reach a million candidates, so
:func:`validate_pool` checks a whole pool in one pass instead (the draw and the pool hash both call
it). Standard library only.
"""

from __future__ import annotations

import gc
import hashlib
import re
import secrets
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from itertools import chain
from operator import attrgetter, itemgetter
from types import MappingProxyType
from typing import Any, Literal, get_args

ALGORITHM_VERSION = "draw/1"
VERSION = ALGORITHM_VERSION  # style rule 8: every pure core exposes its VERSION

RiskClass = Literal["A", "B", "C", "D"]
RISK_CLASSES: tuple[RiskClass, ...] = get_args(RiskClass)

ExclusionReason = Literal["six_month_rule", "conflict_of_interest", "agency_scope", "inactive"]
EXCLUSION_REASONS: tuple[ExclusionReason, ...] = get_args(ExclusionReason)

# Default sampling ratios A 1 % · B 2 % · C 10 % · D 30 % (Henan 2021 practice, domain rules §3),
# used as relative weights: only their proportions matter, the quota fixes the sample size.
DEFAULT_RISK_WEIGHTS: Mapping[str, int] = MappingProxyType({"A": 1, "B": 2, "C": 10, "D": 30})

# 行政处罚法 §42: enforcement needs at least two inspectors; no pool may ask for fewer.
MIN_INSPECTORS_PER_TASK = 2

SEED_BYTES = 32
_SEED_HEX = re.compile(r"[0-9a-fA-F]{64}")


# --- The pool ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Candidate:
    product_id: str
    enterprise_uscc: str
    category_code: str
    region_code: str
    risk_class: RiskClass
    stratum: str  # the key of the stratum this candidate is drawn in


@dataclass(frozen=True, slots=True)
class Stratum:
    key: str
    category_code: str
    region_code: str | None
    quota: int  # batches to select


@dataclass(frozen=True, slots=True)
class InspectorEntry:
    inspector_id: str
    conflicts: tuple[str, ...]  # USCCs of enterprises the inspector declared a conflict with (回避)


@dataclass(frozen=True, slots=True)
class AgencyEntry:
    agency_id: str
    # Category codes in scope; a code covers itself and every category code it is a prefix of.
    category_scope: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class History:
    """Who inspected and who tested the enterprise's previous task."""

    last_inspectors: tuple[str, ...]
    last_agency: str | None


@dataclass(frozen=True, slots=True)
class Exclusion:
    product_id: str
    enterprise_uscc: str
    reason: ExclusionReason
    # e.g. {"rule_id": "R1", "blocking_sampling_id": …, "lock_ends_on": …} or {"stratum": …}
    detail: Mapping[str, str]


@dataclass(frozen=True, slots=True)
class Pool:
    strata: tuple[Stratum, ...]
    candidates: tuple[Candidate, ...]
    inspectors: tuple[InspectorEntry, ...]
    agencies: tuple[AgencyEntry, ...]
    history: Mapping[str, History]  # by enterprise USCC
    weights: Mapping[str, int]  # by risk class
    inspectors_per_task: int = MIN_INSPECTORS_PER_TASK
    # Products excluded while the pool was built (six_month_rule with its rule id, inactive): part
    # of the pool, so the commitment covers them too.
    pre_exclusions: tuple[Exclusion, ...] = ()


# --- The outcome -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Selection:
    stratum: str
    product_id: str
    enterprise_uscc: str
    inspector_ids: tuple[str, ...]  # in the order drawn
    agency_id: str
    order: int  # 0-based position among all selections of the draw


@dataclass(frozen=True, slots=True)
class Shortfall:
    stratum: str
    quota: int
    selected: int


@dataclass(frozen=True, slots=True)
class DrawOutcome:
    selections: tuple[Selection, ...]
    exclusions: tuple[Exclusion, ...]  # the pool's pre-exclusions first, then the draw's own
    shortfalls: tuple[Shortfall, ...]


class InvalidPool(ValueError):
    """The pool breaks an invariant of the algorithm; no draw (and no hash) is defined for it."""


# --- Seeds -------------------------------------------------------------------------------------


def new_seed() -> str:
    """A fresh secret seed: 32 random bytes, as 64 lowercase hex digits."""
    return secrets.token_hex(SEED_BYTES)


def seed_bytes(seed_hex: str) -> bytes:
    """The seed's 32 bytes; the seed must be exactly 64 hex digits (either case)."""
    if not isinstance(seed_hex, str) or not _SEED_HEX.fullmatch(seed_hex):
        raise ValueError("a seed is exactly 64 hexadecimal digits (32 bytes)")
    return bytes.fromhex(seed_hex)


def seed_commitment(seed_hex: str) -> str:
    """What is published before the draw: SHA-256 of the seed *bytes*, as lowercase hex."""
    return hashlib.sha256(seed_bytes(seed_hex)).hexdigest()


@contextmanager
def gc_paused() -> Iterator[None]:
    """Hold the cyclic garbage collector while a pool-sized batch of objects is built.

    A million-candidate pool means millions of container objects; each automatic full collection
    walks all of them, which roughly doubles the time to build, sort or parse a pool. The pool's
    objects hold no reference cycles, so pausing only postpones collection. The previous state is
    restored, so nesting and callers that disabled collection themselves are respected."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


# --- Validation ----------------------------------------------------------------------------------


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _duplicate(values: Sequence[str]) -> str | None:
    if len(set(values)) == len(values):  # the common case, at C speed
        return None
    seen: set[str] = set()
    for value in values:
        if value in seen:
            return value
        seen.add(value)
    return None


def exclusion_sort_key(exclusion: Exclusion) -> tuple[Any, ...]:
    """The canonical order of pre-exclusions (product, enterprise, reason, detail)."""
    return (
        exclusion.product_id,
        exclusion.enterprise_uscc,
        exclusion.reason,
        sorted(exclusion.detail.items()),
    )


CANDIDATE_FIELDS = (
    "product_id",
    "enterprise_uscc",
    "category_code",
    "region_code",
    "risk_class",
    "stratum",
)
candidate_row = attrgetter(*CANDIDATE_FIELDS)  # a candidate as a tuple, in document order
# A candidate in document form: the CANDIDATE_FIELDS in order (a JSON array once parsed).
CandidateRow = Sequence[str]
_ROW_ID = itemgetter(0)
_ROW_RISK = itemgetter(4)
_ROW_STRATUM = itemgetter(5)
_EXCLUDED_PRODUCT = attrgetter("product_id")
_EXCLUDED_ENTERPRISE = attrgetter("enterprise_uscc")
_EXCLUSION_REASON = attrgetter("reason")
_EXCLUSION_DETAIL = attrgetter("detail")


def _validate_rows(
    rows: Sequence[Sequence[object]], strata: set[str], weights: Mapping[str, int]
) -> set[str]:
    """Check the candidate rows and return their product ids.

    Pools reach a million candidates: each check is one pass at C speed over the distinct values
    of a field (map, set), and the offending row is looked for only once a check failed."""
    if set(map(type, rows)) - {list, tuple}:
        bad = next(row for row in rows if type(row) not in (list, tuple))
        raise InvalidPool(f"candidate {bad!r}: expected an array of the candidate fields")
    if set(map(len, rows)) - {len(CANDIDATE_FIELDS)}:
        bad = next(row for row in rows if len(row) != len(CANDIDATE_FIELDS))
        raise InvalidPool(f"candidate {bad!r}: expected the fields {', '.join(CANDIDATE_FIELDS)}")
    if set(map(type, chain.from_iterable(rows))) - {str}:
        bad = next(row for row in rows if set(map(type, row)) - {str})
        name = next(n for n, v in zip(CANDIDATE_FIELDS, bad, strict=True) if type(v) is not str)
        raise InvalidPool(f"candidate {bad!r}: {name} must be a string")
    product_ids: set[str] = set(map(_ROW_ID, rows))
    if len(product_ids) != len(rows):
        dup = _duplicate(list(map(_ROW_ID, rows)))
        raise InvalidPool(f"product {dup!r} appears twice among the candidates")
    if set(map(_ROW_STRATUM, rows)) - strata:
        bad = next(row for row in rows if row[5] not in strata)
        raise InvalidPool(f"product {bad[0]!r}: unknown stratum {bad[5]!r}")
    if set(map(_ROW_RISK, rows)) - weights.keys():
        bad = next(row for row in rows if row[4] not in weights)
        raise InvalidPool(f"product {bad[0]!r}: no weight for risk {bad[4]!r}")
    return product_ids


def _strings(values: Iterable[object], what: str, *, optional: bool = False) -> None:
    for value in values:
        if type(value) is not str and not (optional and value is None):
            raise InvalidPool(f"{what} must be {'strings or null' if optional else 'strings'}")


def validate_pool(pool: Pool) -> None:
    """Raise :class:`InvalidPool` unless the pool meets the algorithm's invariants.

    Identifiers, codes and details are strings (anything else would not survive the JSON round
    trip the verifier makes); stratum keys, product ids, inspector ids and agency ids are unique;
    every candidate is in a known stratum and has a weighted risk class; weights are integers >= 1
    and quotas integers >= 0; ``inspectors_per_task`` is an integer >= 2 and the roster at least
    that large; scope codes are not empty; pre-exclusions have a known reason and are not also
    candidates.
    """
    validate_pool_rows(pool, list(map(candidate_row, pool.candidates)))


def validate_pool_rows(pool: Pool, rows: Sequence[Sequence[object]]) -> None:
    """:func:`validate_pool` for a pool whose candidates are given as rows in document order
    (``pool.candidates`` is not looked at): what the runner holds, without a million objects."""
    per_task = pool.inspectors_per_task
    if not _is_int(per_task) or per_task < MIN_INSPECTORS_PER_TASK:
        raise InvalidPool(
            f"inspectors_per_task must be an integer >= {MIN_INSPECTORS_PER_TASK} "
            f"(行政处罚法 §42), got {per_task!r}"
        )
    if len(pool.inspectors) < per_task:
        # Otherwise every candidate would be drawn and excluded: a configuration error, not a draw.
        raise InvalidPool(
            f"the roster has {len(pool.inspectors)} inspectors, fewer than the "
            f"{per_task} each task needs"
        )
    for risk, weight in pool.weights.items():
        if risk not in RISK_CLASSES:
            raise InvalidPool(f"weights: unknown risk class {risk!r}")
        if not _is_int(weight) or weight < 1:
            raise InvalidPool(f"weights: the weight of {risk} must be an integer >= 1")
    keys = [stratum.key for stratum in pool.strata]
    _strings(keys, "stratum keys")
    _strings((s.category_code for s in pool.strata), "stratum category codes")
    _strings((s.region_code for s in pool.strata), "stratum region codes", optional=True)
    if (dup := _duplicate(keys)) is not None:
        raise InvalidPool(f"stratum {dup!r} appears twice")
    for stratum in pool.strata:
        if not _is_int(stratum.quota) or stratum.quota < 0:
            raise InvalidPool(f"stratum {stratum.key!r}: quota must be an integer >= 0")
    candidate_ids = _validate_rows(rows, set(keys), pool.weights)
    inspector_ids = [i.inspector_id for i in pool.inspectors]
    _strings(inspector_ids, "inspector ids")
    _strings(chain.from_iterable(i.conflicts for i in pool.inspectors), "conflicts")
    if (dup := _duplicate(inspector_ids)) is not None:
        raise InvalidPool(f"inspector {dup!r} appears twice")
    agency_ids = [a.agency_id for a in pool.agencies]
    _strings(agency_ids, "agency ids")
    _strings(chain.from_iterable(a.category_scope for a in pool.agencies), "scope codes")
    if (dup := _duplicate(agency_ids)) is not None:
        raise InvalidPool(f"agency {dup!r} appears twice")
    for agency in pool.agencies:
        if any(not code for code in agency.category_scope):
            raise InvalidPool(f"agency {agency.agency_id!r}: empty category scope code")
    _strings(pool.history.keys(), "history USCCs")
    _strings(chain.from_iterable(h.last_inspectors for h in pool.history.values()), "history")
    _strings((h.last_agency for h in pool.history.values()), "history", optional=True)
    if not _pre_exclusions_valid(pool.pre_exclusions, candidate_ids):
        _explain_pre_exclusions(pool.pre_exclusions, candidate_ids)


def _pre_exclusions_valid(exclusions: Sequence[Exclusion], candidate_ids: set[str]) -> bool:
    """The checks of :func:`_explain_pre_exclusions` in bulk: tens of thousands of entries."""
    products = list(map(_EXCLUDED_PRODUCT, exclusions))
    details = list(map(_EXCLUSION_DETAIL, exclusions))
    return (
        set(map(type, chain(products, map(_EXCLUDED_ENTERPRISE, exclusions)))) <= {str}
        and set(map(type, chain.from_iterable(chain(d.keys(), d.values()) for d in details)))
        <= {str}
        and set(map(_EXCLUSION_REASON, exclusions)).issubset(EXCLUSION_REASONS)
        and candidate_ids.isdisjoint(products)
    )


def _explain_pre_exclusions(exclusions: Sequence[Exclusion], candidate_ids: set[str]) -> None:
    for exclusion in exclusions:
        what = f"pre-exclusion of {exclusion.product_id!r}"
        _strings((exclusion.product_id, exclusion.enterprise_uscc), what)
        _strings(chain(exclusion.detail.keys(), exclusion.detail.values()), f"{what}: detail")
        if exclusion.reason not in EXCLUSION_REASONS:
            raise InvalidPool(f"{what}: unknown reason")
        if exclusion.product_id in candidate_ids:
            raise InvalidPool(
                f"product {exclusion.product_id!r} is both a candidate and excluded from the pool"
            )
