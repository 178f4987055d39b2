import random

import pytest

from service.uscc import (
    ALPHABET,
    Uscc,
    UsccError,
    check_character,
    make_uscc,
    normalise_uscc,
    org_code_check_digit,
    parse_uscc,
)

# Published codes whose two check characters were verified by hand against GB 32100 / GB 11714.
REAL_CODES = ["91350100M000100Y43", "91110000600037341L", "9144030071526726XG"]


def _with_char(code: str, position: int, char: str) -> str:
    return code[: position - 1] + char + code[position:]


def _other_char(char: str) -> str:
    return ALPHABET[(ALPHABET.index(char) + 1) % len(ALPHABET)]


def _with_wrong_check_character(code: str) -> str:
    return _with_char(code, 18, _other_char(code[17]))


@pytest.mark.parametrize("code", REAL_CODES)
def test_real_codes_are_valid(code: str) -> None:
    assert parse_uscc(code) == Uscc(code, checksum_overridden=False)


def test_the_check_character_is_computed_over_the_first_17_characters() -> None:
    assert [check_character(code[:17]) for code in REAL_CODES] == ["3", "L", "G"]


def test_the_org_code_check_digit_follows_gb_11714_including_x() -> None:
    assert org_code_check_digit("M000100Y") == "4"
    assert org_code_check_digit("60003734") == "1"
    assert org_code_check_digit("71526726") == "X"


def test_an_org_code_remainder_of_zero_gives_check_digit_0() -> None:
    assert org_code_check_digit("00000000") == "0"


def test_the_parts_of_a_code_are_exposed() -> None:
    uscc = parse_uscc("91350100M000100Y43")
    assert uscc.registration_authority == "9"
    assert uscc.entity_type == "1"
    assert uscc.region_code == "350100"
    assert uscc.organisation_code == "M000100Y4"


@pytest.mark.parametrize("code", ["91350100M000100Y4", "91350100M000100Y430", ""])
def test_a_code_that_is_not_18_characters_long_is_malformed(code: str) -> None:
    with pytest.raises(UsccError) as caught:
        parse_uscc(code)
    assert caught.value.code == "uscc.malformed"
    assert f"got {len(code)}" in caught.value.detail


@pytest.mark.parametrize("char", ["I", "O", "S", "V", "Z", "-", " ", "*", "中"])
def test_a_code_with_a_forbidden_character_is_malformed_and_the_position_is_named(
    char: str,
) -> None:
    with pytest.raises(UsccError) as caught:
        parse_uscc(_with_char("91350100M000100Y43", 10, char))
    assert caught.value.code == "uscc.malformed"
    assert "position 10" in caught.value.detail
    assert repr(char) in caught.value.detail


def test_lowercase_input_is_upper_cased() -> None:
    assert parse_uscc("91350100m000100y43").value == "91350100M000100Y43"


def test_full_width_input_is_folded_to_half_width() -> None:
    full_width = "９１３５０１００Ｍ０００１００Ｙ４３"
    assert normalise_uscc(full_width) == "91350100M000100Y43"
    assert parse_uscc(full_width).value == "91350100M000100Y43"


def test_surrounding_whitespace_including_ideographic_space_is_ignored() -> None:
    assert parse_uscc(" \t91350100M000100Y43\u3000\n").value == "91350100M000100Y43"


def test_a_code_with_a_wrong_check_character_is_rejected_unless_overridden() -> None:
    code = _with_wrong_check_character("91110000600037341L")
    with pytest.raises(UsccError) as caught:
        parse_uscc(code)
    assert caught.value.code == "uscc.checksum"
    assert "position 18" in caught.value.detail
    assert "position 17" not in caught.value.detail

    accepted = parse_uscc(code, checksum_override_reason="licence seen, issued 2014 in a pilot")
    assert accepted == Uscc(code, checksum_overridden=True)


def test_a_code_with_a_wrong_org_code_check_digit_is_rejected_unless_overridden() -> None:
    # Position 17 is changed and position 18 recomputed, so only the GB 11714 check fails.
    first17 = _with_char("91110000600037341L", 17, "2")[:17]
    code = first17 + check_character(first17)
    with pytest.raises(UsccError) as caught:
        parse_uscc(code)
    assert caught.value.code == "uscc.checksum"
    assert "position 17" in caught.value.detail
    assert "position 18" not in caught.value.detail

    assert parse_uscc(code, checksum_override_reason="pre-standard code").checksum_overridden


def test_when_both_checks_fail_the_detail_names_both() -> None:
    code = _with_char("91110000600037341L", 17, "2")
    with pytest.raises(UsccError) as caught:
        parse_uscc(code)
    assert "position 17" in caught.value.detail
    assert "position 18" in caught.value.detail


@pytest.mark.parametrize("reason", ["", "   ", "\u3000", None])
def test_a_blank_override_reason_does_not_count(reason: str | None) -> None:
    with pytest.raises(UsccError) as caught:
        parse_uscc(
            _with_wrong_check_character("91110000600037341L"), checksum_override_reason=reason
        )
    assert caught.value.code == "uscc.checksum"


def test_an_override_reason_on_a_valid_code_does_not_mark_it_overridden() -> None:
    assert not parse_uscc("91110000600037341L", checksum_override_reason="x").checksum_overridden


def test_an_override_does_not_excuse_a_malformed_code() -> None:
    with pytest.raises(UsccError) as caught:
        parse_uscc("91110000600037341", checksum_override_reason="pilot area")
    assert caught.value.code == "uscc.malformed"


def test_a_region_segment_that_is_not_a_real_region_is_accepted() -> None:
    code = make_uscc("999999", "60003734")
    assert parse_uscc(code).region_code == "999999"


def test_the_authority_and_entity_type_are_not_restricted_to_market_regulation() -> None:
    code = make_uscc("110000", "60003734", authority="5", entity_type="2")
    assert parse_uscc(code).value[:2] == "52"


def test_make_uscc_round_trips_through_parse_uscc() -> None:
    rng = random.Random(0)
    for _ in range(2000):
        region = f"{rng.randrange(1_000_000):06d}"
        org_base = f"{rng.randrange(100_000_000):08d}"
        entity_type = rng.choice("123")
        code = make_uscc(region, org_base, entity_type=entity_type)
        uscc = parse_uscc(code)
        assert uscc.value == code
        assert not uscc.checksum_overridden
        assert uscc.region_code == region
        assert uscc.organisation_code[:8] == org_base
        assert uscc.entity_type == entity_type


def test_make_uscc_reproduces_a_real_code() -> None:
    assert make_uscc("350100", "M000100Y") == "91350100M000100Y43"


@pytest.mark.parametrize(
    ("region", "org_base"),
    [("35010", "60003734"), ("35010A", "60003734"), ("350100", "6000373"), ("350100", "6000373I")],
)
def test_make_uscc_refuses_inputs_that_cannot_form_a_code(region: str, org_base: str) -> None:
    with pytest.raises(UsccError) as caught:
        make_uscc(region, org_base)
    assert caught.value.code == "uscc.malformed"
