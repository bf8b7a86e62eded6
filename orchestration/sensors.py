"""Start a build when raw files land in (or change in) the landing folder."""

import hashlib
import json
from pathlib import Path

from dagster import DefaultSensorStatus, RunRequest, SensorEvaluationContext, SkipReason, sensor

from orchestration.jobs import build_warehouse_job
from orchestration.resources import WarehouseResource

RAW_SUFFIXES = (".csv", ".parquet")


def landing_folder_fingerprint(raw_dir: Path) -> str:
    """A hash of the name, size and modification time of every raw file (folders of parts included)."""
    entries = sorted(
        (str(path.relative_to(raw_dir)), path.stat().st_size, path.stat().st_mtime_ns)
        for path in raw_dir.rglob("*")
        if path.is_file() and path.suffix in RAW_SUFFIXES
    )
    return hashlib.sha256(json.dumps(entries).encode()).hexdigest()


@sensor(
    job=build_warehouse_job,
    minimum_interval_seconds=60,
    default_status=DefaultSensorStatus.RUNNING,
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
