"""Signing in and out, password changes, and the re-authentication that guards them (ADR 0020).

``sign_in`` runs in three steps so that Argon2 (tens of milliseconds) never holds a write lock:

1. a short transaction refuses a locked login or a throttled address and **reserves** the
   attempt against the login (``accord.auth.throttle``);
2. the password is checked outside any transaction (a dummy hash when the login is unknown, so
   the time taken does not tell);
3. a short transaction records the outcome: a failure (counted, perhaps locking, audited as
   ``auth.login_failed`` with a reason) or a success (counter cleared, hash upgraded when the
   Argon2 parameters changed, a session created, ``auth.login`` audited). With two-factor on,
   a TOTP code or a recovery code is needed as well.

Every refusal says only "wrong login or password" (401 ``INVALID_CREDENTIALS``) or "too many
attempts" (429 ``LOGIN_THROTTLED``), the same for unknown and real logins; the audit log keeps the
real reason for administrators.

Re-authentication (the current password, or a fresh TOTP code) guards password changes, turning
two-factor off and new recovery codes; a wrong answer counts as a failed sign-in of the login.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import update

from accord.auth import audit, org, passwords, sessions, throttle, totp
from accord.auth import service as accounts
from accord.auth.identity import find_user, find_user_by_id
from accord.core.context import Context, Runtime
from accord.core.errors import (
    AccordError,
    FieldError,
    Forbidden,
    Invalid,
    NotFound,
    Unauthenticated,
)
from accord.db import tables as t
from accord.db.engine import unit_of_work


@dataclass(frozen=True)
class Client:
    """Where a sign-in comes from (the edge decides whether proxy headers are trusted)."""

    ip: str | None
    user_agent: str | None


@dataclass(frozen=True)
class SignedIn:
    user: dict[str, Any]
    session: sessions.NewSession
    method: str


def _bad_credentials() -> Unauthenticated:
    return Unauthenticated("INVALID_CREDENTIALS", "Wrong login or password.")


def sign_in(
    runtime: Runtime,
    login: str,
    password: str,
    client: Client,
    *,
    otp: str | None = None,
    recovery_code: str | None = None,
) -> SignedIn:
    """Check a login, password and (with two-factor on) code, and open a session."""
    if not isinstance(login, str) or not 1 <= len(login) <= 150:
        raise _bad_credentials()
    if not isinstance(password, str) or len(password) > passwords.MAX_LENGTH:
        raise _bad_credentials()
    key, ip = throttle.account_key(login), throttle.ip_key(client.ip)
    memo = {"client_ip": client.ip}
    with unit_of_work(runtime.engine) as conn:
        throttle.reserve(Context(runtime=runtime, conn=conn, memo=memo), key, ip)
        user = find_user(conn, login)
    stored = user["password_hash"] if user else None
    checked = passwords.verify(runtime.settings, stored, password)
    new_hash = None
    if checked.ok and checked.needs_rehash:
        new_hash = passwords.hash_password(runtime.settings, password)
    with unit_of_work(runtime.engine) as conn:
        ctx = Context(runtime=runtime, conn=conn, memo=memo)
        outcome = _finish(
            ctx, login, key, ip, user, checked.ok, new_hash, otp, recovery_code, client
        )
    if isinstance(outcome, AccordError):
        raise outcome  # after the failure and its audit entry are committed
    return outcome


def _refuse(
    ctx: Context,
    key: str,
    ip: str | None,
    login: str,
    user: dict[str, Any] | None,
    reason: str,
    error: AccordError,
    *,
    count_ip: bool = True,
) -> AccordError:
    throttle.failed(ctx, key, ip if count_ip else None)
    uid = str(user["id"]) if user else None
    details = {"login": login[:150], "reason": reason}
    audit.record(ctx, "auth.login_failed", "user", uid, details, actor_id=None)
    return error


def _finish(
    ctx: Context,
    login: str,
    key: str,
    ip: str | None,
    user: dict[str, Any] | None,
    password_ok: bool,
    new_hash: str | None,
    otp: str | None,
    recovery_code: str | None,
    client: Client,
) -> SignedIn | AccordError:
    reason = None
    if user is None:
        reason = "unknown_login"
    elif not user["password_hash"]:
        reason = "no_password"
    elif not password_ok:
        reason = "bad_password"
    elif not user["is_active"]:
        reason = "user_disabled"
    if reason is not None:
        return _refuse(ctx, key, ip, login, user, reason, _bad_credentials())
    assert user is not None
    uid = str(user["id"])
    method = "password"
    if totp.is_enabled(ctx, uid):
        if otp is None and recovery_code is None:
            # The password was right: not held against the address, only against the login.
            error = Unauthenticated(
                "OTP_REQUIRED", "Enter the code from your authenticator app (or a recovery code)."
            )
            return _refuse(ctx, key, ip, login, user, "otp_required", error, count_ip=False)
        invalid = Unauthenticated("INVALID_OTP", "The code is wrong or was already used.")
        if otp is not None:
            why = totp.check_code(ctx, uid, otp)
            if why is not None:
                return _refuse(ctx, key, ip, login, user, f"otp_{why}", invalid)
            method = "password+totp"
        else:
            if not totp.use_recovery_code(ctx, uid, recovery_code):
                return _refuse(ctx, key, ip, login, user, "bad_recovery_code", invalid)
            method = "password+recovery_code"
    throttle.succeeded(ctx, key)
    if new_hash is not None:  # Argon2 parameters changed since this hash was made
        u = t.users
        ctx.conn.execute(
            update(u)
            .where(u.c.id == uid, u.c.password_hash == user["password_hash"])
            .values(password_hash=new_hash)
        )
    session = sessions.create_session(ctx, uid, method, client.ip, client.user_agent)
    agent = (client.user_agent or "")[:300] or None
    details = {"method": method, "session_id": session.id, "user_agent": agent}
    audit.record(ctx, "auth.login", "user", uid, details, actor_id=uid)
    return SignedIn(org.get_user(ctx, uid), session, method)


def sign_out(ctx: Context, session_id: str) -> None:
    """End the session a request came with (``auth.logout``)."""
    sessions.revoke_session(ctx, ctx.actor.id, session_id)
    audit.record(ctx, "auth.logout", "session", session_id, {})


def end_session(ctx: Context, session_id: str) -> None:
    """End one of the acting user's sessions (``auth.session_revoke``)."""
    sessions.revoke_session(ctx, ctx.actor.id, session_id)
    audit.record(ctx, "auth.session_revoke", "session", session_id, {})


