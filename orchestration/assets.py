"""The dbt models as Dagster assets, and the publish step that makes a checked build visible."""

import json
import os
import shutil
from collections.abc import Iterator, Mapping
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
from dagster import (
    AssetCheckResult,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetExecutionContext,
    AssetKey,
    Failure,
    MaterializeResult,
    MetadataValue,
    RetryRequested,
    asset,
)
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings, DbtCliResource, dbt_assets

from orchestration.expansion_forecast import (
    ERROR_THRESHOLD,
    BridgeMonth,
    ForecastRow,
    forecast_rows,
    mean_backtest_error,
)
from orchestration.project import code_fingerprint, dbt_project, prepared_manifest
from orchestration.publishing import (
    PublishRefused,
    check_provenance,
    has_table,
    last_complete_month,
    publish,
    writer_holding,
)
from orchestration.resources import WarehouseResource
from orchestration.settings import WarehouseSettings

TRANSIENT_ERROR_MARKERS = ("Could not set lock", "Conflicting lock", "No space left on device")
MAX_FAILING_ROWS = 5


class WarehouseTranslator(DagsterDbtTranslator):
    """Asset keys follow the warehouse schema (staging/…, intermediate/…, marts/…); groups by layer."""

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> AssetKey:
        if dbt_resource_props["resource_type"] == "source":
            # a table a Python asset writes names that asset (meta dagster.asset_key): lineage through it
            declared = python_asset_key(dbt_resource_props)
            return declared or AssetKey(["raw", dbt_resource_props["name"]])
        return AssetKey([dbt_resource_props["schema"], dbt_resource_props["name"]])

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        if dbt_resource_props["resource_type"] == "source":
            return None if python_asset_key(dbt_resource_props) else "raw"
        return dbt_resource_props["schema"]


def python_asset_key(dbt_resource_props: Mapping[str, Any]) -> AssetKey | None:
    """The asset key a source's meta dagster.asset_key declares (a table written by a Python asset)."""
    meta = dbt_resource_props.get("meta") or {}
    declared = (meta.get("dagster") or {}).get("asset_key")
    return AssetKey(declared) if declared else None


translator = WarehouseTranslator(settings=DagsterDbtTranslatorSettings(enable_asset_checks=True))


# Dagster runs dbt twice in a build: every model but the forecast mart (and their tests), then, after the
# Python asset forecast/expansion_forecast has written its rows from mart_mrr_bridge, the forecast mart.
FORECAST_MART = "mart_expansion_forecast"
FORECAST_ASSET_KEY = AssetKey(["forecast", "expansion_forecast"])
BRIDGE_ASSET_KEY = AssetKey(["marts", "mart_mrr_bridge"])


@dbt_assets(
    manifest=prepared_manifest(),
    project=dbt_project,
    dagster_dbt_translator=translator,
    exclude=FORECAST_MART,
)
def warehouse_dbt_models(
    context: AssetExecutionContext, dbt: DbtCliResource, warehouse: WarehouseResource
) -> Iterator[Any]:
    """`dbt build` (models, data tests, unit tests) into this run's own DuckDB file: a copy of the
    published warehouse (incremental: only the customers whose inputs changed are recomputed) or a new
    file (full build). Every model but the forecast mart, which runs after the Python forecast."""
    settings = warehouse.settings
    build_path = settings.build_path(context.run.run_id)
    writer = writer_holding(settings.warehouse_path)
    if writer:
        raise Failure(description=f"Not built: {writer}")
    try:
        check_provenance(settings)
    except PublishRefused as refused:
        raise Failure(description=str(refused)) from None
    started_from = start_build_file(settings, build_path)
    context.log.info(
        f"Building from {settings.raw_dir} into {build_path} (as of {settings.as_of}; "
        f"{'starting from ' + str(started_from) if started_from else 'full build'})"
    )
    yield from dbt_build(context, dbt, settings, build_path)


@dbt_assets(
    manifest=prepared_manifest(),
    project=dbt_project,
    dagster_dbt_translator=translator,
    select=FORECAST_MART,
    name="forecast_dbt_models",
)
def forecast_dbt_models(
    context: AssetExecutionContext, dbt: DbtCliResource, warehouse: WarehouseResource
) -> Iterator[Any]:
    """`dbt build` of mart_expansion_forecast (and its tests) into this run's build file, from the rows
    the Python asset forecast/expansion_forecast wrote there."""
    settings = warehouse.settings
    yield from dbt_build(context, dbt, settings, settings.build_path(context.run.run_id))


