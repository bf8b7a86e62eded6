"""Apply the contract's "Bad input" rules: type the raw string tables, reject and count bad rows.

Everything is vectorised; the only loop is the (short) fixed-point over event rejections,
because rejecting an event can change the state inherited by the item's later events.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from decimal import ROUND_HALF_UP, Decimal, localcontext
from typing import Any

import numpy as np
import pandas as pd

from orchestration.settings import project_vars

from .loading import TABLES

EVENT_TYPES = ("item_started", "item_changed", "item_paused", "item_resumed", "item_ended")
PRICING_MODELS = ("flat", "per_unit", "usage")
INTERVALS = ("day", "week", "month", "year")
PRODUCT_TYPES = ("core", "add_on")
STATE_COLUMNS = ("plan_id", "quantity", "unit_price", "currency", "discount_percent", "is_trial")
# A check of a table's rows: the rows it rejects (true) and the reason it gives them.
Check = tuple[pd.Series, str]

# The grammar of raw values is declared once, in the var `raw_value_grammar` of the dbt project, and read
# here as data (not as SQL): the warehouse and this reference read every raw value alike, or both reject it.


def grammar() -> dict[str, Any]:
    return project_vars()["raw_value_grammar"]


def column_kinds(table: str) -> dict[str, str]:
    """Declared type of every typed column of a raw table: integer, decimal(p, s), date, timestamp,
    boolean, currency, country or code (anything not listed is free text)."""
    return dict(grammar()["column_types"].get(table, {}))


def normalise_currency(code: str | None) -> str:
    """An ISO 4217 code as every currency column reads it: trimmed, upper-cased."""
    return str(code).strip().upper()


def default_reporting_currency() -> str:
    return normalise_currency(project_vars()["reporting_currency"])


def default_earliest_valid_date() -> pd.Timestamp:
    return pd.Timestamp(str(project_vars()["earliest_valid_date"]).strip())


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

# Raw rows dated before earliest_valid_date are rejected (not customers.created_at).
DATED_COLUMNS = {
    "subscription_events": "occurred_at",
    "usage_charges": "period_start",
    "one_time_charges": "charged_at",
    "usage_snapshots": "snapshot_date",
    "fx_rates": "rate_date",
}


# --------------------------------------------------------------------------- parsing
def _matching(s: pd.Series, pattern_name: str) -> tuple[pd.Series, pd.Series]:
    """The trimmed text and whether all of it matches the grammar's pattern (missing: False)."""
    text = s.astype("str").str.strip()
    ok = text.str.fullmatch(grammar()["patterns"][pattern_name]).astype("boolean").fillna(False)
    return text, ok.astype(bool)


def _convert_distinct(text: pd.Series, ok: pd.Series, convert) -> pd.Series:
    """convert() applied once per distinct matching text; NaN elsewhere (float64)."""
    out = pd.Series(np.nan, index=text.index, dtype="float64")
    if ok.any():
        values = text[ok]
        lookup = {value: convert(value) for value in pd.unique(values)}
        out[ok] = values.map(lookup).astype("float64")
    return out


def parse_int(s: pd.Series) -> pd.Series:
    """Whole numbers, also written as an integral decimal (12.0 -> 12), within integer_range."""
    low, high = grammar()["integer_range"]
    text, ok = _matching(s, "integer")

    def convert(value: str) -> float:
        number = int(value.split(".")[0])
        return float(number) if low <= number <= high else np.nan

    return _convert_distinct(text, ok, convert)


def decimal_value(text: str, precision: int, scale: int) -> Decimal | None:
    """A matching decimal text rounded half away from zero to `scale` decimals; None when it then needs
    more than precision - scale integer digits."""
    number = Decimal(text)
    integer_digits = precision - scale
    if number != 0 and number.adjusted() >= integer_digits:
        return None
    with localcontext() as context:
        context.prec = precision + 2
        rounded = number.quantize(Decimal(1).scaleb(-scale), rounding=ROUND_HALF_UP)
    if abs(rounded) >= Decimal(10) ** integer_digits:
        return None
    return rounded.copy_abs() if rounded == 0 else rounded


