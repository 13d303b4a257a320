"""Provider apps: the Hub's own app at a provider (HubSpot public app id + sealed developer API key)

Revision ID: 0008
Revises: 0007
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # A new table only: nothing existing changes, so older code keeps working against this schema.
    op.create_table(
        "provider_apps",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("integration_id", sa.Integer(), nullable=False),
        sa.Column("sandbox", sa.Boolean(), nullable=False),
        sa.Column("app_id", sa.String(length=64), nullable=False),
        sa.Column("secret_blob", sa.LargeBinary(), nullable=True),
        sa.Column("key_id", sa.String(length=64), nullable=True),
        sa.Column("hint", sa.String(length=16), nullable=False),
        sa.Column("updated_by", sa.String(length=254), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["integration_id"], ["integrations.id"],
                                name=op.f("fk_provider_apps_integration_id_integrations"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_provider_apps")),
        sa.UniqueConstraint("integration_id", "sandbox", name=op.f("uq_provider_apps_integration_id_sandbox")),
    )


def downgrade() -> None:
    op.drop_table("provider_apps")
