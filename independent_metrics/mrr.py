"""Item states, item MRR, month-end snapshots and customer MRR by month (float64)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from .cleaning import fx_lookup, resolve_event_states

MONEY_DECIMALS = 9  # float noise below this is removed from every money figure

_NORMALISE = {"month": 1.0, "year": 1.0 / 12.0, "week": 52.0 / 12.0, "day": 365.0 / 12.0}


# --------------------------------------------------------------------------- month helpers
def month_index(ts: pd.Series) -> pd.Series:
    """Calendar month as an integer (year × 12 + month − 1); tz-aware input is taken in UTC."""
    if isinstance(ts.dtype, pd.DatetimeTZDtype):
        ts = ts.dt.tz_convert("UTC")
    return (ts.dt.year * 12 + ts.dt.month - 1).astype("int64")


def month_start(mi: np.ndarray | pd.Series) -> pd.Series:
    """Integer month index -> naive Timestamp of the first day of the month."""
    mi = np.asarray(mi, dtype="int64")
    return pd.Series(
        pd.to_datetime(pd.DataFrame({"year": mi // 12, "month": mi % 12 + 1, "day": 1})),
        dtype="datetime64[ns]",
    )


def as_of_month(as_of: date | str | pd.Timestamp) -> int:
    ts = pd.Timestamp(as_of)
    return ts.year * 12 + ts.month - 1


def _expand(first: np.ndarray, last: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For rows with month ranges [first, last] (inclusive, last >= first): (row position, month)."""
    n = (last - first + 1).astype("int64")
    pos = np.repeat(np.arange(len(first)), n)
    offset = np.arange(n.sum()) - np.repeat(np.cumsum(n) - n, n)
    return pos, np.repeat(first, n) + offset


# --------------------------------------------------------------------------- item states
def item_states(clean: dict[str, pd.DataFrame], reporting_currency: str = "USD") -> pd.DataFrame:
    """One row per (clean) event: the full item state it sets, valid on [occurred_at, valid_to).

    Columns: item_id, customer_id, subscription_id, event_id, event_type, occurred_at, recorded_at,
    valid_to (next event of the item, NaT = open), plan_id, product_id, product_type, tier_rank,
    pricing_model, billing_interval, billing_interval_count, quantity, unit_price, currency,
    discount_percent, is_trial, paused, status (active|trial|paused|ended), fx_rate, units
    (quantity for per_unit, 1 otherwise), mrr (reporting currency, 0 unless active).
    """
    plans = clean["plans"]
    st = resolve_event_states(clean["subscription_events"], plans)
    st["valid_to"] = st.groupby("item_id", sort=False)["occurred_at"].shift(-1)
    pl = plans.set_index("plan_id")
    for col in ("product_id", "tier_rank", "pricing_model", "billing_interval", "billing_interval_count"):
        st[col] = st["plan_id"].map(pl[col])
    st["product_type"] = st["product_id"].map(clean["products"].set_index("product_id")["product_type"])
    status = np.select(
        [st["event_type"] == "item_ended", st["paused"], st["is_trial"]],
        ["ended", "paused", "trial"],
        "active",
    )
    st["status"] = status
    day = st["occurred_at"].dt.tz_convert(None).dt.floor("D")
    st["fx_rate"] = fx_lookup(clean["fx_rates"], st["currency"], day, reporting_currency)
    per_unit = st["pricing_model"] == "per_unit"
    st["units"] = np.where(per_unit, st["quantity"], 1.0)
    norm = st["billing_interval"].map(_NORMALISE).astype("float64") / st["billing_interval_count"]
    raw_mrr = st["unit_price"] * st["units"] * (100.0 - st["discount_percent"]) / 100.0 * norm * st["fx_rate"]
    counts = (st["status"] == "active") & st["pricing_model"].isin(["flat", "per_unit"])
    st["mrr"] = np.where(counts, raw_mrr, 0.0).round(MONEY_DECIMALS)
    cols = [
        "item_id", "customer_id", "subscription_id", "event_id", "event_type", "occurred_at", "recorded_at",
        "valid_to", "plan_id", "product_id", "product_type", "tier_rank", "pricing_model", "billing_interval",
        "billing_interval_count", "quantity", "unit_price", "currency", "discount_percent", "is_trial",
        "paused", "status", "fx_rate", "units", "mrr",
    ]  # fmt: skip
    return st[cols].reset_index(drop=True)


