"""TOTP two-factor sign-in (RFC 6238, 6 digits, 30-second steps) and recovery codes.

Enrolment is two steps: ``begin_enrolment`` stores a new secret as *pending* and returns it with
its ``otpauth://`` URI (for a QR code); ``confirm_enrolment`` activates it once the user proves
their app shows the right code, and returns 10 single-use recovery codes — shown once, stored as
SHA-256 (each carries 80 random bits). A code is accepted one step either side of now (clock
drift); each step is accepted **once** (``user_totp.last_step``), so a code seen over a
shoulder or replayed from a log cannot be used again. Recovery codes are single use too.

The secret itself is stored as is: it must be readable to check codes. A database dump therefore
exposes it; the password is still needed to sign in.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import Any

import pyotp
from sqlalchemy import delete, func, insert, select, update

from accord.auth import audit
from accord.core.context import Context
from accord.core.errors import Conflict, FieldError, Invalid
from accord.core.ids import new_id
from accord.db import tables as t

STEP_SECONDS = 30
DRIFT_STEPS = 1
RECOVERY_CODE_COUNT = 10
_RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i


def _row(ctx: Context, user_id: str) -> Any:
    return (
        ctx.conn.execute(select(t.user_totp).where(t.user_totp.c.user_id == user_id))
        .mappings()
        .first()
    )


def is_enabled(ctx: Context, user_id: str) -> bool:
    row = _row(ctx, user_id)
    return row is not None and row["confirmed_at"] is not None


def _codes_left(ctx: Context, user_id: str) -> int:
    rc = t.recovery_codes
    n = ctx.conn.execute(
        select(func.count()).where(rc.c.user_id == user_id, rc.c.used_at.is_(None))
    ).scalar()
    return int(n or 0)


def status(ctx: Context, user_id: str) -> dict[str, Any]:
    row = _row(ctx, user_id)
    enabled = row is not None and row["confirmed_at"] is not None
    return {
        "enabled": enabled,
        "pending": row is not None and not enabled,
        "confirmed_at": row["confirmed_at"] if enabled else None,
        "recovery_codes_left": _codes_left(ctx, user_id) if enabled else 0,
    }


def begin_enrolment(ctx: Context, user: dict[str, Any]) -> dict[str, str]:
    """A new pending secret for ``user`` (replacing an unconfirmed one): the secret and its
    ``otpauth://`` URI. ``TOTP_ALREADY_ENABLED`` when two-factor is on (disable it first)."""
    uid = str(user["id"])
    if is_enabled(ctx, uid):
        raise Conflict("TOTP_ALREADY_ENABLED", "Two-factor sign-in is already on.")
    secret = pyotp.random_base32(32)  # 160 bits, the RFC 4226 recommendation
    ut = t.user_totp
    ctx.conn.execute(delete(ut).where(ut.c.user_id == uid))
    ctx.conn.execute(insert(ut).values(user_id=uid, secret=secret, created_at=ctx.clock.now()))
    issuer = ctx.settings.totp_issuer
    uri = pyotp.TOTP(secret).provisioning_uri(name=user["login"], issuer_name=issuer)
    audit.record(ctx, "auth.2fa_enrol", "user", uid, {})
    return {"secret": secret, "otpauth_uri": uri}


def _clean_code(code: Any) -> str | None:
    if not isinstance(code, str):
        return None
    digits = code.replace(" ", "")
    return digits if len(digits) == 6 and digits.isascii() and digits.isdigit() else None


def _match(secret: str, code: str, now_ts: float, last_step: int | None) -> tuple[int | None, bool]:
    """(the step ``code`` belongs to, or None; whether it matched an already used step)."""
    totp = pyotp.TOTP(secret)
    current = int(now_ts) // STEP_SECONDS
    steps = [current]
    for d in range(1, DRIFT_STEPS + 1):
        steps += [current - d, current + d]
    replayed = False
    for step in steps:
        if hmac.compare_digest(totp.generate_otp(step), code):
            if last_step is not None and step <= last_step:
                replayed = True
                continue
            return step, False
    return None, replayed


def _accept(ctx: Context, user_id: str, step: int) -> bool:
    """Mark ``step`` used; False when a concurrent request used it (or a later one) first."""
    ut = t.user_totp
    res = ctx.conn.execute(
        update(ut)
        .where(ut.c.user_id == user_id, (ut.c.last_step.is_(None)) | (ut.c.last_step < step))
        .values(last_step=step)
    )
    return res.rowcount == 1


