"""pass-rate rollup in two tiers: recent (finalisations fold here) and settled

With the month last in the primary key (the order pages read), the current month's rows, which
every finalisation folds into, were spread over the whole index: at ten million results each
commit dirtied pages all over 5.6 GB. The rollup is now partitioned by a `tier` column, the
last of the key: finalisations fold into the small `recent` partition, the nightly job
`stats.settle_rollup` moves its rows into `settled`, and a page merges the two index scans in
key order. The existing rows are copied into `settled`, in key order.

Revision ID: 9b4f2a6c1d85
Revises: 3e7a91c4b2d6
Create Date: 2026-11-22 11:00:00+00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "9b4f2a6c1d85"
down_revision: str | None = "3e7a91c4b2d6"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TABLE = "pass_rate_rollup"
_KEY = (
    "grain, province_code, prefecture_code, region_code, agency_id, category_code, "
    "plan_level, plan_kind, place_type, enterprise_size, month"
)
_COLUMNS = f"{_KEY}, sampled, tested, nonconforming"
# Room in each page for the counts' next versions, so that updates stay HOT; set on each
# partition, as a partitioned table has no storage of its own.
_FILLFACTOR = 80


def _set_aside(old: str) -> None:
    # The primary key's index name is taken schema-wide: the new table needs it.
    op.execute(f"ALTER TABLE {_TABLE} RENAME TO {old}")
    op.execute(f"ALTER TABLE {old} RENAME CONSTRAINT pk_{_TABLE} TO pk_{old}")


def upgrade() -> None:
    old = f"{_TABLE}_untiered"
    _set_aside(old)
    # LIKE … INCLUDING CONSTRAINTS: the same columns, collations and named check constraint.
    op.execute(
        f"CREATE TABLE {_TABLE} (LIKE {old} INCLUDING CONSTRAINTS, "
        "tier varchar(8) COLLATE \"C\" DEFAULT 'recent' NOT NULL) PARTITION BY LIST (tier)"
    )
    for tier in ("settled", "recent"):
        op.execute(
            f"CREATE TABLE {_TABLE}_{tier} PARTITION OF {_TABLE} FOR VALUES IN ('{tier}') "
            f"WITH (fillfactor = {_FILLFACTOR})"
        )
    op.execute(f"ALTER TABLE {_TABLE} ADD CONSTRAINT pk_{_TABLE} PRIMARY KEY ({_KEY}, tier)")
    op.execute(
        f"INSERT INTO {_TABLE} ({_COLUMNS}, tier) "  # noqa: S608 - our own names
        f"SELECT {_COLUMNS}, 'settled' FROM {old} ORDER BY {_KEY}"
    )
    op.execute(f"DROP TABLE {old}")


def downgrade() -> None:
    old = f"{_TABLE}_tiered"
    _set_aside(old)
    op.execute(
        f"CREATE TABLE {_TABLE} (LIKE {old} INCLUDING CONSTRAINTS) "
        f"WITH (fillfactor = {_FILLFACTOR})"
    )
    op.execute(f"ALTER TABLE {_TABLE} DROP COLUMN tier")
    op.execute(f"ALTER TABLE {_TABLE} ADD CONSTRAINT pk_{_TABLE} PRIMARY KEY ({_KEY})")
    op.execute(
        f"INSERT INTO {_TABLE} ({_COLUMNS}) "  # noqa: S608 - our own names
        f"SELECT {_KEY}, sum(sampled), sum(tested), sum(nonconforming) FROM {old} "
        f"GROUP BY {_KEY} ORDER BY {_KEY}"
    )
    op.execute(f"DROP TABLE {old}")  # and its partitions