def parse_decimal(s: pd.Series, precision: int, scale: int) -> pd.Series:
    """Decimals (exponent allowed) quantised to the column's scale, as floats; NaN when unreadable."""
    text, ok = _matching(s, "decimal")

    def convert(value: str) -> float:
        rounded = decimal_value(value, precision, scale)
        return np.nan if rounded is None else float(rounded)

    return _convert_distinct(text, ok, convert)


_DECIMAL_TYPE = re.compile(r"decimal\((\d+),\s*(\d+)\)")

# Splits a text that matched the grammar's timestamp pattern into its fields (no validation here).
_TIMESTAMP_FIELDS = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,6}))?)?)?"
    r"(?: ?(?:Z|([+-])(\d{2}):?(\d{2})?))?$"
)


def _timestamp_fields(s: pd.Series) -> tuple[pd.DataFrame, pd.Series, np.ndarray]:
    """Fields of the values matching the timestamp pattern whose day exists in its month; returns the
    fields (strings), validity, and the day as datetime64[D] (NaT where invalid)."""
    text, ok = _matching(s, "timestamp")
    fields = text.where(ok).str.extract(_TIMESTAMP_FIELDS)
    fields.columns = ["y", "m", "d", "hh", "mi", "ss", "frac", "sign", "oh", "om"]

    def ints(column: str, default: int = 0) -> np.ndarray:
        return pd.to_numeric(fields[column]).fillna(default).astype("int64").to_numpy()

    year, month, day = ints("y", 1970), ints("m", 1), ints("d", 1)
    month_start = ((year - 1970) * 12 + month - 1).astype("datetime64[M]")
    first_day = month_start.astype("datetime64[D]")
    days_in_month = ((month_start + 1).astype("datetime64[D]") - first_day).astype("int64")
    valid = ok.to_numpy() & (day <= days_in_month)
    days = np.where(valid, first_day + (day - 1), np.datetime64("NaT"))
    return fields, pd.Series(valid, index=s.index), days.astype("datetime64[D]")


def parse_ts(s: pd.Series) -> pd.Series:
    """ISO 8601 timestamps (the grammar's pattern); no offset = UTC. Unreadable -> NaT.
    Microsecond resolution, so that every year 0001-9999 the warehouse reads is read here too."""
    fields, valid, days = _timestamp_fields(s)

    def ints(column: str) -> np.ndarray:
        return pd.to_numeric(fields[column]).fillna(0).astype("int64").to_numpy()

    micros = pd.to_numeric(fields["frac"].str.ljust(6, "0")).fillna(0).astype("int64").to_numpy()
    sign = np.where(fields["sign"].to_numpy() == "-", -1, 1)
    offset_minutes = sign * (ints("oh") * 60 + ints("om"))
    seconds = ints("hh") * 3600 + ints("mi") * 60 + ints("ss") - offset_minutes * 60
    stamp = days.astype("datetime64[us]") + (seconds * 1_000_000 + micros).astype("timedelta64[us]")
    stamp = np.where(valid.to_numpy(), stamp, np.datetime64("NaT"))
    return pd.Series(stamp.astype("datetime64[us]"), index=s.index).dt.tz_localize("UTC")


def parse_date(s: pd.Series) -> pd.Series:
    """YYYY-MM-DD; a timestamp is cut to the date written in it (as the warehouse does); naive midnight."""
    _fields, _valid, days = _timestamp_fields(s)
    return pd.Series(days.astype("datetime64[us]"), index=s.index)


def parse_bool(s: pd.Series) -> pd.Series:
    """The grammar's boolean words, in any case."""
    low = s.astype("str").str.strip().str.lower()
    words_true = {str(word).lower() for word in grammar()["boolean_true"]}
    words_false = {str(word).lower() for word in grammar()["boolean_false"]}
    out = pd.Series(np.nan, index=s.index, dtype="object")
    out[low.isin(words_true).to_numpy()] = True
    out[low.isin(words_false).to_numpy()] = False
    return out


def parse_currency(s: pd.Series) -> pd.Series:
    """ISO 4217 codes trimmed and upper-cased ('usd' is USD)."""
    text = s.astype("str").str.strip().str.upper()
    return text.mask(text == "")


