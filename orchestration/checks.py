"""Python asset checks on the dbt assets, only where they add what a dbt test cannot: the warehouse against
the independent pandas reference implementation (independent_metrics), and every raw row accounted for
against the rows counted in the files by Python. The invariants a query can state (the bridge identity,
mechanisms summing to delta, no missing customer-month) are dbt data tests, which Dagster surfaces as
asset checks of the same assets.

Every check reads this run's build file and is blocking: if one fails, `published_warehouse` does not run,
so readers keep the last good warehouse.

The reference runs on a deterministic sample of customers when the company has more than
SAAS_REFERENCE_SAMPLE_CUSTOMERS (default 20000; independent_metrics/sampling.py): customer MRR and
movements are then compared for the sampled customers only, and monthly NRR/GRR are checked by applying the
reference's bridge and retention formulas (independent_metrics/marts.py) to the warehouse's own fct_mrr and
fct_mrr_movements, whose per-customer values the other two checks verify on the sample. Each reference check
reports the sample.
"""

import os
from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime
from functools import lru_cache
from pathlib import Path

import duckdb
import pandas as pd
from dagster import (
    AssetCheckExecutionContext,
    AssetCheckResult,
    AssetCheckSeverity,
    AssetKey,
    MetadataValue,
    asset_check,
)

from independent_metrics import DEFAULT_MAX_CUSTOMERS, ReferenceRun, SampleInfo, compute_sampled
from independent_metrics.expansion import compare_opportunities, expansion_opportunities
from independent_metrics.marts import monthly_bridge, monthly_retention
from orchestration import comparisons
from orchestration.adapters import derived_folder, export_derived_tables
from orchestration.landing import count_raw_rows, landing_folder_fingerprint
from orchestration.resources import WarehouseResource
from orchestration.settings import SettingsError, WarehouseSettings

MAX_LISTED = 20
SAMPLE_SETTING = "SAAS_REFERENCE_SAMPLE_CUSTOMERS"
SAMPLED_CUSTOMERS = "sampled_customers"  # the relation the warehouse-side SQL filters on
MONTH_INDEX_SQL = "(year(month) * 12 + month(month) - 1)::integer"
MONTH_I = f"{MONTH_INDEX_SQL} as month_i"

Evaluate = Callable[[Path, WarehouseSettings], tuple[pd.DataFrame, int, str]]
Describe = Callable[[Path, WarehouseSettings], dict[str, object]]


def reference_sample_limit(environ: Mapping[str, str] | None = None) -> int:
    """SAAS_REFERENCE_SAMPLE_CUSTOMERS: above this many customers the reference runs on a sample."""
    env = os.environ if environ is None else environ
    text = env.get(SAMPLE_SETTING, str(DEFAULT_MAX_CUSTOMERS)).strip()
    if not text.isdigit() or int(text) < 1:
        raise SettingsError(
            f"{SAMPLE_SETTING} must be a whole number of customers (1 or more; default "
            f"{DEFAULT_MAX_CUSTOMERS}), got {text!r}."
        )
    return int(text)


def read_table(build_path: Path, sql: str, customers: frozenset[str] | None = None) -> pd.DataFrame:
    """Rows as Python objects (decimals stay Decimal). customers: registered as the relation
    sampled_customers(customer_id) for the SQL to filter on."""
    with duckdb.connect(str(build_path), read_only=True) as connection:
        if customers is not None:
            connection.register(SAMPLED_CUSTOMERS, pd.DataFrame({"customer_id": sorted(customers)}))
        cursor = connection.execute(sql)
        rows = cursor.fetchall()
        return pd.DataFrame(rows, columns=[column[0] for column in cursor.description], dtype=object)


def read_numbers(build_path: Path, sql: str) -> pd.DataFrame:
    """A large numeric result as NumPy columns (no Python object per value)."""
    with duckdb.connect(str(build_path), read_only=True) as connection:
        return connection.execute(sql).df()


def as_of_date(settings: WarehouseSettings) -> date:
    return date.fromisoformat(settings.as_of) if settings.as_of else datetime.now(UTC).date()


