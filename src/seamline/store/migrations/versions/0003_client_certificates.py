"""Exchange API: a client may be identified by its TLS certificate's SHA-256 fingerprint.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("api_clients") as batch:
        batch.add_column(sa.Column("cert_fingerprint", sa.String(64), nullable=True))
        batch.create_unique_constraint("uq_api_clients_cert_fingerprint", ["cert_fingerprint"])


def downgrade() -> None:
    with op.batch_alter_table("api_clients") as batch:
        batch.drop_constraint("uq_api_clients_cert_fingerprint", type_="unique")
        batch.drop_column("cert_fingerprint")
