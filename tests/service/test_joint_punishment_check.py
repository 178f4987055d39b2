"""The check's fast code validation agrees with `service.uscc.parse_uscc` on every code: valid
ones (digits and letters in the organisation code) and each kind of broken one."""

from __future__ import annotations

import random

from service.joint_punishment.check import sort_codes
from service.uscc import ALPHABET, UsccError, make_uscc, parse_uscc


def _reference(code: str) -> str | None:
    try:
        return parse_uscc(code).value
    except UsccError:
        return None


def test_fast_validation_agrees_with_parse_uscc() -> None:
    rng = random.Random(7)
    codes = [make_uscc("410102", f"{n:08d}") for n in range(0, 99_999_999, 1_234_567)]
    codes += [make_uscc("420100", "MA" + f"{n:06d}") for n in range(0, 999_999, 54_321)]
    broken = []
    for code in codes:
        position = rng.randrange(18)
        broken.append(code[:position] + rng.choice(ALPHABET) + code[position + 1 :])
    extra = ["", "12345", "９１４１０１０２" + codes[0][8:], codes[1].lower(), codes[2] + "0"]
    asked = codes + broken + extra

    valid, invalid = sort_codes(asked)

    expected_valid = list(dict.fromkeys(v for v in map(_reference, asked) if v is not None))
    assert valid == expected_valid
    assert {i["uscc"] for i in invalid} == {c for c in asked if _reference(c) is None}
