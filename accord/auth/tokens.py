"""API tokens: named, owned by one user, optionally expiring, shown once, revocable (ADR 0008).

A token is ``acc_`` + 256 random bits; only its SHA-256 is stored (a slow hash adds nothing for
secrets of that entropy and would make every API request pay for it), with a 10-character
prefix for recognising it in lists.

``last_used_at`` is kept **to the minute**: the API writes it only when the stored time is a
minute old or more (``LAST_USED_GRANULARITY``), in a short transaction of its own after the
request; with the 5-second authentication cache of ``accord.api.deps`` a token in constant use
shows a time at most about a minute old.

Everyone manages their own tokens; administrators manage anyone's. Creation and revocation are
audited (``token.create``, ``token.revoke``).
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, insert, select, update

from accord.auth import audit, org
from accord.auth.identity import actor_for, find_user, find_user_by_ref
from accord.core.clock import Clock
from accord.core.context import Actor, Context
from accord.core.errors import FieldError, Forbidden, Invalid, NotFound, Unauthenticated
from accord.core.ids import new_id, parse_id
from accord.db import tables as t

TOKEN_PREFIX = "acc_"
LAST_USED_GRANULARITY = timedelta(seconds=60)
MAX_EXPIRY_DAYS = 3650
PUBLIC_COLUMNS = (
    "id", "user_id", "name", "prefix", "created_at", "last_used_at", "expires_at", "revoked_at",
)  # fmt: skip


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _public(row: Mapping[str, Any]) -> dict[str, Any]:
    out = {c: row[c] for c in PUBLIC_COLUMNS}
    out["id"], out["user_id"] = str(out["id"]), str(out["user_id"])
    return out


def _expiry(
    ctx: Context, expires_at: Any, expires_in_days: Any, errors: list[FieldError]
) -> datetime | None:
    now = ctx.clock.now()
    if expires_at is not None and expires_in_days is not None:
        errors.append(
            FieldError("expires_at", "CONFLICTING_KEYS", "send expires_at or expires_in_days")
        )
        return None
    if expires_in_days is not None:
        if isinstance(expires_in_days, bool) or not isinstance(expires_in_days, int):
            errors.append(FieldError("expires_in_days", "INVALID_TYPE", "a whole number of days"))
        elif not 1 <= expires_in_days <= MAX_EXPIRY_DAYS:
            errors.append(FieldError("expires_in_days", "OUT_OF_RANGE", f"1–{MAX_EXPIRY_DAYS}"))
        else:
            return now + timedelta(days=expires_in_days)
        return None
    if expires_at is None:
        return None
    when = None
    if isinstance(expires_at, datetime):
        when = expires_at
    elif isinstance(expires_at, str) and len(expires_at) <= 40:
        try:
            when = datetime.fromisoformat(expires_at.replace("Z", "+00:00"))
        except ValueError:
            when = None
    if when is None:
        errors.append(FieldError("expires_at", "INVALID_DATE", "an ISO 8601 date-time"))
        return None
    when = when if when.tzinfo else when.replace(tzinfo=UTC)
    if not now < when <= now + timedelta(days=MAX_EXPIRY_DAYS):
        errors.append(
            FieldError(
                "expires_at", "OUT_OF_RANGE", f"in the future, within {MAX_EXPIRY_DAYS} days"
            )
        )
        return None
    return when


def _may_manage(ctx: Context, user_id: str, what: str) -> None:
    if ctx.actor.is_system or ctx.actor.id == user_id:
        return
    org.require_admin(ctx, what)


def issue_token(
    ctx: Context,
    user_ref: str | None,
    name: Any,
    *,
    expires_at: Any = None,
    expires_in_days: Any = None,
) -> dict[str, Any]:
    """A new token for the user named by id or login (default: the acting user): its public
    fields plus ``token``, the secret, returned this once. ``INVALID_TOKEN_REQUEST`` names every
    bad field; another user's token needs an administrator (``NOT_ALLOWED``)."""
    if user_ref is None:
        user = find_user_by_ref(ctx.conn, ctx.actor.id)
    else:
        user = find_user_by_ref(ctx.conn, user_ref)
    if user is None:
        raise NotFound("USER_NOT_FOUND", f"No user {user_ref or ctx.actor.login!r}.")
    uid = str(user["id"])
    _may_manage(ctx, uid, "create tokens for other users")
    errors: list[FieldError] = []
    if not isinstance(name, str) or not (1 <= len(name.strip()) <= 200) or "\x00" in name:
        errors.append(FieldError("name", "INVALID_TOKEN_NAME", "1–200 characters"))
    expires = _expiry(ctx, expires_at, expires_in_days, errors)
    if errors:
        raise Invalid("INVALID_TOKEN_REQUEST", "The token request is not valid.", errors)
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    tid = new_id()
    ctx.conn.execute(
        insert(t.api_tokens).values(
            id=tid,
            user_id=uid,
            name=name.strip(),
            token_hash=digest(secret),
            prefix=secret[:10],
            created_at=ctx.clock.now(),
            expires_at=expires,
        )
    )
    row = _token_row(ctx, tid)
    audit.record(
        ctx,
        "token.create",
        "token",
        tid,
        {"user_id": uid, "name": row["name"], "prefix": row["prefix"], "expires_at": expires},
    )
    return {**_public(row), "token": secret}


