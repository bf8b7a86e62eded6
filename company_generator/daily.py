"""Land one more day of billing data in an existing landing folder, append-only.

``land_next_day(raw_dir, day)`` reads the current state of a landing folder (the sample company in
``seeds/`` or one written by :func:`generate_company`) with DuckDB and adds one file per table,
``<table>/day-<YYYY-MM-DD>.<csv|parquet>``, in the table's existing format: today's seat and tier
changes, churned items and new customers; backdated changes recorded today; one exact redelivery and one
correction of an earlier event; the day's exchange rates; last month's usage charges for a few metered
customers; a few one-time charges. Existing files are never modified. The same folder state, day and
seed give byte-identical files.

``python -m company_generator.daily RAW_DIR YYYY-MM-DD [--seed N] [--activity F]``
"""

from __future__ import annotations

import argparse
import csv
import os
import sys
import time as timer
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from orchestration.landing import files_by_table, files_reader_sql, is_csv, raw_contract, raw_table

from .core import print_table_counts
from .tables import FIRST_WORDS, INDUSTRIES, SCHEMAS, SECOND_WORDS, SUFFIXES

Row = dict[str, Any]

DAY_S = 86_400
BACKDATE_DAYS = (20, 70)  # a backdated change takes effect this many days before it is recorded
FX_DAILY_VOL = 0.0035
REPORTING_CURRENCY = "USD"
EVENT_TYPES = ("item_started", "item_changed", "item_paused", "item_resumed", "item_ended")
COUNTRIES = {"USD": ("US", "US", "US", "CA"), "EUR": ("DE", "FR", "NL", "ES", "IE"), "GBP": ("GB",)}
OTC_CATEGORIES = ("services", "training", "setup")
OTC_AMOUNTS = {"services": (250, 2, 40), "training": (150, 2, 12), "setup": (250, 2, 30)}  # step, lo, hi
# Rows are written sorted by their table's key (meta key of the raw contract), events in the order the
# billing system recorded them.
SORT_KEYS = {"subscription_events": ("recorded_at", "event_id", "occurred_at")}
CENT = Decimal("0.01")


# ---------------------------------------------------------------------------------------- landing folder
@dataclass(frozen=True)
class Landing:
    """The files of each raw table in a landing folder (the discovery rule of orchestration.landing)."""

    raw_dir: Path
    files: dict[str, list[Path]]

    def fmt(self, table: str) -> str:
        files = self.files.get(table) or self.files["subscription_events"]
        return files[0].suffix.lstrip(".")

    def target(self, table: str, day: date) -> Path:
        return self.raw_dir / table / f"day-{day.isoformat()}.{self.fmt(table)}"


def discover(raw_dir: Path) -> Landing:
    files = {table: paths for table, paths in files_by_table(raw_dir).items() if paths}
    for table, paths in files.items():
        if len({is_csv(p) for p in paths}) > 1:
            raise ValueError(f"raw table {table} mixes CSV and Parquet files in {raw_dir}")
    if "subscription_events" not in files:
        raise FileNotFoundError(f"no subscription_events file in the landing folder {raw_dir}")
    return Landing(raw_dir, files)


