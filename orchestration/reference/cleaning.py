"""Apply the contract's "Bad input" rules: type the raw string tables, reject and count bad rows.

Everything is vectorised; the only loop is the (short) fixed-point over event rejections,
because rejecting an event can change the state inherited by the item's later events.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from .loading import TABLES

EVENT_TYPES = ("item_started", "item_changed", "item_paused", "item_resumed", "item_ended")
PRICING_MODELS = ("flat", "per_unit", "usage")
INTERVALS = ("day", "week", "month", "year")
PRODUCT_TYPES = ("core", "add_on")
STATE_COLUMNS = ("plan_id", "quantity", "unit_price", "currency", "discount_percent", "is_trial")

# Column kinds (anything not listed is a string).
KINDS: dict[str, dict[str, str]] = {
    "customers": {"created_at": "ts", "employee_count": "int"},
    "plans": {"tier_rank": "int", "billing_interval_count": "int", "list_price": "num"},
    "plan_limits": {"limit_value": "num", "per_unit_limit": "bool"},
    "subscription_events": {
        "occurred_at": "ts",
        "recorded_at": "ts",
        "quantity": "num",
        "unit_price": "num",
        "discount_percent": "num",
        "is_trial": "bool",
    },
    "usage_charges": {"period_start": "date", "period_end": "date", "usage_quantity": "num", "amount": "num"},
    "one_time_charges": {"charged_at": "ts", "amount": "num"},
    "fx_rates": {"rate_date": "date", "rate_to_reporting": "num"},
    "usage_snapshots": {"snapshot_date": "date", "value": "num"},
}

KEYS: dict[str, tuple[str, ...]] = {
    "customers": ("customer_id",),
    "products": ("product_id",),
    "plans": ("plan_id",),
    "plan_limits": ("plan_id", "metric"),
    "subscription_events": ("event_id",),
    "usage_charges": ("charge_id",),
    "one_time_charges": ("charge_id",),
    "fx_rates": ("rate_date", "currency"),
    "usage_snapshots": ("customer_id", "product_id", "snapshot_date", "metric"),
}

# Required-ness of cells beyond the contract's "required" column flags.
NOT_REQUIRED_CELLS = {("plans", "list_price"), ("subscription_events", "plan_id")}

_TRUE = {"true", "t", "1", "1.0", "yes", "y"}
_FALSE = {"false", "f", "0", "0.0", "no", "n"}


# --------------------------------------------------------------------------- parsing
def parse_ts(s: pd.Series) -> pd.Series:
    """ISO 8601 timestamps; no offset = UTC. Unparseable -> NaT."""
    return pd.to_datetime(s, utc=True, format="ISO8601", errors="coerce")


def parse_date(s: pd.Series) -> pd.Series:
    """YYYY-MM-DD (a timestamp is accepted and truncated to its UTC day); naive midnight."""
    return parse_ts(s).dt.tz_convert(None).dt.floor("D")


def parse_num(s: pd.Series) -> pd.Series:
    out = pd.to_numeric(s, errors="coerce").astype("float64")
    return out.where(np.isfinite(out))


def parse_int(s: pd.Series) -> pd.Series:
    out = parse_num(s)
    return out.where(out == np.floor(out))


def parse_bool(s: pd.Series) -> pd.Series:
    low = s.str.lower()
    out = pd.Series(np.nan, index=s.index, dtype="object")
    out[low.isin(_TRUE).to_numpy()] = True
    out[low.isin(_FALSE).to_numpy()] = False
    return out


_PARSERS = {"ts": parse_ts, "date": parse_date, "num": parse_num, "int": parse_int, "bool": parse_bool}


# --------------------------------------------------------------------------- fx
def fx_lookup(
    fx: pd.DataFrame, currency: pd.Series, day: pd.Series, reporting_currency: str = "USD"
) -> pd.Series:
    """Rate to the reporting currency: latest fx `rate_date` on or before `day` (a naive date).

    The reporting currency always converts at 1. Missing rate -> NaN.
    """
    idx = currency.index
    q = pd.DataFrame(
        {"currency": currency.to_numpy(), "day": pd.to_datetime(day.to_numpy()), "_pos": np.arange(len(idx))}
    )
    out = np.full(len(idx), np.nan)
    known = q["day"].notna() & q["currency"].notna()
    if len(fx) and known.any():
        left = q[known].sort_values("day", kind="stable")
        right = (
            fx[["rate_date", "currency", "rate_to_reporting"]]
            .rename(columns={"rate_date": "day"})
            .sort_values("day", kind="stable")
        )
        right["day"] = right["day"].astype(left["day"].dtype)
        m = pd.merge_asof(left, right, on="day", by="currency", direction="backward")
        out[m["_pos"].to_numpy()] = m["rate_to_reporting"].to_numpy(dtype="float64")
    out[(q["currency"] == reporting_currency).to_numpy()] = 1.0
    return pd.Series(out, index=idx)


# --------------------------------------------------------------------------- helpers
class _Rejects:
    def __init__(self) -> None:
        self.parts: list[pd.DataFrame] = []

    def add(self, table: str, df: pd.DataFrame, reason: pd.Series | str, kind: str = "rejected") -> None:
        if not len(df):
            return
        key_cols = list(KEYS[table])
        key = df[key_cols[0]].astype("str").fillna("")
        for c in key_cols[1:]:
            key = key + "|" + df[c].astype("str").fillna("")
        if isinstance(reason, str):
            reason = pd.Series(reason, index=df.index)
        self.parts.append(
            pd.DataFrame(
                {
                    "table": table,
                    "row_number": df["_row"].to_numpy(),
                    "key": key.to_numpy(),
                    "reason": reason.to_numpy(),
                    "kind": kind,
                }
            )
        )

    def frame(self) -> pd.DataFrame:
        cols = ["table", "row_number", "key", "reason", "kind"]
        if not self.parts:
            return pd.DataFrame({c: pd.Series(dtype="object") for c in cols})
        return pd.concat(self.parts, ignore_index=True)[cols].sort_values(
            ["table", "row_number"], ignore_index=True
        )


def _first_reason(checks: Iterable[tuple[pd.Series, str]], index: pd.Index) -> pd.Series:
    reason = pd.Series(pd.NA, index=index, dtype="object")
    for bad, text in checks:
        reason = reason.mask(reason.isna() & bad.fillna(False).astype(bool), text)
    return reason


def _content_key(df: pd.DataFrame, cols: list[str]) -> pd.DataFrame:
    return df[cols].astype("str").fillna("")


def _take(table: str, df: pd.DataFrame, checks: list[tuple[pd.Series, str]], rej: _Rejects) -> pd.DataFrame:
    reason = _first_reason(checks, df.index)
    bad = reason.notna()
    rej.add(table, df[bad], reason[bad])
    return df[~bad]


def _dedupe(table: str, df: pd.DataFrame, rej: _Rejects, order_desc: list[str] | None = None) -> pd.DataFrame:
    """Exact duplicate rows collapse into one; rows sharing the key with different content are
    superseded by one kept row: the greatest by `order_desc` (e.g. recorded_at), then by content."""
    cols = list(TABLES[table][1])
    content = _content_key(df, cols)
    exact = content.duplicated(keep="first")
    rej.add(table, df[exact], "duplicate row (exact copy collapsed)", kind="duplicate")
    df, content = df[~exact], content[~exact]
    keys = list(KEYS[table])
    dup_key = content.duplicated(subset=keys, keep=False)
    if dup_key.any():
        sub = df[dup_key]
        sort = content[dup_key].copy()
        sort_cols = []
        for i, c in enumerate(order_desc or []):
            sort[f"_o{i}"] = sub[c].to_numpy()
            sort_cols.append(f"_o{i}")
        sort = sort.sort_values(
            keys + sort_cols + cols,
            ascending=[True] * len(keys) + [False] * (len(sort_cols) + len(cols)),
            na_position="last",
        )
        loser_idx = sort.index[sort.duplicated(subset=keys, keep="first")]
        rej.add(
            table,
            df.loc[loser_idx],
            "same key, different content: superseded (kept the latest recorded_at, then greatest content)",
            kind="duplicate",
        )
        df = df.drop(index=loser_idx)
    return df


def _base(table: str, raw: pd.DataFrame, rej: _Rejects, order_desc: list[str] | None = None) -> pd.DataFrame:
    """Missing required cells, duplicates, unparseable values; returns typed frame."""
    columns = TABLES[table][1]
    df = raw.copy()
    df["_row"] = np.arange(len(df))
    key_checks = [(df[k].isna(), f"missing key {k}") for k in KEYS[table]]
    df = _take(table, df, key_checks, rej)
    kinds = KINDS.get(table, {})
    parsed = {c: _PARSERS[k](df[c]) for c, k in kinds.items()}
    for c, v in parsed.items():
        df[f"_p_{c}"] = v
    df = _dedupe(table, df, rej, [f"_p_{c}" for c in (order_desc or [])])
    checks = [
        (df[c].isna(), f"missing required {c}")
        for c, req in columns.items()
        if req and (table, c) not in NOT_REQUIRED_CELLS
    ]
    checks += [
        (df[c].notna() & df[f"_p_{c}"].isna(), f"unparseable {c}: not a valid {kinds[c]}") for c in kinds
    ]
    df = _take(table, df, checks, rej)
    for c in kinds:
        df[c] = df.pop(f"_p_{c}")
    return df


def _nonneg(df: pd.DataFrame, col: str, what: str = "negative") -> tuple[pd.Series, str]:
    return (df[col] < 0, f"{what} {col}")


# --------------------------------------------------------------------------- events
def order_events(ev: pd.DataFrame) -> pd.DataFrame:
    """Per item: occurred_at, then recorded_at (missing first), then event_id."""
    return ev.sort_values(
        ["item_id", "occurred_at", "recorded_at", "event_id"], na_position="first", kind="stable"
    )


def resolve_event_states(ev: pd.DataFrame, plans: pd.DataFrame) -> pd.DataFrame:
    """Full item state after each (ordered) event: missing cells keep the previous value;
    `item_started` fills the contract defaults (quantity 1, plan list_price and currency,
    discount 0, not trial). Adds `paused` (between item_paused and item_resumed)."""
    ev = order_events(ev).copy()
    started = ev["event_type"] == "item_started"
    pl = plans.set_index("plan_id")
    ev["quantity"] = ev["quantity"].mask(started & ev["quantity"].isna(), 1.0)
    ev["unit_price"] = ev["unit_price"].mask(
        started & ev["unit_price"].isna(), ev["plan_id"].map(pl["list_price"])
    )
    ev["currency"] = ev["currency"].mask(started & ev["currency"].isna(), ev["plan_id"].map(pl["currency"]))
    ev["discount_percent"] = ev["discount_percent"].mask(started & ev["discount_percent"].isna(), 0.0)
    ev["is_trial"] = ev["is_trial"].mask(started & ev["is_trial"].isna(), False)
    pause = ev["event_type"].map({"item_paused": 1.0, "item_resumed": 0.0, "item_started": 0.0})
    ev["_pause"] = pause
    cols = [*STATE_COLUMNS, "_pause"]
    ev[cols] = ev.groupby("item_id", sort=False)[cols].ffill()
    # A unit_price nothing filled (a usage plan's null list price): the current plan's list price.
    ev["unit_price"] = ev["unit_price"].fillna(ev["plan_id"].map(pl["list_price"]))
    ev["currency"] = ev["currency"].fillna(ev["plan_id"].map(pl["currency"]))
    ev["is_trial"] = ev["is_trial"].fillna(False).astype(bool)
    ev["paused"] = ev.pop("_pause").fillna(0.0).astype(bool)
    return ev


def _sequence_reasons(ev: pd.DataFrame) -> pd.Series:
    """Reasons for ordered events that break the item life cycle (see README.md)."""
    is_start = (ev["event_type"] == "item_started").astype(int)
    is_end = (ev["event_type"] == "item_ended").astype(int)
    starts_incl = is_start.groupby(ev["item_id"], sort=False).cumsum()
    ends_before = is_end.groupby(ev["item_id"], sort=False).cumsum() - is_end
    first_cust = (
        ev["customer_id"].where(is_start.astype(bool)).groupby(ev["item_id"], sort=False).transform("first")
    )
    return _first_reason(
        [
            (starts_incl == 0, "no earlier item_started for this item"),
            (ends_before > 0, "event after the item's item_ended"),
            ((is_start == 1) & (starts_incl > 1), "item_started for an item already started"),
            (ev["customer_id"] != first_cust, "customer_id differs from the item's item_started"),
        ],
        ev.index,
    )


def _clean_events(
    raw: pd.DataFrame, customers: pd.DataFrame, plans: pd.DataFrame, fx: pd.DataFrame, rep: str, rej: _Rejects
) -> pd.DataFrame:
    t = "subscription_events"
    ev = _base(t, raw, rej, order_desc=["recorded_at"])
    known_ccy = set(fx["currency"]) | {rep}
    needs_plan = ev["event_type"].isin(["item_started", "item_changed"])
    ev = _take(
        t,
        ev,
        [
            (~ev["event_type"].isin(EVENT_TYPES), "unknown event_type"),
            (~ev["customer_id"].isin(customers["customer_id"]), "unknown customer_id"),
            (needs_plan & ev["plan_id"].isna(), "missing plan_id on item_started/item_changed"),
            (ev["plan_id"].notna() & ~ev["plan_id"].isin(plans["plan_id"]), "unknown plan_id"),
            _nonneg(ev, "quantity"),
            _nonneg(ev, "unit_price"),
            ((ev["discount_percent"] < 0) | (ev["discount_percent"] > 100), "discount_percent outside 0-100"),
            (ev["currency"].notna() & ~ev["currency"].isin(known_ccy), "unknown currency (no fx rate)"),
        ],
        rej,
    )
    ev = order_events(ev)
    while True:
        seq = _sequence_reasons(ev)
        st = resolve_event_states(ev[seq.isna()], plans)
        rate = fx_lookup(fx, st["currency"], st["occurred_at"].dt.tz_convert(None).dt.floor("D"), rep)
        reason = seq.copy()
        no_rate = rate.isna()
        reason.loc[no_rate[no_rate].index] = "no fx rate for the currency on or before the event date"
        bad = reason.notna()
        if not bad.any():
            return ev
        rej.add(t, ev[bad], reason[bad])
        ev = ev[~bad]


# --------------------------------------------------------------------------- main entry
def clean(raw: dict[str, pd.DataFrame], reporting_currency: str = "USD") -> dict[str, pd.DataFrame]:
    """Typed, validated tables plus `rejected_rows` (table, row_number, key, reason, kind) and
    `row_accounting` (table, rows_in, rows_used, rows_rejected, duplicates_collapsed).

    `kind` is 'rejected' (bad row) or 'duplicate' (collapsed redelivery / superseded version).
    """
    rep = reporting_currency
    rej = _Rejects()
    out: dict[str, pd.DataFrame] = {}

    c = _base("customers", raw["customers"], rej)
    out["customers"] = c

    p = _base("products", raw["products"], rej)
    p = _take("products", p, [(~p["product_type"].isin(PRODUCT_TYPES), "unknown product_type")], rej)
    out["products"] = p

    pl = _base("plans", raw["plans"], rej)
    pl["billing_interval_count"] = pl["billing_interval_count"].fillna(1.0)
    pl = _take(
        "plans",
        pl,
        [
            (~pl["product_id"].isin(p["product_id"]), "unknown product_id"),
            (~pl["pricing_model"].isin(PRICING_MODELS), "unknown pricing_model"),
            (~pl["billing_interval"].isin(INTERVALS), "unknown billing_interval"),
            (pl["billing_interval_count"] < 1, "billing_interval_count below 1"),
            ((pl["pricing_model"] != "usage") & pl["list_price"].isna(), "missing list_price"),
            _nonneg(pl, "list_price"),
        ],
        rej,
    )
    out["plans"] = pl

    fx = _base("fx_rates", raw["fx_rates"], rej)
    fx = _take("fx_rates", fx, [(fx["rate_to_reporting"] <= 0, "rate_to_reporting not positive")], rej)
    out["fx_rates"] = fx

    lim = _base("plan_limits", raw["plan_limits"], rej)
    lim = _take(
        "plan_limits",
        lim,
        [(~lim["plan_id"].isin(pl["plan_id"]), "unknown plan_id"), _nonneg(lim, "limit_value")],
        rej,
    )
    lim["per_unit_limit"] = lim["per_unit_limit"].fillna(False).astype(bool)
    out["plan_limits"] = lim

    out["subscription_events"] = _clean_events(raw["subscription_events"], c, pl, fx, rep, rej)

    u = _base("usage_charges", raw["usage_charges"], rej)
    usage_plans = pl.loc[pl["pricing_model"] == "usage", "plan_id"]
    u = _take(
        "usage_charges",
        u,
        [
            (~u["customer_id"].isin(c["customer_id"]), "unknown customer_id"),
            (~u["plan_id"].isin(pl["plan_id"]), "unknown plan_id"),
            (~u["plan_id"].isin(usage_plans), "plan is not a usage plan"),
            (u["period_end"] < u["period_start"], "period_end before period_start"),
            _nonneg(u, "amount"),
            _nonneg(u, "usage_quantity"),
            (
                fx_lookup(fx, u["currency"], u["period_start"], rep).isna(),
                "no fx rate on or before period_start",
            ),
        ],
        rej,
    )
    out["usage_charges"] = u

    o = _base("one_time_charges", raw["one_time_charges"], rej)
    o = _take(
        "one_time_charges",
        o,
        [
            (~o["customer_id"].isin(c["customer_id"]), "unknown customer_id"),
            _nonneg(o, "amount"),
            (
                fx_lookup(fx, o["currency"], o["charged_at"].dt.tz_convert(None).dt.floor("D"), rep).isna(),
                "no fx rate on or before charged_at",
            ),
        ],
        rej,
    )
    out["one_time_charges"] = o

    s = _base("usage_snapshots", raw["usage_snapshots"], rej)
    s = _take(
        "usage_snapshots",
        s,
        [
            (~s["customer_id"].isin(c["customer_id"]), "unknown customer_id"),
            (~s["product_id"].isin(p["product_id"]), "unknown product_id"),
        ],
        rej,
    )
    out["usage_snapshots"] = s

    for name in list(out):
        out[name] = out[name].drop(columns="_row").reset_index(drop=True)
    rejected = rej.frame()
    out["rejected_rows"] = rejected
    acc = []
    for name in TABLES:
        r = rejected[rejected["table"] == name]
        acc.append(
            {
                "table": name,
                "rows_in": len(raw[name]),
                "rows_used": len(out[name]),
                "rows_rejected": int((r["kind"] == "rejected").sum()),
                "duplicates_collapsed": int((r["kind"] == "duplicate").sum()),
            }
        )
    accounting = pd.DataFrame(acc)
    assert (
        accounting["rows_in"]
        == accounting["rows_used"] + accounting["rows_rejected"] + accounting["duplicates_collapsed"]
    ).all(), accounting
    out["row_accounting"] = accounting
    return out
