"""Regional rankings (rules §7): the regions of one level inside a parent, ordered by pass rate,
the bottom three flagged, each compared with its province's target and with the previous
period of the same length.

- Ranks compare exact rates (not the rounded ones) and are competition ranks: equal rates
  share a rank and the next rank skips (1, 2, 2, 4).
- The bottom three are the regions with fewer than three regions ranked strictly below them,
  so a tie at third-lowest flags every tied region (Hubei: the three cities with the lowest
  pass rate cannot be rated A — a tie cannot be broken in anyone's favour).
- A region without tested batches in the period is listed, unranked and unflagged.
- County level also lists prefecture-level units without counties (济源, 仙桃, 潜江, 天门,
  神农架): their results are filed under their own code, which is their county-level unit."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Final

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models.reference import Region
from models.stats import RankingEntry, RankingReport, RegionGrouping
from service.errors import InvalidInput
from service.stats import params
from service.stats.query import Aggregation, Filters, aggregate
from service.stats.wilson import method, rates

# [policy] Pass-rate targets by province (rules §7): Henan ≥ 95 % (2020 plan), Hubei ≥ 90 %.
# Regions are compared with the target of the province they lie in.
PASS_RATE_TARGETS: Final[dict[str, Decimal]] = {
    "410000": Decimal("0.95"),
    "420000": Decimal("0.90"),
}
BOTTOM: Final = 3


@dataclass(frozen=True)
class Counts:
    tested: int = 0
    nonconforming: int = 0
    sampled: int = 0

    @property
    def exact_pass_rate(self) -> Fraction | None:
        if not self.tested:
            return None
        return 1 - Fraction(self.nonconforming, self.tested)


async def _units(session: AsyncSession, parent: Region, level: RegionGrouping) -> list[Region]:
    """The regions to rank, in code order."""
    inside = await session.exec(
        select(Region)
        .where(col(Region.path).startswith(parent.path + "/"))
        .order_by(col(Region.code))
    )
    regions = inside.all()
    parents = {r.parent_code for r in regions}

    def ranked(region: Region) -> bool:
        if region.level == level.value:
            return True
        # A prefecture-level unit without counties is its own county-level unit.
        return (
            level is RegionGrouping.COUNTY
            and region.level == "prefecture"
            and region.code not in parents
        )

    return [r for r in regions if ranked(r)]


async def _counts(
    session: AsyncSession, parent: Region, level: RegionGrouping, period: params.Period
) -> dict[str, Counts]:
    aggregation = Aggregation(
        dimensions=("region",),
        region_level=level,
        category_depth=1,
        filters=Filters(region=parent.code),
        first=period.first,
        last=period.last,
        scope=tuple(parent.path.split("/")[1:]),
    )
    groups = await aggregate(session, aggregation)
    return {g.keys["region"]: Counts(g.tested, g.nonconforming, g.sampled) for g in groups}


def _ranks(counts: dict[str, Counts]) -> dict[str, int]:
    """Competition ranks by exact pass rate, best first, of the regions with tested batches."""
    exact = {code: c.exact_pass_rate for code, c in counts.items()}
    ranked = {code: r for code, r in exact.items() if r is not None}
    return {code: 1 + sum(other > r for other in ranked.values()) for code, r in ranked.items()}


def _bottom(counts: dict[str, Counts]) -> set[str]:
    exact = {code: c.exact_pass_rate for code, c in counts.items()}
    ranked = {code: r for code, r in exact.items() if r is not None}
    return {
        code for code, r in ranked.items() if sum(other < r for other in ranked.values()) < BOTTOM
    }


def _province_of(region: Region) -> str | None:
    parts = region.path.split("/")
    return parts[1] if len(parts) > 1 else None


async def rankings(
    session: AsyncSession, *, level: RegionGrouping, parent_code: str, period_text: str
) -> RankingReport:
    period = params.parse_period(period_text)
    parent = await session.get(Region, parent_code)
    if parent is None:
        raise InvalidInput("stats.unknown_region", f"no region {parent_code}", region=parent_code)
    if params.grouping_depth(level) <= params.LEVEL_DEPTH[parent.level]:
        raise InvalidInput(
            "stats.level_not_below_parent",
            f"{parent.code} is a {parent.level}; rank a level below it",
            parent_level=parent.level,
        )
    previous = period.previous()
    units = await _units(session, parent, level)
    unit_codes = {u.code for u in units}
    current = {
        code: c
        for code, c in (await _counts(session, parent, level, period)).items()
        if code in unit_codes
    }
    before = {
        code: c
        for code, c in (await _counts(session, parent, level, previous)).items()
        if code in unit_codes
    }
    ranks, previous_ranks, bottom = _ranks(current), _ranks(before), _bottom(current)
    entries = []
    for unit in units:
        counts = current.get(unit.code, Counts())
        figures = rates(counts.tested, counts.nonconforming)
        earlier = before.get(unit.code, Counts())
        earlier_figures = rates(earlier.tested, earlier.nonconforming)
        province = _province_of(unit)
        target = PASS_RATE_TARGETS.get(province) if province else None
        exact = counts.exact_pass_rate
        entries.append(
            RankingEntry(
                rank=ranks.get(unit.code),
                region=unit.code,
                region_name=unit.name,
                sampled=counts.sampled,
                tested=counts.tested,
                nonconforming=counts.nonconforming,
                nonconformity_rate=figures.nonconformity_rate if figures else None,
                pass_rate=figures.pass_rate if figures else None,
                ci_low=figures.ci_low if figures else None,
                ci_high=figures.ci_high if figures else None,
                bottom_three=unit.code in bottom,
                target=target,
                meets_target=None if exact is None or target is None else exact >= Fraction(target),
                gap=None if figures is None or target is None else figures.pass_rate - target,
                previous_rank=previous_ranks.get(unit.code),
                previous_pass_rate=earlier_figures.pass_rate if earlier_figures else None,
                change=(
                    figures.pass_rate - earlier_figures.pass_rate
                    if figures and earlier_figures
                    else None
                ),
            )
        )
    entries.sort(key=lambda e: (e.rank is None, e.rank or 0, e.region))
    return RankingReport(
        level=level,
        parent=parent.code,
        parent_name=parent.name,
        period=period.label,
        date_from=period.first,
        date_to=params.last_day(period.last),
        previous_period=previous.label,
        targets=dict(PASS_RATE_TARGETS),
        method=method(),
        entries=entries,
    )
