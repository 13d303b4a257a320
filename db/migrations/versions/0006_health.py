"""API health: alert thresholds per tier, health sweeps and their results, alert deliveries

Also indexes the API call log by connection and time (the alert rules read a connection's latest
calls). Batch mode (env.py) keeps the index creation portable on SQLite.

Revision ID: 0006
Revises: 0005
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("api_calls", schema=None) as batch_op:
        batch_op.create_index("ix_api_calls_connection_id_created_at", ["connection_id", "created_at"], unique=False)

    op.create_table(
        "alert_thresholds",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tier_id", sa.Integer(), nullable=False),
        sa.Column("consecutive_failures", sa.Integer(), nullable=False),
        sa.Column("failure_rate", sa.Float(), nullable=False),
        sa.Column("window_minutes", sa.Integer(), nullable=False),
        sa.Column("min_calls", sa.Integer(), nullable=False),
        sa.Column("updated_by", sa.String(length=254), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("consecutive_failures >= 1", name=op.f("ck_alert_thresholds_consecutive_positive")),
        sa.CheckConstraint("failure_rate > 0 AND failure_rate <= 1", name=op.f("ck_alert_thresholds_rate_fraction")),
        sa.CheckConstraint("window_minutes >= 1", name=op.f("ck_alert_thresholds_window_positive")),
        sa.CheckConstraint("min_calls >= 1", name=op.f("ck_alert_thresholds_min_calls_positive")),
        sa.ForeignKeyConstraint(["tier_id"], ["tiers.id"], name=op.f("fk_alert_thresholds_tier_id_tiers"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alert_thresholds")),
        sa.UniqueConstraint("tier_id", name=op.f("uq_alert_thresholds_tier_id")),
    )

    op.create_table(
        "health_sweeps",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("actor", sa.String(length=254), nullable=False),
        sa.Column("service", sa.String(length=64), nullable=True),
        sa.Column("concurrency", sa.Integer(), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("passed", sa.Integer(), nullable=False),
        sa.Column("failed", sa.Integer(), nullable=False),
        sa.Column("duration_ms", sa.Float(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_health_sweeps")),
    )

    op.create_table(
        "health_sweep_results",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sweep_id", sa.Integer(), nullable=False),
        sa.Column("connection_id", sa.Integer(), nullable=False),
        sa.Column("ok", sa.Boolean(), nullable=False),
        sa.Column("category", sa.String(length=32), nullable=True),
        sa.Column("diagnosis", sa.Text(), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=True),
        sa.Column("duration_ms", sa.Float(), nullable=False),
        sa.Column("checked_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["connection_id"], ["connections.id"],
                                name=op.f("fk_health_sweep_results_connection_id_connections"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["sweep_id"], ["health_sweeps.id"],
                                name=op.f("fk_health_sweep_results_sweep_id_health_sweeps"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_health_sweep_results")),
    )
    with op.batch_alter_table("health_sweep_results", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_health_sweep_results_connection_id"), ["connection_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_health_sweep_results_sweep_id"), ["sweep_id"], unique=False)

    op.create_table(
        "alert_deliveries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("alert_id", sa.Integer(), nullable=False),
        sa.Column("event", sa.String(length=16), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("target", sa.String(length=300), nullable=False),
        sa.Column("ok", sa.Boolean(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("attempted_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("event IN ('raised', 'cleared')", name=op.f("ck_alert_deliveries_event_known")),
        sa.CheckConstraint("channel IN ('webhook', 'email')", name=op.f("ck_alert_deliveries_channel_known")),
        sa.ForeignKeyConstraint(["alert_id"], ["alerts.id"], name=op.f("fk_alert_deliveries_alert_id_alerts"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alert_deliveries")),
    )
    with op.batch_alter_table("alert_deliveries", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_alert_deliveries_alert_id"), ["alert_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("alert_deliveries", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_alert_deliveries_alert_id"))
    op.drop_table("alert_deliveries")
    with op.batch_alter_table("health_sweep_results", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_health_sweep_results_sweep_id"))
        batch_op.drop_index(batch_op.f("ix_health_sweep_results_connection_id"))
    op.drop_table("health_sweep_results")
    op.drop_table("health_sweeps")
    op.drop_table("alert_thresholds")
    with op.batch_alter_table("api_calls", schema=None) as batch_op:
        batch_op.drop_index("ix_api_calls_connection_id_created_at")
