"""The one job that builds, checks and publishes the whole warehouse."""

from __future__ import annotations

from dagster import AssetSelection, RetryPolicy, define_asset_job

BUILD_JOB_NAME = "build_warehouse"

build_warehouse_job = define_asset_job(
    name=BUILD_JOB_NAME,
    selection=AssetSelection.all(),
    description="dbt build of every model and test into a fresh file, then publish it (atomic rename).",
    op_retry_policy=RetryPolicy(max_retries=0),
)
