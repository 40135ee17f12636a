"""Deliveries: each run's landing of a dataset is kept with its id; runs record their process.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "deliveries",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("dataset", sa.String(200), nullable=False, index=True),
        sa.Column("run_id", sa.Integer(), sa.ForeignKey("runs.id"), nullable=True, index=True),
        sa.Column("mode", sa.String(20), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("read_count", sa.BigInteger(), nullable=False),
        sa.Column("landed_count", sa.BigInteger(), nullable=False),
        sa.Column("quarantined_count", sa.BigInteger(), nullable=False),
        sa.Column("first_record_no", sa.BigInteger(), nullable=False),
        sa.Column("in_state", sa.Boolean(), nullable=False),
        sa.Column("kept", sa.Boolean(), nullable=False),
        sa.Column("path", sa.Text(), nullable=True),
        sa.Column("quarantine_path", sa.Text(), nullable=True),
        sa.Column("started_at", TS, nullable=False),
        sa.Column("finished_at", TS, nullable=True),
        sa.Column("message", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "read_count = landed_count + quarantined_count", name="ck_delivery_adds_up"
        ),
    )
    with op.batch_alter_table("runs") as batch:
        batch.add_column(sa.Column("pid", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("host", sa.String(255), nullable=True))
        batch.add_column(sa.Column("process_started", sa.Float(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("runs") as batch:
        batch.drop_column("process_started")
        batch.drop_column("host")
        batch.drop_column("pid")
    op.drop_table("deliveries")
