"""Metadata service: every definition change goes check → plan → apply, logged and versioned.

Public verbs take ``ctx`` and run inside the caller's unit of work: a failed check or a failed
DDL step rolls back the definitions, the DDL (both dialects run DDL transactionally) and the log.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from typing import Any

from sqlalchemy import delete, insert, select, update

from accord.auth import audit
from accord.core.context import Context
from accord.core.errors import Conflict, FieldError, Invalid, NotFound
from accord.db import tables as t
from accord.meta.checks import check_object
from accord.meta.ddl import apply_plan
from accord.meta.fieldtypes.base import Problem
from accord.meta.model import ACTIVE, ARCHIVED, FieldDef, ObjectDef
from accord.meta.plan import Action, plan_object
from accord.meta.registry import Registry, forget, load
from accord.meta.serialize import (
    FIELD_KEYS,
    field_from_dict,
    field_to_dict,
    object_from_dict,
    object_to_dict,
)


def registry(ctx: Context) -> Registry:
    return load(ctx)


def get_object(ctx: Context, name: str) -> ObjectDef:
    return load(ctx).object(name)


def list_objects(ctx: Context) -> list[ObjectDef]:
    return sorted(
        (o for o in load(ctx).objects.values() if o.status == ACTIVE), key=lambda o: o.name
    )


# --- the one write path ---------------------------------------------------------------------


def apply_definitions(
    ctx: Context,
    new_defs: Sequence[ObjectDef],
    *,
    action: str,
    dry_run: bool = False,
    purge: Mapping[str, tuple[str, ...]] | None = None,
) -> list[Action]:
    """Check, plan and (unless ``dry_run``) apply new versions of ``new_defs``."""
    reg = load(ctx)
    before = dict(reg.objects)
    after = dict(before)
    for d in new_defs:
        after[d.name] = d
    problems: list[Problem] = []
    for d in new_defs:
        problems += check_object(d, after)
    if problems:
        raise Invalid(
            "INVALID_DEFINITION",
            f"The definition has {len(problems)} problem(s).",
            [_problem_error(p) for p in problems],
        )
    actions: list[Action] = []
    for d in _dependency_order(new_defs, after):
        actions += plan_object(
            ctx.conn, d, before.get(d.name), after, purge=(purge or {}).get(d.name, ())
        )
    if dry_run:
        return actions
    apply_plan(ctx.conn, actions, after, before)
    version = _bump_version(ctx)
    now = ctx.clock.now()
    for d in new_defs:
        old = before.get(d.name)
        _write_definition(ctx, d, old, now)
        diff = definition_diff(old, d)
        if diff:
            ctx.conn.execute(
                insert(t.meta_changes).values(
                    meta_version=version,
                    at=now,
                    actor_id=ctx.actor.id,
                    object_name=d.name,
                    field_name=None,
                    action=action,
                    diff=diff,
                )
            )
            # Metadata changes are in the audit log too (who changed which definition); the
            # diff itself stays in meta_changes.
            audit.record(ctx, f"meta.{action}", "object", d.name, {"meta_version": version})
    forget(ctx)
    return actions


def _problem_error(p: Problem) -> FieldError:
    where = ".".join(x for x in (p.object, p.field) if x) or None
    return FieldError(where, p.id, p.message)


def _dependency_order(
    defs: Sequence[ObjectDef], objects: Mapping[str, ObjectDef]
) -> list[ObjectDef]:
    """Referenced objects first, so foreign keys find their tables; cycles keep given order."""
    names = {d.name for d in defs}
    by_name = {d.name: d for d in defs}
    out: list[ObjectDef] = []
    state: dict[str, int] = {}

    def visit(n: str) -> None:
        if state.get(n) == 2 or n not in names:
            return
        if state.get(n) == 1:
            return  # a cycle: ddl adds the cross foreign keys after the tables exist
        state[n] = 1
        for f in by_name[n].fields:
            target = f.options.get("target") if isinstance(f.options, Mapping) else None
            if isinstance(target, str) and target != n:
                visit(target)
        state[n] = 2
        out.append(by_name[n])

    for d in defs:
        visit(d.name)
    return out


def _bump_version(ctx: Context) -> int:
    conn = ctx.conn
    res = conn.execute(
        update(t.meta_state)
        .where(t.meta_state.c.id == 1)
        .values(version=t.meta_state.c.version + 1)
        .returning(t.meta_state.c.version)
    ).scalar()
    if res is None:
        conn.execute(insert(t.meta_state).values(id=1, version=1))
        return 1
    return int(res)


def _write_definition(ctx: Context, d: ObjectDef, old: ObjectDef | None, now: Any) -> None:
    conn = ctx.conn
    settings = {
        "icon": d.icon,
        "validation_rules": object_to_dict(d).get("validation_rules", []),
    }
    values = dict(
        table_name=d.table_name,
        label=dict(d.label),
        plural_label=dict(d.plural_label),
        description=dict(d.description) if d.description else None,
        ownable=d.ownable,
        title_field=d.title_field,
        settings=settings,
        is_system=d.system,
        status=d.status,
        updated_at=now,
    )
    if old is None:
        conn.execute(insert(t.meta_objects).values(name=d.name, created_at=now, **values))
    else:
        conn.execute(update(t.meta_objects).where(t.meta_objects.c.name == d.name).values(**values))
    mf = t.meta_fields
    created = dict(
        conn.execute(select(mf.c.name, mf.c.created_at).where(mf.c.object_name == d.name)).all()
    )
    conn.execute(delete(mf).where(mf.c.object_name == d.name))
    rows = []
    for i, f in enumerate(d.fields):
        rows.append(
            dict(
                object_name=d.name,
                name=f.name,
                type=f.type,
                label=dict(f.label),
                help=dict(f.help) if f.help else None,
                required=f.required,
                is_unique=f.unique,
                indexed=f.indexed,
                read_only=f.read_only,
                searchable=f.searchable,
                default=f.default,
                options=dict(f.options),
                validation=dict(f.validation),
                position=i,
                status=f.status,
                is_system=f.system,
                created_at=created.get(f.name, now),
                updated_at=now,
            )
        )
    if rows:
        conn.execute(insert(t.meta_fields), rows)


def definition_diff(old: ObjectDef | None, new: ObjectDef) -> dict[str, Any]:
    """What changed, field by field: ``{"object": {key: [old, new]}, "fields": {name: …}}``."""
    if old is None:
        return {"created": object_to_dict(new)}
    o, n = object_to_dict(old), object_to_dict(new)
    diff: dict[str, Any] = {}
    obj_changes = {
        k: [o.get(k), n.get(k)] for k in set(o) | set(n) if k != "fields" and o.get(k) != n.get(k)
    }
    if obj_changes:
        diff["object"] = obj_changes
    of = {f["name"]: f for f in o["fields"]}
    nf = {f["name"]: f for f in n["fields"]}
    fields: dict[str, Any] = {}
    for name in sorted(set(of) | set(nf)):
        a, b = of.get(name), nf.get(name)
        if a == b:
            continue
        if a is None:
            fields[name] = {"added": b}
        elif b is None:
            fields[name] = {"removed": a}
        else:
            fields[name] = {
                k: [a.get(k), b.get(k)] for k in set(a) | set(b) if a.get(k) != b.get(k)
            }
    if fields:
        diff["fields"] = fields
    return diff


# --- verbs used by the API, the CLI and the app installer --------------------------------------


def create_object(ctx: Context, data: Mapping[str, Any]) -> ObjectDef:
    d = object_from_dict(data)
    if d.name in load(ctx).objects:
        raise Conflict("OBJECT_EXISTS", f"An object named {d.name!r} already exists.")
    apply_definitions(ctx, [d], action="create_object")
    return get_object(ctx, d.name)


OBJECT_PATCHABLE = {
    "label",
    "plural_label",
    "description",
    "title_field",
    "icon",
    "validation_rules",
}


def update_object(ctx: Context, name: str, changes: Mapping[str, Any]) -> ObjectDef:
    current = get_object(ctx, name)
    bad = [k for k in changes if k not in OBJECT_PATCHABLE]
    if bad:
        raise Invalid(
            "INVALID_DEFINITION",
            "Only labels, description, title field, icon and validation rules can be patched.",
            [FieldError(k, "NOT_PATCHABLE", f"{k} cannot be changed here") for k in bad],
        )
    merged = object_to_dict(current) | dict(changes)
    d = object_from_dict(merged, system=current.system)
    apply_definitions(ctx, [d], action="update_object")
    return get_object(ctx, name)


def archive_object(ctx: Context, name: str) -> None:
    current = get_object(ctx, name)
    if current.system:
        raise Conflict("OBJECT_IS_SYSTEM", f"The built-in object {name!r} cannot be deleted.")
    apply_definitions(ctx, [replace(current, status=ARCHIVED)], action="archive_object")


def add_field(ctx: Context, object_name: str, data: Mapping[str, Any]) -> FieldDef:
    current = get_object(ctx, object_name)
    f = field_from_dict(data, position=len(current.fields))
    assert f is not None
    if current.field(f.name) is not None:
        raise Conflict("FIELD_EXISTS", f"{object_name} already has a field named {f.name!r}.")
    apply_definitions(ctx, [replace(current, fields=(*current.fields, f))], action="add_field")
    return get_object(ctx, object_name).field(f.name)  # type: ignore[return-value]


FIELD_PATCHABLE = FIELD_KEYS - {"name", "status"}  # renaming goes through add + archive


def update_field(ctx: Context, object_name: str, name: str, changes: Mapping[str, Any]) -> FieldDef:
    current = get_object(ctx, object_name)
    f = current.field(name)
    if f is None or not f.active:
        raise NotFound("FIELD_NOT_FOUND", f"{object_name} has no field named {name!r}.")
    bad = [k for k in changes if k not in FIELD_PATCHABLE]
    if bad:
        raise Invalid(
            "INVALID_DEFINITION",
            "These keys cannot be patched.",
            [FieldError(k, "NOT_PATCHABLE", f"{k} cannot be changed") for k in bad],
        )
    merged = field_to_dict(f) | dict(changes)
    nf = field_from_dict(merged, system=f.system, position=f.position)
    assert nf is not None
    fields = tuple(nf if x.name == name else x for x in current.fields)
    apply_definitions(ctx, [replace(current, fields=fields)], action="update_field")
    return get_object(ctx, object_name).field(name)  # type: ignore[return-value]


def archive_field(ctx: Context, object_name: str, name: str) -> None:
    """Delete a field from the user's view; its column and data stay until ``purge_field``."""
    current = get_object(ctx, object_name)
    f = current.field(name)
    if f is None or not f.active:
        raise NotFound("FIELD_NOT_FOUND", f"{object_name} has no field named {name!r}.")
    if f.system:
        raise Conflict("FIELD_IS_SYSTEM", f"The built-in field {name!r} cannot be deleted.")
    if current.title_field == name:
        raise Conflict("FIELD_IS_TITLE", f"{name!r} is the object's title field.")
    fields = tuple(
        x.with_(status=ARCHIVED, unique=False, indexed=False, searchable=False)
        if x.name == name
        else x
        for x in current.fields
    )
    apply_definitions(ctx, [replace(current, fields=fields)], action="archive_field")


