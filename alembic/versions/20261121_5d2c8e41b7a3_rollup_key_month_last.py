"""rollup primary key with the month last; grains by province × place and size, level and kind

A grain's rows now lie in the order of their group keys (the agency before the category),
each key's months side by side, so that a page of groups in key order is one short index
range whatever the period (service/stats/query.py). Two grains are added, filled here from the
agency grains they sum. Run `qcs stats rebuild` after upgrading a large table: the rebuild
writes the heap in the new key order.

Revision ID: 5d2c8e41b7a3
Revises: 8865aee1ead9
Create Date: 2026-11-21 17:05:00+00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "5d2c8e41b7a3"
down_revision: str | None = "8865aee1ead9"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_DIMENSIONS = (
    "province_code",
    "prefecture_code",
    "region_code",
    "agency_id",
    "category_code",
    "plan_level",
    "plan_kind",
    "place_type",
    "enterprise_size",
)
_BEFORE = ("grain", "month", *_DIMENSIONS[:3], *_DIMENSIONS[4:], "agency_id")
_AFTER = ("grain", *_DIMENSIONS, "month")
_COLUMNS = ", ".join((*_DIMENSIONS, "month"))
_SUMMED_OVER_AGENCY = ", ".join(
    "'00000000-0000-0000-0000-000000000000'" if c == "agency_id" else c
    for c in (*_DIMENSIONS, "month")
)
_GROUPED = ", ".join(c for c in (*_DIMENSIONS, "month") if c != "agency_id")
# The new grains (service/stats/grains.py): province × place and size, province × level and
# kind — the agency grains 18 and 19 summed over the agency.
_NEW_GRAINS = {20: 18, 21: 19}


def _primary_key(columns: tuple[str, ...]) -> None:
    op.drop_constraint("pk_pass_rate_rollup", "pass_rate_rollup", type_="primary")
    op.create_primary_key("pk_pass_rate_rollup", "pass_rate_rollup", list(columns))


def upgrade() -> None:
    _primary_key(_AFTER)
    for grain, source in _NEW_GRAINS.items():
        op.execute(
            f"INSERT INTO pass_rate_rollup (grain, {_COLUMNS}, sampled, tested, nonconforming) "  # noqa: S608 - our own constants
            f"SELECT {grain}, {_SUMMED_OVER_AGENCY}, sum(sampled), sum(tested), "
            f"sum(nonconforming) FROM pass_rate_rollup WHERE grain = {source} "
            f"GROUP BY {_GROUPED}"
        )


def downgrade() -> None:
    op.execute("DELETE FROM pass_rate_rollup WHERE grain IN (20, 21)")
    _primary_key(_BEFORE)
