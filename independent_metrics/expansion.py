"""Utilisation, expansion triggers and expansion opportunities (expansion_intelligence.md), independently.

Written from the spec and the project's design notes only (no SQL of the expansion layer), on top of this
package's own cleaning, item states and month-end snapshot, so a paying item is what makes MRR here
(`Snapshot.held`: MRR > 0 at the month end).

Exactness: every quantity that decides a trigger or an order is exact. Raw decimals arrive as floats
quantised to their column's scale (cleaning.py) and are turned back into the decimal they were written as
(`to_decimal`, the shortest round-trip text: exact for at most 15 significant digits); item MRR is the
reference's float rounded to 9 decimals, read back the same way. Arithmetic is then done in
`fractions.Fraction` (utilisation, projections, thresholds 0.8 and 1, ceilings, medians, priorities) and
converted to `Decimal` only for the output (`_out`, 40 significant digits: exact for every terminating
value, e.g. limits and projections; utilisation is a quotient).

Months are integer indexes (`month_i` = year × 12 + month − 1, see mrr.month_index); the published frame
has `month` as the naive first day of the month.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, localcontext
from fractions import Fraction
from itertools import groupby
from typing import Any

import numpy as np
import pandas as pd

from orchestration.settings import project_vars

from .cleaning import default_reporting_currency, normalise_currency
from .mrr import Snapshot, as_of_month, month_end_snapshot, month_index, month_start

LIMIT_TRIGGERS = ("limit_reached", "limit_approaching", "limit_projected_90d")
SINGLE_PRODUCT = "single_product"
TRIGGERS = (*LIMIT_TRIGGERS, SINGLE_PRODUCT)
APPROACHING = Fraction(8, 10)
REACHED = Fraction(1)
HEALTHY = Fraction(70)
MIN_TENURE_MONTHS = 6
# metrics.md §6: smb < 100 <= mid_market < 1000 <= enterprise; unknown employee_count -> unknown
SIZE_BOUNDS = ((100, "smb"), (1000, "mid_market"))
# month normalisation of a list price (metrics.md §1), divided further by billing_interval_count
NORMALISE = {
    "month": Fraction(1),
    "year": Fraction(1, 12),
    "week": Fraction(52, 12),
    "day": Fraction(365, 12),
}
OPPORTUNITY_COLUMNS = [
    "month", "customer_id", "product_id", "trigger", "metric", "utilization", "projected_usage_90d",
    "limit_value_total", "health_score", "estimated_expansion_mrr", "priority_score", "rank",
]  # fmt: skip
UTILISATION_COLUMNS = [
    "customer_id", "product_id", "metric", "month_i", "limit_value_total", "usage", "utilization",
    "projected_usage_90d",
]  # fmt: skip
TRIGGER_COLUMNS = [
    "customer_id", "product_id", "month_i", "trigger", "metric", "usage", "utilization",
    "projected_usage_90d", "limit_value_total", "estimated_expansion_mrr",
]  # fmt: skip
FOUR_DP = Decimal("0.0001")
FOUR_DP_TOLERANCE = Decimal("0.00005")  # a warehouse value rounded to 4 dp is within this of the exact one
MONEY_TOLERANCE = Decimal("0.01")
OUTPUT_DIGITS = 40


# --------------------------------------------------------------------------- exact numbers
def to_decimal(value: Any) -> Decimal | None:
    """A number as the decimal it was written as: floats by their shortest round-trip text (exact for
    values of at most 15 significant digits, which every quantised raw decimal of the samples is);
    None/NaN -> None."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, Decimal):
        return None if value.is_nan() else value
    if isinstance(value, Fraction):
        return _out(value)
    if isinstance(value, (bool, np.bool_)):
        raise TypeError(f"not a number: {value!r}")
    if isinstance(value, (int, np.integer)):
        return Decimal(int(value))
    if isinstance(value, (float, np.floating)):
        return None if math.isnan(value) else Decimal(repr(float(value)))
    text = str(value).strip()
    return None if text == "" or text.lower() in ("nan", "none", "null") else Decimal(text)


def to_fraction(value: Any) -> Fraction | None:
    if isinstance(value, Fraction):
        return value
    d = to_decimal(value)
    return None if d is None else Fraction(d)


