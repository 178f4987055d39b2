"""The double-random draw (``service.draw``, ``draw/1``), tested without database or web layer.

The known-answer values below are the worked example of ``docs/draw-algorithm.md``: if one of those
tests fails, the algorithm changed and needs a new version — do not just update the numbers.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
import random
import subprocess
import sys
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator, Mapping
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from service.canonical import canonical_json, digest
from service.draw.algorithm import (
    ALGORITHM_VERSION,
    DEFAULT_RISK_WEIGHTS,
    RISK_CLASSES,
    VERSION,
    AgencyEntry,
    Candidate,
    DrawOutcome,
    Exclusion,
    History,
    InspectorEntry,
    InvalidPool,
    Pool,
    RecordFormatError,
    RiskClass,
    Selection,
    Shortfall,
    Stratum,
    Stream,
    draw_record_document,
    execute,
    execute_rows,
    new_seed,
    outcome_document,
    pool_document,
    pool_document_bytes,
    pool_document_from_rows,
    pool_document_hash,
    pool_from_document,
    pool_hash,
    pool_rows_from_document,
    seed_commitment,
    uniform,
    validate_pool,
    verify,
)

ROOT = Path(__file__).resolve().parents[2]
TWO_64 = 1 << 64
EXAMPLE_SEED = bytes(range(32)).hex()  # 000102…1f, the seed of the documented example


def seed_for(n: int) -> str:
    """Fixed, independent-looking seeds for repeated draws."""
    return hashlib.sha256(f"test seed {n}".encode()).hexdigest()


def inspectors(
    *ids: str, conflicts: Mapping[str, tuple[str, ...]] | None = None
) -> tuple[InspectorEntry, ...]:
    conflicts = conflicts or {}
    return tuple(InspectorEntry(i, conflicts.get(i, ())) for i in ids)


def simple_pool(
    candidates: tuple[Candidate, ...],
    *,
    strata: tuple[Stratum, ...] = (Stratum("S", "04", None, 1),),
    roster: tuple[InspectorEntry, ...] = inspectors("I1", "I2", "I3", "I4"),
    agencies: tuple[AgencyEntry, ...] = (AgencyEntry("L1", ("04",)),),
    history: Mapping[str, History] | None = None,
    inspectors_per_task: int = 2,
    pre_exclusions: tuple[Exclusion, ...] = (),
) -> Pool:
    return Pool(
        strata=strata,
        candidates=candidates,
        inspectors=roster,
        agencies=agencies,
        history=history or {},
        weights=DEFAULT_RISK_WEIGHTS,
        inspectors_per_task=inspectors_per_task,
        pre_exclusions=pre_exclusions,
    )


def candidate(
    product_id: str,
    uscc: str | None = None,
    *,
    risk: RiskClass = "C",
    stratum: str = "S",
    category: str = "0401",
) -> Candidate:
    return Candidate(product_id, uscc or f"E-{product_id}", category, "410100", risk, stratum)


def example_pool() -> Pool:
    """The worked example of docs/draw-algorithm.md."""
    return Pool(
        strata=(Stratum("0401", "0401", None, 3), Stratum("0402", "0402", None, 2)),
        candidates=(
            Candidate("P01", "E1", "0401", "410102", "A", "0401"),
            Candidate("P02", "E1", "0401", "410102", "D", "0401"),
            Candidate("P03", "E2", "0401", "410103", "C", "0401"),
            Candidate("P04", "E3", "0401", "410104", "B", "0401"),
            Candidate("P05", "E4", "0402", "410105", "D", "0402"),
            Candidate("P06", "E5", "0402", "410106", "C", "0402"),
            Candidate("P07", "E3", "0402", "410104", "A", "0402"),
        ),
        inspectors=(
            InspectorEntry("I1", ("E2",)),
            InspectorEntry("I2", ("E2",)),
            InspectorEntry("I3", ()),
            InspectorEntry("I4", ("E2", "E4")),
        ),
        agencies=(
            AgencyEntry("L1", ("04",)),
            AgencyEntry("L2", ("0401",)),
            AgencyEntry("L3", ("0403",)),
        ),
        history={"E1": History(("I2", "I3"), "L1"), "E4": History(("I1",), "L1")},
        weights=DEFAULT_RISK_WEIGHTS,
        pre_exclusions=(
            Exclusion(
                "P08",
                "E6",
                "six_month_rule",
                {
                    "rule_id": "R1",
                    "blocking_sampling_id": "S-2025-001",
                    "lock_ends_on": "2026-03-01",
                },
            ),
        ),
    )


def random_pool(rng: random.Random) -> Pool:
    """A small pool exercising every branch: shared enterprises, conflicts, history, scopes."""
    strata = tuple(
        Stratum(key, key[:4], None, rng.randint(0, 6)) for key in ("0401", "0401-b", "0402")
    )
    enterprises = [f"E{n}" for n in range(rng.randint(3, 15))]
    candidates = tuple(
        Candidate(
            f"P{n:03d}",
            rng.choice(enterprises),
            rng.choice(["0401", "040101", "0402", "0403"]),
            "410100",
            rng.choice(["A", "B", "C", "D"]),
            rng.choice(strata).key,
        )
        for n in rng.sample(range(500), rng.randint(0, 25))
    )
    per_task = rng.choice([2, 3])
    roster = tuple(
        InspectorEntry(f"I{n}", tuple(rng.sample(enterprises, rng.randint(0, 3))))
        for n in range(rng.randint(per_task, 6))
    )
    agencies = tuple(
        AgencyEntry(f"L{n}", tuple(rng.sample(["04", "0401", "0402", "040101", "05"], 2)))
        for n in range(rng.randint(0, 4))
    )
    history = {
        e: History(
            tuple(rng.sample([i.inspector_id for i in roster], min(2, len(roster)))),
            rng.choice([None, *[a.agency_id for a in agencies]]),
        )
        for e in rng.sample(enterprises, len(enterprises) // 2)
    }
    return Pool(strata, candidates, roster, agencies, history, DEFAULT_RISK_WEIGHTS, per_task)


def shuffled(pool: Pool, rng: random.Random) -> Pool:
    """The same pool with every tuple and mapping in another order."""

    def mix(items: tuple[Any, ...]) -> tuple[Any, ...]:
        return tuple(rng.sample(items, len(items)))

    history_items = list(pool.history.items())
    rng.shuffle(history_items)
    return dataclasses.replace(
        pool,
        strata=mix(pool.strata),
        candidates=mix(pool.candidates),
        inspectors=tuple(
            InspectorEntry(i.inspector_id, mix(i.conflicts)) for i in mix(pool.inspectors)
        ),
        agencies=tuple(AgencyEntry(a.agency_id, mix(a.category_scope)) for a in mix(pool.agencies)),
        history={u: History(mix(h.last_inspectors), h.last_agency) for u, h in history_items},
        weights=dict(reversed(list(pool.weights.items()))),
        pre_exclusions=mix(pool.pre_exclusions),
    )


# --- A second implementation, written from the specification alone ------------------------------


def reference_execute(pool: Pool, seed_hex: str) -> DrawOutcome:
    """docs/draw-algorithm.md followed literally: linear scans instead of a Fenwick tree, lists
    instead of indexes. ``execute`` must agree with it on every pool and seed."""
    seed = bytes.fromhex(seed_hex)

    def stream(label: str) -> Iterator[bytes]:
        counter = 0
        while True:
            yield hashlib.sha256(seed + label.encode() + counter.to_bytes(8, "big")).digest()
            counter += 1

    def uniform_int(blocks: Iterator[bytes], n: int) -> int:
        while True:
            x = int.from_bytes(next(blocks)[:8], "big")
            if x < TWO_64 - TWO_64 % n:
                return x % n

    weights = pool.weights
    roster = sorted(pool.inspectors, key=lambda i: i.inspector_id)
    agencies = sorted(pool.agencies, key=lambda a: a.agency_id)
    selections: list[Selection] = []
    exclusions = sorted(
        pool.pre_exclusions,
        key=lambda e: (e.product_id, e.enterprise_uscc, e.reason, sorted(e.detail.items())),
    )
    shortfalls: list[Shortfall] = []
    for stratum in sorted(pool.strata, key=lambda s: s.key):
        remaining = sorted(
            (c for c in pool.candidates if c.stratum == stratum.key), key=lambda c: c.product_id
        )
        products = stream("products|" + stratum.key)
        taken: set[str] = set()
        count = 0
        while count < stratum.quota and remaining:
            r = uniform_int(products, sum(weights[c.risk_class] for c in remaining))
            position, cumulative = 0, 0
            for position, c in enumerate(remaining):  # noqa: B007 - position is used below
                cumulative += weights[c.risk_class]
                if r < cumulative:
                    break
            drawn = remaining.pop(position)
            uscc = drawn.enterprise_uscc
            if uscc in taken:
                continue
            history = pool.history.get(uscc, History((), None))
            eligible = [i.inspector_id for i in roster if uscc not in i.conflicts]
            if len(eligible) < pool.inspectors_per_task:
                detail = {
                    "stratum": stratum.key,
                    "eligible_inspectors": str(len(eligible)),
                    "inspectors_per_task": str(pool.inspectors_per_task),
                }
                exclusions.append(Exclusion(drawn.product_id, uscc, "conflict_of_interest", detail))
                continue
            labs = [
                a.agency_id
                for a in agencies
                if any(drawn.category_code.startswith(code) for code in a.category_scope)
            ]
            if not labs:
                detail = {"stratum": stratum.key, "category_code": drawn.category_code}
                exclusions.append(Exclusion(drawn.product_id, uscc, "agency_scope", detail))
                continue
            blocks = stream("inspectors|" + drawn.product_id)
            chosen: list[str] = []
            for group in (
                [i for i in eligible if i not in history.last_inspectors],
                [i for i in eligible if i in history.last_inspectors],
            ):
                while len(chosen) < pool.inspectors_per_task and group:
                    chosen.append(group.pop(uniform_int(blocks, len(group))))
            choices = [a for a in labs if a != history.last_agency] or labs
            agency = choices[uniform_int(stream("agency|" + drawn.product_id), len(choices))]
            selections.append(
                Selection(
                    stratum.key, drawn.product_id, uscc, tuple(chosen), agency, len(selections)
                )
            )
            taken.add(uscc)
            count += 1
        if count < stratum.quota:
            shortfalls.append(Shortfall(stratum.key, stratum.quota, count))
    return DrawOutcome(tuple(selections), tuple(exclusions), tuple(shortfalls))


@pytest.mark.parametrize("n", range(150))
def test_execute_agrees_with_the_specification_followed_literally(n: int) -> None:
    rng = random.Random(n)
    pool = random_pool(rng)
    assert execute(pool, seed_for(n)) == reference_execute(pool, seed_for(n))


# --- Known answers (the documented example) ------------------------------------------------------


def test_the_version_is_draw_1() -> None:
    assert ALGORITHM_VERSION == VERSION == "draw/1"


def test_stream_blocks_are_sha256_of_seed_label_counter() -> None:
    seed = bytes(range(32))
    stream = Stream(seed, "products|0401")
    blocks = [stream.next_block() for _ in range(3)]
    assert [b.hex() for b in blocks[:1]] == [
        "cb76933a8d9d2d8768ac3f69976025a659ca9ec6fb723274507139a4ada5980c"
    ]
    for i, block in enumerate(blocks):
        assert block == hashlib.sha256(seed + b"products|0401" + i.to_bytes(8, "big")).digest()
    assert stream.blocks_used == 3
    other = Stream(seed, "products|0402").next_block()
    assert other != blocks[0]


def test_stream_labels_are_utf8() -> None:
    seed = bytes(32)
    expected = hashlib.sha256(seed + "products|食品".encode() + bytes(8)).digest()
    assert Stream(seed, "products|食品").next_block() == expected


def test_example_pool_hash_and_commitment() -> None:
    assert pool_hash(example_pool()) == (
        "afd80d31cd018908b293c7aeb5ded5eb826688aac9be5ece58033f5faaa59d83"
    )
    assert seed_commitment(EXAMPLE_SEED) == (
        "630dcd2966c4336691125448bbb25b4ff412a49c732db2c8abc1b8581bd710dd"
    )


def test_example_outcome() -> None:
    outcome = execute(example_pool(), EXAMPLE_SEED)
    assert outcome.selections == (
        Selection("0401", "P04", "E3", ("I2", "I3"), "L1", 0),
        Selection("0401", "P02", "E1", ("I4", "I1"), "L2", 1),
        Selection("0402", "P05", "E4", ("I2", "I3"), "L1", 2),
        Selection("0402", "P06", "E5", ("I2", "I4"), "L1", 3),
    )
    assert outcome.exclusions == (
        example_pool().pre_exclusions[0],
        Exclusion(
            "P03",
            "E2",
            "conflict_of_interest",
            {"stratum": "0401", "eligible_inspectors": "1", "inspectors_per_task": "2"},
        ),
    )
    assert outcome.shortfalls == (Shortfall("0401", 3, 2),)


# --- Seeds and the uniform integer ---------------------------------------------------------------


def test_new_seeds_are_32_random_bytes() -> None:
    seeds = {new_seed() for _ in range(20)}
    assert len(seeds) == 20
    assert all(len(s) == 64 and bytes.fromhex(s) for s in seeds)


def test_the_commitment_hashes_the_seed_bytes_not_its_text() -> None:
    seed = seed_for(1)
    assert seed_commitment(seed) == hashlib.sha256(bytes.fromhex(seed)).hexdigest()
    assert seed_commitment(seed) != hashlib.sha256(seed.encode()).hexdigest()
    assert seed_commitment(seed.upper()) == seed_commitment(seed)


@pytest.mark.parametrize("seed", ["", "00" * 31, "00" * 33, "zz" * 32, " " + "00" * 32, "0" * 63])
def test_malformed_seeds_are_refused(seed: str) -> None:
    with pytest.raises(ValueError, match="64 hexadecimal"):
        seed_commitment(seed)
    with pytest.raises(ValueError, match="64 hexadecimal"):
        execute(example_pool(), seed)


class Blocks:
    """A block source replaying given 8-byte prefixes."""

    def __init__(self, *values: int) -> None:
        self.values = list(values)
        self.used = 0

    def next_block(self) -> bytes:
        value = self.values[self.used]
        self.used += 1
        return value.to_bytes(8, "big") + bytes(24)


def test_uniform_rejects_the_incomplete_last_interval() -> None:
    # 2**64 mod 3 == 1: the largest value 2**64 - 1 would favour residue 0, so it is rejected.
    limit = TWO_64 - 1
    source = Blocks(limit, limit - 1)
    assert uniform(source, 3) == (limit - 1) % 3
    assert source.used == 2
    source = Blocks(limit - 1)
    assert uniform(source, 3) == (TWO_64 - 2) % 3 == 2
    source = Blocks(0)
    assert uniform(source, 3) == 0


def test_uniform_boundary_for_large_n() -> None:
    n = (1 << 63) + 1  # 2**64 mod n == 2**63 - 1: almost half of all values are rejected
    limit = TWO_64 - TWO_64 % n
    assert limit == n
    source = Blocks(limit, TWO_64 - 1, limit - 1)
    assert uniform(source, n) == (limit - 1) % n == n - 1
    assert source.used == 3


@pytest.mark.parametrize("n", [1, 2, 4, 1 << 32, 1 << 63, TWO_64])
def test_uniform_never_rejects_for_powers_of_two(n: int) -> None:
    source = Blocks(TWO_64 - 1)
    assert uniform(source, n) == (TWO_64 - 1) % n
    assert source.used == 1


def test_uniform_of_one_still_consumes_a_block() -> None:
    stream = Stream(bytes(32), "x")
    assert uniform(stream, 1) == 0
    assert stream.blocks_used == 1


@pytest.mark.parametrize("n", [0, -1, TWO_64 + 1, True, 2.0])
def test_uniform_refuses_an_empty_or_oversized_range(n: Any) -> None:
    with pytest.raises(ValueError, match="uniform needs"):
        uniform(Blocks(0), n)


def test_uniform_stays_in_range_and_covers_it() -> None:
    rng = random.Random(5)
    stream = Stream(bytes(32), "range")
    for n in [
        3,
        5,
        7,
        10,
        1000,
        (1 << 63) + 1,
        TWO_64 - 1,
        *(rng.randrange(1, TWO_64) for _ in range(50)),
    ]:
        for _ in range(20):
            assert 0 <= uniform(stream, n) < n
    assert {uniform(stream, 3) for _ in range(100)} == {0, 1, 2}


# --- Determinism and the canonical pool ----------------------------------------------------------


def test_same_pool_and_seed_give_the_same_outcome() -> None:
    pool = random_pool(random.Random(1))
    assert execute(pool, seed_for(1)) == execute(pool, seed_for(1))


def test_different_seeds_give_different_outcomes() -> None:
    pool = simple_pool(
        tuple(candidate(f"P{n:02d}") for n in range(40)), strata=(Stratum("S", "04", None, 5),)
    )
    outcomes = {
        tuple(s.product_id for s in execute(pool, seed_for(n)).selections) for n in range(10)
    }
    assert len(outcomes) == 10


@pytest.mark.parametrize("n", range(20))
def test_input_order_does_not_matter(n: int) -> None:
    rng = random.Random(1000 + n)
    pool = random_pool(rng)
    other = shuffled(pool, rng)
    assert pool_hash(other) == pool_hash(pool)
    assert pool_document(other) == pool_document(pool)
    assert execute(other, seed_for(n)) == execute(pool, seed_for(n))


def test_input_order_does_not_matter_for_the_example() -> None:
    pool = example_pool()
    other = shuffled(pool, random.Random(3))
    assert pool_hash(other) == pool_hash(pool)
    assert execute(other, EXAMPLE_SEED) == execute(pool, EXAMPLE_SEED)


def _replace_first(pool: Pool, field: str, **changes: Any) -> Pool:
    items: tuple[Any, ...] = getattr(pool, field)
    replaced: dict[str, Any] = {field: (dataclasses.replace(items[0], **changes), *items[1:])}
    return dataclasses.replace(pool, **replaced)


POOL_CHANGES: dict[str, Callable[[Pool], Pool]] = {
    "candidate risk class": lambda p: _replace_first(p, "candidates", risk_class="D"),
    "candidate enterprise": lambda p: _replace_first(p, "candidates", enterprise_uscc="E9"),
    "candidate category": lambda p: _replace_first(p, "candidates", category_code="0402"),
    "candidate region": lambda p: _replace_first(p, "candidates", region_code="410101"),
    "candidate stratum": lambda p: _replace_first(p, "candidates", stratum="0402"),
    "candidate removed": lambda p: dataclasses.replace(p, candidates=p.candidates[1:]),
    "candidate added": lambda p: dataclasses.replace(
        p, candidates=(*p.candidates, Candidate("P09", "E7", "0401", "410100", "A", "0401"))
    ),
    "inspector conflict": lambda p: _replace_first(p, "inspectors", conflicts=("E2", "E3")),
    "inspector added": lambda p: dataclasses.replace(
        p, inspectors=(*p.inspectors, InspectorEntry("I5", ()))
    ),
    "agency scope": lambda p: _replace_first(p, "agencies", category_scope=("0401",)),
    "agency removed": lambda p: dataclasses.replace(p, agencies=p.agencies[1:]),
    "history inspectors": lambda p: dataclasses.replace(
        p, history={**p.history, "E1": History(("I2",), "L1")}
    ),
    "history agency": lambda p: dataclasses.replace(
        p, history={**p.history, "E1": History(("I2", "I3"), None)}
    ),
    "history added": lambda p: dataclasses.replace(
        p, history={**p.history, "E5": History((), None)}
    ),
    "weight": lambda p: dataclasses.replace(p, weights={**p.weights, "D": 29}),
    "quota": lambda p: _replace_first(p, "strata", quota=4),
    "stratum region": lambda p: _replace_first(p, "strata", region_code="410100"),
    "inspectors per task": lambda p: dataclasses.replace(p, inspectors_per_task=3),
    "pre-exclusion detail": lambda p: dataclasses.replace(
        p,
        pre_exclusions=(dataclasses.replace(p.pre_exclusions[0], detail={"rule_id": "R2"}),),
    ),
    "pre-exclusion removed": lambda p: dataclasses.replace(p, pre_exclusions=()),
}


@pytest.mark.parametrize("change", POOL_CHANGES.values(), ids=POOL_CHANGES.keys())
def test_every_change_to_the_pool_changes_its_hash(change: Callable[[Pool], Pool]) -> None:
    pool = example_pool()
    assert pool_hash(change(pool)) != pool_hash(pool)


@pytest.mark.parametrize("n", range(10))
def test_the_pool_document_round_trips_through_canonical_json(n: int) -> None:
    pool = example_pool() if n == 0 else random_pool(random.Random(2000 + n))
    document = pool_document(pool)
    parsed = json.loads(canonical_json(document))
    again = pool_from_document(parsed)
    assert canonical_json(pool_document(again)) == canonical_json(document)
    assert pool_hash(again) == pool_hash(pool)
    assert execute(again, seed_for(n)) == execute(pool, seed_for(n))


# Strings the JSON encoder escapes, or that the fast path must not take at face value.
AWKWARD_STRINGS = ['say "hi"', "back\\slash", "new\nline", "\x01", "\x7f", "\u2028", "\xa0"]


@pytest.mark.parametrize("n", range(5))
def test_the_fast_canonical_bytes_are_the_canonical_json(n: int) -> None:
    pool = example_pool() if n == 0 else random_pool(random.Random(3000 + n))
    document = pool_document(pool)
    assert pool_document_bytes(document) == canonical_json(document)
    assert pool_document_hash(document) == digest(document) == pool_hash(pool)


def pool_with_text(text: str) -> Pool:
    """The example pool with one candidate and one pre-exclusion spelled with `text`."""
    return dataclasses.replace(
        example_pool(),
        candidates=(
            *example_pool().candidates,
            Candidate(f"P09{text}", f"E{text}", "0401", text, "A", "0401"),
        ),
        pre_exclusions=(Exclusion("X", "E", "inactive", {text: text}),),
    )


@pytest.mark.parametrize("text", [*AWKWARD_STRINGS, "食品 \U0001f600", ""])
def test_the_fast_canonical_bytes_escape_like_the_encoder(text: str) -> None:
    document = pool_document(pool_with_text(text))
    assert pool_document_bytes(document) == canonical_json(document)
    assert pool_from_document(json.loads(pool_document_bytes(document))) is not None


def test_the_pool_document_is_compact_and_sorted() -> None:
    document = pool_document(shuffled(example_pool(), random.Random(9)))
    assert document["algorithm_version"] == "draw/1"
    assert document["candidates"][0] == ("P01", "E1", "0401", "410102", "A", "0401")
    assert [row[0] for row in document["candidates"]] == [f"P0{n}" for n in range(1, 8)]
    assert [s["key"] for s in document["strata"]] == ["0401", "0402"]
    assert [i["id"] for i in document["inspectors"]] == ["I1", "I2", "I3", "I4"]
    assert document["inspectors"][3]["conflicts"] == ["E2", "E4"]
    assert [a["id"] for a in document["agencies"]] == ["L1", "L2", "L3"]
    assert document["history"] == [["E1", ["I2", "I3"], "L1"], ["E4", ["I1"], "L1"]]


# --- The runner's fast paths: rows instead of Candidate objects, orjson ------------------------


def _rows(pool: Pool) -> list[tuple[str, ...]]:
    return [tuple(row) for row in pool_document(pool)["candidates"]]


@pytest.mark.parametrize("n", range(10))
def test_the_document_from_sorted_rows_is_the_pool_document(n: int) -> None:
    pool = example_pool() if n == 0 else random_pool(random.Random(4000 + n))
    bare = dataclasses.replace(shuffled(pool, random.Random(n)), candidates=())
    document = pool_document_from_rows(bare, _rows(pool))
    assert pool_document_bytes(document) == pool_document_bytes(pool_document(pool))


def test_the_document_from_rows_refuses_rows_out_of_order() -> None:
    pool = example_pool()
    rows = _rows(pool)
    rows[0], rows[1] = rows[1], rows[0]
    with pytest.raises(ValueError, match="sorted by product id"):
        pool_document_from_rows(dataclasses.replace(pool, candidates=()), rows)


@pytest.mark.parametrize("committed", [False, True])
@pytest.mark.parametrize("n", range(60))
def test_drawing_from_document_rows_is_drawing_from_the_pool(n: int, committed: bool) -> None:
    # committed=True (no checks, no re-sort: the runner's stored, hash-checked document) draws
    # the same as drawing from the pool object in whatever order it lists things.
    pool = example_pool() if n == 0 else random_pool(random.Random(5000 + n))
    parsed = json.loads(pool_document_bytes(pool_document(shuffled(pool, random.Random(n)))))
    bare, rows = pool_rows_from_document(parsed)
    assert bare.candidates == ()
    drawn = execute_rows(bare, rows, seed_for(n), committed=committed)
    assert drawn == execute(pool, seed_for(n))


def test_document_rows_are_shape_checked_like_the_pool() -> None:
    parsed = json.loads(pool_document_bytes(pool_document(example_pool())))
    parsed["candidates"][2] = ["P03", "E2", "0401", 410103, "C", "0401"]
    with pytest.raises(RecordFormatError, match=r"pool.candidates\[2\]"):
        pool_rows_from_document(parsed)


@pytest.mark.parametrize(
    ("row", "message"),
    [
        (["P03", "E2", "0401", 410103, "C", "0401"], "region_code must be a string"),
        ({"a": 1, "b": 2, "c": 3, "d": 4, "e": 5, "f": 6}, "expected an array"),
        ("P03E20", "expected an array"),
        (["P03", "E2", "0401", "410103", "C"], "expected the fields"),
        (["P03", "E2", "0401", "410103", "X", "0401"], "no weight for risk"),
    ],
)
def test_rows_left_unchecked_by_the_document_are_refused_by_the_draw(
    row: object, message: str
) -> None:
    # The runner skips the document's per-row check; execute_rows must still refuse bad rows.
    parsed = json.loads(pool_document_bytes(pool_document(example_pool())))
    parsed["candidates"][2] = row
    bare, rows = pool_rows_from_document(parsed, check_candidates=False)
    with pytest.raises(InvalidPool, match=message):
        execute_rows(bare, rows, EXAMPLE_SEED)


def test_unchecked_document_rows_draw_like_checked_ones() -> None:
    parsed = json.loads(pool_document_bytes(pool_document(example_pool())))
    checked = pool_rows_from_document(parsed)
    assert pool_rows_from_document(parsed, check_candidates=False) == checked
    assert execute_rows(*checked, EXAMPLE_SEED) == execute(example_pool(), EXAMPLE_SEED)


def test_the_services_orjson_bytes_are_the_canonical_json() -> None:
    from service.draw.runner import canonical_bytes  # the database side, orjson

    for n in range(5):
        pool = example_pool() if n == 0 else random_pool(random.Random(6000 + n))
        document = pool_document(pool)
        assert canonical_bytes(document) == pool_document_bytes(document)
        outcome = outcome_document(execute(pool, seed_for(n)))
        assert canonical_bytes(outcome) == canonical_json(outcome)
    for text in [*AWKWARD_STRINGS, "食品 \U0001f600", "", "\x1f\b\f\r\t"]:
        document = pool_document(pool_with_text(text))
        assert canonical_bytes(document) == canonical_json(document), text


# --- Pool validation -----------------------------------------------------------------------------


INVALID_POOLS: dict[str, tuple[Callable[[Pool], Pool], str]] = {
    "duplicate product": (
        lambda p: dataclasses.replace(p, candidates=(*p.candidates, p.candidates[0])),
        "appears twice among the candidates",
    ),
    "unknown stratum": (
        lambda p: _replace_first(p, "candidates", stratum="9999"),
        "unknown stratum",
    ),
    "unknown risk class": (
        lambda p: _replace_first(p, "candidates", risk_class="E"),
        "no weight for risk",
    ),
    "non-string field": (
        lambda p: _replace_first(p, "candidates", region_code=410100),
        "region_code must be a string",
    ),
    "duplicate stratum": (
        lambda p: dataclasses.replace(p, strata=(*p.strata, p.strata[0])),
        "stratum '0401' appears twice",
    ),
    "negative quota": (lambda p: _replace_first(p, "strata", quota=-1), "quota must be"),
    "zero weight": (
        lambda p: dataclasses.replace(p, weights={**p.weights, "A": 0}),
        "weight of A",
    ),
    "unknown weight class": (
        lambda p: dataclasses.replace(p, weights={**p.weights, "E": 5}),
        "unknown risk class",
    ),
    "one inspector per task": (
        lambda p: dataclasses.replace(p, inspectors_per_task=1),
        "inspectors_per_task must be",
    ),
    "roster smaller than a task": (
        lambda p: dataclasses.replace(p, inspectors=p.inspectors[:1]),
        "the roster has 1 inspectors, fewer than the 2 each task needs",
    ),
    "non-string conflict": (
        lambda p: _replace_first(p, "inspectors", conflicts=(41,)),
        "conflicts must be strings",
    ),
    "non-string history": (
        lambda p: dataclasses.replace(p, history={"E1": History(("I1",), 7)}),  # type: ignore[arg-type]
        "history must be strings or null",
    ),
    "non-string detail": (
        lambda p: _replace_first(p, "pre_exclusions", detail={"lock_ends_on": date(2026, 3, 1)}),
        "detail must be strings",
    ),
    "duplicate inspector": (
        lambda p: dataclasses.replace(p, inspectors=(*p.inspectors, p.inspectors[0])),
        "inspector 'I1' appears twice",
    ),
    "duplicate agency": (
        lambda p: dataclasses.replace(p, agencies=(*p.agencies, p.agencies[0])),
        "agency 'L1' appears twice",
    ),
    "empty scope": (
        lambda p: _replace_first(p, "agencies", category_scope=("",)),
        "empty category scope",
    ),
    "excluded candidate": (
        lambda p: _replace_first(p, "pre_exclusions", product_id="P01"),
        "both a candidate and excluded",
    ),
    "unknown exclusion reason": (
        lambda p: _replace_first(p, "pre_exclusions", reason="other"),
        "unknown reason",
    ),
}


@pytest.mark.parametrize(("change", "message"), INVALID_POOLS.values(), ids=INVALID_POOLS.keys())
def test_invalid_pools_have_no_draw_and_no_hash(
    change: Callable[[Pool], Pool], message: str
) -> None:
    pool = change(example_pool())
    for operation in (validate_pool, pool_hash, lambda p: execute(p, EXAMPLE_SEED)):
        with pytest.raises(InvalidPool, match=message):
            operation(pool)
    rows = sorted(map(tuple, map(dataclasses.astuple, pool.candidates)))
    bare = dataclasses.replace(pool, candidates=())
    with pytest.raises(InvalidPool, match=message):
        execute_rows(bare, rows, EXAMPLE_SEED)


# --- Quotas and the one-batch-per-enterprise rule ------------------------------------------------


def test_quotas_are_filled_exactly_when_there_are_enough_candidates() -> None:
    strata = (Stratum("A", "04", None, 3), Stratum("B", "04", None, 5), Stratum("C", "04", None, 0))
    pool = simple_pool(
        tuple(candidate(f"P{n:02d}", stratum="AB"[n % 2]) for n in range(30))
        + (candidate("P99", stratum="C"),),
        strata=strata,
    )
    for n in range(20):
        outcome = execute(pool, seed_for(n))
        per_stratum = Counter(s.stratum for s in outcome.selections)
        assert per_stratum == {"A": 3, "B": 5}
        assert outcome.shortfalls == ()
        assert [s.order for s in outcome.selections] == list(range(8))
        assert [s.stratum for s in outcome.selections] == ["A"] * 3 + ["B"] * 5


def test_a_short_stratum_takes_everyone_and_reports_the_shortfall() -> None:
    strata = (Stratum("A", "04", None, 10), Stratum("B", "04", None, 1))
    pool = simple_pool(
        tuple(candidate(f"P{n}", stratum="A") for n in range(4)) + (candidate("Q", stratum="B"),),
        strata=strata,
    )
    outcome = execute(pool, seed_for(0))
    assert sorted(s.product_id for s in outcome.selections if s.stratum == "A") == [
        "P0",
        "P1",
        "P2",
        "P3",
    ]
    assert outcome.shortfalls == (Shortfall("A", 10, 4),)


def test_an_empty_stratum_is_a_shortfall_of_its_whole_quota() -> None:
    pool = simple_pool((), strata=(Stratum("S", "04", None, 2),))
    assert execute(pool, seed_for(0)) == DrawOutcome((), (), (Shortfall("S", 2, 0),))


def test_one_batch_per_enterprise_per_stratum() -> None:
    # Three enterprises with five products each; quota 5 can only be met three times over.
    products = tuple(candidate(f"P{e}{n}", f"E{e}") for e in range(3) for n in range(5))
    pool = simple_pool(products, strata=(Stratum("S", "04", None, 5),))
    for n in range(20):
        outcome = execute(pool, seed_for(n))
        assert sorted(s.enterprise_uscc for s in outcome.selections) == ["E0", "E1", "E2"]
        assert outcome.exclusions == ()  # the set-aside products are not exclusions
        assert outcome.shortfalls == (Shortfall("S", 5, 3),)


def test_the_same_enterprise_may_be_selected_in_several_strata() -> None:
    strata = (Stratum("A", "04", None, 1), Stratum("B", "04", None, 1))
    pool = simple_pool(
        (candidate("P1", "E1", stratum="A"), candidate("P2", "E1", stratum="B")), strata=strata
    )
    outcome = execute(pool, seed_for(0))
    assert [(s.stratum, s.enterprise_uscc) for s in outcome.selections] == [
        ("A", "E1"),
        ("B", "E1"),
    ]


def test_pre_exclusions_come_first_in_canonical_order_then_the_draws_own() -> None:
    pre = (
        Exclusion("X2", "E8", "inactive", {}),
        Exclusion("X1", "E9", "six_month_rule", {"rule_id": "R3"}),
    )
    pool = simple_pool(
        (candidate("P1", "E1"),),
        roster=inspectors("I1", "I2", conflicts={"I1": ("E1",)}),
        pre_exclusions=pre,
    )
    outcome = execute(pool, seed_for(0))
    assert [e.product_id for e in outcome.exclusions] == ["X1", "X2", "P1"]
    assert outcome.exclusions[2].reason == "conflict_of_interest"


# --- Weighting by risk class ---------------------------------------------------------------------


def _exact_class_moments(
    per_class: int, weights: Mapping[str, int], quota: int
) -> dict[str, tuple[float, float]]:
    """Mean and variance of the number of each class in one draw of ``quota``.

    Successive sampling without replacement is a Markov chain on how many of each class have been
    taken, so the exact distribution follows by dynamic programming over those counts."""
    classes = sorted(weights)
    states: dict[tuple[int, ...], float] = {(0,) * len(classes): 1.0}
    for _ in range(quota):
        following: dict[tuple[int, ...], float] = defaultdict(float)
        for taken, probability in states.items():
            remaining = [(per_class - t) * weights[k] for t, k in zip(taken, classes, strict=True)]
            total = sum(remaining)
            for index, weight in enumerate(remaining):
                if weight:
                    step = list(taken)
                    step[index] += 1
                    following[tuple(step)] += probability * weight / total
        states = following
    moments = {}
    for index, k in enumerate(classes):
        mean = sum(p * taken[index] for taken, p in states.items())
        square = sum(p * taken[index] ** 2 for taken, p in states.items())
        moments[k] = (mean, square - mean * mean)
    return moments


def test_selection_follows_the_risk_weights() -> None:
    """400 candidates, 100 per class, quota 10, 300 fixed seeds.

    Expected counts: the exact mean and variance of each class's count in one draw come from
    ``_exact_class_moments`` (without replacement the shares are not exactly 1:2:10:30 — drawing
    D's depletes them, so A, B and C gain a little). Over 300 independent draws a class total is
    close to normal with variance 300 × the single-draw variance; the tolerance is 4 standard
    deviations, which a correct implementation exceeds with probability ~6e-5 (and the seeds are
    fixed, so the test is deterministic either way). Mistakes such as uniform selection (expected
    750 per class), swapped weights or ignoring removals land dozens of deviations away. The ratio
    and ordering checks restate the same for a reader: D/A ≈ 29 expected, C/B ≈ 5.
    """
    per_class, quota, draws = 100, 10, 300
    products = tuple(
        candidate(f"{k}{n:03d}", risk=k) for k in RISK_CLASSES for n in range(per_class)
    )
    pool = simple_pool(products, strata=(Stratum("S", "04", None, quota),))
    by_id: dict[str, str] = {c.product_id: c.risk_class for c in products}
    counts = Counter(
        by_id[s.product_id] for n in range(draws) for s in execute(pool, seed_for(n)).selections
    )
    assert sum(counts.values()) == quota * draws
    for k, (mean, variance) in _exact_class_moments(per_class, DEFAULT_RISK_WEIGHTS, quota).items():
        expected, deviation = draws * mean, math.sqrt(draws * variance)
        assert abs(counts[k] - expected) <= 4 * deviation, (k, counts[k], expected, deviation)
    assert counts["D"] > counts["C"] > counts["B"] > counts["A"] > 0
    assert 15 <= counts["D"] / counts["A"] <= 45
    assert 3.5 <= counts["C"] / counts["B"] <= 7


# --- Inspectors ----------------------------------------------------------------------------------


def test_inspectors_are_distinct_and_never_conflicted() -> None:
    roster = inspectors(*(f"I{n}" for n in range(6)), conflicts={"I0": ("E1",), "I3": ("E1",)})
    pool = simple_pool((candidate("P1", "E1"),), roster=roster, inspectors_per_task=3)
    seen: set[str] = set()
    for n in range(100):
        (selection,) = execute(pool, seed_for(n)).selections
        assert len(set(selection.inspector_ids)) == len(selection.inspector_ids) == 3
        assert not {"I0", "I3"} & set(selection.inspector_ids)
        seen |= set(selection.inspector_ids)
    assert seen == {"I1", "I2", "I4", "I5"}  # every eligible inspector gets drawn sometimes


def test_inspectors_of_the_previous_task_are_avoided_when_possible() -> None:
    history = {"E1": History(("I1", "I2"), None)}
    pool = simple_pool((candidate("P1", "E1"),), history=history)
    for n in range(50):
        (selection,) = execute(pool, seed_for(n)).selections
        assert set(selection.inspector_ids) == {"I3", "I4"}


def test_inspectors_of_the_previous_task_top_up_when_needed() -> None:
    history = {"E1": History(("I1", "I2", "I3"), None)}
    pool = simple_pool((candidate("P1", "E1"),), history=history)
    fallback: set[str] = set()
    for n in range(50):
        (selection,) = execute(pool, seed_for(n)).selections
        assert selection.inspector_ids[0] == "I4"  # the preferred one first, then a top-up
        assert selection.inspector_ids[1] in {"I1", "I2", "I3"}
        fallback.add(selection.inspector_ids[1])
    assert fallback == {"I1", "I2", "I3"}


def test_too_few_eligible_inspectors_excludes_the_candidate() -> None:
    roster = inspectors("I1", "I2", "I3", conflicts={"I1": ("E1",), "I2": ("E1",)})
    pool = simple_pool(
        (candidate("P1", "E1"), candidate("P2", "E2")),
        roster=roster,
        strata=(Stratum("S", "04", None, 2),),
    )
    outcome = execute(pool, seed_for(0))
    assert [s.product_id for s in outcome.selections] == ["P2"]
    assert outcome.exclusions == (
        Exclusion(
            "P1",
            "E1",
            "conflict_of_interest",
            {"stratum": "S", "eligible_inspectors": "1", "inspectors_per_task": "2"},
        ),
    )
    assert outcome.shortfalls == (Shortfall("S", 2, 1),)


def test_the_draw_continues_after_an_exclusion() -> None:
    roster = inspectors("I1", "I2", conflicts={"I1": ("E1",)})
    products = (candidate("P1", "E1", risk="D"), candidate("P2", "E2", risk="A"))
    pool = simple_pool(products, roster=roster)  # quota 1
    outcome = execute(pool, seed_for(0))
    assert [s.product_id for s in outcome.selections] == ["P2"]
    assert outcome.shortfalls == ()


# --- Agencies ------------------------------------------------------------------------------------


def test_a_scope_code_covers_the_categories_it_prefixes() -> None:
    agencies = (
        AgencyEntry("L04", ("04",)),
        AgencyEntry("L0401", ("0401",)),
        AgencyEntry("L0402", ("0402", "05")),
    )
    products = (
        candidate("P1", category="040101"),
        candidate("P2", category="0401"),
        candidate("P3", category="04"),
        candidate("P4", category="0402"),
    )
    pool = simple_pool(products, agencies=agencies, strata=(Stratum("S", "04", None, 4),))
    chosen: dict[str, set[str]] = defaultdict(set)
    for n in range(60):
        for selection in execute(pool, seed_for(n)).selections:
            chosen[selection.product_id].add(selection.agency_id)
    assert chosen == {
        "P1": {"L04", "L0401"},
        "P2": {"L04", "L0401"},
        "P3": {"L04"},  # "0401" does not cover its parent "04"
        "P4": {"L04", "L0402"},
    }


def test_the_previous_agency_is_avoided_when_another_covers_the_category() -> None:
    agencies = (AgencyEntry("L1", ("04",)), AgencyEntry("L2", ("0401",)))
    history = {"E1": History((), "L1")}
    pool = simple_pool((candidate("P1", "E1"),), agencies=agencies, history=history)
    assert {execute(pool, seed_for(n)).selections[0].agency_id for n in range(30)} == {"L2"}


def test_the_previous_agency_is_used_when_it_is_the_only_one() -> None:
    agencies = (AgencyEntry("L1", ("04",)), AgencyEntry("L2", ("05",)))
    history = {"E1": History((), "L1")}
    pool = simple_pool((candidate("P1", "E1"),), agencies=agencies, history=history)
    assert execute(pool, seed_for(0)).selections[0].agency_id == "L1"


def test_no_agency_in_scope_excludes_the_candidate() -> None:
    agencies = (AgencyEntry("L1", ("05",)), AgencyEntry("L2", ("04010",)))
    pool = simple_pool((candidate("P1", "E1", category="0401"),), agencies=agencies)
    outcome = execute(pool, seed_for(0))
    assert outcome.selections == ()
    assert outcome.exclusions == (
        Exclusion("P1", "E1", "agency_scope", {"stratum": "S", "category_code": "0401"}),
    )


def test_inspector_conflicts_are_checked_before_the_agency_scope() -> None:
    roster = inspectors("I1", "I2", conflicts={"I1": ("E1",)})
    pool = simple_pool((candidate("P1", "E1"),), roster=roster, agencies=())
    (exclusion,) = execute(pool, seed_for(0)).exclusions
    assert exclusion.reason == "conflict_of_interest"


# --- Verification --------------------------------------------------------------------------------


def genuine_record() -> dict[str, Any]:
    pool = example_pool()
    record = draw_record_document(pool, EXAMPLE_SEED, execute(pool, EXAMPLE_SEED))
    record["id"] = "5b0c1a8e-0000-4000-8000-000000000001"  # extra keys are ignored
    parsed: dict[str, Any] = json.loads(json.dumps(record))
    return parsed


def test_a_genuine_record_verifies() -> None:
    report = verify(genuine_record())
    assert report.ok
    assert report.first_difference is None
    assert report.selections == 4
    assert report.pool_hash == pool_hash(example_pool())


def test_a_record_verifies_after_a_database_round_trip_of_the_outcome() -> None:
    pool = random_pool(random.Random(11))
    seed = seed_for(11)
    record = {
        "algorithm_version": ALGORITHM_VERSION,
        "pool": json.loads(canonical_json(pool_document(pool))),
        "pool_hash": pool_hash(pool),
        "seed_commitment": seed_commitment(seed),
        "seed": seed,
        **json.loads(json.dumps(outcome_document(execute(pool, seed)))),
    }
    assert verify(record).ok


def _set_candidate_risk(record: dict[str, Any]) -> None:
    row = record["pool"]["candidates"][0]
    row[4] = "D" if row[4] != "D" else "A"


def _swap_selections(record: dict[str, Any]) -> None:
    selections = record["selections"]
    selections[0], selections[1] = selections[1], selections[0]


def _reveal_another_seed(record: dict[str, Any]) -> None:
    record["seed"] = seed_for(99)
    record["seed_commitment"] = seed_commitment(seed_for(99))  # consistent, but not this draw's


TAMPERING: dict[str, tuple[Callable[[dict[str, Any]], None], str]] = {
    "candidate risk class": (_set_candidate_risk, "pool_hash does not match the pool"),
    "pool hash": (lambda r: r.update(pool_hash="0" * 64), "pool_hash does not match the pool"),
    "seed": (
        lambda r: r.update(seed=r["seed"][:-1] + ("0" if r["seed"][-1] != "0" else "1")),
        "seed does not match seed_commitment",
    ),
    "another seed": (_reveal_another_seed, "selection 0 differs: expected product"),
    "selected product": (
        lambda r: r["selections"][1].update(product_id="P01"),
        "selection 1 differs: expected product P02, record has P01",
    ),
    "swapped order": (_swap_selections, "selection 0 differs: expected product P04"),
    "inspectors": (
        lambda r: r["selections"][0].update(inspector_ids=["I2", "I4"]),
        "selection 0 (product P04) differs in inspector_ids",
    ),
    "agency": (
        lambda r: r["selections"][2].update(agency_id="L2"),
        "selection 2 (product P05) differs in agency_id",
    ),
    "order": (lambda r: r["selections"][3].update(order=7), "differs in order"),
    "missing selection": (
        lambda r: r["selections"].pop(),
        "selection 3 is missing from the record: expected product P06",
    ),
    "extra selection": (
        lambda r: r["selections"].append(dict(r["selections"][0])),
        "the record has an extra selection 4",
    ),
    "missing exclusion": (
        lambda r: r["exclusions"].pop(),
        "exclusion 1 is missing from the record: expected product P03",
    ),
    "exclusion reason": (
        lambda r: r["exclusions"][1].update(reason="agency_scope"),
        "exclusion 1 (product P03) differs in reason",
    ),
    "shortfall": (
        lambda r: r["shortfalls"][0].update(selected=3),
        "shortfall 0 (stratum 0401) differs in selected",
    ),
    "version": (
        lambda r: r.update(algorithm_version="draw/0"),
        "algorithm version draw/0 is not supported",
    ),
    "no seed": (lambda r: r.update(seed=None), "reveals no seed"),
}


@pytest.mark.parametrize(("tamper", "message"), TAMPERING.values(), ids=TAMPERING.keys())
def test_a_tampered_record_fails_with_its_first_difference(
    tamper: Callable[[dict[str, Any]], None], message: str
) -> None:
    record = genuine_record()
    tamper(record)
    report = verify(record)
    assert not report.ok
    assert report.first_difference is not None
    assert message in report.first_difference


def test_an_invalid_pool_fails_verification() -> None:
    record = genuine_record()
    record["pool"]["candidates"].append(list(record["pool"]["candidates"][0]))
    report = verify(record)
    assert not report.ok
    assert report.first_difference is not None
    assert report.first_difference.startswith("pool is invalid: product 'P01' appears twice")


def test_a_record_without_shortfalls_is_checked_on_the_rest() -> None:
    record = genuine_record()
    del record["shortfalls"]
    assert verify(record).ok


def _exclusion(**change: object) -> dict[str, object]:
    entry = {"product_id": "P9", "enterprise_uscc": "E9", "reason": "inactive", "detail": {}}
    return {**entry, **change}


MALFORMED: dict[str, tuple[Callable[[dict[str, Any]], Any], str]] = {
    "not an object": (lambda r: [r], "a draw record is a JSON object"),
    "no pool": (lambda r: {k: v for k, v in r.items() if k != "pool"}, "the record lacks pool"),
    "candidate row": (
        lambda r: {**r, "pool": {**r["pool"], "candidates": [["P01", "E1"]]}},
        "pool.candidates[0]: expected [product_id",
    ),
    "risk class": (
        lambda r: {**r, "pool": {**r["pool"], "candidates": [["P", "E", "04", "41", "X", "S"]]}},
        "pool.candidates[0]",
    ),
    "history entry": (
        lambda r: {**r, "pool": {**r["pool"], "history": [["E1", ["I2"]]]}},
        "pool.history[0]: expected [enterprise_uscc",
    ),
    "history inspector": (
        lambda r: {**r, "pool": {**r["pool"], "history": [["E1", ["I2", 3], "L1"]]}},
        "pool.history[0][1][1]: expected a string",
    ),
    "history agency": (
        lambda r: {**r, "pool": {**r["pool"], "history": [["E1", ["I2"], 1]]}},
        "pool.history[0][2]: expected a string",
    ),
    "history twice": (
        lambda r: {**r, "pool": {**r["pool"], "history": [["E1", [], None], ["E1", [], None]]}},
        "pool.history[1]: enterprise 'E1' appears twice",
    ),
    "pre-exclusion keys": (
        lambda r: {**r, "pool": {**r["pool"], "pre_exclusions": [{"product_id": "P9"}]}},
        "pool.pre_exclusions[0]: expected the keys",
    ),
    "pre-exclusion reason": (
        lambda r: {**r, "pool": {**r["pool"], "pre_exclusions": [_exclusion(reason="late")]}},
        "pool.pre_exclusions[0].reason: expected one of",
    ),
    "pre-exclusion detail": (
        lambda r: {**r, "pool": {**r["pool"], "pre_exclusions": [_exclusion(detail={"a": 1})]}},
        "pool.pre_exclusions[0].detail.a: expected a string",
    ),
    "pre-exclusion product": (
        lambda r: {**r, "pool": {**r["pool"], "pre_exclusions": [_exclusion(product_id=9)]}},
        "pool.pre_exclusions[0].product_id: expected a string",
    ),
    "unknown pool key": (
        lambda r: {**r, "pool": {**r["pool"], "extra": 1}},
        "pool: expected the keys",
    ),
    "weights": (
        lambda r: {**r, "pool": {**r["pool"], "weights": {"A": 1.5}}},
        "pool.weights.A: expected an integer",
    ),
    "seed": (lambda r: {**r, "seed": "not hex"}, "seed: a seed is exactly 64"),
    "selections": (lambda r: {**r, "selections": {"0": {}}}, "selections: expected an array"),
    "pool version": (
        lambda r: {**r, "pool": {**r["pool"], "algorithm_version": "draw/0"}},
        "pool document is for algorithm 'draw/0'",
    ),
}


@pytest.mark.parametrize(("mangle", "message"), MALFORMED.values(), ids=MALFORMED.keys())
def test_a_malformed_record_is_a_format_error(
    mangle: Callable[[dict[str, Any]], Any], message: str
) -> None:
    with pytest.raises(RecordFormatError, match=message.replace("[", r"\[")):
        verify(mangle(genuine_record()))


# --- The command line ----------------------------------------------------------------------------


def run_cli(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 - the interpreter running the tests, fixed arguments
        [sys.executable, "-m", "service.draw", *args],
        cwd=ROOT,
        input=stdin,
        capture_output=True,
        text=True,
        encoding="utf-8",
        check=False,
    )


def test_cli_accepts_a_genuine_record(tmp_path: Path) -> None:
    path = tmp_path / "draw.json"
    path.write_text(json.dumps(genuine_record(), ensure_ascii=False), encoding="utf-8")
    result = run_cli("verify", str(path))
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == (
        f"OK: draw reproduced (4 selections, pool {pool_hash(example_pool())[:12]}…)"
    )


def test_cli_reads_standard_input() -> None:
    result = run_cli("verify", "-", stdin=json.dumps(genuine_record()))
    assert result.returncode == 0, result.stderr


def test_cli_reports_a_mismatch(tmp_path: Path) -> None:
    record = genuine_record()
    _swap_selections(record)
    path = tmp_path / "draw.json"
    path.write_text(json.dumps(record), encoding="utf-8")
    result = run_cli("verify", str(path))
    assert result.returncode == 1
    assert result.stdout.startswith("MISMATCH: selection 0 differs: expected product P04")


@pytest.mark.parametrize(
    "content", ["not json at all", "[1, 2]", '{"algorithm_version": "draw/1"}', "\udcff"]
)
def test_cli_rejects_garbage(tmp_path: Path, content: str) -> None:
    path = tmp_path / "draw.json"
    path.write_bytes(content.encode("utf-8", "surrogateescape"))
    result = run_cli("verify", str(path))
    assert result.returncode == 2
    assert result.stderr.startswith("MALFORMED:")


def test_cli_rejects_a_missing_file(tmp_path: Path) -> None:
    result = run_cli("verify", str(tmp_path / "absent.json"))
    assert result.returncode == 2
    assert "MALFORMED: cannot read" in result.stderr


def test_the_package_imports_without_the_database_or_web_stack() -> None:
    heavy = ("fastapi", "sqlalchemy", "sqlmodel", "pydantic", "asyncpg", "models", "routers")
    code = (
        "import sys, service.draw, service.draw.__main__; "
        f"print(sorted(m for m in sys.modules if m.split('.')[0] in {heavy!r}))"
    )
    result = subprocess.run(  # noqa: S603 - the interpreter running the tests, fixed arguments
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"
