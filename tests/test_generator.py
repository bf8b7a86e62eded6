"""Tests of the synthetic-company generator and of the committed sample company in ``seeds/``."""

from __future__ import annotations

import filecmp
import hashlib
from datetime import date
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from company_generator import PLANTED_BAD_ROWS, TABLE_COLUMNS, TABLES, generate_company

REPO = Path(__file__).resolve().parents[1]
SEEDS = REPO / "seeds"
# the documented arguments of the committed sample (seeds/README.md)
SAMPLE_ARGS = {
    "customers": 2000,
    "seed": 42,
    "fmt": "csv",
    "start": date(2023, 11, 1),
    "end": date(2026, 10, 31),
    "bad_rows": True,
}
MIN_CASES = 20


def _digest(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


# ---------------------------------------------------------------------------------------------- coverage SQL
def _views(con: duckdb.DuckDBPyConnection, folder: Path) -> None:
    """Typed views over a CSV landing folder, keeping only the generated (well-formed) rows."""
    for name in TABLES:
        path = (folder / f"{name}.csv").as_posix()
        con.execute(
            f"create or replace view raw_{name} as select * from read_csv('{path}', all_varchar=true)"
        )
    con.execute("""
        create or replace view plans as
        select plan_id, product_id, cast(tier_rank as int) tier_rank, billing_interval,
               cast(billing_interval_count as int) interval_count, currency
        from raw_plans where try_cast(list_price as decimal(18,4)) >= 0 or list_price is null;
        create or replace view products as select * from raw_products;
        create or replace view ev as
        with e as (
            select * from raw_subscription_events where regexp_matches(event_id, '^E[0-9]{7}-[0-9]{3}$')
            qualify row_number() over (partition by event_id order by recorded_at nulls last) = 1
        )
        select event_id, customer_id, subscription_id, item_id, event_type,
               cast(occurred_at as timestamptz) t,
               last_value(plan_id ignore nulls) over w plan_id,
               last_value(try_cast(quantity as double) ignore nulls) over w q,
               last_value(try_cast(unit_price as double) ignore nulls) over w unit_price,
               last_value(try_cast(discount_percent as double) ignore nulls) over w disc,
               coalesce(last_value(try_cast(is_trial as boolean) ignore nulls) over w, false) trial
        from e
        window w as (partition by item_id order by cast(occurred_at as timestamptz), event_id
                     rows between unbounded preceding and current row);
        create or replace view evp as
        select ev.*, p.product_id, p.tier_rank, p.billing_interval, p.interval_count,
               p.currency plan_currency,
               pr.product_type,
               lag(p.tier_rank) over (partition by item_id order by t, event_id) prev_tier,
               lag(q) over (partition by item_id order by t, event_id) prev_q,
               lag(unit_price) over (partition by item_id order by t, event_id) prev_price,
               lag(disc) over (partition by item_id order by t, event_id) prev_disc,
               lag(ev.plan_id) over (partition by item_id order by t, event_id) prev_plan,
               lag(t) over (partition by item_id order by t, event_id) prev_t,
               lead(t) over (partition by item_id order by t, event_id) next_t
        from ev join plans p using (plan_id) join products pr using (product_id);
        create or replace view items as
        select customer_id, item_id, any_value(subscription_id) subscription_id,
               any_value(product_id) product_id,
               any_value(product_type) product_type,
               min(t) filter (where event_type = 'item_started') s,
               max(t) filter (where event_type = 'item_ended') e,
               bool_or(trial) filter (where event_type = 'item_started') started_trial,
               bool_or(not trial) had_paid_state
        from evp group by all;
    """)


COVERAGE_SQL = {
    "trial_converted": "select count(*) from items where started_trial and had_paid_state",
    "trial_not_converted": "select count(*) from items "
    "where started_trial and not had_paid_state and e is not null",
    "paused": "select count(*) from evp where event_type = 'item_paused'",
    "resumed": "select count(*) from evp where event_type = 'item_resumed'",
    "upgrades": "select count(*) from evp where event_type = 'item_changed' and tier_rank > prev_tier",
    "downgrades": "select count(*) from evp where event_type = 'item_changed' and tier_rank < prev_tier",
    "seat_increases": "select count(*) from evp where event_type = 'item_changed' and q > prev_q",
    "seat_decreases": "select count(*) from evp where event_type = 'item_changed' and q < prev_q",
    "price_changes": "select count(*) from evp where event_type = 'item_changed' and plan_id = prev_plan "
    "and unit_price <> prev_price",
    "discount_changes": "select count(*) from evp where event_type = 'item_changed' and disc <> prev_disc",
    "full_discount_items": "select count(distinct item_id) from evp where disc = 100",
    "negotiated_starts": "select count(*) from evp e join raw_plans p using (plan_id) where event_type = "
    "'item_started' and e.unit_price is not null and e.unit_price < cast(p.list_price as double)",
    "weekly_items": "select count(distinct item_id) from evp where billing_interval = 'week'",
    "monthly_items": "select count(distinct item_id) from evp "
    "where billing_interval = 'month' and interval_count = 1",
    "quarterly_items": "select count(distinct item_id) from evp "
    "where billing_interval = 'month' and interval_count = 3",
    "annual_items": "select count(distinct item_id) from evp where billing_interval = 'year'",
    "interval_changes": "select count(*) from evp where event_type = 'item_changed' and plan_id <> prev_plan "
    "and tier_rank = prev_tier",
    "per_unit_items": "select count(distinct item_id) from evp join raw_plans using (plan_id) "
    "where pricing_model = 'per_unit'",
    "flat_items": "select count(distinct item_id) from evp join raw_plans using (plan_id) "
    "where pricing_model = 'flat'",
    "usage_items": "select count(distinct item_id) from evp join raw_plans using (plan_id) "
    "where pricing_model = 'usage'",
    "add_on_items": "select count(*) from items where product_type = 'add_on'",
    "cross_sells": """
        select count(*) from items a where a.product_type = 'core' and exists (
            select 1 from items b where b.customer_id = a.customer_id and b.product_type = 'core'
            and b.product_id <> a.product_id and b.s < a.s and (b.e is null or b.e > a.s))""",
    "customers_3_core_products": """
        select count(*) from (select customer_id from items where product_type = 'core'
                              group by customer_id having count(distinct product_id) = 3)""",
    "churned_customers": """
        select count(*) from (select customer_id from items group by customer_id
                              having count(*) = count(e) and bool_or(had_paid_state))""",
    "reactivations": """
        select count(*) from items a where exists (
            select 1 from items b where b.customer_id = a.customer_id and b.e < a.s - interval 60 day
            and b.had_paid_state)
        and not exists (
            select 1 from items b where b.customer_id = a.customer_id and b.item_id <> a.item_id
            and b.s <= a.s and (b.e is null or b.e > a.s))""",
    "reactivations_new_subscription": """
        select count(*) from items a where exists (
            select 1 from items b where b.customer_id = a.customer_id and b.e < a.s - interval 60 day
            and b.had_paid_state)
        and not exists (
            select 1 from items b where b.customer_id = a.customer_id and b.item_id <> a.item_id
            and b.s <= a.s and (b.e is null or b.e > a.s))
        and not exists (
            select 1 from items b where b.customer_id = a.customer_id and b.s < a.s
            and b.subscription_id = a.subscription_id)""",
    "backdated_events": "select count(*) from raw_subscription_events where recorded_at > occurred_at",
    "events_with_blank_state": "select count(*) from raw_subscription_events "
    "where event_type <> 'item_started' "
    "and (quantity is null or currency is null or discount_percent is null)",
    "usage_charges_spanning_two_months": """
        select count(*) from raw_usage_charges
        where try_cast(period_end as date) >= try_cast(period_start as date)
        and date_trunc('month', cast(period_start as date))
            <> date_trunc('month', cast(period_end as date))""",
    "usage_charges_calendar_month": """
        select count(*) from raw_usage_charges
        where try_cast(period_start as date) = date_trunc('month', try_cast(period_start as date))""",
    "one_time_setup": "select count(*) from raw_one_time_charges where category = 'setup'",
    "one_time_services": "select count(*) from raw_one_time_charges where category = 'services'",
    "one_time_training": "select count(*) from raw_one_time_charges where category = 'training'",
    "customers_smb": "select count(*) from raw_customers where cast(employee_count as int) < 100",
    "customers_mid_market": "select count(*) from raw_customers "
    "where cast(employee_count as int) between 100 and 999",
    "customers_enterprise": "select count(*) from raw_customers where cast(employee_count as int) >= 1000",
    "customers_unknown_size": "select count(*) from raw_customers where employee_count is null",
    "snapshots_at_90pct_of_limit": """
        with state as (
            select customer_id, product_id, plan_id, q, t, coalesce(next_t, timestamptz '9999-01-01') next_t
            from evp where event_type not in ('item_ended', 'item_paused')
        )
        select count(*) from raw_usage_snapshots s
        join state st on st.customer_id = s.customer_id and st.product_id = s.product_id
             and st.t < cast(s.snapshot_date as date) + 1 and st.next_t >= cast(s.snapshot_date as date) + 1
        join raw_plan_limits l on l.plan_id = st.plan_id and l.metric = s.metric
        where cast(s.value as double) >= 0.9 * cast(l.limit_value as double)
              * (case when l.per_unit_limit = 'true' then st.q else 1 end)""",
    "snapshots_over_limit": """
        with state as (
            select customer_id, product_id, plan_id, q, t, coalesce(next_t, timestamptz '9999-01-01') next_t
            from evp where event_type not in ('item_ended', 'item_paused')
        )
        select count(*) from raw_usage_snapshots s
        join state st on st.customer_id = s.customer_id and st.product_id = s.product_id
             and st.t < cast(s.snapshot_date as date) + 1 and st.next_t >= cast(s.snapshot_date as date) + 1
        join raw_plan_limits l on l.plan_id = st.plan_id and l.metric = s.metric
        where cast(s.value as double) > cast(l.limit_value as double)
              * (case when l.per_unit_limit = 'true' then st.q else 1 end)""",
    "login_snapshots": "select count(*) from raw_usage_snapshots where metric = 'logins'",
}
CURRENCY_SQL = "select count(distinct plan_currency) from evp"

# monthly logo churn by number of live core products at the start of the month
CHURN_BY_PRODUCTS_SQL = """
    with me as (
        select last_day(d) me from range(date '2023-11-01', date '2026-10-01', interval 1 month) t(d)
    ),
    live as (
        select c.customer_id, me.me,
               count(distinct i.product_id) filter (where i.product_type = 'core') n_core
        from (select distinct customer_id from items) c cross join me
        join items i on i.customer_id = c.customer_id and i.s < me.me + 1
             and (i.e is null or i.e >= me.me + 1)
        group by all
    ),
    nxt as (
        select l.*, exists (
            select 1 from items i where i.customer_id = l.customer_id
            and i.s < last_day(l.me + 1) + 1 and (i.e is null or i.e >= last_day(l.me + 1) + 1)) alive_next
        from live l where l.n_core >= 1
    )
    select n_core >= 2 multi, avg(case when alive_next then 0 else 1 end) churn_rate, count(*) n
    from nxt group by all order by multi
"""


def coverage(folder: Path) -> dict[str, float]:
    con = duckdb.connect()
    _views(con, folder)
    out: dict[str, float] = {k: con.execute(sql).fetchone()[0] for k, sql in COVERAGE_SQL.items()}
    out["currencies_in_events"] = con.execute(CURRENCY_SQL).fetchone()[0]
    rates = {bool(m): r for m, r, _ in con.execute(CHURN_BY_PRODUCTS_SQL).fetchall()}
    out["monthly_churn_single_product"] = rates[False]
    out["monthly_churn_multi_product"] = rates[True]
    out["events_per_customer"] = (
        con.execute("select count(*) from raw_subscription_events").fetchone()[0]
        / con.execute("select count(*) from raw_customers").fetchone()[0]
    )
    return out


# ---------------------------------------------------------------------------------------------- fixtures
@pytest.fixture(scope="module")
def sample_coverage() -> dict[str, float]:
    return coverage(SEEDS)


@pytest.fixture(scope="module")
def small_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("small_csv")
    generate_company(out, 300, seed=7)
    return out


# ---------------------------------------------------------------------------------------------- tests
def test_deterministic_same_seed(small_csv: Path, tmp_path: Path) -> None:
    generate_company(tmp_path, 300, seed=7)
    assert _digest(tmp_path) == _digest(small_csv)


def test_different_seed_differs(small_csv: Path, tmp_path: Path) -> None:
    generate_company(tmp_path, 300, seed=8)
    a, b = _digest(tmp_path), _digest(small_csv)
    assert a["subscription_events.csv"] != b["subscription_events.csv"]
    assert a["fx_rates.csv"] != b["fx_rates.csv"]
    assert a["products.csv"] == b["products.csv"]


def test_every_table_written_with_contract_columns(small_csv: Path) -> None:
    for name in TABLES:
        df = pd.read_csv(small_csv / f"{name}.csv", dtype=str, keep_default_na=False)
        assert list(df.columns) == TABLE_COLUMNS[name], name
        assert len(df) > 0, name


def test_table_columns_match_contract() -> None:
    """The column lists equal the contract's tables (docs/raw_contract.md, the project's copy)."""
    contract = Path(__file__).resolve().parent.parent / "docs" / "raw_contract.md"
    text = contract.read_text().split("\n")
    found: dict[str, list[str]] = {}
    current = None
    for line in text:
        if line.startswith("### "):
            current = line[4:].split(" ")[0]
            found[current] = []
        elif line.startswith("## "):  # a section after the tables (e.g. what a raw value may look like)
            current = None
        elif (
            current
            and line.startswith("| ")
            and not line.startswith("| column")
            and not line.startswith("|---")
        ):
            found[current].append(line.split("|")[1].strip())
    for name in TABLES:
        assert TABLE_COLUMNS[name] == found[name], name


def test_return_value_counts_rows(tmp_path: Path) -> None:
    counts = generate_company(tmp_path, 120, seed=3, bad_rows=False)
    assert set(counts) == set(TABLES)
    for name in TABLES:
        with open(tmp_path / f"{name}.csv", encoding="utf-8") as f:
            assert sum(1 for _ in f) - 1 == counts[name], name


def test_csv_value_formats(small_csv: Path) -> None:
    ev = pd.read_csv(small_csv / "subscription_events.csv", dtype=str, keep_default_na=False)
    ts = ev["occurred_at"][ev["event_id"].str.match(r"^E\d{7}-\d{3}$")]
    assert ts.str.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ").all()
    for col in ("quantity", "unit_price", "discount_percent"):
        vals = ev[col][(ev[col] != "") & (ev[col] != "ten")]
        assert vals.str.fullmatch(r"-?\d+(\.\d{1,4})?").all(), col
    assert set(ev["is_trial"]) <= {"", "true", "false"}
    for name, col in (("usage_charges", "amount"), ("one_time_charges", "amount"), ("plans", "list_price")):
        vals = pd.read_csv(small_csv / f"{name}.csv", dtype=str, keep_default_na=False)[col]
        assert vals[vals != ""].str.fullmatch(r"-?\d+(\.\d{1,4})?").all(), name


def test_parquet_mode(tmp_path: Path) -> None:
    counts = generate_company(tmp_path, 200, seed=5, fmt="parquet")
    con = duckdb.connect()
    for name in TABLES:
        path = tmp_path / name if (tmp_path / name).is_dir() else tmp_path / f"{name}.parquet"
        pattern = f"{path.as_posix()}/*.parquet" if path.is_dir() else path.as_posix()
        cols = [r[0] for r in con.execute(f"describe select * from read_parquet('{pattern}')").fetchall()]
        assert cols == TABLE_COLUMNS[name], name
        assert (
            con.execute(f"select count(*) from read_parquet('{pattern}')").fetchone()[0] == counts[name] > 0
        ), name
    events_glob = f"{tmp_path.as_posix()}/subscription_events/*.parquet"
    types = {
        r[0]: r[1] for r in con.execute(f"describe select * from read_parquet('{events_glob}')").fetchall()
    }
    assert types["unit_price"] == "DECIMAL(18,4)"
    assert types["occurred_at"] == "TIMESTAMP WITH TIME ZONE"
    # the CSV and Parquet renderings of a company hold the same generated rows
    generate_company(tmp_path / "csv", 200, seed=5, fmt="csv", bad_rows=False)
    csv_n = con.execute(
        f"select count(*) from read_csv('{(tmp_path / 'csv').as_posix()}/subscription_events.csv')"
    ).fetchone()[0]
    pq_n = con.execute(
        f"select count(*) from read_parquet('{events_glob}') where event_id like 'E0%'"
    ).fetchone()[0]
    dup_copies = 2  # the two planted duplicate copies also have generated-looking ids
    assert csv_n == pq_n - dup_copies


def test_sample_matches_fresh_generation(tmp_path: Path) -> None:
    counts = generate_company(tmp_path, **SAMPLE_ARGS)
    for name in TABLES:
        assert filecmp.cmp(tmp_path / f"{name}.csv", SEEDS / f"{name}.csv", shallow=False), (
            f"seeds/{name}.csv differs from a fresh generation: regenerate it (see seeds/README.md)"
        )
    readme = (SEEDS / "README.md").read_text()
    for name, rows in counts.items():
        assert f"| `{name}.csv` | {rows:,} |" in readme, f"row count of {name} in seeds/README.md"


def test_sample_size_under_8_mb() -> None:
    assert sum(p.stat().st_size for p in SEEDS.glob("*.csv")) < 8 * 1024 * 1024


COVERAGE_MINIMUMS = {k: MIN_CASES for k in COVERAGE_SQL}


@pytest.mark.parametrize("case", sorted(COVERAGE_MINIMUMS))
def test_sample_covers_case(sample_coverage: dict[str, float], case: str) -> None:
    assert sample_coverage[case] >= COVERAGE_MINIMUMS[case], f"{case}: {sample_coverage[case]}"


def test_sample_shape(sample_coverage: dict[str, float]) -> None:
    assert sample_coverage["currencies_in_events"] == 3
    # seats and tiers change mostly when usage reaches a limit (seeds/README.md), so a few events per customer
    assert 3 <= sample_coverage["events_per_customer"] <= 12
    # multi-product customers churn noticeably less (the product's claim)
    assert (
        sample_coverage["monthly_churn_multi_product"] < 0.6 * sample_coverage["monthly_churn_single_product"]
    )


def test_sample_integrity() -> None:
    con = duckdb.connect()
    _views(con, SEEDS)
    # customers are created before their first event
    late = con.execute("""
        select count(*) from items i join raw_customers c using (customer_id)
        where cast(c.created_at as timestamptz) >= i.s""").fetchone()[0]
    assert late == 0
    # every item of the generated rows starts with item_started and has nothing after item_ended
    bad_order = con.execute("""
        select count(*) from evp where (prev_t is null and event_type <> 'item_started')
        or (prev_t is not null and event_type = 'item_started')
        or item_id in (
            select item_id from evp where event_type = 'item_ended' and next_t is not null)""").fetchone()[0]
    assert bad_order == 0
    # every currency has a rate on or before the first event
    missing = con.execute("""
        select count(*) from (select distinct currency from plans) c
        where not exists (select 1 from raw_fx_rates f where f.currency = c.currency
                          and cast(f.rate_date as date) <= (select min(t)::date from ev))""").fetchone()[0]
    assert missing == 0


def _rows(folder: Path, table: str) -> pd.DataFrame:
    return pd.read_csv(folder / f"{table}.csv", dtype=str, keep_default_na=False)


@pytest.mark.parametrize(
    "bad", PLANTED_BAD_ROWS, ids=lambda b: f"{b['table']}:{b['key'] or b['problem'][:20]}"
)
def test_planted_bad_row_present(bad: dict) -> None:
    df = _rows(SEEDS, bad["table"])
    hit = pd.Series(True, index=df.index)
    for col, value in bad["match"].items():
        hit &= df[col] == value
    expected = 2 if "duplicate" in bad["problem"] else 1
    assert hit.sum() == expected, bad


def test_planted_duplicates_are_what_they_claim() -> None:
    ev = _rows(SEEDS, "subscription_events")
    exact = ev[ev["event_id"] == "E0000001-001"]
    assert len(exact.drop_duplicates()) == 1
    conflict = ev[ev["event_id"] == "E0000002-001"]
    assert len(conflict.drop_duplicates()) == 2


def test_no_bad_rows_option(tmp_path: Path) -> None:
    generate_company(tmp_path, 50, seed=1, bad_rows=False)
    ev = _rows(tmp_path, "subscription_events")
    assert ev["event_id"].str.fullmatch(r"E\d{7}-\d{3}").all()
    assert not ev["event_id"].duplicated().any()
    assert (_rows(tmp_path, "customers")["customer_id"] != "").all()
