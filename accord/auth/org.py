"""The organisation: users' profiles, the department tree and the reporting line.

Two hierarchies, deliberately distinct: departments form a tree (``departments.parent_id``) and
each user has a direct superior (``users.manager_id``) who may sit in another department. Data
scopes use both (see ``accord.auth.permissions``). A department may name a head (负责人,
``departments.head_id``), an active user who need not be a member; approval flows route to it.

Every change here is made by an administrator (a user may edit only their own profile fields),
bumps ``org_state.version`` in the same transaction (cached permissions follow it) and writes an
audit entry. Users are never deleted: disabling keeps their records, and ``prepare_transfer``
hands their reports to someone else before the record layer moves their records.

Reads of the whole organisation go through ``org_graph``: one query for users and one for
departments per organisation version per process, then walks in Python.
"""

from __future__ import annotations

import base64
import re
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, NoReturn
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import phonenumbers
from sqlalchemy import func, insert, or_, select, update

from accord.auth import audit
from accord.auth import service as accounts
from accord.core.context import Context
from accord.core.errors import Conflict, FieldError, Forbidden, Invalid, NotFound
from accord.core.ids import new_id, parse_id
from accord.db import tables as t
from accord.db.prepared import raw_scalar

LOCALES = ("zh_CN", "en")
# A user may change these of their own profile; administrators change them for anyone.
PROFILE_FIELDS = frozenset({"name", "email", "mobile", "locale", "timezone"})
# Only administrators change these, and never their own is_admin / is_active.
ORG_FIELDS = frozenset({"department_id", "manager_id", "is_active", "is_admin"})
PUBLIC_COLUMNS = (
    "id", "login", "name", "email", "mobile", "locale", "timezone", "is_admin", "is_active",
    "department_id", "manager_id", "disabled_at", "created_at", "updated_at",
)  # fmt: skip
MAX_PAGE = 500
_EMAIL = re.compile(r"[^@\s\x00-\x1f\x7f]+@[^@\s\x00-\x1f\x7f]+\.[^@\s\x00-\x1f\x7f]+")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")

_VERSION, _GRAPH, _UNCOMMITTED = "auth.org_version", "auth.org_graph", "auth.org_uncommitted"
_VERSION_SQL = f"SELECT version FROM {t.org_state.name} WHERE id = 1"


def is_text(value: Any, max_length: int = 200) -> bool:
    """A non-blank string the databases can store (PostgreSQL refuses NUL characters)."""
    return (
        isinstance(value, str)
        and bool(value.strip())
        and len(value) <= max_length
        and "\x00" not in value
    )


# --- organisation version ------------------------------------------------------------------


READ_RECHECK_SECONDS = 1.0


def org_version(ctx: Context) -> int:
    """``org_state.version``: one primary-key read, at most once per unit of work. Read-only
    units of work trust a value read within the last second, as the metadata registry does
    (ADR 0019): another process's role change reaches this one's reads within that bound; this
    process's own changes at once (``bump_org_version`` drops the shared value)."""
    v = ctx.memo.get(_VERSION)
    if v is not None:
        return int(v)
    shared: tuple[int, float] | None = ctx.runtime.caches.get(_VERSION)
    now = time.monotonic()
    readonly = ctx.conn.get_execution_options().get("accord_readonly", False)
    if shared is not None and readonly and now - shared[1] < READ_RECHECK_SECONDS:
        v = shared[0]
    else:
        v = int(raw_scalar(ctx.conn, _VERSION_SQL) or 0)
        ctx.runtime.caches[_VERSION] = (v, now)
    ctx.memo[_VERSION] = v
    return v


def bump_org_version(ctx: Context) -> int:
    """Move the version on in this transaction; this unit of work re-reads what it cached, and
    nothing it computes from now on becomes the process-wide copy (it may roll back)."""
    st = t.org_state
    v = ctx.conn.execute(
        update(st).where(st.c.id == 1).values(version=st.c.version + 1).returning(st.c.version)
    ).scalar()
    if v is None:
        ctx.conn.execute(insert(st).values(id=1, version=1))
        v = 1
    for key in (_GRAPH, "auth.permissions"):
        ctx.memo.pop(key, None)
    ctx.runtime.caches.pop(_VERSION, None)
    ctx.memo[_VERSION] = int(v)
    ctx.memo[_UNCOMMITTED] = True
    return int(v)


