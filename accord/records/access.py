"""The one choke point through which every record read and write passes.

``scope_clause`` returns the SQL condition limiting which rows of an object the acting user may
see (``mode="read"``) or change (``mode="write"``); every query of the record service — get,
list, count, search, timeline, history, bulk, export — ANDs it in, so scope is enforced in SQL,
never by filtering in Python after loading. ``access_record`` loads one record for the user and
raises ``NotFound`` (not ``Forbidden``) for ids outside the scope, so ids cannot be probed.

Today every authenticated user may read and write every record (an administrator's scope); the
identity issue plugs roles, data scopes and field security in here.
"""

from __future__ import annotations

from typing import Literal

from sqlalchemy import ColumnElement, Table

from accord.auth.org import org_version
from accord.core.context import Context
from accord.meta.model import ObjectDef

Mode = Literal["read", "write"]


def scope_clause(
    ctx: Context, obj: ObjectDef, table: Table, mode: Mode
) -> ColumnElement[bool] | None:
    """The rows of ``obj`` the acting user may access in ``mode`` (None: all rows)."""
    return None


def version(ctx: Context) -> int:
    """What the acting user's scope and field security depend on besides their id: the
    organisation version (roles, grants, reporting lines, departments). A compiled list page
    is reused only under the same version (page_plans.py)."""
    return org_version(ctx)


def visible_fields(ctx: Context, obj: ObjectDef) -> set[str] | None:
    """Fields the acting user may see (None: all); hidden fields never leave the service."""
    return None
