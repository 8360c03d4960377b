"""Password policy and Argon2id hashing.

Policy (``check_policy``), every problem reported at once on the password field:

- at least ``ACCORD_PASSWORD_MIN_LENGTH`` characters (default 10), at most 1,024;
- three of the four character classes (lower case, upper case, digits, other), unless the
  password has 16 characters or more (a passphrase);
- not the login, and not built on it: with the login taken out (case-insensitive, logins of 3
  characters or more), what remains must still have the minimum length — so ``li.na2026!`` is
  refused for ``li.na`` while a long passphrase that happens to contain ``admin`` is not;
- not one of the ~700 most common passwords of 8 characters or more (English and Chinese leaked
  lists, plus product words), compared case-insensitively: ``common-passwords.txt``.

Hashes use Argon2id with the parameters of the settings; ``verify`` tells the caller when a
stored hash was made with other parameters, so sign-in rehashes it.
"""

from __future__ import annotations

import contextlib
import functools
import unicodedata
from dataclasses import dataclass
from importlib import resources
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from accord.core.errors import FieldError, Invalid
from accord.core.settings import Settings

MAX_LENGTH = 1024
PASSPHRASE_LENGTH = 16


@functools.cache
def common_passwords() -> frozenset[str]:
    """The shipped list, lower-cased (read once per process)."""
    text = resources.files("accord.auth").joinpath("common-passwords.txt").read_text("utf-8")
    return frozenset(w.strip().lower() for w in text.splitlines() if w.strip())


def _classes(password: str) -> int:
    lower = any(c.islower() for c in password)
    upper = any(c.isupper() for c in password)
    digit = any(c.isdigit() for c in password)
    other = any(not c.isalnum() for c in password)
    return lower + upper + digit + other


def problems(
    settings: Settings, password: Any, login: str | None = None, field: str = "password"
) -> list[FieldError]:
    """Every way ``password`` breaks the policy (empty when it is acceptable)."""
    if not isinstance(password, str):
        return [FieldError(field, "INVALID_TYPE", "a password is text")]
    out: list[FieldError] = []
    minimum = settings.password_min_length
    if len(password) < minimum:
        out.append(FieldError(field, "TOO_SHORT", f"at least {minimum} characters"))
    if len(password) > MAX_LENGTH:
        return [FieldError(field, "TOO_LONG", f"at most {MAX_LENGTH} characters")]
    if "\x00" in password:
        out.append(FieldError(field, "INVALID_VALUE", "contains a NUL character"))
    if len(password) < PASSPHRASE_LENGTH and _classes(password) < 3:
        out.append(
            FieldError(
                field,
                "PASSWORD_TOO_SIMPLE",
                "use three of: lower case, upper case, digits, symbols "
                f"(or {PASSPHRASE_LENGTH} characters or more)",
            )
        )
    folded = unicodedata.normalize("NFKC", password).casefold()
    if login:
        name = unicodedata.normalize("NFKC", login).casefold()
        built_on = len(name) >= 3 and name in folded and len(folded.replace(name, "")) < minimum
        if folded == name or built_on:
            out.append(
                FieldError(
                    field,
                    "PASSWORD_CONTAINS_LOGIN",
                    f"the login does not count: {minimum} characters besides it",
                )
            )
    if folded.strip() in common_passwords():
        out.append(FieldError(field, "PASSWORD_TOO_COMMON", "one of the most common passwords"))
    return out


def check_policy(
    settings: Settings, password: Any, login: str | None = None, field: str = "password"
) -> str:
    """``password`` if it meets the policy, else ``WEAK_PASSWORD`` (422) naming each problem."""
    errors = problems(settings, password, login, field)
    if errors:
        raise Invalid("WEAK_PASSWORD", "The password does not meet the password policy.", errors)
    return password  # type: ignore[no-any-return]


# --- hashing ---------------------------------------------------------------------------------


@functools.lru_cache(maxsize=8)
def _hasher(time_cost: int, memory_kib: int, parallelism: int) -> PasswordHasher:
    return PasswordHasher(time_cost=time_cost, memory_cost=memory_kib, parallelism=parallelism)


def hasher(settings: Settings) -> PasswordHasher:
    return _hasher(
        settings.argon2_time_cost, settings.argon2_memory_kib, settings.argon2_parallelism
    )


def hash_password(settings: Settings, password: str) -> str:
    return hasher(settings).hash(password)


@dataclass(frozen=True)
class Verified:
    ok: bool
    needs_rehash: bool = False


@functools.lru_cache(maxsize=8)
def _dummy_hash(time_cost: int, memory_kib: int, parallelism: int) -> str:
    return _hasher(time_cost, memory_kib, parallelism).hash("not a password of anyone")


def verify(settings: Settings, stored: str | None, password: str) -> Verified:
    """Check ``password`` against a stored hash. Without a hash (unknown login, user without a
    password) a dummy hash is checked anyway, so the answer takes the same time."""
    h = hasher(settings)
    if not stored:
        params = (
            settings.argon2_time_cost,
            settings.argon2_memory_kib,
            settings.argon2_parallelism,
        )
        stored_dummy = _dummy_hash(*params)
        with contextlib.suppress(VerificationError, InvalidHashError):
            h.verify(stored_dummy, password)
        return Verified(False)
    try:
        h.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return Verified(False)
    try:
        return Verified(True, h.check_needs_rehash(stored))
    except InvalidHashError:  # pragma: no cover - verify would have failed first
        return Verified(True, True)