def parse_code(s: pd.Series) -> pd.Series:
    """Keywords (event types, pricing models, metrics, ...) trimmed and lower-cased."""
    text = s.astype("str").str.strip().str.lower()
    return text.mask(text == "")


# Kinds whose parser can fail on a present value (code and currency never do).
_READABLE_OR_NOT = ("integer", "decimal", "date", "timestamp", "boolean")


def parse_value(s: pd.Series, kind: str) -> pd.Series:
    """One raw column typed by its declared kind (raw_value_grammar.column_types). Each distinct text is
    parsed once (dates and amounts repeat a lot)."""
    codes, distinct = pd.factorize(s, use_na_sentinel=True)
    if not len(distinct):
        return _parse_kind(s, kind)
    parsed = _parse_kind(pd.Series(distinct, dtype="str"), kind)
    taken = parsed.take(np.where(codes >= 0, codes, 0))
    return taken.where(codes >= 0).set_axis(s.index)


def _parse_kind(s: pd.Series, kind: str) -> pd.Series:
    decimal_type = _DECIMAL_TYPE.fullmatch(kind)
    if decimal_type:
        return parse_decimal(s, int(decimal_type.group(1)), int(decimal_type.group(2)))
    parsers = {
        "integer": parse_int,
        "timestamp": parse_ts,
        "date": parse_date,
        "boolean": parse_bool,
        "currency": parse_currency,
        "country": parse_currency,  # ISO 3166-1 codes read like ISO 4217 ones: trimmed, upper-cased
        "code": parse_code,
    }
    if kind not in parsers:
        raise ValueError(f"unknown raw column type {kind!r} in raw_value_grammar.column_types")
    return parsers[kind](s)


# --------------------------------------------------------------------------- fx
def fx_lookup(
    fx: pd.DataFrame, currency: pd.Series, day: pd.Series, reporting_currency: str = "USD"
) -> pd.Series:
    """Rate to the reporting currency: latest fx `rate_date` on or before `day` (a naive date).

    The reporting currency (trimmed, upper-cased like every currency) always converts at 1. Missing rate
    -> NaN.
    """
    reporting_currency = normalise_currency(reporting_currency)
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


def _first_reason(checks: Iterable[Check], index: pd.Index) -> pd.Series:
    reason = pd.Series(pd.NA, index=index, dtype="object")
    for bad, text in checks:
        reason = reason.mask(reason.isna() & bad.fillna(False).astype(bool), text)
    return reason


def _content_key(df: pd.DataFrame, cols: list[str]) -> pd.DataFrame:
    return df[cols].astype("str").fillna("")


def _take(table: str, df: pd.DataFrame, checks: list[Check], rej: _Rejects) -> pd.DataFrame:
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


def _base(
    table: str,
    raw: pd.DataFrame,
    rej: _Rejects,
    order_desc: list[str] | None = None,
    earliest_valid_date: pd.Timestamp | None = None,
) -> pd.DataFrame:
    """Missing required cells, duplicates, unparseable values, rows dated before earliest_valid_date;
    returns the typed frame."""
    columns = TABLES[table][1]
    df = raw.copy()
    df["_row"] = np.arange(len(df))
    key_checks = [(df[k].isna(), f"missing key {k}") for k in KEYS[table]]
    df = _take(table, df, key_checks, rej)
    kinds = column_kinds(table)
    parsed = {c: parse_value(df[c], k) for c, k in kinds.items()}
    for c, v in parsed.items():
        df[f"_p_{c}"] = v
    df = _dedupe(table, df, rej, [f"_p_{c}" for c in (order_desc or [])])
    checks = [
        (df[c].isna(), f"missing required {c}")
        for c, req in columns.items()
        if req and (table, c) not in NOT_REQUIRED_CELLS
    ]
    checks += [
        (df[c].notna() & df[f"_p_{c}"].isna(), f"unparseable {c}: not a valid {kinds[c]}")
        for c in kinds
        if kinds[c].startswith(_READABLE_OR_NOT)
    ]
    dated = DATED_COLUMNS.get(table)
    if dated is not None and earliest_valid_date is not None:
        day = df[f"_p_{dated}"]
        if isinstance(day.dtype, pd.DatetimeTZDtype):
            day = day.dt.tz_convert(None).dt.floor("D")
        reason = f"{dated} before earliest_valid_date {earliest_valid_date:%Y-%m-%d}"
        checks.append((day < earliest_valid_date, reason))
    df = _take(table, df, checks, rej)
    for c in kinds:
        df[c] = df.pop(f"_p_{c}")
    return df


