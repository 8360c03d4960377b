"""organisation, roles, record teams, audit log

Users gain a mobile number, a manager (the reporting line) and ``disabled_at``; new tables hold
roles, their grants and field permissions, role assignments, record shares, ownership history,
the organisation version and the audit log.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-30 09:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import accord.db.types

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

_BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "org_state",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_org_state")),
    )
    op.create_table(
        "roles",
        sa.Column("id", accord.db.types.IdType(), nullable=False),
        sa.Column("name", sa.String(length=63), nullable=False),
        sa.Column("label", accord.db.types.JSONType(), nullable=False),
        sa.Column("description", accord.db.types.JSONType(), nullable=True),
        sa.Column("is_admin", sa.Boolean(), nullable=False),
        sa.Column("is_system", sa.Boolean(), nullable=False),
        sa.Column("created_at", accord.db.types.UTCDateTime(), nullable=False),
        sa.Column("updated_at", accord.db.types.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_roles")),
        sa.UniqueConstraint("name", name=op.f("uq_roles_name")),
    )
    op.create_table(
        "role_grants",
        sa.Column("role_id", accord.db.types.IdType(), nullable=False),
        sa.Column("object_name", sa.String(length=63), nullable=False),
        sa.Column("can_create", sa.Boolean(), nullable=False),
        sa.Column("can_read", sa.Boolean(), nullable=False),
        sa.Column("can_update", sa.Boolean(), nullable=False),
        sa.Column("can_delete", sa.Boolean(), nullable=False),
        sa.Column("can_import", sa.Boolean(), nullable=False),
        sa.Column("can_export", sa.Boolean(), nullable=False),
        sa.Column("read_scope", sa.String(length=16), nullable=False),
        sa.Column("write_scope", sa.String(length=16), nullable=False),
        sa.ForeignKeyConstraint(
            ["role_id"], ["roles.id"], name=op.f("fk_role_grants_role_id_roles")
        ),
        sa.PrimaryKeyConstraint("role_id", "object_name", name=op.f("pk_role_grants")),
    )
    op.create_table(
        "role_field_permissions",
        sa.Column("role_id", accord.db.types.IdType(), nullable=False),
        sa.Column("object_name", sa.String(length=63), nullable=False),
        sa.Column("field_name", sa.String(length=63), nullable=False),
        sa.Column("access", sa.String(length=16), nullable=False),
        sa.ForeignKeyConstraint(
            ["role_id"], ["roles.id"], name=op.f("fk_role_field_permissions_role_id_roles")
        ),
        sa.PrimaryKeyConstraint(
            "role_id", "object_name", "field_name", name=op.f("pk_role_field_permissions")
        ),
    )
    op.create_table(
        "user_roles",
        sa.Column("user_id", accord.db.types.IdType(), nullable=False),
        sa.Column("role_id", accord.db.types.IdType(), nullable=False),
        sa.Column("created_at", accord.db.types.UTCDateTime(), nullable=False),
        sa.Column("created_by", accord.db.types.IdType(), nullable=True),
        sa.ForeignKeyConstraint(
            ["role_id"], ["roles.id"], name=op.f("fk_user_roles_role_id_roles")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_user_roles_user_id_users")
        ),
        sa.PrimaryKeyConstraint("user_id", "role_id", name=op.f("pk_user_roles")),
    )
    op.create_index("ix_user_roles_role_id", "user_roles", ["role_id"], unique=False)
    op.create_table(
        "record_shares",
        sa.Column("id", accord.db.types.IdType(), nullable=False),
        sa.Column("object_name", sa.String(length=63), nullable=False),
        sa.Column("record_id", accord.db.types.IdType(), nullable=False),
        sa.Column("user_id", accord.db.types.IdType(), nullable=True),
        sa.Column("department_id", accord.db.types.IdType(), nullable=True),
        sa.Column("access", sa.String(length=8), nullable=False),
        sa.Column("created_at", accord.db.types.UTCDateTime(), nullable=False),
        sa.Column("created_by", accord.db.types.IdType(), nullable=True),
        sa.CheckConstraint("access in ('read', 'write')", name="ck_record_shares_access"),
        sa.CheckConstraint(
            "(user_id IS NULL) <> (department_id IS NULL)", name="ck_record_shares_one_target"
        ),
        sa.ForeignKeyConstraint(
            ["department_id"],
            ["departments.id"],
            name=op.f("fk_record_shares_department_id_departments"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_record_shares_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_record_shares")),
    )
    op.create_index(
        "ix_record_shares_record", "record_shares", ["object_name", "record_id"], unique=False
    )
    op.create_index(
        "ix_record_shares_user",
        "record_shares",
        ["object_name", "user_id", "record_id"],
        unique=True,
    )
    op.create_index(
        "ix_record_shares_department",
        "record_shares",
        ["object_name", "department_id", "record_id"],
        unique=True,
    )
    op.create_table(
        "record_owner_history",
        sa.Column("id", _BigId, autoincrement=True, nullable=False),
        sa.Column("object_name", sa.String(length=63), nullable=False),
        sa.Column("record_id", accord.db.types.IdType(), nullable=False),
        sa.Column("at", accord.db.types.UTCDateTime(), nullable=False),
        sa.Column("actor_id", accord.db.types.IdType(), nullable=True),
        sa.Column("old_owner_id", accord.db.types.IdType(), nullable=True),
        sa.Column("new_owner_id", accord.db.types.IdType(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_record_owner_history")),
    )
    op.create_index(
        "ix_record_owner_history_record",
        "record_owner_history",
        ["object_name", "record_id", "id"],
        unique=False,
    )
    op.create_table(
        "audit_log",
        sa.Column("id", _BigId, autoincrement=True, nullable=False),
        sa.Column("at", accord.db.types.UTCDateTime(), nullable=False),
        sa.Column("actor_id", accord.db.types.IdType(), nullable=True),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("target_type", sa.String(length=32), nullable=False),
        sa.Column("target_id", sa.String(length=100), nullable=True),
        sa.Column("details", accord.db.types.JSONType(), nullable=False),
        sa.Column("ip", sa.String(length=45), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log")),
    )
    op.create_index("ix_audit_log_at", "audit_log", ["at"], unique=False)
    op.create_index(
        "ix_audit_log_target", "audit_log", ["target_type", "target_id", "id"], unique=False
    )
    op.add_column("users", sa.Column("mobile", sa.String(length=32), nullable=True))
    if op.get_bind().dialect.name == "sqlite":
        # SQLite adds a column with an inline REFERENCES in place. Batch mode would rebuild
        # ``users`` instead, and its DROP TABLE fails (foreign keys are on, and every installed
        # database has an API token pointing at a user).
        op.execute(
            "ALTER TABLE users ADD COLUMN manager_id VARCHAR(36) "
            "CONSTRAINT fk_users_manager_id_users REFERENCES users (id)"
        )
    else:
        op.add_column("users", sa.Column("manager_id", accord.db.types.IdType(), nullable=True))
        op.create_foreign_key(
            op.f("fk_users_manager_id_users"), "users", "users", ["manager_id"], ["id"]
        )
    op.add_column("users", sa.Column("disabled_at", accord.db.types.UTCDateTime(), nullable=True))
    op.create_index("ix_users_manager_id", "users", ["manager_id"], unique=False)
    op.create_index("ix_users_department_id", "users", ["department_id"], unique=False)


def downgrade() -> None:
    # SQLite drops a column used by a foreign key only by rebuilding the table, and that DROP
    # TABLE fails while rows of other tables (api_tokens) point at users: downgrading an SQLite
    # database works on a copy without tokens only. The rebuild drops the (unnamed when
    # reflected) foreign key with its column.
    sqlite = op.get_bind().dialect.name == "sqlite"
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_index("ix_users_department_id")
        batch_op.drop_index("ix_users_manager_id")
        if not sqlite:
            batch_op.drop_constraint(op.f("fk_users_manager_id_users"), type_="foreignkey")
        batch_op.drop_column("disabled_at")
        batch_op.drop_column("manager_id")
        batch_op.drop_column("mobile")
    op.drop_index("ix_audit_log_target", table_name="audit_log")
    op.drop_index("ix_audit_log_at", table_name="audit_log")
    op.drop_table("audit_log")
    op.drop_index("ix_record_owner_history_record", table_name="record_owner_history")
    op.drop_table("record_owner_history")
    op.drop_index("ix_record_shares_department", table_name="record_shares")
    op.drop_index("ix_record_shares_user", table_name="record_shares")
    op.drop_index("ix_record_shares_record", table_name="record_shares")
    op.drop_table("record_shares")
    op.drop_index("ix_user_roles_role_id", table_name="user_roles")
    op.drop_table("user_roles")
    op.drop_table("role_field_permissions")
    op.drop_table("role_grants")
    op.drop_table("roles")
    op.drop_table("org_state")
