"""Roles: per-object grants, per-field security, assignments to users, and the shipped roles.

A role grants, per object (by name): create, read, update, delete, import, export, a read scope
and a write scope (of update and delete), and may mark fields ``hidden`` or ``read_only``. A role
with ``is_admin`` grants everything, like ``users.is_admin``. How several roles of one user
combine is ``accord.auth.permissions``' business.

Only administrators change roles or assignments, and nobody changes their own assignments.
Every change bumps the organisation version and writes an audit entry. Objects and fields are
named by string (``auth`` sits below ``meta``); callers that know the definitions pass a
``catalog`` so unknown names are refused.

Shipped roles come from a YAML file (``accord/apps/crm/roles.yaml``) installed by
``install_roles``: missing roles are created, existing ones are left as administrators edited
them.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Mapping
from pathlib import Path
from typing import Any, Protocol

import yaml
from sqlalchemy import delete, func, insert, select, update

from accord.auth import audit
from accord.auth.org import bump_org_version, get_user, is_text, refuse_escalation, require_admin
from accord.auth.permissions import FLAGS, SCOPES, widest
from accord.core.context import Context
from accord.core.errors import Conflict, FieldError, Invalid, NotFound
from accord.core.ids import new_id
from accord.db import tables as t

NAME = re.compile(r"[a-z][a-z0-9_]{0,62}")
FIELD_ACCESS = ("hidden", "read_only")
ROLE_KEYS = frozenset({"name", "label", "description", "is_admin", "grants", "field_permissions"})
GRANT_KEYS = frozenset({*FLAGS, "read_scope", "write_scope"})
# Fields of an object by object name, None for an unknown object (from ``meta``, at the edge).
Catalog = Callable[[str], Collection[str] | None]


class _Readable(Protocol):
    def read_text(self, encoding: str = ...) -> str: ...


# --- validation ----------------------------------------------------------------------------


def _label(value: Any, loc: str, errors: list[FieldError]) -> dict[str, str] | None:
    """``{"en": …, "zh": …}`` (a plain string stands for both)."""
    if isinstance(value, str):
        value = {"en": value, "zh": value}
    ok = (
        isinstance(value, Mapping)
        and set(value) <= {"en", "zh"}
        and all(is_text(v) for v in value.values())
        and value.get("en")
        and value.get("zh")
    )
    if not ok:
        errors.append(FieldError(loc, "INVALID_LABEL", 'text or {"en": …, "zh": …}'))
        return None
    return dict(value)


def _object_name(
    obj: Any, loc: str, catalog: Catalog | None, errors: list[FieldError]
) -> Collection[str] | bool:
    """The object's fields (or True without a catalog); False when the name is refused."""
    if not isinstance(obj, str) or not NAME.fullmatch(obj):
        errors.append(FieldError(loc, "INVALID_VALUE", "not an object name"))
        return False
    if catalog is None:
        return True
    fields = catalog(obj)
    if fields is None:
        errors.append(FieldError(loc, "UNKNOWN_OBJECT", f"no object {obj!r}"))
        return False
    return fields


def _grant(value: Any, loc: str, errors: list[FieldError]) -> dict[str, Any] | None:
    """A grant with every flag and both scopes; scopes default to ``self`` and are ``none``
    where no flag uses them."""
    if not isinstance(value, Mapping):
        errors.append(FieldError(loc, "INVALID_TYPE", "expected an object"))
        return None
    before = len(errors)
    for key in sorted(set(value) - GRANT_KEYS):
        errors.append(FieldError(f"{loc}.{key}", "UNKNOWN_KEY", f"unknown key {key!r}"))
    out: dict[str, Any] = {}
    for f in FLAGS:
        v = value.get(f, False)
        if not isinstance(v, bool):
            errors.append(FieldError(f"{loc}.{f}", "INVALID_TYPE", "expected true or false"))
        out[f] = v is True
    for key in ("read_scope", "write_scope"):
        v = value.get(key, "self")
        if v not in SCOPES:
            errors.append(FieldError(f"{loc}.{key}", "INVALID_CHOICE", f"one of {SCOPES}"))
            v = "none"
        out[key] = v
    needs = [("update", "read"), ("delete", "read"), ("export", "read"), ("import", "create")]
    for flag, required in needs:
        if out[flag] and not out[required]:
            errors.append(FieldError(f"{loc}.{flag}", "INVALID_GRANT", f"{flag} needs {required}"))
    if not out["read"]:
        out["read_scope"] = "none"
    if not (out["update"] or out["delete"]):
        out["write_scope"] = "none"
    for flag, key in (("read", "read_scope"), ("update", "write_scope"), ("delete", "write_scope")):
        if out[flag] and out[key] == "none":
            errors.append(FieldError(f"{loc}.{key}", "INVALID_GRANT", f"{flag} needs a scope"))
    if widest(out["read_scope"], out["write_scope"]) != out["read_scope"]:
        errors.append(
            FieldError(f"{loc}.write_scope", "INVALID_GRANT", "wider than the read scope")
        )
    return out if len(errors) == before else None


