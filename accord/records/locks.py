"""Record locks: a record under approval cannot be edited.

A lock names its ``holder`` (e.g. ``"approval:<instance id>"``), the users who may still edit
the record (``editors``, typically the current approvers) and the only fields they may change.
Every write path of the record service asks ``check_write`` before it changes a record; reads
never look at locks. The system actor (jobs, the approval engine's own writes) always passes.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, insert, select, update
from sqlalchemy import delete as sql_delete
from sqlalchemy.exc import IntegrityError

from accord.core.context import Context
from accord.core.errors import Conflict, FieldError
from accord.db import tables as t

_MAX_IN = 900  # stay below SQLite's default variable limit per IN list


@dataclass(frozen=True)
class Lock:
    object_name: str
    record_id: str
    holder: str
    editors: tuple[str, ...]
    fields: tuple[str, ...]
    locked_at: datetime


def _where(object_name: str, record_id: str) -> list[ColumnElement[bool]]:
    rl = t.record_locks
    return [rl.c.object_name == object_name, rl.c.record_id == record_id]


def _lock(row: Mapping[str, object]) -> Lock:
    editors = row["editors"]
    fields = row["fields"]
    assert isinstance(editors, list) and isinstance(fields, list)
    locked_at = row["locked_at"]
    assert isinstance(locked_at, datetime)
    return Lock(
        object_name=str(row["object_name"]),
        record_id=str(row["record_id"]),
        holder=str(row["holder"]),
        editors=tuple(str(e) for e in editors),
        fields=tuple(str(f) for f in fields),
        locked_at=locked_at,
    )


def _locked(object_name: str, record_id: str, holder: str | None) -> Conflict:
    return Conflict(
        "RECORD_LOCKED",
        f"The {object_name} record {record_id} is under approval; only the current approvers "
        "may edit it.",
        data={"holder": holder} if holder else {},
    )


def lock(
    ctx: Context,
    object_name: str,
    record_id: str,
    holder: str,
    *,
    editors: Sequence[str] = (),
    fields: Sequence[str] = (),
) -> None:
    """Lock the record for ``holder``; raises Conflict("RECORD_LOCKED", …) if another holder
    has it; re-locking by the same holder replaces editors/fields."""
    current = get(ctx, object_name, record_id)
    if current is None:
        try:
            # A savepoint: a concurrent lock of the same record must not spoil the caller's
            # transaction; the loser then sees the winner's row below.
            with ctx.conn.begin_nested():
                ctx.conn.execute(
                    insert(t.record_locks).values(
                        object_name=object_name,
                        record_id=record_id,
                        holder=holder,
                        editors=list(editors),
                        fields=list(fields),
                        locked_at=ctx.clock.now(),
                    )
                )
            return
        except IntegrityError:
            current = get(ctx, object_name, record_id)
            if current is None:  # locked and unlocked again meanwhile: the caller may retry
                raise _locked(object_name, record_id, None) from None
    if current.holder != holder:
        raise _locked(object_name, record_id, current.holder)
    set_editors(ctx, object_name, record_id, holder, editors, fields)


def set_editors(
    ctx: Context,
    object_name: str,
    record_id: str,
    holder: str,
    editors: Sequence[str],
    fields: Sequence[str],
) -> None:
    """Replace who may still edit the record held by ``holder`` and which fields (e.g. when an
    approval moves to its next step). Raises Conflict("RECORD_NOT_LOCKED", …) when the record
    is not locked at all and Conflict("RECORD_LOCKED", …) when another holder has it: the
    caller's idea of the lock is wrong and silently going on would leave the record open."""
    rl = t.record_locks
    res = ctx.conn.execute(
        update(rl)
        .where(*_where(object_name, record_id), rl.c.holder == holder)
        .values(editors=list(editors), fields=list(fields))
    )
    if res.rowcount == 1:
        return
    current = get(ctx, object_name, record_id)
    if current is None:
        raise Conflict("RECORD_NOT_LOCKED", f"The {object_name} record {record_id} is not locked.")
    raise _locked(object_name, record_id, current.holder)


def unlock(ctx: Context, object_name: str, record_id: str, holder: str) -> None:
    """Release the lock; a no-op if ``holder`` does not hold it."""
    rl = t.record_locks
    ctx.conn.execute(sql_delete(rl).where(*_where(object_name, record_id), rl.c.holder == holder))


def get(ctx: Context, object_name: str, record_id: str) -> Lock | None:
    row = (
        ctx.conn.execute(select(t.record_locks).where(*_where(object_name, record_id)))
        .mappings()
        .first()
    )
    return _lock(row) if row is not None else None


def locked_ids(ctx: Context, object_name: str, record_ids: Sequence[str]) -> dict[str, Lock]:
    """The locks among ``record_ids``: {record id: lock}, one query per batch (of 900 ids)."""
    rl = t.record_locks
    found: dict[str, Lock] = {}
    ids = list(dict.fromkeys(record_ids))
    for start in range(0, len(ids), _MAX_IN):
        q = select(rl).where(
            rl.c.object_name == object_name, rl.c.record_id.in_(ids[start : start + _MAX_IN])
        )
        for row in ctx.conn.execute(q).mappings():
            lk = _lock(row)
            found[lk.record_id] = lk
    return found


def check_write(
    ctx: Context,
    object_name: str,
    record_id: str,
    changed_fields: Collection[str] | None,
    *,
    known: Mapping[str, Lock] | None = None,
) -> None:
    """Raise if the acting user may not write this record now: changed_fields None means delete.
    The system actor (ctx.actor.is_system) always passes. An editor may change only `fields`.

    ``known``: the batch's locks from ``locked_ids`` (a record missing from it is unlocked), so
    a bulk path asks once per batch instead of once per row."""
    if ctx.actor.is_system:
        return  # before the lookup: the system's writes cost nothing extra
    lk = known.get(record_id) if known is not None else get(ctx, object_name, record_id)
    if lk is None:
        return
    if ctx.actor.id not in lk.editors:
        # Even a write that changes nothing is refused: the user learns why at once.
        raise _locked(object_name, record_id, lk.holder)
    if changed_fields is None:
        raise Conflict(
            "RECORD_LOCKED",
            f"The {object_name} record {record_id} is under approval; it cannot be deleted or "
            "restored until the approval ends.",
            data={"holder": lk.holder},
        )
    refused = sorted(set(changed_fields).difference(lk.fields))
    if refused:
        allowed = ", ".join(lk.fields) or "none"
        raise Conflict(
            "RECORD_LOCKED",
            f"The {object_name} record {record_id} is under approval; as a current approver "
            f"you may only change these fields: {allowed}.",
            [
                FieldError(f, "RECORD_LOCKED", f"{f} cannot be changed while under approval")
                for f in refused
            ],
            data={"holder": lk.holder},
        )
