"""Turn simulated numpy columns into typed Arrow tables in the raw contract's layout.

The tables and their columns are the raw contract's (the dbt sources, ``raw_contract()``), each column typed
by its kind in the project's ``raw_value_grammar.column_types`` (what Parquet files hold): text, currencies
and codes ``string``, decimals (money, quantities, rates) ``decimal128(18, 4)`` (fx rates
``decimal128(18, 6)``), timestamps ``timestamp[us, tz=UTC]``, dates ``date32``, booleans ``bool``,
integers ``int64``. ``to_csv_strings`` renders the same table as the CSV text convention (ISO timestamps
with ``Z``, decimals without trailing zeros, ``true``/``false``, empty cell for null).
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from orchestration.landing import raw_contract
from orchestration.settings import project_vars

from .catalog import CURRENCIES, METRICS, PRODUCTS, SCALE, Catalog
from .simulate import DAY, EVENT_TYPES, OTC_CATEGORIES, BlockSim

MONEY = pa.decimal128(18, 4)
RATE = pa.decimal128(18, 6)
TS = pa.timestamp("us", tz="UTC")

# The Arrow type of each kind of raw value (raw_value_grammar.column_types of the dbt project); a column
# without a kind (free text), a currency and a code are strings.
KIND_TYPES: dict[str, pa.DataType] = {
    "integer": pa.int64(),
    "date": pa.date32(),
    "timestamp": TS,
    "boolean": pa.bool_(),
}


def arrow_type(table: str, kind: str | None) -> pa.DataType:
    """The type the generator writes a raw column of ``kind`` as (decimals: money, or rates in fx_rates)."""
    if kind is not None and kind.startswith("decimal"):
        return RATE if table == "fx_rates" else MONEY
    return KIND_TYPES.get(kind or "", pa.string())


def contract_schemas() -> dict[str, pa.Schema]:
    """The raw contract's tables and columns, in order (the dbt sources), typed by their kinds."""
    kinds = project_vars()["raw_value_grammar"]["column_types"]
    return {
        table.name: pa.schema(
            [
                (column, arrow_type(table.name, kinds.get(table.name, {}).get(column)))
                for column in table.column_names
            ]
        )
        for table in raw_contract()
    }


SCHEMAS: dict[str, pa.Schema] = contract_schemas()
TABLES = tuple(SCHEMAS)
TABLE_COLUMNS: dict[str, list[str]] = {name: list(schema.names) for name, schema in SCHEMAS.items()}
LARGE_TABLES = ("customers", "subscription_events", "usage_charges", "one_time_charges", "usage_snapshots")

FIRST_WORDS = (
    "Acorn",
    "Alder",
    "Amber",
    "Apex",
    "Arbor",
    "Aster",
    "Atlas",
    "Aurora",
    "Basalt",
    "Beacon",
    "Birch",
    "Blue",
    "Bright",
    "Brook",
    "Cedar",
    "Cinder",
    "Citrine",
    "Clear",
    "Cobalt",
    "Copper",
    "Coral",
    "Crest",
    "Delta",
    "Drift",
    "Ember",
    "Fern",
    "Fjord",
    "Flint",
    "Garnet",
    "Glacier",
    "Granite",
    "Harbor",
    "Hazel",
    "Helix",
    "Indigo",
    "Iron",
    "Juniper",
    "Kestrel",
    "Lantern",
    "Larch",
    "Lumen",
    "Maple",
    "Meridian",
    "Mosaic",
    "Nimbus",
    "North",
    "Oak",
    "Onyx",
    "Orbit",
    "Pine",
    "Prairie",
    "Quartz",
    "Raven",
    "Ridge",
    "River",
    "Saffron",
    "Sage",
    "Silver",
    "Slate",
    "Spruce",
    "Summit",
    "Tidal",
    "Umber",
    "Vale",
    "Willow",
)
SECOND_WORDS = (
    "Analytics",
    "Labs",
    "Logistics",
    "Health",
    "Studio",
    "Partners",
    "Systems",
    "Foods",
    "Legal",
    "Robotics",
    "Capital",
    "Energy",
    "Media",
    "Retail",
    "Works",
    "Builders",
    "Consulting",
    "Freight",
    "Software",
    "Clinics",
    "Dynamics",
    "Networks",
    "Supply",
    "Ventures",
    "Design",
    "Insurance",
    "Markets",
)
SUFFIXES = ("", "", "", " Inc", " Ltd", " GmbH", " Group", " Co", " SAS", " BV")
INDUSTRIES = (
    "Software",
    "Financial Services",
    "Healthcare",
    "Manufacturing",
    "Retail",
    "Logistics",
    "Education",
    "Media",
    "Professional Services",
    "Construction",
    "Energy",
    "Legal",
)
COUNTRIES_BY_CUR = (
    ("US", "US", "US", "US", "CA"),
    ("DE", "FR", "NL", "ES", "IE"),
    ("GB", "GB", "GB", "GB", "GB"),
)


