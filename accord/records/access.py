"""The one choke point through which every record read and write passes (ADR 0018, 0020).

- ``require(ctx, obj, action)``: the object-level grant (create, read, update, delete, import,
  export); a missing grant is ``Forbidden`` (``NOT_ALLOWED``): it names the object, never a
  record, so it reveals nothing about ids.
- ``scope_clause(ctx, obj, table, mode)``: the SQL condition limiting which rows the acting user
  may see (``read``) or change (``write``): owners in the user's data scope, or records shared
  with the user (record teams). Every query of the record service — get, list, search, timeline,
  history, bulk — ANDs it in, so scope is enforced in SQL, never by filtering loaded rows. Ids
  outside the scope are ``NotFound``, exactly as ids that do not exist (no probing).
- ``hidden_fields`` / ``readonly_fields``: field security. Hidden fields never leave the service
  (responses, search hits, history, timeline items) and cannot be filtered or sorted on: to the
  user they do not exist (``visible_registry``). Writing a read-only or hidden field is
  ``Forbidden`` naming the field.

The scope clause depends only on the acting user and the organisation version (shares are a
subquery, read when the statement runs), so a compiled list page may be reused under the same
``version`` (records/page_plans.py).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from typing import Any, Literal

from sqlalchemy import ColumnElement, Table, and_, false, or_

from accord.auth.org import org_version
from accord.auth.permissions import FULL, ObjectAccess, Permissions, permissions_for
from accord.auth.teams import shared_record_ids
from accord.core.context import Context
from accord.core.errors import FieldError, Forbidden, NotFound
from accord.meta.fieldtypes.base import FieldType
from accord.meta.model import FieldDef, ObjectDef

Mode = Literal["read", "write"]
Action = Literal["create", "read", "update", "delete", "import", "export"]
_FLAG = {"import": "import_"}


def permissions(ctx: Context) -> Permissions:
    return permissions_for(ctx, ctx.actor)


def object_access(ctx: Context, obj: ObjectDef | str) -> ObjectAccess:
    if ctx.actor.is_system:
        return FULL
    return permissions(ctx).object(obj if isinstance(obj, str) else obj.name)


def require(ctx: Context, obj: ObjectDef | str, action: Action) -> ObjectAccess:
    """The user's access to ``obj``, which must grant ``action``."""
    a = object_access(ctx, obj)
    if not getattr(a, _FLAG.get(action, action)):
        name = obj if isinstance(obj, str) else obj.name
        raise Forbidden("NOT_ALLOWED", f"You may not {action} {name} records.")
    return a


def owner_column(obj: ObjectDef, table: Table) -> Any:
    """Whose record a row is: its owner, or its creator for objects without owners."""
    return table.c.owner_id if obj.ownable else table.c.created_by


NOBODY: frozenset[str] = frozenset()


def _scope_owners(ctx: Context, obj: ObjectDef, mode: Mode) -> tuple[Permissions, Any]:
    """(the user's permissions, the owners whose records ``mode`` reaches: None for everyone,
    empty for no one)."""
    perms = permissions(ctx)
    if ctx.actor.is_system or perms.is_admin:
        return perms, None
    a = perms.object(obj.name)
    scope = a.read_scope if mode == "read" else a.write_scope
    allowed = a.read if mode == "read" else (a.update or a.delete)
    return perms, perms.owner_ids(scope) if allowed else NOBODY


def scope_clause(
    ctx: Context, obj: ObjectDef, table: Table, mode: Mode
) -> ColumnElement[bool] | None:
    """The rows of ``obj`` the acting user may access in ``mode`` (None: all rows): owned by
    someone in their scope, or shared with them."""
    perms, owners = _scope_owners(ctx, obj, mode)
    if owners is None:
        return None
    if not owners:
        return false()
    shared = table.c.id.in_(shared_record_ids(perms, obj.name, mode))
    return or_(owner_column(obj, table).in_(sorted(owners)), shared)


MAX_BRANCHES = 32  # owners of a scope listed as one branch each (beyond: one IN list)


