"""Database rows straight to JSON records: the hot path of GET and list pages.

``JsonRows(...).convert(rows)`` answers exactly what ``codec.to_json(codec.decode(row))`` does,
but reads the values the database driver returned (no SQLAlchemy result processing) and turns
each column into JSON in one step: the column type's result processor and the field type's
``to_json`` are composed once per plan, and a UTC timestamp stored as fixed-width text on SQLite
is reformatted as text instead of being parsed into a ``datetime`` and printed again. On a page
of 50 rows this is most of the difference between the API and the raw query (benchmarks/).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import Dialect, Select, type_coerce
from sqlalchemy.types import NullType

from accord.db.types import IdType, UTCDateTime
from accord.meta.fieldtypes.base import FieldType
from accord.records.codec import FieldCodec, ObjectCodec, iso

Convert = Callable[[Any], Any]
_TIMESTAMPS = ("created_at", "updated_at", "deleted_at")


def raw_columns(c: ObjectCodec, stmt: Select[Any]) -> Select[Any]:
    """``stmt`` (selecting columns of ``c``'s table) returning the driver's values: its columns
    typed as ``NullType``. The column expressions are built once per column list."""
    cols = stmt.selected_columns
    key = ("raw_columns", tuple(col.key for col in cols))
    exprs = c.plans.get(key)
    if exprs is None:
        exprs = c.plans[key] = [type_coerce(col, NullType()).label(col.key) for col in cols]
    return stmt.with_only_columns(*exprs, maintain_column_froms=True)


def _sqlite_timestamp(s: Any) -> Any:
    # Stored by UTCDateTime as 'YYYY-MM-DDTHH:MM:SS.ffffffZ'; datetime.isoformat() drops a zero
    # fraction, and so does this.
    if type(s) is not str or len(s) != 27 or s[26] != "Z":
        return None
    return s[:19] + "Z" if s[20:26] == "000000" else s


def _compose(first: Convert | None, then: Convert | None) -> Convert | None:
    if first is None:
        return then
    if then is None:
        return first
    return lambda v: then(first(v))


class JsonRows:
    """The conversion plan for rows with columns ``keys`` of one object, for one dialect."""

    def __init__(
        self,
        c: ObjectCodec,
        keys: Sequence[str],
        dialect: Dialect,
        only: frozenset[str] | None,
        coltypes: Sequence[Any],
    ) -> None:
        self.keys = tuple(keys)
        self.dialect = dialect
        sqlite = dialect.name == "sqlite"
        at = {k: i for i, k in enumerate(self.keys)}
        # ``coltypes``: the driver's type codes (cursor description), which some result
        # processors need (psycopg's numeric one does).
        self.processors: list[Convert | None] = [
            None
            if k not in c.table.c or (sqlite and isinstance(c.table.c[k].type, IdType))
            else c.table.c[k].type.dialect_impl(dialect).result_processor(dialect, code)
            for k, code in zip(self.keys, coltypes, strict=True)
        ]  # SQLite hands ids back as the text IdType would make of them
        self.single: list[tuple[str, int, Convert | None]] = []
        self.multi: list[tuple[str, tuple[int, ...], FieldCodec]] = []
        for name in c.system_fields:
            if name in at:
                to_json = iso if name in _TIMESTAMPS else None
                self.single.append((name, at[name], self._converter(c, name, to_json)))
        for fc in c.stored:
            if only is not None and fc.name not in only:
                continue
            if fc.single and fc.name in at:
                identity = type(fc.type).to_json is FieldType.to_json
                to_json = None if identity else _field_json(fc)
                self.single.append((fc.name, at[fc.name], self._converter(c, fc.name, to_json)))
            elif all(col in at for col in fc.columns):
                self.multi.append((fc.name, tuple(at[col] for col in fc.columns), fc))
        deleted = at.get("deleted_at")
        self.deleted = deleted
        self.deleted_json = self._converter(c, "deleted_at", iso) if deleted is not None else None

    def _converter(self, c: ObjectCodec, column: str, to_json: Convert | None) -> Convert | None:
        i = self.keys.index(column)
        processor = self.processors[i]
        col_type = c.table.c[column].type
        fast = (
            self.dialect.name == "sqlite"
            and isinstance(col_type, UTCDateTime)
            and (column in _TIMESTAMPS or c.fields[column].field.type == "datetime")
        )
        if not fast:
            return _compose(processor, to_json)
        slow = _compose(processor, to_json)
        assert slow is not None

        def timestamp(v: Any) -> Any:
            return _sqlite_timestamp(v) or slow(v)

        return timestamp

    def convert(self, rows: Sequence[Sequence[Any]]) -> list[dict[str, Any]]:
        out = []
        single, multi, deleted = self.single, self.multi, self.deleted
        for row in rows:
            rec: dict[str, Any] = {}
            for key, i, convert in single:
                v = row[i]
                rec[key] = v if v is None or convert is None else convert(v)
            for key, idxs, fc in multi:
                cols = {fc.columns[j]: self._processed(row, i) for j, i in enumerate(idxs)}
                v = fc.type.from_columns(cols, fc.field)
                rec[key] = None if v is None else fc.type.to_json(v, fc.field)
            if deleted is not None and row[deleted] is not None:
                rec["deleted_at"] = self.deleted_json(row[deleted])  # type: ignore[misc]
            out.append(rec)
        return out

    def _processed(self, row: Sequence[Any], i: int) -> Any:
        v, p = row[i], self.processors[i]
        return v if v is None or p is None else p(v)

    def typed(self, row: Sequence[Any]) -> dict[str, Any]:
        """One raw row as ``Connection.execute`` would have returned it (column → value)."""
        return {k: self._processed(row, i) for i, k in enumerate(self.keys)}


def _field_json(fc: FieldCodec) -> Convert:
    def to_json(v: Any) -> Any:
        return fc.type.to_json(v, fc.field)

    return to_json


def json_rows(
    c: ObjectCodec,
    keys: Sequence[str],
    dialect: Dialect,
    only: set[str] | None,
    coltypes: Sequence[Any],
) -> JsonRows:
    """The cached plan for these columns, dialect and field selection (``coltypes``: the
    cursor description's type codes, the same for the same columns)."""
    frozen = frozenset(only) if only is not None else None
    key = ("json_rows", tuple(keys), dialect.name, frozen)
    plan = c.plans.get(key)
    if plan is None:
        if len(c.plans) > 64:  # field selections are client-chosen: bound the cache
            c.plans.clear()
        plan = c.plans[key] = JsonRows(c, keys, dialect, frozen, coltypes)
    return plan  # type: ignore[no-any-return]