# --- re-authentication and passwords ------------------------------------------------------------


def _me(ctx: Context) -> dict[str, Any]:
    user = None if ctx.actor.is_system else find_user_by_id(ctx.conn, ctx.actor.id)
    if user is None:
        raise Forbidden("NOT_ALLOWED", "Only a signed-in user has a password and two-factor.")
    return user


def reauthenticate(
    ctx: Context,
    purpose: str,
    *,
    password: Any = None,
    code: Any = None,
    password_field: str = "password",
) -> dict[str, Any]:
    """The acting user's row once they proved it is them (their password, or a fresh TOTP code
    when two-factor is on). A wrong answer counts as a failed sign-in of the login and is
    refused with ``WRONG_PASSWORD`` (403) after the count and ``auth.reauth_failed`` commit."""
    user = _me(ctx)
    uid, key = str(user["id"]), throttle.account_key(user["login"])
    if password is None and code is None:
        raise Invalid(
            "REAUTH_REQUIRED",
            "Confirm with your password (or a code from your authenticator app).",
            [FieldError(password_field, "REQUIRED", "your current password")],
        )
    throttle.check(ctx, key)
    if password is not None:
        ok = isinstance(password, str) and len(password) <= passwords.MAX_LENGTH
        ok = ok and passwords.verify(ctx.settings, user["password_hash"], password).ok
        field = password_field
    else:
        ok = totp.check_code(ctx, uid, code) is None
        field = "code"
    if not ok:
        throttle.failed(ctx, key, None, reserved=False)
        audit.record(ctx, "auth.reauth_failed", "user", uid, {"purpose": purpose, "with": field})
        raise Forbidden(
            "WRONG_PASSWORD",
            "The password or code you confirmed with is wrong.",
            [FieldError(field, "WRONG_PASSWORD", "does not match")],
            commit=True,
        )
    return user


