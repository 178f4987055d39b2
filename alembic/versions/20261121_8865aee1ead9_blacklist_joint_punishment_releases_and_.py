"""blacklist, joint punishment, releases and webhooks

Revision ID: 8865aee1ead9
Revises: 7c1e0b9d4a21
Create Date: 2026-11-21 16:16:01.848796+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from sqlalchemy.dialects import postgresql

from alembic import op

revision: str = '8865aee1ead9'
down_revision: str | None = '7c1e0b9d4a21'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('feed_heads',
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('seq', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_feed_heads'))
    )
    # The changes feed starts at 0; writers take numbers by updating this row.
    op.execute("INSERT INTO feed_heads (name, seq) VALUES ('listing_changes', 0)")
    op.create_table('measures',
    sa.Column('code', sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('description', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('legal_basis', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('department_kinds', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('code', name=op.f('pk_measures'))
    )
    op.create_table('releases',
    sa.Column('number', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('published_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('as_of', sa.Date(), nullable=False),
    sa.Column('up_to_seq', sa.BigInteger(), nullable=False),
    sa.Column('canonical', sa.Text(), nullable=False),
    sa.Column('signature', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('release_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('prev_release_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('public_key', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('active_count', sa.Integer(), nullable=False),
    sa.Column('additions', sa.Integer(), nullable=False),
    sa.Column('removals', sa.Integer(), nullable=False),
    sa.Column('published_by', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.PrimaryKeyConstraint('number', name=op.f('pk_releases')),
    sa.UniqueConstraint('release_hash', name=op.f('uq_releases_release_hash'))
    )
    op.create_table('hit_checks',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('department_code', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('actor', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('checked_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('as_of', sa.Date(), nullable=False),
    sa.Column('asked', sa.Integer(), nullable=False),
    sa.Column('hits', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['department_code'], ['departments.code'], name=op.f('fk_hit_checks_department_code_departments')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_hit_checks'))
    )
    op.create_index(op.f('ix_hit_checks_department_code'), 'hit_checks', ['department_code'], unique=False)
    op.create_table('listings',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('enterprise_uscc', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('state', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('criteria_version', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('criteria', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('evidence', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('reason', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('legal_basis', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('department_code', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('proposed_on', sa.Date(), nullable=False),
    sa.Column('proposed_by', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('noticed_on', sa.Date(), nullable=True),
    sa.Column('notice_reference', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('statement_due_on', sa.Date(), nullable=True),
    sa.Column('statement', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('statement_on', sa.Date(), nullable=True),
    sa.Column('hearing_requested', sa.Boolean(), nullable=False),
    sa.Column('hearing_held_on', sa.Date(), nullable=True),
    sa.Column('decided_on', sa.Date(), nullable=True),
    sa.Column('decided_by', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('decision_reference', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('decision_reason', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('consent_department_code', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('consented_on', sa.Date(), nullable=True),
    sa.Column('consented_by', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('consent_reason', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('listed_on', sa.Date(), nullable=True),
    sa.Column('ends_on', sa.Date(), nullable=True),
    sa.Column('term_months', sa.Integer(), nullable=True),
    sa.Column('dropped_on', sa.Date(), nullable=True),
    sa.Column('drop_reason', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('removed_on', sa.Date(), nullable=True),
    sa.Column('removal_reason', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('removal_note', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('lift_due_on', sa.Date(), nullable=True),
    sa.Column('listed_seq', sa.BigInteger(), nullable=True),
    sa.Column('removed_seq', sa.BigInteger(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint("(state = 'listed' OR state = 'removed') = (listed_on IS NOT NULL)", name=op.f('ck_listings_listed_on')),
    sa.CheckConstraint("(state = 'removed') = (removed_on IS NOT NULL)", name=op.f('ck_listings_removed_on')),
    sa.CheckConstraint("removal_reason IS NULL OR removal_reason IN ('expired', 'early_removal', 'penalty_revoked')", name=op.f('ck_listings_removal_reason')),
    sa.CheckConstraint("state IN ('proposed', 'noticed', 'awaiting_consent', 'listed', 'dropped', 'removed')", name=op.f('ck_listings_state')),
    sa.CheckConstraint('ends_on IS NULL OR ends_on > listed_on', name=op.f('ck_listings_term')),
    sa.ForeignKeyConstraint(['consent_department_code'], ['departments.code'], name=op.f('fk_listings_consent_department_code_departments')),
    sa.ForeignKeyConstraint(['department_code'], ['departments.code'], name=op.f('fk_listings_department_code_departments')),
    sa.ForeignKeyConstraint(['enterprise_uscc'], ['enterprises.uscc'], name=op.f('fk_listings_enterprise_uscc_enterprises')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_listings'))
    )
    op.create_index(op.f('ix_listings_department_code'), 'listings', ['department_code'], unique=False)
    op.create_index('ix_listings_enterprise_uscc_listed_on', 'listings', ['enterprise_uscc', 'listed_on'], unique=False)
    op.create_index('ix_listings_state_listed_seq', 'listings', ['state', 'listed_seq'], unique=False)
    op.create_index('uq_listings_open_enterprise', 'listings', ['enterprise_uscc'], unique=True, postgresql_where="state IN ('proposed', 'noticed', 'awaiting_consent', 'listed')")
    op.create_table('webhook_endpoints',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('department_code', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('url', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('event_types', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('secret', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('state', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('failure_streak', sa.Integer(), nullable=False),
    sa.Column('disabled_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('disabled_reason', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('created_by', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint("state IN ('active', 'disabled')", name=op.f('ck_webhook_endpoints_state')),
    sa.ForeignKeyConstraint(['department_code'], ['departments.code'], name=op.f('fk_webhook_endpoints_department_code_departments')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_webhook_endpoints'))
    )
    op.create_index(op.f('ix_webhook_endpoints_department_code'), 'webhook_endpoints', ['department_code'], unique=False)
    op.create_table('hit_check_subjects',
    sa.Column('check_id', sa.Uuid(), nullable=False),
    sa.Column('uscc', sqlmodel.sql.sqltypes.AutoString(length=18), nullable=False),
    sa.Column('listing_id', sa.Uuid(), nullable=True),
    sa.ForeignKeyConstraint(['check_id'], ['hit_checks.id'], name=op.f('fk_hit_check_subjects_check_id_hit_checks')),
    sa.PrimaryKeyConstraint('check_id', 'uscc', name=op.f('pk_hit_check_subjects'))
    )
    op.create_index('ix_hit_check_subjects_uscc_check_id', 'hit_check_subjects', ['uscc', 'check_id'], unique=False)
    op.create_table('listing_changes',
    sa.Column('seq', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('listing_id', sa.Uuid(), nullable=False),
    sa.Column('enterprise_uscc', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('payload', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.CheckConstraint("kind IN ('listed', 'removed', 'updated')", name=op.f('ck_listing_changes_kind')),
    sa.ForeignKeyConstraint(['listing_id'], ['listings.id'], name=op.f('fk_listing_changes_listing_id_listings')),
    sa.PrimaryKeyConstraint('seq', name=op.f('pk_listing_changes'))
    )
    op.create_index(op.f('ix_listing_changes_enterprise_uscc'), 'listing_changes', ['enterprise_uscc'], unique=False)
    op.create_index(op.f('ix_listing_changes_listing_id'), 'listing_changes', ['listing_id'], unique=False)
    op.create_table('measure_feedback',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('listing_id', sa.Uuid(), nullable=False),
    sa.Column('department_code', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('measure_code', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('effective_on', sa.Date(), nullable=False),
    sa.Column('decision_reference', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('note', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('reported_by', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('reported_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint("status IN ('applied', 'not_applicable', 'lifted')", name=op.f('ck_measure_feedback_status')),
    sa.ForeignKeyConstraint(['department_code'], ['departments.code'], name=op.f('fk_measure_feedback_department_code_departments')),
    sa.ForeignKeyConstraint(['listing_id'], ['listings.id'], name=op.f('fk_measure_feedback_listing_id_listings')),
    sa.ForeignKeyConstraint(['measure_code'], ['measures.code'], name=op.f('fk_measure_feedback_measure_code_measures')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_measure_feedback')),
    sa.UniqueConstraint('listing_id', 'department_code', 'measure_code', 'status', name=op.f('uq_measure_feedback_listing_id_department_code_measure_code_status'))
    )
    op.create_index(op.f('ix_measure_feedback_department_code'), 'measure_feedback', ['department_code'], unique=False)
    op.create_index(op.f('ix_measure_feedback_listing_id'), 'measure_feedback', ['listing_id'], unique=False)
    op.create_table('removal_applications',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('listing_id', sa.Uuid(), nullable=False),
    sa.Column('enterprise_uscc', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('filed_on', sa.Date(), nullable=False),
    sa.Column('penalty_fulfilled', sa.Boolean(), nullable=False),
    sa.Column('harm_removed', sa.Boolean(), nullable=False),
    sa.Column('no_new_heavier_penalty', sa.Boolean(), nullable=False),
    sa.Column('commitment_letter_reference', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('statement', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('state', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('decided_on', sa.Date(), nullable=True),
    sa.Column('decided_by', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('decision_reason', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint("state IN ('pending', 'approved', 'refused')", name=op.f('ck_removal_applications_state')),
    sa.ForeignKeyConstraint(['enterprise_uscc'], ['enterprises.uscc'], name=op.f('fk_removal_applications_enterprise_uscc_enterprises')),
    sa.ForeignKeyConstraint(['listing_id'], ['listings.id'], name=op.f('fk_removal_applications_listing_id_listings')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_removal_applications'))
    )
    op.create_index(op.f('ix_removal_applications_enterprise_uscc'), 'removal_applications', ['enterprise_uscc'], unique=False)
    op.create_index(op.f('ix_removal_applications_listing_id'), 'removal_applications', ['listing_id'], unique=False)
    op.create_index('uq_removal_applications_pending_listing', 'removal_applications', ['listing_id'], unique=True, postgresql_where="state = 'pending'")
    op.create_table('webhook_deliveries',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('message_id', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('endpoint_id', sa.Uuid(), nullable=False),
    sa.Column('event_type', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('payload', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('state', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('give_up_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('delivered_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_status', sa.Integer(), nullable=True),
    sa.Column('last_error', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('replay_of', sa.Uuid(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint("state IN ('pending', 'delivered', 'failed')", name=op.f('ck_webhook_deliveries_state')),
    sa.ForeignKeyConstraint(['endpoint_id'], ['webhook_endpoints.id'], name=op.f('fk_webhook_deliveries_endpoint_id_webhook_endpoints')),
    sa.ForeignKeyConstraint(['replay_of'], ['webhook_deliveries.id'], name=op.f('fk_webhook_deliveries_replay_of_webhook_deliveries')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_webhook_deliveries'))
    )
    op.create_index('ix_webhook_deliveries_due', 'webhook_deliveries', ['next_attempt_at'], unique=False, postgresql_where="state = 'pending'")
    op.create_index(op.f('ix_webhook_deliveries_endpoint_id'), 'webhook_deliveries', ['endpoint_id'], unique=False)
    op.create_index(op.f('ix_webhook_deliveries_message_id'), 'webhook_deliveries', ['message_id'], unique=False)
    op.create_table('webhook_attempts',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('delivery_id', sa.Uuid(), nullable=False),
    sa.Column('attempted_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('status_code', sa.Integer(), nullable=True),
    sa.Column('error', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('duration_ms', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['delivery_id'], ['webhook_deliveries.id'], name=op.f('fk_webhook_attempts_delivery_id_webhook_deliveries')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_webhook_attempts'))
    )
    op.create_index(op.f('ix_webhook_attempts_delivery_id'), 'webhook_attempts', ['delivery_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_webhook_attempts_delivery_id'), table_name='webhook_attempts')
    op.drop_table('webhook_attempts')
    op.drop_index(op.f('ix_webhook_deliveries_message_id'), table_name='webhook_deliveries')
    op.drop_index(op.f('ix_webhook_deliveries_endpoint_id'), table_name='webhook_deliveries')
    op.drop_index('ix_webhook_deliveries_due', table_name='webhook_deliveries', postgresql_where="state = 'pending'")
    op.drop_table('webhook_deliveries')
    op.drop_index('uq_removal_applications_pending_listing', table_name='removal_applications', postgresql_where="state = 'pending'")
    op.drop_index(op.f('ix_removal_applications_listing_id'), table_name='removal_applications')
    op.drop_index(op.f('ix_removal_applications_enterprise_uscc'), table_name='removal_applications')
    op.drop_table('removal_applications')
    op.drop_index(op.f('ix_measure_feedback_listing_id'), table_name='measure_feedback')
    op.drop_index(op.f('ix_measure_feedback_department_code'), table_name='measure_feedback')
    op.drop_table('measure_feedback')
    op.drop_index(op.f('ix_listing_changes_listing_id'), table_name='listing_changes')
    op.drop_index(op.f('ix_listing_changes_enterprise_uscc'), table_name='listing_changes')
    op.drop_table('listing_changes')
    op.drop_index('ix_hit_check_subjects_uscc_check_id', table_name='hit_check_subjects')
    op.drop_table('hit_check_subjects')
    op.drop_index(op.f('ix_webhook_endpoints_department_code'), table_name='webhook_endpoints')
    op.drop_table('webhook_endpoints')
    op.drop_index('uq_listings_open_enterprise', table_name='listings', postgresql_where="state IN ('proposed', 'noticed', 'awaiting_consent', 'listed')")
    op.drop_index('ix_listings_state_listed_seq', table_name='listings')
    op.drop_index('ix_listings_enterprise_uscc_listed_on', table_name='listings')
    op.drop_index(op.f('ix_listings_department_code'), table_name='listings')
    op.drop_table('listings')
    op.drop_index(op.f('ix_hit_checks_department_code'), table_name='hit_checks')
    op.drop_table('hit_checks')
    op.drop_table('releases')
    op.drop_table('measures')
    op.drop_table('feed_heads')
