"""The one Definitions object of the code location (`dagster dev -m orchestration.definitions`)."""

from __future__ import annotations

from dagster import Definitions

from orchestration.assets import (
    expansion_forecast,
    forecast_dbt_models,
    published_warehouse,
    warehouse_dbt_models,
)
from orchestration.checks import python_checks
from orchestration.jobs import build_warehouse_job
from orchestration.project import dbt_resource
from orchestration.resources import WarehouseResource
from orchestration.schedules import daily_build_schedule
from orchestration.sensors import new_raw_files_sensor

defs = Definitions(
    assets=[warehouse_dbt_models, expansion_forecast, forecast_dbt_models, published_warehouse],
    asset_checks=python_checks,
    jobs=[build_warehouse_job],
    schedules=[daily_build_schedule],
    sensors=[new_raw_files_sensor],
    resources={"dbt": dbt_resource(), "warehouse": WarehouseResource.from_env()},
)
