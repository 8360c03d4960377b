"""Turning untrusted input into canonical values, and checking the record as a whole.

Everything here works on a batch of rows (a single create is a batch of one), so the checks that
need the database — lookups exist, unique values are free — run one query per field per batch,
not one per row. Each row collects *all* its errors, reported per field.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Table, select

from accord.core.context import Context
from accord.core.errors import FieldError
from accord.core.ids import new_id, parse_id
from accord.db import tables as t
from accord.meta.expression import EvalContext, Expr, ExpressionError, evaluate, parse
from accord.meta.fieldtypes.base import FieldValueError
from accord.meta.fieldtypes.choice import allowed_values
from accord.meta.model import label_text
from accord.meta.registry import Registry
from accord.records.codec import FieldCodec, ObjectCodec

# Keys a trusted caller (demo loader, importer with --keep-audit) may set on create.
TRUSTED_SYSTEM_KEYS = frozenset({"created_at", "created_by", "updated_at", "updated_by"})
RELATION_TYPES = frozenset({"lookup", "master_detail", "user", "department"})
MAX_IN = 900  # stay below SQLite's default variable limit per IN list


@dataclass
class Row:
    """One row of a batch on its way to the database."""

    index: int
    values: dict[str, Any] = field(default_factory=dict)  # field → canonical value
    system: dict[str, Any] = field(default_factory=dict)  # id, owner_id, created_at, …
    errors: list[FieldError] = field(default_factory=list)
    links: dict[str, list[str]] = field(default_factory=dict)  # many-to-many ids per field
    malformed: bool = False  # not even a JSON object: nothing further to check

    @property
    def ok(self) -> bool:
        return not self.errors


def coerce_input(
    codec: ObjectCodec,
    data: Any,
    index: int,
    *,
    creating: bool,
    trusted: bool = False,
    company_currency: str = "CNY",
) -> Row:
    row = Row(index)
    if type(data) is not dict and not isinstance(data, Mapping):  # the ABC check is slow
        row.errors.append(FieldError(None, "MALFORMED", "a record must be a JSON object"))
        row.malformed = True
        return row
    for key, raw in data.items():
        fc = codec.fields.get(key) if isinstance(key, str) else None
        if fc is None:
            _system_key(codec, row, key, raw, creating=creating, trusted=trusted)
            continue
        if fc.type.computed or (fc.field.read_only and not trusted):
            row.errors.append(FieldError(key, "FIELD_READ_ONLY", f"{key} is read-only"))
            continue
        if raw is None:
            row.values[key] = None
            continue
        try:
            value = fc.type.coerce(raw, fc.field)
        except FieldValueError as exc:
            row.errors.append(FieldError(key, exc.code, exc.message))
            continue
        if not fc.type.stored:
            row.links[key] = list(value or [])
        else:
            if fc.field.type == "currency" and value is not None and value.get("currency") is None:
                value = {**value, "currency": company_currency}
            row.values[key] = value
    return row


def _system_key(
    codec: ObjectCodec, row: Row, key: Any, raw: Any, *, creating: bool, trusted: bool
) -> None:
    if key == "id" and creating:
        rid = parse_id(raw)
        if rid is None:
            row.errors.append(FieldError("id", "INVALID_ID", "id must be a UUID"))
        else:
            row.system["id"] = rid
    elif key == "owner_id" and codec.obj.ownable:
        oid = parse_id(raw)
        if raw is None:
            row.system["owner_id"] = None  # unowned, e.g. in a public pool
        elif oid is None:
            row.errors.append(FieldError("owner_id", "INVALID_ID", "owner_id must be a user id"))
        else:
            row.system["owner_id"] = oid
    elif key in ("version", "id"):
        pass  # the version travels separately (If-Match); an id in a body is ignored on update
    elif key in TRUSTED_SYSTEM_KEYS and trusted and creating:
        row.system[key] = raw
    elif key in TRUSTED_SYSTEM_KEYS or key in ("updated_at", "deleted_at"):
        row.errors.append(FieldError(str(key), "FIELD_READ_ONLY", f"{key} is set by the system"))
    else:
        name = str(key)[:64]
        row.errors.append(FieldError(name, "UNKNOWN_FIELD", f"unknown field {name!r}"))


# --- whole-record checks ---------------------------------------------------------------------


def eval_context(ctx: Context) -> EvalContext:
    from accord.core.clock import local_today

    return EvalContext(today=local_today(ctx.clock, ctx.actor.timezone), now=ctx.clock.now())


def parsed(codec: ObjectCodec, key: str, source: str) -> Expr:
    cache: dict[str, Expr] = codec.__dict__.setdefault("_exprs", {})
    expr = cache.get(key)
    if expr is None:
        expr = cache[key] = parse(source)
    return expr


def apply_defaults(ctx: Context, codec: ObjectCodec, row: Row, ectx: EvalContext) -> None:
    for name, fc in codec.fields.items():
        d = fc.field.default
        if d is None or name in row.values or fc.type.computed or not fc.type.stored:
            continue
        try:
            if isinstance(d, Mapping) and "expr" in d:
                raw = evaluate(parsed(codec, f"default:{name}", d["expr"]), {}, ectx)
                raw = _jsonish(raw)
            else:
                raw = d
            row.values[name] = fc.type.coerce(raw, fc.field)
        except (FieldValueError, ExpressionError):
            continue  # a default that cannot apply leaves the field empty (checked at definition)


def _jsonish(v: Any) -> Any:
    if isinstance(v, datetime | date):
        return v.isoformat()
    if isinstance(v, Decimal):
        return str(v)
    return v


def _expr_value(v: Any) -> Any:
    """A stored value as the expression language sees it (money is its amount)."""
    if isinstance(v, Mapping) and "amount" in v:
        return v["amount"]
    return v


def _resolver(values: Mapping[str, Any]) -> Any:
    return lambda path: _expr_value(values.get(path[0])) if len(path) == 1 else None


def compute_formulas(codec: ObjectCodec, values: dict[str, Any], ectx: EvalContext) -> None:
    """Fill formula fields from the record's own values (in definition order)."""
    for fc in codec.computed:
        if fc.field.type != "formula":
            continue
        src = str(fc.field.options.get("expression") or "")
        try:
            result = evaluate(parsed(codec, f"formula:{fc.name}", src), _resolver(values), ectx)
            values[fc.name] = None if result is None else fc.type.coerce(_jsonish(result), fc.field)
        except (ExpressionError, FieldValueError):
            values[fc.name] = None


