"""Webhook deliveries: claimed_at (a sender's lease, apart from finished_at); app-level rejections

webhook_rejections.connection_id becomes nullable and app_id is added: a failed verification on a
provider app's URL (HubSpot's /hooks/hubspot/apps/<app id>) has no connection but is still shown.

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
    with op.batch_alter_table("webhook_rejections") as batch:
        batch.alter_column("connection_id", existing_type=sa.Integer(), nullable=True)
        batch.add_column(sa.Column("app_id", sa.String(length=64), nullable=True))


def downgrade() -> None:
    op.execute("DELETE FROM webhook_rejections WHERE connection_id IS NULL")
    with op.batch_alter_table("webhook_rejections") as batch:
        batch.drop_column("app_id")
        batch.alter_column("connection_id", existing_type=sa.Integer(), nullable=False)
    op.execute("UPDATE webhook_deliveries SET finished_at = claimed_at WHERE status = 'sending'")
    with op.batch_alter_table("webhook_deliveries") as batch:
        batch.drop_column("claimed_at")
