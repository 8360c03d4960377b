"""System tables of accord.webhooks, on the shared ``accord.db.tables.metadata``.

- ``webhook_subscriptions``: where to POST, for which objects and record events, signed with
  which secret (stored because signing needs it; the API shows it only when it is made), and
  whose read permissions shape the payload (``owner_id``). ``consecutive_failures`` counts dead
  deliveries since the last success; past ``ACCORD_WEBHOOK_DISABLE_AFTER`` the subscription is
  switched off with a ``disabled_reason``.
- ``webhook_deliveries``: the delivery log. One row per event and subscription (or per
  ``deliver`` call), with the payload frozen when it was queued, its status and the outcome of
  the last attempt. Integer ids: the ``Accord-Delivery`` header receivers dedupe on.
- ``webhook_attempts``: every attempt of a delivery (HTTP status or transport error, a response
  excerpt, how long it took).
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
)

from accord.db.tables import metadata
from accord.db.types import IdType, JSONType, UTCDateTime

_BigId = BigInteger().with_variant(Integer, "sqlite")

subscriptions = Table(
    "webhook_subscriptions",
    metadata,
    Column("id", IdType, primary_key=True),
    Column("name", String(100), nullable=False, unique=True),
    Column("url", String(2000), nullable=False),
    Column("objects", JSONType, nullable=False),  # [] = every object
    Column("events", JSONType, nullable=False),  # [] = none (rule actions only)
    Column("secret", String(100), nullable=False),
    Column("enabled", Boolean, nullable=False),
    Column("disabled_reason", String(500), nullable=True),
    Column("disabled_at", UTCDateTime, nullable=True),
    Column("consecutive_failures", Integer, nullable=False),
    Column("owner_id", IdType, ForeignKey("users.id"), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("created_by", IdType, nullable=True),
    Column("updated_at", UTCDateTime, nullable=False),
    Column("updated_by", IdType, nullable=True),
)

deliveries = Table(
    "webhook_deliveries",
    metadata,
    Column("id", _BigId, primary_key=True, autoincrement=True),
    Column(
        "subscription_id",
        IdType,
        ForeignKey("webhook_subscriptions.id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("event", String(200), nullable=False),
    Column("outbox_event_id", BigInteger, nullable=True),
    Column("object_name", String(63), nullable=True),
    Column("record_id", IdType, nullable=True),
    Column("payload", JSONType, nullable=False),
    Column("status", String(16), nullable=False),
    Column("attempts", Integer, nullable=False),
    # Raised by a redelivery: each (re)delivery gets a full set of attempts.
    Column("max_attempts", Integer, nullable=False),
    Column("last_status", Integer, nullable=True),
    Column("last_error", String(1000), nullable=True),
    Column("response_excerpt", Text, nullable=True),
    Column("duration_ms", Integer, nullable=True),
    Column("next_attempt_at", UTCDateTime, nullable=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("last_attempt_at", UTCDateTime, nullable=True),
    Column("delivered_at", UTCDateTime, nullable=True),
    # the log of one subscription, newest first
    Index("ix_webhook_deliveries_subscription", "subscription_id", "id"),
    # "everything dead" across subscriptions, and the purge
    Index("ix_webhook_deliveries_status", "status", "id"),
    sqlite_autoincrement=True,
)

attempts = Table(
    "webhook_attempts",
    metadata,
    Column(
        "delivery_id",
        _BigId,
        ForeignKey("webhook_deliveries.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("attempt", Integer, primary_key=True),
    Column("at", UTCDateTime, nullable=False),
    Column("status", Integer, nullable=True),  # HTTP status; None: no answer (error says why)
    Column("error", String(1000), nullable=True),
    Column("response_excerpt", Text, nullable=True),
    Column("duration_ms", Integer, nullable=False),
)

WEBHOOK_TABLES = (subscriptions, deliveries, attempts)
