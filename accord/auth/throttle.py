"""Login throttling: failed sign-ins counted per login and per client address, in the database.

Two counters (``login_throttle`` rows), shared by every process and worker:

- **account** — keyed by the login as typed (trimmed, case-folded), whether or not such a user
  exists, so a lock never tells an attacker that a login is real. ``ACCORD_LOGIN_MAX_FAILURES``
  (5) failures within ``ACCORD_LOGIN_FAILURE_WINDOW_SECONDS`` (900) lock the login for
  ``ACCORD_LOGIN_LOCKOUT_SECONDS`` (900); a successful sign-in resets it.
- **ip** — keyed by the client address (an IPv6 address by its /64 network, which one machine
  usually holds whole). ``ACCORD_LOGIN_MAX_FAILURES_PER_IP`` (20) failures in the window throttle
  every sign-in from that address for the lockout time.

Each attempt is **reserved** before its password is checked (``reserve``): the login's counter
goes up first, in its own short transaction, so parallel guesses cannot all slip in before the
first failure is written; a success then resets it (``succeeded``). While locked, no password
is checked at all. A window starts at its first failure (a fixed window, not a sliding one).
"""

from __future__ import annotations

import ipaddress
import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, delete, or_, select, update

from accord.auth import audit
from accord.core.context import Context
from accord.core.errors import RateLimited
from accord.db import tables as t
from accord.db.dialect import insert_ignore

ACCOUNT, IP = "account", "ip"


def account_key(login: str) -> str:
    return login.strip().casefold()[:150]


def ip_key(ip: str | None) -> str | None:
    """The address a counter is kept for: IPv4 as is, IPv6 by its /64 network."""
    if not ip:
        return None
    try:
        addr = ipaddress.ip_address(ip)
    except ValueError:
        return ip[:150]
    if isinstance(addr, ipaddress.IPv6Address):
        if addr.ipv4_mapped is not None:
            return str(addr.ipv4_mapped)
        return str(ipaddress.IPv6Network((addr, 64), strict=False))
    return str(addr)


def throttled(seconds: float) -> RateLimited:
    """The one answer for a locked login and a throttled address alike (429, Retry-After)."""
    wait = max(1, math.ceil(seconds))
    return RateLimited(
        "LOGIN_THROTTLED",
        "Too many failed sign-in attempts; try again later.",
        data={"retry_after": wait},
    )


@dataclass(frozen=True)
class _Counter:
    failures: int
    window_started_at: datetime
    locked_until: datetime | None


def _window(ctx: Context) -> timedelta:
    return timedelta(seconds=ctx.settings.login_failure_window_seconds)


def _lockout(ctx: Context) -> timedelta:
    return timedelta(seconds=ctx.settings.login_lockout_seconds)


def _limit(ctx: Context, kind: str) -> int:
    s = ctx.settings
    return s.login_max_failures if kind == ACCOUNT else s.login_max_failures_per_ip


def _where(kind: str, subject: str) -> Any:
    lt = t.login_throttle
    return and_(lt.c.kind == kind, lt.c.subject == subject)


def _read(ctx: Context, kind: str, subject: str, *, for_update: bool = False) -> _Counter | None:
    lt = t.login_throttle
    stmt = select(lt.c.failures, lt.c.window_started_at, lt.c.locked_until).where(
        _where(kind, subject)
    )
    row = ctx.conn.execute(stmt.with_for_update() if for_update else stmt).first()
    return None if row is None else _Counter(*row)


def _current(ctx: Context, kind: str, subject: str) -> _Counter:
    """The counter, locked for update, with a finished window or lock already reset."""
    now = ctx.clock.now()
    lt = t.login_throttle
    insert_ignore(
        ctx.conn,
        lt,
        {
            "kind": kind,
            "subject": subject,
            "failures": 0,
            "window_started_at": now,
            "last_failure_at": now,
        },
    )
    c = _read(ctx, kind, subject, for_update=True)
    assert c is not None
    lock_over = c.locked_until is not None and c.locked_until <= now
    if lock_over or (c.locked_until is None and c.window_started_at <= now - _window(ctx)):
        ctx.conn.execute(
            update(lt)
            .where(_where(kind, subject))
            .values(failures=0, window_started_at=now, locked_until=None)
        )
        return _Counter(0, now, None)
    return c


