"""What the API and CLI call: rules as versioned metadata, their dry run and execution log,
YAML export and import. Only administrators manage rules; every change is audited."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import yaml
from sqlalchemy import func, select

from accord.auth import audit
from accord.auth.org import require_admin
from accord.automation import checks, engine, repository
from accord.automation.model import Rule, rule_from_row, trigger_from_json
from accord.core.context import Context
from accord.core.errors import FieldError, Invalid, NotFound, PreconditionFailed
from accord.core.ids import new_id, parse_id
from accord.meta import service as meta
from accord.query import filter_clause

DEFINITION_KEYS = ("name", "object", "description", "enabled", "trigger", "condition", "actions")
DRY_RUN_MAX = 100
MAX_YAML_CHARS = 1_000_000


def _admin(ctx: Context) -> None:
    require_admin(ctx, "manage automation rules")


def _invalid(errors: list[FieldError]) -> Invalid:
    return Invalid("AUTOMATION_RULE_INVALID", "The rule is not valid.", errors)


def list_rules(ctx: Context, object_name: str | None = None) -> list[Rule]:
    _admin(ctx)
    return repository.rules(ctx.conn, objects=[object_name] if object_name else None)


def get_rule(ctx: Context, ref: str) -> Rule:
    """A rule by id or by name."""
    _admin(ctx)
    rid = parse_id(ref) or repository.rule_id_by_name(ctx.conn, ref)
    row = repository.rule_row(ctx.conn, rid) if rid else None
    if row is None:
        raise NotFound("AUTOMATION_RULE_NOT_FOUND", f"There is no rule {ref!r}.")
    return rule_from_row(row)


def _checked(ctx: Context, d: Mapping[str, Any], rule_id: str, version: int) -> Rule:
    """Validate a whole definition; the rule it would be (or raise with every problem)."""
    unknown = sorted(set(d) - set(DEFINITION_KEYS))
    if unknown:
        raise _invalid([FieldError(k, "automation.E001", "unknown key") for k in unknown])
    reg = meta.registry(ctx)
    errors = checks.check_definition(ctx, reg, d)
    if errors:
        raise _invalid(errors)
    rule = Rule(
        id=rule_id,
        name=d["name"].strip(),
        object_name=d["object"],
        trigger=trigger_from_json(d["trigger"]),
        condition=d.get("condition"),
        actions=tuple(dict(a) for a in d["actions"]),
        enabled=bool(d.get("enabled", False)),
        version=version,
        description=d.get("description"),
    )
    cycle = checks.check_cycles(rule, repository.rules(ctx.conn, objects=[rule.object_name]))
    if cycle:
        raise _invalid(cycle)
    other = repository.rule_id_by_name(ctx.conn, rule.name)
    if other is not None and other != rule_id:
        raise _invalid([FieldError("name", "automation.E001", "another rule has this name")])
    return rule


def create_rule(ctx: Context, definition: Mapping[str, Any]) -> Rule:
    _admin(ctx)
    if not isinstance(definition, Mapping):
        raise _invalid([FieldError("", "automation.E001", "a rule is a JSON object")])
    rule = _checked(ctx, definition, new_id(), 1)
    now = ctx.clock.now()
    row = _row(ctx, rule) | {"created_at": now, "created_by": ctx.actor.id}
    repository.insert_rule(ctx.conn, row)
    _saved(ctx, rule, "create")
    return get_rule(ctx, rule.id)


def update_rule(
    ctx: Context, ref: str, changes: Mapping[str, Any], *, version: int | None = None
) -> Rule:
    """Change some keys of the definition (the rest stay); ``version`` refuses a stale edit."""
    current = get_rule(ctx, ref)
    if version is not None and version != current.version:
        raise PreconditionFailed(
            "VERSION_CONFLICT", f"The rule is at version {current.version}, not {version}."
        )
    if not isinstance(changes, Mapping):
        raise _invalid([FieldError("", "automation.E001", "changes are a JSON object")])
    merged = {**current.definition(), **changes}
    rule = _checked(ctx, merged, current.id, current.version + 1)
    repository.update_rule(ctx.conn, rule.id, _row(ctx, rule))
    _saved(ctx, rule, "update")
    return get_rule(ctx, rule.id)


def set_enabled(ctx: Context, ref: str, enabled: bool) -> Rule:
    return update_rule(ctx, ref, {"enabled": enabled})


def delete_rule(ctx: Context, ref: str) -> None:
    rule = get_rule(ctx, ref)
    repository.delete_rule(ctx.conn, rule.id)
    audit.record(ctx, "automation.rule.delete", "automation_rule", rule.id, {"name": rule.name})


def _row(ctx: Context, rule: Rule) -> dict[str, Any]:
    return {
        "id": rule.id,
        "name": rule.name,
        "object_name": rule.object_name,
        "description": rule.description,
        "trigger": rule.trigger.to_json(),
        "condition": rule.condition,
        "actions": [dict(a) for a in rule.actions],
        "enabled": rule.enabled,
        "version": rule.version,
        "updated_at": ctx.clock.now(),
        "updated_by": ctx.actor.id,
    }


def _saved(ctx: Context, rule: Rule, action: str) -> None:
    now = ctx.clock.now()
    repository.save_version(ctx.conn, rule.id, rule.version, rule.definition(), now, ctx.actor.id)
    details = {"name": rule.name, "version": rule.version, "enabled": rule.enabled}
    audit.record(ctx, f"automation.rule.{action}", "automation_rule", rule.id, details)


def versions(ctx: Context, ref: str) -> list[dict[str, Any]]:
    return repository.versions(ctx.conn, get_rule(ctx, ref).id)


def runs(
    ctx: Context,
    ref: str,
    *,
    outcome: str | None = None,
    before: int | None = None,
    limit: int = 50,
) -> list[dict[str, Any]]:
    rule = get_rule(ctx, ref)
    return repository.runs(ctx.conn, rule_id=rule.id, outcome=outcome, before=before, limit=limit)


# --- dry run -------------------------------------------------------------------------------


def dry_run(ctx: Context, definition: Mapping[str, Any], *, limit: int = 20) -> dict[str, Any]:
    """Which existing records meet the rule's condition now and what each action would do —
    nothing is written. Works on a saved rule's definition or on an unsaved one."""
    _admin(ctx)
    rule = _checked(ctx, {**definition, "enabled": False}, "dry-run", 0)
    reg = meta.registry(ctx)
    t = reg.table(rule.object_name)
    where = t.c.deleted_at.is_(None)
    clause = filter_clause(ctx, reg, rule.object_name, rule.condition)
    if clause is not None:
        where = where & clause
    total = ctx.conn.scalar(select(func.count()).select_from(t).where(where))
    limit = max(1, min(limit, DRY_RUN_MAX))
    ids = ctx.conn.scalars(select(t.c.id).where(where).order_by(t.c.id.desc()).limit(limit))
    title = reg.object(rule.object_name).title_field
    records = []
    for rid in ids:
        rid = str(rid)
        preview = engine.preview_for(ctx, reg, rule, rid)
        row = ctx.conn.execute(select(t).where(t.c.id == rid)).mappings().first() or {}
        label = row.get(title) if title else None
        records.append({"id": rid, "title": label, "actions": preview})
    return {"matched": int(total or 0), "shown": len(records), "records": records}


