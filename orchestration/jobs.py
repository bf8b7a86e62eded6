"""The one job that builds, checks and publishes the whole warehouse."""

from __future__ import annotations

from dagster import AssetSelection, define_asset_job, in_process_executor

BUILD_JOB_NAME = "build_warehouse"

build_warehouse_job = define_asset_job(
    name=BUILD_JOB_NAME,
    selection=AssetSelection.all(),
    # One process per run: the warehouse resource holds the build lock and the as-of date for the whole
    # run, and the reference implementation is computed once for all checks.
    executor_def=in_process_executor,
    description=(
        "dbt build of every model and test into this run's own file (a copy of the published warehouse, "
        "built incrementally, or a new file), the Python checks against the reference "
        "implementation, then publish (atomic rename) and export the marts to Parquet. Transient failures "
        "(a locked file) are retried by the dbt step itself; failed checks are not."
    ),
)
