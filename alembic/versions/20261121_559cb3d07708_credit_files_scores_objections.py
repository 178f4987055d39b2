"""credit files: credit events, score snapshots and standings, model parameters, objections

Revision ID: 559cb3d07708
Revises: e64b3af3803b
Create Date: 2026-11-21 13:58:07.200755+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = '559cb3d07708'
down_revision: str | None = 'e64b3af3803b'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('credit_models',
    sa.Column('version', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('parameters', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('first_used_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint("kind IN ('score', 'risk')", name=op.f('ck_credit_models_kind')),
    sa.PrimaryKeyConstraint('version', name=op.f('pk_credit_models'))
    )
    op.create_table('credit_events',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('enterprise_uscc', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('type', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('origin', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('department_code', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('reference', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('occurred_on', sa.Date(), nullable=False),
    sa.Column('recorded_on', sa.Date(), nullable=False),
    sa.Column('public', sa.Boolean(), nullable=False),
    sa.Column('publish_until', sa.Date(), nullable=False),
    sa.Column('severity', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('summary', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('details', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('corrected_on', sa.Date(), nullable=True),
    sa.Column('source_event_seq', sa.BigInteger(), nullable=True),
    sa.Column('recorded_by', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint("(status = 'corrected') = (corrected_on IS NOT NULL)", name=op.f('ck_credit_events_corrected')),
    sa.CheckConstraint("(type = 'administrative_penalty' AND severity IN ('heavier', 'other')) OR (type = 'nonconforming_result' AND severity IN ('serious', 'general')) OR (type NOT IN ('administrative_penalty', 'nonconforming_result') AND severity IS NULL)", name=op.f('ck_credit_events_severity')),
    sa.CheckConstraint("origin IN ('sampling', 'department')", name=op.f('ck_credit_events_origin')),
    sa.CheckConstraint("status IN ('counting', 'corrected')", name=op.f('ck_credit_events_status')),
    sa.CheckConstraint("type IN ('nonconforming_result', 'conforming_result', 'refusal', 'rectification_overdue', 'follow_up_failed', 'provincial_notice', 'administrative_penalty', 'verified_complaint', 'mandatory_recall', 'award', 'certification')", name=op.f('ck_credit_events_type')),
    sa.CheckConstraint('publish_until >= occurred_on', name=op.f('ck_credit_events_publication_period')),
    sa.ForeignKeyConstraint(['department_code'], ['departments.code'], name=op.f('fk_credit_events_department_code_departments')),
    sa.ForeignKeyConstraint(['enterprise_uscc'], ['enterprises.uscc'], name=op.f('fk_credit_events_enterprise_uscc_enterprises')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_credit_events')),
    sa.UniqueConstraint('origin', 'department_code', 'reference', name=op.f('uq_credit_events_origin_department_code_reference'))
    )
    op.create_index('ix_credit_events_enterprise_uscc_occurred_on', 'credit_events', ['enterprise_uscc', 'occurred_on'], unique=False)
    op.create_table('credit_scores',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('enterprise_uscc', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('valid_from', sa.Date(), nullable=False),
    sa.Column('computed_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('score', sa.Integer(), nullable=False),
    sa.Column('base', sa.Integer(), nullable=False),
    sa.Column('grade', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('grade_reason', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('listed', sa.Boolean(), nullable=False),
    sa.Column('explanation', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('model_version', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('risk_class', sqlmodel.sql.sqltypes.AutoString(length=1), nullable=False),
    sa.Column('risk_reasons', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('risk_version', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('trigger', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('digest', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.CheckConstraint("grade IN ('A', 'B', 'C', 'D')", name=op.f('ck_credit_scores_grade')),
    sa.CheckConstraint("risk_class IN ('A', 'B', 'C', 'D')", name=op.f('ck_credit_scores_risk_class')),
    sa.ForeignKeyConstraint(['enterprise_uscc'], ['enterprises.uscc'], name=op.f('fk_credit_scores_enterprise_uscc_enterprises')),
    sa.ForeignKeyConstraint(['model_version'], ['credit_models.version'], name=op.f('fk_credit_scores_model_version_credit_models')),
    sa.ForeignKeyConstraint(['risk_version'], ['credit_models.version'], name=op.f('fk_credit_scores_risk_version_credit_models')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_credit_scores'))
    )
    op.create_index('ix_credit_scores_enterprise_uscc_valid_from', 'credit_scores', ['enterprise_uscc', 'valid_from', 'id'], unique=False)
    op.create_table('credit_objections',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('credit_event_id', sa.Uuid(), nullable=False),
    sa.Column('enterprise_uscc', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('filed_on', sa.Date(), nullable=False),
    sa.Column('reason', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('evidence', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('state', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('decided_on', sa.Date(), nullable=True),
    sa.Column('decided_by', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('decision_reason', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint("state IN ('pending', 'upheld', 'corrected')", name=op.f('ck_credit_objections_state')),
    sa.ForeignKeyConstraint(['credit_event_id'], ['credit_events.id'], name=op.f('fk_credit_objections_credit_event_id_credit_events')),
    sa.ForeignKeyConstraint(['enterprise_uscc'], ['enterprises.uscc'], name=op.f('fk_credit_objections_enterprise_uscc_enterprises')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_credit_objections'))
    )
    op.create_index(op.f('ix_credit_objections_credit_event_id'), 'credit_objections', ['credit_event_id'], unique=False)
    op.create_index(op.f('ix_credit_objections_enterprise_uscc'), 'credit_objections', ['enterprise_uscc'], unique=False)
    op.create_index('uq_credit_objections_pending_event', 'credit_objections', ['credit_event_id'], unique=True, postgresql_where="state = 'pending'")
    op.create_table('credit_standings',
    sa.Column('enterprise_uscc', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('score_id', sa.BigInteger(), nullable=True),
    sa.Column('digest', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('model_version', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('risk_version', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('next_review_on', sa.Date(), nullable=True),
    sa.ForeignKeyConstraint(['enterprise_uscc'], ['enterprises.uscc'], name=op.f('fk_credit_standings_enterprise_uscc_enterprises')),
    sa.ForeignKeyConstraint(['score_id'], ['credit_scores.id'], name=op.f('fk_credit_standings_score_id_credit_scores')),
    sa.PrimaryKeyConstraint('enterprise_uscc', name=op.f('pk_credit_standings'))
    )
    op.create_index(op.f('ix_credit_standings_next_review_on'), 'credit_standings', ['next_review_on'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_credit_standings_next_review_on'), table_name='credit_standings')
    op.drop_table('credit_standings')
    op.drop_index('uq_credit_objections_pending_event', table_name='credit_objections', postgresql_where="state = 'pending'")
    op.drop_index(op.f('ix_credit_objections_enterprise_uscc'), table_name='credit_objections')
    op.drop_index(op.f('ix_credit_objections_credit_event_id'), table_name='credit_objections')
    op.drop_table('credit_objections')
    op.drop_index('ix_credit_scores_enterprise_uscc_valid_from', table_name='credit_scores')
    op.drop_table('credit_scores')
    op.drop_index('ix_credit_events_enterprise_uscc_occurred_on', table_name='credit_events')
    op.drop_table('credit_events')
    op.drop_table('credit_models')
