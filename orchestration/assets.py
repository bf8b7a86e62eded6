"""The dbt models as Dagster assets, and the publish step that makes a checked build visible."""

import json
import os
import shutil
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import duckdb
from dagster import AssetExecutionContext, AssetKey, Failure, MaterializeResult, RetryRequested, asset
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings, DbtCliResource, dbt_assets

from orchestration.comparisons import mart_table_names
from orchestration.project import code_fingerprint, dbt_project, ensure_manifest
from orchestration.resources import WarehouseResource
from orchestration.settings import WarehouseSettings

PUBLISHED_MARTS_GROUP = "marts"
TRANSIENT_ERROR_MARKERS = ("Could not set lock", "Conflicting lock", "No space left on device")


class WarehouseTranslator(DagsterDbtTranslator):
    """Asset keys follow the warehouse schema (staging/…, intermediate/…, marts/…); groups by layer."""

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> AssetKey:
        if dbt_resource_props["resource_type"] == "source":
            return AssetKey(["raw", dbt_resource_props["name"]])
        return AssetKey([dbt_resource_props["schema"], dbt_resource_props["name"]])

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        if dbt_resource_props["resource_type"] == "source":
            return "raw"
        return dbt_resource_props["schema"]


translator = WarehouseTranslator(settings=DagsterDbtTranslatorSettings(enable_asset_checks=True))


@dbt_assets(manifest=ensure_manifest(), project=dbt_project, dagster_dbt_translator=translator)
def warehouse_dbt_models(
    context: AssetExecutionContext, dbt: DbtCliResource, warehouse: WarehouseResource
) -> Iterator[Any]:
    """`dbt build` (models, data tests, unit tests) into this run's own DuckDB file: a copy of the
    published warehouse (incremental: only the customers whose inputs changed are recomputed) or a new
    file (full build)."""
    settings = warehouse.settings
    build_path = settings.build_path(context.run.run_id)
    started_from = start_build_file(settings, build_path)
    context.log.info(
        f"Building from {settings.raw_dir} into {build_path} (as of {settings.as_of or 'today'}; "
        f"{'starting from ' + str(started_from) if started_from else 'full build'})"
    )
    dbt_vars = json.dumps(settings.dbt_vars(build_path, code_fingerprint()))
    invocation = dbt.cli(["build", "--vars", dbt_vars], context=context, raise_on_error=False)
    yield from invocation.stream()
    if not invocation.is_successful():
        failures = failed_dbt_nodes(invocation.get_artifact("run_results.json"))
        if any(marker in failure for failure in failures for marker in TRANSIENT_ERROR_MARKERS):
            # another process held the file, or the disk hiccupped: worth trying again, the data is fine
            raise RetryRequested(max_retries=3, seconds_to_wait=30)
        raise Failure(
            description="dbt build failed; the warehouse was not published. " + "; ".join(failures),
            metadata={"failed_nodes": failures, "build_file": str(build_path)},
        )


def start_build_file(settings: WarehouseSettings, build_path: Path) -> Path | None:
    """Copy the published warehouse into the build file when building incrementally; the models decide
    from its landing listing and settings what to recompute (landing_build_scope). The published file
    is only read, so readers are not disturbed. Returns the file started from, or None (a new file)."""
    build_path.parent.mkdir(parents=True, exist_ok=True)
    build_path.unlink(missing_ok=True)
    if not settings.incremental or not settings.warehouse_path.exists():
        return None
    partial = build_path.with_name(build_path.name + ".copying")
    shutil.copyfile(settings.warehouse_path, partial)
    os.replace(partial, build_path)
    return settings.warehouse_path


def failed_dbt_nodes(run_results: Mapping[str, Any]) -> list[str]:
    """'node: message' for every model, test or unit test that errored or failed."""
    failures = []
    for result in run_results.get("results", []):
        if result.get("status") in ("error", "fail", "runtime error"):
            message = " ".join(str(result.get("message") or "").split())
            failures.append(f"{result['unique_id']}: {message}")
    return failures or ["dbt exited with an error before running any node (see the log above)"]


def published_mart_keys() -> list[AssetKey]:
    """Every dbt model asset: the publish step waits for all of them (and their checks)."""
    return sorted(warehouse_dbt_models.keys, key=lambda key: key.to_user_string())


@asset(
    key=AssetKey(["published_warehouse"]),
    deps=published_mart_keys(),
    group_name="publish",
    description=(
        "The DuckDB file BI tools read (SAAS_WAREHOUSE_PATH). A run builds into its own file (a copy of the "
        "published one, built incrementally, or a new file); only when "
        "dbt build and every blocking check passed is it moved over the published file by an atomic rename, "
        "so readers never see a half-built or failed warehouse."
    ),
)
def published_warehouse(context: AssetExecutionContext, warehouse: WarehouseResource) -> MaterializeResult:
    settings = warehouse.settings
    build_path = settings.build_path(context.run.run_id)
    if not build_path.exists():
        raise FileNotFoundError(
            f"The build file {build_path} of this run does not exist; nothing to publish."
        )
    settings.warehouse_path.parent.mkdir(parents=True, exist_ok=True)
    os.replace(build_path, settings.warehouse_path)
    context.log.info(f"Published {settings.warehouse_path}")
    exported = export_marts_to_parquet(settings.warehouse_path, settings.parquet_dir)
    return MaterializeResult(
        metadata={
            "path": str(settings.warehouse_path),
            "parquet_dir": str(settings.parquet_dir),
            "marts": exported,
        }
    )


def export_marts_to_parquet(warehouse_path: Path, parquet_dir: Path) -> int:
    """Every table of the marts schema as <parquet_dir>/<table>.parquet, each written to a temporary
    file and renamed, so a reader never sees a half-written file."""
    parquet_dir.mkdir(parents=True, exist_ok=True)
    with duckdb.connect(str(warehouse_path), read_only=True) as connection:
        tables = mart_table_names(connection)
        for table in tables:
            partial = parquet_dir / f".{table}.parquet.tmp"
            connection.execute(f"copy marts.{table} to '{partial}' (format parquet)")
            os.replace(partial, parquet_dir / f"{table}.parquet")
    return len(tables)
