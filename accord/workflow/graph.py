"""The shape of a flow's node graph: which scope (top level, or a branch of a parallel node)
each node belongs to, and the structural problems — references to unknown nodes, cycles, nodes
shared between scopes, unreachable nodes. Works on the raw definition, so the save-time checks
and the engine agree on the same walk."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

Path = tuple[tuple[str, int], ...]  # ((parallel node id, branch index), …) from the top


@dataclass
class Shape:
    paths: dict[str, Path] = field(default_factory=dict)  # node id → its scope
    unknown: list[tuple[str, str]] = field(default_factory=list)  # (where, missing id)
    cycles: list[str] = field(default_factory=list)  # nodes closing a cycle
    shared: list[str] = field(default_factory=list)  # nodes reached from two scopes

    def unreachable(self, ids: list[str]) -> list[str]:
        return [i for i in ids if i not in self.paths]


def successors(node: Mapping[str, Any]) -> list[tuple[str, Any]]:
    """(where, target) pairs of the node's edges within its own scope; a parallel node's
    branches open new scopes and are not listed."""
    kind = node.get("type")
    if kind == "condition":
        out = [
            (f"branches[{i}].next", b.get("next") if isinstance(b, Mapping) else None)
            for i, b in enumerate(node.get("branches") or [])
        ]
        return [*out, ("default", node.get("default"))]
    return [("next", node.get("next"))]


def shape(start: Any, nodes: Mapping[str, Mapping[str, Any]]) -> Shape:
    """Walk from ``start``; ``nodes`` maps id → raw node (ids already known to be unique)."""
    out = Shape()
    _walk(out, nodes, start, (), "start", [])
    return out


def _walk(
    out: Shape,
    nodes: Mapping[str, Mapping[str, Any]],
    node_id: Any,
    path: Path,
    where: str,
    stack: list[str],
) -> None:
    if node_id is None:
        return  # the end of this scope
    if not isinstance(node_id, str) or node_id not in nodes:
        out.unknown.append((where, str(node_id)))
        return
    if node_id in stack:
        out.cycles.append(node_id)
        return
    if node_id in out.paths:
        if out.paths[node_id] != path and node_id not in out.shared:
            out.shared.append(node_id)
        return  # already walked (two branches of a condition meeting again is fine)
    out.paths[node_id] = path
    node = nodes[node_id]
    stack.append(node_id)
    if node.get("type") == "parallel":
        for i, first in enumerate(node.get("branches") or []):
            _walk(out, nodes, first, (*path, (node_id, i)), f"{node_id}.branches[{i}]", [])
    for edge, target in successors(node):
        _walk(out, nodes, target, path, f"{node_id}.{edge}", stack)
    stack.pop()