def uncommitted_changes(ctx: Context) -> bool:
    """True once this unit of work changed the organisation (its caches stay private)."""
    return bool(ctx.memo.get(_UNCOMMITTED))


# --- the graph: reporting line and department tree -----------------------------------------


def _walk(children: Mapping[str, tuple[str, ...]], roots: Iterable[str]) -> set[str]:
    """Everything reachable from ``roots`` (roots included); safe on cycles."""
    seen: set[str] = set()
    stack = list(roots)
    while stack:
        node = stack.pop()
        if node in seen:
            continue
        seen.add(node)
        stack.extend(children.get(node, ()))
    return seen


def _invert(parent_of: Mapping[str, str | None]) -> dict[str, tuple[str, ...]]:
    out: dict[str, list[str]] = {}
    for child, parent in parent_of.items():
        if parent is not None:
            out.setdefault(parent, []).append(child)
    return {k: tuple(v) for k, v in out.items()}


@dataclass(frozen=True)
class OrgGraph:
    """Who reports to whom and which department holds whom, at one organisation version."""

    version: int
    manager_of: Mapping[str, str | None]  # every user id → their manager
    department_of: Mapping[str, str | None]  # every user id → their department
    parent_of: Mapping[str, str | None]  # every department id → its parent
    reports: Mapping[str, tuple[str, ...]]  # manager → direct reports
    children: Mapping[str, tuple[str, ...]]  # department → sub-departments
    members_of: Mapping[str, tuple[str, ...]]  # department → its users

    @classmethod
    def build(
        cls,
        version: int,
        users: Iterable[tuple[str, str | None, str | None]],
        departments: Iterable[tuple[str, str | None]],
    ) -> OrgGraph:
        """From (user id, manager id, department id) and (department id, parent id) rows."""
        manager_of: dict[str, str | None] = {}
        department_of: dict[str, str | None] = {}
        for uid, manager, dept in users:
            manager_of[uid], department_of[uid] = manager, dept
        parent_of = dict(departments)
        return cls(
            version, manager_of, department_of, parent_of,
            _invert(manager_of), _invert(parent_of), _invert(department_of),
        )  # fmt: skip

    def subordinates(self, user_id: str) -> frozenset[str]:
        """Everyone below ``user_id`` along the reporting line (not the user)."""
        return frozenset(_walk(self.reports, [user_id]) - {user_id})

    def department_tree(self, department_id: str) -> frozenset[str]:
        """The department and every department below it."""
        return frozenset(_walk(self.children, [department_id]))

    def department_ancestors(self, department_id: str) -> frozenset[str]:
        """The department and every department above it."""
        out: set[str] = set()
        node: str | None = department_id
        while node is not None and node not in out:
            out.add(node)
            node = self.parent_of.get(node)
        return frozenset(out)

    def members(self, department_ids: Iterable[str]) -> frozenset[str]:
        """Users whose department is one of ``department_ids``."""
        return frozenset(u for d in department_ids for u in self.members_of.get(d, ()))


def org_graph(ctx: Context) -> OrgGraph:
    """The graph at the database's organisation version: cached per process, checked once per
    unit of work."""
    memo = ctx.memo.get(_GRAPH)
    if memo is not None:
        return memo  # type: ignore[no-any-return]
    version = org_version(ctx)
    cached: OrgGraph | None = ctx.runtime.caches.get(_GRAPH)
    if cached is None or cached.version != version or uncommitted_changes(ctx):
        u, d = t.users, t.departments
        users = ctx.conn.execute(select(u.c.id, u.c.manager_id, u.c.department_id)).all()
        depts = ctx.conn.execute(select(d.c.id, d.c.parent_id)).all()
        cached = OrgGraph.build(version, users, depts)  # type: ignore[arg-type]
        if not uncommitted_changes(ctx):
            ctx.runtime.caches[_GRAPH] = cached
    ctx.memo[_GRAPH] = cached
    return cached


def subordinate_ids(ctx: Context, user_id: str) -> frozenset[str]:
    """Users below ``user_id`` along ``manager_id``, transitively (the user not included)."""
    graph = org_graph(ctx)
    if user_id not in graph.manager_of:
        # Users made by ``accord user create`` do not move the version: no reports, no manager.
        _user_row(ctx, user_id)
        return frozenset()
    return graph.subordinates(user_id)


