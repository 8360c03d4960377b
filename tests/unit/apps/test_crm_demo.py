"""The demo data generator: deterministic, consistent, valid against the definitions."""

from __future__ import annotations

import itertools
import re
from collections import Counter, defaultdict
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import phonenumbers
import pytest

from accord.apps.crm import catalog, regions
from accord.apps.crm.demo import (
    BATCH_SIZE,
    ORDER,
    USCC_CHARS,
    USCC_WEIGHTS,
    DemoSize,
    estimate_counts,
    generate,
)

TODAY = date(2026, 1, 15)
START = date(2024, 7, 15)  # 18 months before TODAY
OWNERS = ["0190a000-0000-7000-8000-000000000001", "0190a000-0000-7000-8000-000000000002"]
SIZE = DemoSize(scale=0.05)
MONEY = re.compile(r"^\d+\.\d{2}$")
DECIMAL = re.compile(r"^\d+(\.\d+)?$")
USCC = re.compile(r"^[0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{10}$")
PAST_EVENTS = {
    "occurred_at", "converted_at", "received_date", "sign_date", "issue_date", "resolved_at",
    "closed_at", "first_response_at", "completed_at", "responded_at", "last_activity_at",
    "returned_to_pool_at", "claimed_at", "stage_changed_at", "erp_synced_at", "quote_date",
    "order_date",
}  # fmt: skip
Rows = dict[str, list[dict[str, Any]]]


def counter_ids():
    counter = itertools.count(1)
    return lambda: f"00000000-0000-7000-8000-{next(counter):012d}"


def collect(batches) -> tuple[Rows, list[str]]:
    rows: Rows = defaultdict(list)
    sequence = []
    for name, batch in batches:
        assert 0 < len(batch) <= BATCH_SIZE
        rows[name].extend(batch)
        sequence.append(name)
    return rows, sequence


@pytest.fixture(scope="module")
def generated() -> tuple[Rows, list[str]]:
    return collect(generate(SIZE, owners=OWNERS, today=TODAY, seed=7, id_factory=counter_ids()))


@pytest.fixture(scope="module")
def rows(generated: tuple[Rows, list[str]]) -> Rows:
    return generated[0]


def by_id(rows: Rows, name: str) -> dict[str, dict[str, Any]]:
    return {r["id"]: r for r in rows[name]}


def amount(value: dict[str, str]) -> Decimal:
    return Decimal(value["amount"])


def test_deterministic_for_a_seed(rows: Rows) -> None:
    again, _ = collect(generate(SIZE, owners=OWNERS, today=TODAY, seed=7, id_factory=counter_ids()))
    assert again == rows
    other, _ = collect(generate(SIZE, owners=OWNERS, today=TODAY, seed=8, id_factory=counter_ids()))
    assert other != rows


def test_default_ids_are_uuid7_and_do_not_change_the_data(rows: Rows) -> None:
    real, _ = collect(generate(SIZE, owners=OWNERS, today=TODAY, seed=7))
    mapping: dict[str, str] = {}
    for name in ORDER:
        for a, b in zip(rows[name], real[name], strict=True):
            mapping[b["id"]] = a["id"]
            assert re.fullmatch(
                r"[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-\w{12}", b["id"]
            )
    for name in ORDER:
        for a, b in zip(rows[name], real[name], strict=True):
            translated = {k: mapping.get(v, v) if isinstance(v, str) else v for k, v in b.items()}
            assert translated == a


def test_objects_come_in_dependency_order(generated: tuple[Rows, list[str]]) -> None:
    _, sequence = generated
    names = [name for name, _ in itertools.groupby(sequence)]
    assert names == [n for n in ORDER if n in names]
    assert len(names) == len(set(names))  # each object in one run of batches
    assert list(ORDER) == catalog.object_names()


def test_rows_only_carry_writable_fields(rows: Rows) -> None:
    for name, items in rows.items():
        obj = catalog.get(name)
        allowed = set(catalog.writable_fields(name)) | {"id", "created_at"}
        if obj.ownable:
            allowed.add("owner_id")
        for row in items:
            extra = set(row) - allowed
            assert not extra, f"{name}: {extra}"
            assert "id" in row and "created_at" in row
            if obj.ownable:
                assert row["owner_id"] in OWNERS or row["owner_id"] is None
            for f in obj.fields:
                if f.required and f.type not in catalog.COMPUTED_TYPES and f.default is None:
                    assert row.get(f.name) not in (None, ""), f"{name}.{f.name} missing"


