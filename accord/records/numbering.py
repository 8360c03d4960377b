"""Auto-numbers (``HT-2026-000123``): gap-free per period, safe under concurrent writers.

A counter row per (object, field, period) is advanced with one UPDATE … RETURNING, which takes a
row lock on PostgreSQL and runs under the write lock on SQLite, so two transactions never get
the same number; a bulk insert reserves its whole range in one statement.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import update

from accord.core.context import Context
from accord.db import tables as t
from accord.db.dialect import insert_ignore
from accord.meta.fieldtypes.computed import autonumber_period, format_autonumber
from accord.meta.model import FieldDef


def reserve(ctx: Context, object_name: str, f: FieldDef, count: int, today: date) -> list[str]:
    """``count`` consecutive formatted numbers for field ``f``."""
    fmt = str(f.options.get("format") or "{000000}")
    period = autonumber_period(str(f.options.get("reset") or "never"), today)
    a = t.autonumbers
    key = (a.c.object_name == object_name) & (a.c.field_name == f.name) & (a.c.period == period)
    stmt = update(a).where(key).values(next_value=a.c.next_value + count).returning(a.c.next_value)
    end = ctx.conn.execute(stmt).scalar()
    if end is None:
        # First number of the period; a concurrent first insert loses the race harmlessly.
        insert_ignore(
            ctx.conn,
            a,
            {"object_name": object_name, "field_name": f.name, "period": period, "next_value": 1},
        )
        end = ctx.conn.execute(stmt).scalar()
    first = int(end) - count
    return [format_autonumber(fmt, n, today) for n in range(first, first + count)]
