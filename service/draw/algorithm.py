"""The double-random draw (双随机, domain rules §3) as a pure, deterministic function.

Given a candidate pool and a 32-byte seed, :func:`execute` selects products per stratum with
probability proportional to their credit-risk weight, and assigns each selection its inspectors and
testing agency. Everything is integer arithmetic over SHA-256 output, so anyone holding the pool and
the revealed seed can recompute the draw bit for bit in any language: ``docs/draw-algorithm.md`` is
the specification, and this module must follow it exactly. Any change to what this module computes
needs a new :data:`ALGORITHM_VERSION`; the version is stored with every draw.

No database, no web, no clock, standard library only: an outsider runs the verifier with nothing
but this package (``python -m service.draw verify FILE``). This module is the package's public face:
it re-exports the data types (:mod:`service.draw.model`) and the documents
(:mod:`service.draw.documents`), and adds the randomness, the draw and :func:`verify`.

Decisions of ``draw/1`` (see the specification for the exact procedure):

- Randomness comes from named streams ``SHA-256(seed || label || counter)``: one per stratum for the
  products and one per drawn product for its inspectors and for its agency. A product's
  assignments therefore never depend on what was drawn before it.
- A drawn product is checked for inspectors first, then for an agency; the first check that fails
  decides the exclusion reason. (Each check has its own stream, so the order only decides which
  reason is recorded when both would fail.)
- One batch per enterprise per stratum: a drawn product whose enterprise already has a selection in
  the same stratum is set aside — removed from the stratum, recorded nowhere — and the draw goes
  on. The same enterprise may still be selected in other strata.
- The pool is validated in bulk (:func:`validate_pool`) rather than object by object, because
  pools reach a million candidates.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from operator import itemgetter
from typing import Any, Protocol

from service.draw.documents import (
    RecordFormatError,
    check_record,
    draw_record_document,
    outcome_document,
    pool_document,
    pool_document_bytes,
    pool_document_from_rows,
    pool_document_hash,
    pool_from_document,
    pool_hash,
    pool_rows_from_document,
    record_entries,
    record_str,
)
from service.draw.model import (
    ALGORITHM_VERSION,
    DEFAULT_RISK_WEIGHTS,
    EXCLUSION_REASONS,
    MIN_INSPECTORS_PER_TASK,
    RISK_CLASSES,
    SEED_BYTES,
    VERSION,
    AgencyEntry,
    Candidate,
    CandidateRow,
    DrawOutcome,
    Exclusion,
    ExclusionReason,
    History,
    InspectorEntry,
    InvalidPool,
    Pool,
    RiskClass,
    Selection,
    Shortfall,
    Stratum,
    candidate_row,
    exclusion_sort_key,
    gc_paused,
    new_seed,
    seed_bytes,
    seed_commitment,
    validate_pool,
    validate_pool_rows,
)

__all__ = [
    "ALGORITHM_VERSION",
    "DEFAULT_RISK_WEIGHTS",
    "EXCLUSION_REASONS",
    "MIN_INSPECTORS_PER_TASK",
    "RISK_CLASSES",
    "SEED_BYTES",
    "VERSION",
    "AgencyEntry",
    "BlockSource",
    "Candidate",
    "CandidateRow",
    "DrawOutcome",
    "Exclusion",
    "ExclusionReason",
    "History",
    "InspectorEntry",
    "InvalidPool",
    "Pool",
    "RecordFormatError",
    "RiskClass",
    "Selection",
    "Shortfall",
    "Stratum",
    "Stream",
    "VerifyReport",
    "draw_record_document",
    "execute",
    "execute_rows",
    "exclusion_sort_key",
    "new_seed",
    "outcome_document",
    "pool_document",
    "pool_document_bytes",
    "pool_document_from_rows",
    "pool_document_hash",
    "pool_from_document",
    "pool_hash",
    "pool_rows_from_document",
    "seed_bytes",
    "seed_commitment",
    "uniform",
    "validate_pool",
    "validate_pool_rows",
    "verify",
]

_TWO_64 = 1 << 64
_ROW_ID = itemgetter(0)
_ROW_RISK = itemgetter(4)


# --- Randomness: named streams and unbiased integers --------------------------------------------


class BlockSource(Protocol):
    def next_block(self) -> bytes: ...


class Stream:
    """Block ``i`` (i = 0, 1, 2 …) is ``SHA-256(seed || UTF-8(label) || i as u64 big-endian)``."""

    __slots__ = ("_counter", "_prefix")

    def __init__(self, seed: bytes, label: str) -> None:
        if len(seed) != SEED_BYTES:
            raise ValueError(f"a seed is {SEED_BYTES} bytes, got {len(seed)}")
        # The seed has a fixed length and the counter a fixed width, so (label, i) pairs never
        # collide: equal inputs have equal lengths, hence equal labels.
        self._prefix = seed + label.encode("utf-8")
        self._counter = 0

    @property
    def blocks_used(self) -> int:
        return self._counter

    def next_block(self) -> bytes:
        block = hashlib.sha256(self._prefix + self._counter.to_bytes(8, "big")).digest()
        self._counter += 1
        return block


def uniform(source: BlockSource, n: int) -> int:
    """An integer uniform in ``[0, n)``: the first 8 bytes of the next block as a big-endian u64
    ``x``; blocks with ``x >= 2**64 - (2**64 mod n)`` are rejected (so every residue is equally
    likely), else ``x mod n``. Always consumes at least one block, even for ``n == 1``."""
    if isinstance(n, bool) or not isinstance(n, int) or not 1 <= n <= _TWO_64:
        raise ValueError(f"uniform needs 1 <= n <= 2**64, got {n!r}")
    limit = _TWO_64 - _TWO_64 % n
    while True:
        x = int.from_bytes(source.next_block()[:8], "big")
        if x < limit:
            return x % n


class _Fenwick:
    """Binary indexed tree over non-negative integer weights: remove and find-by-cumulative-weight
    in O(log n). Item ``j`` owns the interval ``[w_0 + … + w_{j-1}, w_0 + … + w_j)``."""

    __slots__ = ("_size", "_top", "_tree", "total")

    def __init__(self, weights: list[int]) -> None:
        size = len(weights)
        tree = [0, *weights]
        for i in range(1, size + 1):  # O(n) construction: push each partial sum to its parent
            parent = i + (i & -i)
            if parent <= size:
                tree[parent] += tree[i]
        self._tree = tree
        self._size = size
        self._top = 1 << (size.bit_length() - 1) if size else 0
        self.total = sum(weights)

    def find(self, r: int) -> int:
        """The item whose interval contains ``r`` (0 <= r < total)."""
        tree, size, pos, step = self._tree, self._size, 0, self._top
        while step:
            nxt = pos + step
            if nxt <= size and tree[nxt] <= r:
                pos = nxt
                r -= tree[nxt]
            step >>= 1
        return pos

    def remove(self, index: int, weight: int) -> None:
        tree, size, i = self._tree, self._size, index + 1
        while i <= size:
            tree[i] -= weight
            i += i & -i
        self.total -= weight


# --- The draw ------------------------------------------------------------------------------------


class _Assigner:
    """Inspectors and agency for a drawn product, each from the product's own stream."""

    def __init__(self, pool: Pool, seed: bytes) -> None:
        self._seed = seed
        self._per_task = pool.inspectors_per_task
        self._history = pool.history
        self._inspectors = sorted(entry.inspector_id for entry in pool.inspectors)
        self._conflicts: dict[str, set[str]] = {}
        for entry in pool.inspectors:
            for uscc in entry.conflicts:
                self._conflicts.setdefault(uscc, set()).add(entry.inspector_id)
        self._agencies = sorted(pool.agencies, key=lambda entry: entry.agency_id)
        self._agencies_by_category: dict[str, list[str]] = {}

    def eligible_inspectors(self, uscc: str) -> list[str]:
        conflicted = self._conflicts.get(uscc)
        if not conflicted:
            return self._inspectors
        return [i for i in self._inspectors if i not in conflicted]

    def inspectors(self, product_id: str, uscc: str, eligible: list[str]) -> tuple[str, ...]:
        """``inspectors_per_task`` distinct ids: uniformly from the eligible who did not inspect the
        enterprise's previous task, topped up from those who did, in that order."""
        history = self._history.get(uscc)
        last = set(history.last_inspectors) if history else set()
        preferred = [i for i in eligible if i not in last]
        fallback = [i for i in eligible if i in last]
        stream = Stream(self._seed, "inspectors|" + product_id)
        chosen: list[str] = []
        for group in (preferred, fallback):
            while len(chosen) < self._per_task and group:
                chosen.append(group.pop(uniform(stream, len(group))))
        return tuple(chosen)

    def eligible_agencies(self, category_code: str) -> list[str]:
        eligible = self._agencies_by_category.get(category_code)
        if eligible is None:
            eligible = [
                entry.agency_id
                for entry in self._agencies
                if any(category_code.startswith(code) for code in entry.category_scope)
            ]
            self._agencies_by_category[category_code] = eligible
        return eligible

    def agency(self, product_id: str, uscc: str, eligible: list[str]) -> str:
        """Uniformly among the eligible agencies except the one that tested the enterprise's
        previous sample; that one only when it is the sole eligible agency."""
        history = self._history.get(uscc)
        last = history.last_agency if history else None
        choices = [a for a in eligible if a != last] or eligible
        stream = Stream(self._seed, "agency|" + product_id)
        return choices[uniform(stream, len(choices))]

    @property
    def per_task(self) -> int:
        return self._per_task