# --------------------------------------------------------------------------- usage
def usage_by_month(
    clean: dict[str, pd.DataFrame], reporting_currency: str = "USD", last_month: int | None = None
) -> pd.DataFrame:
    """Usage charges spread over calendar months by days (period_end inclusive), converted at the
    rate of period_start. Columns: customer_id, product_id, month_i, usage_mrr."""
    u = clean["usage_charges"]
    cols = ["customer_id", "product_id", "month_i", "usage_mrr"]
    if not len(u):
        return pd.DataFrame({c: pd.Series(dtype="float64" if c == "usage_mrr" else "object") for c in cols})
    rate = fx_lookup(clean["fx_rates"], u["currency"], u["period_start"], reporting_currency)
    amount = (u["amount"] * rate).to_numpy()
    start = u["period_start"].to_numpy(dtype="datetime64[D]")
    end = u["period_end"].to_numpy(dtype="datetime64[D]")
    total_days = (end - start).astype("int64") + 1
    first = month_index(u["period_start"]).to_numpy()
    last = month_index(u["period_end"]).to_numpy()
    pos, mi = _expand(first, last)
    m_first = (mi // 12 - 1970).astype("datetime64[Y]").astype("datetime64[M]") + (mi % 12)
    m_first_d = m_first.astype("datetime64[D]")
    m_last_d = (m_first + 1).astype("datetime64[D]") - 1
    lo = np.maximum(start[pos], m_first_d)
    hi = np.minimum(end[pos], m_last_d)
    days = (hi - lo).astype("int64") + 1
    product = u["plan_id"].map(clean["plans"].set_index("plan_id")["product_id"]).to_numpy()
    out = pd.DataFrame(
        {
            "customer_id": u["customer_id"].to_numpy()[pos],
            "product_id": product[pos],
            "month_i": mi,
            "usage_mrr": amount[pos] * days / total_days[pos],
        }
    )
    if last_month is not None:
        out = out[out["month_i"] <= last_month]
    out = out.groupby(["customer_id", "product_id", "month_i"], as_index=False, sort=True)["usage_mrr"].sum()
    out["usage_mrr"] = out["usage_mrr"].round(MONEY_DECIMALS)
    return out


# --------------------------------------------------------------------------- snapshot
@dataclass
class Snapshot:
    """Month-end view of the company, months as integer indexes (see month_index).

    held: item × month rows of items with MRR > 0 at the month end (customer_id, item_id, month_i,
    product_id, product_type, tier_rank, units, mrr, event_id: the event whose state is in effect, the key of
    item_states). usage: customer × product × month usage MRR.
    first_month / last_month: history range (first item state or usage charge .. as-of month);
    first_month is None when there is no history.
    """

    held: pd.DataFrame
    usage: pd.DataFrame
    first_month: int | None
    last_month: int


def month_end_snapshot(
    clean: dict[str, pd.DataFrame],
    as_of: date | str | pd.Timestamp,
    reporting_currency: str = "USD",
    states: pd.DataFrame | None = None,
) -> Snapshot:
    """A state counts for month M when occurred_at < first instant of M+1 (UTC) and the item's
    next event is not before that instant."""
    last_m = as_of_month(as_of)
    if states is None:
        states = item_states(clean, reporting_currency)
    usage = usage_by_month(clean, reporting_currency, last_m)
    starts = []
    if len(states):
        starts.append(int(month_index(states["occurred_at"]).min()))
    if len(clean["usage_charges"]):
        starts.append(int(month_index(clean["usage_charges"]["period_start"]).min()))
    first_m = min(starts) if starts else None

    s = states[states["mrr"] > 0]
    first = month_index(s["occurred_at"]).to_numpy()
    vt = s["valid_to"]
    last = np.where(vt.isna(), last_m, month_index(vt.fillna(pd.Timestamp("1970-01-01", tz="UTC"))) - 1)
    last = np.minimum(last, last_m)
    keep = last >= first
    s, first, last = s[keep], first[keep], last[keep]
    pos, mi = _expand(first, last)
    held = pd.DataFrame(
        {
            "customer_id": s["customer_id"].to_numpy()[pos],
            "item_id": s["item_id"].to_numpy()[pos],
            "month_i": mi,
            "product_id": s["product_id"].to_numpy()[pos],
            "product_type": s["product_type"].to_numpy()[pos],
            "tier_rank": s["tier_rank"].to_numpy()[pos],
            "units": s["units"].to_numpy()[pos],
            "mrr": s["mrr"].to_numpy()[pos],
            "event_id": s["event_id"].to_numpy()[pos],
        }
    )
    return Snapshot(held=held, usage=usage, first_month=first_m, last_month=last_m)


# --------------------------------------------------------------------------- customer MRR
def customer_mrr_from_snapshot(snap: Snapshot) -> pd.DataFrame:
    """fct_mrr: customer_id, month (first day, naive), mrr, arr, is_active, month_i."""
    cols = ["customer_id", "month", "mrr", "arr", "is_active", "month_i"]
    rec = snap.held.groupby(["customer_id", "month_i"], sort=False)["mrr"].sum()
    use = snap.usage.groupby(["customer_id", "month_i"], sort=False)["usage_mrr"].sum()
    tot = rec.add(use, fill_value=0.0).round(MONEY_DECIMALS)
    tot = tot[tot > 0]
    if not len(tot) or snap.first_month is None:
        return pd.DataFrame({c: pd.Series(dtype="object") for c in cols})
    tot = tot.sort_index()
    tot_df = tot.rename("mrr").reset_index()
    first_active = tot_df.groupby("customer_id", sort=True)["month_i"].min()
    first_active = first_active[first_active <= snap.last_month]
    pos, mi = _expand(first_active.to_numpy(), np.full(len(first_active), snap.last_month))
    grid = pd.DataFrame({"customer_id": first_active.index.to_numpy()[pos], "month_i": mi})
    fct = grid.merge(tot_df, on=["customer_id", "month_i"], how="left")
    fct["mrr"] = fct["mrr"].fillna(0.0)
    fct["arr"] = (12.0 * fct["mrr"]).round(MONEY_DECIMALS)
    fct["is_active"] = fct["mrr"] > 0
    fct["month"] = month_start(fct["month_i"]).to_numpy()
    return fct.sort_values(["customer_id", "month_i"], ignore_index=True)[cols]


def customer_mrr_by_month(
    clean: dict[str, pd.DataFrame], as_of: date | str | pd.Timestamp, reporting_currency: str = "USD"
) -> pd.DataFrame:
    """MRR(c, M) = Σ item MRR of the month-end states + usage MRR of M; rows from the customer's
    first active month through the as-of month (0 after churn). Never-active customers: no rows."""
    return customer_mrr_from_snapshot(month_end_snapshot(clean, as_of, reporting_currency))
