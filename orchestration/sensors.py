"""Start a build when raw files land in (or change in) the landing folder. Off until turned on (in the UI, or
SAAS_WATCH_LANDING=true): opening the UI must not start a build by itself."""

import os
from collections.abc import Mapping

from dagster import DefaultSensorStatus, RunRequest, SensorEvaluationContext, SkipReason, sensor

from orchestration.jobs import build_warehouse_job
from orchestration.landing import landing_folder_fingerprint
from orchestration.resources import WarehouseResource
from orchestration.settings import parse_flag


def sensor_default_status(env: Mapping[str, str]) -> DefaultSensorStatus:
    """SAAS_WATCH_LANDING=true starts the sensor with the code location; default: stopped."""
    watch = parse_flag(env.get("SAAS_WATCH_LANDING", "false"), "SAAS_WATCH_LANDING")
    return DefaultSensorStatus.RUNNING if watch else DefaultSensorStatus.STOPPED


@sensor(
    job=build_warehouse_job,
    minimum_interval_seconds=60,
    default_status=sensor_default_status(os.environ),
    description="Builds the warehouse when files in the landing folder (SAAS_RAW_DIR) are added or changed.",
)
def new_raw_files_sensor(context: SensorEvaluationContext, warehouse: WarehouseResource):
    raw_dir = warehouse.settings.raw_dir
    if not raw_dir.is_dir():
        return SkipReason(f"The landing folder {raw_dir} does not exist.")
    fingerprint = landing_folder_fingerprint(raw_dir)
    if fingerprint == context.cursor:
        return SkipReason("No new or changed raw files.")
    context.update_cursor(fingerprint)
    return RunRequest(run_key=fingerprint, tags={"trigger": "new_raw_files"})
