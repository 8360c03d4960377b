"""Users and API tokens.

Passwords are hashed with Argon2id. API tokens are 256-bit random secrets shown once; only their
SHA-256 is stored (a slow hash adds nothing for secrets of that entropy and would make every
API request pay for it).
"""

from __future__ import annotations

import hashlib
import secrets
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Connection, insert, select, update

from accord.core.clock import Clock
from accord.core.context import Actor, Context
from accord.core.errors import Conflict, FieldError, Invalid, NotFound, Unauthenticated
from accord.core.ids import new_id
from accord.db import tables as t

TOKEN_PREFIX = "acc_"
_hasher = PasswordHasher()


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(stored: str | None, password: str) -> bool:
    if not stored:
        return False
    try:
        return _hasher.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False


def _check_password(password: Any) -> None:
    if not isinstance(password, str) or len(password) < 8 or len(password) > 1024:
        raise Invalid(
            "WEAK_PASSWORD",
            "A password needs at least 8 characters.",
            [FieldError("password", "WEAK_PASSWORD", "at least 8 characters")],
        )


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
        _check_password(password)
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
            password_hash=hash_password(password) if password else None,
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


def set_password(ctx: Context, login: str, password: str) -> None:
    _check_password(password)
    res = ctx.conn.execute(
        update(t.users)
        .where(t.users.c.login == login)
        .values(password_hash=hash_password(password), updated_at=ctx.clock.now())
    )
    if res.rowcount != 1:
        raise NotFound("USER_NOT_FOUND", f"No user with login {login!r}.")


def find_user(conn: Connection, login: str) -> dict[str, Any] | None:
    row = conn.execute(select(t.users).where(t.users.c.login == login)).mappings().first()
    return dict(row) if row else None


def actor_for(user: dict[str, Any]) -> Actor:
    return Actor(
        id=str(user["id"]),
        login=user["login"],
        is_admin=bool(user["is_admin"]),
        locale=user["locale"],
        timezone=user["timezone"],
    )


def authenticate_password(conn: Connection, login: str, password: str) -> Actor:
    user = find_user(conn, login)
    if (
        user is None
        or not user["is_active"]
        or not verify_password(user["password_hash"], password)
    ):
        raise Unauthenticated("INVALID_CREDENTIALS", "Wrong login or password.")
    return actor_for(user)


# --- API tokens --------------------------------------------------------------------------------


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(ctx: Context, login: str, name: str) -> str:
    """A new API token for ``login``; the secret is returned once and never stored."""
    user = find_user(ctx.conn, login)
    if user is None:
        raise NotFound("USER_NOT_FOUND", f"No user with login {login!r}.")
    if not isinstance(name, str) or not (1 <= len(name) <= 200):
        raise Invalid(
            "INVALID_TOKEN_NAME",
            "A token name is 1–200 characters.",
            [FieldError("name", "INVALID_TOKEN_NAME", "1–200 characters")],
        )
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    ctx.conn.execute(
        insert(t.api_tokens).values(
            id=new_id(),
            user_id=user["id"],
            name=name,
            token_hash=_digest(secret),
            prefix=secret[:10],
            created_at=ctx.clock.now(),
        )
    )
    return secret


def authenticate_token(conn: Connection, token: str, clock: Clock) -> Actor:
    if not token.startswith(TOKEN_PREFIX) or len(token) > 200:
        raise Unauthenticated("INVALID_TOKEN", "The bearer token is not valid.")
    a, u = t.api_tokens, t.users
    row = (
        conn.execute(
            select(u, a.c.expires_at, a.c.revoked_at)
            .join(a, a.c.user_id == u.c.id)
            .where(a.c.token_hash == _digest(token))
        )
        .mappings()
        .first()
    )
    if row is None or row["revoked_at"] is not None or not row["is_active"]:
        raise Unauthenticated("INVALID_TOKEN", "The bearer token is not valid.")
    if row["expires_at"] is not None and row["expires_at"] <= clock.now():
        raise Unauthenticated("TOKEN_EXPIRED", "The bearer token has expired.")
    return actor_for(dict(row))


def revoke_token(ctx: Context, token_id: str) -> None:
    ctx.conn.execute(
        update(t.api_tokens).where(t.api_tokens.c.id == token_id).values(revoked_at=ctx.clock.now())
    )
