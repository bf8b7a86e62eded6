"""MRR movements (metrics.md §2) and their mechanism split (§3)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from orchestration.settings import project_vars

from .mrr import MONEY_DECIMALS, Snapshot

# The names and order of the mechanisms come from their one declaration (var mechanisms of dbt_project.yml);
# each mechanism's amount is computed here independently of the SQL (mechanism_split).
MECHANISMS = tuple(project_vars()["mechanisms"])
MOVEMENT_TYPES = ("new", "reactivation", "churn", "expansion", "contraction")
SUM_TOLERANCE = 1e-6
# Floats carry about 16 significant digits: for amounts above a million the absolute tolerance is relative
# to the amount, so that a large (but readable) raw value never trips the identity assertions.
RELATIVE_TOLERANCE = 1e-12


def money_tolerance(*amounts: pd.Series) -> pd.Series:
    """SUM_TOLERANCE, or RELATIVE_TOLERANCE times the largest amount involved when that is larger."""
    largest = pd.concat([a.abs() for a in amounts], axis=1).max(axis=1)
    return np.maximum(SUM_TOLERANCE, RELATIVE_TOLERANCE * largest)


def product_month_end(snap: Snapshot) -> pd.DataFrame:
    """customer × product × month: rec_mrr (held items), q (Σ units), tier (the quantity-weighted
    tier_rank of the held items, DECISIONS.md D-07), usage_mrr. Only items with MRR > 0 at the month
    end count as held."""
    held = snap.held.assign(tier_weight=snap.held["tier_rank"] * snap.held["units"])
    h = held.groupby(["customer_id", "product_id", "month_i"], sort=False).agg(
        rec_mrr=("mrr", "sum"), q=("units", "sum"), tier_weight=("tier_weight", "sum")
    )
    h["tier"] = h["tier_weight"] / h["q"]
    h = h.drop(columns="tier_weight")
    u = snap.usage.set_index(["customer_id", "product_id", "month_i"])[["usage_mrr"]]
    out = h.join(u, how="outer").reset_index()
    out[["rec_mrr", "q", "usage_mrr"]] = out[["rec_mrr", "q", "usage_mrr"]].fillna(0.0)
    return out


def mechanism_split(keys: pd.DataFrame, snap: Snapshot, product_types: pd.Series) -> pd.DataFrame:
    """Mechanism amounts for the given (customer_id, month_i) rows, comparing month_i − 1 and month_i.

    product_types: product_id -> 'core' | 'add_on'. Returns keys + one column per mechanism (MECHANISMS).
    """
    pm = product_month_end(snap)
    k = keys[["customer_id", "month_i"]].drop_duplicates()
    cur = pm.merge(k, on=["customer_id", "month_i"])
    prev = pm.assign(month_i=pm["month_i"] + 1).merge(k, on=["customer_id", "month_i"])
    both = cur.merge(prev, on=["customer_id", "product_id", "month_i"], how="outer", suffixes=("1", "0"))
    for c in ("rec_mrr", "q", "usage_mrr"):
        both[c + "0"] = both[c + "0"].fillna(0.0)
        both[c + "1"] = both[c + "1"].fillna(0.0)
    r0, r1, q0, q1 = both["rec_mrr0"], both["rec_mrr1"], both["q0"], both["q1"]
    held0, held1 = r0 > 0, r1 > 0
    core = both["product_id"].map(product_types).eq("core")
    kept = held0 & held1
    u0 = np.where(kept, r0 / q0.where(q0 > 0, 1.0), 0.0)
    u1 = np.where(kept, r1 / q1.where(q1 > 0, 1.0), 0.0)
    tier_move = np.where(kept, q1 * (u1 - u0), 0.0)
    t0, t1 = both["tier0"], both["tier1"]
    gained = held1 & ~held0
    lost = held0 & ~held1
    both["cross_sell"] = np.where(gained & core, r1, 0.0)
    both["product_churn"] = np.where(lost & core, -r0, 0.0)
    both["add_on"] = np.where(gained & ~core, r1, 0.0) + np.where(lost & ~core, -r0, 0.0)
    both["seat"] = np.where(kept, (q1 - q0) * u0, 0.0)
    both["upsell"] = np.where(kept & (t1 > t0), tier_move, 0.0)
    both["downgrade"] = np.where(kept & (t1 < t0), tier_move, 0.0)
    both["price"] = np.where(kept & (t1 == t0), tier_move, 0.0)
    both["usage"] = both["usage_mrr1"] - both["usage_mrr0"]
    unwritten = [mechanism for mechanism in MECHANISMS if mechanism not in both.columns]
    if unwritten:
        raise ValueError(f"mechanism(s) declared in dbt_project.yml without a reference rule: {unwritten}")
    sums = both.groupby(["customer_id", "month_i"], sort=False)[list(MECHANISMS)].sum().reset_index()
    out = keys[["customer_id", "month_i"]].merge(sums, on=["customer_id", "month_i"], how="left")
    out[list(MECHANISMS)] = out[list(MECHANISMS)].fillna(0.0).round(MONEY_DECIMALS)
    return out


def movements(fct_mrr: pd.DataFrame, snap: Snapshot, products: pd.DataFrame) -> pd.DataFrame:
    """fct_mrr_movements: one row per customer × month with delta ≠ 0.

    Columns: month, customer_id, movement_type, mrr_start, mrr_end, delta, one signed column per
    mechanism (filled on expansion/contraction rows only, summing to delta), month_i.
    """
    f = fct_mrr.sort_values(["customer_id", "month_i"])
    prev = f.groupby("customer_id", sort=False)["mrr"].shift(1).fillna(0.0)
    active = f["mrr"] > 0
    active_before = (
        active.astype(int).groupby(f["customer_id"], sort=False).cumsum() - active.astype(int)
    ) > 0
    m = pd.DataFrame(
        {
            "month": f["month"].to_numpy(),
            "customer_id": f["customer_id"].to_numpy(),
            "mrr_start": prev.to_numpy(),
            "mrr_end": f["mrr"].to_numpy(),
            "month_i": f["month_i"].to_numpy(),
            "_before": active_before.to_numpy(),
        }
    )
    m["delta"] = (m["mrr_end"] - m["mrr_start"]).round(MONEY_DECIMALS)
    m = m[m["delta"] != 0].copy()
    s, e = m["mrr_start"], m["mrr_end"]
    m["movement_type"] = np.select(
        [
            (s == 0) & (e > 0) & ~m["_before"],
            (s == 0) & (e > 0) & m["_before"],
            (s > 0) & (e == 0),
            (e > s) & (s > 0),
            (e < s) & (e > 0),
        ],
        list(MOVEMENT_TYPES),
        "unclassified",
    )
    assert (m["movement_type"] != "unclassified").all()
    exp = m["movement_type"].isin(["expansion", "contraction"])
    ptypes = products.set_index("product_id")["product_type"]
    split = mechanism_split(m.loc[exp, ["customer_id", "month_i"]], snap, ptypes)
    m = m.merge(split, on=["customer_id", "month_i"], how="left")
    m[list(MECHANISMS)] = m[list(MECHANISMS)].fillna(0.0)
    gap = (m[list(MECHANISMS)].sum(axis=1) - m["delta"]).where(exp.to_numpy(), 0.0).abs()
    tolerance = money_tolerance(m["mrr_start"], m["mrr_end"], *(m[c] for c in MECHANISMS))
    assert (gap <= tolerance).all(), m[gap > tolerance]
    cols = ["month", "customer_id", "movement_type", "mrr_start", "mrr_end", "delta", *MECHANISMS, "month_i"]
    return m.sort_values(["month_i", "customer_id"], ignore_index=True)[cols]
