"""directories, auth, audit and job runs

Revision ID: 3529429a99c0
Revises:
Create Date: 2026-11-21 13:12:56.471894+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '3529429a99c0'
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Trigram search on enterprise names; pg_trgm is a trusted extension (PostgreSQL 13+).
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    op.create_table('audit_head',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('seq', sa.BigInteger(), nullable=False),
    sa.Column('hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.CheckConstraint('id = 1', name=op.f('ck_audit_head_single_row')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_head'))
    )
    op.create_table('audit_log',
    sa.Column('seq', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('actor', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('action', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('entity_type', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('entity_id', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('state_digest', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('prev_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.PrimaryKeyConstraint('seq', name=op.f('pk_audit_log'))
    )
    op.create_table('job_runs',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('job_name', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('detail', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.CheckConstraint("status IN ('ok', 'failed', 'skipped')", name=op.f('ck_job_runs_status')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_job_runs'))
    )
    op.create_index(op.f('ix_job_runs_job_name'), 'job_runs', ['job_name'], unique=False)
    op.create_table('product_categories',
    sa.Column('code', sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('parent_code', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.CheckConstraint("code ~ '^([0-9]{2})+$'", name=op.f('ck_product_categories_code_format')),
    sa.ForeignKeyConstraint(['parent_code'], ['product_categories.code'], name=op.f('fk_product_categories_parent_code_product_categories')),
    sa.PrimaryKeyConstraint('code', name=op.f('pk_product_categories'))
    )
    op.create_index(op.f('ix_product_categories_parent_code'), 'product_categories', ['parent_code'], unique=False)
    op.create_table('regions',
    sa.Column('code', sqlmodel.sql.sqltypes.AutoString(length=6), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('level', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('parent_code', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('path', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.CheckConstraint("code ~ '^[0-9]{6}$'", name=op.f('ck_regions_code_format')),
    sa.CheckConstraint("level IN ('national', 'province', 'prefecture', 'county')", name=op.f('ck_regions_level')),
    sa.ForeignKeyConstraint(['parent_code'], ['regions.code'], name=op.f('fk_regions_parent_code_regions')),
    sa.PrimaryKeyConstraint('code', name=op.f('pk_regions'))
    )
    op.create_index(op.f('ix_regions_parent_code'), 'regions', ['parent_code'], unique=False)
    op.create_index(op.f('ix_regions_path'), 'regions', ['path'], unique=False)
    op.create_table('departments',
    sa.Column('code', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('level', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('region_code', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('is_market_regulator', sa.Boolean(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint("code ~ '^[a-z]+-[0-9]{6}$'", name=op.f('ck_departments_code_format')),
    sa.CheckConstraint("level IN ('national', 'provincial', 'municipal', 'county')", name=op.f('ck_departments_level')),
    sa.ForeignKeyConstraint(['region_code'], ['regions.code'], name=op.f('fk_departments_region_code_regions')),
    sa.PrimaryKeyConstraint('code', name=op.f('pk_departments'))
    )
    op.create_index(op.f('ix_departments_region_code'), 'departments', ['region_code'], unique=False)
    op.create_table('enterprises',
    sa.Column('uscc', sqlmodel.sql.sqltypes.AutoString(length=18), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('region_code', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('size', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('address', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('checksum_override_reason', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('deactivated_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint("size IN ('large', 'medium', 'small', 'micro')", name=op.f('ck_enterprises_size')),
    sa.ForeignKeyConstraint(['region_code'], ['regions.code'], name=op.f('fk_enterprises_region_code_regions')),
    sa.PrimaryKeyConstraint('uscc', name=op.f('pk_enterprises'))
    )
    op.create_index(op.f('ix_enterprises_region_code'), 'enterprises', ['region_code'], unique=False)
    op.create_index('ix_enterprises_name_trgm', 'enterprises', ['name'], unique=False, postgresql_using='gin', postgresql_ops={'name': 'gin_trgm_ops'})
    op.create_table('testing_agencies',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('uscc', sqlmodel.sql.sqltypes.AutoString(length=18), nullable=False),
    sa.Column('cma_number', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('cma_valid_from', sa.Date(), nullable=False),
    sa.Column('cma_valid_until', sa.Date(), nullable=False),
    sa.Column('cma_expired_on', sa.Date(), nullable=True),
    sa.Column('region_code', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('category_scope', sa.ARRAY(sa.String()), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('deactivated_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint('cma_valid_until >= cma_valid_from', name=op.f('ck_testing_agencies_cma_validity')),
    sa.ForeignKeyConstraint(['region_code'], ['regions.code'], name=op.f('fk_testing_agencies_region_code_regions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_testing_agencies')),
    sa.UniqueConstraint('cma_number', name=op.f('uq_testing_agencies_cma_number')),
    sa.UniqueConstraint('uscc', name=op.f('uq_testing_agencies_uscc'))
    )
    op.create_index(op.f('ix_testing_agencies_region_code'), 'testing_agencies', ['region_code'], unique=False)
    op.create_table('api_keys',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('key_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('role', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('department_code', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('enterprise_uscc', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('agency_id', sa.Uuid(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("(role <> 'regulator' AND role <> 'department') OR department_code IS NOT NULL", name=op.f('ck_api_keys_department_scope')),
    sa.CheckConstraint("role <> 'agency' OR agency_id IS NOT NULL", name=op.f('ck_api_keys_agency_scope')),
    sa.CheckConstraint("role <> 'enterprise' OR enterprise_uscc IS NOT NULL", name=op.f('ck_api_keys_uscc_scope')),
    sa.CheckConstraint("role IN ('admin', 'regulator', 'agency', 'enterprise', 'department')", name=op.f('ck_api_keys_role')),
    sa.ForeignKeyConstraint(['agency_id'], ['testing_agencies.id'], name=op.f('fk_api_keys_agency_id_testing_agencies')),
    sa.ForeignKeyConstraint(['department_code'], ['departments.code'], name=op.f('fk_api_keys_department_code_departments')),
    sa.ForeignKeyConstraint(['enterprise_uscc'], ['enterprises.uscc'], name=op.f('fk_api_keys_enterprise_uscc_enterprises')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_api_keys')),
    sa.UniqueConstraint('key_hash', name=op.f('uq_api_keys_key_hash'))
    )
    op.create_table('inspectors',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('department_code', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('certificate_number', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('specialities', sa.ARRAY(sa.String()), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('deactivated_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['department_code'], ['departments.code'], name=op.f('fk_inspectors_department_code_departments')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_inspectors')),
    sa.UniqueConstraint('certificate_number', name=op.f('uq_inspectors_certificate_number'))
    )
    op.create_index(op.f('ix_inspectors_department_code'), 'inspectors', ['department_code'], unique=False)
    op.create_table('products',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('enterprise_uscc', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('category_code', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('brand', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('model', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('standard', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('identity_key', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('deactivated_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['category_code'], ['product_categories.code'], name=op.f('fk_products_category_code_product_categories')),
    sa.ForeignKeyConstraint(['enterprise_uscc'], ['enterprises.uscc'], name=op.f('fk_products_enterprise_uscc_enterprises')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_products')),
    sa.UniqueConstraint('enterprise_uscc', 'identity_key', name=op.f('uq_products_enterprise_uscc_identity_key'))
    )
    op.create_index(op.f('ix_products_category_code'), 'products', ['category_code'], unique=False)
    op.create_index(op.f('ix_products_enterprise_uscc'), 'products', ['enterprise_uscc'], unique=False)
    op.create_table('inspector_conflicts',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('inspector_id', sa.Uuid(), nullable=False),
    sa.Column('enterprise_uscc', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('reason', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('declared_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['enterprise_uscc'], ['enterprises.uscc'], name=op.f('fk_inspector_conflicts_enterprise_uscc_enterprises')),
    sa.ForeignKeyConstraint(['inspector_id'], ['inspectors.id'], name=op.f('fk_inspector_conflicts_inspector_id_inspectors')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_inspector_conflicts')),
    sa.UniqueConstraint('inspector_id', 'enterprise_uscc', name=op.f('uq_inspector_conflicts_inspector_id_enterprise_uscc'))
    )
    op.create_index(op.f('ix_inspector_conflicts_enterprise_uscc'), 'inspector_conflicts', ['enterprise_uscc'], unique=False)
    op.create_index(op.f('ix_inspector_conflicts_inspector_id'), 'inspector_conflicts', ['inspector_id'], unique=False)
    # The chain starts from the all-zero genesis hash.
    op.execute("INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, repeat('0', 64))")


def downgrade() -> None:
    op.drop_index(op.f('ix_inspector_conflicts_inspector_id'), table_name='inspector_conflicts')
    op.drop_index(op.f('ix_inspector_conflicts_enterprise_uscc'), table_name='inspector_conflicts')
    op.drop_table('inspector_conflicts')
    op.drop_index(op.f('ix_products_enterprise_uscc'), table_name='products')
    op.drop_index(op.f('ix_products_category_code'), table_name='products')
    op.drop_table('products')
    op.drop_index(op.f('ix_inspectors_department_code'), table_name='inspectors')
    op.drop_table('inspectors')
    op.drop_table('api_keys')
    op.drop_index(op.f('ix_testing_agencies_region_code'), table_name='testing_agencies')
    op.drop_table('testing_agencies')
    op.drop_index(op.f('ix_enterprises_region_code'), table_name='enterprises')
    op.drop_table('enterprises')
    op.drop_index(op.f('ix_departments_region_code'), table_name='departments')
    op.drop_table('departments')
    op.drop_index(op.f('ix_regions_path'), table_name='regions')
    op.drop_index(op.f('ix_regions_parent_code'), table_name='regions')
    op.drop_table('regions')
    op.drop_index(op.f('ix_product_categories_parent_code'), table_name='product_categories')
    op.drop_table('product_categories')
    op.drop_index(op.f('ix_job_runs_job_name'), table_name='job_runs')
    op.drop_table('job_runs')
    op.drop_table('audit_log')
    op.drop_table('audit_head')
