"""System tables of accord.notifications, on the shared ``accord.db.tables.metadata``.

- ``notifications``: the in-app inbox, one row per recipient, already rendered for them (in their
  language, with only the record fields they may see). Integer ids in commit-ish order: the live
  stream reads ``id > last`` per user.
- ``notification_preferences``: a user's choice per (kind, channel); no row means the kind's
  default.
- ``notification_channels``: group robots (DingTalk, WeCom, Feishu) of a user or of a department.
  The secret is stored because signing needs it; the API never returns it after saving.
- ``notification_deliveries``: every external send (email, robot) with what was rendered for it;
  the job that sends it (``job_id``) holds attempts, last error and dead state, so a failure is
  always visible and retryable.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    text,
)

from accord.db.tables import metadata
from accord.db.types import IdType, JSONType, UTCDateTime

_BigId = BigInteger().with_variant(Integer, "sqlite")

notifications = Table(
    "notifications",
    metadata,
    Column("id", _BigId, primary_key=True, autoincrement=True),
    Column("user_id", IdType, ForeignKey("users.id"), nullable=False),
    Column("kind", String(100), nullable=False),
    Column("title", String(500), nullable=False),
    Column("body", Text, nullable=False),
    Column("object_name", String(63), nullable=True),
    Column("record_id", IdType, nullable=True),
    Column("url", String(500), nullable=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("read_at", UTCDateTime, nullable=True),
    # inbox pages and the live stream: newest first / id > last, per user
    Index("ix_notifications_user_id_id", "user_id", "id"),
    # unread counts and "unread only" pages read just the unread rows
    Index(
        "ix_notifications_unread",
        "user_id",
        "id",
        sqlite_where=text("read_at IS NULL"),
        postgresql_where=text("read_at IS NULL"),
    ),
    sqlite_autoincrement=True,
)

notification_preferences = Table(
    "notification_preferences",
    metadata,
    Column("user_id", IdType, ForeignKey("users.id"), primary_key=True),
    Column("kind", String(100), primary_key=True),
    Column("channel", String(16), primary_key=True),
    Column("enabled", Boolean, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
)

notification_channels = Table(
    "notification_channels",
    metadata,
    Column("id", IdType, primary_key=True),
    # exactly one owner: a user (their own robot) or a department (the team's group)
    Column("user_id", IdType, ForeignKey("users.id"), nullable=True),
    Column("department_id", IdType, ForeignKey("departments.id"), nullable=True),
    Column("vendor", String(16), nullable=False),
    Column("name", String(200), nullable=False),
    Column("webhook_url", String(2048), nullable=False),
    Column("secret", String(500), nullable=True),
    Column("enabled", Boolean, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    CheckConstraint(
        "(user_id IS NULL) <> (department_id IS NULL)", name="ck_notification_channels_owner"
    ),
    Index("ix_notification_channels_user_id", "user_id"),
    Index("ix_notification_channels_department_id", "department_id"),
)

notification_deliveries = Table(
    "notification_deliveries",
    metadata,
    Column("id", IdType, primary_key=True),
    Column("channel", String(16), nullable=False),  # email | robot
    Column("kind", String(100), nullable=False),
    Column("target", String(320), nullable=False),  # an address, or the robot channel's name
    Column("user_id", IdType, nullable=True),  # the recipient (email, a user's robot)
    Column("channel_id", IdType, nullable=True),  # the robot channel (its secret is read then)
    Column("notification_id", BigInteger, nullable=True),
    Column("content", JSONType, nullable=False),  # what was rendered for the recipient
    Column("job_id", BigInteger, nullable=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("sent_at", UTCDateTime, nullable=True),
    Column("response", String(2000), nullable=True),
    Index("ix_notification_deliveries_created_at", "created_at"),
    Index("ix_notification_deliveries_job_id", "job_id"),
)
