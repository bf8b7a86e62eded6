"""Monthly bridge (size_segment 'all'), monthly retention and expansion by mechanism."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .movements import MECHANISMS, money_tolerance
from .mrr import MONEY_DECIMALS, month_start

BRIDGE_COLUMNS = [
    "month", "size_segment", "mrr_start", "new_mrr", "reactivation_mrr", "expansion_mrr", "contraction_mrr",
    "churn_mrr", "mrr_end", "customers_start", "customers_new", "customers_reactivated", "customers_churned",
    "customers_end", "month_i",
]  # fmt: skip
RETENTION_COLUMNS = [
    "month", "nrr", "grr", "quick_ratio", "logo_churn_rate", "customer_retention_rate",
    "gross_mrr_churn_rate", "net_mrr_churn_rate", "arpa", "month_i",
]  # fmt: skip


def monthly_bridge(
    fct_mrr: pd.DataFrame, moves: pd.DataFrame, first_month: int | None, last_month: int
) -> pd.DataFrame:
    """One row per month of history (first_month .. last_month); contraction and churn positive.
    Asserts the bridge identities (money to 1e-6, relative above a million; customer counts exactly)."""
    if first_month is None or first_month > last_month:
        return pd.DataFrame({c: pd.Series(dtype="float64") for c in BRIDGE_COLUMNS})
    months = pd.Index(np.arange(first_month, last_month + 1), name="month_i")
    end = fct_mrr.groupby("month_i")["mrr"].sum().reindex(months, fill_value=0.0)
    n_end = fct_mrr[fct_mrr["mrr"] > 0].groupby("month_i").size().reindex(months, fill_value=0)
    prev_idx = months - 1
    b = pd.DataFrame(index=months)
    b["mrr_start"] = fct_mrr.groupby("month_i")["mrr"].sum().reindex(prev_idx, fill_value=0.0).to_numpy()
    n_start = fct_mrr[fct_mrr["mrr"] > 0].groupby("month_i").size().reindex(prev_idx, fill_value=0)
    g = moves.groupby(["month_i", "movement_type"])["delta"]
    amt = g.sum().unstack(fill_value=0.0)
    cnt = g.size().unstack(fill_value=0)
    for t in ("new", "reactivation", "expansion", "contraction", "churn"):
        sign = -1.0 if t in ("contraction", "churn") else 1.0
        col = amt[t] if t in amt else pd.Series(dtype="float64")
        b[f"{t}_mrr"] = (sign * col.reindex(months, fill_value=0.0)).round(MONEY_DECIMALS) + 0.0
    b["mrr_end"] = end.to_numpy()
    b["customers_start"] = n_start.to_numpy()
    for t, name in (("new", "customers_new"), ("reactivation", "customers_reactivated"),
                    ("churn", "customers_churned")):  # fmt: skip
        col = cnt[t] if t in cnt else pd.Series(dtype="int64")
        b[name] = col.reindex(months, fill_value=0).astype("int64").to_numpy()
    b["customers_end"] = n_end.to_numpy()
    b[["mrr_start", "mrr_end"]] = b[["mrr_start", "mrr_end"]].round(MONEY_DECIMALS)
    gap = (
        b["mrr_start"] + b["new_mrr"] + b["reactivation_mrr"] + b["expansion_mrr"]
        - b["contraction_mrr"] - b["churn_mrr"] - b["mrr_end"]
    )  # fmt: skip
    amounts = ["mrr_start", "mrr_end", "new_mrr", "reactivation_mrr", "expansion_mrr", "contraction_mrr"]
    tolerance = money_tolerance(*(b[c] for c in [*amounts, "churn_mrr"]))
    assert (gap.abs() <= tolerance).all(), b[gap.abs() > tolerance]
    logos = b["customers_start"] + b["customers_new"] + b["customers_reactivated"] - b["customers_churned"]
    assert (logos == b["customers_end"]).all()
    b["size_segment"] = "all"
    b = b.reset_index()
    b["month"] = month_start(b["month_i"]).to_numpy()
    return b[BRIDGE_COLUMNS]


def _div(num: pd.Series, den: pd.Series) -> pd.Series:
    """num / den, NaN where den == 0."""
    den = den.astype("float64")
    return (num / den.where(den != 0)).astype("float64")


def monthly_retention(bridge: pd.DataFrame) -> pd.DataFrame:
    """Rates as fractions; zero denominators give NaN (golden convention 6)."""
    b = bridge
    start = b["mrr_start"]
    losses = b["contraction_mrr"] + b["churn_mrr"]
    r = pd.DataFrame({"month": b["month"], "month_i": b["month_i"]})
    r["nrr"] = _div(start + b["expansion_mrr"] - losses, start)
    r["grr"] = _div(start - losses, start)
    r["quick_ratio"] = _div(b["new_mrr"] + b["reactivation_mrr"] + b["expansion_mrr"], losses)
    r["logo_churn_rate"] = _div(b["customers_churned"], b["customers_start"])
    r["customer_retention_rate"] = _div(
        b["customers_end"] - b["customers_new"] - b["customers_reactivated"], b["customers_start"]
    )
    r["gross_mrr_churn_rate"] = _div(losses, start)
    r["net_mrr_churn_rate"] = _div(losses - b["expansion_mrr"] - b["reactivation_mrr"], start)
    r["arpa"] = _div(b["mrr_end"], b["customers_end"])
    return r[RETENTION_COLUMNS]


def expansion_mechanisms(moves: pd.DataFrame) -> pd.DataFrame:
    """month × mechanism with any activity: expansion_mrr (Σ positive amounts), contraction_mrr
    (Σ negative amounts, positive), net_mrr, customers (customers with a non-zero amount)."""
    cols = ["month", "mechanism", "expansion_mrr", "contraction_mrr", "net_mrr", "customers", "month_i"]
    rows = moves[moves["movement_type"].isin(["expansion", "contraction"])]
    long = rows.melt(
        id_vars=["month", "month_i", "customer_id"],
        value_vars=list(MECHANISMS),
        var_name="mechanism",
        value_name="amount",
    )
    long = long[long["amount"] != 0]
    if not len(long):
        return pd.DataFrame({c: pd.Series(dtype="object") for c in cols})
    long["pos"] = long["amount"].clip(lower=0)
    long["neg"] = -long["amount"].clip(upper=0)
    out = long.groupby(["month_i", "month", "mechanism"], as_index=False).agg(
        expansion_mrr=("pos", "sum"), contraction_mrr=("neg", "sum"), customers=("customer_id", "nunique")
    )
    out["net_mrr"] = out["expansion_mrr"] - out["contraction_mrr"]
    out[["expansion_mrr", "contraction_mrr", "net_mrr"]] = (
        out[["expansion_mrr", "contraction_mrr", "net_mrr"]].round(MONEY_DECIMALS) + 0.0
    )
    order = {m: i for i, m in enumerate(MECHANISMS)}
    out = out.sort_values(
        ["month_i", "mechanism"], key=lambda s: s.map(order) if s.name == "mechanism" else s
    )
    return out.reset_index(drop=True)[cols]
