"""Unified Social Credit Code (统一社会信用代码, GB 32100-2015): the 18-character identifier every
registered entity in China carries. Layout: registration authority (1), entity type (1), GB/T 2260
region of the registering authority (6), GB 11714 organisation code with its check digit (9) and a
check character over the first 17 (1).

Both check characters are verified, but either failure can be overridden with a stated reason:
some genuine codes issued in pilot areas before the standard settled do not pass them, and an
inspector holding the business licence must still be able to register the enterprise. The region
segment is never checked against the current region list, because regions are renamed and merged
while the codes issued under them stay valid.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from typing import Literal

from service.errors import InvalidInput

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
LENGTH = 18

UsccErrorCode = Literal["uscc.malformed", "uscc.checksum"]

_VALUE = {char: index for index, char in enumerate(ALPHABET)}
_WEIGHTS = tuple(pow(3, i, 31) for i in range(LENGTH - 1))

# GB 11714 predates GB 32100 and values all 26 letters (A=10 … Z=35), not USCC alphabet indices.
_ORG_CHARS = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_ORG_VALUE = {char: index for index, char in enumerate(_ORG_CHARS)}
_ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)


class UsccError(InvalidInput):
    """A code that cannot be accepted; `detail` names the offending position or check."""

    def __init__(self, code: UsccErrorCode, detail: str) -> None:
        super().__init__(code, detail)


@dataclass(frozen=True)
class Uscc:
    """A parsed code in canonical form (half-width, upper case, no surrounding whitespace)."""

    value: str
    checksum_overridden: bool = False

    @property
    def registration_authority(self) -> str:
        return self.value[0]

    @property
    def entity_type(self) -> str:
        return self.value[1]

    @property
    def region_code(self) -> str:
        return self.value[2:8]

    @property
    def organisation_code(self) -> str:
        """The nine GB 11714 characters including their check digit, without the usual dash."""
        return self.value[8:17]


def normalise_uscc(raw: str) -> str:
    """Fold full-width forms (NFKC), strip and upper-case; does not validate."""
    return unicodedata.normalize("NFKC", raw).strip().upper()


def _require_alphabet(text: str, *, first_position: int = 1) -> None:
    for offset, char in enumerate(text):
        if char not in _VALUE:
            raise UsccError(
                "uscc.malformed",
                f"character {char!r} at position {first_position + offset} is not allowed "
                f"(allowed: {ALPHABET})",
            )


def check_character(first17: str) -> str:
    """The position-18 check character for 17 canonical USCC characters."""
    if len(first17) != LENGTH - 1:
        raise UsccError("uscc.malformed", f"expected 17 characters, got {len(first17)}")
    _require_alphabet(first17)
    total = sum(_VALUE[char] * weight for char, weight in zip(first17, _WEIGHTS, strict=True))
    return ALPHABET[(31 - total % 31) % 31]


def org_code_check_digit(first8: str) -> str:
    """The GB 11714 check digit ('0'–'9' or 'X') for an 8-character organisation-code base."""
    if len(first8) != len(_ORG_WEIGHTS):
        raise UsccError("uscc.malformed", f"expected 8 characters, got {len(first8)}")
    for offset, char in enumerate(first8):
        if char not in _ORG_VALUE:
            raise UsccError(
                "uscc.malformed",
                f"character {char!r} at position {offset + 1} of the organisation code is not "
                "allowed (allowed: 0-9, A-Z)",
            )
    total = sum(
        _ORG_VALUE[char] * weight for char, weight in zip(first8, _ORG_WEIGHTS, strict=True)
    )
    check = 11 - total % 11
    return {10: "X", 11: "0"}.get(check, str(check))


def parse_uscc(raw: str, *, checksum_override_reason: str | None = None) -> Uscc:
    """Normalise and validate a code.

    A failing check digit (position 17) or check character (position 18) is accepted only with a
    non-blank `checksum_override_reason`; the result then has `checksum_overridden=True`. The
    reason itself is the caller's to record.
    """
    value = normalise_uscc(raw)
    if len(value) != LENGTH:
        raise UsccError("uscc.malformed", f"expected {LENGTH} characters, got {len(value)}")
    _require_alphabet(value)

    failures: list[str] = []
    expected_org = org_code_check_digit(value[8:16])
    if value[16] != expected_org:
        failures.append(
            f"organisation-code check digit (position 17) is {value[16]!r}, "
            f"GB 11714 expects {expected_org!r}"
        )
    expected_check = check_character(value[:17])
    if value[17] != expected_check:
        failures.append(
            f"check character (position 18) is {value[17]!r}, GB 32100 expects {expected_check!r}"
        )
    if not failures:
        return Uscc(value)
    if checksum_override_reason is None or not checksum_override_reason.strip():
        raise UsccError("uscc.checksum", "; ".join(failures))
    return Uscc(value, checksum_overridden=True)


def make_uscc(
    region_code: str, org_base: str, *, authority: str = "9", entity_type: str = "1"
) -> str:
    """Build a valid code, e.g. for demo data and test factories.

    `org_base` is the 8-character organisation-code base; its GB 11714 check digit and the final
    check character are computed. Letters I, O, S, V and Z are valid in GB 11714 but not in a USCC,
    so digits are the safe choice.
    """
    if len(region_code) != 6 or not (region_code.isascii() and region_code.isdigit()):
        raise UsccError("uscc.malformed", f"region code must be 6 digits, got {region_code!r}")
    if len(authority) != 1 or len(entity_type) != 1:
        raise UsccError("uscc.malformed", "authority and entity type must be one character each")
    first17 = authority + entity_type + region_code + org_base + org_code_check_digit(org_base)
    return first17 + check_character(first17)
