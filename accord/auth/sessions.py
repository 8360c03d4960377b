"""Server-side sessions for the web UI, and their CSRF tokens (ADR 0020).

A session is a random secret (``acs_`` + 256 bits) in an HttpOnly cookie; the ``sessions`` table
keeps its SHA-256, the user, the client's address and user agent, ``last_seen_at`` and an
absolute ``expires_at``. A session ends when it is revoked (logout, password change), when it
has been idle longer than ``ACCORD_SESSION_IDLE_MINUTES`` or when ``ACCORD_SESSION_LIFETIME_HOURS``
have passed since sign-in. Every request checks the table (no cache): a revoked session stops at
once on every process.

``last_seen_at`` is written at most once a minute per session (``TOUCH_SECONDS``), by the edge in
a short transaction of its own after the request, so reads stay reads. An idle session therefore
ends between ``idle − 1 min`` and ``idle`` after its last request.

The CSRF token of a session is ``HMAC-SHA256(secret, "accord.csrf.v1")``: tied to the session,
never stored, unknowable without the cookie (which scripts cannot read).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, and_, delete, insert, select, update

from accord.auth.identity import actor_for
from accord.core.clock import Clock
from accord.core.context import Actor, Context
from accord.core.errors import NotFound, Unauthenticated
from accord.core.ids import new_id, parse_id
from accord.core.settings import Settings
from accord.db import tables as t

SECRET_PREFIX = "acs_"
TOUCH_SECONDS = 60
_CSRF_MESSAGE = b"accord.csrf.v1"


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def csrf_token(secret: str) -> str:
    mac = hmac.new(secret.encode(), _CSRF_MESSAGE, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).decode().rstrip("=")


def csrf_matches(secret: str, sent: str | None) -> bool:
    return bool(sent) and hmac.compare_digest(csrf_token(secret), sent or "")


def idle_timeout(settings: Settings) -> timedelta:
    return timedelta(minutes=settings.session_idle_minutes)


def lifetime(settings: Settings) -> timedelta:
    return timedelta(hours=settings.session_lifetime_hours)


def looks_like_secret(value: str | None) -> bool:
    return bool(value) and value.startswith(SECRET_PREFIX) and len(value) <= 100  # type: ignore[union-attr]


@dataclass(frozen=True)
class NewSession:
    id: str
    secret: str  # the cookie value; never stored
    csrf_token: str
    created_at: datetime
    expires_at: datetime


def _alive(settings: Settings, now: datetime) -> Any:
    s = t.sessions
    return and_(
        s.c.revoked_at.is_(None),
        s.c.expires_at > now,
        s.c.last_seen_at > now - idle_timeout(settings),
    )


def create_session(
    ctx: Context, user_id: str, method: str, ip: str | None, user_agent: str | None
) -> NewSession:
    """A new session for ``user_id``; the user's ended sessions are deleted on the way."""
    now = ctx.clock.now()
    s = t.sessions
    ctx.conn.execute(delete(s).where(s.c.user_id == user_id, ~_alive(ctx.settings, now)))
    secret = SECRET_PREFIX + secrets.token_urlsafe(32)
    sid = new_id()
    expires = now + lifetime(ctx.settings)
    ctx.conn.execute(
        insert(s).values(
            id=sid,
            user_id=user_id,
            token_hash=digest(secret),
            method=method,
            created_at=now,
            last_seen_at=now,
            expires_at=expires,
            ip=ip[:45] if ip else None,
            user_agent=(user_agent or "")[:300] or None,
        )
    )
    return NewSession(sid, secret, csrf_token(secret), now, expires)


@dataclass(frozen=True)
class SessionAuth:
    actor: Actor
    session_id: str
    stale: bool  # last_seen_at is older than TOUCH_SECONDS: the edge should touch it


def authenticate_session(
    conn: Connection, secret: str, clock: Clock, settings: Settings
) -> SessionAuth:
    """The actor of a live session, or ``SESSION_EXPIRED`` (401) for anything else: unknown,
    revoked, idle too long, past its lifetime, or its user disabled."""
    ended = Unauthenticated("SESSION_EXPIRED", "The session has ended; sign in again.")
    if not looks_like_secret(secret):
        raise ended
    s, u = t.sessions, t.users
    row = (
        conn.execute(
            select(
                u,
                s.c.id.label("session_id"),
                s.c.last_seen_at,
                s.c.expires_at,
                s.c.revoked_at,
            )
            .join(s, s.c.user_id == u.c.id)
            .where(s.c.token_hash == digest(secret))
        )
        .mappings()
        .first()
    )
    if row is None or row["revoked_at"] is not None or not row["is_active"]:
        raise ended
    now = clock.now()
    if row["expires_at"] <= now or row["last_seen_at"] + idle_timeout(settings) <= now:
        raise ended
    stale = (now - row["last_seen_at"]).total_seconds() >= TOUCH_SECONDS
    return SessionAuth(actor_for(row), str(row["session_id"]), stale)


def touch_session(conn: Connection, session_id: str, now: datetime) -> None:
    """Record use: a no-op unless ``last_seen_at`` is at least ``TOUCH_SECONDS`` old."""
    s = t.sessions
    conn.execute(
        update(s)
        .where(
            s.c.id == session_id,
            s.c.revoked_at.is_(None),
            s.c.last_seen_at <= now - timedelta(seconds=TOUCH_SECONDS),
        )
        .values(last_seen_at=now)
    )


def _public(row: Any, settings: Settings, current: str | None) -> dict[str, Any]:
    return {
        "id": str(row["id"]),
        "method": row["method"],
        "created_at": row["created_at"],
        "last_seen_at": row["last_seen_at"],
        "idle_expires_at": row["last_seen_at"] + idle_timeout(settings),
        "expires_at": row["expires_at"],
        "ip": row["ip"],
        "user_agent": row["user_agent"],
        "current": str(row["id"]) == current,
    }


def list_sessions(ctx: Context, user_id: str, current: str | None = None) -> list[dict[str, Any]]:
    """The live sessions of ``user_id``, newest first."""
    s = t.sessions
    rows = ctx.conn.execute(
        select(s)
        .where(s.c.user_id == user_id, _alive(ctx.settings, ctx.clock.now()))
        .order_by(s.c.created_at.desc(), s.c.id.desc())
    ).mappings()
    return [_public(r, ctx.settings, current) for r in rows]


def revoke_session(ctx: Context, user_id: str, session_id: str) -> bool:
    """End one live session of ``user_id``; ``SESSION_NOT_FOUND`` when there is none with that
    id (another user's sessions included)."""
    sid = parse_id(session_id)
    s = t.sessions
    res = (
        ctx.conn.execute(
            update(s)
            .where(
                s.c.id == sid,
                s.c.user_id == user_id,
                _alive(ctx.settings, ctx.clock.now()),
            )
            .values(revoked_at=ctx.clock.now())
        )
        if sid
        else None
    )
    if res is None or res.rowcount != 1:
        raise NotFound("SESSION_NOT_FOUND", f"No live session {session_id!r} of yours.")
    return True


def revoke_user_sessions(ctx: Context, user_id: str, *, keep: str | None = None) -> int:
    """End every live session of ``user_id`` except ``keep``; the number ended."""
    s = t.sessions
    now = ctx.clock.now()
    stmt = update(s).where(s.c.user_id == user_id, s.c.revoked_at.is_(None), s.c.expires_at > now)
    if keep is not None:
        stmt = stmt.where(s.c.id != keep)
    return int(ctx.conn.execute(stmt.values(revoked_at=now)).rowcount or 0)
