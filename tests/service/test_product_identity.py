import pytest

from service.product_identity import (
    KEY_SEPARATOR,
    ProductIdentity,
    ProductIdentityError,
    normalise_part,
    product_identity,
)


def test_full_width_and_half_width_spellings_are_one_product() -> None:
    assert normalise_part("ＡＢＣ１２（Ａ型）") == normalise_part("ABC12(A型)")


def test_multiple_and_unusual_spaces_collapse_to_one() -> None:
    assert normalise_part("  GB/T \t 1234\u3000\u00a0 型号  ") == "GB/T 1234 型号"


def test_latin_letters_compare_case_insensitively() -> None:
    assert normalise_part("Abc12x") == normalise_part("aBC12X") == "ABC12X"


def test_greek_symbols_keep_their_case() -> None:
    assert normalise_part("φ20") == "φ20"


@pytest.mark.parametrize(
    "dash",
    [
        "\u2010",  # hyphen
        "\u2011",  # non-breaking hyphen
        "\u2012",  # figure dash
        "\u2013",  # en dash
        "\u2014",  # em dash
        "\u2015",  # horizontal bar
        "\u2212",  # minus sign
        "\ufe58",  # small em dash
        "\ufe63",  # small hyphen-minus
        "\uff0d",  # full-width hyphen-minus
    ],
)
def test_every_dash_variant_is_an_ascii_hyphen(dash: str) -> None:
    assert normalise_part(f"ABC{dash}12") == "ABC-12"


def test_the_katakana_prolonged_sound_mark_is_not_a_dash() -> None:
    assert normalise_part("ボールー12") == "ボールー12"


@pytest.mark.parametrize(
    "spelling", ["ABC - 12", "ABC -12", "ABC- 12", "abc　－　１２", "ABC\t–  12"]
)
def test_spaces_around_a_dash_do_not_matter(spelling: str) -> None:
    assert normalise_part(spelling) == "ABC-12"


def test_two_spellings_of_one_model_are_one_product() -> None:
    first = product_identity(standard="GB/T 1234—2008", brand="Ｈａｉｅｒ", model="ｂｃｄ－２１５")
    second = product_identity(standard="GB/T 1234-2008 ", brand="HAIER", model="BCD - 215")
    assert first == second
    assert first.key == second.key


def test_different_models_are_different_products() -> None:
    first = product_identity(standard="GB 1", brand="A", model="X-1")
    second = product_identity(standard="GB 1", brand="A", model="X-2")
    assert first.key != second.key


@pytest.mark.parametrize("blank", [None, "", "   ", "\u3000"])
def test_a_missing_standard_or_brand_is_the_empty_string(blank: str | None) -> None:
    identity = product_identity(standard=blank, brand=blank, model="M1")
    assert identity == ProductIdentity(standard="", brand="", model="M1")


def test_the_key_joins_standard_brand_and_model_with_the_unit_separator() -> None:
    identity = product_identity(standard="GB 1", brand="Brand", model="m 1")
    assert identity.key == "GB 1\x1fBRAND\x1fM 1"
    assert KEY_SEPARATOR == "\x1f"


def test_the_separator_cannot_leak_into_a_part_and_shift_the_key() -> None:
    identity = product_identity(standard="A\x1fB", brand=None, model="C")
    assert identity.key.count(KEY_SEPARATOR) == 2


@pytest.mark.parametrize("model", ["", "   ", "\u3000", "\t\n"])
def test_a_blank_model_is_rejected(model: str) -> None:
    with pytest.raises(ProductIdentityError) as caught:
        product_identity(standard="GB 1", brand="A", model=model)
    assert caught.value.code == "product.model_required"
    assert caught.value.status == 422