def check_required(codec: ObjectCodec, row: Row, values: Mapping[str, Any]) -> None:
    already = {e.field for e in row.errors}  # an invalid value is reported once, not as missing
    for name, fc in codec.fields.items():
        if name in already:
            continue
        required = fc.field.required or getattr(fc.type, "implies_required", False)
        if (
            required
            and not fc.type.computed
            and fc.type.stored
            and fc.type.is_empty(values.get(name))
        ):
            row.errors.append(FieldError(name, "REQUIRED", f"{name} is required"))


def check_rules(
    ctx: Context, codec: ObjectCodec, row: Row, values: Mapping[str, Any], ectx: EvalContext
) -> None:
    for rule in codec.obj.validation_rules:
        try:
            hit = evaluate(
                parsed(codec, f"rule:{rule.name}", rule.condition), _resolver(values), ectx
            )
        except ExpressionError:
            continue
        if hit is True:
            msg = label_text(rule.message, ctx.actor.locale)
            for name in rule.fields or (None,):
                row.errors.append(FieldError(name, f"RULE_{rule.name.upper()}", msg))


def _dependent_picklists(codec: ObjectCodec) -> list[tuple[str, FieldCodec, Mapping[str, Any]]]:
    found = codec.plans.get("dependent_picklists")
    if found is None:
        found = codec.plans["dependent_picklists"] = [
            (name, fc, dep)
            for name, fc in codec.fields.items()
            if fc.field.type == "select"
            and isinstance(dep := fc.field.options.get("depends_on"), Mapping)
        ]
    return found  # type: ignore[no-any-return]


def check_dependent_picklists(codec: ObjectCodec, row: Row, values: Mapping[str, Any]) -> None:
    for name, fc, dep in _dependent_picklists(codec):
        v = values.get(name)
        if v is None:
            continue
        controlling = values.get(str(dep.get("field")))
        if controlling is None:
            continue
        allowed = allowed_values(fc.field, controlling)
        if v not in allowed:
            row.errors.append(
                FieldError(
                    name,
                    "INVALID_CHOICE",
                    f"{v!r} is not allowed when {dep.get('field')} is {controlling!r}",
                )
            )


