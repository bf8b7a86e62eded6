"""Run the build job in this process, as the CLI and the tests do."""

from __future__ import annotations

from dataclasses import dataclass

from dagster import DagsterEventType, DagsterInstance

from orchestration.definitions import defs
from orchestration.jobs import BUILD_JOB_NAME
from orchestration.settings import WarehouseSettings


@dataclass(frozen=True)
class BuildResult:
    success: bool
    run_id: str
    error: str | None


def run_config_for(settings: WarehouseSettings) -> dict:
    return {
        "resources": {
            "warehouse": {
                "config": {
                    "raw_dir": str(settings.raw_dir),
                    "warehouse_path": str(settings.warehouse_path),
                    "as_of": settings.as_of,
                    "incremental": settings.incremental,
                }
            }
        },
        "loggers": {"console": {"config": {"log_level": "WARNING"}}},
    }


def execute_build(settings: WarehouseSettings, instance: DagsterInstance | None = None) -> BuildResult:
    job = defs.resolve_job_def(BUILD_JOB_NAME)
    result = job.execute_in_process(
        run_config=run_config_for(settings),
        instance=instance or DagsterInstance.ephemeral(),
        raise_on_error=False,
    )
    errors = [
        event.step_failure_data.error.message.strip()
        for event in result.all_events
        if event.event_type == DagsterEventType.STEP_FAILURE and event.step_failure_data.error
    ]
    return BuildResult(success=result.success, run_id=result.run_id, error="\n".join(errors) or None)