def _out(value: Fraction | None) -> Decimal | None:
    """Fraction -> Decimal (40 significant digits, exact when the value terminates within them)."""
    if value is None:
        return None
    with localcontext() as ctx:
        ctx.prec = OUTPUT_DIGITS
        return Decimal(value.numerator) / Decimal(value.denominator)


def round_half_up(value: Decimal, quantum: Decimal) -> Decimal:
    with localcontext() as ctx:
        ctx.prec = OUTPUT_DIGITS + 10
        return value.quantize(quantum, rounding=ROUND_HALF_UP)


def _fractions(values: Iterable[Any]) -> list[Fraction | None]:
    cache: dict[Any, Fraction | None] = {}
    out = []
    for v in values:
        key = v if not isinstance(v, float) or not math.isnan(v) else "nan"
        if key not in cache:
            cache[key] = to_fraction(v)
        out.append(cache[key])
    return out


def _mf(df: pd.DataFrame, col: str) -> pd.Series:
    """Column as exact Fractions (object dtype, None for missing)."""
    return pd.Series(_fractions(df[col].tolist()), index=df.index, dtype="object")


def size_segment(employee_count: float | None) -> str:
    if employee_count is None or (isinstance(employee_count, float) and math.isnan(employee_count)):
        return "unknown"
    for bound, name in SIZE_BOUNDS:
        if employee_count < bound:
            return name
    return "enterprise"


# --------------------------------------------------------------------------- usage, items, limits
def monthly_usage(usage_snapshots: pd.DataFrame, months: Iterable[int] | None = None) -> pd.DataFrame:
    """customer_id, product_id, metric, month_i, usage (Fraction): the value of the latest snapshot dated
    inside the month. No snapshot in a month -> no row (not 0). `months`: only the usage these months'
    utilisation and projection read (M−2..M of each)."""
    cols = ["customer_id", "product_id", "metric", "month_i", "usage"]
    df = usage_snapshots[["customer_id", "product_id", "metric", "snapshot_date", "value"]].copy()
    df["month_i"] = month_index(pd.to_datetime(df["snapshot_date"])) if len(df) else pd.Series(dtype="int64")
    if months is not None:
        wanted = {m - lag for m in months for lag in (0, 1, 2)}
        df = df[df["month_i"].isin(list(wanted))]
    if not len(df):
        return pd.DataFrame({c: pd.Series(dtype="int64" if c == "month_i" else "object") for c in cols})
    df = df.sort_values(["customer_id", "product_id", "metric", "month_i", "snapshot_date"], kind="stable")
    df = df.drop_duplicates(["customer_id", "product_id", "metric", "month_i"], keep="last")
    df["usage"] = _mf(df, "value")
    return df[cols].reset_index(drop=True)


def paying_items(snap: Snapshot, states: pd.DataFrame, months: Iterable[int] | None = None) -> pd.DataFrame:
    """The paying items at each month end (the snapshot's held items, i.e. the states that make MRR), with
    the state in effect: customer_id, item_id, month_i, product_id, product_type, plan_id, tier_rank,
    pricing_model, billing_interval, billing_interval_count, currency, fx_rate, quantity (Fraction),
    mrr (Fraction, the reference's item MRR)."""
    held = snap.held[["customer_id", "item_id", "month_i", "event_id", "mrr"]]
    if months is not None:
        held = held[held["month_i"].isin(list(months))]
    st = states[
        [
            "event_id", "plan_id", "product_id", "product_type", "tier_rank", "pricing_model",
            "billing_interval", "billing_interval_count", "currency", "fx_rate", "quantity",
        ]
    ]  # fmt: skip
    items = held.merge(st, on="event_id", how="left", validate="many_to_one")
    items["quantity"] = _mf(items, "quantity")
    items["mrr"] = _mf(items, "mrr")
    return items.drop(columns="event_id").reset_index(drop=True)


