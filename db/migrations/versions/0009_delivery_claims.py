"""Webhook deliveries: claimed_at, the time a sender claimed a row (its lease), apart from finished_at

Revision ID: 0009
Revises: 0008
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("webhook_deliveries") as batch:
        batch.add_column(sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True))
    # Rows being sent right now keep their lease: before this column their claim time was in finished_at.
    op.execute("UPDATE webhook_deliveries SET claimed_at = finished_at, finished_at = NULL WHERE status = 'sending'")


def downgrade() -> None:
    op.execute("UPDATE webhook_deliveries SET finished_at = claimed_at WHERE status = 'sending'")
    with op.batch_alter_table("webhook_deliveries") as batch:
        batch.drop_column("claimed_at")