def test_referential_integrity(rows: Rows) -> None:
    seen: dict[str, set[str]] = defaultdict(set)
    for name in ORDER:
        targets = catalog.reference_targets(name)
        for row in rows[name]:
            for field, target in targets.items():
                value = row.get(field)
                if value is not None:
                    assert value in seen[target], f"{name}.{field} → {target} {value}"
            if row.get("related_id"):
                assert row["related_id"] in seen[row["related_object"]]
            seen[name].add(row["id"])
    all_ids = [i for ids in seen.values() for i in ids]
    assert len(all_ids) == len(set(all_ids))


def test_values_match_field_types(rows: Rows) -> None:
    for name, items in rows.items():
        obj = catalog.get(name)
        for row in items:
            for key, value in row.items():
                f = obj.field(key)
                if f is None or value is None:
                    continue
                where = f"{name}.{key}={value!r}"
                if f.type == "select":
                    assert value in catalog.choice_values(name, key), where
                elif f.type == "currency":
                    assert MONEY.match(value["amount"]) and value["currency"] in ("CNY", "USD")
                elif f.type in ("decimal", "percent"):
                    assert isinstance(value, str) and DECIMAL.match(value), where
                elif f.type in ("integer", "rating"):
                    assert isinstance(value, int) and not isinstance(value, bool), where
                elif f.type == "boolean":
                    assert isinstance(value, bool), where
                elif f.type == "tags":
                    assert isinstance(value, list) and all(isinstance(t, str) for t in value)
                elif f.type == "email":
                    assert re.fullmatch(r"[\w.+-]+@[\w-]+(\.[\w-]+)+", value), where
                elif f.type == "url":
                    assert value.startswith("https://"), where
                elif f.type in ("text", "long_text"):
                    assert isinstance(value, str) and value.strip(), where
                    if "max_length" in f.options:
                        assert len(value) <= f.options["max_length"], where
                elif f.type in ("date", "datetime", "lookup", "master_detail", "user"):
                    assert isinstance(value, str), where


def test_phones_are_valid_e164(rows: Rows) -> None:
    checked = 0
    for name, items in rows.items():
        phone_fields = [f.name for f in catalog.get(name).fields if f.type == "phone"]
        for row in items:
            for field in phone_fields:
                if row.get(field):
                    number = phonenumbers.parse(row[field], None)
                    assert phonenumbers.is_valid_number(number), f"{name}.{field} {row[field]}"
                    assert row[field] == phonenumbers.format_number(
                        number, phonenumbers.PhoneNumberFormat.E164
                    )
                    checked += 1
    assert checked > 500


def test_addresses_use_real_divisions(rows: Rows) -> None:
    checked = 0
    for name, items in rows.items():
        address_fields = [f.name for f in catalog.get(name).fields if f.type == "address"]
        for row in items:
            for field in address_fields:
                addr = row.get(field)
                if not addr:
                    continue
                assert addr["country"] in ("CN", "SG")
                if addr["country"] == "CN":
                    assert regions.is_known_address(
                        addr["province"], addr["city"], addr["district"]
                    ), addr
                    checked += 1
    assert checked > 100
    for c in rows["customer"]:
        addr = c["address"]
        if addr["country"] == "CN":
            assert regions.region_of(addr["province"]) == c["region"]
        else:
            assert c["region"] == "overseas"


def _parse(value: str) -> datetime:
    if "T" in value:
        moment = datetime.fromisoformat(value)
        assert moment.utcoffset() == timedelta(0)
        return moment
    return datetime.combine(date.fromisoformat(value), datetime.min.time(), UTC)


def test_dates_within_the_18_months(rows: Rows) -> None:
    lo = datetime.combine(START, datetime.min.time(), UTC)
    now = datetime.combine(TODAY, datetime.min.time(), UTC)
    horizon = now + timedelta(days=4 * 366)
    for name, items in rows.items():
        obj = catalog.get(name)
        kinds = {f.name for f in obj.fields if f.type in ("date", "datetime")}
        for row in items:
            created = _parse(row["created_at"])
            assert lo - timedelta(days=31) <= created <= now, f"{name} {row['created_at']}"
            if name not in ("product", "price_book", "price_book_entry"):
                assert created >= lo, f"{name} {row['created_at']}"
            for key in kinds & row.keys():
                if key == "birthday":
                    continue
                moment = _parse(row[key])
                assert lo - timedelta(days=31) <= moment <= horizon, f"{name}.{key}={row[key]}"
                if key in PAST_EVENTS:
                    assert moment <= now + timedelta(days=1), f"{name}.{key}={row[key]}"