def check_references(ctx: Context, reg: Registry, codec: ObjectCodec, rows: Sequence[Row]) -> None:
    """Every lookup, user and department id given must exist (one query per field per batch)."""
    targets: list[tuple[str, Table, str]] = []
    for name, fc in codec.fields.items():
        if fc.field.type in RELATION_TYPES or fc.field.type == "many_to_many":
            targets.append((name, _target_table(reg, fc), fc.field.type))
    if codec.obj.ownable:
        targets.append(("owner_id", t.users, "user"))
    for name, table, _ in targets:
        wanted: set[str] = set()
        for r in rows:
            if not r.ok:
                continue
            v = r.system.get(name) if name == "owner_id" else r.values.get(name)
            if name in r.links:
                wanted.update(r.links[name])
            elif isinstance(v, str):
                wanted.add(v)
        if not wanted:
            continue
        if table is codec.table:  # a self-reference may point at a row of this very batch
            batch = {r.system.get("id") for r in rows if r.ok}
            found = batch | _existing_ids(ctx, table, wanted - batch)
        else:
            found = _existing_ids(ctx, table, wanted)
        for r in rows:
            ids = r.links.get(name) or [
                r.system.get(name) if name == "owner_id" else r.values.get(name)
            ]
            missing = [i for i in ids if isinstance(i, str) and i not in found]
            if missing:
                r.errors.append(
                    FieldError(name, "REFERENCE_NOT_FOUND", f"no record with id {missing[0]}")
                )


def _target_table(reg: Registry, fc: FieldCodec) -> Table:
    if fc.field.type == "user":
        return t.users
    if fc.field.type == "department":
        return t.departments
    return reg.table(str(fc.field.options.get("target")))


def _existing_ids(ctx: Context, table: Table, ids: set[str]) -> set[str]:
    found: set[str] = set()
    items = sorted(ids)
    cond_extra = [table.c.deleted_at.is_(None)] if "deleted_at" in table.c else []
    for i in range(0, len(items), MAX_IN):
        chunk = items[i : i + MAX_IN]
        q = select(table.c.id).where(table.c.id.in_(chunk), *cond_extra)
        found.update(str(x) for x in ctx.conn.execute(q).scalars())
    return found


def check_unique(
    ctx: Context, codec: ObjectCodec, rows: Sequence[Row], *, exclude_ids: Mapping[int, str]
) -> None:
    """Unique fields: no duplicate inside the batch, none already stored (deleted rows count,
    because the unique index covers them: restoring must not create a duplicate)."""
    table = codec.table
    for name, fc in codec.fields.items():
        if not fc.field.unique or not fc.single:
            continue
        seen: dict[Any, int] = {}
        for r in rows:
            v = r.values.get(name)
            if v is None or not r.ok:
                continue
            if v in seen:
                r.errors.append(
                    FieldError(
                        name, "DUPLICATE_IN_BATCH", f"{name} repeats the value of row {seen[v]}"
                    )
                )
            else:
                seen[v] = r.index
        if not seen:
            continue
        values = list(seen)
        taken: dict[Any, str] = {}
        for i in range(0, len(values), MAX_IN):
            q = select(table.c[name], table.c.id).where(table.c[name].in_(values[i : i + MAX_IN]))
            taken.update({v: str(rid) for v, rid in ctx.conn.execute(q)})
        for r in rows:
            v = r.values.get(name)
            if v is not None and v in taken and taken[v] != exclude_ids.get(r.index):
                r.errors.append(
                    FieldError(name, "NOT_UNIQUE", f"another record already has this {name}")
                )


def system_values_for_create(ctx: Context, codec: ObjectCodec, row: Row, now: datetime) -> None:
    s = row.system
    s.setdefault("id", new_id())
    s["version"] = 1
    s.setdefault("created_at", now)
    s.setdefault("updated_at", s["created_at"])
    s.setdefault("created_by", ctx.actor.id)
    s.setdefault("updated_by", s["created_by"])
    if codec.obj.ownable:
        s.setdefault("owner_id", None if ctx.actor.is_system else ctx.actor.id)
