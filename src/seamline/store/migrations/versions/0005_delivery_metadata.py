"""Deliveries keep what the reader chose or did beyond the rows (encoding, dead letters).

Revision ID: 0005d
Revises: 0005_approvals
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005d"
down_revision = "0005_approvals"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("deliveries") as batch:
        batch.add_column(sa.Column("source_metadata", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("deliveries") as batch:
        batch.drop_column("source_metadata")
