"""Sign-in endpoints: login, logout, CSRF token, sessions, two-factor, passwords (ADR 0020)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Request
from pydantic import BaseModel, ConfigDict, Field
from starlette.responses import Response

from accord.api.deps import (
    SESSION,
    CookieSession,
    ReadCtx,
    WriteCtx,
    api_router,
    client_ip,
    get_runtime,
    is_https,
)
from accord.api.responses import json_response
from accord.auth import sessions, signin
from accord.core.context import Context
from accord.core.errors import BadRequest
from accord.core.settings import Settings

router = api_router(prefix="/api/v1", tags=["authentication"])

Secret = Annotated[str, Field(min_length=1, max_length=4096)]
Code = Annotated[str, Field(min_length=1, max_length=64)]


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class LoginIn(_Body):
    login: Annotated[str, Field(min_length=1, max_length=150)]
    password: Secret
    otp: Code | None = Field(default=None, description="6 digits from the authenticator app")
    recovery_code: Code | None = Field(default=None, description="one of the recovery codes")


class CodeIn(_Body):
    code: Code


class ReauthIn(_Body):
    password: Secret | None = None
    code: Code | None = None


class ChangePasswordIn(_Body):
    current_password: Secret
    new_password: Secret


class ResetPasswordIn(_Body):
    password: Secret


def _set_cookie(resp: Response, request: Request, settings: Settings, value: str, age: int) -> None:
    resp.set_cookie(
        settings.session_cookie_name,
        value,
        max_age=age,
        path="/",
        httponly=True,
        samesite="lax",
        secure=is_https(request, settings),
    )


def _session(ctx: Context) -> CookieSession:
    current = ctx.memo.get(SESSION)
    if current is None:
        raise BadRequest(
            "SESSION_REQUIRED", "This needs the session cookie of a sign-in, not an API token."
        )
    return current  # type: ignore[no-any-return]


# --- sign in and out --------------------------------------------------------------------------


@router.post(
    "/auth/login",
    summary="Sign in with login and password (and a code with two-factor on); sets the cookie",
    openapi_extra={"security": []},
)
def login(request: Request, body: LoginIn) -> Response:
    runtime = get_runtime(request)
    settings = runtime.settings
    client = signin.Client(client_ip(request, settings), request.headers.get("user-agent"))
    done = signin.sign_in(
        runtime,
        body.login,
        body.password,
        client,
        otp=body.otp,
        recovery_code=body.recovery_code,
    )
    resp = json_response(
        {
            "user": done.user,
            "csrf_token": done.session.csrf_token,
            "session": {
                "id": done.session.id,
                "method": done.method,
                "expires_at": done.session.expires_at,
                "idle_timeout_seconds": settings.session_idle_minutes * 60,
            },
        }
    )
    age = int(sessions.lifetime(settings).total_seconds())
    _set_cookie(resp, request, settings, done.session.secret, age)
    return resp


@router.post("/auth/logout", status_code=204, summary="End this session and clear its cookie")
def logout(request: Request, ctx: WriteCtx) -> Response:
    signin.sign_out(ctx, _session(ctx).id)
    resp = Response(status_code=204)
    _set_cookie(resp, request, ctx.settings, "", 0)
    return resp


@router.get("/auth/csrf", summary="The CSRF token of this session (send it as X-CSRF-Token)")
def csrf(ctx: ReadCtx) -> Response:
    return json_response({"csrf_token": _session(ctx).csrf_token})


@router.get("/auth/sessions", summary="Your live sessions")
def list_sessions(ctx: ReadCtx) -> Response:
    current = ctx.memo.get(SESSION)
    data = sessions.list_sessions(ctx, ctx.actor.id, current.id if current else None)
    return json_response({"data": data})


@router.delete("/auth/sessions/{id}", status_code=204, summary="End one of your sessions")
def revoke_session(request: Request, ctx: WriteCtx, id: str) -> Response:
    signin.end_session(ctx, id)
    resp = Response(status_code=204)
    current = ctx.memo.get(SESSION)
    if current is not None and current.id == id:
        _set_cookie(resp, request, ctx.settings, "", 0)
    return resp


# --- two-factor -------------------------------------------------------------------------------


@router.get("/auth/2fa", summary="Your two-factor status and recovery codes left")
def two_factor_status(ctx: ReadCtx) -> Response:
    return json_response(signin.two_factor_status(ctx))


@router.post("/auth/2fa/totp", summary="Start TOTP enrolment: a new secret and otpauth:// URI")
def begin_totp(ctx: WriteCtx) -> Response:
    return json_response(signin.begin_two_factor(ctx))


@router.post(
    "/auth/2fa/totp/confirm", summary="Turn TOTP on with a code; returns 10 recovery codes once"
)
def confirm_totp(ctx: WriteCtx, body: CodeIn) -> Response:
    return json_response({"recovery_codes": signin.confirm_two_factor(ctx, body.code)})


@router.post(
    "/auth/2fa/totp/disable",
    status_code=204,
    summary="Turn two-factor off (with your password or a code)",
)
def disable_totp(ctx: WriteCtx, body: ReauthIn) -> Response:
    signin.disable_two_factor(ctx, password=body.password, code=body.code)
    return Response(status_code=204)


@router.post(
    "/auth/2fa/recovery-codes",
    summary="New recovery codes (with your password or a code); the old ones stop working",
)
def regenerate_codes(ctx: WriteCtx, body: ReauthIn) -> Response:
    codes = signin.regenerate_recovery_codes(ctx, password=body.password, code=body.code)
    return json_response({"recovery_codes": codes})


# --- passwords and administrators --------------------------------------------------------------


@router.post(
    "/me/password", summary="Change your password (needs the current one); ends your other sessions"
)
def change_password(ctx: WriteCtx, body: ChangePasswordIn) -> Response:
    current = ctx.memo.get(SESSION)
    result: dict[str, Any] = signin.change_password(
        ctx, body.current_password, body.new_password, keep_session=current.id if current else None
    )
    return json_response(result)


@router.post(
    "/users/{id}/password",
    summary="Set another user's password (administrators); ends that user's sessions",
)
def reset_password(ctx: WriteCtx, id: str, body: ResetPasswordIn) -> Response:
    return json_response(signin.reset_password(ctx, id, body.password))


@router.delete(
    "/users/{id}/2fa",
    status_code=204,
    summary="Turn another user's two-factor off (administrators)",
)
def reset_two_factor(ctx: WriteCtx, id: str) -> Response:
    signin.reset_two_factor(ctx, id)
    return Response(status_code=204)


@router.post(
    "/users/{id}/unlock", summary="Clear a user's failed sign-ins and lock (administrators)"
)
def unlock(ctx: WriteCtx, id: str) -> Response:
    return json_response({"cleared": signin.unlock_login(ctx, id)})