def scope_branches(
    ctx: Context, obj: ObjectDef, table: Table, mode: Mode
) -> list[ColumnElement[bool]] | None:
    """The scope as disjoint conditions — one per owner, one for records shared with the user
    and owned by someone else — for a list page to read as a merge of per-owner index ranges
    (``build_list_query(branches=…)``). None when the scope is not a short list of owners
    (everything, nothing, or more than ``MAX_BRANCHES`` owners): then ``scope_clause``."""
    perms, owners = _scope_owners(ctx, obj, mode)
    if not owners or len(owners) > MAX_BRANCHES:
        return None
    col = owner_column(obj, table)
    ordered = sorted(owners)
    shared = and_(
        table.c.id.in_(shared_record_ids(perms, obj.name, mode)),
        or_(col.is_(None), col.not_in(ordered)),
    )
    return [*(col == o for o in ordered), shared]


def write_owners(ctx: Context, obj: ObjectDef) -> frozenset[str] | None:
    """The owners whose records the user may change (None: anyone's). A user who may create
    but not update gets their own."""
    if ctx.actor.is_system:
        return None
    perms = permissions(ctx)
    if perms.is_admin:
        return None
    a = perms.object(obj.name)
    return perms.owner_ids(a.write_scope if (a.update or a.delete) else "self")


def in_write_scope(ctx: Context, obj: ObjectDef, owner: str | None) -> bool:
    """Whether a record owned by ``owner`` would be in the user's write scope (to refuse
    assigning records to owners outside it, e.g. another department)."""
    owners = write_owners(ctx, obj)
    return owners is None or owner in owners


def hidden_fields(ctx: Context, obj: ObjectDef | str) -> frozenset[str]:
    return object_access(ctx, obj).hidden_fields


def readonly_fields(ctx: Context, obj: ObjectDef | str) -> frozenset[str]:
    return object_access(ctx, obj).readonly_fields


def visible_definition(ctx: Context, obj: ObjectDef) -> ObjectDef | None:
    """``obj`` as the acting user may see its definition: None when they may not read the
    object, else without the fields hidden from them."""
    a = object_access(ctx, obj)
    if not a.read:
        return None
    if not a.hidden_fields:
        return obj
    return replace(obj, fields=tuple(f for f in obj.fields if f.name not in a.hidden_fields))


def refuse_protected(ctx: Context, obj: ObjectDef, names: Iterable[str]) -> None:
    """``Forbidden`` naming each read-only (or hidden) field among ``names``."""
    protected = readonly_fields(ctx, obj)
    bad = sorted(n for n in names if n in protected)
    if bad:
        raise Forbidden(
            "FIELD_READ_ONLY",
            f"You may not change {', '.join(bad)}.",
            [FieldError(n, "FIELD_READ_ONLY", f"{n} is read-only for you") for n in bad],
        )


def version(ctx: Context) -> int:
    """What the acting user's scope and field security depend on besides their id: the
    organisation version (roles, grants, reporting lines, departments). A compiled list page
    is reused only under the same version (page_plans.py)."""
    return 0 if ctx.actor.is_system else org_version(ctx)


class VisibleRegistry:
    """The registry as the acting user sees it, for parsing filters and sorts: objects they
    may not read do not exist, nor do hidden fields (so a filter cannot reveal their values)."""

    def __init__(self, ctx: Context, reg: Any) -> None:
        self.ctx, self.reg = ctx, reg
        self._objects: dict[str, ObjectDef] = {}

    def object(self, name: str) -> ObjectDef:
        found = self._objects.get(name)
        if found is not None:
            return found
        obj = visible_definition(self.ctx, self.reg.object(name))
        if obj is None:
            raise NotFound("OBJECT_NOT_FOUND", f"No object named {name!r}.")
        self._objects[name] = obj
        return obj

    def table(self, name: str) -> Table:
        return self.reg.table(name)  # type: ignore[no-any-return]

    def field_type(self, f: FieldDef) -> FieldType:
        return self.reg.field_type(f)  # type: ignore[no-any-return]


def visible_registry(ctx: Context, reg: Any) -> Any:
    """``reg`` itself for users who see everything, else a ``VisibleRegistry``."""
    if ctx.actor.is_system or permissions(ctx).is_admin:
        return reg
    return VisibleRegistry(ctx, reg)