def _field_access(
    obj: str,
    value: Any,
    loc: str,
    fields: Collection[str] | bool,
    errors: list[FieldError],
    *,
    allow_null: bool,
) -> dict[str, str | None] | None:
    if not isinstance(value, Mapping):
        errors.append(FieldError(loc, "INVALID_TYPE", "expected {field: hidden|read_only}"))
        return None
    out: dict[str, str | None] = {}
    for name, access in value.items():
        floc = f"{loc}.{name}"
        if not isinstance(name, str) or not NAME.fullmatch(name):
            errors.append(FieldError(floc, "INVALID_VALUE", "not a field name"))
        elif not isinstance(fields, bool) and name not in fields:
            errors.append(FieldError(floc, "UNKNOWN_FIELD", f"{obj} has no field {name!r}"))
        elif access is None and allow_null:
            out[name] = None
        elif access not in FIELD_ACCESS:
            errors.append(FieldError(floc, "INVALID_CHOICE", "hidden or read_only"))
        else:
            out[name] = access
    return out


def _check_role(data: Mapping[str, Any], *, catalog: Catalog | None, patch: bool) -> dict[str, Any]:
    """Cleaned role values; raises ``INVALID_ROLE`` listing every problem. In a patch, ``null``
    removes an object's grant, an object's field permissions or one field's."""
    errors: list[FieldError] = []
    if not isinstance(data, Mapping):
        raise Invalid("INVALID_ROLE", "A role is a JSON object.", [])
    out: dict[str, Any] = {}
    for key in sorted(set(data) - ROLE_KEYS):
        errors.append(FieldError(key, "UNKNOWN_KEY", f"unknown key {key!r}"))
    if patch and "name" in data:
        errors.append(FieldError("name", "NOT_PATCHABLE", "a role's name cannot change"))
    elif not patch:
        name = data.get("name")
        if not isinstance(name, str) or not NAME.fullmatch(name):
            errors.append(FieldError("name", "INVALID_VALUE", "1–63 of a-z 0-9 _, from a letter"))
        out["name"] = name
    if "label" in data or not patch:
        out["label"] = _label(data.get("label"), "label", errors)
    if data.get("description") is not None:
        out["description"] = _label(data["description"], "description", errors)
    elif "description" in data:
        out["description"] = None
    if "is_admin" in data:
        if not isinstance(data["is_admin"], bool):
            errors.append(FieldError("is_admin", "INVALID_TYPE", "expected true or false"))
        out["is_admin"] = data["is_admin"] is True
    grants = data.get("grants", {} if not patch else None)
    if grants is not None:
        out["grants"] = _check_grants(grants, catalog, patch, errors)
    fps = data.get("field_permissions", {} if not patch else None)
    if fps is not None:
        out["field_permissions"] = _check_field_permissions(fps, catalog, patch, errors)
    if errors:
        raise Invalid("INVALID_ROLE", "The role is not valid.", errors)
    return out


def _check_grants(
    grants: Any, catalog: Catalog | None, patch: bool, errors: list[FieldError]
) -> dict[str, Any]:
    if not isinstance(grants, Mapping):
        errors.append(FieldError("grants", "INVALID_TYPE", "expected {object: grant}"))
        return {}
    out: dict[str, Any] = {}
    for obj, grant in grants.items():
        loc = f"grants.{obj}"
        if _object_name(obj, loc, catalog, errors) is False:
            continue
        if grant is None and patch:
            out[obj] = None
        else:
            out[obj] = _grant(grant, loc, errors)
    return out