@lru_cache(maxsize=2)
def cached_reference_run(
    raw_dir: str, as_of: date, max_customers: int, landing_fingerprint: str
) -> ReferenceRun:
    """Computed once for all checks of a run: the key holds the landing folder's fingerprint, so a
    process that builds again after the files changed (the tests, `dagster dev`) never reuses old tables."""
    return compute_sampled(raw_dir, as_of, max_customers=max_customers)


def reference_run(raw_dir: str, as_of: date, max_customers: int) -> ReferenceRun:
    """The reference implementation on the sample."""
    fingerprint = landing_folder_fingerprint(Path(raw_dir))
    return cached_reference_run(raw_dir, as_of, max_customers, fingerprint)


def reference_tables(raw_dir: str, as_of: date) -> dict[str, pd.DataFrame]:
    """The reference implementation's tables; when sampled, exact only for the sampled customers."""
    return reference_run(raw_dir, as_of, reference_sample_limit()).tables


def reference_sample(raw_dir: str, as_of: date) -> SampleInfo:
    """Which customers the reference computed."""
    return reference_run(raw_dir, as_of, reference_sample_limit()).sample


def reference_raw_dir(build_path: Path, settings: WarehouseSettings) -> str:
    """The landing folder the reference reads: the raw contract's folder itself; for an adapter source, the
    contract tables the adapter derived in this build, written out once per build (D-52)."""
    if settings.source == "contract":
        return str(settings.raw_dir)
    folder = derived_folder(build_path)
    marker = folder / ".exported"
    if not marker.exists() or marker.read_text(encoding="utf-8") != str(build_path.stat().st_mtime_ns):
        export_derived_tables(build_path, settings.raw_dir, folder)
        marker.write_text(str(build_path.stat().st_mtime_ns), encoding="utf-8")
    return str(folder)


def build_reference(build_path: Path, settings: WarehouseSettings) -> dict[str, pd.DataFrame]:
    """The reference's tables for this build's landing folder (reference_raw_dir)."""
    return reference_tables(reference_raw_dir(build_path, settings), as_of_date(settings))


def settings_sample(settings: WarehouseSettings, build_path: Path) -> SampleInfo:
    return reference_sample(reference_raw_dir(build_path, settings), as_of_date(settings))


def sampled_rows_sql(select: str, sample: SampleInfo) -> str:
    """`select` (one table, no where clause) limited to the sampled customers when the run is sampled."""
    if not sample.sampled:
        return select
    return f"{select} where customer_id in (select customer_id from {SAMPLED_CUSTOMERS})"


def read_sampled(build_path: Path, select: str, sample: SampleInfo) -> pd.DataFrame:
    customers = sample.customer_ids if sample.sampled else None
    return read_table(build_path, sampled_rows_sql(select, sample), customers)


def restrict(reference: pd.DataFrame, sample: SampleInfo) -> pd.DataFrame:
    """The reference's rows of the sampled customers (customers pulled in by a shared key are partial)."""
    if not sample.sampled:
        return reference
    return reference[reference["customer_id"].isin(sample.customer_ids)]


def sample_metadata(build_path: Path, settings: WarehouseSettings) -> dict[str, object]:
    """What a reference check compared: the sample and the warehouse's customers."""
    sample = settings_sample(settings, build_path)
    in_warehouse = read_table(build_path, "select count(distinct customer_id) as n from marts.fct_mrr")
    compared = read_sampled(build_path, "select count(distinct customer_id) as n from marts.fct_mrr", sample)
    return {
        "customers_compared": int(compared["n"].iloc[0]),
        "customers_in_warehouse": int(in_warehouse["n"].iloc[0]),
        "customers_in_files": sample.customers_total,
        "customers_sampled": sample.customers_sampled,
        "sampled": "yes" if sample.sampled else "no",
        "sample_rule": sample.rule,
        f"{SAMPLE_SETTING.lower()}": sample.max_customers,
    }


def result(
    name: str, problems: pd.DataFrame, compared: int, what: str, extra: Mapping[str, object] | None = None
) -> AssetCheckResult:
    listed = problems.head(MAX_LISTED).astype(str)
    return AssetCheckResult(
        passed=problems.empty,
        description=f"{name}: {len(problems)} of {compared} {what} differ" if len(problems) else None,
        metadata={
            "compared": compared,
            "differences": len(problems),
            "first_differences": MetadataValue.md(listed.to_markdown(index=False) if len(listed) else "none"),
            **(extra or {}),
        },
    )


