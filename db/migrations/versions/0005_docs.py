"""integration guides

Adds guide_publications: who published an integration's guide and when (the text lives in
docs/integrations/<slug>.md; generated parts are merged at render time).

Revision ID: 0005
Revises: 0004
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "guide_publications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("integration_id", sa.Integer(), nullable=False),
        sa.Column("published_by", sa.String(length=254), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("written_sha256", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(["integration_id"], ["integrations.id"],
                                name=op.f("fk_guide_publications_integration_id_integrations"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_guide_publications")),
        sa.UniqueConstraint("integration_id", name=op.f("uq_guide_publications_integration_id")),
    )


def downgrade() -> None:
    op.drop_table("guide_publications")
