"""Rates and their 95 % Wilson score interval, in exact decimal arithmetic (pure, no database).

The Wilson interval is used rather than the normal approximation because district figures are
often small (a county with 12 batches, 0 nonconforming): it never leaves [0, 1] and does not
collapse to a zero-width interval at 0 or n.

For x nonconforming batches out of n tested, p = x/n and z = 1.96:

    centre = (p + z²/2n) / (1 + z²/n)
    half   = z / (1 + z²/n) · √(p(1 − p)/n + z²/4n²)

The interval of the nonconformity rate is [centre − half, centre + half]. The interval of the
pass rate is its complement [1 − high, 1 − low] (the Wilson interval of the complementary
proportion, exactly). Everything is computed with `decimal` at 28 significant digits and then
rounded to 4 places ROUND_HALF_UP; the pass rate and its bounds are 1 minus the rounded
nonconformity figures, so each pair adds up to exactly 1."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, localcontext
from functools import lru_cache
from typing import Final

from models.stats import StatsMethod

VERSION: Final = "wilson-1"
Z: Final = Decimal("1.96")
PRECISION: Final = 28
DECIMALS: Final = 4
PLACES: Final = Decimal(1).scaleb(-DECIMALS)
_ONE: Final = Decimal(1)
_ZERO: Final = Decimal(0)


def wilson_interval(x: int, n: int, z: Decimal = Z) -> tuple[Decimal, Decimal]:
    """The unrounded Wilson score interval of the proportion x/n (n > 0)."""
    if n <= 0 or not 0 <= x <= n:
        raise ValueError(f"need 0 <= x <= n and n > 0, got x={x}, n={n}")
    with localcontext() as context:
        context.prec = PRECISION
        trials, z2 = Decimal(n), z * z
        p = Decimal(x) / trials
        denominator = _ONE + z2 / trials
        centre = (p + z2 / (2 * trials)) / denominator
        half = z / denominator * (p * (_ONE - p) / trials + z2 / (4 * trials * trials)).sqrt()
        # At x = 0 or x = n one bound is exactly 0 or 1; rounding at the 28th digit must not
        # push it outside.
        return max(_ZERO, centre - half), min(_ONE, centre + half)


def rounded(value: Decimal) -> Decimal:
    return value.quantize(PLACES, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Rates:
    nonconformity_rate: Decimal
    pass_rate: Decimal
    ci_low: Decimal  # of the pass rate
    ci_high: Decimal
    nonconformity_ci_low: Decimal
    nonconformity_ci_high: Decimal


@lru_cache(maxsize=65_536)
def rates(tested: int, nonconforming: int) -> Rates | None:
    """The rounded rates and intervals of a group, or None when nothing was tested. Cached:
    a table of thousands of groups has far fewer distinct (tested, nonconforming) pairs."""
    if tested == 0:
        return None
    with localcontext() as context:
        context.prec = PRECISION
        rate = rounded(Decimal(nonconforming) / Decimal(tested))
    low, high = (rounded(bound) for bound in wilson_interval(nonconforming, tested))
    return Rates(
        nonconformity_rate=rate,
        pass_rate=_ONE - rate,
        ci_low=_ONE - high,
        ci_high=_ONE - low,
        nonconformity_ci_low=low,
        nonconformity_ci_high=high,
    )


def method() -> StatsMethod:
    """The method statement every report carries."""
    return StatsMethod(
        version=VERSION,
        interval="wilson",
        confidence=Decimal("0.95"),
        z=Z,
        decimals=DECIMALS,
        rounding=ROUND_HALF_UP,
        ci_of="pass_rate",
        note=(
            "nonconformity_rate = nonconforming / tested; pass_rate = 1 - nonconformity_rate; "
            "ci_low/ci_high bound the pass rate: 1 minus the Wilson bounds of the "
            "nonconformity rate; date ranges and periods are whole months of the sampling date"
        ),
    )
