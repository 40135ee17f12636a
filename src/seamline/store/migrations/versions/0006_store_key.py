"""The store's personal columns may be encrypted: which key seals them, and room for it.

``store_key`` names the data key that seals the sealed columns (no row: in clear).
A sealed value is longer than the value in clear, so ``decisions.subject`` and
``audit_events.resource`` become ``text`` on PostgreSQL (a change of the catalogue only,
no rewrite of the table); SQLite does not enforce a ``VARCHAR`` length, and its tables
are left as they are rather than copied whole.

Revision ID: 0006_store_key
Revises: 0005d
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_store_key"
down_revision = "0005d"
branch_labels = None
depends_on = None

WIDENED = (("decisions", "subject", 300), ("audit_events", "resource", 500))


def upgrade() -> None:
    op.create_table(
        "store_key",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("key_id", sa.String(64), nullable=False),
        sa.Column("sealed_at", sa.DateTime(timezone=True), nullable=False),
    )
    if op.get_bind().dialect.name != "sqlite":
        for table, column, length in WIDENED:
            op.alter_column(table, column, type_=sa.Text(), existing_type=sa.String(length))


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        for table, column, length in WIDENED:
            op.alter_column(table, column, type_=sa.String(length), existing_type=sa.Text())
    op.drop_table("store_key")