def department_tree_ids(ctx: Context, department_id: str) -> frozenset[str]:
    """``department_id`` and every department below it."""
    graph = org_graph(ctx)
    if department_id not in graph.parent_of:
        raise NotFound("DEPARTMENT_NOT_FOUND", f"No department with id {department_id!r}.")
    return graph.department_tree(department_id)


# --- who may change the organisation -------------------------------------------------------


def is_administrator(ctx: Context, user_id: str) -> bool:
    """``users.is_admin``, or holding a role marked ``is_admin`` (an active user only)."""
    u, ur, r = t.users, t.user_roles, t.roles
    has_admin_role = (
        select(ur.c.user_id)
        .join(r, r.c.id == ur.c.role_id)
        .where(ur.c.user_id == u.c.id, r.c.is_admin.is_(True))
        .exists()
    )
    row = ctx.conn.execute(
        select(u.c.is_active, or_(u.c.is_admin.is_(True), has_admin_role).label("admin")).where(
            u.c.id == user_id
        )
    ).first()
    return bool(row is not None and row.is_active and row.admin)


def require_admin(ctx: Context, what: str = "change the organisation") -> None:
    """Refuse anyone but an administrator (or the system) with ``NOT_ALLOWED``."""
    if ctx.actor.is_system or is_administrator(ctx, ctx.actor.id):
        return
    refuse_escalation(ctx, f"Only administrators may {what}.", {"what": what})


def refuse_escalation(ctx: Context, message: str, details: dict[str, Any]) -> NoReturn:
    """``NOT_ALLOWED``, with an ``access.denied`` audit entry that is committed although the
    request fails: attempts to act beyond one's rights leave a trace."""
    audit.record(ctx, "access.denied", "user", ctx.actor.id, details)
    raise Forbidden("NOT_ALLOWED", message, commit=True)


# --- users ---------------------------------------------------------------------------------


def _public(row: Mapping[str, Any]) -> dict[str, Any]:
    return {c: row[c] for c in PUBLIC_COLUMNS}


def _user_row(ctx: Context, user_id: Any) -> dict[str, Any]:
    uid = parse_id(user_id)
    row = (
        ctx.conn.execute(select(t.users).where(t.users.c.id == uid)).mappings().first()
        if uid
        else None
    )
    if row is None:
        raise NotFound("USER_NOT_FOUND", f"No user with id {user_id!r}.")
    return dict(row)


def get_user(ctx: Context, user_id: str) -> dict[str, Any]:
    return _public(_user_row(ctx, user_id))


def _cursor(login: str) -> str:
    return base64.urlsafe_b64encode(login.encode()).decode().rstrip("=")


def _after(cursor: str) -> str:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        login = base64.b64decode(padded, altchars=b"-_", validate=True).decode()
        if not is_text(login, 150):
            raise ValueError(login)
        return login
    except ValueError:
        raise Invalid(
            "INVALID_CURSOR",
            "The cursor is malformed.",
            [FieldError("cursor", "INVALID_CURSOR", "malformed cursor")],
        ) from None


def list_users(
    ctx: Context,
    *,
    department_id: str | None = None,
    active: bool | None = None,
    q: str | None = None,
    limit: int = 50,
    cursor: str | None = None,
) -> tuple[list[dict[str, Any]], str | None]:
    """Users ordered by login, one keyset page, and the cursor of the next page (or None)."""
    if not 1 <= limit <= MAX_PAGE:
        raise Invalid(
            "INVALID_LIMIT",
            f"limit must be 1–{MAX_PAGE}.",
            [FieldError("limit", "OUT_OF_RANGE", f"1–{MAX_PAGE}")],
        )
    u = t.users
    stmt = select(u).order_by(u.c.login).limit(limit + 1)
    if department_id is not None:
        dept = parse_id(department_id)
        if dept is None:
            return [], None  # no department has that id
        stmt = stmt.where(u.c.department_id == dept)
    if active is not None:
        stmt = stmt.where(u.c.is_active.is_(active))
    if q:
        if not is_text(q):
            raise Invalid(
                "INVALID_PARAMETER",
                "q is 1–200 characters of text.",
                [FieldError("q", "INVALID_VALUE", "1–200 characters, no NUL")],
            )
        stmt = stmt.where(
            or_(u.c.login.icontains(q, autoescape=True), u.c.name.icontains(q, autoescape=True))
        )
    if cursor:
        stmt = stmt.where(u.c.login > _after(cursor))
    rows = [_public(r) for r in ctx.conn.execute(stmt).mappings()]
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, (_cursor(rows[-1]["login"]) if more else None)


