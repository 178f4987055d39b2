"""The draw's documents: the canonical pool that is hashed and published, the outcome, and the
exported record that ``verify`` recomputes.

The pool document is compact where it is large, because pools reach a million candidates: each
candidate and each history entry is an array of fixed-position values; strata, inspectors,
agencies and pre-exclusions (shaped like the outcome's exclusions) are objects. Every collection
is sorted by its key and every set-like list sorted and de-duplicated, so a pool has exactly one
document whatever the order it was built in. The hash is SHA-256 over the document's canonical
JSON (:mod:`service.canonical`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import replace
from itertools import chain, islice, starmap
from operator import itemgetter, lt
from typing import Any

from service.canonical import sha256_hex
from service.draw.model import (
    ALGORITHM_VERSION,
    EXCLUSION_REASONS,
    RISK_CLASSES,
    AgencyEntry,
    Candidate,
    CandidateRow,
    DrawOutcome,
    Exclusion,
    ExclusionReason,
    History,
    InspectorEntry,
    Pool,
    RiskClass,
    Stratum,
    candidate_row,
    exclusion_sort_key,
    gc_paused,
    seed_commitment,
    validate_pool,
    validate_pool_rows,
)

# Lookups that turn a checked string into its Literal type without a cast.
_RISK: dict[str, RiskClass] = {risk: risk for risk in RISK_CLASSES}
_REASON: dict[str, ExclusionReason] = {reason: reason for reason in EXCLUSION_REASONS}

_POOL_KEYS = frozenset(
    {
        "algorithm_version",
        "strata",
        "candidates",
        "inspectors",
        "agencies",
        "history",
        "weights",
        "inspectors_per_task",
        "pre_exclusions",
    }
)
RECORD_KEYS = (
    "algorithm_version",
    "pool",
    "pool_hash",
    "seed_commitment",
    "seed",
    "selections",
    "exclusions",
)


class RecordFormatError(ValueError):
    """The data is not shaped like a draw record or pool document at all (as opposed to a
    well-formed record that does not reproduce)."""


# --- Canonical pool ------------------------------------------------------------------------------


def pool_document(pool: Pool) -> dict[str, Any]:
    """The pool's one canonical, JSON-able form (what :func:`pool_hash` hashes). Validates first:
    no hash is defined for an invalid pool."""
    with gc_paused():
        return _pool_document(pool)


def _pool_document(pool: Pool) -> dict[str, Any]:
    validate_pool(pool)
    candidates = list(map(candidate_row, pool.candidates))  # tuples: JSON arrays
    candidates.sort(key=itemgetter(0))
    return _document(pool, candidates)


def pool_document_from_rows(pool: Pool, rows: Sequence[CandidateRow]) -> dict[str, Any]:
    """:func:`pool_document` for a pool whose candidates are given as rows already in document
    order (``pool.candidates`` is not looked at) — what the runner gets from its SQL, ordered by
    product id, without a million :class:`Candidate` objects and a re-sort. The order is checked
    (one C-speed pass), not trusted; ``rows`` becomes the document's candidate list."""
    with gc_paused():
        validate_pool_rows(pool, rows)
        ids = list(map(_ROW_ID, rows))
        if not all(map(lt, ids, islice(ids, 1, None))):
            raise ValueError("candidate rows must come sorted by product id")
        return _document(pool, rows)


def _document(pool: Pool, candidates: Sequence[CandidateRow]) -> dict[str, Any]:
    return {
        "algorithm_version": ALGORITHM_VERSION,
        "strata": [
            {
                "key": s.key,
                "category_code": s.category_code,
                "region_code": s.region_code,
                "quota": s.quota,
            }
            for s in sorted(pool.strata, key=lambda s: s.key)
        ],
        "candidates": candidates,
        "inspectors": [
            {"id": i.inspector_id, "conflicts": sorted(set(i.conflicts))}
            for i in sorted(pool.inspectors, key=lambda i: i.inspector_id)
        ],
        "agencies": [
            {"id": a.agency_id, "category_scope": sorted(set(a.category_scope))}
            for a in sorted(pool.agencies, key=lambda a: a.agency_id)
        ],
        "history": [
            [uscc, sorted(set(h.last_inspectors)), h.last_agency]
            for uscc, h in sorted(pool.history.items(), key=itemgetter(0))
        ],
        "weights": dict(pool.weights),
        "inspectors_per_task": pool.inspectors_per_task,
        "pre_exclusions": [
            _exclusion_document(e) for e in sorted(pool.pre_exclusions, key=exclusion_sort_key)
        ],
    }


