"""Installation steps shared by `accord init`, `accord serve` and the test fixtures."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from importlib import resources

from accord.core.context import Context, Runtime
from accord.db.engine import unit_of_work
from accord.meta import service as meta
from accord.meta.plan import Action
from accord.schema import upgrade


@dataclass
class InitResult:
    admin_login: str
    admin_created: bool
    admin_password: str | None
    actions: list[Action]


def install_schema(runtime: Runtime) -> list[Action]:
    """System tables (Alembic), then the built-in CRM objects (idempotent)."""
    from accord.apps.crm.loader import load_app_definitions

    upgrade(runtime.engine)
    with unit_of_work(runtime.engine) as conn:
        ctx = Context(runtime=runtime, conn=conn)
        return meta.apply_definitions(ctx, load_app_definitions(), action="install_app")


def init(
    runtime: Runtime, admin_login: str = "admin", admin_password: str | None = None
) -> InitResult:
    from accord.auth.roles import install_roles
    from accord.auth.service import ensure_admin

    actions = install_schema(runtime)
    password = admin_password or secrets.token_urlsafe(12)
    with unit_of_work(runtime.engine) as conn:
        ctx = Context(runtime=runtime, conn=conn)
        _, created = ensure_admin(ctx, admin_login, password)
        install_roles(ctx, resources.files("accord.apps.crm") / "roles.yaml")  # shipped roles
    if created and admin_password is None and runtime.engine.dialect.name == "sqlite":
        path = runtime.settings.data_dir / "initial-admin-password.txt"
        path.write_text(f"{admin_login}\n{password}\n")
        path.chmod(0o600)
    return InitResult(admin_login, created, password if created else None, actions)