def limit_totals(items: pd.DataFrame, plan_limits: pd.DataFrame) -> pd.DataFrame:
    """customer_id, product_id, metric, month_i, limit_value_total (Fraction) = Σ over the paying items of
    the product of limit_value × (quantity if per_unit_limit else 1), from each item's plan. A metric has a
    row only when at least one item's plan has a limit for it."""
    lim = plan_limits[["plan_id", "metric", "limit_value", "per_unit_limit"]]
    j = items[["customer_id", "product_id", "month_i", "plan_id", "quantity"]].merge(lim, on="plan_id")
    cols = ["customer_id", "product_id", "metric", "month_i", "limit_value_total"]
    if not len(j):
        return pd.DataFrame({c: pd.Series(dtype="int64" if c == "month_i" else "object") for c in cols})
    value = _fractions(j["limit_value"].tolist())
    per_unit = j["per_unit_limit"].astype(bool).tolist()
    j["term"] = [v * q if pu else v for v, q, pu in zip(value, j["quantity"].tolist(), per_unit, strict=True)]
    j = j.sort_values(["customer_id", "product_id", "metric", "month_i"], kind="stable")
    keys = list(zip(j["customer_id"], j["product_id"], j["metric"], j["month_i"], strict=True))
    rows = []
    for key, group in groupby(zip(keys, j["term"].tolist(), strict=True), key=lambda kv: kv[0]):
        rows.append((*key, sum((t for _, t in group), Fraction(0))))
    return pd.DataFrame(rows, columns=cols)


def utilisation(limits: pd.DataFrame, usage: pd.DataFrame) -> pd.DataFrame:
    """One row per limit row (customer × product × metric × month): usage of the month (None when no
    snapshot), utilization = usage / limit_value_total (None when the limit is 0 or there is no usage),
    projected_usage_90d = usage(M) + 3 × slope with slope = (usage(M) − usage(M−2)) / 2, the least-squares
    slope over M−2, M−1, M (None unless all three months have usage). All Fractions."""
    key = ["customer_id", "product_id", "metric", "month_i"]
    u = usage[key + ["usage"]]
    df = limits.merge(u, on=key, how="left")
    for lag in (1, 2):
        shifted = u.assign(month_i=u["month_i"] + lag).rename(columns={"usage": f"usage_{lag}"})
        df = df.merge(shifted, on=key, how="left")
    util, proj = [], []
    for lim, use, use1, use2 in zip(
        df["limit_value_total"], df["usage"], df["usage_1"], df["usage_2"], strict=True
    ):
        use, use1, use2 = (None if _missing(x) else x for x in (use, use1, use2))
        util.append(use / lim if use is not None and lim != 0 else None)
        proj.append(
            use + 3 * (use - use2) / 2 if use is not None and use1 is not None and use2 is not None else None
        )
    df["usage"] = [None if _missing(x) else x for x in df["usage"]]
    df["utilization"] = pd.Series(util, index=df.index, dtype="object")
    df["projected_usage_90d"] = pd.Series(proj, index=df.index, dtype="object")
    return df[UTILISATION_COLUMNS]


def _missing(x: Any) -> bool:
    return x is None or (isinstance(x, float) and math.isnan(x))


def _none(x: Any) -> Any:
    """None for a missing cell (pandas turns None into NaN in some concatenations)."""
    return None if _missing(x) else x


# --------------------------------------------------------------------------- the three limit triggers
def choose_limit_trigger(
    metrics: list[tuple[str, Fraction, Fraction | None, Fraction | None]],
) -> tuple[str, str] | None:
    """For one customer × product × month, its metrics as (metric, limit_value_total, utilization,
    projected_usage_90d): the limit trigger that fires (at most one, first in table order) and the published
    metric, or None.

    reached: max utilization >= 1; approaching: 0.8 <= max < 1 (published: the metric of the highest
    utilization); projected: max utilization < 0.8 and projected >= limit on some metric with a limit > 0
    (published: the highest projected / limit among those). Ties: metric name ascending."""
    with_util = [(u, m) for m, _lim, u, _p in metrics if u is not None]
    if not with_util:
        return None
    top = max(u for u, _ in with_util)
    top_metric = min(m for u, m in with_util if u == top)
    if top >= REACHED:
        return "limit_reached", top_metric
    if top >= APPROACHING:
        return "limit_approaching", top_metric
    firing = [(p / lim, m) for m, lim, _u, p in metrics if p is not None and lim > 0 and p >= lim]
    if not firing:
        return None
    best = max(r for r, _ in firing)
    return "limit_projected_90d", min(m for r, m in firing if r == best)