def purge_field(ctx: Context, object_name: str, name: str) -> None:
    """Destructive: drop an archived field's columns and data. Needs the field archived first."""
    current = get_object(ctx, object_name)
    f = current.field(name)
    if f is None:
        raise NotFound("FIELD_NOT_FOUND", f"{object_name} has no field named {name!r}.")
    if f.active:
        raise Conflict("FIELD_NOT_ARCHIVED", "Archive (delete) the field before purging it.")
    fields = tuple(x for x in current.fields if x.name != name)
    apply_definitions(
        ctx, [replace(current, fields=fields)], action="purge_field", purge={object_name: (name,)}
    )


def history(ctx: Context, object_name: str, limit: int = 100) -> list[dict[str, Any]]:
    rows = ctx.conn.execute(
        select(t.meta_changes)
        .where(t.meta_changes.c.object_name == object_name)
        .order_by(t.meta_changes.c.id.desc())
        .limit(limit)
    ).mappings()
    return [dict(r) for r in rows]


# --- whole configuration ---------------------------------------------------------------------


def export_config(ctx: Context, objects: Iterable[str] | None = None) -> dict[str, Any]:
    reg = load(ctx)
    names = sorted(objects) if objects else sorted(reg.objects)
    return {
        "accord_config": 1,
        "meta_version": reg.version,
        "objects": [object_to_dict(reg.objects[n]) for n in names if n in reg.objects],
    }


