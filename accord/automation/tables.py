"""System tables of the rule engine, on the shared ``accord.db.tables.metadata``.

- ``automation_rules``: the current definition of each rule (trigger, condition, actions as JSON).
- ``automation_rule_versions``: every saved definition, for history and rollback.
- ``automation_matches``: which records a scheduled rule has already fired for. For a periodic
  rule ``occurrence`` is "" and the row is removed when the record stops matching (so it fires
  again only after leaving and re-entering the condition); for a date rule it is the date the
  rule fired for (once per contract end date, once per birthday and year).
- ``automation_scans``: when each scheduled rule last scanned its table.
- ``automation_runs``: the execution log (when, record, outcome, duration, what the actions did).
- ``automation_counters``: round-robin positions, one row per assign action and team.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Index,
    Integer,
    String,
    Table,
    Text,
)

from accord.db.tables import metadata
from accord.db.types import IdType, JSONType, UTCDateTime

_BigId = BigInteger().with_variant(Integer, "sqlite")

rules = Table(
    "automation_rules",
    metadata,
    Column("id", IdType, primary_key=True),
    Column("name", String(100), nullable=False, unique=True),
    Column("object_name", String(63), nullable=False),
    Column("description", Text, nullable=True),
    Column("trigger", JSONType, nullable=False),
    Column("condition", JSONType, nullable=True),
    Column("actions", JSONType, nullable=False),
    Column("enabled", Boolean, nullable=False, default=False),
    Column("version", Integer, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("created_by", IdType, nullable=True),
    Column("updated_at", UTCDateTime, nullable=False),
    Column("updated_by", IdType, nullable=True),
    Index("ix_automation_rules_object", "object_name", "enabled"),
)

rule_versions = Table(
    "automation_rule_versions",
    metadata,
    Column("rule_id", IdType, primary_key=True),
    Column("version", Integer, primary_key=True),
    Column("definition", JSONType, nullable=False),
    Column("saved_at", UTCDateTime, nullable=False),
    Column("saved_by", IdType, nullable=True),
)

matches = Table(
    "automation_matches",
    metadata,
    Column("rule_id", IdType, primary_key=True),
    Column("record_id", IdType, primary_key=True),
    Column("occurrence", String(10), primary_key=True),
    Column("matched_at", UTCDateTime, nullable=False),
)

scans = Table(
    "automation_scans",
    metadata,
    Column("rule_id", IdType, primary_key=True),
    Column("scanned_at", UTCDateTime, nullable=False),
    Column("matched", Integer, nullable=False),
)

runs = Table(
    "automation_runs",
    metadata,
    Column("id", _BigId, primary_key=True, autoincrement=True),
    Column("rule_id", IdType, nullable=False),
    Column("rule_version", Integer, nullable=False),
    Column("object_name", String(63), nullable=False),
    Column("record_id", IdType, nullable=True),
    Column("event_id", BigInteger, nullable=True),
    Column("at", UTCDateTime, nullable=False),
    Column("outcome", String(16), nullable=False),  # ok | error | loop
    Column("duration_ms", Integer, nullable=False),
    Column("detail", JSONType, nullable=True),
    Index("ix_automation_runs_rule", "rule_id", "id"),
    Index("ix_automation_runs_record", "record_id", "id"),
)

counters = Table(
    "automation_counters",
    metadata,
    Column("key", String(200), primary_key=True),
    Column("value", BigInteger, nullable=False),
)
