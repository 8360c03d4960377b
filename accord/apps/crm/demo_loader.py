"""Loading the demo company through the record service (validation, history and events
included), with a Rich progress bar."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from sqlalchemy import func, select

from accord.core.clock import local_today
from accord.core.context import SYSTEM_ACTOR, Context, Runtime
from accord.core.errors import Invalid
from accord.db import tables as t
from accord.db.engine import unit_of_work
from accord.meta.registry import load
from accord.records import service as records

DEMO_USERS = [
    ("zhang.wei", "张伟", "sales director"),
    ("li.na", "李娜", "sales manager"),
    ("wang.fang", "王芳", "sales rep"),
    ("liu.yang", "刘洋", "sales rep"),
    ("chen.jing", "陈静", "sales rep"),
    ("zhao.lei", "赵磊", "sales rep"),
    ("emma.wilson", "Emma Wilson", "sales rep"),
    ("sun.li", "孙丽", "service agent"),
]
DEMO_PASSWORD = "demo-password-2026"


def demo_loaded(runtime: Runtime) -> bool:
    with unit_of_work(runtime.engine, readonly=True) as conn:
        reg = load(Context(runtime=runtime, conn=conn))
        tbl = reg.table("customer")
        return bool(conn.execute(select(func.count()).select_from(tbl)).scalar())


def _demo_owners(ctx: Context) -> list[str]:
    from accord.auth.service import create_user, find_user

    ids = []
    for login, name, _role in DEMO_USERS:
        user = find_user(ctx.conn, login) or create_user(
            ctx, login, DEMO_PASSWORD, name=name, locale="en" if "." in name else "zh_CN"
        )
        ids.append(str(user["id"]))
    return ids


def load_demo(
    runtime: Runtime, *, scale: float = 1.0, seed: int = 7, console: Console | None = None
) -> dict[str, int]:
    """Generate and store the demo company; returns rows stored per object."""
    from accord.apps.crm.demo import DemoSize, estimate_counts, generate

    size = DemoSize(scale=scale)
    with unit_of_work(runtime.engine) as conn:
        owners = _demo_owners(Context(runtime=runtime, conn=conn, actor=SYSTEM_ACTOR))
    today = local_today(runtime.clock, runtime.settings.default_timezone)
    expected = estimate_counts(size)
    counts: dict[str, int] = {}
    progress = Progress(
        TextColumn("[bold]{task.description:>18}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console or Console(stderr=True),
        transient=False,
    )
    tasks: dict[str, Any] = {}
    with progress:
        for obj, rows in generate(size, owners=owners, today=today, seed=seed):
            if obj not in tasks:
                tasks[obj] = progress.add_task(obj, total=expected.get(obj, len(rows)))
            with unit_of_work(runtime.engine) as conn:
                ctx = Context(runtime=runtime, conn=conn, actor=SYSTEM_ACTOR)
                results = records.bulk(ctx, obj, rows, trusted=True)
            failed = [r for r in results if r.status == "error"]
            if failed:
                first = failed[0]
                raise Invalid(
                    "DEMO_ROW_INVALID",
                    f"{len(failed)} generated {obj} row(s) were refused "
                    f"(first: row {first.index}).",
                    first.errors,
                )
            counts[obj] = counts.get(obj, 0) + len(results)
            progress.update(tasks[obj], advance=len(results))
    return counts


__all__ = ["DEMO_PASSWORD", "demo_loaded", "load_demo", "t"]