def dbt_build(
    context: AssetExecutionContext, dbt: DbtCliResource, settings: WarehouseSettings, build_path: Path
) -> Iterator[Any]:
    """`dbt build` of the op's selection into build_path; a failure names what failed, a locked file is
    retried."""
    dbt_vars = json.dumps(settings.dbt_vars(build_path, code_fingerprint()))
    invocation = dbt.cli(
        ["build", "--vars", dbt_vars],
        context=context,
        raise_on_error=False,
        target_path=settings.dbt_target_path,
    )
    yield from invocation.stream()
    if not invocation.is_successful():
        run_results = invocation.get_artifact("run_results.json") if ran_any_node(invocation) else {}
        failures = failed_dbt_nodes(run_results)
        if any(marker in failure for failure in failures for marker in TRANSIENT_ERROR_MARKERS):
            # another process held the file, or the disk hiccupped: worth trying again, the data is fine
            raise RetryRequested(max_retries=3, seconds_to_wait=30)
        details = [
            describe_failure(result, build_path, settings_behind_tests(dbt_project.manifest_path))
            for result in failed_results(run_results)
        ] or dbt_error_messages(invocation)
        raise Failure(
            description="dbt build failed, so nothing was published:\n" + "\n".join(details),
            metadata={"failed_nodes": failures, "build_file": str(build_path)},
        )


def ran_any_node(invocation: Any) -> bool:
    try:
        invocation.get_artifact("run_results.json")
    except (OSError, ValueError):
        return False
    return True


def dbt_error_messages(invocation: Any) -> list[str]:
    """dbt's own error messages, each once (dbt repeats a compile error in several log events)."""
    messages = getattr(invocation, "_error_messages", None) or [str(invocation.get_error() or "")]
    unique = []
    for message in messages:
        text = " ".join(str(message).split())
        if text and text not in unique:
            unique.append(text)
    return unique or ["dbt exited with an error before running any node"]


def start_build_file(settings: WarehouseSettings, build_path: Path) -> Path | None:
    """Copy the published warehouse into the build file when building incrementally; the models decide
    from its landing listing and settings what to recompute (build_state.build_scope). The published file
    is only read, so readers are not disturbed. Returns the file started from, or None (a new file)."""
    build_path.parent.mkdir(parents=True, exist_ok=True)
    build_path.unlink(missing_ok=True)
    if not settings.incremental or not settings.warehouse_path.exists():
        return None
    if not built_by_this_code(settings.warehouse_path, code_fingerprint()):
        # other code recomputes every customer anyway, and its tables may have other columns
        return None
    partial = build_path.with_name(build_path.name + ".copying")
    shutil.copyfile(settings.warehouse_path, partial)
    os.replace(partial, build_path)
    return settings.warehouse_path


def built_by_this_code(warehouse_path: Path, fingerprint: str) -> bool:
    """Whether the published warehouse was built by the project's current code (its build_scope records the
    code fingerprint as the last part of settings_fingerprint)."""
    with duckdb.connect(str(warehouse_path), read_only=True) as connection:
        if not has_table(connection, "build_state.build_scope"):
            return False
        row = connection.execute("select settings_fingerprint from build_state.build_scope").fetchone()
    return row is not None and str(row[0]).endswith("|" + fingerprint)


