"""The daily full build. Cron and timezone come from the environment."""

from __future__ import annotations

import os

from dagster import DefaultScheduleStatus, ScheduleDefinition

from orchestration.jobs import build_warehouse_job

DEFAULT_CRON = "0 6 * * *"
DEFAULT_TIMEZONE = "UTC"

daily_build_schedule = ScheduleDefinition(
    name="daily_warehouse_build",
    job=build_warehouse_job,
    cron_schedule=os.environ.get("SAAS_BUILD_CRON", DEFAULT_CRON),
    execution_timezone=os.environ.get("SAAS_BUILD_TIMEZONE", DEFAULT_TIMEZONE),
    default_status=DefaultScheduleStatus.RUNNING,
    description="Full warehouse build every day (SAAS_BUILD_CRON, SAAS_BUILD_TIMEZONE).",
)
