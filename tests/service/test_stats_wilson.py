"""The 95 % Wilson score interval and the rounding of rates: checked against the formula computed
here independently (high-precision decimals, the textbook form with p̂ and z²) and against
published values."""

from __future__ import annotations

from decimal import Decimal, localcontext

import pytest

from service.stats.wilson import rates, rounded, wilson_interval


def textbook_wilson(x: int, n: int, z: str = "1.96") -> tuple[Decimal, Decimal]:
    """(p̂ + z²/2n ± z·√(p̂(1−p̂)/n + z²/4n²)) / (1 + z²/n), at 50 digits."""
    with localcontext() as context:
        context.prec = 50
        p, zz, nn = Decimal(x) / n, Decimal(z) ** 2, Decimal(n)
        root = Decimal(z) * (p * (1 - p) / nn + zz / (4 * nn * nn)).sqrt()
        scale = 1 + zz / nn
        return (p + zz / (2 * nn) - root) / scale, (p + zz / (2 * nn) + root) / scale


@pytest.mark.parametrize(("x", "n"), [(0, 10), (1, 10), (5, 10), (12, 100), (10, 10), (3, 7)])
def test_the_bounds_are_the_wilson_formula_rounded_half_up(x: int, n: int) -> None:
    low, high = textbook_wilson(x, n)
    assert wilson_interval(x, n) == pytest.approx((low, high), abs=Decimal("1e-25"))
    figures = rates(tested=n, nonconforming=x)
    assert figures is not None
    assert figures.nonconformity_ci_low == rounded(max(low, Decimal(0)))
    assert figures.nonconformity_ci_high == rounded(min(high, Decimal(1)))


@pytest.mark.parametrize(
    ("x", "n", "low", "high"),
    [
        ("0", "10", "0.0000", "0.2775"),
        ("1", "10", "0.0179", "0.4042"),
        ("5", "10", "0.2366", "0.7634"),
        ("12", "100", "0.0700", "0.1981"),
    ],
)
def test_known_values(x: str, n: str, low: str, high: str) -> None:
    figures = rates(tested=int(n), nonconforming=int(x))
    assert figures is not None
    assert (figures.nonconformity_ci_low, figures.nonconformity_ci_high) == (
        Decimal(low),
        Decimal(high),
    )


@pytest.mark.parametrize(
    ("x", "n", "low", "high"),
    [
        # Newcombe RG (1998), Statistics in Medicine 17:857–872, table II, method 3 (score).
        (81, 263, "0.2553", "0.3662"),
        (15, 148, "0.0624", "0.1605"),
        (0, 20, "0.0000", "0.1611"),
        (1, 29, "0.0061", "0.1718"),
    ],
)
def test_published_values(x: int, n: int, low: str, high: str) -> None:
    assert tuple(rounded(b) for b in wilson_interval(x, n)) == (Decimal(low), Decimal(high))


def test_the_pass_rate_interval_is_the_complement_of_the_nonconformity_interval() -> None:
    figures = rates(tested=100, nonconforming=12)
    assert figures is not None
    assert (figures.nonconformity_rate, figures.pass_rate) == (Decimal("0.1200"), Decimal("0.8800"))
    assert (figures.ci_low, figures.ci_high) == (Decimal("0.8019"), Decimal("0.9300"))
    assert figures.ci_low + figures.nonconformity_ci_high == 1
    assert figures.ci_high + figures.nonconformity_ci_low == 1


def test_rates_round_half_up_to_four_places() -> None:
    # 1/20000 = 0.00005 exactly: half up gives 0.0001 (half even would give 0.0000).
    assert rounded(Decimal("0.00005")) == Decimal("0.0001")
    figures = rates(tested=20_000, nonconforming=1)
    assert figures is not None
    assert figures.nonconformity_rate == Decimal("0.0001")
    third = rates(tested=3, nonconforming=1)
    assert third is not None
    assert (third.nonconformity_rate, third.pass_rate) == (Decimal("0.3333"), Decimal("0.6667"))


def test_nothing_tested_has_no_rates() -> None:
    assert rates(tested=0, nonconforming=0) is None


def test_impossible_counts_are_refused() -> None:
    with pytest.raises(ValueError, match="0 <= x <= n"):
        wilson_interval(3, 2)