def _nonneg(df: pd.DataFrame, col: str, what: str = "negative") -> Check:
    return (df[col] < 0, f"{what} {col}")


def _unknown(df: pd.DataFrame, col: str, known: pd.DataFrame) -> Check:
    """A key that names no accepted row of the table it refers to (``known`` has the same column)."""
    return (~df[col].isin(known[col]), f"unknown {col}")


def _no_fx_rate(df: pd.DataFrame, day: pd.Series, fx: pd.DataFrame, rep: str, day_col: str) -> Check:
    """A row whose currency has no exchange rate on or before ``day`` (the day of its ``day_col``)."""
    return (fx_lookup(fx, df["currency"], day, rep).isna(), f"no fx rate on or before {day_col}")


def _checked(
    table: str,
    raw: dict[str, pd.DataFrame],
    rej: _Rejects,
    checks: Callable[[pd.DataFrame], list[Check]],
    earliest_valid_date: pd.Timestamp | None = None,
) -> pd.DataFrame:
    """The typed rows of one raw table (``_base``) that also pass the table's own ``checks``, given as a
    function of the typed frame; the first failing check gives a row's reason."""
    df = _base(table, raw[table], rej, earliest_valid_date=earliest_valid_date)
    return _take(table, df, checks(df), rej)


# --------------------------------------------------------------------------- events
def order_events(ev: pd.DataFrame) -> pd.DataFrame:
    """Per item: occurred_at, then recorded_at (missing first), then event_id."""
    return ev.sort_values(
        ["item_id", "occurred_at", "recorded_at", "event_id"], na_position="first", kind="stable"
    )


