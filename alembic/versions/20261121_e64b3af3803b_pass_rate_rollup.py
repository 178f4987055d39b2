"""pass-rate rollup

The counts of final results by the grouping dimensions of pass-rate statistics (one row per
grain and key, see service/stats/grains.py), and the pending list a transaction folds into
them when it commits. Results that were final before this revision are counted by
`qcs stats rebuild` (none exist yet: results arrived in the revision before).

Revision ID: e64b3af3803b
Revises: 209f24061cf7
Create Date: 2026-11-21 13:49:39.797947+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = 'e64b3af3803b'
down_revision: str | None = '209f24061cf7'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('pass_rate_rollup',
    sa.Column('grain', sa.SmallInteger(), nullable=False),
    sa.Column('month', sa.Date(), nullable=False),
    sa.Column('province_code', sqlmodel.sql.sqltypes.AutoString(length=6), nullable=False),
    sa.Column('prefecture_code', sqlmodel.sql.sqltypes.AutoString(length=6), nullable=False),
    sa.Column('region_code', sqlmodel.sql.sqltypes.AutoString(length=6), nullable=False),
    sa.Column('category_code', sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
    sa.Column('plan_level', sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
    sa.Column('plan_kind', sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
    sa.Column('place_type', sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
    sa.Column('enterprise_size', sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
    sa.Column('agency_id', sa.Uuid(), nullable=False),
    sa.Column('sampled', sa.Integer(), nullable=False),
    sa.Column('tested', sa.Integer(), nullable=False),
    sa.Column('nonconforming', sa.Integer(), nullable=False),
    sa.CheckConstraint('nonconforming >= 0 AND nonconforming <= tested AND tested <= sampled', name=op.f('ck_pass_rate_rollup_counts')),
    sa.PrimaryKeyConstraint('grain', 'month', 'province_code', 'prefecture_code', 'region_code', 'category_code', 'plan_level', 'plan_kind', 'place_type', 'enterprise_size', 'agency_id', name=op.f('pk_pass_rate_rollup'))
    )
    op.create_table('pass_rate_pending',
    sa.Column('result_id', sa.Uuid(), nullable=False),
    sa.Column('xact', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('result_id', name=op.f('pk_pass_rate_pending'))
    )


def downgrade() -> None:
    op.drop_table('pass_rate_pending')
    op.drop_table('pass_rate_rollup')
