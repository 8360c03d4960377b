"""System tables of the approval engine, on the shared ``accord.db.tables.metadata``.

- ``approval_flows``: the current definition of each flow (object, entry condition, priority,
  nodes as JSON) and its version number.
- ``approval_flow_versions``: every saved definition; an instance runs the version it started
  with, so editing a flow never changes running instances.
- ``approval_instances``: one submission of one record to one flow version: status, submitter,
  and ``state`` (the positions of the running tokens, parallel joins, chosen approvers).
  ``version`` is bumped by every action (optimistic concurrency between approvers).
- ``approval_tasks``: one person's part at one node: approve tasks (sequential ones wait their
  turn), CC tasks, added signers (加签) and delegations (委派); due times for reminders and
  timeouts.
- ``approval_steps``: the trail: who did what, when, with which comment, and how long the task
  had waited.
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

flows = Table(
    "approval_flows",
    metadata,
    Column("id", IdType, primary_key=True),
    Column("name", String(100), nullable=False, unique=True),
    Column("object_name", String(63), nullable=False),
    Column("priority", Integer, nullable=False),
    Column("enabled", Boolean, nullable=False, default=False),
    Column("version", Integer, nullable=False),
    Column("definition", JSONType, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("created_by", IdType, nullable=True),
    Column("updated_at", UTCDateTime, nullable=False),
    Column("updated_by", IdType, nullable=True),
    Index("ix_approval_flows_object", "object_name", "enabled", "priority"),
)

flow_versions = Table(
    "approval_flow_versions",
    metadata,
    Column("flow_id", IdType, primary_key=True),
    Column("version", Integer, primary_key=True),
    Column("definition", JSONType, nullable=False),
    Column("saved_at", UTCDateTime, nullable=False),
    Column("saved_by", IdType, nullable=True),
)

instances = Table(
    "approval_instances",
    metadata,
    Column("id", IdType, primary_key=True),
    Column("flow_id", IdType, nullable=False),
    Column("flow_version", Integer, nullable=False),
    Column("object_name", String(63), nullable=False),
    Column("record_id", IdType, nullable=False),
    Column("title", String(300), nullable=False),
    Column("status", String(16), nullable=False),  # running approved rejected withdrawn returned
    Column("submitter_id", IdType, nullable=False),
    Column("submitted_at", UTCDateTime, nullable=False),
    Column("finished_at", UTCDateTime, nullable=True),
    Column("round", Integer, nullable=False),  # 1 + resubmissions
    Column("state", JSONType, nullable=False),
    Column("version", Integer, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Index("ix_approval_instances_record", "object_name", "record_id", "submitted_at"),
    Index("ix_approval_instances_submitter", "submitter_id", "submitted_at"),
)

tasks = Table(
    "approval_tasks",
    metadata,
    Column("id", IdType, primary_key=True),
    Column("instance_id", IdType, nullable=False),
    Column("node_id", String(63), nullable=False),
    Column("round", Integer, nullable=False),
    Column("kind", String(16), nullable=False),  # approve cc added delegate
    Column("assignee_id", IdType, nullable=False),
    # waiting pending approved rejected transferred delegated cancelled skipped unread read
    Column("status", String(16), nullable=False),
    Column("seq", Integer, nullable=False),
    Column("parent_id", IdType, nullable=True),  # added signer / delegation: the task it serves
    Column("position", String(8), nullable=True),  # added signers: before | after
    Column("created_at", UTCDateTime, nullable=False),
    Column("activated_at", UTCDateTime, nullable=True),
    Column("acted_at", UTCDateTime, nullable=True),
    Column("comment", Text, nullable=True),
    Column("remind_at", UTCDateTime, nullable=True),
    Column("timeout_at", UTCDateTime, nullable=True),
    Index("ix_approval_tasks_assignee", "assignee_id", "status", "created_at"),
    Index("ix_approval_tasks_instance", "instance_id", "node_id"),
    Index("ix_approval_tasks_remind", "remind_at"),
    Index("ix_approval_tasks_timeout", "timeout_at"),
)

steps = Table(
    "approval_steps",
    metadata,
    Column("id", _BigId, primary_key=True, autoincrement=True),
    Column("instance_id", IdType, nullable=False),
    Column("task_id", IdType, nullable=True),
    Column("node_id", String(63), nullable=True),
    Column("actor_id", IdType, nullable=True),  # None: the system (timeouts, policies)
    Column("action", String(32), nullable=False),
    Column("comment", Text, nullable=True),
    Column("attachments", JSONType, nullable=True),
    Column("at", UTCDateTime, nullable=False),
    Column("waited_ms", _BigId, nullable=True),
    Column("detail", JSONType, nullable=True),
    Index("ix_approval_steps_instance", "instance_id", "id"),
    Index("ix_approval_steps_actor", "actor_id", "at"),
)
