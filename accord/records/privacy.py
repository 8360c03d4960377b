"""Personal-data requests (GDPR art. 15/17, PIPL art. 45/47): export everything Accord holds
about a person, or erase it.

A person is a record of an object with **personal fields** (``options.personal: true`` in the
field's definition: names, phone numbers, e-mail, WeChat, address, birthday, notes of contacts
and leads). A request names the person by record, or by e-mail address or phone number, which
finds every record (contact, lead, any custom object) holding that value in a personal field.

- **Export**: each record found, its field history, ownership history and shares, the records
  of any object that point at it (activities, tasks, opportunities, campaign memberships …),
  and the audit entries about it — as one JSON document.
- **Erase**: the person's personal fields are anonymised in place (a required text field gets
  a neutral placeholder, the rest become empty), in the record's field history and outbox
  events too; text fields of the records pointing at it lose exact occurrences of the erased
  values. Business records (opportunities, orders, amounts, dates) stay as they are. The record
  itself stays (its id may be referenced), marked by the placeholder.

Both are for administrators only and are audited (the audit entry names fields, not values).
Free text that mentions the person in other words is beyond a machine's reach: the export lists
where to look (the related records).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, or_, select, update

from accord.auth import audit, teams
from accord.auth.org import require_admin
from accord.core.context import Context
from accord.core.errors import FieldError, Invalid
from accord.core.ids import parse_id
from accord.db import tables as t
from accord.meta.model import FieldDef, ObjectDef
from accord.meta.registry import Registry, load
from accord.records import locks
from accord.records.codec import ObjectCodec, codec
from accord.records.events import write_history

ERASED = "[erased]"
RELATIONS = ("lookup", "master_detail")
_TEXT_TYPES = ("text", "long_text", "rich_text", "textarea")


def personal_fields(obj: ObjectDef) -> list[FieldDef]:
    return [f for f in obj.active_fields if f.options.get("personal") is True]


def _subjects(
    ctx: Context, reg: Registry, *, object: Any, id: Any, email: Any, phone: Any
) -> list[tuple[ObjectCodec, dict[str, Any]]]:
    """The records a request is about: one record, or every record with that e-mail address
    or phone number in a personal field."""
    if object is not None or id is not None:
        rid = parse_id(id)
        if not isinstance(object, str) or object not in reg.objects or rid is None:
            raise _invalid("object", "give an object name and a record id")
        c = codec(reg, object)
        row = ctx.conn.execute(select(c.table).where(c.table.c.id == rid)).mappings().first()
        return [(c, dict(row))] if row is not None else []
    wanted = {"email": email, "phone": phone}
    if not any(isinstance(v, str) and v.strip() for v in wanted.values()):
        raise _invalid("email", "give an e-mail address, a phone number, or a record")
    found: list[tuple[ObjectCodec, dict[str, Any]]] = []
    for name in sorted(reg.objects):
        obj = reg.objects[name]
        fields = [f for f in personal_fields(obj) if f.type in ("email", "phone")]
        if obj.status != "active" or not fields:
            continue
        c = codec(reg, name)
        conds = []
        for f in fields:
            raw = wanted[f.type]
            if not isinstance(raw, str) or not raw.strip():
                continue
            try:
                value = c.fields[f.name].type.coerce(raw, f)
            except Exception:  # not a valid address/number for this field: no match
                continue
            col = c.table.c[f.name]
            if f.type == "email":  # addresses match whatever their case
                conds.append(func.lower(col) == str(value).lower())
            else:
                conds.append(col == value)
        if conds:
            rows = ctx.conn.execute(select(c.table).where(or_(*conds))).mappings()
            found += [(c, dict(r)) for r in rows]
    return found


def _invalid(field: str, message: str) -> Invalid:
    return Invalid("INVALID_PRIVACY_REQUEST", "The request names no person.",
                   [FieldError(field, "REQUIRED", message)])  # fmt: skip


def _pointing_at(ctx: Context, reg: Registry, obj: str, rid: str) -> list[tuple[ObjectCodec, Any]]:
    """Records of any object whose lookups point at ``obj`` record ``rid``."""
    out = []
    for other in reg.objects.values():
        links = [
            f for f in other.active_fields if f.type in RELATIONS and f.options.get("target") == obj
        ]
        if other.status != "active" or not links:
            continue
        c = codec(reg, other.name)
        rows = ctx.conn.execute(
            select(c.table).where(or_(*[c.table.c[f.name] == rid for f in links]))
        ).mappings()
        out += [(c, r) for r in rows]
    return out


def export_person(ctx: Context, **who: Any) -> dict[str, Any]:
    """Everything Accord holds about the person (administrators only)."""
    require_admin(ctx, "answer personal-data requests")
    reg = load(ctx)
    people = []
    for c, row in _subjects(ctx, reg, **who):
        rid = str(row["id"])
        h, a = t.record_history, t.audit_log
        history = ctx.conn.execute(
            select(h).where(h.c.object_name == c.obj.name, h.c.record_id == rid).order_by(h.c.id)
        ).mappings()
        audits = ctx.conn.execute(select(a).where(a.c.target_id == rid).order_by(a.c.id)).mappings()
        people.append(
            {
                "object": c.obj.name,
                "record": c.to_json(c.decode(row)),
                "personal_fields": [f.name for f in personal_fields(c.obj)],
                "history": [_plain(r) for r in history],
                "owners": [_plain(r) for r in teams.owner_history(ctx, c.obj.name, rid)],
                "shares": [_plain(r) for r in teams.shares_for(ctx, c.obj.name, rid)],
                "related": [
                    {"object": rc.obj.name, "record": rc.to_json(rc.decode(rr))}
                    for rc, rr in _pointing_at(ctx, reg, c.obj.name, rid)
                ],
                "audit": [_plain(r) for r in audits],
            }
        )
        audit.record(ctx, "privacy.export", c.obj.name, rid, {})
    return {"generated_at": ctx.clock.now(), "people": people}


def _plain(row: Any) -> dict[str, Any]:
    return {k: (str(v) if k.endswith("_id") and v is not None else v) for k, v in dict(row).items()}


def erase_person(ctx: Context, **who: Any) -> list[dict[str, Any]]:
    """Anonymise the person's personal fields everywhere (administrators only); returns what
    was erased per record (field names only)."""
    require_admin(ctx, "answer personal-data requests")
    reg = load(ctx)
    now = ctx.clock.now()
    done = []
    for c, row in _subjects(ctx, reg, **who):
        rid = str(row["id"])
        fields = personal_fields(c.obj)
        # Refused while the record is under approval: withdraw or finish the approval first.
        locks.check_write(ctx, c.obj.name, rid, [f.name for f in fields])
        old = c.decode(row)
        values: dict[str, Any] = {}
        for f in fields:
            fc = c.fields[f.name]
            if not fc.type.stored:
                continue
            blank = ERASED if f.required and f.type in _TEXT_TYPES else None
            cols = fc.type.to_columns(blank, f) if blank is not None else dict.fromkeys(fc.columns)
            values.update(cols)
        tbl = c.table
        ctx.conn.execute(
            update(tbl)
            .where(tbl.c.id == rid)
            .values(
                {
                    **values,
                    "version": tbl.c.version + 1,
                    "updated_at": now,
                    "updated_by": ctx.actor.id,
                }
            )
        )
        names = [f.name for f in fields]
        h = t.record_history
        ctx.conn.execute(
            update(h)
            .where(h.c.object_name == c.obj.name, h.c.record_id == rid, h.c.field_name.in_(names))
            .values(old_value=None, new_value=None)
        )
        o = t.outbox
        ctx.conn.execute(
            update(o)
            .where(o.c.object_name == c.obj.name, o.c.record_id == rid, o.c.kind == "updated")
            .values(payload={"fields": [], "erased": True})
        )
        texts = _erased_texts(old, fields)
        touched = _scrub_related(ctx, reg, c.obj.name, rid, texts)
        write_history(ctx, c.obj.name, rid, "erase", [(None, None, None)], now)
        details = {"fields": names, "related_records": touched}
        audit.record(ctx, "privacy.erase", c.obj.name, rid, details)
        done.append({"object": c.obj.name, "id": rid, **details})
    return done


def _erased_texts(old: dict[str, Any], fields: list[FieldDef]) -> list[str]:
    """The erased values as text, longest first, to find them in other records' free text."""
    texts = {
        str(old[f.name])
        for f in fields
        if f.type in (*_TEXT_TYPES, "email", "phone") and old.get(f.name)
    }
    return sorted((x for x in texts if len(x) >= 2), key=len, reverse=True)