def limit_triggers(util: pd.DataFrame, active: pd.DataFrame) -> pd.DataFrame:
    """The limit trigger rows (customer × product × month, customers active at the end of the month):
    customer_id, product_id, month_i, trigger, metric, usage, utilization, projected_usage_90d,
    limit_value_total of the published metric. `active`: customer_id, month_i of customers with MRR > 0."""
    cols = TRIGGER_COLUMNS[:-1]
    df = util.merge(active[["customer_id", "month_i"]].drop_duplicates(), on=["customer_id", "month_i"])
    df = df.sort_values(["customer_id", "product_id", "month_i", "metric"], kind="stable")
    fields = ["metric", "limit_value_total", "usage", "utilization", "projected_usage_90d"]
    records = df[["customer_id", "product_id", "month_i", *fields]].itertuples(index=False, name=None)
    rows = []
    for (customer, product, month), group in groupby(records, key=lambda r: r[:3]):
        by_metric = {r[3]: dict(zip(fields, r[3:], strict=True)) for r in group}
        choice = choose_limit_trigger(
            [
                (m, r["limit_value_total"], r["utilization"], r["projected_usage_90d"])
                for m, r in by_metric.items()
            ]
        )
        if choice is None:
            continue
        trigger, metric = choice
        r = by_metric[metric]
        rows.append(
            (customer, product, month, trigger, metric, r["usage"], r["utilization"],
             r["projected_usage_90d"], r["limit_value_total"])
        )  # fmt: skip
    return pd.DataFrame(rows, columns=cols)


# --------------------------------------------------------------------------- estimated expansion MRR
@dataclass(frozen=True)
class ProductHolding:
    """A customer's paying items of one product at one month end."""

    units: Fraction  # Σ quantity
    mrr: Fraction  # Σ item MRR
    top_plan_id: str  # plan of the highest-MRR item (ties: item_id)
    top_quantity: Fraction
    top_mrr: Fraction
    top_fx_rate: Fraction
    top_currency: str


def holdings(items: pd.DataFrame) -> dict[tuple[str, str, int], ProductHolding]:
    """(customer_id, product_id, month_i) -> ProductHolding."""
    df = items.sort_values(["customer_id", "product_id", "month_i", "item_id"], kind="stable")
    out = {}
    cols = [
        "customer_id",
        "product_id",
        "month_i",
        "item_id",
        "plan_id",
        "quantity",
        "mrr",
        "fx_rate",
        "currency",
    ]
    for key, group in groupby(df[cols].itertuples(index=False, name=None), key=lambda r: r[:3]):
        rows = list(group)
        top = min(rows, key=lambda r: (-r[6], r[3]))
        out[key] = ProductHolding(
            units=sum((r[5] for r in rows), Fraction(0)),
            mrr=sum((r[6] for r in rows), Fraction(0)),
            top_plan_id=top[4],
            top_quantity=top[5],
            top_mrr=top[6],
            top_fx_rate=to_fraction(top[7]),
            top_currency=top[8],
        )
    return out


def monthly_list_price(plan: dict) -> Fraction | None:
    """A plan's list price normalised to a month (None for a plan without a list price)."""
    price = to_fraction(plan["list_price"])
    if price is None:
        return None
    return price * NORMALISE[plan["billing_interval"]] / int(plan["billing_interval_count"])


def per_unit_estimate(need: Fraction, limit_value: Fraction, held: ProductHolding) -> Fraction | None:
    """Units needed = ceil(need / limit_value) − current units, at least 1, × the current MRR per unit.
    None when the limit per unit or the current units are 0."""
    if limit_value == 0 or held.units == 0:
        return None
    units = max(Fraction(1), math.ceil(need / limit_value) - held.units)
    return units * held.mrr / held.units


class PlanCatalogue:
    """The plans by id, and the plans of each (product, billing interval, interval count, currency) in
    (tier_rank, plan_id) order: the upgrade ladder of a plan-limit estimate."""

    def __init__(self, plans: pd.DataFrame) -> None:
        self.by_id: dict[str, dict] = {str(r["plan_id"]): r for r in plans.to_dict("records")}
        self.ladders: dict[tuple, list[tuple[int, str]]] = {}
        for plan_id, r in self.by_id.items():
            self.ladders.setdefault(self.family(r, r["currency"]), []).append((int(r["tier_rank"]), plan_id))
        for ladder in self.ladders.values():
            ladder.sort()

    @staticmethod
    def family(plan: dict, currency: str) -> tuple:
        return (plan["product_id"], plan["billing_interval"], int(plan["billing_interval_count"]), currency)