def failed_results(run_results: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    return [
        result
        for result in run_results.get("results", [])
        if result.get("status") in ("error", "fail", "runtime error")
    ]


def failed_dbt_nodes(run_results: Mapping[str, Any]) -> list[str]:
    """'node: message' for every model, test or unit test that errored or failed."""
    failures = [
        f"{result['unique_id']}: {' '.join(str(result.get('message') or '').split())}"
        for result in failed_results(run_results)
    ]
    return failures or ["dbt exited with an error before running any node (see the log)"]


def settings_behind_tests(manifest_path: Path) -> dict[str, str]:
    """unique_id -> the settings (dbt vars) behind a data test, from the test's meta `settings`."""
    manifest = json.loads(manifest_path.read_text(encoding="utf-8")) if manifest_path.exists() else {}
    settings = {}
    for unique_id, node in manifest.get("nodes", {}).items():
        names = (node.get("config", {}).get("meta") or node.get("meta") or {}).get("settings")
        if names:
            settings[unique_id] = ", ".join([names] if isinstance(names, str) else names)
    return settings


SNIFFING_ERROR = "Error when sniffing file"


def describe_failure(result: Mapping[str, Any], build_path: Path, settings_of_tests: dict[str, str]) -> str:
    """One failed node in words: what failed, the first offending rows of a data test, the setting."""
    unique_id = result["unique_id"]
    name = unique_id.split(".")[-1] if unique_id.startswith("model.") else unique_id.split(".")[2]
    message = " ".join(str(result.get("message") or "").split())
    if SNIFFING_ERROR in message:
        # DuckDB's own advice (turn strict reading off) is what must not be done (D-32)
        file = message.split(SNIFFING_ERROR, 1)[1].split('"')[1] if '"' in message else "a CSV file"
        return (
            f"- {name}: {file} is not one CSV table (a header, then rows of the same columns): two exports "
            "concatenated, a second header, or a line with more or fewer fields. Fix or split the file."
        )
    if unique_id.startswith("test.") and result.get("status") == "fail" and result.get("compiled_code"):
        failures = int(result.get("failures") or 0)
        shown = min(failures, MAX_FAILING_ROWS)
        lines = [
            f"- {name}: {failures} failing row(s)" + (f", the first {shown}:" if failures > shown else ":")
        ]
        lines += [f"    {row}" for row in first_failing_rows(build_path, result["compiled_code"])]
    else:
        lines = [f"- {name}: {message}"]
    setting = settings_of_tests.get(unique_id)
    if setting:
        lines.append(
            f"    settings behind this test: dbt var(s) {setting} in dbt_project/dbt_project.yml "
            "(change them only once the rows above are understood)"
        )
    return "\n".join(lines)


def first_failing_rows(build_path: Path, compiled_sql: str, limit: int = MAX_FAILING_ROWS) -> list[str]:
    """The rows a failed data test returned, re-read from the build file (at most `limit`)."""
    try:
        with duckdb.connect(str(build_path), read_only=True) as connection:
            cursor = connection.execute(f"select * from ({compiled_sql}) as failing_rows limit {limit}")
            columns = [column[0] for column in cursor.description]
            rows = cursor.fetchall()
    except duckdb.Error as error:
        return [f"(the failing rows could not be re-read: {' '.join(str(error).split())[:200]})"]
    return [
        ", ".join(f"{column}={value}" for column, value in zip(columns, row, strict=True)) for row in rows
    ]


FORECAST_CHECK = "backtest_mean_abs_pct_error"
FORECAST_COLUMNS = (
    "quarter_start date, is_backtest boolean, forecast_expansion_mrr decimal(38, 2), "
    "forecast_low decimal(38, 2), forecast_high decimal(38, 2), actual_expansion_mrr decimal(38, 6), "
    "abs_pct_error decimal(38, 10), method varchar, data_through_month date, scoring_month date, "
    "input_expansion_mrr_total decimal(38, 6)"
)
BRIDGE_SQL = """
select month, expansion_mrr, mrr_start, mrr_end
from marts.mart_mrr_bridge
where size_segment = 'all'
order by month
"""


def read_bridge(connection: duckdb.DuckDBPyConnection) -> list[BridgeMonth]:
    return [BridgeMonth(*row) for row in connection.execute(BRIDGE_SQL).fetchall()]


def write_forecast(build_path: Path) -> tuple[list[ForecastRow], date | None]:
    """Forecast from the build file's mart_mrr_bridge and (re)write forecast.expansion_forecast there.
    S = the last complete month (the bridge's last month with is_complete). Returns the rows and S."""
    with duckdb.connect(str(build_path)) as connection:
        bridge = read_bridge(connection)
        scoring_month = last_complete_month(connection, None)
        rows = forecast_rows(bridge, scoring_month) if scoring_month else []
        (total,) = connection.execute(
            "select sum(expansion_mrr) from marts.mart_mrr_bridge where size_segment = 'all' and month <= ?",
            [scoring_month],
        ).fetchone()
        connection.execute("create schema if not exists forecast")
        connection.execute(f"create or replace table forecast.expansion_forecast ({FORECAST_COLUMNS})")
        connection.executemany(
            "insert into forecast.expansion_forecast values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                [
                    row.quarter_start,
                    row.is_backtest,
                    row.forecast_expansion_mrr,
                    row.forecast_low,
                    row.forecast_high,
                    row.actual_expansion_mrr,
                    row.abs_pct_error,
                    row.method,
                    row.data_through_month,
                    scoring_month,
                    total,
                ]
                for row in rows
            ],
        )
    return rows, scoring_month


def forecast_table(rows: list[ForecastRow]) -> str:
    """The rows as a Markdown table (asset metadata)."""
    header = "| quarter_start | backtest | forecast | low | high | actual | abs_pct_error | method |"
    lines = [header, "|---|---|---|---|---|---|---|---|"]
    for row in rows:
        cells = [
            row.quarter_start,
            row.is_backtest,
            row.forecast_expansion_mrr,
            row.forecast_low,
            row.forecast_high,
            row.actual_expansion_mrr,
            row.abs_pct_error,
            row.method,
        ]
        lines.append("| " + " | ".join("" if cell is None else str(cell) for cell in cells) + " |")
    return "\n".join(lines)


