"""Keyset pages: walking every page of any sort (nullable columns, descending, ties) visits each
record exactly once, in the order of one ORDER BY query — and that order is Python's order
(code points for text, NULL last ascending and first descending, id as the tiebreaker)."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from accord.query import build_list_query, parse_sort, split_page
from accord.query.sort import Sort

SORTABLE = [
    "name",
    "amount",
    "amount.currency",
    "qty",
    "rate",
    "close_date",
    "seen_at",
    "at",
    "won",
    "stage",
    "account",
    "owner_id",
    "created_at",
    "updated_at",
    "version",
]


def python_order(rows: list[dict[str, Any]], sort: Sort) -> list[str]:
    out = sorted(rows, key=lambda r: str(r["id"]))
    for key in reversed(sort.keys):
        # NULL greatest: last ascending, first descending.
        out.sort(
            key=lambda r, c=key.column: (r[c] is None, r[c] if r[c] is not None else 0),
            reverse=key.descending,
        )
    return [str(r["id"]) for r in out]


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_pages_visit_every_record_once_in_order(
    query_db: Any, query_strategies: Any, data: st.DataObject
) -> None:
    # Given stored deals and a random sort
    dataset = data.draw(query_strategies.datasets(), label="dataset")
    fields = data.draw(st.lists(st.sampled_from(SORTABLE), unique=True, max_size=3))
    items = [f"{'-' if data.draw(st.booleans()) else ''}{f}" for f in fields]
    if data.draw(st.booleans()):
        items.append("-id" if data.draw(st.booleans()) else "id")
    spec = ",".join(items)
    page_size = data.draw(st.integers(1, 4), label="page size")
    reg = query_db.reg
    sort = parse_sort(spec, reg, "deal")
    with query_db.engine.connect() as conn, conn.begin() as tx:
        query_db.insert(conn, dataset)
        # When paging through with cursors
        seen: list[str] = []
        cursor = None
        for _ in range(100):
            q = build_list_query(reg, "deal", sort=sort, cursor=cursor, limit=page_size)
            rows, cursor = split_page(conn.execute(q).all(), sort, page_size)
            seen += [str(r.id) for r in rows]
            if cursor is None:
                break
        # Then the pages are the single query's order, which is Python's order
        single = build_list_query(reg, "deal", sort=sort, limit=500)
        all_rows = conn.execute(single).mappings().all()
        assert seen == [str(r["id"]) for r in all_rows], spec
        assert len(set(seen)) == len(dataset["deals"])
        table = reg.table("deal")
        stored = [dict(r) for r in conn.execute(select(table)).mappings()]
        assert seen == python_order(stored, sort), (spec, query_db.dialect)
        tx.rollback()
