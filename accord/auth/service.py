"""Users: creation, passwords, password sign-in for services and commands.

Passwords follow the policy of ``accord.auth.passwords`` and are hashed with Argon2id. The HTTP
sign-in flow (throttling, two-factor, sessions) lives in ``accord.auth.signin``; API tokens in
``accord.auth.tokens`` (``create_token``, ``authenticate_token`` and ``revoke_token`` are still
importable from here).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, insert, update

from accord.auth import passwords, sessions
from accord.auth.identity import actor_for, find_user
from accord.core.context import Actor, Context
from accord.core.errors import Conflict, FieldError, Invalid, NotFound, Unauthenticated
from accord.core.ids import new_id
from accord.core.settings import Settings
from accord.db import tables as t

__all__ = [
    "actor_for",
    "authenticate_password",
    "create_user",
    "ensure_admin",
    "find_user",
    "set_password",
]


def create_user(
    ctx: Context,
    login: str,
    password: str | None,
    *,
    name: str | None = None,
    email: str | None = None,
    is_admin: bool = False,
    locale: str | None = None,
    timezone: str | None = None,
) -> dict[str, Any]:
    if not isinstance(login, str) or not (1 <= len(login) <= 150) or login.strip() != login:
        raise Invalid(
            "INVALID_LOGIN",
            "A login is 1–150 characters without surrounding spaces.",
            [FieldError("login", "INVALID_LOGIN", "invalid login")],
        )
    if password is not None:
        passwords.check_policy(ctx.settings, password, login)
    if find_user(ctx.conn, login) is not None:
        raise Conflict("USER_EXISTS", f"A user with login {login!r} already exists.")
    now = ctx.clock.now()
    uid = new_id()
    ctx.conn.execute(
        insert(t.users).values(
            id=uid,
            login=login,
            name=name or login,
            email=email,
            password_hash=passwords.hash_password(ctx.settings, password) if password else None,
            is_admin=is_admin,
            is_active=True,
            locale=locale or ctx.settings.default_locale,
            timezone=timezone or ctx.settings.default_timezone,
            created_at=now,
            updated_at=now,
        )
    )
    return find_user(ctx.conn, login)  # type: ignore[return-value]


def ensure_admin(ctx: Context, login: str, password: str) -> tuple[dict[str, Any], bool]:
    """Create the administrator, or leave an existing one as it is (idempotent ``init``)."""
    existing = find_user(ctx.conn, login)
    if existing is not None:
        return existing, False
    return create_user(ctx, login, password, name="Administrator", is_admin=True), True


def set_password(
    ctx: Context, login: str, password: str, *, keep_session: str | None = None
) -> int:
    """Give ``login`` a new password (policy checked) and end their sessions, except
    ``keep_session`` (the one changing its own password); the number of sessions ended.
    Authorisation and the audit entry are the caller's (``signin.change_password``,
    ``signin.reset_password``, ``org.update_user``)."""
    user = find_user(ctx.conn, login)
    if user is None:
        raise NotFound("USER_NOT_FOUND", f"No user with login {login!r}.")
    passwords.check_policy(ctx.settings, password, login)
    ctx.conn.execute(
        update(t.users)
        .where(t.users.c.id == user["id"])
        .values(
            password_hash=passwords.hash_password(ctx.settings, password),
            updated_at=ctx.clock.now(),
        )
    )
    return sessions.revoke_user_sessions(ctx, str(user["id"]), keep=keep_session)


def authenticate_password(
    conn: Connection, login: str, password: str, settings: Settings | None = None
) -> Actor:
    """The actor for a login and password (no throttling: for commands and tests; the HTTP
    sign-in is ``accord.auth.signin.sign_in``)."""
    user = find_user(conn, login)
    ok = passwords.verify(settings or Settings(), user["password_hash"] if user else None, password)
    if user is None or not user["is_active"] or not ok.ok:
        raise Unauthenticated("INVALID_CREDENTIALS", "Wrong login or password.")
    return actor_for(user)


def __getattr__(name: str) -> Any:
    # Token functions moved to accord.auth.tokens; keep the old import path working.
    if name in ("create_token", "authenticate_token", "revoke_token", "TOKEN_PREFIX"):
        from accord.auth import tokens

        return getattr(tokens, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
