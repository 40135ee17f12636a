"""The first store schema: runs, datasets, landings, observed fields, profiles,
connector state, check results, findings, discrepancies, decisions, audit events.

Revision ID: 0001
Revises:
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def _id() -> sa.Column[int]:
    return sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True)


def _run_fk(name: str = "run_id", *, nullable: bool = False) -> sa.Column[int]:
    return sa.Column(name, sa.Integer(), sa.ForeignKey("runs.id"), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "runs",
        _id(),
        sa.Column("parent_id", sa.Integer(), sa.ForeignKey("runs.id"), nullable=True),
        sa.Column("stage", sa.String(40), nullable=False),
        sa.Column("workspace", sa.String(200), nullable=False),
        sa.Column("dataset", sa.String(200), nullable=True),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("started_at", TS, nullable=False),
        sa.Column("finished_at", TS, nullable=True),
        sa.Column("duration_ms", sa.BigInteger(), nullable=True),
        sa.Column("counts", sa.JSON(), nullable=False),
        sa.Column("message", sa.Text(), nullable=True),
    )
    op.create_index("ix_runs_parent_id", "runs", ["parent_id"])
    op.create_index("ix_runs_dataset", "runs", ["dataset"])
    op.create_table(
        "datasets",
        sa.Column("id", sa.String(200), primary_key=True),
        sa.Column("title", sa.String(500), nullable=True),
        sa.Column("system", sa.String(200), nullable=True),
        sa.Column("owner", sa.String(200), nullable=True),
        sa.Column("steward", sa.String(200), nullable=True),
        sa.Column("entity", sa.String(200), nullable=True),
        _run_fk("last_run_id", nullable=True),
        sa.Column("updated_at", TS, nullable=False),
    )
    op.create_table(
        "landings",
        _id(),
        _run_fk(),
        sa.Column("dataset", sa.String(200), nullable=False),
        sa.Column("read_count", sa.BigInteger(), nullable=False),
        sa.Column("landed_count", sa.BigInteger(), nullable=False),
        sa.Column("quarantined_count", sa.BigInteger(), nullable=False),
        sa.Column("path", sa.Text(), nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.CheckConstraint(
            "read_count = landed_count + quarantined_count", name="ck_landing_adds_up"
        ),
    )
    op.create_index("ix_landings_run_id", "landings", ["run_id"])
    op.create_index("ix_landings_dataset", "landings", ["dataset"])
    op.create_table(
        "observed_fields",
        _id(),
        _run_fk(),
        sa.Column("dataset", sa.String(200), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(300), nullable=False),
        sa.Column("physical_type", sa.String(200), nullable=False),
        sa.Column("logical_type", sa.String(100), nullable=True),
    )
    op.create_index("ix_observed_fields_run_id", "observed_fields", ["run_id"])
    op.create_index("ix_observed_fields_dataset", "observed_fields", ["dataset"])
    op.create_table(
        "profiles",
        _id(),
        _run_fk(),
        sa.Column("dataset", sa.String(200), nullable=False),
        sa.Column("field", sa.String(300), nullable=False),
        sa.Column("stats", sa.JSON(), nullable=False),
    )
    op.create_index("ix_profiles_run_id", "profiles", ["run_id"])
    op.create_index("ix_profiles_dataset", "profiles", ["dataset"])
    op.create_table(
        "connector_state",
        sa.Column("dataset", sa.String(200), primary_key=True),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("state", sa.JSON(), nullable=False),
        sa.Column("updated_at", TS, nullable=False),
    )
    op.create_table(
        "check_results",
        _id(),
        _run_fk(),
        sa.Column("seam", sa.String(200), nullable=False),
        sa.Column("rule", sa.String(300), nullable=False),
        sa.Column("attribute", sa.String(200), nullable=True),
        sa.Column("observed", sa.Float(), nullable=True),
        sa.Column("expected", sa.Text(), nullable=True),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("details", sa.JSON(), nullable=False),
    )
    op.create_index("ix_check_results_run_id", "check_results", ["run_id"])
    op.create_index("ix_check_results_seam", "check_results", ["seam"])
    op.create_table(
        "findings",
        _id(),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(60), nullable=False),
        sa.Column("subject", sa.String(300), nullable=False),
        sa.Column("severity", sa.String(20), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("evidence", sa.JSON(), nullable=False),
        sa.Column("owner", sa.String(200), nullable=True),
        _run_fk("first_run_id", nullable=True),
        _run_fk("last_run_id", nullable=True),
        sa.Column("first_seen", TS, nullable=False),
        sa.Column("last_seen", TS, nullable=False),
        sa.Column("times_seen", sa.Integer(), nullable=False),
        sa.UniqueConstraint("fingerprint", name="uq_finding_fingerprint"),
    )
    op.create_index("ix_findings_kind", "findings", ["kind"])
    op.create_table(
        "discrepancies",
        _id(),
        _run_fk(),
        sa.Column("entity_type", sa.String(100), nullable=False),
        sa.Column("entity_id", sa.String(100), nullable=False),
        sa.Column("attribute", sa.String(200), nullable=False),
        sa.Column("classification", sa.String(20), nullable=False),
        sa.Column("observed", sa.JSON(), nullable=False),
        sa.Column("chosen", sa.Text(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
    )
    op.create_index("ix_discrepancies_run_id", "discrepancies", ["run_id"])
    op.create_index("ix_discrepancies_entity_id", "discrepancies", ["entity_id"])
    op.create_table(
        "decisions",
        _id(),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("subject", sa.String(300), nullable=False),
        sa.Column("attribute", sa.String(200), nullable=True),
        sa.Column("value", sa.Text(), nullable=True),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
    )
    op.create_index("ix_decisions_subject", "decisions", ["subject"])
    op.create_table(
        "audit_events",
        _id(),
        sa.Column("at", TS, nullable=False),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("client", sa.String(200), nullable=True),
        sa.Column("action", sa.String(100), nullable=False),
        sa.Column("resource", sa.String(500), nullable=True),
        sa.Column("purpose", sa.String(200), nullable=True),
        sa.Column("outcome", sa.String(20), nullable=False),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.Column("prev_hash", sa.String(64), nullable=True),
        sa.Column("hash", sa.String(64), nullable=False),
    )
    op.create_index("ix_audit_events_at", "audit_events", ["at"])


def downgrade() -> None:
    for table in (
        "audit_events",
        "decisions",
        "discrepancies",
        "findings",
        "check_results",
        "connector_state",
        "profiles",
        "observed_fields",
        "landings",
        "datasets",
        "runs",
    ):
        op.drop_table(table)