def run_check(
    context: AssetCheckExecutionContext,
    warehouse: WarehouseResource,
    name: str,
    evaluate: Evaluate,
    describe: Describe | None = None,
) -> AssetCheckResult:
    settings = warehouse.settings
    build_path = settings.build_path(context.run.run_id)
    problems, compared, what = evaluate(build_path, settings)
    if not problems.empty:
        context.log.error(f"{name} failed: {len(problems)} {what} differ")
    extra = describe(build_path, settings) if describe else None
    return result(name, problems, compared, what, extra)


def customer_mrr_vs_reference(build_path: Path, settings: WarehouseSettings) -> tuple[pd.DataFrame, int, str]:
    sample = settings_sample(settings, build_path)
    ours = read_sampled(build_path, "select customer_id, month, mrr from marts.fct_mrr", sample)
    theirs = restrict(build_reference(build_path, settings)["fct_mrr"], sample)
    problems = comparisons.value_differences(
        ours, theirs, ["customer_id", "month"], {"mrr": "mrr"}, comparisons.MONEY_TOLERANCE
    )
    return problems, len(ours), "customer-months"


def movements_vs_reference(build_path: Path, settings: WarehouseSettings) -> tuple[pd.DataFrame, int, str]:
    sample = settings_sample(settings, build_path)
    ours = read_sampled(build_path, "select * from marts.fct_mrr_movements", sample)
    theirs = restrict(
        build_reference(build_path, settings)["fct_mrr_movements"],
        sample,
    )
    columns = {"movement_type": "movement_type", "delta": "delta"}
    columns |= {f"{mechanism}_mrr": mechanism for mechanism in comparisons.MECHANISMS}
    problems = comparisons.value_differences(
        ours,
        theirs,
        ["customer_id", "month"],
        columns,
        comparisons.MONEY_TOLERANCE,
        negligible_when_alone="delta",
    )
    return problems, len(ours), "movements"


def month_index(day: date) -> int:
    """The reference's integer month (year × 12 + month − 1)."""
    return day.year * 12 + day.month - 1


def formula_retention(
    fct_mrr: pd.DataFrame, moves: pd.DataFrame, first_month: int | None, last_month: int
) -> pd.DataFrame:
    """The reference's monthly bridge and retention formulas applied to given fct_mrr (month_i, mrr) and
    movements (month_i, movement_type, delta) rows: month, nrr, grr."""
    return monthly_retention(monthly_bridge(fct_mrr, moves, first_month, last_month))[["month", "nrr", "grr"]]


def warehouse_formula_retention(build_path: Path, last_month: int) -> pd.DataFrame:
    """formula_retention on the warehouse's own fct_mrr and fct_mrr_movements, every customer, over the
    retention mart's months through the as-of month (read as NumPy columns: a million customers fit)."""
    fct_mrr = read_numbers(build_path, f"select {MONTH_I}, mrr::double as mrr from marts.fct_mrr")
    moves = read_numbers(
        build_path,
        f"select {MONTH_I}, movement_type, delta::double as delta from marts.fct_mrr_movements",
    )
    first = read_numbers(build_path, f"select min({MONTH_INDEX_SQL}) as m from marts.mart_retention_monthly")
    first_month = None if pd.isna(first["m"].iloc[0]) else int(first["m"].iloc[0])
    return formula_retention(fct_mrr, moves, first_month, last_month)


def retention_vs_reference(build_path: Path, settings: WarehouseSettings) -> tuple[pd.DataFrame, int, str]:
    """Not sampled: the reference's own monthly NRR/GRR. Sampled (the sample's NRR is not the company's):
    the reference's formulas on the warehouse's fct_mrr and movements, which the other checks verify."""
    ours = read_table(build_path, "select month, nrr, grr from marts.mart_retention_monthly")
    if settings_sample(settings, build_path).sampled:
        try:
            theirs = warehouse_formula_retention(build_path, month_index(as_of_date(settings)))
        except AssertionError as error:  # the reference's bridge identities do not hold on these rows
            problem = pd.DataFrame({"month": ["all"], "problem": [f"fct_mrr and movements: {error}"[:500]]})
            return problem, len(ours), "months"
    else:
        theirs = build_reference(build_path, settings)["mart_retention_monthly"]
    problems = comparisons.value_differences(
        ours, theirs, ["month"], {"nrr": "nrr", "grr": "grr"}, comparisons.RATE_TOLERANCE
    )
    return problems, len(ours), "months"