def plan_upgrade_estimate(
    need: Fraction, metric: str, held: ProductHolding, catalogue: PlanCatalogue, limit_of: dict
) -> Fraction | None:
    """The lowest-tier plan above the current one (same product, interval, interval count, currency as the
    highest-MRR item) whose limit for the metric covers `need` (ties: plan_id): max(0, its monthly list
    price × the item's fx rate × (item quantity if per_unit) − the item's MRR). None when no plan qualifies
    (or it has no list price)."""
    current = catalogue.by_id[held.top_plan_id]
    ladder = catalogue.ladders.get(catalogue.family(current, held.top_currency), [])
    chosen = next(
        (
            plan_id
            for tier, plan_id in ladder
            if tier > int(current["tier_rank"])
            and (limit := limit_of.get((plan_id, metric))) is not None
            and limit[0] >= need
        ),
        None,
    )
    if chosen is None:
        return None
    plan = catalogue.by_id[chosen]
    price = monthly_list_price(plan)
    if price is None:
        return None
    quantity = held.top_quantity if plan["pricing_model"] == "per_unit" else Fraction(1)
    return max(Fraction(0), price * held.top_fx_rate * quantity - held.top_mrr)


def limit_estimates(
    triggers: pd.DataFrame, items: pd.DataFrame, plans: pd.DataFrame, plan_limits: pd.DataFrame
) -> pd.Series:
    """estimated_expansion_mrr (Fraction or None) of each limit trigger row. need = max(usage,
    projected_usage_90d) of the published metric; per-unit when the metric's limit is per unit on the plan
    of the highest-MRR item of the product, else a plan upgrade."""
    limit_of = {
        (p, m): (to_fraction(v), bool(pu))
        for p, m, v, pu in plan_limits[["plan_id", "metric", "limit_value", "per_unit_limit"]].itertuples(
            index=False, name=None
        )
    }
    catalogue = PlanCatalogue(plans)
    held = holdings(items)
    out = []
    for customer, product, month, metric, use, proj in triggers[
        ["customer_id", "product_id", "month_i", "metric", "usage", "projected_usage_90d"]
    ].itertuples(index=False, name=None):
        h = held[(customer, product, month)]
        need = use if _missing(proj) else max(use, proj)
        limit = limit_of.get((h.top_plan_id, metric))
        if limit is not None and limit[1]:
            out.append(per_unit_estimate(need, limit[0], h))
        else:
            out.append(plan_upgrade_estimate(need, metric, h, catalogue, limit_of))
    return pd.Series(out, index=triggers.index, dtype="object")