# --- YAML ----------------------------------------------------------------------------------


def export_yaml(ctx: Context, object_name: str | None = None) -> str:
    rules = [r.definition() for r in list_rules(ctx, object_name)]
    return yaml.safe_dump({"rules": rules}, allow_unicode=True, sort_keys=False)


def import_yaml(ctx: Context, text: str) -> list[dict[str, Any]]:
    """Create or update (by name) every rule in the document; all or nothing."""
    _admin(ctx)
    if not isinstance(text, str) or len(text) > MAX_YAML_CHARS:
        raise _invalid([FieldError("", "automation.E001", "send YAML text up to 1 MB")])
    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise _invalid([FieldError("", "automation.E001", f"not YAML: {exc}")]) from None
    items = doc.get("rules") if isinstance(doc, Mapping) else None
    if not isinstance(items, list):
        raise _invalid([FieldError("rules", "automation.E001", "a list under 'rules'")])
    done: list[dict[str, Any]] = []
    problems: list[FieldError] = []
    for i, d in enumerate(items):
        try:
            with ctx.conn.begin_nested():
                name = d.get("name") if isinstance(d, Mapping) else None
                existing = repository.rule_id_by_name(ctx.conn, name) if name else None
                if existing:
                    rule = update_rule(ctx, existing, d)
                    done.append({"name": rule.name, "status": "updated", "version": rule.version})
                else:
                    rule = create_rule(ctx, d)
                    done.append({"name": rule.name, "status": "created", "version": 1})
        except Invalid as exc:
            problems += [FieldError(f"rules[{i}].{e.field}", e.code, e.message) for e in exc.errors]
    if problems:
        raise _invalid(problems)
    return done
