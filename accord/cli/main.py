"""`accord` — install, serve, run workers, load demo data, manage users, tokens and config."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from accord.core.errors import AccordError

app = typer.Typer(
    help="Accord CRM: a metadata-driven, self-hosted CRM.",
    no_args_is_help=True,
    add_completion=False,
)
user_app = typer.Typer(help="Manage users.", no_args_is_help=True)
token_app = typer.Typer(help="Manage API tokens.", no_args_is_help=True)
config_app = typer.Typer(
    help="Export and import configuration (objects and fields) as YAML.", no_args_is_help=True
)
audit_app = typer.Typer(help="Search the audit log.", no_args_is_help=True)
app.add_typer(user_app, name="user")
app.add_typer(token_app, name="token")
app.add_typer(config_app, name="config")
app.add_typer(audit_app, name="audit")

err = Console(stderr=True)
out = Console()


def _runtime():  # type: ignore[no-untyped-def]
    from accord.runtime import build_runtime

    return build_runtime()


def _fail(exc: AccordError) -> None:
    err.print(f"[red]error[/red] {exc.code}: {exc.message}")
    for e in exc.errors[:50]:
        err.print(f"  - {e.field or '(record)'}: {e.code} {e.message}")
    raise typer.Exit(2)


@app.command()
def init(
    admin_login: Annotated[str, typer.Option(help="Login of the administrator.")] = "admin",
    admin_password: Annotated[
        str | None,
        typer.Option(help="Password of the administrator (generated and printed when omitted)."),
    ] = None,
) -> None:
    """Create the database schema, install the CRM objects and the administrator (idempotent)."""
    from accord.setup import init as do_init

    try:
        res = do_init(_runtime(), admin_login, admin_password)
    except AccordError as exc:
        _fail(exc)
        return
    err.print(f"schema ready ({len(res.actions)} change(s) applied)")
    if res.admin_created:
        err.print(f"administrator [bold]{res.admin_login}[/bold] created")
        if admin_password is None:
            err.print(f"password: [bold]{res.admin_password}[/bold]")
    else:
        err.print(f"administrator {res.admin_login} already exists (left unchanged)")


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.")] = 8000,
    demo: Annotated[
        bool, typer.Option(help="Load the demo company when the database is empty.")
    ] = False,
    worker: Annotated[
        bool, typer.Option(help="Run a job worker and the scheduler in-process.")
    ] = True,
    workers: Annotated[int, typer.Option(help="Web server processes.")] = 1,
) -> None:
    """Serve the web app and API (plus one job worker and the scheduler by default)."""
    import uvicorn

    from accord.api.app import create_app
    from accord.setup import init as do_init

    runtime = _runtime()
    res = do_init(runtime)
    if demo:
        from accord.apps.crm.demo_loader import demo_loaded, load_demo

        if not demo_loaded(runtime):
            load_demo(runtime, scale=1.0, console=err)
    url = f"http://{host}:{port}"
    err.print(f"Accord is starting at [bold]{url}[/bold]  (API docs: {url}/docs)")
    if res.admin_created and res.admin_password:
        err.print(
            f"Admin login: [bold]{res.admin_login}[/bold] / [bold]{res.admin_password}[/bold]"
        )
    else:
        pw = runtime.settings.data_dir / "initial-admin-password.txt"
        hint = f" (initial password in {pw})" if pw.exists() else ""
        err.print(f"Admin login: [bold]{res.admin_login}[/bold]{hint}")
    if workers > 1:
        # Several processes: uvicorn imports the app factory in each of them.
        os.environ["ACCORD_EMBEDDED_WORKER"] = "true" if worker else "false"
        uvicorn.run(
            "accord.api.asgi:create",
            factory=True,
            host=host,
            port=port,
            log_level="warning",
            workers=workers,
        )
        return
    application = create_app(runtime, embedded_worker=worker and runtime.settings.embedded_worker)
    uvicorn.run(application, host=host, port=port, log_level="warning")


@app.command("worker")
def worker_cmd(
    concurrency: Annotated[int, typer.Option(help="Jobs run at once by this process.")] = 1,
    scheduler: Annotated[
        bool, typer.Option(help="Also run the scheduler (safe to run in several processes).")
    ] = True,
) -> None:
    """Run a job worker (add as many as you like, on any machine sharing the database)."""
    from accord.engines import serve_worker

    err.print("worker started; stop with Ctrl-C (the job in hand finishes first)")
    serve_worker(_runtime(), concurrency=concurrency, with_scheduler=scheduler)


@app.command()
def demo(
    scale: Annotated[float, typer.Option(help="1.0 = 2,000 customers, 10,000 leads, …")] = 1.0,
) -> None:
    """Fill the database with a realistic demo company (zh_CN and en)."""
    from accord.apps.crm.demo_loader import load_demo
    from accord.setup import init as do_init

    runtime = _runtime()
    do_init(runtime)
    try:
        counts = load_demo(runtime, scale=scale, console=err)
    except AccordError as exc:
        _fail(exc)
        return
    for name, n in counts.items():
        err.print(f"{name:>18}: {n}")


@app.command()
def migrate(
    dry_run: Annotated[bool, typer.Option(help="Show the plan without applying it.")] = False,
) -> None:
    """Upgrade system tables and align every object table with its definition."""
    from accord.core.context import Context
    from accord.db.engine import unit_of_work
    from accord.meta import service as meta
    from accord.schema import pending, upgrade

    runtime = _runtime()
    if dry_run:
        for rev in pending(runtime.engine):
            out.print(f"system schema: apply revision {rev}")
    else:
        upgrade(runtime.engine)
    with unit_of_work(runtime.engine) as conn:
        actions = meta.migrate(Context(runtime=runtime, conn=conn), dry_run=dry_run)
    for a in actions:
        out.print(("would " if dry_run else "") + a.describe())
    err.print(f"{len(actions)} object change(s) {'planned' if dry_run else 'applied'}")


@user_app.command("create")
def user_create(
    login: Annotated[str, typer.Argument(help="Login name.")],
    password: Annotated[str, typer.Option(prompt=True, hide_input=True)],
    name: Annotated[str | None, typer.Option(help="Display name.")] = None,
    email: Annotated[str | None, typer.Option()] = None,
    admin: Annotated[bool, typer.Option(help="Make the user an administrator.")] = False,
) -> None:
    """Create a user."""
    from accord.auth.service import create_user
    from accord.core.context import Context
    from accord.db.engine import unit_of_work

    runtime = _runtime()
    try:
        with unit_of_work(runtime.engine) as conn:
            create_user(
                Context(runtime=runtime, conn=conn),
                login,
                password,
                name=name,
                email=email,
                is_admin=admin,
            )
    except AccordError as exc:
        _fail(exc)
    err.print(f"user {login} created")


@contextmanager
def _system_ctx(readonly: bool = False) -> Iterator[Any]:
    """A system context in one unit of work (commands act, and are audited, as the system)."""
    from accord.core.context import Context
    from accord.db.engine import unit_of_work

    runtime = _runtime()
    with unit_of_work(runtime.engine, readonly=readonly) as conn:
        yield Context(runtime=runtime, conn=conn)


def _user_id(ctx: Any, login: str) -> str:
    from accord.auth.identity import find_user
    from accord.core.errors import NotFound

    user = find_user(ctx.conn, login)
    if user is None:
        raise NotFound("USER_NOT_FOUND", f"No user with login {login!r}.")
    return str(user["id"])


@user_app.command("set-password")
def user_set_password(
    login: Annotated[str, typer.Argument(help="Login name.")],
    password: Annotated[str, typer.Option(prompt=True, hide_input=True, confirmation_prompt=True)],
) -> None:
    """Set a user's password (policy checked); the user's sessions end."""
    from accord.auth import signin

    try:
        with _system_ctx() as ctx:
            res = signin.reset_password(ctx, _user_id(ctx, login), password)
    except AccordError as exc:
        _fail(exc)
        return
    err.print(f"password of {login} set; {res['sessions_ended']} session(s) ended")


@user_app.command("unlock")
def user_unlock(login: Annotated[str, typer.Argument(help="Login name.")]) -> None:
    """Clear a login's failed sign-ins and lock."""
    from accord.auth import signin

    try:
        with _system_ctx() as ctx:
            cleared = signin.unlock_login(ctx, _user_id(ctx, login))
    except AccordError as exc:
        _fail(exc)
        return
    err.print(f"{login}: " + ("lock cleared" if cleared else "was not locked"))


