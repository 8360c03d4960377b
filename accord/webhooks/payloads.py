"""What a delivery says, shaped by the subscription owner's read permissions.

A subscription acts as its **owner** (a user, usually the administrator who made it or an
integration user with a narrow role). Its payloads carry a record only as that owner may read
it: hidden fields are left out, and a record outside the owner's read scope produces no
delivery at all (even an id-only message would tell the receiver the record exists). The
``changes`` of an update keep only the fields the owner may read.

Records are read through ``records.service.list_records`` as the owner (an ``id in (…)``
filter per object, one query per owner and object and batch), not ``get``: a subscription is
not probing ids, so nothing is audited as an out-of-scope attempt.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select

from accord.auth.identity import actor_for
from accord.core.context import Actor, Context
from accord.core.errors import AccordError
from accord.db import tables as t
from accord.records import access
from accord.records import service as records

Record = dict[str, Any]


def owner_actors(ctx: Context, owner_ids: Iterable[str]) -> dict[str, Actor]:
    """The actors of the active users among ``owner_ids`` (a disabled owner sends nothing)."""
    ids = sorted(set(owner_ids))
    if not ids:
        return {}
    u = t.users
    rows = ctx.conn.execute(select(u).where(u.c.id.in_(ids), u.c.is_active.is_(True))).mappings()
    return {str(r["id"]): actor_for(r) for r in rows}


def visible_records(as_owner: Context, obj: str, ids: Sequence[str]) -> dict[str, Record]:
    """The records among ``ids`` the acting user may read, as JSON without hidden fields.
    Deleted records count (a ``deleted`` event describes a record in the recycle bin); an
    object the user may not read (or that no longer exists) yields nothing."""
    found: dict[str, Record] = {}
    wanted = list(dict.fromkeys(ids))
    try:
        for deleted in (False, True):
            missing = [i for i in wanted if i not in found]
            for start in range(0, len(missing), records.MAX_PAGE):
                chunk = missing[start : start + records.MAX_PAGE]
                page = records.list_records(
                    as_owner,
                    obj,
                    filter={"field": "id", "op": "in", "value": chunk},
                    limit=len(chunk),
                    deleted=deleted,
                    as_json=True,
                )
                found.update((str(r["id"]), r) for r in page.data)
    except AccordError:
        return found
    return found


def hidden_fields(as_owner: Context, obj: str) -> frozenset[str]:
    try:
        return access.hidden_fields(as_owner, obj)
    except AccordError:
        return frozenset()


def visible_changes(changes: Mapping[str, Any], hidden: frozenset[str]) -> dict[str, Any]:
    """``{field: [old, new]}`` without the fields the owner may not read."""
    return {f: v for f, v in changes.items() if f not in hidden}


def iso(at: datetime) -> str:
    return at.isoformat().replace("+00:00", "Z")


def record_payload(
    event: str,
    occurred_at: datetime,
    object_name: str,
    record_id: str,
    record: Record,
    changes: Mapping[str, Any],
    actor_id: str | None,
) -> dict[str, Any]:
    """The frozen payload of a record event (the delivery ``id`` is added when it is sent)."""
    return {
        "event": event,
        "occurred_at": iso(occurred_at),
        "object": object_name,
        "record_id": record_id,
        "actor_id": actor_id,
        "record": record,
        "changes": dict(changes),
    }


def custom_payload(
    event: str,
    occurred_at: datetime,
    object_name: str | None,
    record_id: str | None,
    record: Record | None,
    data: Mapping[str, Any],
) -> dict[str, Any]:
    """The frozen payload of a delivery queued by ``service.deliver`` (a rule's action)."""
    body: dict[str, Any] = {
        "event": event,
        "occurred_at": iso(occurred_at),
        "object": object_name,
        "record_id": record_id,
    }
    if record is not None:
        body["record"] = record
    body["data"] = dict(data)
    return body


def with_id(delivery_id: int, payload: Mapping[str, Any]) -> dict[str, Any]:
    """The body a receiver gets: the delivery id first, then the frozen payload."""
    return {"id": delivery_id, **payload}