def backtest_check(rows: list[ForecastRow]) -> AssetCheckResult:
    """Never blocks the publish: WARN when the backtest's mean abs_pct_error is above 10 %."""
    mean_error = mean_backtest_error(rows)
    errors = {
        str(row.quarter_start): float(row.abs_pct_error)
        for row in rows
        if row.is_backtest and row.abs_pct_error is not None
    }
    passed = mean_error is None or mean_error <= ERROR_THRESHOLD
    return AssetCheckResult(
        check_name=FORECAST_CHECK,
        passed=passed,
        severity=AssetCheckSeverity.WARN,
        description=None
        if passed
        else f"the backtest's mean abs_pct_error is {mean_error:.1%}, above {ERROR_THRESHOLD:.0%}",
        metadata={
            "mean_abs_pct_error": MetadataValue.float(float(mean_error)) if mean_error is not None else None,
            "threshold": float(ERROR_THRESHOLD),
            "backtest_quarters": len(errors),
            "abs_pct_error_by_quarter": MetadataValue.json(errors),
        },
    )


@asset(
    key=FORECAST_ASSET_KEY,
    deps=[BRIDGE_ASSET_KEY],
    group_name="marts",
    check_specs=[
        AssetCheckSpec(
            FORECAST_CHECK,
            asset=FORECAST_ASSET_KEY,
            blocking=False,
            description=(
                "The mean abs_pct_error of the backtested quarters (metadata); warns (never blocks the "
                "publish) when it is above 10 %, the goal from the source material."
            ),
        )
    ],
    description=(
        "Next quarter's expansion MRR and a backtest of the last 4 complete quarters, computed in Python "
        "(orchestration/expansion_forecast.py) from this build's mart_mrr_bridge and written into its "
        "table forecast.expansion_forecast, which the dbt model mart_expansion_forecast publishes."
    ),
)
def expansion_forecast(context: AssetExecutionContext, warehouse: WarehouseResource) -> MaterializeResult:
    rows, scoring_month = write_forecast(warehouse.settings.build_path(context.run.run_id))
    mean_error = mean_backtest_error(rows)
    context.log.info(
        f"Expansion forecast from data through {scoring_month}: {len(rows)} rows, backtest mean "
        f"abs_pct_error {mean_error}"
    )
    return MaterializeResult(
        metadata={
            "scoring_month": str(scoring_month),
            "rows": MetadataValue.md(forecast_table(rows)),
            "backtest_mean_abs_pct_error": float(mean_error) if mean_error is not None else None,
        },
        check_results=[backtest_check(rows)],
    )


def published_mart_keys() -> list[AssetKey]:
    """Every dbt model asset and the Python forecast: the publish step waits for all of them (and their
    blocking checks)."""
    keys = {*warehouse_dbt_models.keys, *forecast_dbt_models.keys, FORECAST_ASSET_KEY}
    return sorted(keys, key=lambda key: key.to_user_string())


@asset(
    key=AssetKey(["published_warehouse"]),
    deps=published_mart_keys(),
    group_name="publish",
    description=(
        "The DuckDB file BI tools read (SAAS_WAREHOUSE_PATH). A run builds into its own file (a copy of the "
        "published one, built incrementally, or a new file); only when dbt build and every blocking check "
        "passed, and the publish guard finds no drop against the published warehouse (D-31), is it moved "
        "over the published file by an atomic rename, with the marts exported to a new Parquet folder that "
        "the parquet link then points to, so readers never see a half-built or failed warehouse."
    ),
)
def published_warehouse(context: AssetExecutionContext, warehouse: WarehouseResource) -> MaterializeResult:
    settings = warehouse.settings
    try:
        exported, allowed_problems = publish(
            settings.build_path(context.run.run_id), settings, context.run.run_id
        )
    except PublishRefused as refused:
        raise Failure(description=str(refused)) from None
    for problem in allowed_problems:
        context.log.warning(f"Published although {problem} (--allow-drop)")
    context.log.info(f"Published {settings.warehouse_path}")
    return MaterializeResult(
        metadata={
            "path": str(settings.warehouse_path),
            "as_of": settings.as_of,
            "parquet_dir": str(settings.parquet_dir),
            "marts": exported,
            "allowed_drops": "; ".join(allowed_problems) or "none",
        }
    )