# --------------------------------------------------------------------------- single_product
def exact_median(values: list[Fraction]) -> Fraction | None:
    if not values:
        return None
    v = sorted(values)
    n = len(v)
    return v[n // 2] if n % 2 else (v[n // 2 - 1] + v[n // 2]) / 2


def core_product_mrr(items: pd.DataFrame) -> pd.DataFrame:
    """customer_id, month_i, product_id, mrr (Fraction, Σ item MRR): core products held (paying items)."""
    core = items[items["product_type"] == "core"].sort_values(
        ["customer_id", "month_i", "product_id"], kind="stable"
    )
    rows = []
    for key, group in groupby(
        core[["customer_id", "month_i", "product_id", "mrr"]].itertuples(index=False, name=None),
        key=lambda r: r[:3],
    ):
        rows.append((*key, sum((r[3] for r in group), Fraction(0))))
    return pd.DataFrame(rows, columns=["customer_id", "month_i", "product_id", "mrr"])


def cross_sell_estimates(
    core: pd.DataFrame, segments: dict[str, str]
) -> dict[tuple[str, int, str], Fraction | None]:
    """(segment, month_i, product_id) -> the median MRR, on the core product most commonly co-held (ties:
    product_id), of the segment's customers holding >= 2 core products including product_id."""
    by_customer: dict[tuple[str, int], dict[str, Fraction]] = {}
    for c, m, p, mrr in core.itertuples(index=False, name=None):
        by_customer.setdefault((c, m), {})[p] = mrr
    peers: dict[tuple[str, int, str], dict[str, list[Fraction]]] = {}
    for (c, m), held in by_customer.items():
        if len(held) < 2:
            continue
        seg = segments.get(c, "unknown")
        for p in held:
            bucket = peers.setdefault((seg, m, p), {})
            for q, mrr in held.items():
                if q != p:
                    bucket.setdefault(q, []).append(mrr)
    out = {}
    for key, others in peers.items():
        best = min(others, key=lambda q: (-len(others[q]), q))
        out[key] = exact_median(others[best])
    return out


def health_frame(health: pd.DataFrame) -> pd.DataFrame:
    """customer_id, month_i, health_score (Fraction) from (customer_id, month, health_score)."""
    h = health[["customer_id", "month", "health_score"]].copy()
    h["month_i"] = month_index(pd.to_datetime(h["month"]))
    h["health_score"] = _mf(h, "health_score")
    h["customer_id"] = h["customer_id"].astype(str)
    return h[["customer_id", "month_i", "health_score"]]


def single_product_triggers(
    items: pd.DataFrame,
    fct_mrr: pd.DataFrame,
    health: pd.DataFrame,
    customers: pd.DataFrame,
    months: Iterable[int],
) -> pd.DataFrame:
    """single_product rows: exactly one core product held (paying item) at the end of M, active >= 6 months
    (M − first active month + 1), health score (M) >= 70; with the segment cross-sell median estimate.
    `health` as health_frame returns it."""
    months = set(months)
    core = core_product_mrr(items)
    segments = dict(
        zip(customers["customer_id"], (size_segment(e) for e in customers["employee_count"]), strict=True)
    )
    estimates = cross_sell_estimates(core[core["month_i"].isin(months)], segments)
    active = fct_mrr[fct_mrr["mrr"] > 0]
    first_active = active.groupby("customer_id")["month_i"].min()
    counts = core.groupby(["customer_id", "month_i"])["product_id"].transform("count")
    single = core[(counts == 1) & core["month_i"].isin(months)]
    active_keys = set(zip(active["customer_id"], active["month_i"], strict=True))
    score = {(c, m): s for c, m, s in health.itertuples(index=False, name=None)}
    rows = []
    for c, m, p, _mrr in single.itertuples(index=False, name=None):
        s = score.get((c, m))
        if (c, m) not in active_keys or s is None or s < HEALTHY:
            continue
        if m - int(first_active[c]) + 1 < MIN_TENURE_MONTHS:
            continue
        estimate = estimates.get((segments.get(c, "unknown"), m, p))
        rows.append((c, p, m, SINGLE_PRODUCT, None, None, None, None, None, estimate))
    return pd.DataFrame(rows, columns=TRIGGER_COLUMNS)


# --------------------------------------------------------------------------- all triggers, opportunities
@dataclass
class ExpansionInputs:
    """What the triggers read, from the reference's own tables."""

    usage: pd.DataFrame  # monthly_usage
    items: pd.DataFrame  # paying_items
    fct_mrr: pd.DataFrame
    plans: pd.DataFrame
    plan_limits: pd.DataFrame
    customers: pd.DataFrame
    first_usage_month: int | None
    scoring_month: int


def scoring_month(as_of: date | str | pd.Timestamp, usage_billing_lag_days: int | None = None) -> int:
    """S: the last complete month, the month before the month of (as-of date - the usage billing lag): the
    as-of month is in progress, and a closed month's usage is billed that many days after it ends."""
    lag = usage_billing_lag_days
    if lag is None:
        lag = project_vars()["usage_billing_lag_days"]
    return as_of_month(pd.Timestamp(as_of) - pd.Timedelta(days=int(lag))) - 1


def expansion_inputs(
    tables: dict[str, pd.DataFrame],
    as_of: date | str | pd.Timestamp,
    reporting_currency: str | None = None,
    months: Iterable[int] | None = None,
) -> ExpansionInputs:
    """From compute_tables output (clean tables, item_states, fct_mrr). `months`: restrict the paying items
    and the usage to what these months read (all months when None)."""
    currency = normalise_currency(reporting_currency or default_reporting_currency())
    snap = month_end_snapshot(tables, as_of, currency, states=tables["item_states"])
    snapshots = tables["usage_snapshots"]
    return ExpansionInputs(
        usage=monthly_usage(snapshots, months),
        items=paying_items(snap, tables["item_states"], months),
        fct_mrr=tables["fct_mrr"],
        plans=tables["plans"],
        plan_limits=tables["plan_limits"],
        customers=tables["customers"],
        first_usage_month=int(month_index(pd.to_datetime(snapshots["snapshot_date"])).min())
        if len(snapshots)
        else None,
        scoring_month=scoring_month(as_of),
    )


def expansion_triggers(
    inputs: ExpansionInputs, health: pd.DataFrame, months: Iterable[int] | None = None
) -> pd.DataFrame:
    """Every trigger row (TRIGGER_COLUMNS, numbers as Fractions) for the given months (default: from the
    first month with usage through S). `health`: customer_id, month, health_score."""
    if months is None:
        if inputs.first_usage_month is None:
            months = []
        else:
            months = range(inputs.first_usage_month, inputs.scoring_month + 1)
    months = sorted(set(months))
    items = inputs.items[inputs.items["month_i"].isin(months)]
    util = utilisation(limit_totals(items, inputs.plan_limits), inputs.usage)
    active = inputs.fct_mrr.loc[inputs.fct_mrr["mrr"] > 0, ["customer_id", "month_i"]]
    lim = limit_triggers(util, active)
    lim["estimated_expansion_mrr"] = limit_estimates(lim, items, inputs.plans, inputs.plan_limits)
    single = single_product_triggers(items, inputs.fct_mrr, health_frame(health), inputs.customers, months)
    out = pd.concat([df for df in (lim, single) if len(df)] or [lim], ignore_index=True)
    return out.sort_values(["month_i", "customer_id", "product_id", "trigger"], ignore_index=True)[
        TRIGGER_COLUMNS
    ]


def rank_opportunities(triggers: pd.DataFrame, health: pd.DataFrame, month: int) -> pd.DataFrame:
    """The mart rows of one month: health of the month, priority_score = coalesce(estimate, 0) × health /
    100 (None when the customer has no health score: ranked last), rank = 1, 2, … by priority desc,
    customer_id, product_id, trigger. Numbers as Decimal (see _out)."""
    t = triggers[triggers["month_i"] == month]
    score = {(c, m): s for c, m, s in health_frame(health).itertuples(index=False, name=None) if m == month}
    rows = []
    for r in t.itertuples(index=False):
        h = score.get((r.customer_id, month))
        est = _none(r.estimated_expansion_mrr)
        priority = None if h is None else (est if est is not None else Fraction(0)) * h / 100
        metric = None if _missing(r.metric) else r.metric
        rows.append(
            [r.customer_id, r.product_id, r.trigger, metric, _none(r.utilization),
             _none(r.projected_usage_90d), _none(r.limit_value_total), h, est, priority]
        )  # fmt: skip
    rows.sort(key=lambda x: (x[9] is None, -(x[9] or 0), x[0], x[1], x[2]))
    first_day = month_start([month])[0]
    out = pd.DataFrame(
        [
            [
                first_day,
                c,
                p,
                trig,
                metric,
                _out(u),
                _out(proj),
                _out(lim),
                _out(h),
                _out(est),
                _out(pr),
                i + 1,
            ]
            for i, (c, p, trig, metric, u, proj, lim, h, est, pr) in enumerate(rows)
        ],
        columns=OPPORTUNITY_COLUMNS,
    )
    out["month"] = pd.to_datetime(out["month"])
    out["metric"] = pd.Series([r[3] for r in rows], index=out.index, dtype="object")  # None, not NaN
    out["rank"] = out["rank"].astype("int64")
    return out


def expansion_opportunities(
    tables: dict[str, pd.DataFrame],
    as_of: date | str | pd.Timestamp,
    health: pd.DataFrame,
    reporting_currency: str | None = None,
) -> pd.DataFrame:
    """The rows of mart_expansion_opportunities for the scoring month S (OPPORTUNITY_COLUMNS). Computes only
    S (and the usage of S−2..S it needs); none when S is before the first month with usage. `tables`:
    compute_tables output; `health`: (customer_id, month, health_score), e.g. the warehouse's
    mart_customer_health."""
    s = scoring_month(as_of)
    inputs = expansion_inputs(tables, as_of, reporting_currency, months=[s])
    # triggers exist from the first month with usage on (no usage at all: no triggers)
    months = [s] if inputs.first_usage_month is not None and inputs.first_usage_month <= s else []
    return rank_opportunities(expansion_triggers(inputs, health, months), health, s)


# --------------------------------------------------------------------------- comparison
def _same_4dp(ref: Decimal, wh: Decimal) -> bool:
    """Equal at 4 dp: the same 4-dp rounding, or the warehouse value within half a unit of the reference
    (either rounding of an exact tie)."""
    return round_half_up(ref, FOUR_DP) == round_half_up(wh, FOUR_DP) or abs(ref - wh) <= FOUR_DP_TOLERANCE


def _same_money(ref: Decimal, wh: Decimal) -> bool:
    return abs(ref - wh) <= MONEY_TOLERANCE


def _describe(key: tuple) -> str:
    month, customer, product, trigger = key
    return f"month={month:%Y-%m}, customer_id={customer}, product_id={product}, trigger={trigger}"


def _keyed(df: pd.DataFrame, name: str, problems: list[str]) -> dict[tuple, dict]:
    d = df.copy()
    d["month"] = pd.to_datetime(d["month"]).dt.to_period("M").dt.to_timestamp()
    out: dict[tuple, dict] = {}
    for rec in d.to_dict("records"):
        key = (rec["month"], str(rec["customer_id"]), str(rec["product_id"]), str(rec["trigger"]))
        if key in out:
            problems.append(f"duplicate row in {name}: {_describe(key)}")
        out[key] = rec
    return out


def compare_opportunities(
    reference_df: pd.DataFrame,
    warehouse_df: pd.DataFrame,
    *,
    sampled: bool = False,
    customers: Iterable[str] | None = None,
) -> list[str]:
    """Human-readable differences between the reference rows and the warehouse's mart_expansion_opportunities,
    matched on (month, customer_id, product_id, trigger); [] when they agree.

    Every missing and extra row is reported; metric must be equal; utilization, projected_usage_90d and
    limit_value_total equal at 4 dp; health_score, estimated_expansion_mrr and priority_score within 0.01;
    rank equal. `customers`: compare only these customers' rows. `sampled=True` (the reference ran on a
    sample of customers): the single_product estimate and priority (a median over the whole segment) and
    the global rank are not comparable, so only the relative order of the limit-trigger rows is checked."""
    problems: list[str] = []
    if customers is not None:
        keep = {str(c) for c in customers}
        reference_df = reference_df[reference_df["customer_id"].astype(str).isin(keep)]
        warehouse_df = warehouse_df[warehouse_df["customer_id"].astype(str).isin(keep)]
    ref = _keyed(reference_df, "the reference", problems)
    wh = _keyed(warehouse_df, "the warehouse", problems)
    for key in sorted(ref.keys() - wh.keys()):
        problems.append(f"missing in the warehouse: {_describe(key)}")
    for key in sorted(wh.keys() - ref.keys()):
        problems.append(f"extra in the warehouse (not in the reference): {_describe(key)}")
    checks = [
        ("utilization", _same_4dp),
        ("projected_usage_90d", _same_4dp),
        ("limit_value_total", _same_4dp),
        ("health_score", _same_money),
        ("estimated_expansion_mrr", _same_money),
        ("priority_score", _same_money),
    ]
    common = sorted(ref.keys() & wh.keys())
    for key in common:
        r, w = ref[key], wh[key]
        r_metric = None if _missing(r["metric"]) else str(r["metric"])
        w_metric = None if _missing(w["metric"]) else str(w["metric"])
        if r_metric != w_metric:
            problems.append(f"{_describe(key)}: metric reference={r_metric} warehouse={w_metric}")
        for col, same in checks:
            if sampled and key[3] == SINGLE_PRODUCT and col in ("estimated_expansion_mrr", "priority_score"):
                continue
            a, b = to_decimal(r[col]), to_decimal(w[col])
            if (a is None) != (b is None) or (a is not None and not same(a, b)):
                problems.append(f"{_describe(key)}: {col} reference={a} warehouse={b}")
        if not sampled and int(r["rank"]) != int(w["rank"]):
            problems.append(f"{_describe(key)}: rank reference={int(r['rank'])} warehouse={int(w['rank'])}")
    if sampled:
        limit_keys = [k for k in common if k[3] != SINGLE_PRODUCT]
        by_ref = sorted(limit_keys, key=lambda k: (k[0], int(ref[k]["rank"])))
        by_wh = sorted(limit_keys, key=lambda k: (k[0], int(wh[k]["rank"])))
        for a, b in zip(by_ref, by_wh, strict=True):
            if a != b:
                problems.append(
                    f"order of the limit-trigger rows differs: the reference has {_describe(a)} where "
                    f"the warehouse has {_describe(b)}"
                )
                break
    return problems