def _err(field: str, code: str, message: str) -> FieldError:
    return FieldError(field, code, message)


def _check_user_values(
    ctx: Context, values: Mapping[str, Any], user_id: str | None
) -> tuple[dict[str, Any], list[FieldError]]:
    """Cleaned values and every problem (no early exit: the caller reports all at once)."""
    out: dict[str, Any] = {}
    errors: list[FieldError] = []
    for key, value in values.items():
        if key == "name":
            if not isinstance(value, str) or not value.strip():
                errors.append(_err(key, "REQUIRED", "a name is required"))
            elif len(value) > 200:
                errors.append(_err(key, "TOO_LONG", "at most 200 characters"))
            elif not is_text(value):
                errors.append(_err(key, "INVALID_VALUE", "contains a NUL character"))
            else:
                out[key] = value.strip()
        elif key == "email":
            if value in (None, ""):
                out[key] = None
            elif not isinstance(value, str) or len(value) > 320 or not _EMAIL.fullmatch(value):
                errors.append(_err(key, "INVALID_EMAIL", "not an e-mail address"))
            else:
                out[key] = value
        elif key == "mobile":
            mobile = _mobile(value)
            if mobile is False:
                errors.append(_err(key, "INVALID_PHONE", "not a valid mobile number"))
            else:
                out[key] = mobile
        elif key == "locale":
            if value not in LOCALES:
                errors.append(_err(key, "INVALID_CHOICE", f"one of {', '.join(LOCALES)}"))
            else:
                out[key] = value
        elif key == "timezone":
            if not _valid_timezone(value):
                errors.append(_err(key, "INVALID_CHOICE", "an IANA time zone (Asia/Shanghai)"))
            else:
                out[key] = value
        elif key in ("is_admin", "is_active"):
            if not isinstance(value, bool):
                errors.append(_err(key, "INVALID_TYPE", "expected true or false"))
            else:
                out[key] = value
        elif key == "department_id":
            if value is None:
                out[key] = None
            elif (dept := parse_id(value)) is None or not _department_exists(ctx, dept):
                errors.append(_err(key, "REFERENCE_NOT_FOUND", "no such department"))
            else:
                out[key] = dept
        elif key == "manager_id":
            problem = None if value is None else _manager_problem(ctx, value, user_id)
            if problem:
                errors.append(_err(key, problem[0], problem[1]))
            else:
                out[key] = parse_id(value) if value is not None else None
        else:
            errors.append(_err(key, "UNKNOWN_KEY", f"unknown key {key!r}"))
    return out, errors


def _mobile(value: Any) -> str | bool | None:
    """E.164 form (China by default), None for empty, False when not a number."""
    if value in (None, ""):
        return None
    if not isinstance(value, str) or len(value) > 32:
        return False
    try:
        num = phonenumbers.parse(value, "CN")
    except phonenumbers.NumberParseException:
        return False
    if not phonenumbers.is_valid_number(num):
        return False
    return phonenumbers.format_number(num, phonenumbers.PhoneNumberFormat.E164)


def _valid_timezone(value: Any) -> bool:
    if not isinstance(value, str) or not value or len(value) > 64:
        return False
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def _department_exists(ctx: Context, department_id: str) -> bool:
    d = t.departments
    return ctx.conn.execute(select(d.c.id).where(d.c.id == department_id)).first() is not None


def _manager_problem(ctx: Context, value: Any, user_id: str | None) -> tuple[str, str] | None:
    manager = parse_id(value)
    u = t.users
    if manager is None or not ctx.conn.execute(select(u.c.id).where(u.c.id == manager)).first():
        return ("REFERENCE_NOT_FOUND", "no such user")
    if user_id is not None and (
        manager == user_id or manager in org_graph(ctx).subordinates(user_id)
    ):
        return ("MANAGER_CYCLE", "the manager reports to this user (a cycle)")
    return None


def _raise(code: str, message: str, errors: list[FieldError]) -> None:
    if errors:
        raise Invalid(code, message, errors)