def raw_rows_accounted(build_path: Path, settings: WarehouseSettings) -> tuple[pd.DataFrame, int, str]:
    """The contract's tables against the rows in their files (for an adapter: the tables it derived, as
    written out for the reference); for an adapter also its source tables (adapter_reconciliation rows_in)
    against the rows in the source's files."""
    reconciliation = read_table(build_path, "select * from marts.mart_raw_reconciliation")
    # counted from the files, nothing loaded
    rows_in_files = count_raw_rows(Path(reference_raw_dir(build_path, settings)))
    problems = comparisons.unaccounted_rows(reconciliation, rows_in_files)
    if settings.source == "contract":
        return problems, len(reconciliation), "raw tables"
    adapter_rows = read_table(
        build_path,
        "select source_table, row_count from marts.adapter_reconciliation where category = 'rows_in'",
    )
    source_counts = count_raw_rows(settings.raw_dir, settings.source)
    adapter_problems = comparisons.unread_source_rows(adapter_rows, source_counts, settings.source)
    return pd.concat([problems, adapter_problems], ignore_index=True), len(reconciliation), "raw tables"


def opportunities_vs_reference(
    build_path: Path, settings: WarehouseSettings
) -> tuple[pd.DataFrame, int, str]:
    """Every opportunity of the scoring month (utilisation, projection, limit, trigger, metric, estimate,
    priority, rank) recomputed from the raw files by the reference; the health score is the warehouse's
    (an input of single_product and of the priority, not what this check verifies). Sampled: the sampled
    customers' rows, without the company-wide single_product median and rank."""
    sample = settings_sample(settings, build_path)
    health = read_table(build_path, "select customer_id, month, health_score from marts.mart_customer_health")
    theirs = expansion_opportunities(
        build_reference(build_path, settings),
        as_of_date(settings),
        health,
    )
    ours = read_table(build_path, "select * from marts.mart_expansion_opportunities")
    differences = compare_opportunities(
        theirs,
        ours,
        sampled=sample.sampled,
        customers=sample.customer_ids if sample.sampled else None,
    )
    return pd.DataFrame({"difference": differences}), len(ours), "opportunities"


HEALTH_SEPARATION_GOAL = 2.0
LIFT_GOAL = 1.5
HEALTH_SEPARATION_SQL = """
select
    quintile,
    sum(customers) as customers,
    sum(churn_rate_90d * customers) as churned
from marts.mart_health_backtest
where quintile in (1, 5)
group by quintile
"""
LIFT_SQL = """
select
    trigger,
    avg(lift) as mean_lift,
    count(lift) as months
from marts.mart_trigger_effectiveness
group by trigger
order by trigger
"""


def pooled_churn_rates(build_path: Path) -> dict[int, float | None]:
    """The 3-month churn rate of quintiles 1 (least healthy) and 5 over every backtested month."""
    rows = read_table(build_path, HEALTH_SEPARATION_SQL)
    rates: dict[int, float | None] = {1: None, 5: None}
    for quintile, customers, churned in rows.itertuples(index=False):
        rates[int(quintile)] = float(churned) / float(customers) if customers else None
    return rates


def health_separation_result(rates: dict[int, float | None]) -> AssetCheckResult:
    """Passes when the least healthy fifth churns at least HEALTH_SEPARATION_GOAL times as often as the
    healthiest (when the healthiest never churn: when the least healthy do); a warning, never blocking."""
    bottom, top = rates[1], rates[5]
    ratio = bottom / top if bottom is not None and top else None
    if bottom is None or top is None:
        passed = False  # no month has three months of future yet
    elif top == 0:
        passed = bottom > 0
    else:
        passed = bottom / top >= HEALTH_SEPARATION_GOAL
    shown = "n/a" if ratio is None else f"{ratio:.2f}"
    return AssetCheckResult(
        passed=passed,
        severity=AssetCheckSeverity.WARN,
        description=None
        if passed
        else f"the least healthy quintile churns {shown}x as often as the healthiest "
        f"(goal >= {HEALTH_SEPARATION_GOAL}x): the health score does not separate churners",
        metadata={
            "churn_rate_90d_bottom_quintile": bottom,
            "churn_rate_90d_top_quintile": top,
            "bottom_to_top_ratio": ratio,
            "goal": HEALTH_SEPARATION_GOAL,
        },
    )


