"""automation: the outbox becomes a queue; rules, their versions, matches and execution log

The outbox gains ``depth`` (the rule engine's loop guard) and ``dispatched_at`` with a partial
index over undispatched events (the queue workers claim from). Events written before this
revision had no consumer, so they are marked dispatched rather than replayed.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23 14:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import accord.db.types

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "outbox", sa.Column("depth", sa.SmallInteger(), server_default="0", nullable=False)
    )
    op.add_column(
        "outbox", sa.Column("dispatched_at", accord.db.types.UTCDateTime(), nullable=True)
    )
    op.execute("UPDATE outbox SET dispatched_at = at")
    op.create_index(
        "ix_outbox_pending",
        "outbox",
        ["id"],
        unique=False,
        sqlite_where=sa.text("dispatched_at IS NULL"),
        postgresql_where=sa.text("dispatched_at IS NULL"),
    )
    op.create_table(
        "automation_rules",
        sa.Column("id", accord.db.types.IdType(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("object_name", sa.String(length=63), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("trigger", accord.db.types.JSONType(), nullable=False),
        sa.Column("condition", accord.db.types.JSONType(), nullable=True),
        sa.Column("actions", accord.db.types.JSONType(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", accord.db.types.UTCDateTime(), nullable=False),
        sa.Column("created_by", accord.db.types.IdType(), nullable=True),
        sa.Column("updated_at", accord.db.types.UTCDateTime(), nullable=False),
        sa.Column("updated_by", accord.db.types.IdType(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_automation_rules")),
        sa.UniqueConstraint("name", name=op.f("uq_automation_rules_name")),
    )
    op.create_index(
        "ix_automation_rules_object", "automation_rules", ["object_name", "enabled"], unique=False
    )
    op.create_table(
        "automation_rule_versions",
        sa.Column("rule_id", accord.db.types.IdType(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("definition", accord.db.types.JSONType(), nullable=False),
        sa.Column("saved_at", accord.db.types.UTCDateTime(), nullable=False),
        sa.Column("saved_by", accord.db.types.IdType(), nullable=True),
        sa.PrimaryKeyConstraint("rule_id", "version", name=op.f("pk_automation_rule_versions")),
    )
    op.create_table(
        "automation_matches",
        sa.Column("rule_id", accord.db.types.IdType(), nullable=False),
        sa.Column("record_id", accord.db.types.IdType(), nullable=False),
        sa.Column("occurrence", sa.String(length=10), nullable=False),
        sa.Column("matched_at", accord.db.types.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint(
            "rule_id", "record_id", "occurrence", name=op.f("pk_automation_matches")
        ),
    )
    op.create_table(
        "automation_scans",
        sa.Column("rule_id", accord.db.types.IdType(), nullable=False),
        sa.Column("scanned_at", accord.db.types.UTCDateTime(), nullable=False),
        sa.Column("matched", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("rule_id", name=op.f("pk_automation_scans")),
    )
    op.create_table(
        "automation_runs",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("rule_id", accord.db.types.IdType(), nullable=False),
        sa.Column("rule_version", sa.Integer(), nullable=False),
        sa.Column("object_name", sa.String(length=63), nullable=False),
        sa.Column("record_id", accord.db.types.IdType(), nullable=True),
        sa.Column("event_id", sa.BigInteger(), nullable=True),
        sa.Column("at", accord.db.types.UTCDateTime(), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("duration_ms", sa.Integer(), nullable=False),
        sa.Column("detail", accord.db.types.JSONType(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_automation_runs")),
    )
    op.create_index("ix_automation_runs_rule", "automation_runs", ["rule_id", "id"], unique=False)
    op.create_index(
        "ix_automation_runs_record", "automation_runs", ["record_id", "id"], unique=False
    )
    op.create_table(
        "automation_counters",
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("value", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_automation_counters")),
    )


def downgrade() -> None:
    op.drop_table("automation_counters")
    op.drop_index("ix_automation_runs_record", table_name="automation_runs")
    op.drop_index("ix_automation_runs_rule", table_name="automation_runs")
    op.drop_table("automation_runs")
    op.drop_table("automation_scans")
    op.drop_table("automation_matches")
    op.drop_table("automation_rule_versions")
    op.drop_index("ix_automation_rules_object", table_name="automation_rules")
    op.drop_table("automation_rules")
    op.drop_index("ix_outbox_pending", table_name="outbox")
    with op.batch_alter_table("outbox") as batch:
        batch.drop_column("dispatched_at")
        batch.drop_column("depth")
