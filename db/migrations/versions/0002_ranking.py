"""ranking aggregates and settings

Revision ID: 0002
Revises: 0001
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('ranking_settings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('weights', sa.JSON(), nullable=False),
    sa.Column('high_tiers', sa.JSON(), nullable=False),
    sa.Column('top_upvotes', sa.Integer(), nullable=False),
    sa.Column('medium_upvotes', sa.Integer(), nullable=False),
    sa.Column('high_tier_min', sa.Integer(), nullable=False),
    sa.Column('created_by', sa.String(length=254), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ranking_settings')),
    sa.UniqueConstraint('version', name=op.f('uq_ranking_settings_version'))
    )
    op.create_table('integration_stats',
    sa.Column('integration_id', sa.Integer(), nullable=False),
    sa.Column('upvotes', sa.Integer(), nullable=False),
    sa.Column('organizations', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['integration_id'], ['integrations.id'], name=op.f('fk_integration_stats_integration_id_integrations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('integration_id', name=op.f('pk_integration_stats'))
    )
    op.create_table('integration_tier_stats',
    sa.Column('integration_id', sa.Integer(), nullable=False),
    sa.Column('tier_id', sa.Integer(), nullable=False),
    sa.Column('upvotes', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['integration_id'], ['integrations.id'], name=op.f('fk_integration_tier_stats_integration_id_integrations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tier_id'], ['tiers.id'], name=op.f('fk_integration_tier_stats_tier_id_tiers'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('integration_id', 'tier_id', name=op.f('pk_integration_tier_stats'))
    )
    op.create_table('integration_week_stats',
    sa.Column('integration_id', sa.Integer(), nullable=False),
    sa.Column('week', sa.Date(), nullable=False),
    sa.Column('upvotes', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['integration_id'], ['integrations.id'], name=op.f('fk_integration_week_stats_integration_id_integrations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('integration_id', 'week', name=op.f('pk_integration_week_stats'))
    )
    op.create_table('planning_decisions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('integration_id', sa.Integer(), nullable=False),
    sa.Column('rank', sa.Integer(), nullable=True),
    sa.Column('bucket', sa.String(length=8), nullable=False),
    sa.Column('score', sa.Float(), nullable=False),
    sa.Column('upvotes', sa.Integer(), nullable=False),
    sa.Column('settings_version', sa.Integer(), nullable=False),
    sa.Column('planned_by', sa.String(length=254), nullable=False),
    sa.Column('planned_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['integration_id'], ['integrations.id'], name=op.f('fk_planning_decisions_integration_id_integrations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_planning_decisions'))
    )
    with op.batch_alter_table('planning_decisions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_planning_decisions_integration_id'), ['integration_id'], unique=False)

    op.create_table('integration_org_stats',
    sa.Column('integration_id', sa.Integer(), nullable=False),
    sa.Column('organization_id', sa.Integer(), nullable=False),
    sa.Column('tier_id', sa.Integer(), nullable=False),
    sa.Column('upvotes', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['integration_id'], ['integrations.id'], name=op.f('fk_integration_org_stats_integration_id_integrations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['organization_id'], ['organizations.id'], name=op.f('fk_integration_org_stats_organization_id_organizations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tier_id'], ['tiers.id'], name=op.f('fk_integration_org_stats_tier_id_tiers'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('integration_id', 'organization_id', 'tier_id', name=op.f('pk_integration_org_stats'))
    )
    with op.batch_alter_table('integration_org_stats', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_integration_org_stats_organization_id'), ['organization_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('integration_org_stats', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_integration_org_stats_organization_id'))

    op.drop_table('integration_org_stats')
    with op.batch_alter_table('planning_decisions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_planning_decisions_integration_id'))

    op.drop_table('planning_decisions')
    op.drop_table('integration_week_stats')
    op.drop_table('integration_tier_stats')
    op.drop_table('integration_stats')
    op.drop_table('ranking_settings')
