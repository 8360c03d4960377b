"""Approval flows as versioned metadata: save (every problem at once), change, switch on and
off, delete, list versions. Only administrators manage flows; every change is audited.
Running instances keep the version they started with."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from accord.auth import audit
from accord.auth.org import require_admin
from accord.core.context import Context
from accord.core.errors import Conflict, FieldError, Invalid, NotFound, PreconditionFailed
from accord.core.ids import new_id, parse_id
from accord.meta import service as meta
from accord.workflow import checks, repository


def _admin(ctx: Context) -> None:
    require_admin(ctx, "manage approval flows")


def _invalid(errors: list[FieldError]) -> Invalid:
    return Invalid("APPROVAL_FLOW_INVALID", "The approval flow is not valid.", errors)


def _json(row: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "id": str(row["id"]),
        **dict(row["definition"]),
        "enabled": row["enabled"],
        "priority": row["priority"],
        "version": row["version"],
        "created_at": row["created_at"],
        "updated_at": row["updated_at"],
    }


def _row(ctx: Context, ref: Any) -> Mapping[str, Any]:
    fid = parse_id(ref) or (
        repository.flow_id_by_name(ctx.conn, ref) if isinstance(ref, str) else None
    )
    row = repository.flow_row(ctx.conn, fid) if fid else None
    if row is None:
        raise NotFound("APPROVAL_FLOW_NOT_FOUND", f"There is no approval flow {str(ref)[:100]!r}.")
    return row


def list_flows(ctx: Context, object_name: str | None = None) -> list[dict[str, Any]]:
    _admin(ctx)
    return [_json(r) for r in repository.flows(ctx.conn, object_name=object_name)]


def get_flow(ctx: Context, ref: Any) -> dict[str, Any]:
    _admin(ctx)
    return _json(_row(ctx, ref))


def check(ctx: Context, definition: Any) -> list[FieldError]:
    """Every problem of a definition, without saving it."""
    _admin(ctx)
    return checks.check_definition(ctx, meta.registry(ctx), definition)


def _checked(ctx: Context, d: Any, flow_id: str | None) -> dict[str, Any]:
    errors = check(ctx, d)
    if errors:
        raise _invalid(errors)
    other = repository.flow_id_by_name(ctx.conn, d["name"])
    if other is not None and str(other) != flow_id:
        raise _invalid([FieldError("name", checks.E_TOP, f"a flow named {d['name']!r} exists")])
    return dict(d)


def _store(ctx: Context, flow_id: str, d: dict[str, Any], version: int, action: str) -> None:
    now = ctx.clock.now()
    values = {
        "name": d["name"],
        "object_name": d["object"],
        "priority": d.get("priority", 100),
        "enabled": d.get("enabled", False),
        "version": version,
        "definition": {k: v for k, v in d.items() if k not in ("enabled", "priority")},
        "updated_at": now,
        "updated_by": ctx.actor.id,
    }
    if action == "create":
        repository.insert_flow(
            ctx.conn, {"id": flow_id, "created_at": now, "created_by": ctx.actor.id, **values}
        )
    else:
        repository.update_flow(ctx.conn, flow_id, values)
    repository.save_version(ctx.conn, flow_id, version, d, now, ctx.actor.id)
    audit.record(
        ctx,
        f"approval.flow.{action}",
        "approval_flow",
        flow_id,
        {"name": d["name"], "version": version, "enabled": values["enabled"]},
    )


def create_flow(ctx: Context, definition: Any) -> dict[str, Any]:
    d = _checked(ctx, definition, None)
    flow_id = new_id()
    _store(ctx, flow_id, d, 1, "create")
    return get_flow(ctx, flow_id)


def update_flow(
    ctx: Context, ref: Any, changes: Any, *, version: int | None = None
) -> dict[str, Any]:
    """Change some keys (the rest stay); saves version n + 1. Running instances keep theirs."""
    row = _row(ctx, ref)
    _admin(ctx)
    if version is not None and version != row["version"]:
        raise PreconditionFailed(
            "VERSION_CONFLICT", f"The flow is at version {row['version']}, not {version}."
        )
    if not isinstance(changes, Mapping):
        raise _invalid([FieldError("", checks.E_TOP, "changes are a JSON object")])
    current = _json(row)
    base = {k: v for k, v in current.items() if k in checks.TOP_KEYS}
    d = _checked(ctx, {**base, **changes}, str(row["id"]))
    _store(ctx, str(row["id"]), d, row["version"] + 1, "update")
    return get_flow(ctx, row["id"])


def set_enabled(ctx: Context, ref: Any, enabled: bool) -> dict[str, Any]:
    return update_flow(ctx, ref, {"enabled": enabled})


def delete_flow(ctx: Context, ref: Any) -> None:
    """Only a flow with no running instance can go (switch it off instead)."""
    row = _row(ctx, ref)
    _admin(ctx)
    running = repository.running_count(ctx.conn, row["id"])
    if running:
        raise Conflict(
            "APPROVAL_FLOW_IN_USE",
            f"{running} approval(s) of this flow are still running; switch it off instead.",
        )
    repository.delete_flow(ctx.conn, row["id"])
    audit.record(
        ctx, "approval.flow.delete", "approval_flow", str(row["id"]), {"name": row["name"]}
    )


def versions(ctx: Context, ref: Any) -> list[dict[str, Any]]:
    row = _row(ctx, ref)
    _admin(ctx)
    return repository.versions(ctx.conn, row["id"])
