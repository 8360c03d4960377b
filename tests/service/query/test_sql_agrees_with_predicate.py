"""The filter language's central promise: for every filter and every stored record, the SQL
compiled by ``compile_sql`` selects exactly the records ``compile_predicate`` accepts — on SQLite
and on PostgreSQL, with joins or with correlated subqueries."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from accord.core.errors import Invalid
from accord.query import (
    apply_filter,
    compile_predicate,
    compile_sql,
    parse_filter,
    record_resolver,
)


def _ids_by_predicate(checked: Any, recs: Any, *, actor: Any, now: Any, tz: str) -> set[str]:
    accounts, deals = recs
    pred = compile_predicate(checked, actor=actor, now=now, tz=tz)

    def fetch(obj: str, rid: str) -> Any:
        assert obj == "account"
        return accounts.get(rid)

    return {rid for rid, rec in deals.items() if pred(record_resolver(checked, rec, fetch))}


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_sql_selects_exactly_the_records_the_predicate_accepts(
    query_db: Any, query_strategies: Any, data: st.DataObject
) -> None:
    # Given stored accounts and deals with nulls, empty values, odd text and boundary dates
    dataset = data.draw(query_strategies.datasets(), label="dataset")
    filters = data.draw(
        st.lists(query_strategies.filters(query_db.paths), min_size=6, max_size=10), label="filters"
    )
    now = data.draw(query_strategies.nows, label="now")
    tz = data.draw(query_strategies.zones, label="tz")
    reg, deal, me = query_db.reg, query_db.reg.table("deal"), query_db.actor
    with query_db.engine.connect() as conn, conn.begin() as tx:
        query_db.insert(conn, dataset)
        recs = query_db.canonical(conn)

        def check(raw: Any, *, thorough: bool) -> None:
            try:
                checked = parse_filter(raw, reg, "deal")
            except Invalid:
                return  # e.g. an integer beyond 64 bits: refused, nothing to compare
            # When the filter runs as SQL and as a Python predicate
            expected = _ids_by_predicate(checked, recs, actor=me, now=now, tz=tz)
            joined = compile_sql(checked, reg, actor=me, now=now, tz=tz)
            by_join = {str(r[0]) for r in conn.execute(apply_filter(select(deal.c.id), joined))}
            # Then they select the same records
            assert by_join == expected, (raw, query_db.dialect)
            if not thorough:
                return
            # … also as a standalone clause (correlated subqueries instead of joins)
            alone = compile_sql(checked, reg, actor=me, now=now, tz=tz, joins=False)
            by_sub = {str(r[0]) for r in conn.execute(select(deal.c.id).where(alone.clause))}
            assert by_sub == expected, (raw, query_db.dialect)
            # … and NOT of the filter selects exactly the complement (two-valued logic)
            neg = compile_sql(
                parse_filter({"not": raw}, reg, "deal"), reg, actor=me, now=now, tz=tz
            )
            by_neg = {str(r[0]) for r in conn.execute(apply_filter(select(deal.c.id), neg))}
            assert by_neg == set(recs[1]) - expected, (raw, query_db.dialect)

        for raw in filters:
            check(raw, thorough=True)
            for leaf in _leaves(raw):  # each condition alone: nothing masks a disagreement
                check(leaf, thorough=False)
        tx.rollback()


def _leaves(raw: Any) -> list[Any]:
    if "field" in raw:
        return [raw]
    if "not" in raw:
        return _leaves(raw["not"])
    return [leaf for item in next(iter(raw.values())) for leaf in _leaves(item)]