def create_user(ctx: Context, values: Mapping[str, Any]) -> dict[str, Any]:
    """A user with a profile, department and manager (administrators only)."""
    require_admin(ctx, "create users")
    data = dict(values)
    login, password = data.pop("login", None), data.pop("password", None)
    data.pop("is_active", None)  # users start active
    if isinstance(login, str) and _CONTROL.search(login):
        raise Invalid(
            "INVALID_LOGIN",
            "A login has no control characters.",
            [FieldError("login", "INVALID_LOGIN", "control character")],
        )
    cleaned, errors = _check_user_values(ctx, data, None)
    _raise("INVALID_USER", "The user is not valid.", errors)
    user = accounts.create_user(
        ctx,
        login,  # type: ignore[arg-type]  (checked by create_user: INVALID_LOGIN)
        password,
        name=cleaned.get("name"),
        email=cleaned.get("email"),
        is_admin=cleaned.get("is_admin", False),
        locale=cleaned.get("locale"),
        timezone=cleaned.get("timezone"),
    )
    extra = {k: cleaned[k] for k in ("mobile", "department_id", "manager_id") if k in cleaned}
    if extra:
        ctx.conn.execute(update(t.users).where(t.users.c.id == user["id"]).values(**extra))
    bump_org_version(ctx)
    created = get_user(ctx, user["id"])
    audit.record(ctx, "user.create", "user", created["id"], _audit_view(created))
    return created


def _audit_view(user: Mapping[str, Any]) -> dict[str, Any]:
    keys = ("login", "name", "is_admin", "department_id", "manager_id")
    return {k: user[k] for k in keys}


def update_user(ctx: Context, user_id: str, changes: Mapping[str, Any]) -> dict[str, Any]:
    """Change a user's profile (``PROFILE_FIELDS``: the user or an administrator), their
    department, manager, ``is_admin`` or ``is_active`` (administrators, never on themselves),
    or another user's ``password`` (administrators; the user's sessions end). Nobody sets their
    own password here: that needs the current one (``signin.change_password``).
    ``is_active: false`` disables the user; their records stay."""
    current = _user_row(ctx, user_id)
    uid = current["id"]
    data = dict(changes)
    password = data.pop("password", None)
    org_keys = set(data) & ORG_FIELDS
    own = not ctx.actor.is_system and ctx.actor.id == uid
    if org_keys or not own:
        require_admin(ctx, "change other users or anyone's department, manager or status")
    if own and org_keys & {"is_admin", "is_active"}:
        raise Forbidden("NOT_ALLOWED", "You cannot change your own administrator flag or status.")
    if own and password is not None:
        raise Forbidden(
            "NOT_ALLOWED", "Change your own password with your current one (/api/v1/me/password)."
        )
    if "login" in data:
        raise Invalid(
            "INVALID_USER",
            "The user is not valid.",
            [_err("login", "NOT_PATCHABLE", "a login cannot change")],
        )
    cleaned, errors = _check_user_values(ctx, data, uid)
    _raise("INVALID_USER", "The user is not valid.", errors)
    if password is not None:
        accounts.set_password(ctx, current["login"], password)
    diff = {k: [current[k], v] for k, v in cleaned.items() if current[k] != v}
    if diff:
        now = ctx.clock.now()
        if "is_active" in diff:
            cleaned["disabled_at"] = None if cleaned["is_active"] else now
        ctx.conn.execute(
            update(t.users).where(t.users.c.id == uid).values(**cleaned, updated_at=now)
        )
        if set(diff) & ORG_FIELDS:
            bump_org_version(ctx)
        _audit_user_change(ctx, uid, diff)
    if password is not None:
        audit.record(ctx, "user.password_reset", "user", uid, {})
    return get_user(ctx, uid)


def _audit_user_change(ctx: Context, uid: str, diff: dict[str, list[Any]]) -> None:
    status = diff.pop("is_active", None)
    if status is not None:
        audit.record(ctx, "user.enable" if status[1] else "user.disable", "user", uid, {})
    if diff:
        audit.record(ctx, "user.update", "user", uid, {"changes": diff})


def disable_user(ctx: Context, user_id: str) -> dict[str, Any]:
    """Disable a user: they can no longer sign in; their records, shares and history stay."""
    return update_user(ctx, user_id, {"is_active": False})


def enable_user(ctx: Context, user_id: str) -> dict[str, Any]:
    return update_user(ctx, user_id, {"is_active": True})


@dataclass(frozen=True)
class Transfer:
    """The user-side half of handing a user's work to another: the record layer then moves
    ``owner_id`` from ``from_user_id`` to ``to_user_id`` and logs it with
    ``accord.auth.teams.log_owner_changes``."""

    from_user_id: str
    to_user_id: str
    reports_moved: tuple[str, ...]