# ---------------------------------------------------------------------- array helpers
def _validity(null: np.ndarray | None) -> pa.Buffer | None:
    if null is None or not null.any():
        return None
    return pa.array(~null).buffers()[1]


def decimal_array(scaled: np.ndarray, null: np.ndarray | None = None, scale: int = 4) -> pa.Array:
    """Exact decimal128(18, scale) from int64 values already multiplied by 10**scale."""
    v = np.ascontiguousarray(scaled, dtype=np.int64)
    words = np.empty(2 * len(v), dtype=np.int64)
    words[0::2] = v
    words[1::2] = np.where(v < 0, -1, 0)
    return pa.Array.from_buffers(pa.decimal128(18, scale), len(v), [_validity(null), pa.py_buffer(words)])


def ts_array(seconds: np.ndarray, null: np.ndarray | None = None) -> pa.Array:
    us = np.ascontiguousarray(seconds, dtype=np.int64) * 1_000_000
    return pa.Array.from_buffers(TS, len(us), [_validity(null), pa.py_buffer(us)])


def date_array(days: np.ndarray) -> pa.Array:
    d = np.ascontiguousarray(days, dtype=np.int32)
    return pa.Array.from_buffers(pa.date32(), len(d), [None, pa.py_buffer(d)])


def id_array(
    prefix: str, num: np.ndarray, width: int, sub: np.ndarray | None = None, sub_width: int = 0
) -> pa.Array:
    """``prefix`` + zero-padded ``num`` [+ '-' + zero-padded ``sub``], built in Arrow (no Python loop)."""
    s = pc.utf8_lpad(pc.cast(pa.array(np.asarray(num, dtype=np.int64)), pa.string()), width, "0")
    parts = [pa.scalar(prefix), s]
    if sub is not None:
        t = pc.utf8_lpad(pc.cast(pa.array(np.asarray(sub, dtype=np.int64)), pa.string()), sub_width, "0")
        parts += [pa.scalar("-"), t]
    return pc.binary_join_element_wise(*parts, "")


def take_str(
    values: tuple[str, ...] | np.ndarray, idx: np.ndarray, null: np.ndarray | None = None
) -> pa.Array:
    arr = pa.array(list(values), pa.string()).take(pa.array(np.asarray(idx, dtype=np.int64)))
    if null is not None and null.any():
        arr = pc.if_else(pa.array(null), pa.scalar(None, pa.string()), arr)
    return arr


def group_seq(keys: np.ndarray) -> np.ndarray:
    """1-based running number within runs of equal (sorted) keys."""
    n = len(keys)
    if n == 0:
        return np.zeros(0, np.int64)
    starts = np.r_[True, keys[1:] != keys[:-1]]
    first = np.maximum.accumulate(np.where(starts, np.arange(n), 0))
    return np.arange(n) - first + 1


