"""The fictional company's price book: products, plans and plan limits.

Everything here is static (no randomness). Money is held as integers scaled by ``SCALE`` (4 decimal
places) so that every amount written is an exact decimal.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

import numpy as np

SCALE = 10_000  # money, quantities and rates are int64 in units of 1/10 000

COMPANY_NAME = "Lumenfold"

CURRENCIES = ("USD", "EUR", "GBP")
CUR_USD, CUR_EUR, CUR_GBP = 0, 1, 2

# slot/product indices: every customer holds at most one live item per product
WS, INS, API, TT, SEC, AI = range(6)
N_PRODUCTS = 6
CORE_PRODUCTS = (WS, INS, API)
ADDON_BASE = {TT: WS, SEC: WS, AI: INS}

PRODUCTS: tuple[tuple[str, str, str, str | None], ...] = (
    ("workspace", "Lumenfold Workspace", "core", None),
    ("insights", "Lumenfold Insights", "core", None),
    ("connect_api", "Lumenfold Connect API", "core", None),
    ("time_tracking", "Time Tracking", "add_on", "workspace"),
    ("adv_security", "Advanced Security", "add_on", "workspace"),
    ("ai_assistant", "AI Assistant", "add_on", "insights"),
)
PRODUCT_SHORT = ("ws", "ins", "api", "tt", "sec", "ai")
PRICING_MODEL = ("per_unit", "flat", "usage", "per_unit", "flat", "flat")

TIER_NAMES = ("Basic", "Pro", "Enterprise")
TIER_SHORT = ("basic", "pro", "ent")

# billing intervals: (contract interval, count, plan-id suffix, plan-name suffix)
IV_WEEK, IV_MONTH, IV_QUARTER, IV_YEAR = range(4)
INTERVALS = (
    ("week", 1, "w", " (weekly)"),
    ("month", 1, "m", ""),
    ("month", 3, "q", " (quarterly)"),
    ("year", 1, "y", " (annual)"),
)

# monthly list price per tier and currency (USD, EUR, GBP); per seat for per_unit products
MONTHLY_PRICE: dict[int, tuple[tuple[str, str, str], ...]] = {
    WS: (("12", "11", "10"), ("24", "22", "19"), ("42", "39", "34")),
    INS: (("149", "139", "119"), ("399", "369", "319"), ("999", "929", "799")),
    TT: (("4", "3.70", "3.20"),),
    SEC: (("99", "92", "79"),),
    AI: (("199", "185", "159"),),
}
# metered price per API call, per tier and currency
USAGE_RATE: tuple[tuple[str, str, str], ...] = (
    ("0.0020", "0.0018", "0.0016"),
    ("0.0015", "0.0014", "0.0012"),
    ("0.0010", "0.0009", "0.0008"),
)
PRODUCT_INTERVALS = {
    WS: (IV_WEEK, IV_MONTH, IV_QUARTER, IV_YEAR),
    INS: (IV_MONTH, IV_QUARTER, IV_YEAR),
    API: (IV_MONTH,),
    TT: (IV_MONTH, IV_YEAR),
    SEC: (IV_MONTH, IV_YEAR),
    AI: (IV_MONTH, IV_YEAR),
}

# plan limits: product -> [(metric, per-tier limits, per_unit_limit)]
METRICS = ("active_users", "storage_gb", "projects", "api_calls", "logins")
M_USERS, M_STORAGE, M_PROJECTS, M_CALLS, M_LOGINS = range(5)
PLAN_LIMITS: dict[int, tuple[tuple[int, tuple[int, int, int], bool], ...]] = {
    WS: ((M_USERS, (1, 1, 1), True), (M_STORAGE, (2, 10, 50), True), (M_PROJECTS, (10, 50, 500), False)),
    INS: ((M_USERS, (5, 25, 250), False), (M_STORAGE, (50, 250, 2000), False)),
    API: ((M_CALLS, (100_000, 1_000_000, 10_000_000), False),),
}

CENT = Decimal("0.01")


def _interval_price(monthly: Decimal, iv: int) -> Decimal:
    """List price for one billing interval: weekly pro rata, quarterly -5 %, annual -15 %."""
    if iv == IV_WEEK:
        price = monthly * 12 / 52
    elif iv == IV_QUARTER:
        price = monthly * 3 * Decimal("0.95")
    elif iv == IV_YEAR:
        price = monthly * 12 * Decimal("0.85")
    else:
        price = monthly
    return price.quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Plan:
    plan_id: str
    product: int
    tier: int  # 0-based; tier_rank = tier + 1
    interval: int
    currency: int
    plan_name: str
    list_price: Decimal | None
    usage_rate: Decimal | None


def _has_plan(product: int, tier: int, iv: int, cur: int) -> bool:
    if iv not in PRODUCT_INTERVALS[product]:
        return False
    # weekly plans exist only for Workspace Basic/Pro in USD
    return not (iv == IV_WEEK and (cur != CUR_USD or tier == 2))


def build_plans() -> list[Plan]:
    plans: list[Plan] = []
    for product in range(N_PRODUCTS):
        n_tiers = 3 if product in CORE_PRODUCTS else 1
        for tier in range(n_tiers):
            for iv in range(4):
                for cur in range(3):
                    if not _has_plan(product, tier, iv, cur):
                        continue
                    tier_short = TIER_SHORT[tier] if n_tiers == 3 else "std"
                    tier_name = TIER_NAMES[tier] if n_tiers == 3 else "Standard"
                    plan_id = (
                        f"{PRODUCT_SHORT[product]}_{tier_short}_{INTERVALS[iv][2]}_{CURRENCIES[cur].lower()}"
                    )
                    name = f"{tier_name}{INTERVALS[iv][3]} {CURRENCIES[cur]}"
                    if product == API:
                        list_price, rate = None, Decimal(USAGE_RATE[tier][cur])
                    else:
                        list_price = _interval_price(Decimal(MONTHLY_PRICE[product][tier][cur]), iv)
                        rate = None
                    plans.append(Plan(plan_id, product, tier, iv, cur, name, list_price, rate))
    return plans


@dataclass(frozen=True)
class Catalog:
    plans: list[Plan]
    lookup: np.ndarray  # [product, tier, interval, currency] -> plan index or -1
    list_price: np.ndarray  # scaled int64 per plan (0 for usage plans)
    usage_rate: np.ndarray  # scaled int64 per plan (0 for non-usage plans)
    plan_ids: np.ndarray  # object array of plan ids


def build_catalog() -> Catalog:
    plans = build_plans()
    lookup = np.full((N_PRODUCTS, 3, 4, 3), -1, dtype=np.int64)
    for i, p in enumerate(plans):
        lookup[p.product, p.tier, p.interval, p.currency] = i
    list_price = np.array([int((p.list_price or 0) * SCALE) for p in plans], dtype=np.int64)
    usage_rate = np.array([int((p.usage_rate or 0) * SCALE) for p in plans], dtype=np.int64)
    plan_ids = np.array([p.plan_id for p in plans], dtype=object)
    return Catalog(plans, lookup, list_price, usage_rate, plan_ids)


def products_rows() -> list[dict[str, str | None]]:
    return [
        {"product_id": pid, "product_name": name, "product_type": ptype, "base_product_id": base}
        for pid, name, ptype, base in PRODUCTS
    ]


def plans_rows(cat: Catalog) -> list[dict[str, object]]:
    rows = []
    for p in cat.plans:
        interval, count, _, _ = INTERVALS[p.interval]
        rows.append(
            {
                "plan_id": p.plan_id,
                "product_id": PRODUCTS[p.product][0],
                "plan_name": p.plan_name,
                "tier_rank": p.tier + 1,
                "pricing_model": PRICING_MODEL[p.product],
                "billing_interval": interval,
                "billing_interval_count": count,
                "list_price": p.list_price,
                "currency": CURRENCIES[p.currency],
            }
        )
    return rows


def plan_limits_rows(cat: Catalog) -> list[dict[str, object]]:
    rows = []
    for p in cat.plans:
        for metric, limits, per_unit in PLAN_LIMITS.get(p.product, ()):
            rows.append(
                {
                    "plan_id": p.plan_id,
                    "metric": METRICS[metric],
                    "limit_value": Decimal(limits[p.tier]),
                    "per_unit_limit": per_unit,
                }
            )
    return rows
