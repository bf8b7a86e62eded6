"""Python asset checks on the dbt assets: the warehouse against the independent pandas reference
implementation (orchestration/reference), and the invariants that make the figures trustworthy.

Every check reads this run's build file and is blocking: if one fails, `published_warehouse` does not run,
so readers keep the last good warehouse.
"""

from collections.abc import Callable
from datetime import UTC, date, datetime
from functools import lru_cache
from pathlib import Path

import duckdb
import pandas as pd
from dagster import AssetCheckExecutionContext, AssetCheckResult, AssetKey, MetadataValue, asset_check

from orchestration import comparisons
from orchestration.reference import compute_all, load_raw
from orchestration.resources import WarehouseResource
from orchestration.settings import WarehouseSettings

MAX_LISTED = 20


def read_table(build_path: Path, sql: str) -> pd.DataFrame:
    with duckdb.connect(str(build_path), read_only=True) as connection:
        cursor = connection.execute(sql)
        rows = cursor.fetchall()
        return pd.DataFrame(rows, columns=[column[0] for column in cursor.description], dtype=object)


def as_of_date(settings: WarehouseSettings) -> date:
    return date.fromisoformat(settings.as_of) if settings.as_of else datetime.now(UTC).date()


@lru_cache(maxsize=2)
def reference_tables(raw_dir: str, as_of: date) -> dict[str, pd.DataFrame]:
    """The reference implementation's tables (computed once per run and process)."""
    return compute_all(raw_dir, as_of)


def result(name: str, problems: pd.DataFrame, compared: int, what: str) -> AssetCheckResult:
    listed = problems.head(MAX_LISTED).astype(str)
    return AssetCheckResult(
        passed=problems.empty,
        description=f"{name}: {len(problems)} of {compared} {what} differ" if len(problems) else None,
        metadata={
            "compared": compared,
            "differences": len(problems),
            "first_differences": MetadataValue.md(listed.to_markdown(index=False) if len(listed) else "none"),
        },
    )


def run_check(
    context: AssetCheckExecutionContext,
    warehouse: WarehouseResource,
    name: str,
    evaluate: Callable[[Path, WarehouseSettings], tuple[pd.DataFrame, int, str]],
) -> AssetCheckResult:
    settings = warehouse.settings
    problems, compared, what = evaluate(settings.build_path(context.run.run_id), settings)
    if not problems.empty:
        context.log.error(f"{name} failed: {len(problems)} {what} differ")
    return result(name, problems, compared, what)


def customer_mrr_vs_reference(build_path: Path, settings: WarehouseSettings) -> tuple[pd.DataFrame, int, str]:
    ours = read_table(build_path, "select customer_id, month, mrr from marts.fct_mrr")
    theirs = reference_tables(str(settings.raw_dir), as_of_date(settings))["fct_mrr"]
    problems = comparisons.value_differences(
        ours, theirs, ["customer_id", "month"], {"mrr": "mrr"}, comparisons.MONEY_TOLERANCE
    )
    return problems, len(ours), "customer-months"


def movements_vs_reference(build_path: Path, settings: WarehouseSettings) -> tuple[pd.DataFrame, int, str]:
    ours = read_table(build_path, "select * from marts.fct_mrr_movements")
    theirs = reference_tables(str(settings.raw_dir), as_of_date(settings))["fct_mrr_movements"]
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


def retention_vs_reference(build_path: Path, settings: WarehouseSettings) -> tuple[pd.DataFrame, int, str]:
    ours = read_table(build_path, "select month, nrr, grr from marts.mart_retention_monthly")
    theirs = reference_tables(str(settings.raw_dir), as_of_date(settings))["mart_retention_monthly"]
    problems = comparisons.value_differences(
        ours, theirs, ["month"], {"nrr": "nrr", "grr": "grr"}, comparisons.RATE_TOLERANCE
    )
    return problems, len(ours), "months"


def bridge_identity(build_path: Path, settings: WarehouseSettings) -> tuple[pd.DataFrame, int, str]:
    bridge = read_table(build_path, "select * from marts.mart_mrr_bridge")
    return comparisons.bridge_identity_breaks(bridge), len(bridge), "bridge rows"


def mechanisms_sum_to_delta(build_path: Path, settings: WarehouseSettings) -> tuple[pd.DataFrame, int, str]:
    movements = read_table(build_path, "select * from marts.fct_mrr_movements")
    return comparisons.mechanism_sum_breaks(movements), len(movements), "movements"


def no_missing_customer_months(
    build_path: Path, settings: WarehouseSettings
) -> tuple[pd.DataFrame, int, str]:
    fct_mrr = read_table(build_path, "select customer_id, month from marts.fct_mrr")
    return comparisons.customer_month_gaps(fct_mrr), fct_mrr["customer_id"].nunique(), "customers"


def raw_rows_accounted(build_path: Path, settings: WarehouseSettings) -> tuple[pd.DataFrame, int, str]:
    reconciliation = read_table(build_path, "select * from marts.mart_raw_reconciliation")
    rows_in_files = {table: len(frame) for table, frame in load_raw(settings.raw_dir).items()}
    return comparisons.unaccounted_rows(reconciliation, rows_in_files), len(reconciliation), "raw tables"


def warehouse_check(asset: list[str], name: str, description: str, evaluate: Callable) -> Callable:
    @asset_check(asset=AssetKey(asset), name=name, description=description, blocking=True)
    def check(context: AssetCheckExecutionContext, warehouse: WarehouseResource) -> AssetCheckResult:
        return run_check(context, warehouse, name, evaluate)

    return check


python_checks = [
    warehouse_check(
        ["marts", "fct_mrr"],
        "customer_mrr_matches_reference",
        "Every customer-month's MRR equals the independent pandas implementation's (within 0.0001).",
        customer_mrr_vs_reference,
    ),
    warehouse_check(
        ["marts", "fct_mrr_movements"],
        "movements_match_reference",
        "Every movement's type, delta and eight mechanism amounts equal the reference implementation's.",
        movements_vs_reference,
    ),
    warehouse_check(
        ["marts", "mart_retention_monthly"],
        "monthly_nrr_grr_match_reference",
        "Monthly NRR and GRR equal the reference implementation's (within 0.000001; nulls alike).",
        retention_vs_reference,
    ),
    warehouse_check(
        ["marts", "mart_mrr_bridge"],
        "bridge_identity_holds",
        "start + new + reactivation + expansion − contraction − churn = end, exactly, on every bridge row.",
        bridge_identity,
    ),
    warehouse_check(
        ["marts", "fct_mrr_movements"],
        "mechanisms_add_up_to_delta",
        "On every expansion and contraction row the eight mechanism amounts sum exactly to delta.",
        mechanisms_sum_to_delta,
    ),
    warehouse_check(
        ["marts", "fct_mrr"],
        "no_missing_customer_months",
        "No customer-month is missing between a customer's first and last month.",
        no_missing_customer_months,
    ),
    warehouse_check(
        ["marts", "mart_raw_reconciliation"],
        "every_raw_row_accounted_for",
        "Rows in each raw file (counted in Python) = rows used + rejected + duplicates collapsed.",
        raw_rows_accounted,
    ),
]