def create_token(ctx: Context, login: str, name: str, *, expires_in_days: int | None = None) -> str:
    """A new API token for ``login`` (``accord token create``); only the secret, shown once."""
    if find_user(ctx.conn, login) is None:
        raise NotFound("USER_NOT_FOUND", f"No user with login {login!r}.")
    return str(issue_token(ctx, login, name, expires_in_days=expires_in_days)["token"])


def _token_row(ctx: Context, token_id: str) -> dict[str, Any]:
    tid = parse_id(token_id)
    row = (
        ctx.conn.execute(select(t.api_tokens).where(t.api_tokens.c.id == tid)).mappings().first()
        if tid
        else None
    )
    if row is None:
        raise NotFound("TOKEN_NOT_FOUND", f"No API token {token_id!r}.")
    return dict(row)


def list_tokens(ctx: Context, user_ref: str | None = None) -> list[dict[str, Any]]:
    """The tokens of a user (default: the acting user), newest first, revoked and expired ones
    included; never the secret or its hash."""
    user = find_user_by_ref(ctx.conn, user_ref if user_ref is not None else ctx.actor.id)
    if user is None:
        raise NotFound("USER_NOT_FOUND", f"No user {user_ref or ctx.actor.login!r}.")
    _may_manage(ctx, str(user["id"]), "list other users' tokens")
    a = t.api_tokens
    rows = ctx.conn.execute(
        select(a).where(a.c.user_id == user["id"]).order_by(a.c.created_at.desc(), a.c.id.desc())
    ).mappings()
    return [_public(r) for r in rows]


def revoke_token(ctx: Context, token_id: str) -> dict[str, Any]:
    """Revoke a token (its owner or an administrator); revoking twice keeps the first time.
    ``TOKEN_NOT_FOUND`` for unknown ids and for other users' tokens (to non-administrators)."""
    row = _token_row(ctx, token_id)
    try:
        _may_manage(ctx, str(row["user_id"]), "revoke other users' tokens")
    except Forbidden:
        raise NotFound("TOKEN_NOT_FOUND", f"No API token {token_id!r}.") from None
    if row["revoked_at"] is None:
        now = ctx.clock.now()
        ctx.conn.execute(
            update(t.api_tokens)
            .where(t.api_tokens.c.id == row["id"], t.api_tokens.c.revoked_at.is_(None))
            .values(revoked_at=now)
        )
        row["revoked_at"] = now
        audit.record(
            ctx,
            "token.revoke",
            "token",
            str(row["id"]),
            {"user_id": str(row["user_id"]), "name": row["name"], "prefix": row["prefix"]},
        )
    return _public(row)


# --- authentication (the API's hot path on a cache miss) -------------------------------------


@dataclass(frozen=True)
class TokenAuth:
    actor: Actor
    token_id: str
    expires_at: datetime | None
    stale: bool  # last_used_at is a minute old or more: the edge should touch it


def authenticate(conn: Connection, token: str, clock: Clock) -> TokenAuth:
    """One indexed lookup: the actor of a live token, or ``INVALID_TOKEN``/``TOKEN_EXPIRED``."""
    if not token.startswith(TOKEN_PREFIX) or len(token) > 200:
        raise Unauthenticated("INVALID_TOKEN", "The bearer token is not valid.")
    a, u = t.api_tokens, t.users
    row = (
        conn.execute(
            select(
                u,
                a.c.id.label("token_id"),
                a.c.expires_at,
                a.c.revoked_at,
                a.c.last_used_at,
            )
            .join(a, a.c.user_id == u.c.id)
            .where(a.c.token_hash == digest(token))
        )
        .mappings()
        .first()
    )
    if row is None or row["revoked_at"] is not None or not row["is_active"]:
        raise Unauthenticated("INVALID_TOKEN", "The bearer token is not valid.")
    now = clock.now()
    if row["expires_at"] is not None and row["expires_at"] <= now:
        raise Unauthenticated("TOKEN_EXPIRED", "The bearer token has expired.")
    last = row["last_used_at"]
    stale = last is None or now - last >= LAST_USED_GRANULARITY
    return TokenAuth(actor_for(row), str(row["token_id"]), row["expires_at"], stale)


def authenticate_token(conn: Connection, token: str, clock: Clock) -> Actor:
    return authenticate(conn, token, clock).actor


def touch_token(conn: Connection, token_id: str, now: datetime) -> None:
    """Record use: a no-op unless ``last_used_at`` is empty or a minute old."""
    a = t.api_tokens
    conn.execute(
        update(a)
        .where(
            a.c.id == token_id,
            (a.c.last_used_at.is_(None)) | (a.c.last_used_at <= now - LAST_USED_GRANULARITY),
        )
        .values(last_used_at=now)
    )
