"""The other contenders of the benchmark, each run as its own process (timed with /usr/bin/time).

    python benchmarks/contenders.py lower_bound RAW_DIR AS_OF
    python benchmarks/contenders.py peer_spine RAW_DIR AS_OF
    python benchmarks/contenders.py pandas_reference RAW_DIR AS_OF

- lower_bound: one hand-written DuckDB query from the raw events to customer-month MRR and nothing else
  (no validation, no FX, no usage, floats): the least work any implementation must do.
- peer_spine: the style of dbt Labs' public "mrr-playbook": subscription periods joined to a
  customer x month spine, MRR summed per customer-month, then classified with lag() (new, churn,
  reactivation, upgrade, downgrade), written here in DuckDB SQL.
- pandas_reference: the project's independent pandas implementation (independent_metrics).
Each prints the number of customer-months it produced and their total MRR.
"""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path

import duckdb

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

from orchestration.landing import files_reader_sql, table_files  # noqa: E402


def reader(raw_dir: Path, table: str) -> str:
    """The table's files, found and read as the build does (orchestration.landing)."""
    return files_reader_sql(table_files(raw_dir, table))


def item_periods_sql(raw_dir: Path, as_of: str) -> str:
    """Item states with a float MRR and their month range, and the months through the as-of month
    (shared by both SQL contenders)."""
    return f"""
    with events as (
        select
            event_id, try_cast(trim(cast(occurred_at as varchar)) as timestamptz)::timestamp as occurred_at, try_cast(trim(cast(recorded_at as varchar)) as timestamptz)::timestamp as recorded_at,
            customer_id, item_id, event_type, plan_id,
            try_cast(trim(cast(quantity as varchar)) as double) as quantity, try_cast(trim(cast(unit_price as varchar)) as double) as unit_price,
            try_cast(trim(cast(discount_percent as varchar)) as double) as discount_percent, try_cast(trim(cast(is_trial as varchar)) as boolean) as is_trial
        from {reader(raw_dir, "subscription_events")}
    ),
    plans as (
        select plan_id, pricing_model, billing_interval,
            coalesce(try_cast(trim(cast(billing_interval_count as varchar)) as integer), 1) as interval_count,
            try_cast(trim(cast(list_price as varchar)) as double) as list_price
        from {reader(raw_dir, "plans")}
    ),
    states as (
        select
            customer_id, item_id, occurred_at,
            lead(occurred_at) over (partition by item_id order by occurred_at, recorded_at, event_id) as valid_to,
            last_value(plan_id ignore nulls) over item_history as plan_id,
            last_value(quantity ignore nulls) over item_history as quantity,
            last_value(unit_price ignore nulls) over item_history as unit_price,
            last_value(discount_percent ignore nulls) over item_history as discount_percent,
            last_value(is_trial ignore nulls) over item_history as is_trial,
            last_value(case event_type when 'item_paused' then 'paused' when 'item_ended' then 'ended'
                when 'item_started' then 'active' when 'item_resumed' then 'active' end ignore nulls)
                over item_history as status
        from events
        window item_history as (
            partition by item_id order by occurred_at, recorded_at, event_id
            rows between unbounded preceding and current row
        )
    ),
    periods as (
        select
            states.customer_id,
            date_trunc('month', states.occurred_at) as start_month,
            date_trunc('month', states.valid_to) as end_month,
            case when states.status <> 'active' or coalesce(states.is_trial, false) or plans.pricing_model = 'usage'
                then 0
                else coalesce(states.unit_price, plans.list_price)
                    * (case when plans.pricing_model = 'per_unit' then coalesce(states.quantity, 1) else 1 end)
                    * (1 - coalesce(states.discount_percent, 0) / 100)
                    * case plans.billing_interval when 'year' then 1 / 12 when 'week' then 52 / 12
                        when 'day' then 365 / 12 else 1 end / plans.interval_count
            end as mrr
        from states
        inner join plans on states.plan_id = plans.plan_id
    ),
    months as (
        select generated as month
        from generate_series(
            (select min(start_month) from periods), date_trunc('month', date '{as_of}'), interval 1 month
        ) as series (generated)
    )
    """


def lower_bound(raw_dir: Path, as_of: str) -> tuple[int, float]:
    sql = (
        item_periods_sql(raw_dir, as_of)
        + """

    select periods.customer_id, months.month, sum(periods.mrr) as mrr
    from periods
    inner join months
        on months.month >= periods.start_month and (months.month < periods.end_month or periods.end_month is null)
    where periods.mrr > 0
    group by 1, 2
    """
    )
    with duckdb.connect() as connection:
        connection.execute(f"create table customer_mrr as {sql}")
        return connection.execute("select count(*), sum(mrr) from customer_mrr").fetchone()


def peer_spine(raw_dir: Path, as_of: str) -> tuple[int, float]:
    sql = (
        item_periods_sql(raw_dir, as_of)
        + """

    , customers as (
        select customer_id, min(start_month) as first_month from periods group by 1
    ),
    customer_months as (  -- the spine: every customer x every month since its first
        select customers.customer_id, months.month
        from customers inner join months on months.month >= customers.first_month
    ),
    mrr as (
        select customer_months.customer_id, customer_months.month, coalesce(sum(periods.mrr), 0) as mrr
        from customer_months
        left join periods
            on customer_months.customer_id = periods.customer_id
            and customer_months.month >= periods.start_month
            and (customer_months.month < periods.end_month or periods.end_month is null)
        group by 1, 2
    ),
    with_previous as (
        select *,
            coalesce(lag(mrr) over (partition by customer_id order by month), 0) as previous_mrr,
            max(mrr) over (partition by customer_id order by month rows between unbounded preceding and 1 preceding)
                as best_before
        from mrr
    )
    select *,
        case
            when previous_mrr = 0 and mrr > 0 and coalesce(best_before, 0) = 0 then 'new'
            when previous_mrr = 0 and mrr > 0 then 'reactivation'
            when previous_mrr > 0 and mrr = 0 then 'churn'
            when mrr > previous_mrr then 'upgrade'
            when mrr < previous_mrr then 'downgrade'
        end as change_category
    from with_previous
    """
    )
    with duckdb.connect() as connection:
        connection.execute(f"create table mrr_changes as {sql}")
        return connection.execute("select count(*), sum(mrr) from mrr_changes where mrr > 0").fetchone()


def pandas_reference(raw_dir: Path, as_of: str) -> tuple[int, float]:
    from independent_metrics import compute_all

    tables = compute_all(raw_dir, date.fromisoformat(as_of))
    fct_mrr = tables["fct_mrr"]
    active = fct_mrr[fct_mrr["mrr"] > 0]
    return len(active), float(active["mrr"].sum())


CONTENDERS = {"lower_bound": lower_bound, "peer_spine": peer_spine, "pandas_reference": pandas_reference}

if __name__ == "__main__":
    name, raw_dir, as_of = sys.argv[1], Path(sys.argv[2]), sys.argv[3]
    rows, total = CONTENDERS[name](raw_dir, as_of)
    print(f"RESULT {name} customer_months={rows} total_mrr={total:.2f}")
