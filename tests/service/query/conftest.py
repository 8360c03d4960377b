"""A small object set (account ← deal) on a real database, and Hypothesis strategies for its
records and for filters over it. Used by the SQL-vs-predicate property test and the keyset
pagination test.

``query_db`` is parametrised over SQLite (in memory) and, when ``ACCORD_TEST_DATABASE_URL``
starts with ``postgresql``, PostgreSQL (tables in a fresh schema, dropped afterwards). Each
Hypothesis example runs inside a transaction that is rolled back.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import strategies as st
from sqlalchemy import (
    Column,
    Connection,
    Engine,
    ForeignKey,
    Table,
    insert,
    null,
    select,
    text,
    update,
)

from accord.core.context import Actor
from accord.db.engine import make_engine
from accord.db.types import IdType
from accord.meta.fieldtypes import link_table_name
from accord.meta.model import FieldDef, ObjectDef
from accord.meta.registry import Registry
from accord.query.paths import SYSTEM_FIELD_KINDS, FieldRef, resolve_path

SQL_NULL = "<SQL NULL>"  # a JSON column stored as SQL NULL rather than JSON null

ME = Actor(id="0190a000-0000-7000-8000-00000000beef", login="me", timezone="Asia/Shanghai")
OTHER_USER = "0190a000-0000-7000-8000-00000000cafe"
ACCOUNT_IDS = [f"0190a000-0000-7000-8000-{i:012x}" for i in range(1, 7)]
# Ids deliberately not in insertion order.
DEAL_IDS = [f"0190b000-0000-7000-8000-{i * 7919 % 1000003:012x}" for i in range(1, 31)]
MISSING_ID = "0190a000-0000-7000-8000-0000000fffff"

NOWS = [
    datetime(2026, 1, 15, 9, 0, tzinfo=UTC),
    datetime(2025, 12, 31, 16, 30, tzinfo=UTC),  # already 2026 in Shanghai, still 2025 in NY
    datetime(2026, 3, 8, 7, 30, tzinfo=UTC),  # US DST starts that day
    datetime(2024, 2, 29, 23, 59, 59, 999999, tzinfo=UTC),
]
ZONES = ["Asia/Shanghai", "America/New_York", "UTC"]

TEXT_POOL = [
    "Acme", "acme", "ACME", "Acme Ltd", "北京", "北京分公司", "上海", "abc", "abd", "ab",
    "100%", "50_50", "a/b", "a\\b", "É", "é", "Zeta", "z", " ", "a b", "İ", "ß", "😀", "~",
]  # fmt: skip
TEXT_CHARS = "aAbBzZ%_/\\ 中文éÉ0-"
TAGS = ["vip", "VIP", "Vip", "hot", "cold", "新客户", "a%b", "x_y"]
STAGE_CHOICES = ["new", "won", "lost", "Won"]
INDUSTRIES = ["IT", "it", "制造", "retail"]


def _f(name: str, type_: str, **options: Any) -> FieldDef:
    return FieldDef(name=name, type=type_, label={"en": name}, options=options)


def _choices(values: list[str]) -> list[dict[str, Any]]:
    return [{"value": v} for v in values]


ACCOUNT = ObjectDef(
    "account",
    {"en": "Account"},
    {"en": "Accounts"},
    fields=(
        _f("name", "text"),
        _f("industry", "select", choices=_choices(INDUSTRIES)),
        _f("region", "text"),
        _f("score", "integer"),
        _f("parent", "lookup", target="account"),
    ),
)
DEAL = ObjectDef(
    "deal",
    {"en": "Deal"},
    {"en": "Deals"},
    fields=(
        _f("name", "text"),
        _f("amount", "currency"),
        _f("qty", "integer"),
        _f("rate", "decimal", scale=3),
        _f("close_date", "date"),
        _f("seen_at", "datetime"),
        _f("at", "time"),
        _f("won", "boolean"),
        _f("stage", "select", choices=_choices(STAGE_CHOICES)),
        _f("colors", "multi_select", choices=_choices(["red", "green", "Blue"])),
        _f("tags", "tags"),
        _f("meta", "json"),
        _f("account", "lookup", target="account"),
        _f("partners", "many_to_many", target="account"),
    ),
)


def make_registry() -> Registry:
    reg = Registry(version=1, objects={"account": ACCOUNT, "deal": DEAL})
    reg.table("account")
    reg.table("deal")
    Table(
        link_table_name("deal", "partners"),
        reg.sa_metadata,
        Column("record_id", IdType, ForeignKey("obj_deal.id"), nullable=False),
        Column("target_id", IdType, ForeignKey("obj_account.id"), nullable=False),
    )
    return reg


# --- database --------------------------------------------------------------------------------


@dataclass
class QueryDB:
    engine: Engine
    reg: Registry
    dialect: str
    paths: dict[str, FieldRef] = field(default_factory=dict)
    actor: Actor = ME

    def insert(self, conn: Connection, data: dict[str, Any]) -> None:
        reg = self.reg
        accounts = reg.table("account")
        if data["accounts"]:  # parents afterwards: they may point at later rows, or in a cycle
            conn.execute(insert(accounts), [{**a, "parent": None} for a in data["accounts"]])
        for a in data["accounts"]:
            if a["parent"] is not None:
                conn.execute(
                    update(accounts).where(accounts.c.id == a["id"]).values(parent=a["parent"])
                )
        if data["deals"]:
            conn.execute(insert(reg.table("deal")), data["deals"])
        if data["links"]:
            link = reg.sa_metadata.tables[link_table_name("deal", "partners")]
            conn.execute(insert(link), data["links"])

    def canonical(self, conn: Connection) -> tuple[dict[str, dict[str, Any]], ...]:
        """Stored records read back as canonical values (what the record service returns)."""
        out: list[dict[str, dict[str, Any]]] = []
        link = self.reg.sa_metadata.tables[link_table_name("deal", "partners")]
        links: dict[str, list[str]] = {}
        for rid, tid in conn.execute(select(link.c.record_id, link.c.target_id)):
            links.setdefault(str(rid), []).append(str(tid))
        for obj in (ACCOUNT, DEAL):
            recs: dict[str, dict[str, Any]] = {}
            for row in conn.execute(select(self.reg.table(obj.name))).mappings():
                rec: dict[str, Any] = {k: row[k] for k in SYSTEM_FIELD_KINDS}
                for f in obj.fields:
                    ftype = self.reg.field_type(f)
                    if ftype.stored:
                        rec[f.name] = ftype.from_columns(row, f)
                    else:
                        rec[f.name] = links.get(str(row["id"]), [])
                recs[str(row["id"])] = rec
            out.append(recs)
        return tuple(out)


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def query_db(request: pytest.FixtureRequest) -> Iterator[QueryDB]:
    url = os.environ.get("ACCORD_TEST_DATABASE_URL", "")
    reg = make_registry()
    if request.param == "sqlite":
        engine = make_engine("sqlite://")
        reg.sa_metadata.create_all(engine)
        yield QueryDB(engine, reg, "sqlite", deal_paths(reg))
        engine.dispose()
        return
    if not url.startswith("postgresql"):
        pytest.skip("ACCORD_TEST_DATABASE_URL is not a PostgreSQL URL")
    schema = f"q_{uuid.uuid4().hex[:12]}"
    admin = make_engine(url, pool_size=1, max_overflow=0)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    engine = make_engine(url, connect_args={"options": f"-csearch_path={schema}"})
    try:
        reg.sa_metadata.create_all(engine)
        yield QueryDB(engine, reg, "postgresql", deal_paths(reg))
    finally:
        engine.dispose()
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def deal_paths(reg: Registry) -> dict[str, FieldRef]:
    """Every filterable path of deal, across account and account.parent."""
    names: list[str] = list(SYSTEM_FIELD_KINDS)
    names += ["name", "amount", "amount.currency", "qty", "rate", "close_date", "seen_at"]
    names += ["at", "won", "stage", "colors", "tags", "meta", "account", "partners"]
    for prefix in ("account", "account.parent"):
        names += [f"{prefix}.{n}" for n in ("name", "industry", "region", "score", "parent")]
        names += [f"{prefix}.id", f"{prefix}.created_at"]
    return {n: resolve_path(reg, "deal", n) for n in names}


# --- records ---------------------------------------------------------------------------------

texts = st.one_of(
    st.none(),
    st.just(""),
    st.sampled_from(TEXT_POOL),
    st.sampled_from(TEXT_POOL),
    st.text(alphabet=TEXT_CHARS, max_size=5),
)
ints = st.one_of(
    st.none(),
    st.sampled_from([0, 1, -1, 7, 42, 2**63 - 1, -(2**63), 2**31]),
    st.integers(-50, 50),
)


def decimals(scale: int) -> st.SearchStrategy[Decimal | None]:
    q = Decimal(1).scaleb(-scale)
    return st.one_of(
        st.none(),
        st.sampled_from([Decimal(0), Decimal("500000"), Decimal("-1"), Decimal("99999.99")]),
        st.integers(-(10**6), 10**6).map(lambda n: Decimal(n) * q),
    )


def _instants() -> list[datetime]:
    out: list[datetime] = []
    for now in NOWS:
        out += [now, now - timedelta(days=7), now + timedelta(days=7)]
        for zone in ZONES:
            local = now.astimezone(ZoneInfo(zone)).date()
            for delta in (-40, -7, -1, 0, 1, 2, 31, 92, 366):
                d = local + timedelta(days=delta)
                start = datetime(d.year, d.month, 1 if delta in (31, 92) else d.day)
                out.append(start.replace(tzinfo=ZoneInfo(zone)).astimezone(UTC))
    return out


INSTANTS = _instants()
DATES = sorted({i.astimezone(ZoneInfo(z)).date() for i in INSTANTS for z in ZONES})

some_datetimes = st.one_of(
    st.sampled_from(INSTANTS),
    st.tuples(st.sampled_from(INSTANTS), st.sampled_from([-1, 1, -3600 * 10**6])).map(
        lambda p: p[0] + timedelta(microseconds=p[1])
    ),
    st.datetimes(
        min_value=datetime(1990, 1, 1), max_value=datetime(2040, 1, 1), timezones=st.just(UTC)
    ),
)
datetimes = st.one_of(st.none(), some_datetimes)
dates = st.one_of(
    st.none(),
    st.sampled_from(DATES),
    st.sampled_from([date(1000, 1, 1), date(9999, 12, 31)]),
    st.dates(min_value=date(2000, 1, 1), max_value=date(2040, 1, 1)),
)
times = st.one_of(st.none(), st.times().map(lambda t: t.replace(microsecond=0)))
json_values = st.sampled_from([SQL_NULL, None, "", [], {}, {"a": 1}, [1], 0, "x", False])


def _json(v: Any) -> Any:
    return null() if v == SQL_NULL and isinstance(v, str) else v


def arrays(pool: list[str]) -> st.SearchStrategy[Any]:
    return st.one_of(
        st.sampled_from([SQL_NULL, None, []]),
        st.lists(st.sampled_from(pool), max_size=3, unique=True),
        st.just([1, "vip"]),  # a non-string element never matches
    )


@st.composite
def datasets(draw: st.DrawFn) -> dict[str, Any]:
    n_acc = draw(st.integers(0, len(ACCOUNT_IDS)))
    acc_ids = ACCOUNT_IDS[:n_acc]
    refs = st.one_of(st.none(), st.sampled_from(acc_ids)) if acc_ids else st.none()
    created = st.sampled_from(INSTANTS[:12])
    accounts = []
    for aid in acc_ids:
        accounts.append(
            {
                "id": aid,
                "version": 1,
                "created_at": draw(created),
                "updated_at": draw(created),
                "created_by": draw(st.sampled_from([ME.id, OTHER_USER, None])),
                "owner_id": draw(st.sampled_from([ME.id, OTHER_USER, None])),
                "name": draw(texts),
                "industry": draw(st.one_of(st.none(), st.sampled_from(INDUSTRIES))),
                "region": draw(texts),
                "score": draw(ints),
                "parent": None,
            }
        )
    for a in accounts:  # parents only among inserted accounts (FKs)
        a["parent"] = draw(refs)
    deals, links = [], []
    for did in DEAL_IDS[: draw(st.integers(2, 14))]:
        amount = draw(decimals(2))
        deals.append(
            {
                "id": did,
                "version": draw(st.integers(1, 3)),
                "created_at": draw(created),
                "updated_at": draw(some_datetimes),
                "created_by": draw(st.sampled_from([ME.id, OTHER_USER, None])),
                "updated_by": None,
                "owner_id": draw(st.sampled_from([ME.id, OTHER_USER, None])),
                "name": draw(texts),
                "amount": amount,
                # The currency type stores no currency without an amount (to_columns).
                "amount_currency": None
                if amount is None
                else draw(st.sampled_from(["CNY", "USD", "", None])),
                "qty": draw(ints),
                "rate": draw(decimals(3)),
                "close_date": draw(dates),
                "seen_at": draw(datetimes),
                "at": draw(times),
                "won": draw(st.one_of(st.none(), st.booleans())),
                "stage": draw(st.one_of(st.none(), st.just(""), st.sampled_from(STAGE_CHOICES))),
                "colors": _json(draw(arrays(["red", "green", "Blue"]))),
                "tags": _json(draw(arrays(TAGS))),
                "meta": _json(draw(json_values)),
                "account": draw(refs),
            }
        )
        targets = st.lists(st.sampled_from(acc_ids), unique=True, max_size=3) if acc_ids else None
        for target in draw(targets) if targets is not None else []:
            links.append({"record_id": did, "target_id": target})
    return {"accounts": accounts, "deals": deals, "links": links}


# --- filters ---------------------------------------------------------------------------------


def operand_values(ref: FieldRef) -> st.SearchStrategy[Any]:
    """Operands for comparisons on ``ref``, in their JSON form."""
    kind = ref.kind
    if kind == "text":
        if ref.name == "industry":
            return st.sampled_from(INDUSTRIES)
        if ref.name == "stage":
            return st.sampled_from(STAGE_CHOICES)
        return st.one_of(
            st.sampled_from([t for t in TEXT_POOL if t.strip()]),
            st.text(alphabet=TEXT_CHARS, min_size=1, max_size=4).filter(lambda s: s.strip()),
        )
    if kind == "integer":
        return st.one_of(
            st.sampled_from([0, 1, -1, 42, 2**63 - 1, -(2**63), "7", 2**31]), st.integers(-60, 60)
        )
    if kind == "decimal":
        return st.one_of(
            st.sampled_from(["0", "500000", "-1", "99999.99", "0.005", "1e3", 10**17]),
            st.decimals(min_value=-10000, max_value=10000, places=4).map(str),
            st.integers(-100, 100),
        )
    if kind == "date":
        return st.sampled_from([*DATES, date(1000, 1, 1), date(9999, 12, 31)]).map(str)
    if kind == "datetime":
        return st.one_of(
            st.sampled_from(INSTANTS).map(lambda d: d.isoformat()),
            st.sampled_from(INSTANTS).map(
                lambda d: d.astimezone(ZoneInfo("Asia/Shanghai")).isoformat()
            ),
            st.sampled_from(INSTANTS).map(
                lambda d: (d + timedelta(microseconds=1)).isoformat().replace("+00:00", "Z")
            ),
        )
    if kind == "time":
        return st.sampled_from(["00:00", "09:30:00", "12:00", "23:59:59"])
    if kind == "boolean":
        return st.one_of(st.booleans(), st.sampled_from(["true", "false"]))
    if kind == "ref":
        return st.sampled_from([*ACCOUNT_IDS[:3], ME.id.upper(), OTHER_USER, MISSING_ID, "$me"])
    raise AssertionError(kind)


def list_values(ref: FieldRef) -> st.SearchStrategy[list[Any]]:
    if ref.kind == "array":
        pool = ["red", "green", "Blue", "blue"] if ref.name == "colors" else TAGS
        return st.lists(st.sampled_from(pool), min_size=1, max_size=3)
    if ref.kind == "link":
        return st.lists(st.sampled_from([*ACCOUNT_IDS, MISSING_ID]), min_size=1, max_size=3)
    return st.lists(operand_values(ref), min_size=1, max_size=4)


def leaves(paths: dict[str, FieldRef]) -> st.SearchStrategy[dict[str, Any]]:
    @st.composite
    def leaf(draw: st.DrawFn) -> dict[str, Any]:
        if draw(st.booleans()):  # path first: every field gets exercised
            path = draw(st.sampled_from(sorted(paths)))
            op = draw(st.sampled_from(sorted(paths[path].operators)))
        else:  # operator first: rare operators (text patterns, arrays) get exercised too
            op = draw(st.sampled_from(sorted(set().union(*(r.operators for r in paths.values())))))
            path = draw(st.sampled_from(sorted(p for p, r in paths.items() if op in r.operators)))
        ref = paths[path]
        out: dict[str, Any] = {"field": path, "op": op}
        if op in ("is_null", "is_not_null") or op in _NO_N_RELATIVE:
            return out
        if op in ("in_last", "next_n_days", "in_next", "older_than"):
            out["value"] = draw(st.one_of(st.sampled_from([1, 7, 30, 36500]), st.integers(1, 400)))
        elif op in ("in", "not_in", "has_any", "has_all", "has_none"):
            out["value"] = draw(list_values(ref))
        elif op == "between":
            out["value"] = [draw(operand_values(ref)), draw(operand_values(ref))]
        elif op in ("contains", "not_contains", "starts_with", "ends_with"):
            out["value"] = draw(
                st.one_of(
                    st.sampled_from(["a", "A", "%", "_", "/", "\\", "b%", "北", "É", "e", "c"]),
                    # a piece of a stored text, case flipped: only ASCII case is ignored
                    st.tuples(st.sampled_from(TEXT_POOL), st.integers(0, 3), st.integers(1, 4))
                    .map(lambda t: t[0][t[1] : t[1] + t[2]].swapcase())
                    .filter(bool),
                    st.text(alphabet=TEXT_CHARS, min_size=1, max_size=3),
                )
            )
        else:
            out["value"] = draw(operand_values(ref))
        return out

    return leaf()


_NO_N_RELATIVE = frozenset(
    f"{w}_{u}" for w in ("this", "last", "next") for u in ("week", "month", "quarter", "year")
) | {"today", "yesterday", "tomorrow"}


def filters(paths: dict[str, FieldRef]) -> st.SearchStrategy[dict[str, Any]]:
    return st.recursive(
        leaves(paths),
        lambda kids: st.one_of(
            st.lists(kids, max_size=3).map(lambda xs: {"and": xs}),
            st.lists(kids, max_size=3).map(lambda xs: {"or": xs}),
            kids.map(lambda x: {"not": x}),
        ),
        max_leaves=6,
    )


@dataclass(frozen=True)
class Strategies:
    datasets: Any
    filters: Any
    zones: Any
    nows: Any


@pytest.fixture(scope="session")
def query_strategies() -> Strategies:
    """The strategies above, for tests (which draw from them with ``st.data()``)."""
    return Strategies(datasets, filters, st.sampled_from(ZONES), st.sampled_from(NOWS))