def _sql_str(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _register(con: duckdb.DuckDBPyConnection, landing: Landing) -> None:
    """Views ``src_<table>`` (the files as they are) and ``raw_<table>`` (the contract's columns)."""
    for table in raw_contract():
        columns = table.column_names
        paths = landing.files.get(table.name)
        if paths is None:
            nulls = ", ".join(f"cast(null as varchar) as {c}" for c in columns)
            con.execute(f"create temp view src_{table.name} as select {nulls} where false")
        else:
            con.execute(f"create temp view src_{table.name} as select * from {files_reader_sql(paths)}")
        present = {r[0] for r in con.sql(f"describe src_{table.name}").fetchall()}
        cols = ", ".join(c if c in present else f"cast(null as varchar) as {c}" for c in columns)
        con.execute(f"create temp view raw_{table.name} as select {cols} from src_{table.name}")


# ---------------------------------------------------------------------------------------- current state
STATE_SQL = """
create temp table fx as
select try_cast(rate_date as date) as rate_date, upper(trim(currency)) as currency,
       try_cast(rate_to_reporting as decimal(18, 6)) as rate
from raw_fx_rates
where try_cast(rate_date as date) is not null and try_cast(rate_to_reporting as decimal(18, 6)) > 0
  and currency is not null;

create temp table currencies as
select distinct currency from fx union select '{reporting}';

create temp table plans as
select pl.plan_id, pl.product_id, pr.product_type, try_cast(pl.tier_rank as bigint) as tier_rank,
       lower(pl.pricing_model) as pricing_model, lower(pl.billing_interval) as billing_interval,
       coalesce(try_cast(pl.billing_interval_count as bigint), 1) as interval_count,
       try_cast(pl.list_price as decimal(18, 6)) as list_price, upper(pl.currency) as currency
from raw_plans as pl
join raw_products as pr on pr.product_id = pl.product_id
where pl.plan_id in (select plan_id from raw_plans group by plan_id having count(*) = 1)
  and pr.product_id in (select product_id from raw_products group by product_id having count(*) = 1)
  and try_cast(pl.tier_rank as bigint) is not null
  and lower(pl.pricing_model) in ('flat', 'per_unit', 'usage')
  and lower(pl.billing_interval) in ('day', 'week', 'month', 'year')
  and upper(pl.currency) in (select currency from currencies)
  and (lower(pl.pricing_model) = 'usage' or try_cast(pl.list_price as decimal(18, 6)) >= 0);

create temp table customers as
select customer_id from raw_customers
where customer_id is not null and try_cast(created_at as timestamptz) is not null
group by customer_id having count(*) = 1;

create temp table evt as
select distinct
    event_id, try_cast(occurred_at as timestamptz) as occ, try_cast(recorded_at as timestamptz) as rec,
    customer_id, subscription_id, item_id, lower(trim(event_type)) as et, plan_id,
    try_cast(quantity as decimal(18, 6)) as q, try_cast(unit_price as decimal(18, 6)) as up,
    upper(trim(currency)) as cur, try_cast(discount_percent as decimal(18, 6)) as disc,
    try_cast(is_trial as boolean) as trial,
    (recorded_at is not null and try_cast(recorded_at as timestamptz) is null)
    or (quantity is not null and try_cast(quantity as decimal(18, 6)) is null)
    or (unit_price is not null and try_cast(unit_price as decimal(18, 6)) is null)
    or (discount_percent is not null and try_cast(discount_percent as decimal(18, 6)) is null)
    or (is_trial is not null and try_cast(is_trial as boolean) is null) as unparsed
from raw_subscription_events
where item_id is not null;

create temp table ev as
select
    e.*,
    count(*) over (partition by e.event_id) > 1 as conflict,
    e.event_id is not null and e.customer_id is not null and e.subscription_id is not null
    and e.occ is not null and not e.unparsed and e.et in ({event_types})
    and c.customer_id is not null
    and (e.plan_id is null or p.plan_id is not null)
    and (e.plan_id is not null or e.et not in ('item_started', 'item_changed'))
    and coalesce(e.q >= 0, true) and coalesce(e.up >= 0, true)
    and coalesce(e.disc between 0 and 100, true)
    and (e.cur is null or e.cur in (select currency from currencies)) as row_ok,
    row_number() over w as seq,
    last_value(e.plan_id ignore nulls) over w as s_plan,
    last_value(e.q ignore nulls) over w as s_q,
    last_value(e.up ignore nulls) over w as s_up,
    last_value(e.cur ignore nulls) over w as s_cur,
    last_value(e.disc ignore nulls) over w as s_disc,
    last_value(e.trial ignore nulls) over w as s_trial,
    last_value(case when e.et in ('item_paused', 'item_resumed') then e.et end ignore nulls) over w
        as s_pause
from evt as e
left join customers as c on c.customer_id = e.customer_id
left join plans as p on p.plan_id = e.plan_id
window w as (
    partition by e.item_id order by e.occ, e.rec nulls first, e.event_id
    rows between unbounded preceding and current row
);

create temp table items as
select item_id, max(seq) as n_events, min(occ) as start_occ, max(occ) as last_occ
from ev
group by item_id
having bool_and(row_ok and not conflict)
   and count(*) filter (where et = 'item_started') = 1
   and min(seq) filter (where et = 'item_started') = 1
   and coalesce(min(seq) filter (where et = 'item_ended'), max(seq)) = max(seq)
   and count(distinct customer_id) = 1 and count(distinct subscription_id) = 1;

create temp table state as
select
    e.item_id, e.event_id, e.seq, e.occ, e.et, e.q as event_quantity, e.customer_id, e.subscription_id,
    i.n_events, i.start_occ, i.last_occ,
    e.s_plan as plan_id, p.product_id, p.pricing_model, p.tier_rank,
    coalesce(e.s_q, 1) as quantity, coalesce(e.s_up, p.list_price) as unit_price,
    coalesce(e.s_cur, p.currency) as currency, coalesce(e.s_disc, 0) as discount_percent,
    coalesce(e.s_trial, false) as is_trial, coalesce(e.s_pause = 'item_paused', false) as paused
from ev as e
join items as i using (item_id)
join plans as p on p.plan_id = e.s_plan;

create temp table active as
select * exclude (paused) from state
where seq = n_events and et <> 'item_ended' and not paused
order by item_id;
"""


def build_state(con: duckdb.DuckDBPyConnection) -> None:
    """Temp tables of valid plans, customers, items (and each event's item state) and active items."""
    event_types = ", ".join(_sql_str(t) for t in EVENT_TYPES)
    con.execute(STATE_SQL.format(reporting=REPORTING_CURRENCY, event_types=event_types))


def last_day(con: duckdb.DuckDBPyConnection) -> date | None:
    return con.execute(
        "select max(d) from (select cast(greatest(occ, coalesce(rec, occ)) as date) as d from evt "
        "union all select max(rate_date) from fx)"
    ).fetchall()[0][0]


# ---------------------------------------------------------------------------------------- the day's context
@dataclass
class Ctx:
    con: duckdb.DuckDBPyConnection
    day: date
    rng: np.random.Generator
    activity: float
    seq: dict[str, int] = field(default_factory=dict)

    @property
    def start(self) -> datetime:
        return datetime.combine(self.day, time(), tzinfo=UTC)

    def new_id(self, prefix: str) -> str:
        """``<prefix>D<yyyymmdd>-NNNNNN``: a scheme the generator never produces, unique per day."""
        self.seq[prefix] = self.seq.get(prefix, 0) + 1
        return f"{prefix}D{self.day:%Y%m%d}-{self.seq[prefix]:06d}"

    def moment(self, lo: int = 0, hi: int = DAY_S) -> datetime:
        return self.start + timedelta(seconds=int(self.rng.integers(lo, hi)))

    def how_many(self, lam: float, available: int) -> int:
        """About ``lam`` (Poisson), at least one when anything is available."""
        drawn = int(self.rng.poisson(max(lam, 0.0)))
        return min(available, max(1, drawn)) if available else 0

    def rows(self, sql: str, params: list | None = None) -> list[Row]:
        return self.con.sql(sql, params=params).to_arrow_table().to_pylist()


def _event(ctx: Ctx, st: Row, etype: str, occurred: datetime, recorded: datetime, **changes: Any) -> Row:
    """An event carrying the item's full state ``st`` after ``changes``."""
    row = {
        "event_id": ctx.new_id("E"),
        "occurred_at": occurred,
        "recorded_at": recorded,
        "customer_id": st["customer_id"],
        "subscription_id": st["subscription_id"],
        "item_id": st["item_id"],
        "event_type": etype,
        "plan_id": st["plan_id"],
        "quantity": st["quantity"],
        "unit_price": st["unit_price"],
        "currency": st["currency"],
        "discount_percent": st["discount_percent"],
        "is_trial": st["is_trial"],
    }
    row.update(changes)
    return row


def _new_quantity(rng: np.random.Generator, q: Decimal) -> Decimal:
    step = max(1, round(float(q) * rng.uniform(0.05, 0.25)))
    return q + step if rng.random() < 0.6 or q - step < 1 else q - step


def _new_price(rng: np.random.Generator, price: Decimal) -> Decimal:
    factor = rng.uniform(1.03, 1.15) if rng.random() < 0.6 else rng.uniform(0.85, 0.97)
    new = (price * Decimal(str(round(factor, 4)))).quantize(CENT)
    return new if new != price else price + 1


# ---------------------------------------------------------------------------------------- new customers
def _customer_ids(ctx: Ctx, n: int) -> list[str]:
    """The next ``n`` ids of the dominant ``<prefix><digits>`` customer id scheme (fixed width)."""
    found = ctx.con.execute(r"""
        with ids as (
            select regexp_extract(customer_id, '^(\D*)(\d+)$', 1) as p,
                   regexp_extract(customer_id, '^(\D*)(\d+)$', 2) as d
            from (select customer_id from raw_customers union all
                  select customer_id from raw_subscription_events)
            where regexp_matches(customer_id, '^\D*\d+$')
        )
        select p, length(d) as w, max(cast(d as hugeint)) as mx from ids
        group by all order by count(*) desc, p, w limit 1
    """).fetchall()
    if not found:
        return [ctx.new_id("C") for _ in range(n)]
    prefix, width, top = found[0]
    if len(str(int(top) + n)) > width:
        raise ValueError(f"customer ids {prefix}{'9' * width} are exhausted")
    return [f"{prefix}{int(top) + k:0{width}d}" for k in range(1, n + 1)]


def _derived_item_ids(ctx: Ctx) -> bool:
    """True when items are named after their customer (``C0000001`` -> ``S0000001-01``, ``I0000001-01``)."""
    share = ctx.con.execute(
        "select avg(case when item_id like 'I' || substr(customer_id, 2) || '-%' "
        "and subscription_id like 'S' || substr(customer_id, 2) || '-%' then 1 else 0 end) "
        "from state where seq = 1"
    ).fetchall()[0][0]
    return share is not None and share > 0.5


def _new_customer(ctx: Ctx, customer_id: str, plan: Row) -> Row:
    rng = ctx.rng
    name = f"{FIRST_WORDS[rng.integers(len(FIRST_WORDS))]} {SECOND_WORDS[rng.integers(len(SECOND_WORDS))]}"
    countries = COUNTRIES.get(plan["currency"], (None,))
    return {
        "customer_id": customer_id,
        "customer_name": name + SUFFIXES[rng.integers(len(SUFFIXES))],
        "created_at": ctx.moment(0, DAY_S // 2),
        "country": countries[rng.integers(len(countries))],
        "industry": INDUSTRIES[rng.integers(len(INDUSTRIES))],
        "employee_count": int(np.exp(rng.uniform(np.log(3), np.log(5000)))),
    }


def _first_item(ctx: Ctx, customer: Row, plan: Row, derived: bool) -> Row:
    digits = customer["customer_id"][1:]
    seats = max(1, min(2000, round(customer["employee_count"] * ctx.rng.uniform(0.02, 0.3))))
    state = {
        "customer_id": customer["customer_id"],
        "subscription_id": f"S{digits}-01" if derived else ctx.new_id("S"),
        "item_id": f"I{digits}-01" if derived else ctx.new_id("I"),
        "plan_id": plan["plan_id"],
        "quantity": Decimal(seats if plan["pricing_model"] == "per_unit" else 1),
        "unit_price": plan["list_price"],
        "currency": plan["currency"],
        "discount_percent": Decimal(0),
        "is_trial": False,
    }
    started = customer["created_at"] + timedelta(seconds=int(ctx.rng.integers(600, 6 * 3600)))
    return _event(ctx, state, "item_started", started, started)


def new_customers(ctx: Ctx) -> tuple[list[Row], list[Row]]:
    """About activity/4 x customers new customers, each starting one item on a monthly core plan."""
    n_customers = ctx.con.execute("select count(*) from customers").fetchall()[0][0]
    plans = ctx.rows(
        "select * from plans where product_type = 'core' and billing_interval = 'month' "
        "and interval_count = 1 and pricing_model in ('flat', 'per_unit') order by plan_id"
    )
    n = ctx.how_many(ctx.activity / 4 * n_customers, 10**9 if plans else 0)
    if n == 0:
        return [], []
    weights = np.array([1.0 / p["tier_rank"] if p["tier_rank"] > 0 else 1.0 for p in plans])
    picks = ctx.rng.choice(len(plans), size=n, p=weights / weights.sum())
    derived = _derived_item_ids(ctx)
    customers, events = [], []
    for customer_id, k in zip(_customer_ids(ctx, n), picks, strict=True):
        customers.append(_new_customer(ctx, customer_id, plans[k]))
        events.append(_first_item(ctx, customers[-1], plans[k], derived))
    _check_new_items(ctx, events)
    return customers, events


def _check_new_items(ctx: Ctx, events: list[Row]) -> None:
    ids = [e["item_id"] for e in events] + [e["subscription_id"] for e in events]
    clash = ctx.con.execute(
        "select count(*) from evt where list_contains(?, item_id) or list_contains(?, subscription_id)",
        [ids, ids],
    ).fetchall()[0][0]
    if clash:
        raise RuntimeError(f"new item or subscription ids clash with existing ones: {ids}")


# ---------------------------------------------------------------------------------------- backdated changes
def _backdate_window(day: date) -> tuple[int, int]:
    """Epoch seconds [lo, hi): 20-70 days before ``day`` and before the first of ``day``'s month."""
    start = int(datetime.combine(day, time(), tzinfo=UTC).timestamp())
    month = int(datetime.combine(day.replace(day=1), time(), tzinfo=UTC).timestamp())
    return start - BACKDATE_DAYS[1] * DAY_S, min(start - BACKDATE_DAYS[0] * DAY_S, month)


def _pick_backdated(ctx: Ctx, n_active: int) -> pa.Table:
    """(item_id, t): items to change at a time t inside the window, preferring t between two events."""
    lo, hi = _backdate_window(ctx.day)
    cand = ctx.con.sql(
        "select item_id, epoch(start_occ)::bigint as s, epoch(last_occ)::bigint as l from active "
        "where pricing_model <> 'usage' and epoch(start_occ) < ? order by item_id",
        params=[hi - 3600 - 1],
    ).to_arrow_table()
    n = ctx.how_many(ctx.activity / 2 * n_active, cand.num_rows)
    lo_i = np.maximum(lo, cand["s"].to_numpy() + 3600)
    t = lo_i + np.floor(ctx.rng.random(cand.num_rows) * (hi - lo_i)).astype(np.int64)
    later = cand["l"].to_numpy() > t
    order = np.lexsort((ctx.rng.random(cand.num_rows), ~later))[:n]
    order.sort()
    ts = pa.array(t[order] * 1_000_000, pa.timestamp("us", tz="UTC"))
    return pa.table({"item_id": cand["item_id"].take(order), "t": ts})


def backdated_changes(ctx: Ctx, n_active: int) -> list[Row]:
    """Changes of quantity and/or unit price that took effect 20-70 days ago, recorded today."""
    picks = _pick_backdated(ctx, n_active)
    ctx.con.register("backdated_picks", picks)
    states = ctx.rows("""
        select s.*, b.t from backdated_picks as b join state as s using (item_id)
        where s.occ < b.t
        qualify row_number() over (partition by s.item_id order by s.seq desc) = 1
        order by s.item_id
    """)
    ctx.con.unregister("backdated_picks")
    events = []
    for st in states:
        kind = ctx.rng.choice(3, p=[0.5, 0.3, 0.2]) if st["pricing_model"] == "per_unit" else 1
        if st["unit_price"] is None:  # a usage plan at that time: no price to change
            if st["pricing_model"] != "per_unit":
                continue
            kind = 0
        changes: Row = {}
        if kind in (0, 2):
            changes["quantity"] = _new_quantity(ctx.rng, st["quantity"])
        if kind in (1, 2):
            changes["unit_price"] = _new_price(ctx.rng, st["unit_price"])
        events.append(_event(ctx, st, "item_changed", st["t"], ctx.moment(), **changes))
    return events


# ---------------------------------------------------------------------------------------- today's changes
def _alternative_plans(ctx: Ctx) -> dict[str, list[Row]]:
    """Per plan: the other tiers of the same product, currency, pricing model and billing interval."""
    rows = ctx.rows("""
        select a.plan_id as from_plan, b.*, abs(a.tier_rank - b.tier_rank) as distance
        from plans as a join plans as b
          on a.product_id = b.product_id and a.currency = b.currency and a.pricing_model = b.pricing_model
         and a.billing_interval = b.billing_interval and a.interval_count = b.interval_count
         and a.tier_rank <> b.tier_rank
        qualify distance = min(distance) over (partition by a.plan_id)
        order by a.plan_id, b.plan_id
    """)
    alternatives: dict[str, list[Row]] = {}
    for r in rows:
        alternatives.setdefault(r["from_plan"], []).append(r)
    return alternatives


def _change(ctx: Ctx, st: Row, alternatives: dict[str, list[Row]]) -> Row:
    now = ctx.moment()
    options = alternatives.get(st["plan_id"], [])
    if st["pricing_model"] == "per_unit" and (not options or ctx.rng.random() < 0.6):
        return _event(ctx, st, "item_changed", now, now, quantity=_new_quantity(ctx.rng, st["quantity"]))
    plan = options[ctx.rng.integers(len(options))]
    return _event(ctx, st, "item_changed", now, now, plan_id=plan["plan_id"], unit_price=plan["list_price"])


def todays_changes(ctx: Ctx, n_active: int, taken: set[str]) -> list[Row]:
    """About activity x active items each: seat or tier changes, and churned items (item_ended)."""
    active = ctx.con.sql("select * from active order by item_id").to_arrow_table()
    alternatives = _alternative_plans(ctx)
    free = ~np.isin(active["item_id"].to_numpy(zero_copy_only=False), list(taken))
    per_unit = active["pricing_model"].to_numpy(zero_copy_only=False) == "per_unit"
    has_alt = np.isin(active["plan_id"].to_numpy(zero_copy_only=False), list(alternatives))
    order = ctx.rng.permutation(active.num_rows)
    order = order[free[order]]
    eligible = order[(per_unit | has_alt)[order]]
    changed = eligible[: ctx.how_many(ctx.activity * n_active, len(eligible))]
    rest = order[~np.isin(order, changed)]
    ended = rest[: ctx.how_many(ctx.activity * n_active, len(rest))]
    events = [_change(ctx, st, alternatives) for st in active.take(np.sort(changed)).to_pylist()]
    for st in active.take(np.sort(ended)).to_pylist():
        now = ctx.moment()
        events.append(_event(ctx, st, "item_ended", now, now))
    return events


# ---------------------------------------------------------------------------------------- resent events
def _nth(ctx: Ctx, sql: str, params: list) -> str | None:
    """A random row of ``select event_id ... order by event_id`` (None when there is none)."""
    n = ctx.con.execute(f"select count(*) from ({sql})", params).fetchall()[0][0]
    if n == 0:
        return None
    k = int(ctx.rng.integers(n))
    return ctx.con.execute(f"{sql} limit 1 offset {k}", params).fetchall()[0][0]


def _raw_event(ctx: Ctx, event_id: str) -> Row:
    return ctx.rows(
        "select * from src_subscription_events where event_id = ? order by all limit 1", [event_id]
    )[0]


def redelivery_and_correction(ctx: Ctx) -> list[Row]:
    """An exact copy of an earlier event, and an earlier seat event re-sent with another quantity."""
    events = []
    redelivered = _nth(ctx, "select event_id from state order by event_id", [])
    if redelivered is not None:
        events.append(_raw_event(ctx, redelivered))
    corrected = _nth(
        ctx,
        "select event_id from state where et in ('item_started', 'item_changed') "
        "and pricing_model = 'per_unit' and event_quantity is not null and event_id <> ? order by event_id",
        [redelivered or ""],
    )
    if corrected is not None:
        row = _raw_event(ctx, corrected)
        q = ctx.con.execute("select event_quantity from state where event_id = ?", [corrected]).fetchall()
        row.update(quantity=_new_quantity(ctx.rng, q[0][0]), recorded_at=ctx.moment())
        events.append(row)
    return events


# ---------------------------------------------------------------------------------------- rates and charges
def fx_rates(ctx: Ctx) -> list[Row]:
    """One rate per currency for the day: the last rate times a small random step (USD stays 1)."""
    rows = []
    for r in ctx.rows("select currency, arg_max(rate, rate_date) as rate from fx group by 1 order by 1"):
        step = float(np.exp(ctx.rng.normal(0.0, FX_DAILY_VOL)))
        rate = r["rate"]
        if r["currency"] != REPORTING_CURRENCY:
            rate = Decimal(str(round(float(rate) * step, 6)))
        rows.append({"rate_date": ctx.day, "currency": r["currency"], "rate_to_reporting": rate})
    return rows


USAGE_STREAMS_SQL = """
select u.customer_id, u.item_id, u.plan_id, u.currency, u.usage_quantity, u.amount
from (
    select charge_id, customer_id, item_id, plan_id, upper(currency) as currency,
           try_cast(usage_quantity as decimal(18, 6)) as usage_quantity,
           try_cast(amount as decimal(18, 6)) as amount,
           try_cast(period_start as date) as ps, try_cast(period_end as date) as pe
    from raw_usage_charges
) as u
join customers using (customer_id)
join plans as p on p.plan_id = u.plan_id and p.pricing_model = 'usage'
left join state as s on s.item_id = u.item_id and s.seq = s.n_events
where u.amount >= 0 and u.pe >= u.ps and coalesce(u.usage_quantity, 0) >= 0
  and u.currency in (select currency from currencies)
  and (u.item_id is null or s.et <> 'item_ended')
qualify row_number() over (partition by u.customer_id, p.product_id order by u.ps desc, u.charge_id desc) = 1
order by u.customer_id, p.product_id
"""


def usage_charges(ctx: Ctx) -> list[Row]:
    """Last calendar month's usage, billed in arrears, for a few customers already billed for usage."""
    streams = ctx.rows(USAGE_STREAMS_SQL)
    n = ctx.how_many(ctx.activity * len({s["customer_id"] for s in streams}), len(streams))
    period_end = ctx.day.replace(day=1) - timedelta(days=1)
    rows = []
    for k in sorted(ctx.rng.choice(len(streams), size=n, replace=False).tolist() if n else []):
        s = streams[k]
        last_q = s["usage_quantity"] or Decimal(0)
        qty = Decimal(round(float(last_q) * ctx.rng.uniform(0.8, 1.25)))
        amount = s["amount"] if last_q == 0 else (qty * s["amount"] / last_q).quantize(Decimal("0.0001"))
        rows.append(
            {
                "charge_id": ctx.new_id("U"),
                "customer_id": s["customer_id"],
                "item_id": s["item_id"],
                "plan_id": s["plan_id"],
                "period_start": period_end.replace(day=1),
                "period_end": period_end,
                "usage_quantity": qty,
                "amount": amount,
                "currency": s["currency"],
            }
        )
    return rows


def one_time_charges(ctx: Ctx) -> list[Row]:
    """A few services, training or setup charges for active customers, in their items' currency."""
    customers = ctx.rows(
        "select customer_id, arg_min(currency, item_id) as currency from active group by 1 order by 1"
    )
    n_customers = ctx.con.execute("select count(*) from customers").fetchall()[0][0]
    n = ctx.how_many(ctx.activity * n_customers / 10, len(customers))
    rows = []
    for k in sorted(ctx.rng.choice(len(customers), size=n, replace=False).tolist() if n else []):
        category = OTC_CATEGORIES[ctx.rng.choice(3, p=[0.5, 0.35, 0.15])]
        step, lo, hi = OTC_AMOUNTS[category]
        rows.append(
            {
                "charge_id": ctx.new_id("O"),
                "customer_id": customers[k]["customer_id"],
                "charged_at": ctx.moment(),
                "amount": Decimal(step * int(ctx.rng.integers(lo, hi + 1))),
                "currency": customers[k]["currency"],
                "category": category,
            }
        )
    return rows


# ---------------------------------------------------------------------------------------- writing
def _cell(value: Any) -> str:
    """The CSV text convention of the generator (ISO timestamps with Z, decimals without trailing 0s)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    if isinstance(value, Decimal):
        text = format(value, "f")
        return text.rstrip("0").rstrip(".") if "." in text else text
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _sorted(table: str, rows: list[Row]) -> list[Row]:
    contract = raw_table(table)
    keys = SORT_KEYS.get(table, contract.key) + tuple(contract.column_names)
    return sorted(rows, key=lambda r: tuple(_cell(r.get(k)) for k in keys))


def _write_csv(path: Path, header: list[str], rows: list[Row]) -> None:
    with open(path, "w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(header)
        writer.writerows([_cell(r.get(c)) for c in header] for r in rows)


def _coerce(value: Any, typ: pa.DataType) -> Any:
    if value is None:
        return None
    if pa.types.is_decimal(typ):
        return Decimal(value).quantize(Decimal(1).scaleb(-typ.scale))
    if pa.types.is_floating(typ):
        return float(value)
    if pa.types.is_integer(typ):
        return int(value)
    if pa.types.is_string(typ) or pa.types.is_large_string(typ):
        return _cell(value)
    return value


def _write_parquet(path: Path, schema: pa.Schema, rows: list[Row]) -> None:
    typed = [{f.name: _coerce(r.get(f.name), f.type) for f in schema} for r in rows]
    pq.write_table(pa.Table.from_pylist(typed, schema=schema), path, compression="zstd")


def _csv_header(path: Path) -> list[str]:
    with open(path, encoding="utf-8-sig", newline="") as f:
        return next(csv.reader(f))


def write_day(landing: Landing, table: str, day: date, rows: list[Row]) -> int:
    """Write ``<table>/day-<day>.<fmt>`` (through a temporary name, so no half-written file is read)."""
    if not rows:
        return 0
    path = landing.target(table, day)
    path.parent.mkdir(exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    existing = landing.files.get(table)
    if is_csv(path):
        header = _csv_header(existing[0]) if existing else raw_table(table).column_names
        _write_csv(tmp, header, _sorted(table, rows))
    else:
        schema = pq.read_schema(existing[0]).remove_metadata() if existing else SCHEMAS[table]
        _write_parquet(tmp, schema, _sorted(table, rows))
    os.replace(tmp, path)
    return len(rows)


# ---------------------------------------------------------------------------------------- entry points
def _check_new_day(landing: Landing, day: date) -> None:
    taken = [landing.target(t.name, day) for t in raw_contract() if landing.target(t.name, day).exists()]
    if taken:
        raise FileExistsError(f"day {day} was already landed: {taken[0]}")


def _check_after_data(con: duckdb.DuckDBPyConnection, day: date) -> None:
    latest = last_day(con)
    if latest is not None and day <= latest:
        raise ValueError(f"day {day} is not after the last day in the data ({latest})")


def land_next_day(raw_dir: Path, day: date, seed: int = 7, activity: float = 0.002) -> dict[str, int]:
    """Add one day of billing data to the landing folder ``raw_dir``; return rows written per table."""
    landing = discover(Path(raw_dir))
    _check_new_day(landing, day)
    con = duckdb.connect()
    try:
        con.execute("set TimeZone = 'UTC'")
        _register(con, landing)
        build_state(con)
        _check_after_data(con, day)
        rows = simulate_day(Ctx(con, day, np.random.default_rng([seed, day.toordinal()]), activity))
    finally:
        con.close()
    return {t.name: write_day(landing, t.name, day, rows.get(t.name, [])) for t in raw_contract()}


def simulate_day(ctx: Ctx) -> dict[str, list[Row]]:
    """Every row to land for ``ctx.day``, per table (usage_snapshots are monthly: none)."""
    n_active = ctx.con.execute("select count(*) from active").fetchall()[0][0]
    customers, started = new_customers(ctx)
    backdated = backdated_changes(ctx, n_active)
    today = todays_changes(ctx, n_active, {e["item_id"] for e in backdated})
    resent = redelivery_and_correction(ctx)
    return {
        "customers": customers,
        "subscription_events": started + backdated + today + resent,
        "fx_rates": fx_rates(ctx),
        "usage_charges": usage_charges(ctx),
        "one_time_charges": one_time_charges(ctx),
    }


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        prog="python -m company_generator.daily",
        description="Land one more day of billing data in an existing landing folder (new files only).",
    )
    p.add_argument("raw_dir", type=Path, help="the landing folder")
    p.add_argument("day", type=date.fromisoformat, help="the day to land (YYYY-MM-DD)")
    p.add_argument("--seed", type=int, default=7, help="random seed (default 7)")
    p.add_argument("--activity", type=float, default=0.002, help="daily share of items changing")
    args = p.parse_args(argv)
    t0 = timer.perf_counter()
    counts = land_next_day(args.raw_dir, args.day, seed=args.seed, activity=args.activity)
    print_table_counts(counts, 8)
    print(f"landed {args.day} in {args.raw_dir} in {timer.perf_counter() - t0:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