def import_config(ctx: Context, data: Any, *, dry_run: bool = False) -> list[Action]:
    if not isinstance(data, Mapping) or not isinstance(data.get("objects"), list):
        raise Invalid(
            "INVALID_CONFIG",
            "A configuration file is a mapping with an 'objects' list.",
            [FieldError("objects", "MALFORMED", "expected a list of object definitions")],
        )
    reg = load(ctx)
    defs = []
    errors: list[FieldError] = []
    for i, od in enumerate(data["objects"]):
        try:
            name = od.get("name") if isinstance(od, Mapping) else None
            existing = reg.objects.get(name) if isinstance(name, str) else None
            defs.append(object_from_dict(od, system=bool(existing and existing.system)))
        except Invalid as exc:
            errors += [FieldError(f"objects[{i}].{e.field}", e.code, e.message) for e in exc.errors]
    if errors:
        raise Invalid("INVALID_CONFIG", "The configuration is malformed.", errors)
    return apply_definitions(ctx, defs, action="import_config", dry_run=dry_run)


def migrate(ctx: Context, *, dry_run: bool = False) -> list[Action]:
    """Bring every object table in line with its definition (idempotent)."""
    reg = load(ctx)
    defs = list(reg.objects.values())
    actions: list[Action] = []
    for d in _dependency_order(defs, reg.objects):
        actions += plan_object(ctx.conn, d, d, reg.objects)
    if not dry_run and actions:
        apply_plan(ctx.conn, actions, reg.objects, reg.objects)
    return actions
