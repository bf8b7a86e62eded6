"""Start a build when raw files land in (or change in) the landing folder."""

import hashlib
import json
import os
from pathlib import Path

from dagster import DefaultSensorStatus, RunRequest, SensorEvaluationContext, SkipReason, sensor

from orchestration.jobs import build_warehouse_job
from orchestration.landing import files_by_table
from orchestration.resources import WarehouseResource


def file_identity(path: Path) -> tuple[int, int, int, int]:
    """What changes whenever a file's content may have changed: size, modification time, inode, and the
    status-change time (ctime), which every write and every os.utime() moves and which no program can set
    back. A same-size edit with its modification time restored therefore changes the identity; so does a
    chmod, which costs one build that finds every file unchanged by content (landing_files)."""
    status = os.stat(path)
    return status.st_size, status.st_mtime_ns, status.st_ctime_ns, status.st_ino


def landing_folder_fingerprint(raw_dir: Path) -> str:
    """A hash of the identity of every file the build reads (orchestration.landing's discovery rule)."""
    entries = [
        (table, str(path.relative_to(raw_dir)), *file_identity(path))
        for table, files in sorted(files_by_table(raw_dir).items())
        for path in files
    ]
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
