"""Storing a batch of validated rows: one multi-row statement per batch.

SQLite: ``executemany`` through SQLAlchemy (which binds each value through the column types).
PostgreSQL: ``COPY … FROM STDIN`` through psycopg, several times faster than INSERT for large
batches; values are converted with the same column types' bind processors, so what is stored is
identical on both paths.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import orjson
from psycopg.types.json import Jsonb
from sqlalchemy import Connection, Table, insert
from sqlalchemy.exc import DBAPIError

from accord.db.types import JSONType
from accord.records.codec import ObjectCodec
from accord.records.prepare import Row

COPY_THRESHOLD = 50  # below this, COPY's setup costs more than it saves


def row_columns(codec: ObjectCodec, r: Row) -> dict[str, Any]:
    singles, multis = _field_columns(codec)
    cols: dict[str, Any] = dict(r.system)
    values = r.values
    cols.update(zip(singles, map(values.get, singles), strict=True))  # C-level iteration
    for fc in multis:
        v = values.get(fc.name)
        if v is None:
            for c in fc.columns:
                cols[c] = None
        else:
            cols.update(fc.type.to_columns(v, fc.field))
    return cols


def _field_columns(codec: ObjectCodec) -> tuple[list[str], list[Any]]:
    """(names of single-column stored fields, codecs of multi-column ones), once per codec."""
    found = codec.plans.get("field_columns")
    if found is None:
        found = codec.plans["field_columns"] = (
            [fc.name for fc in codec.stored if fc.single],
            [fc for fc in codec.stored if not fc.single],
        )
    return found  # type: ignore[no-any-return]


def bulk_insert(conn: Connection, codec: ObjectCodec, rows: Sequence[Row]) -> None:
    insert_many(conn, codec.table, [row_columns(codec, r) for r in rows])


def insert_many(conn: Connection, table: Table, data: list[dict[str, Any]]) -> None:
    """Insert ``data`` (column → value) into any table by the fastest path of the dialect."""
    if not data:
        return
    keys = set().union(*data)
    names = [c.name for c in table.columns if c.name in keys]  # absent columns keep defaults
    if len(data) >= COPY_THRESHOLD:
        if conn.dialect.name == "postgresql":
            _copy(conn, table, names, data)
            return
        if conn.dialect.name == "sqlite":
            _executemany(conn, table, names, data)
            return
    conn.execute(insert(table), [{n: d.get(n) for n in names} for d in data])


def _executemany(
    conn: Connection, table: Table, names: list[str], data: list[dict[str, Any]]
) -> None:
    """SQLite: the DBAPI ``executemany`` SQLAlchemy would run, without its per-row parameter
    dictionaries (a third of a large insert's time). Every value goes through its column type's
    bind processor as SQLAlchemy does (None included), and driver errors are wrapped the same
    way (``sqlalchemy.exc.IntegrityError`` …), so stored values and errors are identical."""
    dialect = conn.dialect
    procs = [(n, table.c[n].type._cached_bind_processor(dialect)) for n in names]
    params = [tuple(d.get(n) if p is None else p(d.get(n)) for n, p in procs) for d in data]
    cols_sql = ", ".join(f'"{n}"' for n in names)
    sql = f'INSERT INTO "{table.name}" ({cols_sql}) VALUES ({", ".join("?" for _ in names)})'
    dbapi_conn = conn.connection.driver_connection
    cur = dbapi_conn.cursor()  # type: ignore[union-attr]
    try:
        cur.executemany(sql, params)
    except dialect.loaded_dbapi.Error as exc:
        raise DBAPIError.instance(
            sql, params, exc, dialect.loaded_dbapi.Error, dialect=dialect, ismulti=True
        ) from exc
    finally:
        cur.close()


def _json(value: Any) -> bytes:
    # orjson: several times json.dumps' speed; the value is the same (jsonb keeps values, not
    # text), and the payloads are JSON-ready (to_json output).
    return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS)


def _copy(conn: Connection, table: Table, names: list[str], data: list[dict[str, Any]]) -> None:
    """PostgreSQL: ``COPY … FROM STDIN``; values pass the column types' bind processors (JSON
    goes as ``Jsonb``) so what is stored equals the INSERT path."""
    dialect = conn.dialect
    procs = [table.c[n].type._cached_bind_processor(dialect) for n in names]
    json_cols = {n for n in names if isinstance(table.c[n].type, JSONType)}
    raw = conn.connection.driver_connection
    cols_sql = ", ".join(f'"{n}"' for n in names)
    dumped: dict[int, Jsonb] = {}  # rows often share one JSON value (outbox payloads)
    with raw.cursor() as cur, cur.copy(f'COPY "{table.name}" ({cols_sql}) FROM STDIN') as cp:
        for d in data:
            out = []
            for n, proc in zip(names, procs, strict=True):
                v = d.get(n)
                if v is not None:
                    if n in json_cols:
                        j = dumped.get(id(v))
                        if j is None:
                            j = dumped[id(v)] = Jsonb(v, dumps=_json)
                        v = j
                    elif proc is not None:
                        v = proc(v)
                out.append(v)
            cp.write_row(out)