@user_app.command("reset-2fa")
def user_reset_2fa(login: Annotated[str, typer.Argument(help="Login name.")]) -> None:
    """Turn a user's two-factor sign-in off (lost phone and recovery codes)."""
    from accord.auth import signin

    try:
        with _system_ctx() as ctx:
            signin.reset_two_factor(ctx, _user_id(ctx, login))
    except AccordError as exc:
        _fail(exc)
        return
    err.print(f"two-factor sign-in of {login} is off")


@token_app.command("create")
def token_create(
    user: Annotated[str, typer.Option(help="Login of the token's user.")],
    name: Annotated[str, typer.Option(help="What the token is for.")],
    expires_in_days: Annotated[
        int | None, typer.Option(help="Expire after this many days (default: never).")
    ] = None,
) -> None:
    """Create an API token; prints only the token (shown once)."""
    from accord.auth.tokens import create_token

    try:
        with _system_ctx() as ctx:
            token = create_token(ctx, user, name, expires_in_days=expires_in_days)
    except AccordError as exc:
        _fail(exc)
        return
    sys.stdout.write(token + "\n")


def _when(value: object) -> str:
    from datetime import datetime

    return value.strftime("%Y-%m-%d %H:%M:%S") if isinstance(value, datetime) else "—"


def _json_line(data: dict[str, object]) -> str:
    import json
    from datetime import datetime

    def default(value: object) -> str:
        if isinstance(value, datetime):
            return value.isoformat().replace("+00:00", "Z")
        return str(value)

    return json.dumps(data, ensure_ascii=False, default=default)