# ---------------------------------------------------------------------- per-block tables
def customers_table(sim: BlockSim, cust_num: np.ndarray) -> pa.Table:
    name = pc.binary_join_element_wise(
        take_str(FIRST_WORDS, sim.name_a % len(FIRST_WORDS)),
        take_str(SECOND_WORDS, sim.name_b % len(SECOND_WORDS)),
        " ",
    )
    name = pc.binary_join_element_wise(name, take_str(SUFFIXES, (sim.name_a // 97) % len(SUFFIXES)), "")
    country_idx = sim.cur * 5 + np.minimum((sim.country_u * 5).astype(np.int64), 4)
    countries = tuple(c for row in COUNTRIES_BY_CUR for c in row)
    industry_idx = np.minimum((sim.industry_u * 12.5).astype(np.int64), 12)
    return pa.table(
        {
            "customer_id": id_array("C", cust_num, 7),
            "customer_name": name,
            "created_at": ts_array(sim.created_t),
            "country": take_str(countries, country_idx, null=sim.country_u > 0.985),
            "industry": take_str(INDUSTRIES + ("",), industry_idx, null=industry_idx >= 12),
            "employee_count": pa.array(sim.emp, pa.int64(), mask=~sim.emp_known),
        },
        schema=SCHEMAS["customers"],
    )


def events_table(sim: BlockSim, cat: Catalog, offset: int) -> pa.Table:
    rng = sim.rng
    ev = sim.buf.concat(
        sim.buf.events,
        ("ci", "slot", "item_no", "sub_no", "t", "etype", "plan", "qty", "price", "disc", "trial"),
    )
    order = np.lexsort((ev["slot"], ev["t"], ev["ci"]))
    ev = {k: v[order] for k, v in ev.items()}
    n = len(ev["t"])
    seq = group_seq(ev["ci"])
    cust = ev["ci"] + offset + 1
    item_key = ev["ci"] * 1000 + ev["item_no"]
    # previous event of the same item, to know which columns an event changed
    by_item = np.lexsort((ev["t"], item_key))
    prev = np.full(n, -1, np.int64)
    same = np.r_[False, item_key[by_item][1:] == item_key[by_item][:-1]]
    prev[by_item[same]] = by_item[np.nonzero(same)[0] - 1]
    has_prev = prev >= 0
    pp = np.where(has_prev, prev, 0)

    def unchanged(col: str) -> np.ndarray:
        return has_prev & (ev[col] == ev[col][pp])

    started = ev["etype"] == 0
    list_price = cat.list_price[ev["plan"]]
    usage = ev["price"] < 0
    u = rng.random((n, 6))
    thin = ~started & (u[:, 0] < 0.05)  # a few later events leave unchanged cells blank
    null_qty = (started & (ev["qty"] == 1) & (u[:, 1] < 0.7)) | (thin & unchanged("qty"))
    null_price = (
        usage | (started & (ev["price"] == list_price) & (u[:, 2] < 0.4)) | (thin & unchanged("price"))
    )
    null_cur = (started & (u[:, 3] < 0.4)) | (thin & unchanged("plan"))
    null_disc = (started & (ev["disc"] == 0) & (u[:, 4] < 0.5)) | (thin & unchanged("disc"))
    null_trial = (started & ~ev["trial"] & (u[:, 5] < 0.5)) | (thin & unchanged("trial"))
    null_plan = thin & (ev["etype"] >= 2) & unchanged("plan")
    plan_cur = np.array([p.currency for p in cat.plans], dtype=np.int64)[ev["plan"]]

    v = rng.random(n)
    end_s = sim.cal.end_day * DAY + DAY - 1
    recorded = np.where(v < 0.06, np.minimum(ev["t"] + rng.integers(3600, 20 * DAY, size=n), end_s), ev["t"])
    return pa.table(
        {
            "event_id": id_array("E", cust, 7, seq, 3),
            "occurred_at": ts_array(ev["t"]),
            "recorded_at": ts_array(recorded, null=(v >= 0.06) & (v < 0.07)),
            "customer_id": id_array("C", cust, 7),
            "subscription_id": id_array("S", cust, 7, ev["sub_no"], 2),
            "item_id": id_array("I", cust, 7, ev["item_no"], 2),
            "event_type": take_str(EVENT_TYPES, ev["etype"]),
            "plan_id": take_str(tuple(cat.plan_ids), ev["plan"], null=null_plan),
            "quantity": decimal_array(ev["qty"] * SCALE, null=null_qty),
            "unit_price": decimal_array(np.maximum(ev["price"], 0), null=null_price),
            "currency": take_str(CURRENCIES, plan_cur, null=null_cur),
            "discount_percent": decimal_array(ev["disc"], null=null_disc),
            "is_trial": pa.array(ev["trial"].astype(bool), pa.bool_(), mask=null_trial),
        },
        schema=SCHEMAS["subscription_events"],
    )


def usage_table(sim: BlockSim, cat: Catalog, offset: int) -> pa.Table:
    us = sim.buf.concat(sim.buf.usage, ("ci", "slot", "item_no", "plan", "pstart", "pend", "qty", "amount"))
    order = np.lexsort((us["pstart"], us["ci"]))
    us = {k: v[order] for k, v in us.items()}
    cust = us["ci"] + offset + 1
    plan_cur = np.array([p.currency for p in cat.plans], dtype=np.int64)[us["plan"]]
    return pa.table(
        {
            "charge_id": id_array("U", cust, 7, group_seq(us["ci"]), 3),
            "customer_id": id_array("C", cust, 7),
            "item_id": id_array("I", cust, 7, us["item_no"], 2),
            "plan_id": take_str(tuple(cat.plan_ids), us["plan"]),
            "period_start": date_array(us["pstart"]),
            "period_end": date_array(us["pend"]),
            "usage_quantity": decimal_array(us["qty"] * SCALE),
            "amount": decimal_array(us["amount"]),
            "currency": take_str(CURRENCIES, plan_cur),
        },
        schema=SCHEMAS["usage_charges"],
    )


def otc_table(sim: BlockSim, offset: int) -> pa.Table:
    oc = sim.buf.concat(sim.buf.otc, ("ci", "t", "amount", "category"))
    order = np.lexsort((oc["t"], oc["ci"]))
    oc = {k: v[order] for k, v in oc.items()}
    cust = oc["ci"] + offset + 1
    return pa.table(
        {
            "charge_id": id_array("O", cust, 7, group_seq(oc["ci"]), 2),
            "customer_id": id_array("C", cust, 7),
            "charged_at": ts_array(oc["t"]),
            "amount": decimal_array(oc["amount"]),
            "currency": take_str(CURRENCIES, sim.cur[oc["ci"]]),
            "category": take_str(OTC_CATEGORIES, oc["category"]),
        },
        schema=SCHEMAS["one_time_charges"],
    )


def snapshots_table(sim: BlockSim, offset: int) -> pa.Table:
    sn = sim.buf.concat(sim.buf.snaps, ("ci", "product", "day", "metric", "value"))
    order = np.lexsort((sn["metric"], sn["product"], sn["day"], sn["ci"]))
    sn = {k: v[order] for k, v in sn.items()}
    return pa.table(
        {
            "customer_id": id_array("C", sn["ci"] + offset + 1, 7),
            "product_id": take_str(tuple(p[0] for p in PRODUCTS), sn["product"]),
            "snapshot_date": date_array(sn["day"]),
            "metric": take_str(METRICS, sn["metric"]),
            "value": decimal_array(sn["value"]),
        },
        schema=SCHEMAS["usage_snapshots"],
    )


# ---------------------------------------------------------------------- CSV rendering
def to_csv_strings(table: pa.Table) -> pa.Table:
    """Render every column as the CSV text convention (null stays null = empty cell)."""
    cols = []
    for col, fld in zip(table.columns, table.schema, strict=True):
        t = fld.type
        if pa.types.is_decimal(t):
            s = pc.replace_substring_regex(pc.cast(col, pa.string()), r"\.?0+$", "")
        elif pa.types.is_timestamp(t):
            s = pc.strftime(pc.cast(col, pa.timestamp("s", tz="UTC")), format="%Y-%m-%dT%H:%M:%SZ")
        else:
            s = pc.cast(col, pa.string())
        cols.append(s)
    return pa.table(cols, names=table.column_names)