def execute(pool: Pool, seed_hex: str) -> DrawOutcome:
    """Run the draw: deterministic in (pool, seed), independent of the order of the pool's
    tuples and mappings. Raises :class:`InvalidPool` or ``ValueError`` (bad seed)."""
    return execute_rows(pool, list(map(candidate_row, pool.candidates)), seed_hex)


def execute_rows(
    pool: Pool, rows: Sequence[CandidateRow], seed_hex: str, *, committed: bool = False
) -> DrawOutcome:
    """:func:`execute` for a pool whose candidates are given as document rows (``pool.candidates``
    is not looked at): the runner draws from the stored document without building a million
    :class:`Candidate` objects. Same outcome as ``execute`` on the equivalent pool.

    ``committed=True`` says that pool and rows were read from a document whose canonical bytes
    hash to a pool :func:`pool_document_from_rows` validated: the pool is not validated again,
    and the rows and pre-exclusions are taken to be in document order, as that function and
    the document require. Anything else must leave it False."""
    seed = seed_bytes(seed_hex)
    if not committed:
        validate_pool_rows(pool, rows)
    return _draw(pool, rows, seed, in_document_order=committed)


def _draw(
    pool: Pool, rows: Iterable[CandidateRow], seed: bytes, *, in_document_order: bool = False
) -> DrawOutcome:
    """The draw over a pool already validated."""
    with gc_paused():
        return _draw_strata(pool, rows, seed, in_document_order)


