"""Sign-in over HTTP: sessions and their cookie, CSRF, throttling and lockout, two-factor,
password changes — each with its audit entries. Time is the fixed clock of the app under test."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pyotp
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from accord.api.app import create_app
from accord.core.clock import FixedClock
from accord.core.context import Runtime
from accord.db import tables as t

Browser = Callable[..., TestClient]
NewUser = Callable[..., dict[str, Any]]
SignIn = Callable[..., dict[str, Any]]
AuditLog = Callable[..., list[dict[str, Any]]]


def _login(web: TestClient, login: str, password: str, **extra: Any) -> Any:
    return web.post("/api/v1/auth/login", json={"login": login, "password": password, **extra})


def _cookie_header(r: Any) -> str:
    [header] = [v for k, v in r.headers.multi_items() if k == "set-cookie"]
    return str(header)


# --- sessions and the cookie ---------------------------------------------------------------------


def test_login_opens_a_session_with_an_httponly_samesite_cookie(
    browser: Browser, new_user: NewUser, audit_log: AuditLog, fresh_ip: Callable[[], str]
) -> None:
    user = new_user("web")
    ip = fresh_ip()
    web = browser(ip=ip)
    r = _login(web, user["login"], user["password"])
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["user"]["id"] == user["id"] and "password_hash" not in body["user"]
    assert body["session"]["method"] == "password" and body["csrf_token"]
    cookie = _cookie_header(r)
    assert cookie.startswith("accord_session=acs_")
    flags = {f.strip().split("=")[0].lower() for f in cookie.split(";")[1:]}
    assert {"httponly", "path", "max-age"} <= flags
    assert "samesite=lax" in cookie.lower()
    assert "secure" not in flags  # plain HTTP
    # The cookie alone authenticates reads.
    me = web.get("/api/v1/me/permissions")
    assert me.status_code == 200 and me.json()["user_id"] == user["id"]
    [entry] = audit_log(action="auth.login", target_id=user["id"])
    assert entry["actor_id"] == user["id"] and entry["details"]["method"] == "password"
    assert entry["details"]["session_id"] == body["session"]["id"]
    assert entry["ip"] == ip


def test_cookie_is_secure_over_https_and_behind_a_trusted_proxy_only(
    fixed_runtime: Runtime,
    browser: Browser,
    new_user: NewUser,
    tune: Callable[..., Runtime],
    audit_log: AuditLog,
) -> None:
    user = new_user("tls")
    r = _login(browser(https=True), user["login"], user["password"])
    assert r.status_code == 200 and "; secure" in _cookie_header(r).lower()

    proto = {"X-Forwarded-Proto": "https"}
    r = browser().post(
        "/api/v1/auth/login",
        json={"login": user["login"], "password": user["password"]},
        headers=proto,
    )
    assert r.status_code == 200 and "secure" not in _cookie_header(r).lower()  # not trusted

    trusting = create_app(tune(fixed_runtime, trust_proxy_headers=True))
    r = browser(app=trusting).post(
        "/api/v1/auth/login",
        json={"login": user["login"], "password": user["password"]},
        headers={**proto, "X-Forwarded-For": "198.51.100.7, 203.0.113.9"},
    )
    assert r.status_code == 200 and "; secure" in _cookie_header(r).lower()
    # The address the (trusted) proxy appended last is the client's.
    newest = audit_log(action="auth.login", target_id=user["id"])[0]
    assert newest["ip"] == "203.0.113.9"


def test_csrf_token_is_required_for_state_changes_made_with_the_cookie(
    browser: Browser, new_user: NewUser, sign_in: SignIn
) -> None:
    web = browser()
    token = sign_in(web, new_user("csrf"))["csrf_token"]
    del web.headers["X-CSRF-Token"]
    r = web.post("/api/v1/tokens", json={"name": "from the browser"})
    assert r.status_code == 403 and r.json()["code"] == "CSRF_FAILED"
    assert r.headers["content-type"] == "application/problem+json"
    r = web.post("/api/v1/tokens", json={"name": "x"}, headers={"X-CSRF-Token": token + "x"})
    assert r.status_code == 403 and r.json()["code"] == "CSRF_FAILED"
    for method in ("put", "patch", "delete"):
        r = web.request(method, "/api/v1/tokens/00000000-0000-0000-0000-000000000000")
        assert r.status_code in (403, 405), (method, r.text)
        if r.status_code == 403:
            assert r.json()["code"] == "CSRF_FAILED"
    # The token from login, and the same one from GET /auth/csrf, are accepted.
    assert web.get("/api/v1/auth/csrf").json() == {"csrf_token": token}
    r = web.post(
        "/api/v1/tokens", json={"name": "from the browser"}, headers={"X-CSRF-Token": token}
    )
    assert r.status_code == 201, r.text


def test_bearer_requests_need_no_csrf_token(admin_api: TestClient) -> None:
    r = admin_api.post("/api/v1/tokens", json={"name": "script"})
    assert r.status_code == 201, r.text
    r = admin_api.get("/api/v1/auth/csrf")
    assert r.status_code == 400 and r.json()["code"] == "SESSION_REQUIRED"
    r = admin_api.post("/api/v1/auth/logout")
    assert r.status_code == 400 and r.json()["code"] == "SESSION_REQUIRED"


def test_session_ends_after_idle_time(
    browser: Browser, new_user: NewUser, sign_in: SignIn, fixed_clock: FixedClock
) -> None:
    user = new_user("idle")
    web = browser()
    sign_in(web, user)
    fixed_clock.advance(minutes=20)
    assert web.get("/api/v1/auth/sessions").status_code == 200  # seen: the idle clock restarts
    fixed_clock.advance(minutes=20)
    assert web.get("/api/v1/auth/sessions").status_code == 200  # 20 min idle < 30
    fixed_clock.advance(minutes=30, seconds=1)
    r = web.get("/api/v1/auth/sessions")
    assert r.status_code == 401 and r.json()["code"] == "SESSION_EXPIRED"


def test_session_ends_at_its_absolute_lifetime_even_when_active(
    browser: Browser, new_user: NewUser, sign_in: SignIn, fixed_clock: FixedClock
) -> None:
    web = browser()
    expires = sign_in(web, new_user("abs"))["session"]["expires_at"]
    for _ in range(11 * 3):  # active every 20 minutes for 11 hours
        fixed_clock.advance(minutes=20)
        assert web.get("/api/v1/auth/sessions").status_code == 200
    fixed_clock.advance(hours=1)
    r = web.get("/api/v1/auth/sessions")
    assert r.status_code == 401 and r.json()["code"] == "SESSION_EXPIRED"
    assert expires.startswith("2026-01-15T21:00")  # 12 h after the fixed clock's 09:00


def test_logout_ends_the_session_and_clears_the_cookie(
    browser: Browser, new_user: NewUser, sign_in: SignIn, audit_log: AuditLog
) -> None:
    web = browser()
    session = sign_in(web, new_user("out"))["session"]
    cookie = web.cookies["accord_session"]
    r = web.post("/api/v1/auth/logout")
    assert r.status_code == 204, r.text
    assert "max-age=0" in _cookie_header(r).lower()
    replay = browser()
    replay.cookies.set("accord_session", cookie)
    r = replay.get("/api/v1/auth/sessions")
    assert r.status_code == 401 and r.json()["code"] == "SESSION_EXPIRED"
    [entry] = audit_log(action="auth.logout", target_id=session["id"])
    assert entry["target_type"] == "session"


def test_own_sessions_are_listed_and_one_can_be_revoked(
    browser: Browser, new_user: NewUser, sign_in: SignIn, audit_log: AuditLog
) -> None:
    user, other = new_user("many"), new_user("other")
    laptop, phone, stranger = browser(), browser(), browser()
    mine = sign_in(laptop, user)["session"]["id"]
    theirs = sign_in(phone, user)["session"]["id"]
    foreign = sign_in(stranger, other)["session"]["id"]
    listed = laptop.get("/api/v1/auth/sessions").json()["data"]
    assert {s["id"]: s["current"] for s in listed} == {mine: True, theirs: False}
    assert all({"ip", "user_agent", "last_seen_at", "expires_at"} <= set(s) for s in listed)

    r = laptop.delete(f"/api/v1/auth/sessions/{foreign}")
    assert r.status_code == 404 and r.json()["code"] == "SESSION_NOT_FOUND"
    assert laptop.delete("/api/v1/auth/sessions/not-an-id").status_code == 404
    assert laptop.delete(f"/api/v1/auth/sessions/{theirs}").status_code == 204
    assert phone.get("/api/v1/auth/sessions").status_code == 401
    assert stranger.get("/api/v1/auth/sessions").status_code == 200
    assert audit_log(action="auth.session_revoke", target_id=theirs)


# --- failed sign-ins, lockout and throttling ------------------------------------------------------


def test_wrong_password_and_unknown_login_get_the_same_answer(
    browser: Browser, new_user: NewUser, unique: str, audit_log: AuditLog
) -> None:
    user = new_user("wrong")
    a = _login(browser(), user["login"], "Not-the-password-1")
    b = _login(browser(), f"nobody.{unique}", "Not-the-password-1")
    assert a.status_code == b.status_code == 401
    assert a.json() == b.json() and a.json()["code"] == "INVALID_CREDENTIALS"
    [entry] = audit_log(action="auth.login_failed", target_id=user["id"])
    assert entry["actor_id"] is None
    assert entry["details"] == {"login": user["login"], "reason": "bad_password"}
    assert "Not-the-password-1" not in str(audit_log(action="auth.login_failed"))


def test_an_account_locks_after_five_failures_and_unlocks_after_the_lockout(
    browser: Browser, new_user: NewUser, fixed_clock: FixedClock, audit_log: AuditLog
) -> None:
    user = new_user("lock")
    for _ in range(5):  # each from another address: the lock is per account
        assert _login(browser(), user["login"], "Wrong-password-99").status_code == 401
    r = _login(browser(), user["login"], user["password"])  # right password, still refused
    assert r.status_code == 429, r.text
    assert r.json()["code"] == "LOGIN_THROTTLED"
    assert r.headers["content-type"] == "application/problem+json"
    assert int(r.headers["retry-after"]) == r.json()["data"]["retry_after"] == 900
    [lock] = audit_log(action="auth.lockout", target_id=user["login"].casefold())
    assert lock["details"]["scope"] == "account" and lock["details"]["failures"] == 5

    fixed_clock.advance(minutes=10)
    r = _login(browser(), user["login"], user["password"])
    assert r.status_code == 429 and r.headers["retry-after"] == "300"
    fixed_clock.advance(minutes=5)
    assert _login(browser(), user["login"], user["password"]).status_code == 200


def test_a_lock_does_not_reveal_whether_the_login_exists(
    browser: Browser, new_user: NewUser, unique: str
) -> None:
    real, ghost = new_user("real")["login"], f"ghost.{unique}"
    answers: dict[str, list[tuple[int, Any, str | None]]] = {real: [], ghost: []}
    for login in (real, ghost):
        for _ in range(7):
            r = _login(browser(), login, "Wrong-password-99")
            answers[login].append((r.status_code, r.json(), r.headers.get("retry-after")))
    assert answers[real] == answers[ghost]
    assert [a[0] for a in answers[real]] == [401] * 5 + [429] * 2


def test_the_longest_logins_and_odd_headers_are_stored_without_error(
    browser: Browser, unique: str, audit_log: AuditLog
) -> None:
    """Was a 500 on PostgreSQL: a lock's audit entry named a 150-character login in a
    100-character column."""
    login = (f"long.{unique}." + "x" * 150)[:150]
    headers = {"User-Agent": "agent/" + "y" * 2000}
    answers = [
        browser()
        .post(
            "/api/v1/auth/login",
            json={"login": login, "password": "Wrong-password-99"},
            headers=headers,
        )
        .status_code
        for _ in range(6)
    ]
    assert answers == [401] * 5 + [429]
    [lock] = audit_log(action="auth.lockout", target_id=login[:100])
    assert lock["target_type"] == "login"


def test_a_successful_sign_in_resets_the_account_counter(
    browser: Browser, new_user: NewUser
) -> None:
    user = new_user("reset")
    for _ in range(2):
        for _ in range(4):
            assert _login(browser(), user["login"], "Wrong-password-99").status_code == 401
        assert _login(browser(), user["login"], user["password"]).status_code == 200


def test_an_address_is_throttled_after_too_many_failures_across_logins(
    fixed_runtime: Runtime,
    browser: Browser,
    new_user: NewUser,
    unique: str,
    tune: Callable[..., Runtime],
    fixed_clock: FixedClock,
    audit_log: AuditLog,
    fresh_ip: Callable[[], str],
) -> None:
    app = create_app(tune(fixed_runtime, login_max_failures_per_ip=4))
    user = new_user("victim")
    ip = fresh_ip()
    attacker, elsewhere = browser(app=app, ip=ip), browser(app=app)
    for i in range(4):  # a few guesses at many logins: no single account locks
        assert _login(attacker, f"guess{i}.{unique}", "Wrong-password-99").status_code == 401
    r = _login(attacker, user["login"], user["password"])
    assert r.status_code == 429 and r.json()["code"] == "LOGIN_THROTTLED"
    assert _login(elsewhere, user["login"], user["password"]).status_code == 200
    [lock] = audit_log(action="auth.lockout", target_type="ip", target_id=ip)
    assert lock["details"]["scope"] == "ip" and lock["details"]["failures"] == 4
    fixed_clock.advance(minutes=15)
    assert _login(attacker, user["login"], user["password"]).status_code == 200


def test_disabled_users_cannot_sign_in_and_their_sessions_stop(
    browser: Browser,
    new_user: NewUser,
    sign_in: SignIn,
    admin_api: TestClient,
    audit_log: AuditLog,
) -> None:
    user = new_user("gone")
    web = browser()
    sign_in(web, user)
    assert admin_api.patch(f"/api/v1/users/{user['id']}", json={"is_active": False}).is_success
    assert web.get("/api/v1/auth/sessions").status_code == 401
    r = _login(browser(), user["login"], user["password"])
    assert r.status_code == 401 and r.json()["code"] == "INVALID_CREDENTIALS"
    [entry] = audit_log(action="auth.login_failed", target_id=user["id"])
    assert entry["details"]["reason"] == "user_disabled"


def test_login_body_is_validated(browser: Browser) -> None:
    web = browser()
    bodies: list[dict[str, Any]] = [
        {},
        {"login": "x"},
        {"login": "", "password": "y"},
        {"login": 1, "password": 2},
        {"login": "x", "password": "y", "extra": 1},
        {"login": "x" * 151, "password": "y"},
    ]
    for body in bodies:
        r = web.post("/api/v1/auth/login", json=body)
        assert r.status_code == 422 and r.json()["code"] == "INVALID_REQUEST", body
    r = web.post("/api/v1/auth/login", content=b"login=x&password=y",
                 headers={"content-type": "application/x-www-form-urlencoded"})  # fmt: skip
    assert r.status_code == 422  # a cross-site form cannot sign anyone in


# --- Argon2 parameters ---------------------------------------------------------------------------


def test_a_hash_made_with_old_parameters_is_upgraded_at_sign_in(
    fixed_runtime: Runtime, browser: Browser, unique: str, tune: Callable[..., Runtime]
) -> None:
    from accord.auth.service import create_user
    from accord.core.context import Context
    from accord.db.engine import unit_of_work

    old = tune(fixed_runtime, argon2_time_cost=2, argon2_memory_kib=512, argon2_parallelism=1)
    login = f"old.hash.{unique}"
    with unit_of_work(old.engine) as conn:
        create_user(Context(runtime=old, conn=conn), login, "Sunny-meadow-42")

    def stored() -> str:
        with fixed_runtime.engine.connect() as conn:
            return str(
                conn.execute(
                    select(t.users.c.password_hash).where(t.users.c.login == login)
                ).scalar()
            )

    assert "m=512,t=2,p=1" in stored()
    assert _login(browser(), login, "Sunny-meadow-42").status_code == 200
    s = fixed_runtime.settings
    expected = f"m={s.argon2_memory_kib},t={s.argon2_time_cost},p={s.argon2_parallelism}"
    assert expected in stored()
    assert _login(browser(), login, "Sunny-meadow-42").status_code == 200


# --- two-factor ----------------------------------------------------------------------------------


def _enrol(web: TestClient, clock: FixedClock) -> tuple[str, list[str]]:
    r = web.post("/api/v1/auth/2fa/totp")
    assert r.status_code == 200, r.text
    secret = r.json()["secret"]
    assert r.json()["otpauth_uri"].startswith("otpauth://totp/Accord:")
    r = web.post("/api/v1/auth/2fa/totp/confirm", json={"code": pyotp.TOTP(secret).at(clock.now())})
    assert r.status_code == 200, r.text
    return secret, r.json()["recovery_codes"]


def test_totp_enrolment_needs_a_confirming_code(
    browser: Browser, new_user: NewUser, sign_in: SignIn, fixed_clock: FixedClock
) -> None:
    user = new_user("enrol")
    web = browser()
    sign_in(web, user)
    secret = web.post("/api/v1/auth/2fa/totp").json()["secret"]
    assert web.get("/api/v1/auth/2fa").json()["pending"] is True
    sign_in(browser(), user)  # pending: the password alone still signs in
    r = web.post("/api/v1/auth/2fa/totp/confirm", json={"code": "000000"})
    assert r.status_code == 422 and r.json()["code"] == "TOTP_CONFIRMATION_FAILED"
    code = pyotp.TOTP(secret).at(fixed_clock.now())
    r = web.post("/api/v1/auth/2fa/totp/confirm", json={"code": code})
    assert r.status_code == 200 and len(set(r.json()["recovery_codes"])) == 10
    status = web.get("/api/v1/auth/2fa").json()
    assert status["enabled"] is True and status["recovery_codes_left"] == 10
    r = web.post("/api/v1/auth/2fa/totp")
    assert r.status_code == 409 and r.json()["code"] == "TOTP_ALREADY_ENABLED"


def test_with_totp_on_a_code_is_required_and_a_used_code_is_refused(
    browser: Browser,
    new_user: NewUser,
    sign_in: SignIn,
    fixed_clock: FixedClock,
    audit_log: AuditLog,
) -> None:
    user = new_user("totp")
    web = browser()
    sign_in(web, user)
    secret, _ = _enrol(web, fixed_clock)
    totp = pyotp.TOTP(secret)
    r = _login(browser(), user["login"], user["password"])
    assert r.status_code == 401 and r.json()["code"] == "OTP_REQUIRED"
    # The code confirming enrolment was for this very step: it cannot be replayed.
    r = _login(browser(), user["login"], user["password"], otp=totp.at(fixed_clock.now()))
    assert r.status_code == 401 and r.json()["code"] == "INVALID_OTP"
    fixed_clock.advance(seconds=30)
    code = totp.at(fixed_clock.now())
    body = sign_in(browser(), user, otp=code)
    assert body["session"]["method"] == "password+totp"
    r = _login(browser(), user["login"], user["password"], otp=code)  # replay in the same window
    assert r.status_code == 401 and r.json()["code"] == "INVALID_OTP"
    r = _login(browser(), "x" + user["login"], user["password"], otp=code)
    assert r.status_code == 401 and r.json()["code"] == "INVALID_CREDENTIALS"
    reasons = [
        e["details"]["reason"] for e in audit_log(action="auth.login_failed", target_id=user["id"])
    ]
    assert reasons == ["otp_replayed", "otp_replayed", "otp_required"]
    assert [e["action"] for e in audit_log(action="auth.2fa_*", target_id=user["id"])] == [
        "auth.2fa_enable",
        "auth.2fa_enrol",
    ]


def test_recovery_codes_are_single_use_and_can_be_regenerated(
    browser: Browser,
    new_user: NewUser,
    sign_in: SignIn,
    fixed_clock: FixedClock,
    audit_log: AuditLog,
) -> None:
    user = new_user("rescue")
    web = browser()
    sign_in(web, user)
    _, codes = _enrol(web, fixed_clock)
    body = sign_in(browser(), user, recovery_code=codes[0].upper().replace("-", " "))
    assert body["session"]["method"] == "password+recovery_code"
    r = _login(browser(), user["login"], user["password"], recovery_code=codes[0])
    assert r.status_code == 401 and r.json()["code"] == "INVALID_OTP"
    [used] = audit_log(action="auth.recovery_code_used", target_id=user["id"])
    assert used["details"] == {"left": 9}

    r = web.post("/api/v1/auth/2fa/recovery-codes", json={})
    assert r.status_code == 422 and r.json()["code"] == "REAUTH_REQUIRED"
    r = web.post("/api/v1/auth/2fa/recovery-codes", json={"password": user["password"]})
    assert r.status_code == 200, r.text
    fresh = r.json()["recovery_codes"]
    r = _login(browser(), user["login"], user["password"], recovery_code=codes[1])
    assert r.status_code == 401  # the old ones stopped working
    sign_in(browser(), user, recovery_code=fresh[0])
    assert audit_log(action="auth.recovery_codes_regenerate", target_id=user["id"])


def test_turning_totp_off_needs_the_password_or_a_code(
    browser: Browser,
    new_user: NewUser,
    sign_in: SignIn,
    fixed_clock: FixedClock,
    audit_log: AuditLog,
) -> None:
    user = new_user("off")
    web = browser()
    sign_in(web, user)
    secret, _ = _enrol(web, fixed_clock)
    r = web.post("/api/v1/auth/2fa/totp/disable", json={})
    assert r.status_code == 422 and r.json()["code"] == "REAUTH_REQUIRED"
    r = web.post("/api/v1/auth/2fa/totp/disable", json={"password": "Wrong-password-99"})
    assert r.status_code == 403 and r.json()["code"] == "WRONG_PASSWORD"
    assert r.json()["errors"][0]["field"] == "password"
    # The refusal is recorded although the request failed.
    [refused] = audit_log(action="auth.reauth_failed", target_id=user["id"])
    assert refused["details"] == {"purpose": "2fa_disable", "with": "password"}
    fixed_clock.advance(seconds=30)
    r = web.post(
        "/api/v1/auth/2fa/totp/disable", json={"code": pyotp.TOTP(secret).at(fixed_clock.now())}
    )
    assert r.status_code == 204, r.text
    assert web.get("/api/v1/auth/2fa").json()["enabled"] is False
    sign_in(browser(), user)  # the password alone again
    assert audit_log(action="auth.2fa_disable", target_id=user["id"])


def test_administrators_reset_another_users_totp(
    browser: Browser,
    new_user: NewUser,
    sign_in: SignIn,
    fixed_clock: FixedClock,
    admin_api: TestClient,
    audit_log: AuditLog,
) -> None:
    user, peer = new_user("lost"), new_user("peer")
    web = browser()
    sign_in(web, user)
    _enrol(web, fixed_clock)
    peer_web = browser()
    sign_in(peer_web, peer)
    r = peer_web.delete(f"/api/v1/users/{user['id']}/2fa")
    assert r.status_code == 403 and r.json()["code"] == "NOT_ALLOWED"
    assert admin_api.delete(f"/api/v1/users/{user['id']}/2fa").status_code == 204
    sign_in(browser(), user)
    assert audit_log(action="auth.2fa_reset", target_id=user["id"])


# --- passwords -----------------------------------------------------------------------------------


def test_changing_ones_password_needs_the_current_one_and_ends_other_sessions(
    browser: Browser, new_user: NewUser, sign_in: SignIn, audit_log: AuditLog
) -> None:
    user = new_user("change")
    web, other = browser(), browser()
    sign_in(web, user)
    sign_in(other, user)
    url = "/api/v1/me/password"
    r = web.post(
        url, json={"current_password": "Wrong-password-99", "new_password": "Quiet-river-77"}
    )
    assert r.status_code == 403 and r.json()["code"] == "WRONG_PASSWORD"
    assert r.json()["errors"][0]["field"] == "current_password"
    r = web.post(url, json={"current_password": user["password"], "new_password": "short"})
    assert r.status_code == 422 and r.json()["code"] == "WEAK_PASSWORD"
    assert {e["code"] for e in r.json()["errors"]} == {"TOO_SHORT", "PASSWORD_TOO_SIMPLE"}
    assert {e["field"] for e in r.json()["errors"]} == {"new_password"}
    r = web.post(url, json={"current_password": user["password"], "new_password": "Quiet-river-77"})
    assert r.status_code == 200 and r.json() == {"sessions_ended": 1}
    assert web.get("/api/v1/auth/sessions").status_code == 200  # this session stays
    assert other.get("/api/v1/auth/sessions").status_code == 401
    assert _login(browser(), user["login"], user["password"]).status_code == 401
    assert _login(browser(), user["login"], "Quiet-river-77").status_code == 200
    [entry] = audit_log(action="user.password_change", target_id=user["id"])
    assert entry["actor_id"] == user["id"] and entry["details"] == {"sessions_ended": 1}


def test_nobody_sets_their_own_password_without_the_current_one(
    browser: Browser, new_user: NewUser, sign_in: SignIn
) -> None:
    user = new_user("self")
    web = browser()
    sign_in(web, user)
    r = web.patch(f"/api/v1/users/{user['id']}", json={"password": "Quiet-river-77"})
    assert r.status_code == 403 and r.json()["code"] == "NOT_ALLOWED"
    r = web.post(f"/api/v1/users/{user['id']}/password", json={"password": "Quiet-river-77"})
    assert r.status_code == 403 and r.json()["code"] == "NOT_ALLOWED"


def test_administrators_reset_a_password_and_the_users_sessions_end(
    browser: Browser,
    new_user: NewUser,
    sign_in: SignIn,
    admin_api: TestClient,
    audit_log: AuditLog,
) -> None:
    user = new_user("forgot")
    web = browser()
    sign_in(web, user)
    url = f"/api/v1/users/{user['id']}/password"
    r = admin_api.post(url, json={"password": user["login"] + "1"})
    assert r.status_code == 422 and r.json()["code"] == "WEAK_PASSWORD"
    assert "PASSWORD_CONTAINS_LOGIN" in {e["code"] for e in r.json()["errors"]}
    r = admin_api.post(url, json={"password": "Quiet-river-77"})
    assert r.status_code == 200 and r.json() == {"sessions_ended": 1}
    assert web.get("/api/v1/auth/sessions").status_code == 401
    sign_in(browser(), {**user, "password": "Quiet-river-77"})
    assert audit_log(action="user.password_reset", target_id=user["id"])
    r = admin_api.post("/api/v1/users/00000000-0000-0000-0000-000000000000/password",
                       json={"password": "Quiet-river-77"})  # fmt: skip
    assert r.status_code == 404 and r.json()["code"] == "USER_NOT_FOUND"


@pytest.mark.parametrize(
    ("password", "codes"),
    [
        ("Short-1", {"TOO_SHORT"}),
        ("alllowercaseletters", set()),  # a passphrase of 16+ characters needs no mix
        ("lowercase-only", {"PASSWORD_TOO_SIMPLE"}),
        ("password123", {"PASSWORD_TOO_SIMPLE", "PASSWORD_TOO_COMMON"}),
        ("Qwerty123456", {"PASSWORD_TOO_COMMON"}),
        ("Sunny-meadow-42", set()),
    ],
)
def test_the_password_policy_names_every_problem(
    admin_api: TestClient, unique: str, password: str, codes: set[str]
) -> None:
    r = admin_api.post(
        "/api/v1/users", json={"login": f"p{len(password)}.{unique}", "password": password}
    )
    if not codes:
        assert r.status_code == 201, r.text
        return
    assert r.status_code == 422 and r.json()["code"] == "WEAK_PASSWORD", r.text
    assert {e["code"] for e in r.json()["errors"]} == codes
    assert {e["field"] for e in r.json()["errors"]} == {"password"}


def test_admin_unlocks_a_locked_login(
    browser: Browser, new_user: NewUser, admin_api: TestClient, audit_log: AuditLog
) -> None:
    user = new_user("unlock")
    for _ in range(5):
        _login(browser(), user["login"], "Wrong-password-99")
    assert _login(browser(), user["login"], user["password"]).status_code == 429
    r = admin_api.post(f"/api/v1/users/{user['id']}/unlock")
    assert r.status_code == 200 and r.json() == {"cleared": True}
    assert _login(browser(), user["login"], user["password"]).status_code == 200
    assert audit_log(action="auth.unlock", target_id=user["id"])