def prepare_transfer(
    ctx: Context, from_user_id: str, to_user_id: str, *, move_reports: bool = True
) -> Transfer:
    """Check a transfer (administrators only; the receiver active and another user) and, with
    ``move_reports``, put the leaver's direct reports under the receiver (the receiver, when one
    of them, gets the leaver's own manager)."""
    require_admin(ctx, "transfer users' work")
    src, dst = _user_row(ctx, from_user_id), _user_row(ctx, to_user_id)
    if src["id"] == dst["id"]:
        raise Invalid(
            "INVALID_TRANSFER",
            "Transfer to another user.",
            [_err("to_user_id", "INVALID_VALUE", "the same user")],
        )
    if not dst["is_active"]:
        raise Invalid(
            "INVALID_TRANSFER",
            "The receiving user is disabled.",
            [_err("to_user_id", "USER_DISABLED", "disabled user")],
        )
    moved: list[str] = []
    if move_reports:
        graph = org_graph(ctx)
        reports = [u for u, m in graph.manager_of.items() if m == src["id"]]
        for r in reports:
            if r != dst["id"] and dst["id"] in graph.subordinates(r):
                raise Invalid(
                    "INVALID_TRANSFER",
                    "A direct report of the leaver manages the receiver (a cycle).",
                    [_err("to_user_id", "MANAGER_CYCLE", f"{r} manages the receiver")],
                )
        now = ctx.clock.now()
        for r in reports:
            new_manager = src["manager_id"] if r == dst["id"] else dst["id"]
            ctx.conn.execute(
                update(t.users)
                .where(t.users.c.id == r)
                .values(manager_id=new_manager, updated_at=now)
            )
            moved.append(r)
        if moved:
            bump_org_version(ctx)
    audit.record(
        ctx,
        "user.transfer",
        "user",
        src["id"],
        {"to_user_id": dst["id"], "reports_moved": moved},
    )
    return Transfer(src["id"], dst["id"], tuple(moved))


# --- departments ---------------------------------------------------------------------------


def _dept_row(ctx: Context, department_id: Any) -> dict[str, Any]:
    did = parse_id(department_id)
    d = t.departments
    row = ctx.conn.execute(select(d).where(d.c.id == did)).mappings().first() if did else None
    if row is None:
        raise NotFound("DEPARTMENT_NOT_FOUND", f"No department with id {department_id!r}.")
    return dict(row)


def get_department(ctx: Context, department_id: str) -> dict[str, Any]:
    return _dept_row(ctx, department_id)


def list_departments(ctx: Context) -> list[dict[str, Any]]:
    """Every department, flat, by name (each names its ``parent_id``)."""
    d = t.departments
    return [dict(r) for r in ctx.conn.execute(select(d).order_by(d.c.name, d.c.id)).mappings()]


def department_tree(ctx: Context) -> list[dict[str, Any]]:
    """The departments as nested ``children`` lists under the roots, by name."""
    nodes = {d["id"]: {**d, "children": []} for d in list_departments(ctx)}
    roots: list[dict[str, Any]] = []
    for node in nodes.values():
        parent = nodes.get(node["parent_id"])
        (parent["children"] if parent else roots).append(node)
    return roots


def _check_department(
    ctx: Context, values: Mapping[str, Any], department_id: str | None
) -> dict[str, Any]:
    out: dict[str, Any] = {}
    errors: list[FieldError] = []
    for key, value in values.items():
        if key == "name":
            if not isinstance(value, str) or not value.strip():
                errors.append(_err(key, "REQUIRED", "a name is required"))
            elif len(value) > 200:
                errors.append(_err(key, "TOO_LONG", "at most 200 characters"))
            elif not is_text(value):
                errors.append(_err(key, "INVALID_VALUE", "contains a NUL character"))
            else:
                out[key] = value.strip()
        elif key == "parent_id":
            parent = parse_id(value) if value is not None else None
            if value is not None and (parent is None or not _department_exists(ctx, parent)):
                errors.append(_err(key, "REFERENCE_NOT_FOUND", "no such department"))
            elif (
                parent is not None
                and department_id is not None
                and parent in org_graph(ctx).department_tree(department_id)
            ):
                errors.append(_err(key, "DEPARTMENT_CYCLE", "the parent is inside this department"))
            else:
                out[key] = parent
        elif key == "head_id":
            problem = None if value is None else _head_problem(ctx, value)
            if problem:
                errors.append(_err(key, problem[0], problem[1]))
            else:
                out[key] = parse_id(value) if value is not None else None
        else:
            errors.append(_err(key, "UNKNOWN_KEY", f"unknown key {key!r}"))
    _raise("INVALID_DEPARTMENT", "The department is not valid.", errors)
    return out


