"""Approval flow definitions as typed values (parsed from JSON/YAML already checked by
``checks.py``), and the small vocabularies the engine and the API share."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

# node types
APPROVER, CC, CONDITION, PARALLEL, ACTION = "approver", "cc", "condition", "parallel", "action"
NODE_TYPES = (APPROVER, CC, CONDITION, PARALLEL, ACTION)
# multi-approver modes
SEQUENTIAL, COUNTERSIGN, OR_SIGN = "sequential", "countersign", "or_sign"
MODES = (SEQUENTIAL, COUNTERSIGN, OR_SIGN)
TIMEOUT_ACTIONS = ("approve", "reject", "escalate")

# instance statuses
RUNNING, APPROVED, REJECTED, WITHDRAWN, RETURNED = (
    "running",
    "approved",
    "rejected",
    "withdrawn",
    "returned",
)
FINISHED = (APPROVED, REJECTED)

# task kinds and statuses
T_APPROVE, T_CC, T_ADDED, T_DELEGATE = "approve", "cc", "added", "delegate"
WAITING, PENDING = "waiting", "pending"
DONE_APPROVED, DONE_REJECTED = "approved", "rejected"
TRANSFERRED, DELEGATED, CANCELLED, SKIPPED = "transferred", "delegated", "cancelled", "skipped"
UNREAD, READ = "unread", "read"
OPEN = (WAITING, PENDING, DELEGATED)  # a task still to be decided

POLICY_DEFAULTS = {
    # no policy: a submission whose path resolves to nobody is refused (checked at save time
    # for nodes that name users or roles)
    "empty_approvers": "refuse",  # auto_approve | admin (the flow's admin) | refuse
    "submitter_is_approver": "approve",  # skip | approve
    "consecutive_same_approver": "each",  # once | each
}
POLICY_CHOICES = {
    "empty_approvers": ("auto_approve", "admin", "refuse"),
    "submitter_is_approver": ("skip", "approve"),
    "consecutive_same_approver": ("once", "each"),
}
RESUBMIT = ("restart", "continue")


@dataclass(frozen=True)
class Timeout:
    remind_after_hours: float | None = None
    act_after_hours: float | None = None
    action: str | None = None  # approve | reject | escalate


@dataclass(frozen=True)
class Node:
    id: str
    type: str
    label: Mapping[str, str] = field(default_factory=dict)
    next: str | None = None
    approvers: tuple[Mapping[str, Any], ...] = ()  # approver and cc nodes
    mode: str = SEQUENTIAL
    pass_ratio: int = 100
    editable_fields: tuple[str, ...] = ()
    timeout: Timeout = Timeout()
    branches: tuple[Mapping[str, Any], ...] = ()  # condition: {condition, next}
    default: str | None = None  # condition: where no branch holds
    parallel: tuple[str, ...] = ()  # parallel: the first node of each branch
    actions: tuple[Mapping[str, Any], ...] = ()  # action node

    def title(self, lang: str) -> str:
        return str(self.label.get(lang) or self.label.get("en") or self.id)


@dataclass(frozen=True)
class Flow:
    id: str
    name: str
    object_name: str
    version: int
    start: str
    nodes: Mapping[str, Node]
    label: Mapping[str, str] = field(default_factory=dict)
    condition: Any = None
    priority: int = 100
    enabled: bool = False
    admin: str | None = None
    policies: Mapping[str, str] = field(default_factory=lambda: dict(POLICY_DEFAULTS))
    resubmit: str = "restart"
    editable_fields: tuple[str, ...] = ()
    on_submitted: tuple[Mapping[str, Any], ...] = ()
    on_approved: tuple[Mapping[str, Any], ...] = ()
    on_rejected: tuple[Mapping[str, Any], ...] = ()

    def node(self, node_id: str) -> Node:
        return self.nodes[node_id]

    def policy(self, name: str) -> str:
        return self.policies.get(name) or POLICY_DEFAULTS[name]


def _node(raw: Mapping[str, Any]) -> Node:
    t = raw.get("timeout") or {}
    kind = raw["type"]
    return Node(
        id=raw["id"],
        type=kind,
        label=dict(raw.get("label") or {}),
        next=raw.get("next"),
        approvers=tuple(raw.get("approvers") or ()),
        mode=raw.get("mode") or SEQUENTIAL,
        pass_ratio=int(raw.get("pass_ratio") or 100),
        editable_fields=tuple(raw.get("editable_fields") or ()),
        timeout=Timeout(t.get("remind_after_hours"), t.get("act_after_hours"), t.get("action")),
        branches=tuple(raw.get("branches") or ()) if kind == CONDITION else (),
        default=raw.get("default"),
        parallel=tuple(raw.get("branches") or ()) if kind == PARALLEL else (),
        actions=tuple(raw.get("actions") or ()),
    )


def parse_flow(flow_id: str, version: int, d: Mapping[str, Any]) -> Flow:
    """A checked definition (``checks.check_definition`` found nothing) as a ``Flow``."""
    return Flow(
        id=flow_id,
        name=d["name"],
        object_name=d["object"],
        version=version,
        start=d["start"],
        nodes={n["id"]: _node(n) for n in d["nodes"]},
        label=dict(d.get("label") or {}),
        condition=d.get("condition"),
        priority=int(d.get("priority", 100)),
        enabled=bool(d.get("enabled", False)),
        admin=d.get("admin"),
        policies={**POLICY_DEFAULTS, **(d.get("policies") or {})},
        resubmit=d.get("resubmit") or "restart",
        editable_fields=tuple(d.get("editable_fields") or ()),
        on_submitted=tuple(d.get("on_submitted") or ()),
        on_approved=tuple(d.get("on_approved") or ()),
        on_rejected=tuple(d.get("on_rejected") or ()),
    )