def _check_field_permissions(
    fps: Any, catalog: Catalog | None, patch: bool, errors: list[FieldError]
) -> dict[str, Any]:
    if not isinstance(fps, Mapping):
        errors.append(
            FieldError("field_permissions", "INVALID_TYPE", "expected {object: {field: access}}")
        )
        return {}
    out: dict[str, Any] = {}
    for obj, fields in fps.items():
        loc = f"field_permissions.{obj}"
        known = _object_name(obj, loc, catalog, errors)
        if known is False:
            continue
        if fields is None and patch:
            out[obj] = None
        else:
            out[obj] = _field_access(obj, fields, loc, known, errors, allow_null=patch)  # type: ignore[arg-type]
    return out


# --- reading -------------------------------------------------------------------------------


def _grant_dict(row: Any) -> dict[str, Any]:
    out: dict[str, Any] = {f: bool(getattr(row, f"can_{f}")) for f in FLAGS}
    out["read_scope"], out["write_scope"] = row.read_scope, row.write_scope
    return out


def _role_dicts(ctx: Context, where: Any = None) -> list[dict[str, Any]]:
    r, g, fp, ur = t.roles, t.role_grants, t.role_field_permissions, t.user_roles
    stmt = select(r).order_by(r.c.name)
    if where is not None:
        stmt = stmt.where(where)
    roles: dict[str, dict[str, Any]] = {}
    for row in ctx.conn.execute(stmt).mappings():
        roles[row["id"]] = {**row, "grants": {}, "field_permissions": {}, "user_count": 0}
    if not roles:
        return []
    ids = list(roles)
    for row in ctx.conn.execute(select(g).where(g.c.role_id.in_(ids)).order_by(g.c.object_name)):
        roles[row.role_id]["grants"][row.object_name] = _grant_dict(row)
    for row in ctx.conn.execute(
        select(fp).where(fp.c.role_id.in_(ids)).order_by(fp.c.object_name, fp.c.field_name)
    ):
        roles[row.role_id]["field_permissions"].setdefault(row.object_name, {})[row.field_name] = (
            row.access
        )
    counts = select(ur.c.role_id, func.count()).where(ur.c.role_id.in_(ids)).group_by(ur.c.role_id)
    for role_id, n in ctx.conn.execute(counts):
        roles[role_id]["user_count"] = int(n)
    return list(roles.values())


def list_roles(ctx: Context) -> list[dict[str, Any]]:
    """Every role with its grants, field permissions and number of users (administrators)."""
    require_admin(ctx, "see roles")
    return _role_dicts(ctx)


def get_role(ctx: Context, name: str) -> dict[str, Any]:
    require_admin(ctx, "see roles")
    return _role(ctx, name)


def _role(ctx: Context, name: str) -> dict[str, Any]:
    valid = isinstance(name, str) and NAME.fullmatch(name)
    found = _role_dicts(ctx, t.roles.c.name == name) if valid else []
    if not found:
        raise NotFound("ROLE_NOT_FOUND", f"No role named {name!r}.")
    return found[0]


# --- writing -------------------------------------------------------------------------------


def _write_grants(ctx: Context, role_id: str, grants: Mapping[str, Any]) -> None:
    g = t.role_grants
    if grants:
        ctx.conn.execute(delete(g).where(g.c.role_id == role_id, g.c.object_name.in_(grants)))
    rows = [
        {
            "role_id": role_id,
            "object_name": obj,
            **{f"can_{f}": grant[f] for f in FLAGS},
            "read_scope": grant["read_scope"],
            "write_scope": grant["write_scope"],
        }
        for obj, grant in grants.items()
        if grant is not None
    ]
    if rows:
        ctx.conn.execute(insert(g), rows)


