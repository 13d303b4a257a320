"""credentials vault and connections

Adds the credential columns of connections and oauth_states (foundation tables) and the
webhook_secrets table. Batch mode (env.py) rebuilds the tables on SQLite.

Revision ID: 0004
Revises: 0003
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("connections", schema=None) as batch_op:
        batch_op.add_column(sa.Column("created_by", sa.String(length=254), nullable=True))
        batch_op.add_column(sa.Column("base_url", sa.String(length=500), nullable=True))
        batch_op.add_column(sa.Column("provider_metadata", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("secret_hint", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("sandbox", sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column("last_refreshed_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("last_error", sa.Text(), nullable=True))

    with op.batch_alter_table("oauth_states", schema=None) as batch_op:
        batch_op.add_column(sa.Column("redirect_uri", sa.String(length=500), nullable=True))
        batch_op.add_column(sa.Column("connection_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("sandbox", sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.create_foreign_key(batch_op.f("fk_oauth_states_connection_id_connections"), "connections",
                                    ["connection_id"], ["id"], ondelete="CASCADE")

    op.create_table(
        "webhook_secrets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("connection_id", sa.Integer(), nullable=False),
        sa.Column("secret_blob", sa.LargeBinary(), nullable=True),
        sa.Column("key_id", sa.String(length=64), nullable=True),
        sa.Column("hint", sa.String(length=16), nullable=False),
        sa.Column("created_by", sa.String(length=254), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("retires_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["connection_id"], ["connections.id"],
                                name=op.f("fk_webhook_secrets_connection_id_connections"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_secrets")),
    )
    with op.batch_alter_table("webhook_secrets", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_webhook_secrets_connection_id"), ["connection_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("webhook_secrets", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_webhook_secrets_connection_id"))
    op.drop_table("webhook_secrets")

    with op.batch_alter_table("oauth_states", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_oauth_states_connection_id_connections"), type_="foreignkey")
        batch_op.drop_column("sandbox")
        batch_op.drop_column("connection_id")
        batch_op.drop_column("redirect_uri")

    with op.batch_alter_table("connections", schema=None) as batch_op:
        batch_op.drop_column("last_error")
        batch_op.drop_column("last_refreshed_at")
        batch_op.drop_column("sandbox")
        batch_op.drop_column("secret_hint")
        batch_op.drop_column("provider_metadata")
        batch_op.drop_column("base_url")
        batch_op.drop_column("created_by")
