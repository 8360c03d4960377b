"""System tables (migrated with Alembic). Object tables are not here: ``meta`` builds them at
runtime from definitions."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
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