def _write_field_permissions(ctx: Context, role_id: str, fps: Mapping[str, Any]) -> None:
    fp = t.role_field_permissions
    for obj, fields in fps.items():
        mine = (fp.c.role_id == role_id, fp.c.object_name == obj)
        if fields is None:
            ctx.conn.execute(delete(fp).where(*mine))
            continue
        if fields:
            ctx.conn.execute(delete(fp).where(*mine, fp.c.field_name.in_(fields)))
        rows = [
            {"role_id": role_id, "object_name": obj, "field_name": f, "access": a}
            for f, a in fields.items()
            if a is not None
        ]
        if rows:
            ctx.conn.execute(insert(fp), rows)


def _insert_role(ctx: Context, spec: Mapping[str, Any], *, system: bool) -> str:
    if ctx.conn.execute(select(t.roles.c.id).where(t.roles.c.name == spec["name"])).first():
        raise Conflict("ROLE_EXISTS", f"A role named {spec['name']!r} exists.")
    now, rid = ctx.clock.now(), new_id()
    ctx.conn.execute(
        insert(t.roles).values(
            id=rid,
            name=spec["name"],
            label=spec["label"],
            description=spec.get("description"),
            is_admin=spec.get("is_admin", False),
            is_system=system,
            created_at=now,
            updated_at=now,
        )
    )
    _write_grants(ctx, rid, spec["grants"])
    _write_field_permissions(ctx, rid, spec["field_permissions"])
    return rid


def create_role(
    ctx: Context, data: Mapping[str, Any], *, catalog: Catalog | None = None
) -> dict[str, Any]:
    """A custom role (administrators only); ``grants`` is ``{object: grant}`` and
    ``field_permissions`` ``{object: {field: "hidden"|"read_only"}}``."""
    require_admin(ctx, "change roles")
    spec = _check_role(data, catalog=catalog, patch=False)
    rid = _insert_role(ctx, spec, system=False)
    bump_org_version(ctx)
    audit.record(ctx, "role.create", "role", rid, {"role": spec})
    return _role(ctx, spec["name"])


def update_role(
    ctx: Context, name: str, changes: Mapping[str, Any], *, catalog: Catalog | None = None
) -> dict[str, Any]:
    """Change a role's labels, ``is_admin``, grants or field permissions. ``grants`` and
    ``field_permissions`` merge: objects (and fields) not named keep what they had; ``null``
    removes."""
    require_admin(ctx, "change roles")
    current = _role(ctx, name)
    spec = _check_role(changes, catalog=catalog, patch=True)
    values = {k: spec[k] for k in ("label", "description", "is_admin") if k in spec}
    ctx.conn.execute(
        update(t.roles)
        .where(t.roles.c.id == current["id"])
        .values(**values, updated_at=ctx.clock.now())
    )
    _write_grants(ctx, current["id"], spec.get("grants", {}))
    _write_field_permissions(ctx, current["id"], spec.get("field_permissions", {}))
    bump_org_version(ctx)
    audit.record(ctx, "role.update", "role", current["id"], {"name": name, "changes": spec})
    return _role(ctx, name)


def delete_role(ctx: Context, name: str) -> None:
    """Delete a custom role nobody holds (shipped roles stay; edit them instead)."""
    require_admin(ctx, "change roles")
    current = _role(ctx, name)
    if current["is_system"]:
        raise Conflict("ROLE_IS_SYSTEM", "Shipped roles cannot be deleted; edit them instead.")
    if current["user_count"]:
        raise Conflict(
            "ROLE_IN_USE",
            f"{current['user_count']} user(s) hold this role; unassign it first.",
            data={"user_count": current["user_count"]},
        )
    rid = current["id"]
    ctx.conn.execute(delete(t.role_grants).where(t.role_grants.c.role_id == rid))
    ctx.conn.execute(
        delete(t.role_field_permissions).where(t.role_field_permissions.c.role_id == rid)
    )
    ctx.conn.execute(delete(t.roles).where(t.roles.c.id == rid))
    bump_org_version(ctx)
    audit.record(ctx, "role.delete", "role", rid, {"name": name})


# --- assignments ---------------------------------------------------------------------------


def roles_of(ctx: Context, user_id: str) -> list[dict[str, Any]]:
    """The roles a user holds (id, name, label, is_admin): the user themself or an admin."""
    user = get_user(ctx, user_id)
    if ctx.actor.is_system or ctx.actor.id != user["id"]:
        require_admin(ctx, "see other users' roles")
    r, ur = t.roles, t.user_roles
    rows = ctx.conn.execute(
        select(r.c.id, r.c.name, r.c.label, r.c.is_admin)
        .join(ur, ur.c.role_id == r.c.id)
        .where(ur.c.user_id == user["id"])
        .order_by(r.c.name)
    ).mappings()
    return [dict(x) for x in rows]