def resolve_event_states(ev: pd.DataFrame, plans: pd.DataFrame) -> pd.DataFrame:
    """Full item state after each (ordered) event: missing cells keep the previous value;
    `item_started` fills the contract defaults (quantity 1, plan list_price and currency,
    discount 0, not trial). An event that moves the item to a different plan without a unit_price
    (or currency) takes the new plan's list_price (and currency) (contract v1.1); quantity and discount
    still carry over. Adds `paused` (between item_paused and item_resumed)."""
    ev = order_events(ev).copy()
    started = ev["event_type"] == "item_started"
    pl = plans.set_index("plan_id")
    item = ev["item_id"]
    plan = ev["plan_id"].groupby(item, sort=False).ffill()
    previous_plan = plan.groupby(item, sort=False).shift(1)
    moved = ~started & previous_plan.notna() & (plan != previous_plan)
    # the item's stretches on one plan: price and currency carry over within a stretch only
    stretch = (started | moved).astype("int64").groupby(item, sort=False).cumsum()
    ev["quantity"] = ev["quantity"].mask(started & ev["quantity"].isna(), 1.0)
    ev["discount_percent"] = ev["discount_percent"].mask(started & ev["discount_percent"].isna(), 0.0)
    ev["is_trial"] = ev["is_trial"].mask(started & ev["is_trial"].isna(), False)
    pause = ev["event_type"].map({"item_paused": 1.0, "item_resumed": 0.0, "item_started": 0.0})
    ev["_pause"] = pause
    cols = ["plan_id", "quantity", "discount_percent", "is_trial", "_pause"]
    ev[cols] = ev.groupby("item_id", sort=False)[cols].ffill()
    priced = ["unit_price", "currency"]
    ev[priced] = ev.groupby([item, stretch], sort=False)[priced].ffill()
    # a unit_price or currency not set on the current plan: the plan's (a usage plan has no list price)
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
    raw: pd.DataFrame,
    customers: pd.DataFrame,
    plans: pd.DataFrame,
    fx: pd.DataFrame,
    rep: str,
    rej: _Rejects,
    earliest: pd.Timestamp,
) -> pd.DataFrame:
    t = "subscription_events"
    ev = _base(t, raw, rej, order_desc=["recorded_at"], earliest_valid_date=earliest)
    known_ccy = set(fx["currency"]) | {rep}
    needs_plan = ev["event_type"].isin(["item_started", "item_changed"])
    ev = _take(
        t,
        ev,
        [
            (~ev["event_type"].isin(EVENT_TYPES), "unknown event_type"),
            _unknown(ev, "customer_id", customers),
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
def clean(
    raw: dict[str, pd.DataFrame],
    reporting_currency: str | None = None,
    earliest_valid_date: str | pd.Timestamp | None = None,
) -> dict[str, pd.DataFrame]:
    """Typed, validated tables plus `rejected_rows` (table, row_number, key, reason, kind) and
    `row_accounting` (table, rows_in, rows_used, rows_rejected, duplicates_collapsed).

    `kind` is 'rejected' (bad row) or 'duplicate' (collapsed redelivery / superseded version).
    reporting_currency and earliest_valid_date default to the dbt project's vars.
    """
    rep = normalise_currency(reporting_currency) if reporting_currency else default_reporting_currency()
    earliest = default_earliest_valid_date()
    if earliest_valid_date is not None:
        earliest = pd.Timestamp(earliest_valid_date)
    rej = _Rejects()
    out: dict[str, pd.DataFrame] = {}

    c = out["customers"] = _checked("customers", raw, rej, lambda df: [_nonneg(df, "employee_count")])
    p = out["products"] = _checked(
        "products", raw, rej, lambda df: [(~df["product_type"].isin(PRODUCT_TYPES), "unknown product_type")]
    )

    pl = _base("plans", raw["plans"], rej)
    pl["billing_interval_count"] = pl["billing_interval_count"].fillna(1.0)
    pl = _take(
        "plans",
        pl,
        [
            _unknown(pl, "product_id", p),
            (~pl["pricing_model"].isin(PRICING_MODELS), "unknown pricing_model"),
            (~pl["billing_interval"].isin(INTERVALS), "unknown billing_interval"),
            (pl["billing_interval_count"] < 1, "billing_interval_count below 1"),
            ((pl["pricing_model"] != "usage") & pl["list_price"].isna(), "missing list_price"),
            _nonneg(pl, "list_price"),
        ],
        rej,
    )
    out["plans"] = pl

    fx = out["fx_rates"] = _checked(
        "fx_rates",
        raw,
        rej,
        lambda df: [(df["rate_to_reporting"] <= 0, "rate_to_reporting not positive")],
        earliest,
    )
    lim = _checked(
        "plan_limits", raw, rej, lambda df: [_unknown(df, "plan_id", pl), _nonneg(df, "limit_value")]
    )
    lim["per_unit_limit"] = lim["per_unit_limit"].fillna(False).astype(bool)
    out["plan_limits"] = lim

    out["subscription_events"] = _clean_events(raw["subscription_events"], c, pl, fx, rep, rej, earliest)

    usage_plans = pl[pl["pricing_model"] == "usage"]
    # The tables of dated rows that refer to the ones above: each one's own checks, in order.
    dated_row_checks: dict[str, Callable[[pd.DataFrame], list[Check]]] = {
        "usage_charges": lambda df: [
            _unknown(df, "customer_id", c),
            _unknown(df, "plan_id", pl),
            (~df["plan_id"].isin(usage_plans["plan_id"]), "plan is not a usage plan"),
            (df["period_end"] < df["period_start"], "period_end before period_start"),
            _nonneg(df, "amount"),
            _nonneg(df, "usage_quantity"),
            _no_fx_rate(df, df["period_start"], fx, rep, "period_start"),
        ],
        "one_time_charges": lambda df: [
            _unknown(df, "customer_id", c),
            _nonneg(df, "amount"),
            _no_fx_rate(df, df["charged_at"].dt.tz_convert(None).dt.floor("D"), fx, rep, "charged_at"),
        ],
        "usage_snapshots": lambda df: [_unknown(df, "customer_id", c), _unknown(df, "product_id", p)],
    }
    for table, checks in dated_row_checks.items():
        out[table] = _checked(table, raw, rej, checks, earliest)

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
