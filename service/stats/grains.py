"""The grains of the pass-rate rollup: which dimensions each keeps, and the choice of the smallest
grain that answers a query.

The finest grain alone does not make national-scale queries fast: with ten million results
almost every result has its own combination of county, leaf category, month, level, kind,
place, size and agency, so that grain is nearly as large as the results. Every query whose
dimensions (grouped or filtered, the month aside) are at most two is answered by one of the
smaller grains below instead; anything wider falls back to the finest grain, still without
touching the results. A query reads its grain's rows for the months it covers, so its cost
follows the size of its answer: 30 provinces × 3 channels is instant, 3,000 counties × 75
categories over three years is a bulk export.

Grain ids are stored in the table: changing this list means running `qcs stats rebuild`."""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum, StrEnum
from math import prod
from typing import Final


class Dim(StrEnum):
    """Dimensions besides region, category and time, kept whole or summed over."""

    PLAN_LEVEL = "plan_level"
    PLAN_KIND = "plan_kind"
    PLACE_TYPE = "place_type"
    ENTERPRISE_SIZE = "enterprise_size"
    AGENCY = "agency"


class RegionDepth(IntEnum):
    NONE = 0
    PROVINCE = 1
    PREFECTURE = 2
    FINEST = 3  # the result's own region: a county, or a prefecture-level unit without counties


class CategoryDepth(IntEnum):
    NONE = 0
    GROUP = 1  # the two-digit top level (01 …)
    FINEST = 3  # the result's leaf category, whatever its depth


# Rough national cardinalities per month, only to order the grains by size: ~2,850 county-level
# units, ~340 prefectures, 31 provinces, ~20 category groups and ~100 leaves (the seeded
# catalogue has 17 and 75), a few hundred agencies.
_REGION_SIZE: Final = {0: 1, 1: 31, 2: 340, 3: 2_850}
_CATEGORY_SIZE: Final = {0: 1, 1: 20, 3: 100}
_DIM_SIZE: Final = {
    Dim.PLAN_LEVEL: 4,
    Dim.PLAN_KIND: 4,
    Dim.PLACE_TYPE: 3,
    Dim.ENTERPRISE_SIZE: 5,
    Dim.AGENCY: 300,
}


@dataclass(frozen=True)
class Grain:
    id: int
    region: RegionDepth
    category: CategoryDepth
    dims: frozenset[Dim]

    @property
    def weight(self) -> int:
        """Rows per month, roughly, at national scale."""
        region = _REGION_SIZE[self.region]
        if Dim.AGENCY in self.dims and self.region == RegionDepth.PROVINCE:
            region = 1  # the agency decides the province
        return region * _CATEGORY_SIZE[self.category] * prod(_DIM_SIZE[d] for d in self.dims)

    def covers(self, need: Need) -> bool:
        return (
            self.region >= need.region and self.category >= need.category and need.dims <= self.dims
        )


@dataclass(frozen=True)
class Need:
    """What a query needs from a grain: the region and category depth it groups or filters at,
    and the other dimensions it groups or filters by."""

    region: RegionDepth = RegionDepth.NONE
    category: CategoryDepth = CategoryDepth.NONE
    dims: frozenset[Dim] = frozenset()


def _grain(grain_id: int, region: RegionDepth, category: CategoryDepth, *dims: Dim) -> Grain:
    return Grain(grain_id, region, category, frozenset(dims))


_R, _C = RegionDepth, CategoryDepth
L, K, P, S, A = Dim.PLAN_LEVEL, Dim.PLAN_KIND, Dim.PLACE_TYPE, Dim.ENTERPRISE_SIZE, Dim.AGENCY

FINEST: Final = _grain(0, _R.FINEST, _C.FINEST, L, K, P, S, A)
# Every pair of dimensions at its finest level is kept together by at least one grain besides
# the finest, and pairs with a region by grains at the prefecture level too, so that national
# figures by prefecture do not read every county. An agency belongs to one province, so the
# agency grains keep the province at no cost and can be filtered by it. Each grain costs a
# row written per result made final: the list is as short as the pairs allow.
GRAINS: Final[tuple[Grain, ...]] = (
    FINEST,
    _grain(1, _R.PREFECTURE, _C.NONE),
    _grain(2, _R.FINEST, _C.NONE),
    _grain(3, _R.PROVINCE, _C.FINEST),
    _grain(4, _R.PREFECTURE, _C.FINEST),
    _grain(5, _R.FINEST, _C.GROUP),
    _grain(6, _R.FINEST, _C.FINEST),
    _grain(7, _R.PREFECTURE, _C.NONE, P, S),
    _grain(8, _R.PREFECTURE, _C.NONE, L, K),
    _grain(9, _R.PREFECTURE, _C.NONE, A),
    _grain(10, _R.FINEST, _C.NONE, P, S),
    _grain(11, _R.FINEST, _C.NONE, L, K),
    _grain(12, _R.FINEST, _C.NONE, A),
    _grain(13, _R.NONE, _C.FINEST, P, S),
    _grain(14, _R.NONE, _C.FINEST, L, K),
    _grain(15, _R.PROVINCE, _C.FINEST, A),
    _grain(16, _R.NONE, _C.NONE, L, K, P, S),
    _grain(17, _R.PROVINCE, _C.NONE, A),
    _grain(18, _R.PROVINCE, _C.NONE, A, P, S),
    _grain(19, _R.PROVINCE, _C.NONE, A, L, K),
    # Provinces by channel, size, level or kind: a page reads a province's rows in key order,
    # and the agency grains above would make it sum a dozen agencies for each.
    _grain(20, _R.PROVINCE, _C.NONE, P, S),
    _grain(21, _R.PROVINCE, _C.NONE, L, K),
)


def choose_grain(need: Need) -> Grain:
    """The smallest grain that keeps everything `need` asks for (the finest one always does)."""
    return min((g for g in GRAINS if g.covers(need)), key=lambda g: (g.weight, g.id))
