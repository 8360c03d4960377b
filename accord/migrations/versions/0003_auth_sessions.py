"""sessions, login throttling, two-factor, append-only audit log

New tables hold server-side sessions, failed sign-in counters (per login and per address), TOTP
secrets and recovery codes. The audit log gains indexes for search by actor and action, and
triggers that refuse UPDATE and DELETE (and TRUNCATE on PostgreSQL): it is append-only.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-07 09:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import accord.db.types

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

# Frozen copies of accord.db.tables.AUDIT_APPEND_ONLY_* (a migration never changes later).
_SQLITE_TRIGGERS = (
    "CREATE TRIGGER IF NOT EXISTS audit_log_no_update BEFORE UPDATE ON audit_log "
    "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END",
    "CREATE TRIGGER IF NOT EXISTS audit_log_no_delete BEFORE DELETE ON audit_log "
    "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END",
)
_POSTGRESQL_TRIGGERS = (
    "CREATE OR REPLACE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ "
    "BEGIN RAISE EXCEPTION 'audit_log is append-only' USING ERRCODE = 'insufficient_privilege'; "
    "END $$",
    "CREATE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE ON audit_log "
    "FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()",
    "CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log "
    "FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only()",
)


def upgrade() -> None:
    op.create_table(
        "sessions",
        sa.Column("id", accord.db.types.IdType(), nullable=False),
        sa.Column("user_id", accord.db.types.IdType(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("method", sa.String(length=32), nullable=False),
        sa.Column("created_at", accord.db.types.UTCDateTime(), nullable=False),
        sa.Column("last_seen_at", accord.db.types.UTCDateTime(), nullable=False),
        sa.Column("expires_at", accord.db.types.UTCDateTime(), nullable=False),
        sa.Column("ip", sa.String(length=45), nullable=True),
        sa.Column("user_agent", sa.String(length=300), nullable=True),
        sa.Column("revoked_at", accord.db.types.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_sessions_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sessions")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_sessions_token_hash")),
    )
    op.create_index("ix_sessions_user_id", "sessions", ["user_id"], unique=False)
    op.create_table(
        "login_throttle",
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("subject", sa.String(length=150), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("window_started_at", accord.db.types.UTCDateTime(), nullable=False),
        sa.Column("last_failure_at", accord.db.types.UTCDateTime(), nullable=False),
        sa.Column("locked_until", accord.db.types.UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("kind", "subject", name=op.f("pk_login_throttle")),
    )
    op.create_index(
        "ix_login_throttle_last_failure_at", "login_throttle", ["last_failure_at"], unique=False
    )
    op.create_table(
        "user_totp",
        sa.Column("user_id", accord.db.types.IdType(), nullable=False),
        sa.Column("secret", sa.String(length=64), nullable=False),
        sa.Column("created_at", accord.db.types.UTCDateTime(), nullable=False),
        sa.Column("confirmed_at", accord.db.types.UTCDateTime(), nullable=True),
        sa.Column("last_step", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_user_totp_user_id_users")),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_user_totp")),
    )
    op.create_table(
        "recovery_codes",
        sa.Column("id", accord.db.types.IdType(), nullable=False),
        sa.Column("user_id", accord.db.types.IdType(), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", accord.db.types.UTCDateTime(), nullable=False),
        sa.Column("used_at", accord.db.types.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_recovery_codes_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recovery_codes")),
        sa.UniqueConstraint("code_hash", name=op.f("uq_recovery_codes_code_hash")),
    )
    op.create_index("ix_recovery_codes_user_id", "recovery_codes", ["user_id"], unique=False)
    op.create_index("ix_audit_log_actor", "audit_log", ["actor_id", "id"], unique=False)
    op.create_index("ix_audit_log_action", "audit_log", ["action", "id"], unique=False)
    dialect = op.get_bind().dialect.name
    for sql in _POSTGRESQL_TRIGGERS if dialect == "postgresql" else _SQLITE_TRIGGERS:
        op.execute(sql)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS audit_log_no_truncate ON audit_log")
        op.execute("DROP TRIGGER IF EXISTS audit_log_no_change ON audit_log")
        op.execute("DROP FUNCTION IF EXISTS audit_log_append_only()")
    else:
        op.execute("DROP TRIGGER IF EXISTS audit_log_no_delete")
        op.execute("DROP TRIGGER IF EXISTS audit_log_no_update")
    op.drop_index("ix_audit_log_action", table_name="audit_log")
    op.drop_index("ix_audit_log_actor", table_name="audit_log")
    op.drop_index("ix_recovery_codes_user_id", table_name="recovery_codes")
    op.drop_table("recovery_codes")
    op.drop_table("user_totp")
    op.drop_index("ix_login_throttle_last_failure_at", table_name="login_throttle")
    op.drop_table("login_throttle")
    op.drop_index("ix_sessions_user_id", table_name="sessions")
    op.drop_table("sessions")
