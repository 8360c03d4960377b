"""initial system tables

Revision ID: 0001
Revises:
Create Date: 2026-11-23 11:50:51.494350
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import accord.db.types

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "autonumbers",
        sa.Column("object_name", sa.String(length=63), nullable=False),
        sa.Column("field_name", sa.String(length=63), nullable=False),
        sa.Column("period", sa.String(length=16), nullable=False),
        sa.Column("next_value", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("object_name", "field_name", "period", name=op.f("pk_autonumbers")),
    )
    op.create_table(
        "departments",
        sa.Column("id", accord.db.types.IdType(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("parent_id", accord.db.types.IdType(), nullable=True),
        sa.Column("created_at", accord.db.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["parent_id"], ["departments.id"], name=op.f("fk_departments_parent_id_departments")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_departments")),
    )
    op.create_table(
        "exchange_rates",
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("valid_from", sa.String(length=10), nullable=False),
        sa.Column("rate", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("currency", "valid_from", name=op.f("pk_exchange_rates")),
    )
    op.create_table(
        "job_schedules",
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("kind", sa.String(length=100), nullable=False),
        sa.Column("payload", accord.db.types.JSONType(), nullable=False),
        sa.Column("every", sa.String(length=32), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("next_run_at", accord.db.types.UTCDateTime(), nullable=False),
        sa.Column("last_run_at", accord.db.types.UTCDateTime(), nullable=True),
        sa.Column("last_job_id", sa.BigInteger(), nullable=True),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("created_at", accord.db.types.UTCDateTime(), nullable=False),
        sa.Column("updated_at", accord.db.types.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_job_schedules")),
    )
    with op.batch_alter_table("job_schedules", schema=None) as batch_op:
        batch_op.create_index(
            "ix_job_schedules_enabled_next", ["enabled", "next_run_at"], unique=False
        )

    op.create_table(
        "job_workers",
        sa.Column("id", sa.String(length=200), nullable=False),
        sa.Column("hostname", sa.String(length=255), nullable=False),
        sa.Column("pid", sa.Integer(), nullable=False),
        sa.Column("kinds", accord.db.types.JSONType(), nullable=False),
        sa.Column("concurrency", sa.Integer(), nullable=False),
        sa.Column("started_at", accord.db.types.UTCDateTime(), nullable=False),
        sa.Column("seen_at", accord.db.types.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_job_workers")),
    )
    op.create_table(
        "jobs",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("kind", sa.String(length=100), nullable=False),
        sa.Column("payload", accord.db.types.JSONType(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("max_attempts", sa.Integer(), nullable=False),
        sa.Column("run_at", accord.db.types.UTCDateTime(), nullable=False),
        sa.Column("locked_by", sa.String(length=200), nullable=True),
        sa.Column("locked_until", accord.db.types.UTCDateTime(), nullable=True),
        sa.Column("idempotency_key", sa.String(length=255), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", accord.db.types.UTCDateTime(), nullable=False),
        sa.Column("started_at", accord.db.types.UTCDateTime(), nullable=True),
        sa.Column("finished_at", accord.db.types.UTCDateTime(), nullable=True),
        sa.Column("result", accord.db.types.JSONType(), nullable=True),
        sa.CheckConstraint(
            "status in ('queued', 'running', 'done', 'failed', 'dead')", name="ck_jobs_status"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_jobs")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_jobs_idempotency_key")),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.create_index(
            "ix_jobs_status_locked_until", ["status", "locked_until"], unique=False
        )
        batch_op.create_index("ix_jobs_status_run_at", ["status", "run_at"], unique=False)

    op.create_table(
        "meta_changes",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("meta_version", sa.BigInteger(), nullable=False),
        sa.Column("at", accord.db.types.UTCDateTime(), nullable=False),
        sa.Column("actor_id", accord.db.types.IdType(), nullable=True),
        sa.Column("object_name", sa.String(length=63), nullable=False),
        sa.Column("field_name", sa.String(length=63), nullable=True),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("diff", accord.db.types.JSONType(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_meta_changes")),
    )
    with op.batch_alter_table("meta_changes", schema=None) as batch_op:
        batch_op.create_index("ix_meta_changes_object", ["object_name", "id"], unique=False)

    op.create_table(
        "meta_objects",
        sa.Column("name", sa.String(length=63), nullable=False),
        sa.Column("table_name", sa.String(length=63), nullable=False),
        sa.Column("label", accord.db.types.JSONType(), nullable=False),
        sa.Column("plural_label", accord.db.types.JSONType(), nullable=False),
        sa.Column("description", accord.db.types.JSONType(), nullable=True),
        sa.Column("ownable", sa.Boolean(), nullable=False),
        sa.Column("title_field", sa.String(length=63), nullable=True),
        sa.Column("settings", accord.db.types.JSONType(), nullable=False),
        sa.Column("is_system", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", accord.db.types.UTCDateTime(), nullable=False),
        sa.Column("updated_at", accord.db.types.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_meta_objects")),
        sa.UniqueConstraint("table_name", name=op.f("uq_meta_objects_table_name")),
    )
    op.create_table(
        "meta_state",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_meta_state")),
    )
    op.create_table(
        "outbox",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("at", accord.db.types.UTCDateTime(), nullable=False),
        sa.Column("object_name", sa.String(length=63), nullable=False),
        sa.Column("record_id", accord.db.types.IdType(), nullable=True),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("actor_id", accord.db.types.IdType(), nullable=True),
        sa.Column("payload", accord.db.types.JSONType(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox")),
    )
    op.create_table(
        "outbox_cursors",
        sa.Column("consumer", sa.String(length=100), nullable=False),
        sa.Column("last_id", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", accord.db.types.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("consumer", name=op.f("pk_outbox_cursors")),
    )
    op.create_table(
        "record_history",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("object_name", sa.String(length=63), nullable=False),
        sa.Column("record_id", accord.db.types.IdType(), nullable=False),
        sa.Column("at", accord.db.types.UTCDateTime(), nullable=False),
        sa.Column("actor_id", accord.db.types.IdType(), nullable=True),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("field_name", sa.String(length=63), nullable=True),
        sa.Column("old_value", accord.db.types.JSONType(), nullable=True),
        sa.Column("new_value", accord.db.types.JSONType(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_record_history")),
    )
    with op.batch_alter_table("record_history", schema=None) as batch_op:
        batch_op.create_index(
            "ix_record_history_record", ["object_name", "record_id", "id"], unique=False
        )

    op.create_table(
        "scheduler_ticks",
        sa.Column("schedule_name", sa.String(length=100), nullable=False),
        sa.Column("tick_at", accord.db.types.UTCDateTime(), nullable=False),
        sa.Column("claimed_by", sa.String(length=200), nullable=False),
        sa.Column("claimed_at", accord.db.types.UTCDateTime(), nullable=False),
        sa.Column("job_id", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("schedule_name", "tick_at", name=op.f("pk_scheduler_ticks")),
    )
    op.create_table(
        "meta_fields",
        sa.Column("object_name", sa.String(length=63), nullable=False),
        sa.Column("name", sa.String(length=63), nullable=False),
        sa.Column("type", sa.String(length=32), nullable=False),
        sa.Column("label", accord.db.types.JSONType(), nullable=False),
        sa.Column("help", accord.db.types.JSONType(), nullable=True),
        sa.Column("required", sa.Boolean(), nullable=False),
        sa.Column("is_unique", sa.Boolean(), nullable=False),
        sa.Column("indexed", sa.Boolean(), nullable=False),
        sa.Column("read_only", sa.Boolean(), nullable=False),
        sa.Column("searchable", sa.Boolean(), nullable=False),
        sa.Column("default", accord.db.types.JSONType(), nullable=True),
        sa.Column("options", accord.db.types.JSONType(), nullable=False),
        sa.Column("validation", accord.db.types.JSONType(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("is_system", sa.Boolean(), nullable=False),
        sa.Column("created_at", accord.db.types.UTCDateTime(), nullable=False),
        sa.Column("updated_at", accord.db.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["object_name"],
            ["meta_objects.name"],
            name=op.f("fk_meta_fields_object_name_meta_objects"),
        ),
        sa.PrimaryKeyConstraint("object_name", "name", name=op.f("pk_meta_fields")),
    )
    op.create_table(
        "users",
        sa.Column("id", accord.db.types.IdType(), nullable=False),
        sa.Column("login", sa.String(length=150), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=True),
        sa.Column("password_hash", sa.String(length=255), nullable=True),
        sa.Column("is_admin", sa.Boolean(), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("locale", sa.String(length=16), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("department_id", accord.db.types.IdType(), nullable=True),
        sa.Column("created_at", accord.db.types.UTCDateTime(), nullable=False),
        sa.Column("updated_at", accord.db.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["department_id"], ["departments.id"], name=op.f("fk_users_department_id_departments")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("login", name=op.f("uq_users_login")),
    )
    op.create_table(
        "api_tokens",
        sa.Column("id", accord.db.types.IdType(), nullable=False),
        sa.Column("user_id", accord.db.types.IdType(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("prefix", sa.String(length=16), nullable=False),
        sa.Column("created_at", accord.db.types.UTCDateTime(), nullable=False),
        sa.Column("last_used_at", accord.db.types.UTCDateTime(), nullable=True),
        sa.Column("expires_at", accord.db.types.UTCDateTime(), nullable=True),
        sa.Column("revoked_at", accord.db.types.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_api_tokens_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_tokens")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_api_tokens_token_hash")),
    )
    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_api_tokens_user_id"), ["user_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_api_tokens_user_id"))

    op.drop_table("api_tokens")
    op.drop_table("users")
    op.drop_table("meta_fields")
    op.drop_table("scheduler_ticks")
    with op.batch_alter_table("record_history", schema=None) as batch_op:
        batch_op.drop_index("ix_record_history_record")

    op.drop_table("record_history")
    op.drop_table("outbox_cursors")
    op.drop_table("outbox")
    op.drop_table("meta_state")
    op.drop_table("meta_objects")
    with op.batch_alter_table("meta_changes", schema=None) as batch_op:
        batch_op.drop_index("ix_meta_changes_object")

    op.drop_table("meta_changes")
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.drop_index("ix_jobs_status_run_at")
        batch_op.drop_index("ix_jobs_status_locked_until")

    op.drop_table("jobs")
    op.drop_table("job_workers")
    with op.batch_alter_table("job_schedules", schema=None) as batch_op:
        batch_op.drop_index("ix_job_schedules_enabled_next")

    op.drop_table("job_schedules")
    op.drop_table("exchange_rates")
    op.drop_table("departments")
    op.drop_table("autonumbers")
