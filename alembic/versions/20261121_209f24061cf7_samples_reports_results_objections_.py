"""samples, reports, results, objections, rectification, events, calendar

Revision ID: 209f24061cf7
Revises: a3163d07cacc
Create Date: 2026-11-21 13:38:37.115403+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = '209f24061cf7'
down_revision: str | None = 'a3163d07cacc'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('calendar_overrides',
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('is_working_day', sa.Boolean(), nullable=False),
    sa.Column('note', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.PrimaryKeyConstraint('day', name=op.f('pk_calendar_overrides'))
    )
    op.create_table('calendar_years',
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('source', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.PrimaryKeyConstraint('year', name=op.f('pk_calendar_years'))
    )
    op.create_table('events',
    sa.Column('seq', sa.BigInteger(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('type', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('entity_type', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('entity_id', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('enterprise_uscc', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('payload', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.PrimaryKeyConstraint('seq', name=op.f('pk_events'))
    )
    op.create_index(op.f('ix_events_enterprise_uscc'), 'events', ['enterprise_uscc'], unique=False)
    op.create_index('ix_events_type_seq', 'events', ['type', 'seq'], unique=False)
    op.create_table('refusals',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('task_id', sa.Uuid(), nullable=False),
    sa.Column('agency_id', sa.Uuid(), nullable=False),
    sa.Column('enterprise_uscc', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('refused_on', sa.Date(), nullable=False),
    sa.Column('reason', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('evidence', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('sampler_ids', sa.ARRAY(sa.Uuid()), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint('cardinality(sampler_ids) >= 2', name=op.f('ck_refusals_two_samplers')),
    sa.ForeignKeyConstraint(['agency_id'], ['testing_agencies.id'], name=op.f('fk_refusals_agency_id_testing_agencies')),
    sa.ForeignKeyConstraint(['enterprise_uscc'], ['enterprises.uscc'], name=op.f('fk_refusals_enterprise_uscc_enterprises')),
    sa.ForeignKeyConstraint(['task_id'], ['sampling_tasks.id'], name=op.f('fk_refusals_task_id_sampling_tasks')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_refusals')),
    sa.UniqueConstraint('task_id', name=op.f('uq_refusals_task_id'))
    )
    op.create_index(op.f('ix_refusals_enterprise_uscc'), 'refusals', ['enterprise_uscc'], unique=False)
    op.create_table('samples',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('task_id', sa.Uuid(), nullable=False),
    sa.Column('agency_id', sa.Uuid(), nullable=False),
    sa.Column('sampling_id', sa.Uuid(), nullable=False),
    sa.Column('sample_number', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('sampled_on', sa.Date(), nullable=False),
    sa.Column('place_type', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('place_name', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('batch_number', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('production_date', sa.Date(), nullable=True),
    sa.Column('quantity_unit', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('inspection_quantity', sa.Integer(), nullable=False),
    sa.Column('backup_quantity', sa.Integer(), nullable=False),
    sa.Column('backup_holder', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('sampler_ids', sa.ARRAY(sa.Uuid()), nullable=False),
    sa.Column('e_commerce', postgresql.JSONB(astext_type=sa.Text()), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint("place_type <> 'e_commerce' OR e_commerce IS NOT NULL", name=op.f('ck_samples_e_commerce_evidence')),
    sa.CheckConstraint("place_type IN ('production', 'circulation', 'e_commerce')", name=op.f('ck_samples_place_type')),
    sa.CheckConstraint('cardinality(sampler_ids) >= 2', name=op.f('ck_samples_two_samplers')),
    sa.CheckConstraint('inspection_quantity > 0 AND backup_quantity > 0', name=op.f('ck_samples_quantities')),
    sa.ForeignKeyConstraint(['agency_id'], ['testing_agencies.id'], name=op.f('fk_samples_agency_id_testing_agencies')),
    sa.ForeignKeyConstraint(['sampling_id'], ['samplings.id'], name=op.f('fk_samples_sampling_id_samplings')),
    sa.ForeignKeyConstraint(['task_id'], ['sampling_tasks.id'], name=op.f('fk_samples_task_id_sampling_tasks')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_samples')),
    sa.UniqueConstraint('agency_id', 'sample_number', name=op.f('uq_samples_agency_id_sample_number')),
    sa.UniqueConstraint('sampling_id', name=op.f('uq_samples_sampling_id')),
    sa.UniqueConstraint('task_id', name=op.f('uq_samples_task_id'))
    )
    op.create_index(op.f('ix_samples_agency_id'), 'samples', ['agency_id'], unique=False)
    op.create_table('test_reports',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('agency_id', sa.Uuid(), nullable=False),
    sa.Column('report_number', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('sample_id', sa.Uuid(), nullable=False),
    sa.Column('issued_on', sa.Date(), nullable=False),
    sa.Column('verdict', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('items', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('document_sha256', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('content_digest', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint("kind IN ('original', 'retest')", name=op.f('ck_test_reports_kind')),
    sa.CheckConstraint("verdict IN ('conforming', 'nonconforming')", name=op.f('ck_test_reports_verdict')),
    sa.ForeignKeyConstraint(['agency_id'], ['testing_agencies.id'], name=op.f('fk_test_reports_agency_id_testing_agencies')),
    sa.ForeignKeyConstraint(['sample_id'], ['samples.id'], name=op.f('fk_test_reports_sample_id_samples')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_test_reports')),
    sa.UniqueConstraint('agency_id', 'report_number', name=op.f('uq_test_reports_agency_id_report_number'))
    )
    op.create_index(op.f('ix_test_reports_sample_id'), 'test_reports', ['sample_id'], unique=False)
    op.create_table('results',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('sample_id', sa.Uuid(), nullable=False),
    sa.Column('task_id', sa.Uuid(), nullable=False),
    sa.Column('plan_id', sa.Uuid(), nullable=False),
    sa.Column('product_id', sa.Uuid(), nullable=False),
    sa.Column('enterprise_uscc', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('organiser_code', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('plan_level', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('plan_kind', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('category_code', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('region_code', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('place_type', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('enterprise_size', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('agency_id', sa.Uuid(), nullable=False),
    sa.Column('sampled_on', sa.Date(), nullable=False),
    sa.Column('original_report_id', sa.Uuid(), nullable=False),
    sa.Column('report_id', sa.Uuid(), nullable=False),
    sa.Column('verdict', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('state', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('notified_on', sa.Date(), nullable=False),
    sa.Column('objection_window_ends_on', sa.Date(), nullable=False),
    sa.Column('final_on', sa.Date(), nullable=True),
    sa.Column('published_on', sa.Date(), nullable=True),
    sa.Column('fee_bearer', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint("fee_bearer IS NULL OR fee_bearer IN ('applicant', 'organiser')", name=op.f('ck_results_fee_bearer')),
    sa.CheckConstraint("state <> 'final' OR final_on IS NOT NULL", name=op.f('ck_results_final_dated')),
    sa.CheckConstraint("state IN ('notified', 'objected', 'retesting', 'final')", name=op.f('ck_results_state')),
    sa.CheckConstraint("verdict IN ('conforming', 'nonconforming')", name=op.f('ck_results_verdict')),
    sa.ForeignKeyConstraint(['agency_id'], ['testing_agencies.id'], name=op.f('fk_results_agency_id_testing_agencies')),
    sa.ForeignKeyConstraint(['enterprise_uscc'], ['enterprises.uscc'], name=op.f('fk_results_enterprise_uscc_enterprises')),
    sa.ForeignKeyConstraint(['organiser_code'], ['departments.code'], name=op.f('fk_results_organiser_code_departments')),
    sa.ForeignKeyConstraint(['original_report_id'], ['test_reports.id'], name=op.f('fk_results_original_report_id_test_reports')),
    sa.ForeignKeyConstraint(['plan_id'], ['plans.id'], name=op.f('fk_results_plan_id_plans')),
    sa.ForeignKeyConstraint(['product_id'], ['products.id'], name=op.f('fk_results_product_id_products')),
    sa.ForeignKeyConstraint(['report_id'], ['test_reports.id'], name=op.f('fk_results_report_id_test_reports')),
    sa.ForeignKeyConstraint(['sample_id'], ['samples.id'], name=op.f('fk_results_sample_id_samples')),
    sa.ForeignKeyConstraint(['task_id'], ['sampling_tasks.id'], name=op.f('fk_results_task_id_sampling_tasks')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_results')),
    sa.UniqueConstraint('sample_id', name=op.f('uq_results_sample_id')),
    sa.UniqueConstraint('task_id', name=op.f('uq_results_task_id'))
    )
    op.create_index(op.f('ix_results_enterprise_uscc'), 'results', ['enterprise_uscc'], unique=False)
    op.create_index(op.f('ix_results_plan_id'), 'results', ['plan_id'], unique=False)
    op.create_index(op.f('ix_results_product_id'), 'results', ['product_id'], unique=False)
    op.create_index('ix_results_published_on', 'results', ['published_on'], unique=False)
    op.create_index('ix_results_state_window', 'results', ['state', 'objection_window_ends_on'], unique=False)
    op.create_table('objections',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('result_id', sa.Uuid(), nullable=False),
    sa.Column('enterprise_uscc', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('filed_on', sa.Date(), nullable=False),
    sa.Column('disputed_items', sa.ARRAY(sa.String()), nullable=False),
    sa.Column('reason', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('consents_to_same_agency', sa.Boolean(), nullable=False),
    sa.Column('state', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('decided_on', sa.Date(), nullable=True),
    sa.Column('decided_by', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('decision_reason', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint("state IN ('pending', 'retest_ordered', 'rejected')", name=op.f('ck_objections_state')),
    sa.ForeignKeyConstraint(['enterprise_uscc'], ['enterprises.uscc'], name=op.f('fk_objections_enterprise_uscc_enterprises')),
    sa.ForeignKeyConstraint(['result_id'], ['results.id'], name=op.f('fk_objections_result_id_results')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_objections')),
    sa.UniqueConstraint('result_id', name=op.f('uq_objections_result_id'))
    )
    op.create_index(op.f('ix_objections_enterprise_uscc'), 'objections', ['enterprise_uscc'], unique=False)
    op.create_table('rectifications',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('result_id', sa.Uuid(), nullable=False),
    sa.Column('enterprise_uscc', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('product_id', sa.Uuid(), nullable=False),
    sa.Column('organiser_code', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('state', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('ordered_on', sa.Date(), nullable=False),
    sa.Column('correction_due_on', sa.Date(), nullable=False),
    sa.Column('follow_up_due_on', sa.Date(), nullable=False),
    sa.Column('follow_up_task_id', sa.Uuid(), nullable=True),
    sa.Column('noticed_on', sa.Date(), nullable=True),
    sa.Column('notice_department_code', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('second_follow_up_from', sa.Date(), nullable=True),
    sa.Column('second_follow_up_until', sa.Date(), nullable=True),
    sa.Column('second_task_id', sa.Uuid(), nullable=True),
    sa.Column('suspended_on', sa.Date(), nullable=True),
    sa.Column('revocation_recommended_on', sa.Date(), nullable=True),
    sa.Column('closed_on', sa.Date(), nullable=True),
    sa.Column('overdue_reported', sa.ARRAY(sa.String()), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint("state IN ('ordered', 'follow_up', 'noticed', 'second_follow_up', 'suspended', 'revocation_recommended', 'closed')", name=op.f('ck_rectifications_state')),
    sa.ForeignKeyConstraint(['enterprise_uscc'], ['enterprises.uscc'], name=op.f('fk_rectifications_enterprise_uscc_enterprises')),
    sa.ForeignKeyConstraint(['follow_up_task_id'], ['sampling_tasks.id'], name=op.f('fk_rectifications_follow_up_task_id_sampling_tasks')),
    sa.ForeignKeyConstraint(['notice_department_code'], ['departments.code'], name=op.f('fk_rectifications_notice_department_code_departments')),
    sa.ForeignKeyConstraint(['organiser_code'], ['departments.code'], name=op.f('fk_rectifications_organiser_code_departments')),
    sa.ForeignKeyConstraint(['product_id'], ['products.id'], name=op.f('fk_rectifications_product_id_products')),
    sa.ForeignKeyConstraint(['result_id'], ['results.id'], name=op.f('fk_rectifications_result_id_results')),
    sa.ForeignKeyConstraint(['second_task_id'], ['sampling_tasks.id'], name=op.f('fk_rectifications_second_task_id_sampling_tasks')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_rectifications')),
    sa.UniqueConstraint('result_id', name=op.f('uq_rectifications_result_id'))
    )
    op.create_index(op.f('ix_rectifications_enterprise_uscc'), 'rectifications', ['enterprise_uscc'], unique=False)
    op.create_table('retests',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('objection_id', sa.Uuid(), nullable=False),
    sa.Column('result_id', sa.Uuid(), nullable=False),
    sa.Column('sample_id', sa.Uuid(), nullable=False),
    sa.Column('agency_id', sa.Uuid(), nullable=False),
    sa.Column('disputed_items', sa.ARRAY(sa.String()), nullable=False),
    sa.Column('state', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('report_id', sa.Uuid(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('reported_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("state IN ('assigned', 'reported')", name=op.f('ck_retests_state')),
    sa.ForeignKeyConstraint(['agency_id'], ['testing_agencies.id'], name=op.f('fk_retests_agency_id_testing_agencies')),
    sa.ForeignKeyConstraint(['objection_id'], ['objections.id'], name=op.f('fk_retests_objection_id_objections')),
    sa.ForeignKeyConstraint(['report_id'], ['test_reports.id'], name=op.f('fk_retests_report_id_test_reports')),
    sa.ForeignKeyConstraint(['result_id'], ['results.id'], name=op.f('fk_retests_result_id_results')),
    sa.ForeignKeyConstraint(['sample_id'], ['samples.id'], name=op.f('fk_retests_sample_id_samples')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_retests')),
    sa.UniqueConstraint('objection_id', name=op.f('uq_retests_objection_id')),
    sa.UniqueConstraint('report_id', name=op.f('uq_retests_report_id')),
    sa.UniqueConstraint('result_id', name=op.f('uq_retests_result_id'))
    )
    op.create_index(op.f('ix_retests_agency_id'), 'retests', ['agency_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_retests_agency_id'), table_name='retests')
    op.drop_table('retests')
    op.drop_index(op.f('ix_rectifications_enterprise_uscc'), table_name='rectifications')
    op.drop_table('rectifications')
    op.drop_index(op.f('ix_objections_enterprise_uscc'), table_name='objections')
    op.drop_table('objections')
    op.drop_index('ix_results_state_window', table_name='results')
    op.drop_index('ix_results_published_on', table_name='results')
    op.drop_index(op.f('ix_results_product_id'), table_name='results')
    op.drop_index(op.f('ix_results_plan_id'), table_name='results')
    op.drop_index(op.f('ix_results_enterprise_uscc'), table_name='results')
    op.drop_table('results')
    op.drop_index(op.f('ix_test_reports_sample_id'), table_name='test_reports')
    op.drop_table('test_reports')
    op.drop_index(op.f('ix_samples_agency_id'), table_name='samples')
    op.drop_table('samples')
    op.drop_index(op.f('ix_refusals_enterprise_uscc'), table_name='refusals')
    op.drop_table('refusals')
    op.drop_index('ix_events_type_seq', table_name='events')
    op.drop_index(op.f('ix_events_enterprise_uscc'), table_name='events')
    op.drop_table('events')
    op.drop_table('calendar_years')
    op.drop_table('calendar_overrides')
