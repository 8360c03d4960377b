"""The write pipeline shared by every path: coerce → complete → check → store → log.

``create_rows`` is batch-first (a single create is a batch of one) so a bulk API call or an
import of a million rows runs the same checks, with one query per check per batch and one
multi-row INSERT (COPY on PostgreSQL) per table.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import Column, MetaData, Table, delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from accord.auth import teams
from accord.core.context import Context
from accord.core.errors import Conflict, FieldError, Invalid, NotFound, PreconditionFailed
from accord.db.types import IdType
from accord.meta.fieldtypes.relations import link_table_name
from accord.meta.registry import Registry
from accord.records import locks, numbering, rollups
from accord.records.codec import ObjectCodec
from accord.records.copy import bulk_insert
from accord.records.events import write_history, write_outbox
from accord.records.prepare import (
    Row,
    apply_defaults,
    check_dependent_picklists,
    check_references,
    check_required,
    check_rules,
    check_unique,
    coerce_input,
    compute_formulas,
    eval_context,
    system_values_for_create,
)


def create_rows(
    ctx: Context,
    reg: Registry,
    codec: ObjectCodec,
    items: Sequence[Any],
    *,
    trusted: bool = False,
    first_index: int = 0,
    indices: Sequence[int] | None = None,
) -> list[Row]:
    """Validate and insert ``items``; rows with errors are returned with them, not stored."""
    now = ctx.clock.now()
    ectx = eval_context(ctx)
    rows = [
        coerce_input(
            codec,
            d,
            indices[i] if indices is not None else first_index + i,
            creating=True,
            trusted=trusted,
            company_currency=ctx.settings.company_currency,
        )
        for i, d in enumerate(items)
    ]
    for r in rows:
        if r.malformed:
            continue
        # Every problem of a row is reported at once; cross-field rules only run on rows whose
        # fields are individually valid, so their messages are never about garbage input.
        fields_ok = r.ok
        apply_defaults(ctx, codec, r, ectx)
        compute_formulas(codec, r.values, ectx)
        check_required(codec, r, r.values)
        check_dependent_picklists(codec, r, r.values)
        system_values_for_create(ctx, codec, r, now)
        if codec.obj.validation_rules and fields_ok:
            check_rules(ctx, codec, r, {**r.system, **r.values}, ectx)
    check_references(ctx, reg, codec, rows)
    check_unique(ctx, codec, rows, exclude_ids={})
    good = [r for r in rows if r.ok]
    if not good:
        return rows
    _assign_autonumbers(ctx, codec, good, ectx.today)
    try:
        # A savepoint keeps the caller's transaction usable after a constraint race.
        with ctx.conn.begin_nested():
            bulk_insert(ctx.conn, codec, good)
    except IntegrityError as exc:
        raise Conflict("CONSTRAINT_VIOLATION", _constraint_message(exc)) from None
    _write_links(ctx, codec, good, replace=False)
    payloads: dict[tuple[str, ...], dict[str, Any]] = {}  # one per field set, shared
    write_outbox(
        ctx,
        codec.obj.name,
        "created",
        [(r.system["id"], _fields_payload(payloads, r.values)) for r in good],
        now,
    )
    rels = rollups.relation_fields(reg, codec.obj.name)
    if rels:
        rollups.recompute(
            ctx, reg, codec.obj.name, {f: [r.values.get(f) for r in good] for f in rels}
        )
    return rows


def _fields_payload(
    payloads: dict[tuple[str, ...], dict[str, Any]], values: dict[str, Any]
) -> dict[str, Any]:
    names = tuple(sorted(values))
    p = payloads.get(names)
    if p is None:
        p = payloads[names] = {"fields": list(names)}
    return p


def _constraint_message(exc: IntegrityError) -> str:
    text = str(exc.orig).lower()
    if "unique" in text or "duplicate" in text:
        return "A unique value is already taken by another record."
    if "foreign key" in text:
        return "A referenced record does not exist."
    return "The change violates a database constraint."


def _assign_autonumbers(ctx: Context, codec: ObjectCodec, rows: list[Row], today: Any) -> None:
    for fc in codec.computed:
        if fc.field.type != "auto_number":
            continue
        numbers = numbering.reserve(ctx, codec.obj.name, fc.field, len(rows), today)
        for r, n in zip(rows, numbers, strict=True):
            r.values[fc.name] = n


def _write_links(ctx: Context, codec: ObjectCodec, rows: Iterable[Row], *, replace: bool) -> None:
    for name, fc in codec.fields.items():
        if fc.type.stored:
            continue
        lt = _link_table(codec, name)
        for r in rows:
            if name not in r.links:
                continue
            rid = r.system["id"]
            if replace:
                ctx.conn.execute(delete(lt).where(lt.c.record_id == rid))
            ids = list(dict.fromkeys(r.links[name]))
            if ids:
                ctx.conn.execute(insert(lt), [{"record_id": rid, "target_id": i} for i in ids])


def _link_table(codec: ObjectCodec, field: str) -> Table:
    return Table(
        link_table_name(codec.obj.name, field),
        MetaData(),
        Column("record_id", IdType),
        Column("target_id", IdType),
    )


def read_links(
    ctx: Context, codec: ObjectCodec, ids: Sequence[str], fields: Sequence[str] | None = None
) -> dict[str, dict[str, list[str]]]:
    """Many-to-many values for ``ids``: {record id: {field: [target ids]}} (of ``fields``, or of
    every many-to-many field)."""
    out: dict[str, dict[str, list[str]]] = {}
    for name, fc in codec.fields.items():
        if fc.type.stored or (fields is not None and name not in fields):
            continue
        lt = _link_table(codec, name)
        for rid, tid in ctx.conn.execute(
            select(lt.c.record_id, lt.c.target_id).where(lt.c.record_id.in_(list(ids)))
        ):
            out.setdefault(str(rid), {}).setdefault(name, []).append(str(tid))
    return out


# --- update / delete / restore ----------------------------------------------------------------


def load_for_write(ctx: Context, codec: ObjectCodec, rid: str) -> dict[str, Any]:
    q = select(codec.table).where(codec.table.c.id == rid)
    if ctx.dialect == "postgresql":
        q = q.with_for_update()
    row = ctx.conn.execute(q).mappings().first()
    if row is None:
        raise NotFound("RECORD_NOT_FOUND", f"No {codec.obj.name} with id {rid}.")
    return dict(row)


def update_row(
    ctx: Context,
    reg: Registry,
    codec: ObjectCodec,
    rid: str,
    data: Any,
    expected_version: int | None,
    *,
    require_version: bool = True,
    held_locks: Mapping[str, locks.Lock] | None = None,
) -> dict[str, Any]:
    """``held_locks``: the batch's record locks when the caller fetched them at once
    (``locks.locked_ids``); otherwise the lock is looked up here."""
    now = ctx.clock.now()
    ectx = eval_context(ctx)
    current_row = load_for_write(ctx, codec, rid)
    if current_row["deleted_at"] is not None:
        raise NotFound("RECORD_NOT_FOUND", f"No {codec.obj.name} with id {rid}.")
    if expected_version is None and require_version:
        raise Invalid(
            "VERSION_REQUIRED",
            "Send the record's version (If-Match header or a "
            "'version' field) so a concurrent change is never overwritten.",
            [FieldError("version", "REQUIRED", "version is required")],
        )
    if expected_version is not None and expected_version != current_row["version"]:
        raise PreconditionFailed(
            "VERSION_CONFLICT",
            f"The record changed since you read it (your version {expected_version}, "
            f"current {current_row['version']}).",
            data={"current_version": current_row["version"]},
        )
    current = codec.decode(current_row)
    r = coerce_input(codec, data, 0, creating=False, company_currency=ctx.settings.company_currency)
    if r.malformed:
        raise Invalid("VALIDATION_FAILED", "The record is not valid.", r.errors)
    owner_change = "owner_id" in r.system and r.system["owner_id"] != current_row.get("owner_id")
    # The fields this write would really change (a form sent back whole changes only what
    # differs); many-to-many fields sent count as changed, comparing them would cost a query.
    touched = [k for k, v in r.values.items() if v != current.get(k)] + list(r.links)
    locks.check_write(
        ctx,
        codec.obj.name,
        rid,
        [*touched, "owner_id"] if owner_change else touched,
        known=held_locks,
    )
    fields_ok = r.ok
    merged = {k: current.get(k) for k in codec.fields} | r.values
    compute_formulas(codec, merged, ectx)
    check_required(codec, r, merged)
    check_dependent_picklists(codec, r, merged)
    if codec.obj.validation_rules and fields_ok:
        system = {k: current_row.get(k) for k in codec.system_fields}
        check_rules(ctx, codec, r, {**system, **r.system, **merged}, ectx)
    r.system["id"] = rid
    changed = {
        k: v
        for k, v in merged.items()
        if k in codec.fields and v != current.get(k) and codec.fields[k].type.stored
    }
    r.values = changed
    if r.ok:
        check_references(ctx, reg, codec, [r])
        check_unique(ctx, codec, [r], exclude_ids={0: rid})
    if not r.ok:
        raise Invalid("VALIDATION_FAILED", "The record is not valid.", r.errors)
    if not changed and not owner_change and not r.links:
        return current_row
    cols: dict[str, Any] = {}
    for name, v in changed.items():
        fc = codec.fields[name]
        cols.update(fc.type.to_columns(v, fc.field) if v is not None else dict.fromkeys(fc.columns))
    if owner_change:
        cols["owner_id"] = r.system["owner_id"]
    t = codec.table
    cols.update(version=t.c.version + 1, updated_at=now, updated_by=ctx.actor.id)
    try:
        with ctx.conn.begin_nested():
            res = ctx.conn.execute(
                update(t).where(t.c.id == rid, t.c.version == current_row["version"]).values(cols)
            )
    except IntegrityError as exc:
        raise Conflict("CONSTRAINT_VIOLATION", _constraint_message(exc)) from None
    if res.rowcount != 1:
        raise PreconditionFailed("VERSION_CONFLICT", "The record changed while saving.")
    _write_links(ctx, codec, [r], replace=True)
    hist = [
        (name, _json(codec, name, current.get(name)), _json(codec, name, v))
        for name, v in changed.items()
    ]
    if owner_change:
        hist.append(("owner_id", current_row.get("owner_id"), r.system["owner_id"]))
        teams.log_owner_change(
            ctx, codec.obj.name, rid, current_row.get("owner_id"), r.system["owner_id"]
        )
    write_history(ctx, codec.obj.name, rid, "update", hist, now)
    write_outbox(
        ctx,
        codec.obj.name,
        "updated",
        [
            (
                rid,
                {
                    "fields": sorted(changed) + (["owner_id"] if owner_change else []),
                    "changes": {f: [o, n] for f, o, n in hist},
                },
            )
        ],
        now,
    )
    _recompute_parents(ctx, reg, codec, [current, merged])
    return load_for_write(ctx, codec, rid)


def _json(codec: ObjectCodec, name: str, v: Any) -> Any:
    if v is None:
        return None
    fc = codec.fields[name]
    return fc.type.to_json(v, fc.field)


def _recompute_parents(
    ctx: Context, reg: Registry, codec: ObjectCodec, records: Sequence[Mapping[str, Any]]
) -> None:
    rels = rollups.relation_fields(reg, codec.obj.name)
    if rels:
        rollups.recompute(
            ctx, reg, codec.obj.name, {f: [rec.get(f) for rec in records] for f in rels}
        )


def set_deleted(
    ctx: Context, reg: Registry, codec: ObjectCodec, rid: str, *, deleted: bool
) -> dict[str, Any]:
    now = ctx.clock.now()
    row = load_for_write(ctx, codec, rid)
    if (row["deleted_at"] is not None) == deleted:
        if deleted:
            raise NotFound("RECORD_NOT_FOUND", f"No {codec.obj.name} with id {rid}.")
        raise Conflict("RECORD_NOT_DELETED", "The record is not in the recycle bin.")
    locks.check_write(ctx, codec.obj.name, rid, None)  # delete and restore alike
    t = codec.table
    values: dict[str, Any] = {
        "deleted_at": now if deleted else None,
        "deleted_by": ctx.actor.id if deleted else None,
        "version": t.c.version + 1,
        "updated_at": now,
        "updated_by": ctx.actor.id,
    }
    try:
        with ctx.conn.begin_nested():
            ctx.conn.execute(update(t).where(t.c.id == rid).values(values))
    except IntegrityError as exc:
        raise Conflict("CONSTRAINT_VIOLATION", _constraint_message(exc)) from None
    action = "delete" if deleted else "restore"
    write_history(ctx, codec.obj.name, rid, action, [(None, None, None)], now)
    write_outbox(ctx, codec.obj.name, "deleted" if deleted else "restored", [(rid, {})], now)
    _recompute_parents(ctx, reg, codec, [codec.decode(row)])
    return load_for_write(ctx, codec, rid)
