"""Compiled list pages (records/page_plans.py): reused across the pages of one list, never
across lists that differ in anything but the cursor, and never for filters that move with the
clock."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from accord.core.clock import FixedClock
from accord.core.context import Context, Runtime
from accord.db.engine import unit_of_work
from accord.meta.registry import load
from accord.records import service as records
from accord.records.codec import codec


def _pages(ctx: Context, obj: str, **kw: Any) -> list[list[dict[str, Any]]]:
    out, cursor = [], None
    while True:
        page = records.list_records(ctx, obj, cursor=cursor, as_json=True, **kw)
        out.append(page.data)
        if page.next_cursor is None:
            return out
        cursor = page.next_cursor


def _named(name: str) -> dict[str, Any]:
    return {"field": "name", "op": "eq", "value": name}


def _plan_count(ctx: Context, obj: str) -> int:
    return len(codec(load(ctx), obj).plans.get("pages", {}))


def test_paging_reuses_one_plan_and_matches_the_whole_sorted_list(
    ctx: Context, unique: str
) -> None:
    # Given 11 customers, some without an industry (a nullable sort key: NULLs sort last)
    for i in range(11):
        industry = None if i % 3 == 0 else ("it", "finance", "manufacturing")[i % 3]
        records.create(ctx, "customer", {"name": f"plan {unique} {i:02}", "industry": industry})
    flt = {"field": "name", "op": "starts_with", "value": f"plan {unique}"}
    whole = records.list_records(ctx, "customer", filter=flt, sort="industry,name", limit=50)
    before = _plan_count(ctx, "customer")
    # When the list is read 3 rows at a time, twice
    first = _pages(ctx, "customer", filter=flt, sort="industry,name", limit=3)
    second = _pages(ctx, "customer", filter=flt, sort="industry,name", limit=3)
    # Then the pages join up to the whole list, in order, without gaps or repeats
    names = [r["name"] for page in first for r in page]
    assert names == [r["name"] for r in whole.data] and len(names) == 11
    assert second == first
    # And one plan serves page 1, one serves the pages after a non-null industry and one those
    # after a null industry: three, however often the list is read
    assert _plan_count(ctx, "customer") - before == 3


def test_a_different_filter_value_is_a_different_plan(ctx: Context, unique: str) -> None:
    for name in ("alpha", "beta"):
        records.create(ctx, "customer", {"name": f"{name} {unique}"})
    a = records.list_records(ctx, "customer", filter=_named(f"alpha {unique}"))
    b = records.list_records(ctx, "customer", filter=_named(f"beta {unique}"))
    assert [r["name"] for r in a.data] == [f"alpha {unique}"]
    assert [r["name"] for r in b.data] == [f"beta {unique}"]


def test_relative_date_filters_follow_the_clock(runtime: Runtime, unique: str) -> None:
    clock = FixedClock()
    rt = replace(runtime, clock=clock)
    with unit_of_work(rt.engine) as conn:
        ctx = Context(runtime=rt, conn=conn)
        made = records.create(ctx, "customer", {"name": f"recent {unique}"})
    flt = {
        "and": [
            {"field": "name", "op": "eq", "value": f"recent {unique}"},
            {"field": "created_at", "op": "in_last", "value": 2},
        ]
    }
    with unit_of_work(rt.engine, readonly=True) as conn:
        ctx = Context(runtime=rt, conn=conn)
        assert [r["id"] for r in records.list_records(ctx, "customer", filter=flt).data] == [
            made["id"]
        ]
        clock.advance(days=5)
        assert records.list_records(ctx, "customer", filter=flt).data == []


def test_me_means_the_acting_user_in_each_request(ctx: Context, unique: str) -> None:
    from accord.auth import org, roles
    from accord.auth.service import actor_for, find_user

    users = [org.create_user(ctx, {"login": f"me.{k}.{unique}"}) for k in ("a", "b")]
    for u in users:  # both see every customer: only "$me" tells their lists apart
        roles.set_user_roles(ctx, u["id"], ["sales_director"])
    for u in users:
        records.create(ctx, "customer", {"name": f"mine {unique}", "owner_id": u["id"]})
    flt = {"and": [_named(f"mine {unique}"), {"field": "owner_id", "op": "eq", "value": "$me"}]}
    for u in users:
        as_user = ctx.as_actor(actor_for(find_user(ctx.conn, u["login"])))  # type: ignore[arg-type]
        data = records.list_records(as_user, "customer", filter=flt, as_json=True).data
        assert [r["owner_id"] for r in data] == [u["id"]]