def _draw_strata(
    pool: Pool, rows: Iterable[CandidateRow], seed: bytes, in_document_order: bool
) -> DrawOutcome:
    members: dict[str, list[CandidateRow]] = {stratum.key: [] for stratum in pool.strata}
    for row in rows:
        members[row[5]].append(row)
    assigner = _Assigner(pool, seed)
    weights = pool.weights
    selections: list[Selection] = []
    exclusions = (
        list(pool.pre_exclusions)
        if in_document_order
        else sorted(pool.pre_exclusions, key=exclusion_sort_key)
    )
    shortfalls: list[Shortfall] = []

    for stratum in sorted(pool.strata, key=lambda s: s.key):
        # Document order is by product id: a stratum's share of it is already sorted.
        members_of = members[stratum.key]
        candidates = members_of if in_document_order else sorted(members_of, key=_ROW_ID)
        tree = _Fenwick(list(map(weights.__getitem__, map(_ROW_RISK, candidates))))
        products = Stream(seed, "products|" + stratum.key)
        enterprises_selected: set[str] = set()
        selected = 0
        while selected < stratum.quota and tree.total > 0:
            index = tree.find(uniform(products, tree.total))
            product_id, uscc, category_code, _, risk_class, _ = candidates[index]
            tree.remove(index, weights[risk_class])
            if uscc in enterprises_selected:
                continue  # one batch per enterprise per stratum: set aside, not an exclusion
            inspectors = assigner.eligible_inspectors(uscc)
            if len(inspectors) < assigner.per_task:
                exclusions.append(
                    Exclusion(
                        product_id,
                        uscc,
                        "conflict_of_interest",
                        {
                            "stratum": stratum.key,
                            "eligible_inspectors": str(len(inspectors)),
                            "inspectors_per_task": str(assigner.per_task),
                        },
                    )
                )
                continue
            agencies = assigner.eligible_agencies(category_code)
            if not agencies:
                exclusions.append(
                    Exclusion(
                        product_id,
                        uscc,
                        "agency_scope",
                        {"stratum": stratum.key, "category_code": category_code},
                    )
                )
                continue
            selections.append(
                Selection(
                    stratum=stratum.key,
                    product_id=product_id,
                    enterprise_uscc=uscc,
                    inspector_ids=assigner.inspectors(product_id, uscc, inspectors),
                    agency_id=assigner.agency(product_id, uscc, agencies),
                    order=len(selections),
                )
            )
            enterprises_selected.add(uscc)
            selected += 1
        if selected < stratum.quota:
            shortfalls.append(Shortfall(stratum.key, stratum.quota, selected))

    return DrawOutcome(tuple(selections), tuple(exclusions), tuple(shortfalls))


