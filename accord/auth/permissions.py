"""Effective permissions: what one user may do with each object, merged from all their roles.

Rules (ADR 0018):

- **Deny by default.** An object no role of the user names is not accessible, custom objects
  included, until a role grants it. Administrators (``users.is_admin`` or a role marked
  ``is_admin``) and the system actor get everything. A disabled or unknown user gets nothing.
- **The widest grant wins**, per object, per flag and per scope. Scopes are cumulative, each
  including the narrower ones: ``none`` < ``self`` < ``subordinates`` (self + everyone below
  along the reporting line) < ``department`` (that + the user's department) <
  ``department_tree`` (that + the departments below) < ``all``.
- **Field security:** a field is hidden only if every role that grants read on the object hides
  it; read-only unless some role granting create or update leaves it writable (neither hidden
  nor read-only there). Hidden fields are read-only too.

``permissions_for`` is on the hot path: results are cached per process by user id and
``org_state.version`` (bumped with every change to roles, grants, assignments, managers,
departments and user status); a unit of work reads that version once (``ctx.memo``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Literal, cast

from sqlalchemy import select

from accord.auth.org import OrgGraph, org_graph, org_version, uncommitted_changes
from accord.core.context import Actor, Context
from accord.db import tables as t

Scope = Literal["none", "self", "subordinates", "department", "department_tree", "all"]
SCOPES: tuple[Scope, ...] = ("none", "self", "subordinates", "department", "department_tree", "all")
FLAGS = ("create", "read", "update", "delete", "import", "export")
_RANK = {s: i for i, s in enumerate(SCOPES)}
# Key of the process cache (runtime.caches) and of the unit-of-work memo (ctx.memo, which
# org.bump_org_version clears).
_KEY = "auth.permissions"
MAX_CACHED_USERS = 20_000  # a bound, not a tuning knob: one entry per active user


def widest(a: Scope, b: Scope) -> Scope:
    return a if _RANK[a] >= _RANK[b] else b


@dataclass(frozen=True)
class ObjectAccess:
    create: bool
    read: bool
    update: bool
    delete: bool
    import_: bool
    export: bool
    read_scope: Scope
    write_scope: Scope  # of update and delete; create makes the user's own records
    hidden_fields: frozenset[str]
    readonly_fields: frozenset[str]


DENY = ObjectAccess(
    False, False, False, False, False, False, "none", "none", frozenset(), frozenset()
)
FULL = ObjectAccess(True, True, True, True, True, True, "all", "all", frozenset(), frozenset())


@dataclass(frozen=True)
class Permissions:
    user_id: str
    is_admin: bool
    self_and_subordinates: frozenset[str]  # user ids (the user included)
    department_ids: frozenset[str]  # the user's own department (empty if none)
    department_tree_ids: frozenset[str]  # own department and all below it
    # Own department and those above it: a record shared with any of them reaches the user.
    share_department_ids: frozenset[str] = frozenset()
    department_user_ids: frozenset[str] = frozenset()  # users of the own department
    department_tree_user_ids: frozenset[str] = frozenset()  # users of the department tree
    role_names: tuple[str, ...] = ()
    org_version: int = 0
    objects: Mapping[str, ObjectAccess] = field(default_factory=dict, compare=False, hash=False)

    def object(self, name: str) -> ObjectAccess:
        """The user's access to object ``name``: everything for administrators, nothing for an
        object no role of theirs names."""
        if self.is_admin:
            return FULL
        return self.objects.get(name, DENY)

    def owner_ids(self, scope: Scope) -> frozenset[str] | None:
        """The owners whose records ``scope`` covers: None for ``all``, empty for ``none``.
        (For large departments a subquery on ``users.department_id IN department_tree_ids``
        may beat this list.)"""
        if scope == "all":
            return None
        if scope == "none":
            return frozenset()
        if scope == "self":
            return frozenset({self.user_id})
        if scope == "subordinates":
            return self.self_and_subordinates
        if scope == "department":
            return self.self_and_subordinates | self.department_user_ids
        return self.self_and_subordinates | self.department_tree_user_ids


def _everything(user_id: str, version: int) -> Permissions:
    return Permissions(
        user_id, True, frozenset({user_id}), frozenset(), frozenset(), org_version=version
    )


def permissions_for(ctx: Context, actor: Actor) -> Permissions:
    """``actor``'s effective permissions: memoised in the unit of work, cached per process by
    user id and organisation version."""
    if actor.is_system:
        return _everything(actor.id, 0)
    memo: dict[str, Permissions] = ctx.memo.setdefault(_KEY, {})
    hit = memo.get(actor.id)
    if hit is not None:
        return hit
    version = org_version(ctx)
    private = uncommitted_changes(ctx)
    cache: tuple[int, dict[str, Permissions]] | None = ctx.runtime.caches.get(_KEY)
    perms = None
    if not private and cache is not None and cache[0] == version:
        perms = cache[1].get(actor.id)
    if perms is None:
        perms = compute_permissions(ctx, actor.id, org_graph(ctx))
        if not private:
            # Computed from committed data at this version: share it with the process.
            if cache is None or cache[0] != version or len(cache[1]) >= MAX_CACHED_USERS:
                cache = (version, {})
                ctx.runtime.caches[_KEY] = cache
            cache[1][actor.id] = perms
    memo[actor.id] = perms
    return perms


def compute_permissions(ctx: Context, user_id: str, graph: OrgGraph) -> Permissions:
    """Read the user's roles, grants and field permissions and merge them (no cache)."""
    u, ur, r = t.users, t.user_roles, t.roles
    user = ctx.conn.execute(
        select(u.c.is_admin, u.c.is_active, u.c.department_id).where(u.c.id == user_id)
    ).first()
    if user is None or not user.is_active:
        return Permissions(
            user_id, False, frozenset(), frozenset(), frozenset(), org_version=graph.version
        )
    roles = ctx.conn.execute(
        select(r.c.id, r.c.name, r.c.is_admin)
        .join(ur, ur.c.role_id == r.c.id)
        .where(ur.c.user_id == user_id)
        .order_by(r.c.name)
    ).all()
    dept = user.department_id
    own = frozenset({dept}) if dept else frozenset()
    tree = graph.department_tree(dept) if dept else frozenset()
    is_admin = bool(user.is_admin) or any(x.is_admin for x in roles)
    role_ids = [x.id for x in roles]
    objects = {} if is_admin or not role_ids else _merge(ctx, role_ids)
    return Permissions(
        user_id=user_id,
        is_admin=is_admin,
        self_and_subordinates=graph.subordinates(user_id) | {user_id},
        department_ids=own,
        department_tree_ids=tree,
        share_department_ids=graph.department_ancestors(dept) if dept else frozenset(),
        department_user_ids=graph.members(own),
        department_tree_user_ids=graph.members(tree),
        role_names=tuple(x.name for x in roles),
        org_version=graph.version,
        objects=MappingProxyType(objects),  # shared by the process cache: read-only
    )


