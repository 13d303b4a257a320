"""Shared pacing budget: pacing_windows (issue 16; written on PostgreSQL only)

Revision ID: 0010
Revises: 0009
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "pacing_windows",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("service", sa.String(length=64), nullable=False),
        sa.Column("account_key", sa.String(length=300), nullable=False),
        sa.Column("limit_index", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("capacity", sa.Integer(), nullable=False),
        sa.Column("per_seconds", sa.Float(), nullable=True),
        sa.Column("times", sa.JSON().with_variant(postgresql.ARRAY(sa.Float(precision=53)), "postgresql"),
                  nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pacing_windows")),
        sa.UniqueConstraint("service", "account_key", "limit_index",
                            name=op.f("uq_pacing_windows_service_account_key_limit_index")),
    )


def downgrade() -> None:
    op.drop_table("pacing_windows")
