"""Pass-rate statistics (合格率 / 不合格发现率, rules §7): the rollup of final results the queries
read instead of the results, and the report shapes of /stats/pass-rates and /stats/rankings.

Rates are exact decimals rounded to 4 places (ROUND_HALF_UP) and travel as JSON strings
("0.9123") so that no client turns them into binary floats."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import BigInteger, CheckConstraint, SmallInteger, String
from sqlmodel import Field, SQLModel

from models.common import Schema


def _code(length: int) -> String:
    # Codes compare byte by byte: every finalisation descends this 11-column key, and a
    # locale's collation would cost each comparison a strcoll.
    return String(length, collation="C")


class RollupTier(StrEnum):
    RECENT = "recent"
    SETTLED = "settled"


class PassRateRollup(SQLModel, table=True):
    """Counts of final results per combination of the grouping dimensions, one row per `grain`
    and key. Grain 0 keys every dimension at its finest level (the result's own region and leaf
    category); the other grains keep a few dimensions and hold `*` (a nil UUID for the agency)
    in the ones they sum over, so that a one- or two-dimension query reads a small grain
    instead of the finest one. `service.stats.grains` defines the grains. `make_final` puts a
    result on the pending list and the commit of its transaction adds it to every grain;
    `qcs stats rebuild` recomputes the table from the results. The primary key has the month
    last: a grain's groups lie in key order, each with its months side by side, so a page of
    groups is one index range whatever the period.

    The table is partitioned by `tier`, the last column of the key. Finalisations fold into the
    small `recent` partition (`pass_rate_rollup_recent`), whose pages stay in memory, instead of
    into rows spread over the whole key order; the nightly job `stats.settle_rollup` adds them to
    `settled` (`pass_rate_rollup_settled`), where the rebuild writes too. A key may have a row
    in each tier: a query sums them, and a page merges the two partitions' index scans."""

    __tablename__ = "pass_rate_rollup"
    __table_args__ = (
        CheckConstraint(
            "nonconforming >= 0 AND nonconforming <= tested AND tested <= sampled", name="counts"
        ),
        # Each partition has fillfactor 80 (set by the migration; a partitioned table has no
        # storage of its own): room in each page for the counts' next versions, so that updates
        # stay HOT and the index stays as it is.
        {"postgresql_partition_by": "LIST (tier)"},
    )

    grain: int = Field(primary_key=True, sa_type=SmallInteger)
    province_code: str = Field(primary_key=True, sa_type=_code(6))
    # The prefecture-level unit, including those directly under the province (济源, 仙桃 …).
    prefecture_code: str = Field(primary_key=True, sa_type=_code(6))
    # The result's own region (a county, or a prefecture-level unit without counties).
    region_code: str = Field(primary_key=True, sa_type=_code(6))
    agency_id: uuid.UUID = Field(primary_key=True)
    category_code: str = Field(primary_key=True, sa_type=_code(12))
    plan_level: str = Field(primary_key=True, sa_type=_code(12))
    plan_kind: str = Field(primary_key=True, sa_type=_code(12))
    place_type: str = Field(primary_key=True, sa_type=_code(12))
    # `unknown` when the directory did not know the size: key columns cannot be null.
    enterprise_size: str = Field(primary_key=True, sa_type=_code(12))
    # First day of the month of `sampled_on`: periods and date ranges are whole months.
    month: date = Field(primary_key=True)
    tier: RollupTier = Field(
        default=RollupTier.RECENT,
        primary_key=True,
        sa_type=_code(8),
        sa_column_kwargs={"server_default": RollupTier.RECENT.value},
    )
    # Batches sampled, batches tested (a verdict in force) and nonconforming batches. Every
    # result today is one sampled and tested batch; the columns stay apart so that batches
    # sampled but not testable can be counted without changing the table.
    sampled: int
    tested: int
    nonconforming: int


class PassRatePending(SQLModel, table=True):
    """Results made final by a transaction still in progress, folded into the rollup when it
    commits (`service.stats.rollup`). Rows live only inside their transaction."""

    __tablename__ = "pass_rate_pending"

    result_id: uuid.UUID = Field(primary_key=True)
    # pg_current_xact_id() of the transaction that made the result final.
    xact: int = Field(sa_type=BigInteger)


class RegionGrouping(StrEnum):
    """The level regions are grouped or ranked at; lower levels roll up into it."""

    PROVINCE = "province"
    PREFECTURE = "prefecture"
    COUNTY = "county"


class SizeKey(StrEnum):
    """Enterprise size as the statistics know it: `unknown` when the directory had none."""

    LARGE = "large"
    MEDIUM = "medium"
    SMALL = "small"
    MICRO = "micro"
    UNKNOWN = "unknown"


class StatsFormat(StrEnum):
    JSON = "json"
    CSV = "csv"


class StatsMethod(Schema):
    """How the figures were computed, returned with every report."""

    version: str
    interval: str
    confidence: Decimal
    z: Decimal
    decimals: int
    rounding: str
    ci_of: str
    note: str


class PassRateRow(Schema):
    """One group. Only the keys of the requested dimensions are present; rates are null when
    nothing was tested."""

    region: str | None = None
    region_name: str | None = None
    category: str | None = None
    category_name: str | None = None
    plan_level: str | None = None
    plan_kind: str | None = None
    place_type: str | None = None
    enterprise_size: str | None = None
    agency: uuid.UUID | None = None
    agency_name: str | None = None
    month: str | None = None
    quarter: str | None = None
    year: str | None = None
    sampled: int
    tested: int
    nonconforming: int
    nonconformity_rate: Decimal | None
    pass_rate: Decimal | None
    ci_low: Decimal | None
    ci_high: Decimal | None
    nonconformity_ci_low: Decimal | None
    nonconformity_ci_high: Decimal | None


class PassRateReport(Schema):
    """Grouped pass rates. A JSON answer is one page of rows in the order of the group keys
    (region, agency, category, plan level, plan kind, place type, enterprise size, period);
    `next_cursor`, when not null, is the `cursor` of the next page. The CSV export has every
    row."""

    group_by: list[str]
    region_level: RegionGrouping | None
    category_depth: int | None
    date_from: date
    date_to: date
    filters: dict[str, str]
    published_only: bool
    method: StatsMethod
    rows: list[PassRateRow]
    next_cursor: str | None = None


class RankingEntry(Schema):
    rank: int | None
    region: str
    region_name: str
    sampled: int
    tested: int
    nonconforming: int
    nonconformity_rate: Decimal | None
    pass_rate: Decimal | None
    ci_low: Decimal | None
    ci_high: Decimal | None
    bottom_three: bool
    target: Decimal | None
    meets_target: bool | None
    gap: Decimal | None
    previous_rank: int | None
    previous_pass_rate: Decimal | None
    change: Decimal | None


class RankingReport(Schema):
    level: RegionGrouping
    parent: str
    parent_name: str
    period: str
    date_from: date
    date_to: date
    previous_period: str
    targets: dict[str, Decimal]
    method: StatsMethod
    entries: list[RankingEntry]