def _merge(ctx: Context, role_ids: list[str]) -> dict[str, ObjectAccess]:
    g, fp = t.role_grants, t.role_field_permissions
    grants: dict[str, list[Any]] = {}
    for row in ctx.conn.execute(select(g).where(g.c.role_id.in_(role_ids))):
        grants.setdefault(row.object_name, []).append(row)
    restricted: dict[tuple[str, str], dict[str, str]] = {}  # (role, object) → field → access
    for row in ctx.conn.execute(select(fp).where(fp.c.role_id.in_(role_ids))):
        restricted.setdefault((row.role_id, row.object_name), {})[row.field_name] = row.access
    return {obj: merge_grants(obj, rows, restricted) for obj, rows in grants.items()}


def merge_grants(
    obj: str, rows: Iterable[Any], restricted: Mapping[tuple[str, str], Mapping[str, str]]
) -> ObjectAccess:
    """One object's access from several roles' grant rows: the widest of each flag and scope;
    field security as described in the module docstring."""
    rows = list(rows)
    flag = {f: any(getattr(x, f"can_{f}") for x in rows) for f in FLAGS}
    read_scope: Scope = "none"
    write_scope: Scope = "none"
    for x in rows:
        if x.can_read:
            read_scope = widest(read_scope, cast(Scope, x.read_scope))
        if x.can_update or x.can_delete:
            write_scope = widest(write_scope, cast(Scope, x.write_scope))

    def limits(x: Any) -> Mapping[str, str]:
        return restricted.get((x.role_id, obj), {})

    readers = [limits(x) for x in rows if x.can_read]
    hidden: set[str] = set()
    if readers:
        hidden = {f for f, a in readers[0].items() if a == "hidden"}
        for lim in readers[1:]:
            hidden &= {f for f, a in lim.items() if a == "hidden"}
    writers = [limits(x) for x in rows if x.can_create or x.can_update]
    mentioned = {f for x in rows for f in limits(x)}
    writable = {f for f in mentioned if any(f not in lim for lim in writers)}
    return ObjectAccess(
        create=flag["create"],
        read=flag["read"],
        update=flag["update"],
        delete=flag["delete"],
        import_=flag["import"],
        export=flag["export"],
        read_scope=read_scope,
        write_scope=write_scope,
        hidden_fields=frozenset(hidden),
        readonly_fields=frozenset((mentioned - writable) | hidden),
    )
