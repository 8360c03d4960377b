"""Demo data for the built-in CRM objects: pure generation, no database.

``generate`` yields ``(object_name, rows)`` batches in dependency order (every lookup points at
a row yielded earlier), deterministic for a seed and an ``id_factory``. Rows carry explicit
``id``s, ``created_at`` and, on ownable objects, ``owner_id``; computed fields (auto-numbers,
formulas, rollups) are left to the record service. Money is ``{"amount": "128000.00",
"currency": "CNY"}``; decimals and percents are decimal strings; dates ISO ``YYYY-MM-DD``;
datetimes ISO 8601 in UTC.

The story: a Chinese vendor of CRM software, hardware and services, 18 months of history up to
``today``. About 80 % of customers and people are Chinese, 20 % international (foreign-invested
companies in China, Hong Kong, Singapore). Leads arrive from every channel with UTM values and
campaigns; some became customers and opportunities. The funnel is realistic: many early-stage
deals, about a quarter won and 30 % lost; won deals have quotes, contracts with the same amount,
payment plans with payments (some overdue), invoices and sometimes orders pushed to the ERP.

The generator is one object whose parts live in modules by concept: ``base`` (state, clock,
random source, value formats), ``people``, ``companies``, ``sales`` (catalogue, opportunities),
``marketing`` (campaigns, leads, members), ``finance`` (quotes to invoices and orders),
``activities`` (activities, tasks), ``service`` (tickets) and ``text`` (word lists). Every part
draws from the one random source, so ``Generator.build`` fixes the order of the steps.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from accord.apps.crm.demo import text as T
from accord.apps.crm.demo.activities import Activities
from accord.apps.crm.demo.base import BATCH_SIZE, ORDER, GeneratorBase, money
from accord.apps.crm.demo.companies import USCC_CHARS, USCC_WEIGHTS, Companies, uscc
from accord.apps.crm.demo.finance import Finance
from accord.apps.crm.demo.marketing import Marketing
from accord.apps.crm.demo.people import People
from accord.apps.crm.demo.sales import Sales
from accord.apps.crm.demo.service import Service
from accord.core.ids import new_id

__all__ = [
    "BATCH_SIZE",
    "ORDER",
    "USCC_CHARS",
    "USCC_WEIGHTS",
    "DemoSize",
    "estimate_counts",
    "generate",
    "money",
    "uscc",
]


@dataclass(frozen=True)
class DemoSize:
    """How much to generate. ``scale`` multiplies the full-size counts (1.0 = full)."""

    scale: float = 1.0
    customers: int = 2000
    leads: int = 10_000
    opportunities: int = 3000
    tickets: int = 1500
    campaigns: int = 20

    def count(self, base: int, minimum: int = 1) -> int:
        return max(minimum, round(base * self.scale))

    @property
    def n_customers(self) -> int:
        return self.count(self.customers, 10)

    @property
    def n_leads(self) -> int:
        return self.count(self.leads, 20)

    @property
    def n_opportunities(self) -> int:
        return self.count(self.opportunities, 10)

    @property
    def n_tickets(self) -> int:
        return self.count(self.tickets, 5)

    @property
    def n_campaigns(self) -> int:
        return min(len(T.CAMPAIGNS), self.count(self.campaigns, 6))


def estimate_counts(size: DemoSize) -> dict[str, int]:
    """Expected rows per object (for progress bars; the real counts vary by a few per cent)."""
    opps = size.n_opportunities
    won = opps * 0.24
    quotes = opps * 0.56
    contracts = won + opps * 0.04 * 0.4
    plans = won * 2.35
    leads = size.n_leads
    est = {
        "product": len(T.PRODUCTS),
        "price_book": 3,
        "price_book_entry": 3 * len(T.PRODUCTS),
        "campaign": size.n_campaigns,
        "customer": size.n_customers,
        "contact": size.n_customers * 2.2,
        "opportunity": opps,
        "lead": leads,
        "campaign_member": leads * 0.42 + size.n_campaigns * size.scale * 60,
        "activity": opps * 5.8 + leads * 1.2 + size.n_customers * 0.3,
        "quote": quotes,
        "quote_line": quotes * 2.2,
        "contract": contracts,
        "payment_plan": plans,
        "payment": plans * 0.54,
        "invoice": plans * 0.58,
        "order": won * 0.44,
        "order_line": won * 0.44 * 2.4,
        "ticket": size.n_tickets,
        "task": opps * 0.55 + leads * 0.09 + size.n_tickets * 0.05,
    }
    return {name: round(est[name]) for name in ORDER}


def generate(
    size: DemoSize,
    *,
    owners: Sequence[str],
    today: date,
    seed: int = 7,
    id_factory: Callable[[], str] = new_id,
) -> Iterator[tuple[str, list[dict[str, Any]]]]:
    """Yield ``(object_name, rows)`` in dependency order, at most ``BATCH_SIZE`` rows each."""
    if not owners:
        raise ValueError("generate() needs at least one owner (user id)")
    rows = Generator(size, list(owners), today, seed, id_factory).build()
    for name in ORDER:
        batch = rows[name]
        for i in range(0, len(batch), BATCH_SIZE):
            yield name, batch[i : i + BATCH_SIZE]


class Generator(People, Companies, Sales, Marketing, Finance, Activities, Service, GeneratorBase):
    """The whole demo company. All parts draw from one random source, and later steps read what
    earlier ones made, so the order below is part of the output (a seed's data depends on it)."""

    def build(self) -> dict[str, list[dict[str, Any]]]:
        self.build_catalogue()
        self.build_campaigns()
        self.campaign_by_id = {c["id"]: c for c in self.campaigns}
        self.build_customers()
        self.build_opportunities()
        self.build_leads()
        self.build_campaign_members()
        self.build_activities()
        self.build_deals()
        self.build_tickets()
        self.build_tasks()
        self.finish_customers()
        return self.rows