def test_campaign_dates_and_statuses(rows: Rows) -> None:
    for c in rows["campaign"]:
        start, end = date.fromisoformat(c["start_date"]), date.fromisoformat(c["end_date"])
        assert start <= end
        expected = "completed" if end < TODAY else "active" if start <= TODAY else "planned"
        assert c["status"] == expected
    assert len({c["utm_campaign"] for c in rows["campaign"]}) == len(rows["campaign"])


def test_funnel_is_realistic(rows: Rows) -> None:
    stages = Counter(o["stage"] for o in rows["opportunity"])
    total = sum(stages.values())
    assert 0.15 <= stages["won"] / total <= 0.35
    assert 0.2 <= stages["lost"] / total <= 0.4
    assert stages["initial_contact"] + stages["needs_analysis"] > stages["contract_review"]
    for o in rows["opportunity"]:
        if o["stage"] == "lost":
            assert o.get("lost_reason")
        if o["stage"] == "won":
            assert date.fromisoformat(o["close_date"]) >= _parse(o["created_at"]).date()
            assert o["probability"] == "100"


def _line_amount(line: dict[str, Any]) -> Decimal:
    value = (
        Decimal(line["quantity"])
        * amount(line["unit_price"])
        * (1 - Decimal(line.get("discount") or 0) / 100)
    )
    return value.quantize(Decimal("0.01"), ROUND_HALF_UP)


def test_amounts_are_consistent(rows: Rows) -> None:
    opps = by_id(rows, "opportunity")
    quotes = by_id(rows, "quote")
    lines: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for line in rows["quote_line"]:
        lines[line["quote"]].append(line)
    for q in quotes.values():
        subtotal = sum((_line_amount(ln) for ln in lines[q["id"]]), Decimal(0))
        total = (
            subtotal * (1 - Decimal(q["discount_rate"]) / 100) * (1 + Decimal(q["tax_rate"]) / 100)
        ).quantize(Decimal("0.01"), ROUND_HALF_UP)
        opp = opps[q["opportunity"]]
        assert opp["amount"]["amount"] == str(total)
        assert all(
            ln["unit_price"]["currency"] == opp["amount"]["currency"] for ln in lines[q["id"]]
        )
    plans_by_contract: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for p in rows["payment_plan"]:
        plans_by_contract[p["contract"]].append(p)
    paid_by_contract: dict[str, Decimal] = defaultdict(Decimal)
    paid_by_plan: dict[str, Decimal] = defaultdict(Decimal)
    for pay in rows["payment"]:
        paid_by_contract[pay["contract"]] += amount(pay["amount"])
        paid_by_plan[pay["payment_plan"]] += amount(pay["amount"])
    for c in rows["contract"]:
        opp = opps[c["opportunity"]]
        assert c["amount"] == opp["amount"]
        if c["status"] in ("signed", "executing", "completed", "expired"):
            assert opp["stage"] == "won"
            assert c["sign_date"] and c["start_date"] <= c["end_date"]
            plans = plans_by_contract[c["id"]]
            assert sum(amount(p["planned_amount"]) for p in plans) == amount(c["amount"])
        assert paid_by_contract[c["id"]] <= amount(c["amount"])
    for p in rows["payment_plan"]:
        paid = paid_by_plan[p["id"]]
        planned = amount(p["planned_amount"])
        assert paid <= planned
        expected = (
            "paid"
            if paid == planned
            else "partially_paid"
            if paid
            else "overdue"
            if date.fromisoformat(p["planned_date"]) < TODAY
            else "pending"
        )
        assert p["status"] == expected
    statuses = Counter(p["status"] for p in rows["payment_plan"])
    assert statuses["overdue"] > 0 and statuses["paid"] > 0
    won = [o for o in opps.values() if o["stage"] == "won"]
    assert len({c["opportunity"] for c in rows["contract"]} & {o["id"] for o in won}) == len(won)


