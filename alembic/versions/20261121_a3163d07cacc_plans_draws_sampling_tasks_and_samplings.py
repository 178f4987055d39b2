"""plans, draws, sampling tasks and samplings

Revision ID: a3163d07cacc
Revises: 3529429a99c0
Create Date: 2026-11-21 13:17:25.118887+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = 'a3163d07cacc'
down_revision: str | None = '3529429a99c0'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('plans',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('title', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('department_code', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('level', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('region_code', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('period_start', sa.Date(), nullable=False),
    sa.Column('period_end', sa.Date(), nullable=False),
    sa.Column('state', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('published_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("kind IN ('routine', 'special', 'follow_up', 'emergency')", name=op.f('ck_plans_kind')),
    sa.CheckConstraint("state IN ('draft', 'published', 'drawn', 'in_progress', 'closed')", name=op.f('ck_plans_state')),
    sa.CheckConstraint('period_end >= period_start', name=op.f('ck_plans_period')),
    sa.ForeignKeyConstraint(['department_code'], ['departments.code'], name=op.f('fk_plans_department_code_departments')),
    sa.ForeignKeyConstraint(['region_code'], ['regions.code'], name=op.f('fk_plans_region_code_regions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_plans'))
    )
    op.create_index(op.f('ix_plans_department_code'), 'plans', ['department_code'], unique=False)
    op.create_index(op.f('ix_plans_region_code'), 'plans', ['region_code'], unique=False)
    op.create_table('draws',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('plan_id', sa.Uuid(), nullable=False),
    sa.Column('state', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('algorithm_version', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('pool_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('seed_commitment', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('seed', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('evaluated_on', sa.Date(), nullable=False),
    sa.Column('pool_gz', sa.LargeBinary(), nullable=False),
    sa.Column('pool_size', sa.Integer(), nullable=False),
    sa.Column('config', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('outcome_gz', sa.LargeBinary(), nullable=True),
    sa.Column('committed_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('committed_by', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('executed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('executed_by', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.CheckConstraint("state IN ('committed', 'executed')", name=op.f('ck_draws_state')),
    sa.ForeignKeyConstraint(['plan_id'], ['plans.id'], name=op.f('fk_draws_plan_id_plans')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_draws'))
    )
    op.create_index('uq_draws_plan_id', 'draws', ['plan_id'], unique=True)
    op.create_table('plan_quotas',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('plan_id', sa.Uuid(), nullable=False),
    sa.Column('category_code', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('region_code', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('quota', sa.Integer(), nullable=False),
    sa.CheckConstraint('quota > 0', name=op.f('ck_plan_quotas_positive')),
    sa.ForeignKeyConstraint(['category_code'], ['product_categories.code'], name=op.f('fk_plan_quotas_category_code_product_categories')),
    sa.ForeignKeyConstraint(['plan_id'], ['plans.id'], name=op.f('fk_plan_quotas_plan_id_plans')),
    sa.ForeignKeyConstraint(['region_code'], ['regions.code'], name=op.f('fk_plan_quotas_region_code_regions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_plan_quotas')),
    sa.UniqueConstraint('plan_id', 'category_code', 'region_code', name=op.f('uq_plan_quotas_plan_id_category_code_region_code'))
    )
    op.create_index(op.f('ix_plan_quotas_plan_id'), 'plan_quotas', ['plan_id'], unique=False)
    op.create_table('sampling_tasks',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('plan_id', sa.Uuid(), nullable=False),
    sa.Column('draw_id', sa.Uuid(), nullable=True),
    sa.Column('product_id', sa.Uuid(), nullable=False),
    sa.Column('enterprise_uscc', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('category_code', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('agency_id', sa.Uuid(), nullable=False),
    sa.Column('inspector_ids', sa.ARRAY(sa.Uuid()), nullable=False),
    sa.Column('stratum', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('draw_order', sa.Integer(), nullable=False),
    sa.Column('state', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint("state IN ('assigned', 'sampled', 'refused', 'cancelled')", name=op.f('ck_sampling_tasks_state')),
    sa.CheckConstraint('cardinality(inspector_ids) >= 2', name=op.f('ck_sampling_tasks_two_inspectors')),
    sa.ForeignKeyConstraint(['agency_id'], ['testing_agencies.id'], name=op.f('fk_sampling_tasks_agency_id_testing_agencies')),
    sa.ForeignKeyConstraint(['category_code'], ['product_categories.code'], name=op.f('fk_sampling_tasks_category_code_product_categories')),
    sa.ForeignKeyConstraint(['draw_id'], ['draws.id'], name=op.f('fk_sampling_tasks_draw_id_draws')),
    sa.ForeignKeyConstraint(['enterprise_uscc'], ['enterprises.uscc'], name=op.f('fk_sampling_tasks_enterprise_uscc_enterprises')),
    sa.ForeignKeyConstraint(['plan_id'], ['plans.id'], name=op.f('fk_sampling_tasks_plan_id_plans')),
    sa.ForeignKeyConstraint(['product_id'], ['products.id'], name=op.f('fk_sampling_tasks_product_id_products')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sampling_tasks')),
    sa.UniqueConstraint('draw_id', 'product_id', name=op.f('uq_sampling_tasks_draw_id_product_id'))
    )
    op.create_index(op.f('ix_sampling_tasks_agency_id'), 'sampling_tasks', ['agency_id'], unique=False)
    op.create_index(op.f('ix_sampling_tasks_draw_id'), 'sampling_tasks', ['draw_id'], unique=False)
    op.create_index(op.f('ix_sampling_tasks_enterprise_uscc'), 'sampling_tasks', ['enterprise_uscc'], unique=False)
    op.create_index(op.f('ix_sampling_tasks_plan_id'), 'sampling_tasks', ['plan_id'], unique=False)
    op.create_index(op.f('ix_sampling_tasks_product_id'), 'sampling_tasks', ['product_id'], unique=False)
    op.create_table('samplings',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('product_id', sa.Uuid(), nullable=False),
    sa.Column('task_id', sa.Uuid(), nullable=True),
    sa.Column('department_code', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('level', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('region_code', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('plan_kind', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('sampled_on', sa.Date(), nullable=False),
    sa.Column('verdict', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint("verdict IS NULL OR verdict IN ('conforming', 'nonconforming')", name=op.f('ck_samplings_verdict')),
    sa.ForeignKeyConstraint(['department_code'], ['departments.code'], name=op.f('fk_samplings_department_code_departments')),
    sa.ForeignKeyConstraint(['product_id'], ['products.id'], name=op.f('fk_samplings_product_id_products')),
    sa.ForeignKeyConstraint(['task_id'], ['sampling_tasks.id'], name=op.f('fk_samplings_task_id_sampling_tasks')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_samplings')),
    sa.UniqueConstraint('task_id', name=op.f('uq_samplings_task_id'))
    )
    op.create_index('ix_samplings_product_id_sampled_on', 'samplings', ['product_id', 'sampled_on'], unique=False)
    op.create_index('ix_samplings_sampled_on', 'samplings', ['sampled_on'], unique=False)
    op.add_column('enterprises', sa.Column('risk_class', sqlmodel.sql.sqltypes.AutoString(length=1), server_default='B', nullable=False))
    op.create_check_constraint(op.f('ck_enterprises_risk_class'), 'enterprises', "risk_class IN ('A', 'B', 'C', 'D')")


def downgrade() -> None:
    op.drop_constraint(op.f('ck_enterprises_risk_class'), 'enterprises', type_='check')
    op.drop_column('enterprises', 'risk_class')
    op.drop_index('ix_samplings_sampled_on', table_name='samplings')
    op.drop_index('ix_samplings_product_id_sampled_on', table_name='samplings')
    op.drop_table('samplings')
    op.drop_index(op.f('ix_sampling_tasks_product_id'), table_name='sampling_tasks')
    op.drop_index(op.f('ix_sampling_tasks_plan_id'), table_name='sampling_tasks')
    op.drop_index(op.f('ix_sampling_tasks_enterprise_uscc'), table_name='sampling_tasks')
    op.drop_index(op.f('ix_sampling_tasks_draw_id'), table_name='sampling_tasks')
    op.drop_index(op.f('ix_sampling_tasks_agency_id'), table_name='sampling_tasks')
    op.drop_table('sampling_tasks')
    op.drop_index(op.f('ix_plan_quotas_plan_id'), table_name='plan_quotas')
    op.drop_table('plan_quotas')
    op.drop_index('uq_draws_plan_id', table_name='draws')
    op.drop_table('draws')
    op.drop_index(op.f('ix_plans_region_code'), table_name='plans')
    op.drop_index(op.f('ix_plans_department_code'), table_name='plans')
    op.drop_table('plans')
