"""System tables (migrated with Alembic). Object tables are not here: ``meta`` builds them at
runtime from definitions."""

from __future__ import annotations

from sqlalchemy import (
    DDL,
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    SmallInteger,
    String,
    Table,
    Text,
    event,
    text,
)

from accord.db.types import IdType, JSONType, UTCDateTime

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = MetaData(naming_convention=NAMING)

# --- identity (issue 3 widens these) -------------------------------------------------------

departments = Table(
    "departments",
    metadata,
    Column("id", IdType, primary_key=True),
    Column("name", String(200), nullable=False),
    Column("parent_id", IdType, ForeignKey("departments.id"), nullable=True),
    Column("created_at", UTCDateTime, nullable=False),
    # issue 5: the department head (负责人), an approver kind; a user, not necessarily a member
    Column("head_id", IdType, nullable=True),  # no FK: users already reference departments
)

users = Table(
    "users",
    metadata,
    Column("id", IdType, primary_key=True),
    Column("login", String(150), nullable=False, unique=True),
    Column("name", String(200), nullable=False),
    Column("email", String(320), nullable=True),
    Column("password_hash", String(255), nullable=True),
    Column("is_admin", Boolean, nullable=False, default=False),
    Column("is_active", Boolean, nullable=False, default=True),
    Column("locale", String(16), nullable=False, default="zh_CN"),
    Column("timezone", String(64), nullable=False, default="Asia/Shanghai"),
    Column("department_id", IdType, ForeignKey("departments.id"), nullable=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    # issue 3: profile, reporting line (distinct from the department tree), disabling
    Column("mobile", String(32), nullable=True),
    Column("manager_id", IdType, ForeignKey("users.id"), nullable=True),
    Column("disabled_at", UTCDateTime, nullable=True),
    Index("ix_users_manager_id", "manager_id"),
    Index("ix_users_department_id", "department_id"),
)

api_tokens = Table(
    "api_tokens",
    metadata,
    Column("id", IdType, primary_key=True),
    Column("user_id", IdType, ForeignKey("users.id"), nullable=False, index=True),
    Column("name", String(200), nullable=False),
    # sha256 of the secret: tokens are long random strings, so a fast hash is safe and lookups
    # stay one indexed equality.
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("prefix", String(16), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("last_used_at", UTCDateTime, nullable=True),
    Column("expires_at", UTCDateTime, nullable=True),
    Column("revoked_at", UTCDateTime, nullable=True),
)

# --- metadata ----------------------------------------------------------------------------

meta_state = Table(
    "meta_state",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    # Bumped on every definition change; processes reload their cached definitions when it moves.
    Column("version", BigInteger, nullable=False),
)

meta_objects = Table(
    "meta_objects",
    metadata,
    Column("name", String(63), primary_key=True),
    Column("table_name", String(63), nullable=False, unique=True),
    Column("label", JSONType, nullable=False),
    Column("plural_label", JSONType, nullable=False),
    Column("description", JSONType, nullable=True),
    Column("ownable", Boolean, nullable=False, default=True),
    Column("title_field", String(63), nullable=True),
    Column("settings", JSONType, nullable=False),  # icon, validation rules, search fields …
    Column("is_system", Boolean, nullable=False, default=False),
    Column("status", String(16), nullable=False, default="active"),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
)

meta_fields = Table(
    "meta_fields",
    metadata,
    Column("object_name", String(63), ForeignKey("meta_objects.name"), primary_key=True),
    Column("name", String(63), primary_key=True),
    Column("type", String(32), nullable=False),
    Column("label", JSONType, nullable=False),
    Column("help", JSONType, nullable=True),
    Column("required", Boolean, nullable=False, default=False),
    Column("is_unique", Boolean, nullable=False, default=False),
    Column("indexed", Boolean, nullable=False, default=False),
    Column("read_only", Boolean, nullable=False, default=False),
    Column("searchable", Boolean, nullable=False, default=False),
    Column("default", JSONType, nullable=True),
    Column("options", JSONType, nullable=False),
    Column("validation", JSONType, nullable=False),
    Column("position", Integer, nullable=False, default=0),
    Column("status", String(16), nullable=False, default="active"),  # active | archived
    Column("is_system", Boolean, nullable=False, default=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
)

meta_changes = Table(
    "meta_changes",
    metadata,
    Column(
        "id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    ),
    Column("meta_version", BigInteger, nullable=False),
    Column("at", UTCDateTime, nullable=False),
    Column("actor_id", IdType, nullable=True),
    Column("object_name", String(63), nullable=False),
    Column("field_name", String(63), nullable=True),
    Column("action", String(32), nullable=False),
    Column("diff", JSONType, nullable=False),
    Index("ix_meta_changes_object", "object_name", "id"),
)

# --- records: history, outbox, numbering ---------------------------------------------------

record_history = Table(
    "record_history",
    metadata,
    Column(
        "id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    ),
    Column("object_name", String(63), nullable=False),
    Column("record_id", IdType, nullable=False),
    Column("at", UTCDateTime, nullable=False),
    Column("actor_id", IdType, nullable=True),
    Column("action", String(16), nullable=False),  # update | delete | restore | owner
    Column("field_name", String(63), nullable=True),
    Column("old_value", JSONType, nullable=True),
    Column("new_value", JSONType, nullable=True),
    Index("ix_record_history_record", "object_name", "record_id", "id"),
)

outbox = Table(
    "outbox",
    metadata,
    Column(
        "id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    ),
    Column("at", UTCDateTime, nullable=False),
    Column("object_name", String(63), nullable=False),
    Column("record_id", IdType, nullable=True),
    Column("kind", String(32), nullable=False),  # created | updated | deleted | restored | …
    Column("actor_id", IdType, nullable=True),
    Column("payload", JSONType, nullable=False),
    # How many automation steps led to this change (0 = a person or an API client): the rule
    # engine's loop guard.
    Column("depth", SmallInteger, nullable=False, server_default="0"),
    # Set in the transaction that handed the event to its consumers (rules, webhooks). The
    # partial index is the queue: it holds only events not yet dispatched.
    Column("dispatched_at", UTCDateTime, nullable=True),
    Index(
        "ix_outbox_pending",
        "id",
        sqlite_where=text("dispatched_at IS NULL"),
        postgresql_where=text("dispatched_at IS NULL"),
    ),
)

outbox_cursors = Table(
    "outbox_cursors",
    metadata,
    Column("consumer", String(100), primary_key=True),
    Column("last_id", BigInteger, nullable=False, default=0),
    Column("updated_at", UTCDateTime, nullable=False),
)

autonumbers = Table(
    "autonumbers",
    metadata,
    Column("object_name", String(63), primary_key=True),
    Column("field_name", String(63), primary_key=True),
    Column("period", String(16), primary_key=True),  # "" or "2026" or "202601"
    Column("next_value", BigInteger, nullable=False),
)

exchange_rates = Table(
    "exchange_rates",
    metadata,
    Column("currency", String(3), primary_key=True),
    Column("valid_from", String(10), primary_key=True),  # ISO date
    Column("rate", Text, nullable=False),  # decimal text: units of company currency per 1 unit
)

# --- organisation, roles, record teams, audit (issue 3) ------------------------------------

_BigId = BigInteger().with_variant(Integer, "sqlite")

org_state = Table(
    "org_state",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    # Bumped in the same transaction as every change to managers, departments, user status,
    # roles, grants, field permissions and assignments; cached permissions follow it.
    Column("version", BigInteger, nullable=False),
)

roles = Table(
    "roles",
    metadata,
    Column("id", IdType, primary_key=True),
    Column("name", String(63), nullable=False, unique=True),  # stable API name: sales_rep
    Column("label", JSONType, nullable=False),  # {"en": …, "zh": …}
    Column("description", JSONType, nullable=True),
    Column("is_admin", Boolean, nullable=False, default=False),  # everything, like users.is_admin
    Column("is_system", Boolean, nullable=False, default=False),  # shipped: editable, kept
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
)

role_grants = Table(
    "role_grants",
    metadata,
    Column("role_id", IdType, ForeignKey("roles.id"), primary_key=True),
    Column("object_name", String(63), primary_key=True),
    Column("can_create", Boolean, nullable=False, default=False),
    Column("can_read", Boolean, nullable=False, default=False),
    Column("can_update", Boolean, nullable=False, default=False),
    Column("can_delete", Boolean, nullable=False, default=False),
    Column("can_import", Boolean, nullable=False, default=False),
    Column("can_export", Boolean, nullable=False, default=False),
    # none | self | subordinates | department | department_tree | all
    Column("read_scope", String(16), nullable=False),
    Column("write_scope", String(16), nullable=False),
)

role_field_permissions = Table(
    "role_field_permissions",
    metadata,
    Column("role_id", IdType, ForeignKey("roles.id"), primary_key=True),
    Column("object_name", String(63), primary_key=True),
    Column("field_name", String(63), primary_key=True),
    Column("access", String(16), nullable=False),  # hidden | read_only
)

user_roles = Table(
    "user_roles",
    metadata,
    Column("user_id", IdType, ForeignKey("users.id"), primary_key=True),
    Column("role_id", IdType, ForeignKey("roles.id"), primary_key=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("created_by", IdType, nullable=True),
    Index("ix_user_roles_role_id", "role_id"),
)

# Record teams (联合跟进人): a record shared with a user or a department, read or write.
record_shares = Table(
    "record_shares",
    metadata,
    Column("id", IdType, primary_key=True),
    Column("object_name", String(63), nullable=False),
    Column("record_id", IdType, nullable=False),
    Column("user_id", IdType, ForeignKey("users.id"), nullable=True),
    Column("department_id", IdType, ForeignKey("departments.id"), nullable=True),
    Column("access", String(8), nullable=False),  # read | write
    Column("created_at", UTCDateTime, nullable=False),
    Column("created_by", IdType, nullable=True),
    CheckConstraint(
        "(user_id IS NULL) <> (department_id IS NULL)", name="ck_record_shares_one_target"
    ),
    CheckConstraint("access in ('read', 'write')", name="ck_record_shares_access"),
    Index("ix_record_shares_record", "object_name", "record_id"),
    # Unique (a target appears once per record; NULLs never collide) and covering for the scope
    # clause's ``id IN (SELECT record_id … WHERE object_name = ? AND user_id = ?)``.
    Index("ix_record_shares_user", "object_name", "user_id", "record_id", unique=True),
    Index("ix_record_shares_department", "object_name", "department_id", "record_id", unique=True),
)

# A record under approval (issue 5) is locked against edits and deletion, except by the users in
# ``editors`` and only for ``fields``; the system actor (rules, the approval engine) passes.
record_locks = Table(
    "record_locks",
    metadata,
    Column("object_name", String(63), primary_key=True),
    Column("record_id", IdType, primary_key=True),
    Column("holder", String(100), nullable=False),  # e.g. "approval:<instance id>"
    Column("editors", JSONType, nullable=False),  # user ids who may still edit
    Column("fields", JSONType, nullable=False),  # the fields they may edit
    Column("locked_at", UTCDateTime, nullable=False),
)

record_owner_history = Table(
    "record_owner_history",
    metadata,
    Column("id", _BigId, primary_key=True, autoincrement=True),
    Column("object_name", String(63), nullable=False),
    Column("record_id", IdType, nullable=False),
    Column("at", UTCDateTime, nullable=False),
    Column("actor_id", IdType, nullable=True),
    Column("old_owner_id", IdType, nullable=True),
    Column("new_owner_id", IdType, nullable=True),
    Index("ix_record_owner_history_record", "object_name", "record_id", "id"),
)

audit_log = Table(
    "audit_log",
    metadata,
    Column("id", _BigId, primary_key=True, autoincrement=True),
    Column("at", UTCDateTime, nullable=False),
    Column("actor_id", IdType, nullable=True),
    Column("action", String(64), nullable=False),  # role.update, user.disable, …
    Column("target_type", String(32), nullable=False),  # user | department | role
    Column("target_id", String(100), nullable=True),
    Column("details", JSONType, nullable=False),
    Column("ip", String(45), nullable=True),
    Index("ix_audit_log_at", "at"),
    Index("ix_audit_log_target", "target_type", "target_id", "id"),
)

# --- sign-in: sessions, throttling, two-factor (issue 3, ADR 0020) -------------------------

# Server-side sessions of the web UI. The cookie holds a random secret; only its SHA-256 is
# stored. ``id`` is the public handle (listing, revoking).
sessions = Table(
    "sessions",
    metadata,
    Column("id", IdType, primary_key=True),
    Column("user_id", IdType, ForeignKey("users.id"), nullable=False),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("method", String(32), nullable=False),  # password | password+totp | password+recovery
    Column("created_at", UTCDateTime, nullable=False),
    Column("last_seen_at", UTCDateTime, nullable=False),  # kept to the minute (idle expiry)
    Column("expires_at", UTCDateTime, nullable=False),  # absolute expiry
    Column("ip", String(45), nullable=True),
    Column("user_agent", String(300), nullable=True),
    Column("revoked_at", UTCDateTime, nullable=True),
    Index("ix_sessions_user_id", "user_id"),
)

# Failed sign-ins per login (``account``) and per client address (``ip``), shared by every
# process through the database.
login_throttle = Table(
    "login_throttle",
    metadata,
    Column("kind", String(8), primary_key=True),  # account | ip
    Column("subject", String(150), primary_key=True),  # lower-cased login, or address (/64)
    Column("failures", Integer, nullable=False),
    Column("window_started_at", UTCDateTime, nullable=False),
    Column("last_failure_at", UTCDateTime, nullable=False),
    Column("locked_until", UTCDateTime, nullable=True),
    Index("ix_login_throttle_last_failure_at", "last_failure_at"),
)

# TOTP (RFC 6238) secrets: pending until ``confirmed_at``; ``last_step`` refuses replays.
user_totp = Table(
    "user_totp",
    metadata,
    Column("user_id", IdType, ForeignKey("users.id"), primary_key=True),
    Column("secret", String(64), nullable=False),  # base32
    Column("created_at", UTCDateTime, nullable=False),
    Column("confirmed_at", UTCDateTime, nullable=True),
    Column("last_step", BigInteger, nullable=True),
)

# Single-use recovery codes (80 random bits each); only a SHA-256 is stored.
recovery_codes = Table(
    "recovery_codes",
    metadata,
    Column("id", IdType, primary_key=True),
    Column("user_id", IdType, ForeignKey("users.id"), nullable=False),
    Column("code_hash", String(64), nullable=False, unique=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("used_at", UTCDateTime, nullable=True),
    Index("ix_recovery_codes_user_id", "user_id"),
)

# Audit search filters by actor and by action, newest first.
Index("ix_audit_log_actor", audit_log.c.actor_id, audit_log.c.id)
Index("ix_audit_log_action", audit_log.c.action, audit_log.c.id)

# The audit log is append-only: the database itself refuses UPDATE and DELETE (and TRUNCATE on
# PostgreSQL). Migration 0003 installs the same triggers; these cover ``metadata.create_all``.
AUDIT_APPEND_ONLY_SQLITE = (
    "CREATE TRIGGER IF NOT EXISTS audit_log_no_update BEFORE UPDATE ON audit_log "
    "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END",
    "CREATE TRIGGER IF NOT EXISTS audit_log_no_delete BEFORE DELETE ON audit_log "
    "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END",
)
AUDIT_APPEND_ONLY_POSTGRESQL = (
    "CREATE OR REPLACE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ "
    "BEGIN RAISE EXCEPTION 'audit_log is append-only' USING ERRCODE = 'insufficient_privilege'; "
    "END $$",
    "CREATE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE ON audit_log "
    "FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()",
    "CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log "
    "FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only()",
)
for _sql in AUDIT_APPEND_ONLY_SQLITE:
    event.listen(audit_log, "after_create", DDL(_sql).execute_if(dialect="sqlite"))
for _sql in AUDIT_APPEND_ONLY_POSTGRESQL:
    event.listen(audit_log, "after_create", DDL(_sql).execute_if(dialect="postgresql"))
