"""build tracker

Adds the integration's owner and target date, the checklist and status history, and the
findings of the existing-integration review. Items already done get one history event each (at
their last update) so the burn-up chart starts from what is known.

Revision ID: 0003
Revises: 0002
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("integrations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("owner", sa.String(length=254), nullable=True))
        batch_op.add_column(sa.Column("target_date", sa.Date(), nullable=True))

    op.create_table(
        "checklist_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("integration_id", sa.Integer(), nullable=False),
        sa.Column("item_key", sa.String(length=120), nullable=False),
        sa.Column("from_state", sa.String(length=16), nullable=True),
        sa.Column("to_state", sa.String(length=16), nullable=False),
        sa.Column("actor", sa.String(length=254), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("link", sa.String(length=500), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["integration_id"], ["integrations.id"],
                                name=op.f("fk_checklist_events_integration_id_integrations"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_checklist_events")),
    )
    with op.batch_alter_table("checklist_events", schema=None) as batch_op:
        batch_op.create_index("ix_checklist_events_integration_id_created_at", ["integration_id", "created_at"],
                              unique=False)

    op.create_table(
        "status_changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("integration_id", sa.Integer(), nullable=False),
        sa.Column("from_status", sa.String(length=16), nullable=False),
        sa.Column("to_status", sa.String(length=16), nullable=False),
        sa.Column("actor", sa.String(length=254), nullable=False),
        sa.Column("override_reason", sa.Text(), nullable=True),
        sa.Column("skipped", sa.JSON(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["integration_id"], ["integrations.id"],
                                name=op.f("fk_status_changes_integration_id_integrations"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_status_changes")),
    )
    with op.batch_alter_table("status_changes", schema=None) as batch_op:
        batch_op.create_index("ix_status_changes_integration_id_created_at", ["integration_id", "created_at"],
                              unique=False)

    op.create_table(
        "review_findings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("integration_id", sa.Integer(), nullable=False),
        sa.Column("severity", sa.String(length=16), nullable=False),
        sa.Column("finding", sa.Text(), nullable=False),
        sa.Column("link", sa.String(length=500), nullable=True),
        sa.Column("created_by", sa.String(length=254), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("resolved_by", sa.String(length=254), nullable=True),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("severity IN ('low', 'medium', 'high', 'critical')",
                           name=op.f("ck_review_findings_severity_known")),
        sa.ForeignKeyConstraint(["integration_id"], ["integrations.id"],
                                name=op.f("fk_review_findings_integration_id_integrations"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_review_findings")),
    )
    with op.batch_alter_table("review_findings", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_review_findings_integration_id"), ["integration_id"], unique=False)

    # History for items done before this revision (a fresh database has none).
    op.execute(
        "INSERT INTO checklist_events (integration_id, item_key, from_state, to_state, actor, created_at) "
        "SELECT integration_id, key, 'todo', 'done', COALESCE(updated_by, 'system'), updated_at "
        "FROM checklist_items WHERE state = 'done' AND updated_at IS NOT NULL"
    )


def downgrade() -> None:
    with op.batch_alter_table("review_findings", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_review_findings_integration_id"))
    op.drop_table("review_findings")
    with op.batch_alter_table("status_changes", schema=None) as batch_op:
        batch_op.drop_index("ix_status_changes_integration_id_created_at")
    op.drop_table("status_changes")
    with op.batch_alter_table("checklist_events", schema=None) as batch_op:
        batch_op.drop_index("ix_checklist_events_integration_id_created_at")
    op.drop_table("checklist_events")
    with op.batch_alter_table("integrations", schema=None) as batch_op:
        batch_op.drop_column("target_date")
        batch_op.drop_column("owner")