@asset_check(
    asset=AssetKey(["marts", "mart_health_backtest"]),
    name="health_quintiles_separate_churn",
    description="The least healthy fifth of customers churns within 3 months at least twice as often as the "
    "healthiest fifth, pooled over every backtested month (a warning, not blocking).",
    blocking=False,
)
def health_quintiles_separate_churn(
    context: AssetCheckExecutionContext, warehouse: WarehouseResource
) -> AssetCheckResult:
    return health_separation_result(pooled_churn_rates(warehouse.settings.build_path(context.run.run_id)))


@asset_check(
    asset=AssetKey(["marts", "mart_trigger_effectiveness"]),
    name="limit_reached_predicts_expansion",
    description="The mean monthly lift of limit_reached is at least 1.5 (each trigger's mean lift is "
    "reported; a warning, not blocking).",
    blocking=False,
)
def limit_reached_predicts_expansion(
    context: AssetCheckExecutionContext, warehouse: WarehouseResource
) -> AssetCheckResult:
    rows = read_table(warehouse.settings.build_path(context.run.run_id), LIFT_SQL)
    lifts = {
        str(trigger): None if lift is None else float(lift)
        for trigger, lift, _ in rows.itertuples(index=False)
    }
    lift = lifts.get("limit_reached")
    passed = lift is not None and lift >= LIFT_GOAL
    return AssetCheckResult(
        passed=passed,
        severity=AssetCheckSeverity.WARN,
        description=None if passed else f"limit_reached's mean lift is {lift} (goal >= {LIFT_GOAL})",
        metadata={f"mean_lift_{trigger}": value for trigger, value in lifts.items()} | {"goal": LIFT_GOAL},
    )


def warehouse_check(
    asset: list[str], name: str, description: str, evaluate: Evaluate, describe: Describe | None = None
) -> Callable:
    @asset_check(asset=AssetKey(asset), name=name, description=description, blocking=True)
    def check(context: AssetCheckExecutionContext, warehouse: WarehouseResource) -> AssetCheckResult:
        return run_check(context, warehouse, name, evaluate, describe)

    return check


python_checks = [
    warehouse_check(
        ["marts", "fct_mrr"],
        "customer_mrr_matches_reference",
        "Every customer-month's MRR equals the independent pandas implementation's (within 0.0001); "
        f"above {SAMPLE_SETTING} customers, on a deterministic sample of them.",
        customer_mrr_vs_reference,
        sample_metadata,
    ),
    warehouse_check(
        ["marts", "fct_mrr_movements"],
        "movements_match_reference",
        "Every movement's type, delta and mechanism amounts equal the reference implementation's; "
        f"above {SAMPLE_SETTING} customers, on a deterministic sample of them.",
        movements_vs_reference,
        sample_metadata,
    ),
    warehouse_check(
        ["marts", "mart_retention_monthly"],
        "monthly_nrr_grr_match_reference",
        "Monthly NRR and GRR equal the reference implementation's (within 0.000001; nulls alike); when the "
        "reference is sampled, the reference's formulas applied to the warehouse's fct_mrr and movements.",
        retention_vs_reference,
        sample_metadata,
    ),
    warehouse_check(
        ["marts", "mart_expansion_opportunities"],
        "opportunities_match_reference",
        "Every expansion opportunity of the scoring month (utilisation, 90-day projection, limit, trigger, "
        "metric, estimated MRR, priority, rank) equals the independent pandas implementation's, recomputed "
        "from the raw files (4 dp; money within 0.01); sampled above "
        f"{SAMPLE_SETTING} customers.",
        opportunities_vs_reference,
        sample_metadata,
    ),
    health_quintiles_separate_churn,
    limit_reached_predicts_expansion,
    warehouse_check(
        ["marts", "mart_raw_reconciliation"],
        "every_raw_row_accounted_for",
        "Rows in each raw file (counted in Python) = rows used + rejected + duplicates collapsed.",
        raw_rows_accounted,
    ),
]
