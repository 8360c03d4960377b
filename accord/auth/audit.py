"""The audit log: who changed roles, grants, assignments, departments, managers and user status.

``record`` appends one row in the caller's unit of work, so an audit entry commits or rolls back
with the change it describes. The client address comes from ``ctx.memo["client_ip"]`` when the
edge put it there.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import insert

from accord.core.context import Context
from accord.db import tables as t


def record(
    ctx: Context, action: str, target_type: str, target_id: str | None, details: dict[str, Any]
) -> None:
    """Append one audit entry (``action`` like ``role.update``, ``target_type`` like ``role``)."""
    ctx.conn.execute(
        insert(t.audit_log).values(
            at=ctx.clock.now(),
            actor_id=ctx.actor.id,
            action=action,
            target_type=target_type,
            target_id=target_id,
            details=details,
            ip=ctx.memo.get("client_ip"),
        )
    )
