"""`accord` — install, serve, run workers, load demo data, manage users, tokens and config."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated

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
app.add_typer(user_app, name="user")
app.add_typer(token_app, name="token")
app.add_typer(config_app, name="config")

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
    from accord.jobs.service import run_worker

    err.print("worker started; stop with Ctrl-C (the job in hand finishes first)")
    run_worker(_runtime(), concurrency=concurrency, with_scheduler=scheduler)


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


@token_app.command("create")
def token_create(
    user: Annotated[str, typer.Option(help="Login of the token's user.")],
    name: Annotated[str, typer.Option(help="What the token is for.")],
) -> None:
    """Create an API token; prints only the token (shown once)."""
    from accord.auth.service import create_token
    from accord.core.context import Context
    from accord.db.engine import unit_of_work

    runtime = _runtime()
    try:
        with unit_of_work(runtime.engine) as conn:
            token = create_token(Context(runtime=runtime, conn=conn), user, name)
    except AccordError as exc:
        _fail(exc)
        return
    sys.stdout.write(token + "\n")


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
