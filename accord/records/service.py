"""The record service: the one way every path (API, UI, CLI, import, rules, approvals) reads and
changes records. Each verb takes ``ctx`` and runs in the caller's unit of work; validation,
permission scope, history, outbox events and rollups happen here and only here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, NoReturn

from sqlalchemy import ColumnElement, or_, select

from accord.auth import audit
from accord.core.context import Context
from accord.core.errors import AccordError, BadRequest, FieldError, Forbidden, Invalid, NotFound
from accord.core.ids import parse_id
from accord.db import tables as t
from accord.meta.fieldtypes.base import FieldValueError
from accord.meta.registry import Registry, load
from accord.query import decode_cursor
from accord.records import access, locks, page_plans, writer
from accord.records.codec import ObjectCodec, codec
from accord.records.json_rows import json_rows, raw_columns
from accord.records.prepare import Row

Record = dict[str, Any]
MAX_PAGE = 500  # largest page of a list (also in the OpenAPI document)


@dataclass
class Page:
    data: list[Record]
    next_cursor: str | None


@dataclass
class RowResult:
    index: int
    status: Literal["created", "updated", "unchanged", "error"]
    id: str | None = None
    errors: list[FieldError] = field(default_factory=list)


def _codec(ctx: Context, obj: str) -> tuple[Registry, ObjectCodec]:
    reg = load(ctx)
    return reg, codec(reg, obj)


def _id(rid: Any, obj: str) -> str:
    pid = parse_id(rid)
    if pid is None:
        raise NotFound("RECORD_NOT_FOUND", f"No {obj} with id {str(rid)[:64]!r}.")
    return pid


# --- reads -------------------------------------------------------------------------------------


def access_record(
    ctx: Context,
    obj: str,
    rid: Any,
    *,
    action: Literal["read", "update", "delete"] = "read",
    include_deleted: bool = False,
) -> Record:
    """Load one record for the acting user, who must be granted ``action`` on the object, or
    raise NotFound (also when the record is outside their read or write scope). Hidden fields
    are left out."""
    _, c = _codec(ctx, obj)
    a = access.require(ctx, c.obj, action)
    rid = _id(rid, obj)
    mode: access.Mode = "read" if action == "read" else "write"
    row = _fetch_by_id(ctx, c, rid, mode)
    if row is None:
        _refuse_out_of_scope(ctx, c, rid, action)
    if row["deleted_at"] is not None and not include_deleted:
        raise NotFound("RECORD_NOT_FOUND", f"No {obj} with id {rid}.")
    only = _visible(c, a.hidden_fields)
    rec = c.decode(row, only)
    _attach_links(ctx, c, [rec], only)
    return rec


def _refuse_out_of_scope(ctx: Context, c: ObjectCodec, rid: str, action: str) -> NoReturn:
    """NotFound — and when the record exists outside the user's scope, an audit entry of the
    attempt (committed although the request fails, so probing ids leaves a trace)."""
    message = f"No {c.obj.name} with id {rid}."
    exists = c.by_id(ctx.conn.dialect).first(ctx.conn, rid=rid) is not None
    if not exists:
        raise NotFound("RECORD_NOT_FOUND", message)
    audit.record(ctx, "record.out_of_scope", c.obj.name, rid, {"action": action})
    raise NotFound("RECORD_NOT_FOUND", message, commit=True)


def get(ctx: Context, obj: str, rid: Any, *, include_deleted: bool = False) -> Record:
    return access_record(ctx, obj, rid, include_deleted=include_deleted)


def _visible(c: ObjectCodec, hidden: frozenset[str]) -> set[str] | None:
    """The field selection that leaves ``hidden`` out (None: every field)."""
    return None if not hidden else {n for n in c.fields if n not in hidden}


def get_json(ctx: Context, obj: str, rid: Any) -> dict[str, Any]:
    """``to_json(get(...))`` the short way: the row goes straight to JSON."""
    _, c = _codec(ctx, obj)
    a = access.require(ctx, c.obj, "read")
    rid = _id(rid, obj)
    dialect = ctx.conn.dialect
    scope = access.scope_clause(ctx, c.obj, c.table, "read")
    if scope is None:
        prepared = c.by_id(dialect)
        keys, row = prepared.keys, prepared.first_raw(ctx.conn, rid=rid)
        coltypes = prepared.coltypes
    else:
        q = raw_columns(c, select(c.table).where(c.table.c.id == rid, scope))
        result = ctx.conn.execute(q)
        keys, coltypes = tuple(result.keys()), _coltypes(result)
        row = result.first()
    only = _visible(c, a.hidden_fields)
    plan = json_rows(c, keys, dialect, only, coltypes)
    if row is None and scope is not None:
        _refuse_out_of_scope(ctx, c, rid, "read")
    if row is None or row[keys.index("deleted_at")] is not None:
        raise NotFound("RECORD_NOT_FOUND", f"No {obj} with id {rid}.")
    [rec] = plan.convert([row])
    _attach_links(ctx, c, [rec], only, as_json=True)
    return rec


def _coltypes(result: Any) -> list[Any]:
    return [d[1] for d in result.cursor.description]


def _fetch_by_id(ctx: Context, c: ObjectCodec, rid: str, mode: access.Mode) -> Any:
    scope = access.scope_clause(ctx, c.obj, c.table, mode)
    if scope is None:
        return c.by_id(ctx.conn.dialect).first(ctx.conn, rid=rid)
    q = select(c.table).where(c.table.c.id == rid, scope)
    return ctx.conn.execute(q).mappings().first()


def to_json(ctx: Context, obj: str, rec: Mapping[str, Any]) -> dict[str, Any]:
    _, c = _codec(ctx, obj)
    return c.to_json(rec)


def _attach_links(
    ctx: Context,
    c: ObjectCodec,
    recs: list[Record],
    only: set[str] | None = None,
    *,
    as_json: bool = False,
) -> None:
    linked = [
        fc for fc in c.fields.values() if not fc.type.stored and (only is None or fc.name in only)
    ]
    if linked and recs:
        links = writer.read_links(ctx, c, [r["id"] for r in recs], [fc.name for fc in linked])
        for r in recs:
            for fc in linked:
                ids = links.get(r["id"], {}).get(fc.name, [])
                r[fc.name] = fc.type.to_json(ids, fc.field) if as_json else ids


def list_records(
    ctx: Context,
    obj: str,
    *,
    filter: Any = None,
    sort: str | None = None,
    cursor: str | None = None,
    limit: int = 50,
    fields: Sequence[str] | None = None,
    deleted: bool = False,
    as_json: bool = False,
) -> Page:
    """One keyset page of records matching ``filter`` in ``sort`` order (as JSON records when
    ``as_json``: the rows go straight to JSON)."""
    from accord.records import querying

    reg, c = _codec(ctx, obj)
    a = access.require(ctx, c.obj, "read")
    if isinstance(limit, bool) or not isinstance(limit, int) or not (1 <= limit <= MAX_PAGE):
        raise Invalid(
            "INVALID_LIMIT",
            f"limit must be between 1 and {MAX_PAGE}.",
            [FieldError("limit", "OUT_OF_RANGE", "out of range")],
        )
    only = _selected_fields(c, fields, a.hidden_fields)
    seen = access.visible_registry(ctx, reg)  # filters and sorts see no hidden field
    sort_spec = querying.sort_for(seen, obj, sort)
    after = decode_cursor(cursor, sort_spec) if cursor is not None else None
    dialect = ctx.conn.dialect
    flt_key = page_plans.filter_key(filter)
    key = (
        dialect.name,
        flt_key,
        ctx.actor.id,
        access.version(ctx),
        sort_spec.signature,
        tuple(sorted(only)) if only is not None else None,
        deleted,
        limit,
        None if after is None else tuple(v is None for v in after),
    )
    plan = page_plans.cached(c, key) if flt_key is not None else None
    if plan is None:
        where = [c.table.c.deleted_at.is_not(None) if deleted else c.table.c.deleted_at.is_(None)]
        branches = access.scope_branches(ctx, c.obj, c.table, "read")
        scope = None if branches else access.scope_clause(ctx, c.obj, c.table, "read")
        if scope is not None:
            where.append(scope)
        q, timeless = querying.page_query(
            ctx,
            seen,
            obj,
            filter=filter,
            sort=sort_spec,
            after=page_plans.placeholders(sort_spec, c.table, after),
            limit=limit,
            where=where,
            columns=_columns_for(c, only),
            branches=branches or (),
        )
        plan = page_plans.PagePlan(q, dialect)
        if timeless and flt_key is not None:
            page_plans.keep(c, key, plan)
    raw = plan.rows(ctx.conn, after)
    assert plan.coltypes is not None
    rows = json_rows(c, plan.keys, dialect, only, plan.coltypes)
    more = len(raw) > limit
    nxt = querying.cursor_after(rows.typed(raw[limit - 1]), sort_spec) if more else None
    if as_json:
        data = rows.convert(raw[:limit])
        _attach_links(ctx, c, data, only, as_json=True)
        return Page(data, nxt)
    recs = [c.decode(rows.typed(r), only) for r in raw[:limit]]
    _attach_links(ctx, c, recs, only)
    return Page(recs, nxt)


def _selected_fields(
    c: ObjectCodec, fields: Sequence[str] | None, hidden: frozenset[str] = frozenset()
) -> set[str] | None:
    """The fields asked for (all but ``hidden`` when none are named); a hidden field is as
    unknown as one that does not exist."""
    if not fields:
        return _visible(c, hidden)
    unknown = [f for f in fields if (f not in c.fields or f in hidden) and f not in c.system_fields]
    if unknown:
        raise Invalid(
            "UNKNOWN_FIELD",
            "Unknown fields requested.",
            [FieldError(f[:64], "UNKNOWN_FIELD", f"unknown field {f[:64]!r}") for f in unknown],
        )
    return set(fields)


def _columns_for(c: ObjectCodec, only: set[str] | None) -> list[str] | None:
    if only is None:
        return None
    cols = [*c.system_fields, "deleted_at"]
    for name in only:
        fc = c.fields.get(name)
        if fc is not None:
            cols += fc.columns
    return list(dict.fromkeys(cols))


# --- writes ------------------------------------------------------------------------------------


def create(ctx: Context, obj: str, values: Any, *, trusted: bool = False) -> Record:
    reg, c = _codec(ctx, obj)
    access.require(ctx, c.obj, "create")
    if isinstance(values, Mapping):
        access.refuse_protected(ctx, c.obj, values)
        _refuse_foreign_owner(ctx, c, values)
    [row] = writer.create_rows(ctx, reg, c, [values], trusted=trusted)
    if not row.ok:
        raise Invalid("VALIDATION_FAILED", "The record is not valid.", row.errors)
    if not access.object_access(ctx, c.obj).read:  # a create-only grant (e.g. a web form)
        return {"id": row.system["id"], "version": row.system["version"]}
    return access_record(ctx, obj, row.system["id"])


def update(ctx: Context, obj: str, rid: Any, values: Any, *, version: int | None) -> Record:
    reg, c = _codec(ctx, obj)
    rid = access_record(ctx, obj, rid, action="update")["id"]
    if isinstance(values, Mapping):
        access.refuse_protected(ctx, c.obj, values)
        _refuse_foreign_owner(ctx, c, values)
    writer.update_row(ctx, reg, c, rid, values, version)
    return access_record(ctx, obj, rid)


def _refuse_foreign_owner(ctx: Context, c: ObjectCodec, values: Mapping[str, Any]) -> None:
    """An owner outside the user's write scope (another department, say) is refused: a user
    cannot hand records to people whose records they may not manage."""
    if not c.obj.ownable or "owner_id" not in values:
        return
    owner = parse_id(values["owner_id"]) if values["owner_id"] is not None else None
    if values["owner_id"] is not None and owner is None:
        return  # malformed: the validation reports it per field
    if not access.in_write_scope(ctx, c.obj, owner):
        audit.record(ctx, "record.owner_refused", c.obj.name, None, {"owner_id": owner})
        raise Forbidden(
            "OWNER_NOT_ALLOWED",
            "You may not assign records to that owner.",
            [FieldError("owner_id", "OWNER_NOT_ALLOWED", "outside your write scope")],
            commit=True,  # the attempt stays in the audit log
        )


def delete(ctx: Context, obj: str, rid: Any) -> None:
    """Soft delete: the record moves to the recycle bin and can be restored."""
    reg, c = _codec(ctx, obj)
    rid = access_record(ctx, obj, rid, action="delete")["id"]
    writer.set_deleted(ctx, reg, c, rid, deleted=True)
    audit.record(ctx, "record.delete", obj, rid, {})


def restore(ctx: Context, obj: str, rid: Any) -> Record:
    reg, c = _codec(ctx, obj)
    rid = access_record(ctx, obj, rid, action="delete", include_deleted=True)["id"]
    writer.set_deleted(ctx, reg, c, rid, deleted=False)
    audit.record(ctx, "record.restore", obj, rid, {})
    return access_record(ctx, obj, rid)


BULK_MODES = ("create", "upsert")


def bulk(
    ctx: Context,
    obj: str,
    rows: Sequence[Any],
    *,
    mode: str = "create",
    key: str | None = None,
    trusted: bool = False,
    batch_size: int = 2000,
) -> list[RowResult]:
    """Create or upsert many records; each row succeeds or fails on its own."""
    reg, c = _codec(ctx, obj)
    if mode not in BULK_MODES:
        raise BadRequest("INVALID_BULK_MODE", f"mode must be one of {', '.join(BULK_MODES)}.")
    access.require(ctx, c.obj, "create")
    if mode == "upsert":
        return _upsert(ctx, reg, c, rows, key or "id")
    refused = _refused_rows(ctx, c, rows)
    if refused:
        ok = [i for i in range(len(rows)) if i not in refused]
        done = writer.create_rows(ctx, reg, c, [rows[i] for i in ok], indices=ok)
        results = {i: RowResult(i, "error", None, errs) for i, errs in refused.items()}
        results.update({r.index: _result(r, "created") for r in done})
        return [results[i] for i in range(len(rows))]
    out: list[RowResult] = []
    for start in range(0, len(rows), batch_size):
        done = writer.create_rows(
            ctx, reg, c, rows[start : start + batch_size], trusted=trusted, first_index=start
        )
        out += [_result(r, "created") for r in done]
    return out


def _refused_rows(ctx: Context, c: ObjectCodec, rows: Sequence[Any]) -> dict[int, list[FieldError]]:
    """Rows that set a field read-only to the user or an owner outside their write scope:
    {row index: errors}. Nothing to check for users who may write everything."""
    protected = access.readonly_fields(ctx, c.obj)
    owners = access.write_owners(ctx, c.obj) if c.obj.ownable else None
    if not protected and owners is None:
        return {}
    refused: dict[int, list[FieldError]] = {}
    for i, data in enumerate(rows):
        if not isinstance(data, Mapping):
            continue  # create_rows reports it
        errs = [
            FieldError(k, "FIELD_READ_ONLY", f"{k} is read-only for you")
            for k in sorted(protected.intersection(data))
        ]
        if owners is not None and data.get("owner_id") is not None:
            owner = parse_id(data["owner_id"])
            if owner is not None and owner not in owners:
                errs.append(FieldError("owner_id", "OWNER_NOT_ALLOWED", "outside your write scope"))
        if errs:
            refused[i] = errs
    return refused


def _result(r: Row, status: Literal["created", "updated"]) -> RowResult:
    if r.ok:
        return RowResult(r.index, status, r.system.get("id"))
    return RowResult(r.index, "error", None, r.errors)  # nothing was stored under any id


def _upsert(
    ctx: Context, reg: Registry, c: ObjectCodec, rows: Sequence[Any], key: str
) -> list[RowResult]:
    """Existing records (matched on ``key``, in one query) are updated row by row; the rest are
    created as one batch. Each row succeeds or fails on its own."""
    kf = c.fields.get(key)
    if key != "id" and (kf is None or not kf.field.unique or not kf.single):
        raise BadRequest("INVALID_UPSERT_KEY", "The upsert key must be 'id' or a unique field.")
    results = {i: RowResult(i, "error", None, e) for i, e in _refused_rows(ctx, c, rows).items()}
    keyed: dict[int, Any] = {}
    seen: set[Any] = set()
    for i, data in enumerate(rows):
        if i in results:
            continue
        try:
            value = _key_value(c, key, data)
        except AccordError as exc:
            results[i] = RowResult(i, "error", None, _errors_of(exc))
            continue
        if value in seen:
            results[i] = RowResult(
                i,
                "error",
                None,
                [
                    FieldError(
                        key, "DUPLICATE_IN_BATCH", f"{key} repeats an earlier row of this batch"
                    )
                ],
            )
            continue
        seen.add(value)
        keyed[i] = value
    existing = _ids_by_key(ctx, c, key, list(keyed.values()), scoped=False)
    writable = _ids_by_key(ctx, c, key, [v for v in keyed.values() if v in existing])
    may_update = access.object_access(ctx, c.obj).update
    for i, value in list(keyed.items()):
        if value in existing and (value not in writable or not may_update):
            # Matching a record the user may not change: refused for this row only.
            results[i] = RowResult(
                i,
                "error",
                None,
                [FieldError(key, "NOT_ALLOWED", "the matching record is outside your write scope")],
            )
            del keyed[i]
    new = [i for i, v in keyed.items() if v not in existing]
    for i in new:
        results[i] = RowResult(i, "error")  # placeholder, replaced below
    created = writer.create_rows(ctx, reg, c, [rows[i] for i in new], indices=new)
    for r in created:
        results[r.index] = _result(r, "created")
    matched = [existing[v] for v in keyed.values() if v in existing]
    # One query for the batch's locks; a locked row then fails alone in update_row.
    held = {} if ctx.actor.is_system or not matched else locks.locked_ids(ctx, c.obj.name, matched)
    for i, value in keyed.items():
        if value not in existing:
            continue
        data = rows[i]
        changes = {k: v for k, v in data.items() if k not in ("id", "version")}
        try:
            with ctx.conn.begin_nested():
                writer.update_row(
                    ctx,
                    reg,
                    c,
                    existing[value],
                    changes,
                    data.get("version"),
                    require_version=False,
                    held_locks=held,
                )
            results[i] = RowResult(i, "updated", existing[value])
        except AccordError as exc:
            results[i] = RowResult(i, "error", existing[value], _errors_of(exc))
    return [results[i] for i in range(len(rows))]


def _errors_of(exc: AccordError) -> list[FieldError]:
    return exc.errors or [FieldError(None, exc.code, exc.message)]


def _key_value(c: ObjectCodec, key: str, data: Any) -> Any:
    if not isinstance(data, Mapping) or data.get(key) is None:
        raise Invalid(
            "UPSERT_KEY_MISSING",
            f"Each row needs the upsert key {key!r}.",
            [FieldError(key, "REQUIRED", f"each row needs the upsert key {key!r}")],
        )
    if key == "id":
        rid = parse_id(data[key])
        if rid is None:
            raise Invalid(
                "INVALID_ID",
                "id must be a UUID",
                [FieldError("id", "INVALID_ID", "id must be a UUID")],
            )
        return rid
    fc = c.fields[key]
    try:
        return fc.type.coerce(data[key], fc.field)
    except FieldValueError as exc:
        raise Invalid(
            "VALIDATION_FAILED", exc.message, [FieldError(key, exc.code, exc.message)]
        ) from None


def _ids_by_key(
    ctx: Context, c: ObjectCodec, key: str, values: list[Any], *, scoped: bool = True
) -> dict[Any, str]:
    """Live records whose ``key`` is one of ``values`` (in the user's write scope when
    ``scoped``)."""
    col = c.table.c.id if key == "id" else c.table.c[key]
    scope = access.scope_clause(ctx, c.obj, c.table, "write") if scoped else None
    found: dict[Any, str] = {}
    for start in range(0, len(values), 900):
        q = select(col, c.table.c.id).where(
            col.in_(values[start : start + 900]), c.table.c.deleted_at.is_(None)
        )
        if scope is not None:
            q = q.where(scope)
        found.update({k: str(rid) for k, rid in ctx.conn.execute(q)})
    return found


# --- history -----------------------------------------------------------------------------------


def history(
    ctx: Context, obj: str, rid: Any, *, limit: int = 50, before: int | None = None
) -> tuple[list[dict[str, Any]], int | None]:
    """Field changes of one record, newest first, keyset-paginated by history id."""
    access_record(ctx, obj, rid, include_deleted=True)
    h = t.record_history
    q = (
        select(h)
        .where(h.c.object_name == obj, h.c.record_id == _id(rid, obj), *visible_changes(ctx, obj))
        .order_by(h.c.id.desc())
        .limit(limit + 1)
    )
    if before is not None:
        q = q.where(h.c.id < before)
    rows = [dict(r) for r in ctx.conn.execute(q).mappings()]
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, (rows[-1]["id"] if more else None)


def visible_changes(ctx: Context, obj: str) -> list[ColumnElement[bool]]:
    """History rows the user may see: none about their hidden fields (an ownership change is
    not about a field and always shows)."""
    hidden = access.hidden_fields(ctx, obj)
    if not hidden:
        return []
    h = t.record_history
    return [or_(h.c.field_name.is_(None), h.c.field_name.not_in(sorted(hidden)))]