def change_password(
    ctx: Context, current: Any, new: Any, *, keep_session: str | None = None
) -> dict[str, Any]:
    """The acting user's new password, after their current one; their other sessions end."""
    user = reauthenticate(
        ctx, "password_change", password=current, password_field="current_password"
    )
    passwords.check_policy(ctx.settings, new, user["login"], field="new_password")
    ended = accounts.set_password(ctx, user["login"], new, keep_session=keep_session)
    audit.record(ctx, "user.password_change", "user", str(user["id"]), {"sessions_ended": ended})
    return {"sessions_ended": ended}


def reset_password(ctx: Context, user_id: str, new: Any) -> dict[str, Any]:
    """An administrator sets another user's password; all of that user's sessions end."""
    org.require_admin(ctx, "reset passwords")
    user = find_user_by_id(ctx.conn, user_id)
    if user is None:
        raise NotFound("USER_NOT_FOUND", f"No user with id {user_id!r}.")
    if str(user["id"]) == ctx.actor.id:
        raise Forbidden(
            "NOT_ALLOWED", "Change your own password with your current one (/api/v1/me/password)."
        )
    passwords.check_policy(ctx.settings, new, user["login"])
    ended = accounts.set_password(ctx, user["login"], new)
    audit.record(ctx, "user.password_reset", "user", str(user["id"]), {"sessions_ended": ended})
    return {"sessions_ended": ended}


# --- two-factor, as the acting user --------------------------------------------------------------


def two_factor_status(ctx: Context) -> dict[str, Any]:
    return totp.status(ctx, str(_me(ctx)["id"]))


def begin_two_factor(ctx: Context) -> dict[str, str]:
    return totp.begin_enrolment(ctx, _me(ctx))


def confirm_two_factor(ctx: Context, code: Any) -> list[str]:
    return totp.confirm_enrolment(ctx, str(_me(ctx)["id"]), code)


def disable_two_factor(ctx: Context, *, password: Any = None, code: Any = None) -> None:
    user = reauthenticate(ctx, "2fa_disable", password=password, code=code)
    totp.disable(ctx, str(user["id"]))


def regenerate_recovery_codes(ctx: Context, *, password: Any = None, code: Any = None) -> list[str]:
    user = reauthenticate(ctx, "recovery_codes", password=password, code=code)
    return totp.regenerate_recovery_codes(ctx, str(user["id"]))


# --- administrators ----------------------------------------------------------------------------


def _other_user(ctx: Context, user_id: str, what: str) -> dict[str, Any]:
    org.require_admin(ctx, what)
    user = find_user_by_id(ctx.conn, user_id)
    if user is None:
        raise NotFound("USER_NOT_FOUND", f"No user with id {user_id!r}.")
    if str(user["id"]) == ctx.actor.id:
        raise Forbidden("NOT_ALLOWED", "Use your own password or code for your own account.")
    return user


def reset_two_factor(ctx: Context, user_id: str) -> None:
    """An administrator turns another user's two-factor off (lost phone and codes)."""
    user = _other_user(ctx, user_id, "reset two-factor sign-in")
    totp.disable(ctx, str(user["id"]), by_admin=True)


def unlock_login(ctx: Context, user_id: str) -> bool:
    """An administrator clears a user's failed sign-ins and lock (``auth.unlock``)."""
    org.require_admin(ctx, "unlock sign-ins")
    user = find_user_by_id(ctx.conn, user_id)
    if user is None:
        raise NotFound("USER_NOT_FOUND", f"No user with id {user_id!r}.")
    cleared = throttle.unlock(ctx, throttle.account_key(user["login"]))
    audit.record(ctx, "auth.unlock", "user", str(user["id"]), {"cleared": cleared})
    return cleared