def _head_problem(ctx: Context, value: Any) -> tuple[str, str] | None:
    """A head must be an existing, active user (approvals go to them); not necessarily a member."""
    head = parse_id(value)
    u = t.users
    row = (
        ctx.conn.execute(select(u.c.is_active).where(u.c.id == head)).first()
        if head is not None
        else None
    )
    if row is None:
        return ("REFERENCE_NOT_FOUND", "no such user")
    if not row.is_active:
        return ("USER_DISABLED", "the user is disabled")
    return None


def _refuse_sibling_name(ctx: Context, name: str, parent_id: str | None, own: str | None) -> None:
    d = t.departments
    parent = d.c.parent_id.is_(None) if parent_id is None else d.c.parent_id == parent_id
    stmt = select(d.c.id).where(parent, d.c.name == name)
    if own is not None:
        stmt = stmt.where(d.c.id != own)
    if ctx.conn.execute(stmt).first() is not None:
        raise Conflict("DEPARTMENT_EXISTS", f"A department named {name!r} exists at this level.")


def create_department(ctx: Context, values: Mapping[str, Any]) -> dict[str, Any]:
    """A department (``name``, optional ``parent_id`` and ``head_id``); administrators only."""
    require_admin(ctx, "change departments")
    data = _check_department(ctx, values, None)
    if "name" not in data:
        _raise("INVALID_DEPARTMENT", "The department is not valid.", [_err("name", "REQUIRED", "")])
    _refuse_sibling_name(ctx, data["name"], data.get("parent_id"), None)
    did = new_id()
    ctx.conn.execute(
        insert(t.departments).values(
            id=did,
            name=data["name"],
            parent_id=data.get("parent_id"),
            head_id=data.get("head_id"),
            created_at=ctx.clock.now(),
        )
    )
    bump_org_version(ctx)
    audit.record(ctx, "department.create", "department", did, data)
    return get_department(ctx, did)


def update_department(
    ctx: Context, department_id: str, changes: Mapping[str, Any]
) -> dict[str, Any]:
    """Rename or move a department (never under itself or its own sub-departments), or change
    its head (负责人, ``head_id``: an active user or null)."""
    require_admin(ctx, "change departments")
    current = _dept_row(ctx, department_id)
    data = _check_department(ctx, changes, current["id"])
    diff = {k: [current[k], v] for k, v in data.items() if current[k] != v}
    if diff:
        name, parent = (
            data.get("name", current["name"]),
            data.get("parent_id", current["parent_id"]),
        )
        _refuse_sibling_name(ctx, name, parent, current["id"])
        d = t.departments
        ctx.conn.execute(update(d).where(d.c.id == current["id"]).values(**data))
        bump_org_version(ctx)
        audit.record(ctx, "department.update", "department", current["id"], {"changes": diff})
    return get_department(ctx, current["id"])


def delete_department(ctx: Context, department_id: str) -> None:
    """Delete an empty department: no sub-departments, no members, no records shared with it."""
    require_admin(ctx, "change departments")
    current = _dept_row(ctx, department_id)
    did = current["id"]
    d, u, s = t.departments, t.users, t.record_shares
    used = {
        "children": ctx.conn.scalar(
            select(func.count()).select_from(d).where(d.c.parent_id == did)
        ),
        "users": ctx.conn.scalar(
            select(func.count()).select_from(u).where(u.c.department_id == did)
        ),
        "shares": ctx.conn.scalar(
            select(func.count()).select_from(s).where(s.c.department_id == did)
        ),
    }
    if any(used.values()):
        raise Conflict(
            "DEPARTMENT_IN_USE",
            "Move its sub-departments and users and remove its record shares first.",
            data={k: int(v or 0) for k, v in used.items()},
        )
    ctx.conn.execute(d.delete().where(d.c.id == did))
    bump_org_version(ctx)
    audit.record(ctx, "department.delete", "department", did, {"name": current["name"]})
