"""The one validator every identifier passes before it can reach DDL.

Object and field names become table and column names, so they are restricted to lower-case
ASCII snake_case, limited in length (PostgreSQL truncates identifiers at 63 bytes and fields get
suffixes such as ``_currency``), and may not be SQL reserved words, system columns or names the
REST API uses for its own parameters.
"""

from __future__ import annotations

import re

from accord.meta.model import SYSTEM_COLUMNS

OBJECT_NAME = re.compile(r"[a-z][a-z0-9_]{0,39}")
FIELD_NAME = re.compile(r"[a-z][a-z0-9_]{0,49}")

# SQL:2016 and PostgreSQL/SQLite reserved words likely to be picked as names (the full lists are
# longer; quoting keeps the rest safe, this list keeps names portable and unsurprising).
SQL_RESERVED = frozenset(
    """
    all alter analyse analyze and any array as asc asymmetric authorization between binary both
    case cast check collate collation column concurrently constraint create cross
    current_catalog current_date current_role current_schema current_time current_timestamp
    current_user default deferrable delete desc distinct do drop else end except exists false
    fetch for foreign freeze from full grant group having ilike in index initially inner insert
    intersect into is isnull join key lateral leading left like limit localtime localtimestamp
    natural not notnull null offset on only or order outer overlaps placing primary references
    returning right rowid select session_user set similar some symmetric table tablesample then
    to trailing true union unique update user using values variadic verbose when where window
    with oid ctid xmin xmax cmin cmax tableoid abort action after attach autoincrement before
    begin by cascade commit conflict database deferred detach each escape exclusive explain
    fail glob if ignore immediate indexed instead match no nothing of pragma query raise
    recursive regexp reindex release rename replace restrict rollback row rows savepoint temp
    temporary transaction trigger vacuum view virtual without
    """.split()  # noqa: SIM905 - a word list reads better as text
)

# Names the REST API and the record JSON reserve for themselves.
API_RESERVED = frozenset({"filter", "sort", "cursor", "limit", "fields", "deleted"})


def object_name_problem(name: object) -> str | None:
    """Why ``name`` cannot name an object, or None when it can."""
    if not isinstance(name, str) or not OBJECT_NAME.fullmatch(name):
        return "must be 1–40 characters: lower-case letters, digits and _, starting with a letter"
    if name.endswith("_") or "__" in name:
        return "must not end with _ or contain __"
    return None


def field_name_problem(name: object) -> str | None:
    """Why ``name`` cannot name a field, or None when it can."""
    if not isinstance(name, str) or not FIELD_NAME.fullmatch(name):
        return "must be 1–50 characters: lower-case letters, digits and _, starting with a letter"
    if name.endswith("_") or "__" in name:
        return "must not end with _ or contain __ (reserved for filter operators)"
    if name in SYSTEM_COLUMNS:
        return "is a system field"
    if name in SQL_RESERVED:
        return "is a reserved SQL word"
    if name in API_RESERVED:
        return "is reserved by the API"
    return None


def assert_identifier(name: str) -> str:
    """Last line of defence right before DDL text is built: plain snake_case only."""
    if not re.fullmatch(r"[a-z][a-z0-9_]{0,62}", name):
        raise ValueError(f"unsafe identifier {name!r}")
    return name