def pool_document_bytes(document: Mapping[str, Any]) -> bytes:
    """The document's canonical JSON — store these bytes, they hash to the pool hash.

    Byte for byte what ``service.canonical.canonical_json`` gives (tests hold the two equal), but
    without its per-value conversion pass, which takes ~10 s on a million candidates and changes
    nothing in a pool document, made of JSON types only."""
    text = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return text.encode("utf-8")


def pool_document_hash(document: Mapping[str, Any]) -> str:
    """SHA-256 hex of the document's canonical JSON (:func:`pool_document_bytes`)."""
    return sha256_hex(pool_document_bytes(document))


def pool_hash(pool: Pool) -> str:
    """What is published before the draw, next to the seed commitment."""
    return pool_document_hash(pool_document(pool))


def _fail(where: str, expected: str) -> RecordFormatError:
    return RecordFormatError(f"{where}: expected {expected}")


def _str(value: object, where: str) -> str:
    if not isinstance(value, str):
        raise _fail(where, "a string")
    return value


def _opt_str(value: object, where: str) -> str | None:
    return None if value is None else _str(value, where)


def _int(value: object, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise _fail(where, "an integer")
    return value


def _list(value: object, where: str) -> list[Any]:
    if not isinstance(value, list | tuple):
        raise _fail(where, "an array")
    return list(value)


def _strs(value: object, where: str) -> tuple[str, ...]:
    return tuple(_str(item, f"{where}[{n}]") for n, item in enumerate(_list(value, where)))


def _obj(value: object, where: str, keys: Sequence[str]) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise _fail(where, "an object")
    if set(value) != set(keys):
        raise _fail(where, "the keys " + ", ".join(sorted(keys)))
    return value


def _detail(value: object, where: str) -> dict[str, str]:
    if not isinstance(value, Mapping):
        raise _fail(where, "an object")
    return {_str(k, where): _str(v, f"{where}.{k}") for k, v in value.items()}


_ROW_ID = itemgetter(0)
_ROW_RISK = itemgetter(4)


def _candidate_rows(value: object) -> list[CandidateRow]:
    rows = _list(value, "pool.candidates")
    # A million rows: check all of them in a few C-speed passes; walk row by row only to name the
    # first bad one.
    if not (
        set(map(type, rows)) <= {list, tuple}
        and set(map(len, rows)) <= {6}
        and set(map(type, chain.from_iterable(rows))) <= {str}
        and set(map(_ROW_RISK, rows)) <= _RISK.keys()
    ):
        for n, row in enumerate(rows):
            if not (
                isinstance(row, list | tuple)
                and len(row) == 6
                and all(isinstance(field, str) for field in row)
                and row[4] in _RISK
            ):
                raise _fail(
                    f"pool.candidates[{n}]",
                    "[product_id, enterprise_uscc, category_code, region_code, risk_class A-D, "
                    "stratum]",
                )
    return rows


def _history(entries: list[Any]) -> dict[str, History]:
    """The history entries as a mapping by USCC. Tens of thousands of entries: checked in a few
    C-speed passes, and walked one by one only when a check fails, to name the first bad one (the
    walk accepts exactly what the passes accept, and str or list subclasses besides)."""
    if set(map(type, entries)) <= {list} and set(map(len, entries)) <= {3}:
        usccs, inspectors, agencies = zip(*entries, strict=True) if entries else ((), (), ())
        if (
            set(map(type, usccs)) <= {str}
            and len(set(usccs)) == len(usccs)
            and set(map(type, inspectors)) <= {list}
            and set(map(type, chain.from_iterable(inspectors))) <= {str}
            and set(map(type, agencies)) <= {str, type(None)}
        ):
            return dict(zip(usccs, map(History, map(tuple, inspectors), agencies), strict=True))
    history: dict[str, History] = {}
    for n, item in enumerate(entries):
        where = f"pool.history[{n}]"
        row = _list(item, where)
        if len(row) != 3:
            raise _fail(where, "[enterprise_uscc, [last inspector ids], last agency id or null]")
        uscc = _str(row[0], f"{where}[0]")
        if uscc in history:
            raise RecordFormatError(f"{where}: enterprise {uscc!r} appears twice")
        history[uscc] = History(_strs(row[1], f"{where}[1]"), _opt_str(row[2], f"{where}[2]"))
    return history


_EXCLUSION_KEYS = frozenset({"product_id", "enterprise_uscc", "reason", "detail"})
_PRODUCT_ID, _USCC, _REASON_KEY, _DETAIL = map(
    itemgetter, ("product_id", "enterprise_uscc", "reason", "detail")
)


def _pre_exclusions(entries: list[Any]) -> list[Exclusion]:
    """The pre-exclusions, checked in bulk like :func:`_history` (tens of thousands of them)."""
    if set(map(type, entries)) <= {dict} and set(map(frozenset, entries)) <= {_EXCLUSION_KEYS}:
        products, usccs = list(map(_PRODUCT_ID, entries)), list(map(_USCC, entries))
        reasons, details = list(map(_REASON_KEY, entries)), list(map(_DETAIL, entries))
        if (
            set(map(type, chain(products, usccs, reasons))) <= {str}
            and set(reasons) <= _REASON.keys()
            and set(map(type, details)) <= {dict}
            and set(map(type, chain.from_iterable(details))) <= {str}
            and set(map(type, chain.from_iterable(map(dict.values, details)))) <= {str}
        ):
            typed = map(_REASON.__getitem__, reasons)
            return list(map(Exclusion, products, usccs, typed, map(dict, details)))
    pre_exclusions = []
    for n, item in enumerate(entries):
        where = f"pool.pre_exclusions[{n}]"
        e = _obj(item, where, ("product_id", "enterprise_uscc", "reason", "detail"))
        reason = _REASON.get(e["reason"]) if isinstance(e["reason"], str) else None
        if reason is None:
            raise _fail(f"{where}.reason", "one of " + ", ".join(EXCLUSION_REASONS))
        pre_exclusions.append(
            Exclusion(
                _str(e["product_id"], f"{where}.product_id"),
                _str(e["enterprise_uscc"], f"{where}.enterprise_uscc"),
                reason,
                _detail(e["detail"], f"{where}.detail"),
            )
        )
    return pre_exclusions


def pool_from_document(doc: Mapping[str, Any]) -> Pool:
    """The pool a document describes. Raises :class:`RecordFormatError` when the document is not
    shaped like a ``draw/1`` pool; semantic problems are :func:`validate_pool`'s business."""
    with gc_paused():
        pool, rows = _pool_from_document(doc)
        return replace(pool, candidates=tuple(starmap(Candidate, rows)))


def pool_rows_from_document(
    doc: Mapping[str, Any], *, check_candidates: bool = True
) -> tuple[Pool, list[CandidateRow]]:
    """The pool a document describes with its candidates left as the document's rows (the pool's
    own ``candidates`` is empty), checked for shape like :func:`pool_from_document` does: for
    :func:`~service.draw.algorithm.execute_rows`, without a million objects.

    ``check_candidates=False`` leaves the candidate rows to the caller's validation
    (``execute_rows`` runs :func:`validate_pool_rows`, which checks the same per row, minus the
    friendly error): one pass fewer over a million rows."""
    with gc_paused():
        return _pool_from_document(doc, check_candidates=check_candidates)


def _pool_from_document(
    doc: Mapping[str, Any], *, check_candidates: bool = True
) -> tuple[Pool, list[CandidateRow]]:
    doc = _obj(doc, "pool", sorted(_POOL_KEYS))
    version = doc["algorithm_version"]
    if version != ALGORITHM_VERSION:
        raise RecordFormatError(
            f"pool document is for algorithm {version!r}, not {ALGORITHM_VERSION}"
        )
    strata = []
    for n, item in enumerate(_list(doc["strata"], "pool.strata")):
        where = f"pool.strata[{n}]"
        s = _obj(item, where, ("key", "category_code", "region_code", "quota"))
        strata.append(
            Stratum(
                _str(s["key"], f"{where}.key"),
                _str(s["category_code"], f"{where}.category_code"),
                _opt_str(s["region_code"], f"{where}.region_code"),
                _int(s["quota"], f"{where}.quota"),
            )
        )
    candidates = (
        _candidate_rows(doc["candidates"])
        if check_candidates
        else _list(doc["candidates"], "pool.candidates")
    )
    inspectors = []
    for n, item in enumerate(_list(doc["inspectors"], "pool.inspectors")):
        where = f"pool.inspectors[{n}]"
        i = _obj(item, where, ("id", "conflicts"))
        inspectors.append(
            InspectorEntry(
                _str(i["id"], f"{where}.id"), _strs(i["conflicts"], f"{where}.conflicts")
            )
        )
    agencies = []
    for n, item in enumerate(_list(doc["agencies"], "pool.agencies")):
        where = f"pool.agencies[{n}]"
        a = _obj(item, where, ("id", "category_scope"))
        agencies.append(
            AgencyEntry(
                _str(a["id"], f"{where}.id"), _strs(a["category_scope"], f"{where}.category_scope")
            )
        )
    history = _history(_list(doc["history"], "pool.history"))
    weights_doc = doc["weights"]
    if not isinstance(weights_doc, Mapping):
        raise _fail("pool.weights", "an object")
    weights = {
        _str(k, "pool.weights"): _int(v, f"pool.weights.{k}") for k, v in weights_doc.items()
    }
    pre_exclusions = _pre_exclusions(_list(doc["pre_exclusions"], "pool.pre_exclusions"))
    pool = Pool(
        strata=tuple(strata),
        candidates=(),
        inspectors=tuple(inspectors),
        agencies=tuple(agencies),
        history=history,
        weights=weights,
        inspectors_per_task=_int(doc["inspectors_per_task"], "pool.inspectors_per_task"),
        pre_exclusions=tuple(pre_exclusions),
    )
    return pool, candidates


# --- Outcome and record --------------------------------------------------------------------------


def _exclusion_document(exclusion: Exclusion) -> dict[str, Any]:
    return {
        "product_id": exclusion.product_id,
        "enterprise_uscc": exclusion.enterprise_uscc,
        "reason": exclusion.reason,
        "detail": dict(exclusion.detail),
    }


def outcome_document(outcome: DrawOutcome) -> dict[str, Any]:
    """JSON-able ``selections``, ``exclusions`` and ``shortfalls``, in the outcome's order."""
    return {
        "selections": [
            {
                "order": s.order,
                "stratum": s.stratum,
                "product_id": s.product_id,
                "enterprise_uscc": s.enterprise_uscc,
                "inspector_ids": list(s.inspector_ids),
                "agency_id": s.agency_id,
            }
            for s in outcome.selections
        ],
        "exclusions": [_exclusion_document(e) for e in outcome.exclusions],
        "shortfalls": [
            {"stratum": s.stratum, "quota": s.quota, "selected": s.selected}
            for s in outcome.shortfalls
        ],
    }


def draw_record_document(pool: Pool, seed_hex: str, outcome: DrawOutcome) -> dict[str, Any]:
    """The exported record :func:`verify` checks: version, pool, pool hash, commitment, seed and
    outcome. Callers may add keys (``id``, timestamps …); the verifier ignores them."""
    document = pool_document(pool)
    return {
        "algorithm_version": ALGORITHM_VERSION,
        "pool": document,
        "pool_hash": pool_document_hash(document),
        "seed_commitment": seed_commitment(seed_hex),
        "seed": seed_hex,
        **outcome_document(outcome),
    }


def check_record(record: object) -> None:
    """Raise :class:`RecordFormatError` unless ``record`` is an object with every record key."""
    if not isinstance(record, Mapping):
        raise RecordFormatError("a draw record is a JSON object")
    missing = [key for key in RECORD_KEYS if key not in record]
    if missing:
        raise RecordFormatError("the record lacks " + ", ".join(missing))


def record_str(record: Mapping[str, Any], key: str) -> str:
    return _str(record[key], key)


def record_entries(record: Mapping[str, Any], key: str) -> list[Mapping[str, Any]]:
    """The record's ``selections``/``exclusions``/``shortfalls``: an array of objects."""
    entries = _list(record[key], key)
    for n, entry in enumerate(entries):
        if not isinstance(entry, Mapping):
            raise _fail(f"{key}[{n}]", "an object")
    return entries