def set_user_roles(ctx: Context, user_id: str, names: Any) -> list[dict[str, Any]]:
    """Make ``names`` exactly the roles of the user (administrators only, never their own)."""
    require_admin(ctx, "assign roles")
    user = get_user(ctx, user_id)
    if not ctx.actor.is_system and ctx.actor.id == user["id"]:
        refuse_escalation(ctx, "Nobody can change their own roles.", {"what": "own roles"})
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        raise Invalid(
            "INVALID_ASSIGNMENT",
            "Send the role names as a list.",
            [FieldError("roles", "INVALID_TYPE", "expected a list of role names")],
        )
    wanted = list(dict.fromkeys(names))
    r, ur = t.roles, t.user_roles
    valid = [n for n in wanted if NAME.fullmatch(n)]
    ids = dict(ctx.conn.execute(select(r.c.name, r.c.id).where(r.c.name.in_(valid))).all())
    unknown = [
        FieldError(f"roles[{i}]", "REFERENCE_NOT_FOUND", f"no role {n!r}")
        for i, n in enumerate(names)
        if n not in ids
    ]
    if unknown:
        raise Invalid("INVALID_ASSIGNMENT", "Some roles do not exist.", unknown)
    held = dict(
        ctx.conn.execute(
            select(r.c.name, r.c.id)
            .join(ur, ur.c.role_id == r.c.id)
            .where(ur.c.user_id == user["id"])
        ).all()
    )
    added = [n for n in wanted if n not in held]
    removed = sorted(set(held) - set(wanted))
    if removed:
        ctx.conn.execute(
            delete(ur).where(
                ur.c.user_id == user["id"], ur.c.role_id.in_([held[n] for n in removed])
            )
        )
    if added:
        now, by = ctx.clock.now(), ctx.actor.id
        ctx.conn.execute(
            insert(ur),
            [
                {"user_id": user["id"], "role_id": ids[n], "created_at": now, "created_by": by}
                for n in added
            ],
        )
    if added or removed:
        bump_org_version(ctx)
        audit.record(ctx, "user.roles", "user", user["id"], {"added": added, "removed": removed})
    return roles_of(ctx, user["id"])


# --- shipped roles -------------------------------------------------------------------------


def load_roles(source: str | Path | _Readable) -> list[dict[str, Any]]:
    """Checked role specs from a roles YAML file (a path, a package resource or YAML text):
    ``roles:`` is a list of roles shaped as ``create_role`` takes them; a top-level
    ``templates:`` key may hold YAML anchors and is otherwise ignored."""
    text = source if isinstance(source, str) else source.read_text(encoding="utf-8")
    data = yaml.safe_load(text)
    if not isinstance(data, Mapping) or not isinstance(data.get("roles"), list):
        raise Invalid("INVALID_ROLE", "A roles file holds a 'roles:' list.", [])
    specs = []
    for i, role in enumerate(data["roles"]):
        try:
            specs.append(_check_role(role, catalog=None, patch=False))
        except Invalid as exc:
            errors = [FieldError(f"roles[{i}].{e.field}", e.code, e.message) for e in exc.errors]
            raise Invalid(
                "INVALID_ROLE", f"Role {i} of the roles file is not valid.", errors
            ) from None
    return specs


def install_roles(ctx: Context, source: str | Path | _Readable) -> list[str]:
    """Create the roles of ``source`` that do not exist yet (idempotent; roles already there
    keep their edits). Returns the names created."""
    require_admin(ctx, "install roles")
    specs = load_roles(source)
    existing = set(ctx.conn.execute(select(t.roles.c.name)).scalars())
    created = []
    for spec in specs:
        if spec["name"] in existing:
            continue
        rid = _insert_role(ctx, spec, system=True)
        audit.record(ctx, "role.install", "role", rid, {"name": spec["name"]})
        created.append(spec["name"])
    if created:
        bump_org_version(ctx)
    return created