def check_code(ctx: Context, user_id: str, code: Any) -> str | None:
    """None when ``code`` is a fresh valid code of the user's active secret (and marks it used);
    otherwise the reason: ``malformed``, ``replayed``, ``wrong`` or ``not_enabled``."""
    row = _row(ctx, user_id)
    if row is None or row["confirmed_at"] is None:
        return "not_enabled"
    clean = _clean_code(code)
    if clean is None:
        return "malformed"
    step, replayed = _match(row["secret"], clean, ctx.clock.now().timestamp(), row["last_step"])
    if step is None:
        return "replayed" if replayed else "wrong"
    return None if _accept(ctx, user_id, step) else "replayed"


def confirm_enrolment(ctx: Context, user_id: str, code: Any) -> list[str]:
    """Turn a pending secret on with a code from the app; the 10 recovery codes (shown once)."""
    row = _row(ctx, user_id)
    if row is None:
        raise Conflict("TOTP_NOT_PENDING", "Start enrolment first (POST /api/v1/auth/2fa/totp).")
    if row["confirmed_at"] is not None:
        raise Conflict("TOTP_ALREADY_ENABLED", "Two-factor sign-in is already on.")
    clean = _clean_code(code)
    step = _match(row["secret"], clean, ctx.clock.now().timestamp(), None)[0] if clean else None
    if step is None:
        raise Invalid(
            "TOTP_CONFIRMATION_FAILED",
            "The code does not match; check the time on your phone and try again.",
            [FieldError("code", "INVALID_OTP", "6 digits from your authenticator app")],
        )
    ut = t.user_totp
    ctx.conn.execute(
        update(ut)
        .where(ut.c.user_id == user_id)
        .values(confirmed_at=ctx.clock.now(), last_step=step)
    )
    codes = _new_recovery_codes(ctx, user_id)
    audit.record(ctx, "auth.2fa_enable", "user", user_id, {})
    return codes


# --- recovery codes ------------------------------------------------------------------------


def _normalise(code: str) -> str:
    return code.replace("-", "").replace(" ", "").strip().lower()


def _code_hash(user_id: str, code: str) -> str:
    return hashlib.sha256(f"{user_id}:{_normalise(code)}".encode()).hexdigest()


def _new_recovery_codes(ctx: Context, user_id: str) -> list[str]:
    rc = t.recovery_codes
    ctx.conn.execute(delete(rc).where(rc.c.user_id == user_id))
    now = ctx.clock.now()
    codes = []
    for _ in range(RECOVERY_CODE_COUNT):
        raw = "".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(16))
        codes.append("-".join(raw[i : i + 4] for i in range(0, 16, 4)))
    ctx.conn.execute(
        insert(rc),
        [
            {
                "id": new_id(),
                "user_id": user_id,
                "code_hash": _code_hash(user_id, c),
                "created_at": now,
            }
            for c in codes
        ],
    )
    return codes


def use_recovery_code(ctx: Context, user_id: str, code: Any) -> bool:
    """Spend one recovery code (single use, atomic); False when it is not a live code of the
    user. Audited as ``auth.recovery_code_used`` with the number left."""
    if not isinstance(code, str) or not 1 <= len(code) <= 64:
        return False
    rc = t.recovery_codes
    res = ctx.conn.execute(
        update(rc)
        .where(
            rc.c.user_id == user_id,
            rc.c.code_hash == _code_hash(user_id, code),
            rc.c.used_at.is_(None),
        )
        .values(used_at=ctx.clock.now())
    )
    if res.rowcount != 1:
        return False
    left = _codes_left(ctx, user_id)
    audit.record(ctx, "auth.recovery_code_used", "user", user_id, {"left": left})
    return True


def regenerate_recovery_codes(ctx: Context, user_id: str) -> list[str]:
    """Ten new codes; the old ones stop working. Needs two-factor on (``TOTP_NOT_ENABLED``)."""
    if not is_enabled(ctx, user_id):
        raise Conflict("TOTP_NOT_ENABLED", "Two-factor sign-in is off.")
    codes = _new_recovery_codes(ctx, user_id)
    audit.record(ctx, "auth.recovery_codes_regenerate", "user", user_id, {})
    return codes


def disable(ctx: Context, user_id: str, *, by_admin: bool = False) -> None:
    """Turn two-factor off: the secret and the recovery codes are deleted."""
    if _row(ctx, user_id) is None:
        raise Conflict("TOTP_NOT_ENABLED", "Two-factor sign-in is off.")
    ctx.conn.execute(delete(t.recovery_codes).where(t.recovery_codes.c.user_id == user_id))
    ctx.conn.execute(delete(t.user_totp).where(t.user_totp.c.user_id == user_id))
    audit.record(ctx, "auth.2fa_reset" if by_admin else "auth.2fa_disable", "user", user_id, {})
