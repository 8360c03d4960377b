"""workflow: approval flows, their versions, instances, tasks and trail; record locks; heads

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-23 18:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import accord.db.types

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

_BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_Id = accord.db.types.IdType
_At = accord.db.types.UTCDateTime
_Json = accord.db.types.JSONType


def upgrade() -> None:
    with op.batch_alter_table("departments") as batch:
        batch.add_column(sa.Column("head_id", _Id(), nullable=True))
    op.create_table(
        "record_locks",
        sa.Column("object_name", sa.String(length=63), nullable=False),
        sa.Column("record_id", _Id(), nullable=False),
        sa.Column("holder", sa.String(length=100), nullable=False),
        sa.Column("editors", _Json(), nullable=False),
        sa.Column("fields", _Json(), nullable=False),
        sa.Column("locked_at", _At(), nullable=False),
        sa.PrimaryKeyConstraint("object_name", "record_id", name=op.f("pk_record_locks")),
    )
    op.create_table(
        "approval_flows",
        sa.Column("id", _Id(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("object_name", sa.String(length=63), nullable=False),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("definition", _Json(), nullable=False),
        sa.Column("created_at", _At(), nullable=False),
        sa.Column("created_by", _Id(), nullable=True),
        sa.Column("updated_at", _At(), nullable=False),
        sa.Column("updated_by", _Id(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_approval_flows")),
        sa.UniqueConstraint("name", name=op.f("uq_approval_flows_name")),
    )
    op.create_index(
        "ix_approval_flows_object", "approval_flows", ["object_name", "enabled", "priority"]
    )
    op.create_table(
        "approval_flow_versions",
        sa.Column("flow_id", _Id(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("definition", _Json(), nullable=False),
        sa.Column("saved_at", _At(), nullable=False),
        sa.Column("saved_by", _Id(), nullable=True),
        sa.PrimaryKeyConstraint("flow_id", "version", name=op.f("pk_approval_flow_versions")),
    )
    op.create_table(
        "approval_instances",
        sa.Column("id", _Id(), nullable=False),
        sa.Column("flow_id", _Id(), nullable=False),
        sa.Column("flow_version", sa.Integer(), nullable=False),
        sa.Column("object_name", sa.String(length=63), nullable=False),
        sa.Column("record_id", _Id(), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("submitter_id", _Id(), nullable=False),
        sa.Column("submitted_at", _At(), nullable=False),
        sa.Column("finished_at", _At(), nullable=True),
        sa.Column("round", sa.Integer(), nullable=False),
        sa.Column("state", _Json(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("updated_at", _At(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_approval_instances")),
    )
    op.create_index(
        "ix_approval_instances_record",
        "approval_instances",
        ["object_name", "record_id", "submitted_at"],
    )
    op.create_index(
        "ix_approval_instances_submitter", "approval_instances", ["submitter_id", "submitted_at"]
    )
    op.create_table(
        "approval_tasks",
        sa.Column("id", _Id(), nullable=False),
        sa.Column("instance_id", _Id(), nullable=False),
        sa.Column("node_id", sa.String(length=63), nullable=False),
        sa.Column("round", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("assignee_id", _Id(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("parent_id", _Id(), nullable=True),
        sa.Column("position", sa.String(length=8), nullable=True),
        sa.Column("created_at", _At(), nullable=False),
        sa.Column("activated_at", _At(), nullable=True),
        sa.Column("acted_at", _At(), nullable=True),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("remind_at", _At(), nullable=True),
        sa.Column("timeout_at", _At(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_approval_tasks")),
    )
    op.create_index(
        "ix_approval_tasks_assignee", "approval_tasks", ["assignee_id", "status", "created_at"]
    )
    op.create_index("ix_approval_tasks_instance", "approval_tasks", ["instance_id", "node_id"])
    op.create_index("ix_approval_tasks_remind", "approval_tasks", ["remind_at"])
    op.create_index("ix_approval_tasks_timeout", "approval_tasks", ["timeout_at"])
    op.create_table(
        "approval_steps",
        sa.Column("id", _BigId, autoincrement=True, nullable=False),
        sa.Column("instance_id", _Id(), nullable=False),
        sa.Column("task_id", _Id(), nullable=True),
        sa.Column("node_id", sa.String(length=63), nullable=True),
        sa.Column("actor_id", _Id(), nullable=True),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("attachments", _Json(), nullable=True),
        sa.Column("at", _At(), nullable=False),
        sa.Column("waited_ms", _BigId, nullable=True),
        sa.Column("detail", _Json(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_approval_steps")),
    )
    op.create_index("ix_approval_steps_instance", "approval_steps", ["instance_id", "id"])
    op.create_index("ix_approval_steps_actor", "approval_steps", ["actor_id", "at"])


def downgrade() -> None:
    for table in (
        "approval_steps",
        "approval_tasks",
        "approval_instances",
        "approval_flow_versions",
        "approval_flows",
        "record_locks",
    ):
        op.drop_table(table)
    with op.batch_alter_table("departments") as batch:
        batch.drop_column("head_id")