def remaining_lock(ctx: Context, login_key: str | None, ip: str | None) -> float | None:
    """Seconds left on the longer of the login's lock and the address's throttle, or None."""
    now = ctx.clock.now()
    waits = []
    for kind, subject in ((ACCOUNT, login_key), (IP, ip)):
        if subject is None:
            continue
        c = _read(ctx, kind, subject)
        if c is not None and c.locked_until is not None and c.locked_until > now:
            waits.append((c.locked_until - now).total_seconds())
    return max(waits) if waits else None


def reserve(ctx: Context, login_key: str, ip: str | None) -> None:
    """Before a password is checked: refuse (``LOGIN_THROTTLED``) when the address or the login
    is locked, or when attempts in flight already fill the login's quota; otherwise count this
    attempt against the login."""
    wait = remaining_lock(ctx, login_key, ip)
    if wait is not None:
        raise throttled(wait)
    c = _current(ctx, ACCOUNT, login_key)
    if c.failures >= _limit(ctx, ACCOUNT):
        raise throttled(_lockout(ctx).total_seconds())
    ctx.conn.execute(
        update(t.login_throttle)
        .where(_where(ACCOUNT, login_key))
        .values(failures=c.failures + 1, last_failure_at=ctx.clock.now())
    )


def _lock(ctx: Context, kind: str, subject: str, failures: int) -> None:
    until = ctx.clock.now() + _lockout(ctx)
    ctx.conn.execute(
        update(t.login_throttle).where(_where(kind, subject)).values(locked_until=until)
    )
    audit.record(
        ctx,
        "auth.lockout",
        "login" if kind == ACCOUNT else "ip",
        subject,
        {"scope": kind, "failures": failures, "until": until.isoformat()},
        actor_id=None,
    )


def failed(ctx: Context, login_key: str, ip: str | None, *, reserved: bool = True) -> None:
    """After a refused password (or code): the login's reserved attempt stays counted (or, with
    ``reserved=False``, one is added), the address gets one more failure, and either is locked
    when it reaches its limit (``auth.lockout`` in the audit log)."""
    now = ctx.clock.now()
    lt = t.login_throttle
    held = _read(ctx, ACCOUNT, login_key, for_update=True) if reserved else None
    if held is not None and held.failures > 0:
        c, failures = held, held.failures
    else:  # not reserved, or the reservation was reset meanwhile (a success elsewhere)
        c = _current(ctx, ACCOUNT, login_key)
        failures = c.failures + 1
        ctx.conn.execute(
            update(lt)
            .where(_where(ACCOUNT, login_key))
            .values(failures=failures, last_failure_at=now)
        )
    if failures >= _limit(ctx, ACCOUNT) and (c.locked_until is None or c.locked_until <= now):
        _lock(ctx, ACCOUNT, login_key, failures)
    if ip is not None:
        c = _current(ctx, IP, ip)
        ctx.conn.execute(
            update(lt).where(_where(IP, ip)).values(failures=c.failures + 1, last_failure_at=now)
        )
        if c.failures + 1 >= _limit(ctx, IP) and c.locked_until is None:
            _lock(ctx, IP, ip, c.failures + 1)
    _prune(ctx)


def succeeded(ctx: Context, login_key: str) -> None:
    """A successful sign-in: the login's counter (and any lock) is cleared."""
    ctx.conn.execute(delete(t.login_throttle).where(_where(ACCOUNT, login_key)))


def check(ctx: Context, login_key: str) -> None:
    """``LOGIN_THROTTLED`` while the login is locked (for re-authentication: password change,
    two-factor changes)."""
    wait = remaining_lock(ctx, login_key, None)
    if wait is not None:
        raise throttled(wait)


def unlock(ctx: Context, login_key: str) -> bool:
    """Clear a login's counter and lock (administrators, ``accord user unlock``)."""
    res = ctx.conn.execute(delete(t.login_throttle).where(_where(ACCOUNT, login_key)))
    return bool(res.rowcount)


def _prune(ctx: Context) -> None:
    """Forget counters whose window and lock are both over (keeps the table small)."""
    lt = t.login_throttle
    now = ctx.clock.now()
    horizon = now - max(_window(ctx), _lockout(ctx))
    ctx.conn.execute(
        delete(lt).where(
            lt.c.last_failure_at < horizon,
            or_(lt.c.locked_until.is_(None), lt.c.locked_until <= now),
        )
    )
