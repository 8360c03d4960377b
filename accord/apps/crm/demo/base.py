"""The generator's state and primitives shared by every part of the demo data: the clock, the
random source, row bookkeeping and value formats, plus the weights several parts draw from.

``Generator`` (in ``__init__``) mixes the parts together; every part subclasses ``GeneratorBase``
and reads the state the earlier ``build_*`` steps left on it (listed below).
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Any

from accord.apps.crm import catalog
from accord.apps.crm.regions import cities

if TYPE_CHECKING:
    from accord.apps.crm.demo import DemoSize
    from accord.apps.crm.demo.companies import Cust
    from accord.apps.crm.demo.people import Place
    from accord.apps.crm.demo.sales import Opp

BATCH_SIZE = 2000

# Dependency order: the app's install order (every lookup target first).
ORDER: tuple[str, ...] = tuple(catalog.object_names())
OWNABLE = frozenset(o.name for o in catalog.definitions().values() if o.ownable)

USD_RATE = Decimal("7.10")
CENT = Decimal("0.01")
LEAD_SOURCES = {
    "website": 20,
    "ads": 22,
    "trade_show": 10,
    "inbound_call": 8,
    "partner_referral": 7,
    "email": 5,
    "event": 6,
    "customer_referral": 5,
    "manual": 10,
    "api": 3,
    "import": 4,
}
INDUSTRY_WEIGHTS = {
    "manufacturing": 26,
    "it_internet": 14,
    "finance": 6,
    "education": 5,
    "healthcare": 7,
    "retail_consumer": 10,
    "real_estate_construction": 6,
    "logistics": 7,
    "energy_chemical": 6,
    "professional_services": 7,
    "other": 6,
}

# --- value helpers ----------------------------------------------------------------------------


def money(amount: Decimal | int | float, currency: str = "CNY") -> dict[str, str]:
    return {"amount": str(Decimal(amount).quantize(CENT, ROUND_HALF_UP)), "currency": currency}


def dec(value: Decimal | int) -> str:
    d = Decimal(value)
    return str(d.quantize(Decimal(1))) if d == d.to_integral_value() else str(d.normalize())


def q2(value: Decimal) -> Decimal:
    return value.quantize(CENT, ROUND_HALF_UP)


def iso(dt: datetime) -> str:
    return dt.astimezone(UTC).isoformat(timespec="seconds")


def add_months(d: date, months: int) -> date:
    total = d.year * 12 + d.month - 1 + months
    year, month = divmod(total, 12)
    month += 1
    for day in (d.day, 30, 29, 28):
        try:
            return date(year, month, day)
        except ValueError:
            continue
    raise AssertionError("unreachable")


class GeneratorBase:
    # Filled by the build steps in order; later steps read what earlier ones made.
    products: list[dict[str, Any]]
    product_info: dict[str, tuple[Any, ...]]
    price_books: dict[str, tuple[str, dict[str, Decimal]]]
    campaigns: list[dict[str, Any]]
    campaign_info: dict[str, tuple[str, str, date, date]]
    campaign_by_id: dict[str, dict[str, Any]]
    customers: list[Cust]
    opps: list[Opp]
    probabilities: dict[str, int]  # opportunity stage → default probability
    leads: list[tuple[dict[str, Any], bool, Place | None]]
    tickets: list[tuple[dict[str, Any], Cust]]

    def __init__(
        self,
        size: DemoSize,
        owners: list[str],
        today: date,
        seed: int,
        id_factory: Callable[[], str],
    ) -> None:
        self.size = size
        self.owners = owners
        self.today = today
        self.start = add_months(today, -18)
        self.now = datetime.combine(today, time(0, 0), UTC)  # 08:00 in Beijing
        self.t0 = datetime.combine(self.start, time(1, 0), UTC)
        self.r = random.Random(seed)
        self.new_id = id_factory
        self.rows: dict[str, list[dict[str, Any]]] = {name: [] for name in ORDER}
        self.cn_places = [(p, c) for p, c in cities() if p.region != "hk_mo_tw"]
        self.hk_places = [(p, c) for p, c in cities() if p.code == "81"]
        self.seen_names: set[str] = set()
        self.seen_uscc: set[str] = set()
        self.seq: dict[str, int] = {}

    # --- primitives ---------------------------------------------------------------------------

    def pick(self, weights: dict[str, int | float]) -> str:
        return self.r.choices(list(weights), weights=list(weights.values()))[0]

    def chance(self, p: float) -> bool:
        return self.r.random() < p

    def next_seq(self, key: str) -> int:
        self.seq[key] = self.seq.get(key, 0) + 1
        return self.seq[key]

    def dt_between(self, lo: datetime, hi: datetime) -> datetime:
        """A moment in Beijing office hours between lo and hi (clamped to the bounds)."""
        if hi <= lo:
            return lo
        days = (hi.date() - lo.date()).days
        day = lo.date() + timedelta(days=self.r.randint(0, days))
        if day.weekday() >= 5 and self.chance(0.8):  # most work happens on weekdays
            shifted = day + timedelta(days=7 - day.weekday())
            day = shifted if shifted <= hi.date() else day
        minute = self.r.randint(60, 630)  # 09:00–18:30 Beijing = 01:00–10:30 UTC
        moment = datetime.combine(day, time(minute // 60, minute % 60), UTC)
        return min(max(moment, lo), hi)

    def dt_recent_bias(self, lo: datetime, hi: datetime, power: float = 0.8) -> datetime:
        """Like dt_between but denser towards ``hi`` (a growing business)."""
        if hi <= lo:
            return lo
        mid = lo + (hi - lo) * (self.r.random() ** power)
        half_day = timedelta(hours=12)
        return self.dt_between(max(lo, mid - half_day), min(hi, mid + half_day))

    def at_day(self, d: date) -> datetime:
        minute = self.r.randint(60, 630)
        return datetime.combine(d, time(minute // 60, minute % 60), UTC)

    def owner(self) -> str:
        return self.r.choice(self.owners)

    def add(self, name: str, row: dict[str, Any]) -> dict[str, Any]:
        self.rows[name].append(row)
        return row

    def base(self, name: str, created: datetime, owner: str | None = None) -> dict[str, Any]:
        row: dict[str, Any] = {"id": self.new_id(), "created_at": iso(created)}
        if name in OWNABLE:
            row["owner_id"] = owner
        return row