# --- Verification --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class VerifyReport:
    ok: bool
    first_difference: str | None  # None when ok
    selections: int = 0  # selections reproduced (when ok)
    pool_hash: str | None = None  # the recomputed pool hash, once known


def _field(entry: Mapping[str, Any], key: str) -> Any:
    value = entry.get(key)
    return list(value) if isinstance(value, tuple) else value


def _first_difference(
    kind: str, identity: str, expected: list[dict[str, Any]], actual: list[Mapping[str, Any]]
) -> str | None:
    """Compare entry by entry (extra keys in the record's entries are ignored)."""
    noun = identity.removesuffix("_id")
    for n, (want, have) in enumerate(zip(expected, actual, strict=False)):
        if _field(have, identity) != want[identity]:
            return (
                f"{kind} {n} differs: expected {noun} {want[identity]}, "
                f"record has {_field(have, identity)}"
            )
        for key, value in want.items():
            if _field(have, key) != value:
                return (
                    f"{kind} {n} ({noun} {want[identity]}) differs in {key}: "
                    f"expected {value!r}, record has {_field(have, key)!r}"
                )
    if len(actual) < len(expected):
        n = len(actual)
        return f"{kind} {n} is missing from the record: expected {noun} {expected[n][identity]}"
    if len(actual) > len(expected):
        n = len(expected)
        return f"the record has an extra {kind} {n} ({noun} {_field(actual[n], identity)})"
    return None


def verify(record: Mapping[str, Any]) -> VerifyReport:
    """Recompute a saved draw from its pool and seed and compare.

    Checks, in order: the algorithm version; the pool hash; the seed against its commitment; the
    selections, the exclusions and (when the record has them) the shortfalls, entry by entry. The
    first difference found is reported. Raises :class:`RecordFormatError` when the record is not
    shaped like a draw record."""
    if not isinstance(record, Mapping):
        raise RecordFormatError("a draw record is a JSON object")
    version = record.get("algorithm_version")
    if version != ALGORITHM_VERSION:  # another version's record may be shaped differently
        return VerifyReport(
            False,
            f"algorithm version {version} is not supported (this verifier implements "
            f"{ALGORITHM_VERSION})",
        )
    check_record(record)
    pool = pool_from_document(record["pool"])
    try:
        computed_hash = pool_hash(pool)
    except InvalidPool as exc:
        return VerifyReport(False, f"pool is invalid: {exc}")
    recorded_hash = record_str(record, "pool_hash")
    if recorded_hash != computed_hash:
        return VerifyReport(
            False,
            f"pool_hash does not match the pool (record: {recorded_hash[:12]}…, "
            f"pool hashes to {computed_hash[:12]}…)",
            pool_hash=computed_hash,
        )
    if record["seed"] is None:
        return VerifyReport(False, "the record reveals no seed: the draw has not been executed")
    seed = record_str(record, "seed")
    try:
        commitment = seed_commitment(seed)
    except ValueError as exc:
        raise RecordFormatError(f"seed: {exc}") from exc
    if commitment != record_str(record, "seed_commitment"):
        return VerifyReport(False, "seed does not match seed_commitment", pool_hash=computed_hash)
    expected = outcome_document(
        _draw(pool, map(candidate_row, pool.candidates), seed_bytes(seed))
    )  # pool_hash validated the pool
    checks = [
        ("selection", "product_id", "selections"),
        ("exclusion", "product_id", "exclusions"),
    ]
    if "shortfalls" in record:  # derived from selections and quotas: checked when present
        checks.append(("shortfall", "stratum", "shortfalls"))
    for kind, identity, key in checks:
        difference = _first_difference(kind, identity, expected[key], record_entries(record, key))
        if difference is not None:
            return VerifyReport(False, difference, pool_hash=computed_hash)
    return VerifyReport(True, None, len(expected["selections"]), computed_hash)