def test_invoices_and_orders(rows: Rows) -> None:
    numbers = [i["invoice_no"] for i in rows["invoice"] if i.get("invoice_no")]
    assert len(numbers) == len(set(numbers))
    for inv in rows["invoice"]:
        if inv["status"] in ("issued", "sent"):
            assert inv.get("invoice_no") and inv.get("issue_date")
        assert amount(inv["tax_amount"]) <= amount(inv["amount"])
    refs = [o["erp_ref"] for o in rows["order"] if o.get("erp_ref")]
    assert len(refs) == len(set(refs))
    for o in rows["order"]:
        assert o["delivery_date"] >= o["order_date"]


def test_leads_channels_and_conversion(rows: Rows) -> None:
    leads = rows["lead"]
    sources = Counter(lead["source"] for lead in leads)
    assert len(sources) >= 8
    assert any(lead.get("utm_campaign") for lead in leads)
    assert any(lead.get("campaign") for lead in leads)
    campaigns = by_id(rows, "campaign")
    opps = by_id(rows, "opportunity")
    for lead in leads:
        if lead.get("campaign") and lead.get("utm_campaign"):
            assert lead["utm_campaign"] == campaigns[lead["campaign"]]["utm_campaign"]
        if lead["status"] == "unqualified":
            assert lead.get("unqualified_reason")
        if lead["status"] == "qualified":
            opp = opps[lead["converted_opportunity"]]
            assert opp["customer"] == lead["converted_customer"]
            assert lead["created_at"] <= lead["converted_at"]
        assert lead.get("mobile") or lead.get("email") or lead.get("phone") or lead.get("wechat")
    for member in rows["campaign_member"]:
        assert member.get("lead") or member.get("contact")


def test_customers(rows: Rows) -> None:
    customers = rows["customer"]
    english = sum(1 for c in customers if c["name"].isascii())
    assert 0.1 <= english / len(customers) <= 0.3
    codes = [
        c["unified_social_credit_code"] for c in customers if "unified_social_credit_code" in c
    ]
    assert len(codes) == len(set(codes)) and len(codes) > len(customers) / 2
    for code in codes:
        assert USCC.match(code)
        total = sum(USCC_CHARS.index(ch) * w for ch, w in zip(code, USCC_WEIGHTS, strict=False))
        assert USCC_CHARS[(31 - total % 31) % 31] == code[-1]
    contacts = Counter(c["customer"] for c in rows["contact"])
    assert all(1 <= contacts[c["id"]] <= 4 for c in customers)
    activities = Counter(a["opportunity"] for a in rows["activity"] if a.get("opportunity"))
    assert all(1 <= activities[o["id"]] <= 8 for o in rows["opportunity"])
    currencies = {o["amount"]["currency"] for o in rows["opportunity"]}
    assert currencies == {"CNY", "USD"}


def test_sizes() -> None:
    full = estimate_counts(DemoSize())
    assert full["customer"] >= 2000 and full["lead"] >= 10_000
    assert full["opportunity"] >= 3000 and full["ticket"] >= 1500
    assert full["campaign"] == 20 and full["product"] == 40
    assert full["contact"] >= 2000 and full["activity"] >= 3000
    assert set(full) == set(ORDER)


def test_estimates_are_close(rows: Rows) -> None:
    estimate = estimate_counts(SIZE)
    for name in ORDER:
        actual = len(rows[name])
        if estimate[name] >= 100:
            assert 0.6 * estimate[name] <= actual <= 1.5 * estimate[name], name


def test_needs_owners() -> None:
    with pytest.raises(ValueError, match="owner"):
        next(generate(SIZE, owners=[], today=TODAY))


@pytest.mark.slow
def test_full_size() -> None:
    counts: Counter[str] = Counter()
    for name, batch in generate(DemoSize(), owners=OWNERS, today=TODAY, seed=3):
        counts[name] += len(batch)
    assert counts["customer"] >= 2000 and counts["lead"] >= 10_000
    assert counts["opportunity"] >= 3000 and counts["ticket"] >= 1500
    assert 2000 <= counts["contact"] <= 8000
    estimate = estimate_counts(DemoSize())
    for name in ORDER:
        assert 0.75 * estimate[name] <= counts[name] <= 1.3 * estimate[name], name


def test_field_types_accept_every_generated_value(rows: Rows) -> None:
    from accord.meta.fieldtypes.registry import get_type

    for name, items in rows.items():
        obj = catalog.get(name)
        for row in items:
            for key, value in row.items():
                f = obj.field(key)
                if f is not None:
                    get_type(f.type).coerce(value, f)  # raises FieldValueError when refused
