"""Run the build job in this process, as the CLI and the tests do."""

from __future__ import annotations

from dataclasses import dataclass

from dagster import AssetCheckSeverity, DagsterEvent, DagsterEventType, DagsterInstance

from orchestration.jobs import BUILD_JOB_NAME
from orchestration.project import prepare_manifest
from orchestration.resources import run_config_fields
from orchestration.settings import WarehouseSettings


@dataclass(frozen=True)
class BuildResult:
    success: bool
    run_id: str
    error: str | None


def run_config_for(settings: WarehouseSettings) -> dict:
    return {
        "resources": {"warehouse": {"config": run_config_fields(settings)}},
        "loggers": {"console": {"config": {"log_level": "WARNING"}}},
    }


def failure_text(event: DagsterEvent) -> str | None:
    """What a failed step says: a Failure's own description (written for people), else the error's
    message without the exception's class name."""
    data = event.step_failure_data
    if data is None:
        return None
    if data.user_failure_data is not None and data.user_failure_data.description:
        return data.user_failure_data.description.strip()
    if data.error is None:
        return None
    message = data.error.message.strip()
    cause = data.error.cause
    while cause is not None and "Error occurred while executing" in message:
        message, cause = cause.message.strip(), cause.cause
    if "AssetCheckFailedError" in message:  # said once per failed check, with what it found
        return None
    return message


def failed_check_text(event: DagsterEvent) -> str | None:
    """A failed Python or dbt check in one line: its name and what it found (its metadata holds the
    first differing rows)."""
    evaluation = event.event_specific_data
    if evaluation is None or evaluation.passed or not evaluation.description:
        return None  # dbt tests say what they found in the dbt step's failure
    if evaluation.severity == AssetCheckSeverity.WARN:
        return None  # a warning (the forecast's backtest error) never stops a build
    asset = evaluation.asset_key.to_user_string()
    return f"check {evaluation.check_name} on {asset} failed: {evaluation.description}"


def execute_build(settings: WarehouseSettings, instance: DagsterInstance | None = None) -> BuildResult:
    prepare_manifest()  # the explicit prepare step: the code location is loaded from a current manifest
    from orchestration.definitions import defs

    job = defs.resolve_job_def(BUILD_JOB_NAME)
    result = job.execute_in_process(
        run_config=run_config_for(settings),
        instance=instance or DagsterInstance.ephemeral(),
        raise_on_error=False,
    )
    errors = []
    for event in result.all_events:
        text = None
        if event.event_type == DagsterEventType.ASSET_CHECK_EVALUATION:
            text = failed_check_text(event)
        elif event.event_type == DagsterEventType.STEP_FAILURE:
            text = failure_text(event)
        if text and text not in errors:
            errors.append(text)
    return BuildResult(success=result.success, run_id=result.run_id, error="\n".join(errors) or None)
