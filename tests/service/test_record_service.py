"""The record service: validation, defaults, auto-numbers, history, locking, outbox, rollups."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select

from accord.core.context import Context
from accord.core.errors import Invalid, NotFound, PreconditionFailed
from accord.db import tables as t
from accord.meta import service as meta
from accord.records import service as records


@pytest.fixture
def customer(ctx: Context, unique: str) -> dict:
    return records.create(
        ctx, "customer", {"name": f"上海测试科技有限公司 {unique}", "industry": "manufacturing"}
    )


def test_create_reports_every_invalid_field_at_once(ctx: Context) -> None:
    with pytest.raises(Invalid) as err:
        records.create(ctx, "opportunity", {"amount": "abc", "stage": "nope", "bogus": 1})
    by_field = {e.field: e.code for e in err.value.errors}
    assert by_field["amount"].startswith("INVALID")
    assert by_field["stage"] == "INVALID_CHOICE"
    assert by_field["bogus"] == "UNKNOWN_FIELD"


def test_required_and_lookup_existence_are_checked(ctx: Context) -> None:
    with pytest.raises(Invalid) as err:
        records.create(
            ctx, "contact", {"name": "王五", "customer": "01890000-0000-7000-8000-000000000000"}
        )
    codes = {(e.field, e.code) for e in err.value.errors}
    assert ("customer", "REFERENCE_NOT_FOUND") in codes


def test_auto_number_is_assigned_in_sequence(ctx: Context, customer: dict) -> None:
    a = records.create(
        ctx,
        "contract",
        {"name": "A", "customer": customer["id"], "amount": {"amount": "1000", "currency": "CNY"}},
    )
    b = records.create(
        ctx,
        "contract",
        {"name": "B", "customer": customer["id"], "amount": {"amount": "2000", "currency": "CNY"}},
    )
    assert a["contract_no"].startswith("HT-")
    assert int(b["contract_no"].rsplit("-", 1)[1]) == int(a["contract_no"].rsplit("-", 1)[1]) + 1


def test_stale_version_update_is_refused_and_nothing_changes(ctx: Context, customer: dict) -> None:
    updated = records.update(
        ctx, "customer", customer["id"], {"website": "example.com"}, version=customer["version"]
    )
    assert updated["version"] == customer["version"] + 1
    with pytest.raises(PreconditionFailed):
        records.update(
            ctx,
            "customer",
            customer["id"],
            {"website": "evil.example"},
            version=customer["version"],
        )
    assert records.get(ctx, "customer", customer["id"])["website"] == updated["website"]


def test_update_writes_field_history_and_an_outbox_event(ctx: Context, customer: dict) -> None:
    records.update(
        ctx, "customer", customer["id"], {"industry": "finance"}, version=customer["version"]
    )
    rows, _ = records.history(ctx, "customer", customer["id"])
    assert rows[0]["field_name"] == "industry"
    assert (rows[0]["old_value"], rows[0]["new_value"]) == ("manufacturing", "finance")
    events = (
        ctx.conn.execute(
            select(t.outbox.c.kind)
            .where(t.outbox.c.record_id == customer["id"])
            .order_by(t.outbox.c.id)
        )
        .scalars()
        .all()
    )
    assert events == ["created", "updated"]


def test_soft_delete_hides_and_restore_brings_back(ctx: Context, customer: dict) -> None:
    records.delete(ctx, "customer", customer["id"])
    with pytest.raises(NotFound):
        records.get(ctx, "customer", customer["id"])
    restored = records.restore(ctx, "customer", customer["id"])
    assert restored["name"] == customer["name"]


def test_rollup_stays_correct_when_children_change(ctx: Context, customer: dict) -> None:
    def opp(amount: str, stage: str) -> dict:
        return records.create(
            ctx,
            "opportunity",
            {
                "name": f"deal {amount}",
                "customer": customer["id"],
                "stage": stage,
                "amount": {"amount": amount, "currency": "CNY"},
                "close_date": "2030-06-30",
            },
        )

    opp("100.00", "won")
    b = opp("250.50", "won")
    opp("999.00", "proposal")
    got = records.get(ctx, "customer", customer["id"])
    assert got["opportunity_count"] == 3
    assert Decimal(got["total_won_amount"]) == Decimal("350.50")
    records.update(
        ctx, "opportunity", b["id"], {"stage": "lost", "lost_reason": "price"}, version=b["version"]
    )
    assert Decimal(records.get(ctx, "customer", customer["id"])["total_won_amount"]) == Decimal(
        "100.00"
    )
    records.delete(ctx, "opportunity", b["id"])
    assert records.get(ctx, "customer", customer["id"])["opportunity_count"] == 2


def test_formula_is_computed_on_write(ctx: Context, customer: dict) -> None:
    o = records.create(
        ctx,
        "opportunity",
        {
            "name": "formula",
            "customer": customer["id"],
            "stage": "proposal",
            "amount": {"amount": "1000", "currency": "CNY"},
            "probability": "40",
            "close_date": "2026-06-30",
        },
    )
    assert o["expected_revenue"] is not None


def test_bulk_create_reports_per_row_results(ctx: Context, unique: str) -> None:
    rows = [{"name": f"bulk {unique} {i}"} for i in range(5)] + [{"name": None}, {"nope": 1}]
    results = records.bulk(ctx, "customer", rows)
    assert [r.status for r in results] == ["created"] * 5 + ["error", "error"]
    assert results[5].errors[0].code == "REQUIRED"


def test_bulk_upsert_by_unique_key_updates_existing(ctx: Context, unique: str) -> None:
    code = f"P-{unique.upper()}"
    base = {"product_code": code, "product_line": "hardware", "list_price": "99.00"}
    first = records.bulk(
        ctx, "product", [{"name": "Widget", **base}], mode="upsert", key="product_code"
    )
    second = records.bulk(
        ctx,
        "product",
        [{"name": "Widget Pro", "product_code": code}],
        mode="upsert",
        key="product_code",
    )
    assert (first[0].status, second[0].status) == ("created", "updated")
    assert records.get(ctx, "product", first[0].id)["name"] == "Widget Pro"


def test_custom_object_lifecycle(ctx: Context, unique: str) -> None:
    name = f"asset_{unique}"
    meta.create_object(
        ctx,
        {
            "name": name,
            "label": {"en": "Asset", "zh": "资产"},
            "plural_label": {"en": "Assets", "zh": "资产"},
            "fields": [
                {
                    "name": "name",
                    "type": "text",
                    "required": True,
                    "label": {"en": "Name", "zh": "名称"},
                }
            ],
        },
    )
    rec = records.create(ctx, name, {"name": "laptop"})
    assert records.get(ctx, name, rec["id"])["name"] == "laptop"


def test_bulk_upsert_mixes_creates_updates_and_errors(ctx: Context, unique: str) -> None:
    code = unique.upper()
    base = {"product_line": "software", "list_price": "10"}
    records.bulk(ctx, "product", [{"name": "old", "product_code": f"A-{code}", **base}])
    results = records.bulk(
        ctx,
        "product",
        [
            {"name": "renamed", "product_code": f"A-{code}"},
            {"name": "new", "product_code": f"B-{code}", **base},
            {"name": "dup", "product_code": f"B-{code}", **base},
            {"name": "no key"},
            {"name": "bad price", "product_code": f"C-{code}", **base, "list_price": "x"},
        ],
        mode="upsert",
        key="product_code",
    )
    assert [r.status for r in results] == ["updated", "created", "error", "error", "error"]
    assert results[2].errors[0].code == "DUPLICATE_IN_BATCH"
    assert records.get(ctx, "product", results[0].id)["name"] == "renamed"


def test_formula_over_a_rollup_follows_the_children(ctx: Context, customer: dict) -> None:
    quote = records.create(ctx, "quote", {"name": "Q", "customer": customer["id"]})
    product = records.bulk(
        ctx,
        "product",
        [
            {
                "name": "P",
                "product_code": f"Q-{quote['id'][-6:].upper()}",
                "product_line": "software",
                "list_price": "100",
            }
        ],
    )[0]
    records.create(
        ctx,
        "quote_line",
        {"quote": quote["id"], "product": product.id, "quantity": "2", "unit_price": "100"},
    )
    got = records.get(ctx, "quote", quote["id"])
    assert Decimal(str(got["subtotal"])) == Decimal("200.00")
    assert got["total"] is not None


def test_large_batches_take_the_fast_path_with_the_same_results(ctx: Context, unique: str) -> None:
    rows = [
        {
            "name": f"fast {unique} {i}",
            "phone": "138 0013 8000",
            "annual_revenue": "1.50",
            "tags": ["a", "b"],
        }
        for i in range(60)
    ]
    results = records.bulk(ctx, "customer", rows)
    assert all(r.status == "created" for r in results)
    got = records.get(ctx, "customer", results[59].id)
    assert got["phone"] == "+8613800138000"
    assert got["annual_revenue"]["amount"] == Decimal("1.50")
    assert got["tags"] == ["a", "b"]
    # One "created" event per record, in the batch's order (made set-based from the ids)
    events = ctx.conn.execute(
        select(t.outbox.c.record_id, t.outbox.c.kind, t.outbox.c.actor_id, t.outbox.c.payload)
        .where(t.outbox.c.record_id.in_([r.id for r in results]))
        .order_by(t.outbox.c.id)
    ).all()
    assert [str(e.record_id) for e in events] == [r.id for r in results]
    assert {(e.kind, str(e.actor_id)) for e in events} == {("created", ctx.actor.id)}
    fields = {tuple(e.payload["fields"]) for e in events}  # given, defaulted and numbered
    assert len(fields) == 1 and {"name", "phone", "tags", "customer_no"} <= set(next(iter(fields)))
