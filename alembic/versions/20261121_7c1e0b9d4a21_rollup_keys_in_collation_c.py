"""rollup key columns in collation "C", fillfactor 80

Revision ID: 7c1e0b9d4a21
Revises: bef2be707728
Create Date: 2026-11-21 17:10:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "7c1e0b9d4a21"
down_revision: str | None = "bef2be707728"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_KEYS = {
    "province_code": 6,
    "prefecture_code": 6,
    "region_code": 6,
    "category_code": 12,
    "plan_level": 12,
    "plan_kind": 12,
    "place_type": 12,
    "enterprise_size": 12,
}


def upgrade() -> None:
    for column, length in _KEYS.items():
        op.alter_column(
            "pass_rate_rollup",
            column,
            type_=sa.String(length, collation="C"),
            existing_nullable=False,
        )
    op.execute("ALTER TABLE pass_rate_rollup SET (fillfactor = 80)")


def downgrade() -> None:
    op.execute("ALTER TABLE pass_rate_rollup RESET (fillfactor)")
    for column, length in _KEYS.items():
        op.alter_column(
            "pass_rate_rollup", column, type_=sa.String(length), existing_nullable=False
        )
