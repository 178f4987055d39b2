"""indexes for scoped result reads and entity event history

Revision ID: bef2be707728
Revises: 559cb3d07708
Create Date: 2026-11-21 15:06:24.670175+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision: str = 'bef2be707728'
down_revision: str | None = '559cb3d07708'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index('ix_events_entity', 'events', ['entity_type', 'entity_id'], unique=False)
    op.drop_index(op.f('ix_results_published_on'), table_name='results')
    op.create_index('ix_results_agency_id', 'results', ['agency_id'], unique=False)
    op.create_index('ix_results_organiser_code', 'results', ['organiser_code'], unique=False)
    op.create_index('ix_results_published_on_id', 'results', ['published_on', 'id'], unique=False)
    op.create_index('ix_results_region_code', 'results', ['region_code'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_results_region_code', table_name='results')
    op.drop_index('ix_results_published_on_id', table_name='results')
    op.drop_index('ix_results_organiser_code', table_name='results')
    op.drop_index('ix_results_agency_id', table_name='results')
    op.create_index(op.f('ix_results_published_on'), 'results', ['published_on'], unique=False)
    op.drop_index('ix_events_entity', table_name='events')
