"""The password policy (every problem at once, stable codes) and Argon2id parameters."""

from __future__ import annotations

import pytest

from accord.auth import passwords
from accord.core.errors import Invalid
from accord.core.settings import Settings

SETTINGS = Settings(argon2_time_cost=1, argon2_memory_kib=1024, argon2_parallelism=1)


def codes(password: object, login: str | None = None, **settings: object) -> set[str]:
    s = SETTINGS.model_copy(update=settings) if settings else SETTINGS
    return {e.code for e in passwords.problems(s, password, login)}


@pytest.mark.parametrize(
    ("password", "login", "expected"),
    [
        ("Tr0ub4dor&3x", None, set()),
        ("correct horse battery staple", None, set()),  # a passphrase needs no mix
        ("Ab1-", None, {"TOO_SHORT"}),
        ("abcdefghijk", None, {"PASSWORD_TOO_SIMPLE"}),
        ("ABCDEFGH1234", None, {"PASSWORD_TOO_SIMPLE"}),  # upper case and digits: two classes
        ("li.na", "li.na", {"TOO_SHORT", "PASSWORD_CONTAINS_LOGIN", "PASSWORD_TOO_SIMPLE"}),
        ("Li.Na-2026!", "li.na", {"PASSWORD_CONTAINS_LOGIN"}),  # 6 characters besides it
        ("ＬＩ.ＮＡ-2026!x", "li.na", {"PASSWORD_CONTAINS_LOGIN"}),  # full-width forms fold
        ("admin-password-for-tests", "admin", set()),  # the login inside a long passphrase
        ("Qwerty123456", None, {"PASSWORD_TOO_COMMON"}),
        ("WOAINI1314", None, {"PASSWORD_TOO_SIMPLE", "PASSWORD_TOO_COMMON"}),
        ("x" * 1025, None, {"TOO_LONG"}),
        ("Nul\x00-char-123", None, {"INVALID_VALUE"}),
        (12345678901, None, {"INVALID_TYPE"}),
    ],
)
def test_policy(password: object, login: str | None, expected: set[str]) -> None:
    assert codes(password, login) == expected


def test_minimum_length_follows_the_setting() -> None:
    assert codes("Ab1-efgh", password_min_length=8) == set()
    assert codes("Ab1-efgh") == {"TOO_SHORT"}


def test_check_policy_raises_weak_password_on_the_named_field() -> None:
    with pytest.raises(Invalid) as exc:
        passwords.check_policy(SETTINGS, "short", field="new_password")
    assert exc.value.code == "WEAK_PASSWORD" and exc.value.status == 422
    assert {e.field for e in exc.value.errors} == {"new_password"}


def test_the_shipped_list_is_small_and_lower_case() -> None:
    words = passwords.common_passwords()
    assert 500 <= len(words) <= 1500
    assert {"password", "woaini1314", "1qaz2wsx"} <= words
    assert all(w == w.lower() and len(w) >= 8 for w in words)


def test_verify_reports_hashes_made_with_other_parameters() -> None:
    stronger = SETTINGS.model_copy(update={"argon2_time_cost": 2})
    stored = passwords.hash_password(SETTINGS, "Tr0ub4dor&3x")
    assert passwords.verify(SETTINGS, stored, "Tr0ub4dor&3x") == passwords.Verified(True, False)
    assert passwords.verify(stronger, stored, "Tr0ub4dor&3x") == passwords.Verified(True, True)
    assert passwords.verify(SETTINGS, stored, "wrong") == passwords.Verified(False)
    assert passwords.verify(SETTINGS, None, "anything") == passwords.Verified(False)
    assert passwords.verify(SETTINGS, "not-a-hash", "anything") == passwords.Verified(False)