def _scrub_related(ctx: Context, reg: Registry, obj: str, rid: str, texts: list[str]) -> int:
    """Replace exact occurrences of ``texts`` in the text fields of records pointing at the
    person; returns how many records changed."""
    if not texts:
        return 0
    changed = 0
    for rc, row in _pointing_at(ctx, reg, obj, rid):
        cols = [f.name for f in rc.obj.active_fields if f.type in _TEXT_TYPES]
        new: dict[str, Any] = {}
        for col in cols:
            scrubbed = _scrub(row.get(col), texts)
            if scrubbed != row.get(col):
                new[col] = scrubbed
        if new:
            tbl = rc.table
            ctx.conn.execute(
                update(tbl)
                .where(tbl.c.id == row["id"])
                .values({**new, "version": tbl.c.version + 1, "updated_by": ctx.actor.id})
            )
            _scrub_history(ctx, rc.obj.name, str(row["id"]), cols, texts)
            changed += 1
    return changed


def _scrub_history(ctx: Context, obj: str, rid: str, fields: list[str], texts: list[str]) -> None:
    """The same replacement in the old and new values of those records' text-field history."""
    h = t.record_history
    rows = ctx.conn.execute(
        select(h.c.id, h.c.old_value, h.c.new_value).where(
            h.c.object_name == obj, h.c.record_id == rid, h.c.field_name.in_(fields)
        )
    ).all()
    for hid, old, new in rows:
        values = {}
        for key, v in (("old_value", old), ("new_value", new)):
            if _scrub(v, texts) != v:
                values[key] = _scrub(v, texts)
        if values:
            ctx.conn.execute(update(h).where(h.c.id == hid).values(values))


def _scrub(value: Any, texts: list[str]) -> Any:
    """``value`` with each of ``texts`` replaced by the erasure mark (non-text as it is)."""
    if not isinstance(value, str):
        return value
    for x in texts:
        value = value.replace(x, ERASED)
    return value