@token_app.command("list")
def token_list(
    user: Annotated[str, typer.Option(help="Login of the tokens' user.")],
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per line.")] = False,
) -> None:
    """List a user's API tokens (prefix, name, dates; never the secret)."""
    from rich.table import Table

    from accord.auth.tokens import list_tokens

    try:
        with _system_ctx(readonly=True) as ctx:
            rows = list_tokens(ctx, user)
    except AccordError as exc:
        _fail(exc)
        return
    if as_json:
        for r in rows:
            sys.stdout.write(_json_line(r) + "\n")
        return
    table = Table("id", "name", "prefix", "created", "last used", "expires", "revoked")
    for r in rows:
        table.add_row(
            r["id"],
            r["name"],
            r["prefix"] + "…",
            _when(r["created_at"]),
            _when(r["last_used_at"]),
            _when(r["expires_at"]),
            _when(r["revoked_at"]),
        )
    out.print(table)


@token_app.command("revoke")
def token_revoke(token_id: Annotated[str, typer.Argument(help="The token's id.")]) -> None:
    """Revoke an API token (running servers notice within 5 seconds)."""
    from accord.auth.tokens import revoke_token

    try:
        with _system_ctx() as ctx:
            row = revoke_token(ctx, token_id)
    except AccordError as exc:
        _fail(exc)
        return
    err.print(f"token {row['prefix']}… ({row['name']}) revoked")


@audit_app.command("search")
def audit_search(
    actor: Annotated[str | None, typer.Option(help="Login or user id of the actor.")] = None,
    action: Annotated[
        str | None, typer.Option(help="An action (user.update) or a prefix (auth.*).")
    ] = None,
    target_type: Annotated[str | None, typer.Option(help="user, role, token, …")] = None,
    target_id: Annotated[str | None, typer.Option(help="Id of the target.")] = None,
    since: Annotated[str | None, typer.Option(help="ISO 8601, inclusive (UTC if naive).")] = None,
    until: Annotated[str | None, typer.Option(help="ISO 8601, exclusive (UTC if naive).")] = None,
    limit: Annotated[int, typer.Option(help="Most entries to show (1–500).")] = 50,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per line.")] = False,
) -> None:
    """Search the audit log, newest first."""
    from rich.table import Table

    from accord.auth import audit

    try:
        with _system_ctx(readonly=True) as ctx:
            rows, _ = audit.search(
                ctx,
                actor=actor,
                action=action,
                target_type=target_type,
                target_id=target_id,
                since=since,
                until=until,
                limit=limit,
            )
    except AccordError as exc:
        _fail(exc)
        return
    if as_json:
        for r in rows:
            sys.stdout.write(_json_line(r) + "\n")
        return
    table = Table("id", "at (UTC)", "actor", "action", "target", "ip", "details")
    for r in rows:
        target = f"{r['target_type']}:{r['target_id']}" if r["target_id"] else r["target_type"]
        table.add_row(
            str(r["id"]),
            _when(r["at"]),
            r["actor_login"] or r["actor_id"] or "—",
            r["action"],
            target,
            r["ip"] or "—",
            _json_line(r["details"]),
        )
    out.print(table)


@config_app.command("export")
def config_export(
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="File (default stdout).")
    ] = None,
) -> None:
    """Export object and field definitions as YAML."""
    import yaml

    from accord.core.context import Context
    from accord.db.engine import unit_of_work
    from accord.meta import service as meta

    runtime = _runtime()
    with unit_of_work(runtime.engine, readonly=True) as conn:
        data = meta.export_config(Context(runtime=runtime, conn=conn))
    text = yaml.safe_dump(data, allow_unicode=True, sort_keys=False)
    if output is None:
        sys.stdout.write(text)
    else:
        output.write_text(text, encoding="utf-8")
        err.print(f"wrote {len(data['objects'])} object(s) to {output}")


@config_app.command("import")
def config_import(
    file: Annotated[Path, typer.Argument(help="A file written by `accord config export`.")],
    dry_run: Annotated[bool, typer.Option(help="Show the plan without applying it.")] = False,
) -> None:
    """Import object and field definitions from YAML (checked, planned, then applied)."""
    import yaml

    from accord.core.context import Context
    from accord.db.engine import unit_of_work
    from accord.meta import service as meta

    try:
        data = yaml.safe_load(file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        err.print(f"[red]error[/red] cannot read {file}: {exc}")
        raise typer.Exit(2) from None
    runtime = _runtime()
    try:
        with unit_of_work(runtime.engine) as conn:
            actions = meta.import_config(Context(runtime=runtime, conn=conn), data, dry_run=dry_run)
    except AccordError as exc:
        _fail(exc)
        return
    for a in actions:
        out.print(("would " if dry_run else "") + a.describe())
    err.print(f"{len(actions)} change(s) {'planned' if dry_run else 'applied'}")


def main() -> None:  # pragma: no cover
    app()


if __name__ == "__main__":  # pragma: no cover
    main()
