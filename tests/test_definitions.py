"""The Dagster code location: loads, validates, and its schedule asks for the right run."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

from dagster import AssetKey, Definitions, build_schedule_context
from dagster_dbt import DbtProject

from orchestration.definitions import defs
from orchestration.jobs import BUILD_JOB_NAME
from orchestration.project import manifest_is_current, prepare_manifest
from orchestration.settings import DBT_PROJECT_DIR

REPO_ROOT = Path(__file__).resolve().parent.parent


def test_definitions_validate() -> None:
    Definitions.validate_loadable(defs)


def test_dagster_cli_validates_the_code_location() -> None:
    result = subprocess.run(
        [
            str(Path(sys.executable).parent / "dagster"),
            "definitions",
            "validate",
            "-m",
            "orchestration.definitions",
        ],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_published_mart_is_an_asset_with_checks() -> None:
    keys = defs.resolve_all_asset_keys()
    for mart in ["fct_mrr", "fct_mrr_movements", "dim_customers", "mart_mrr_bridge", "rejected_rows"]:
        assert AssetKey(["marts", mart]) in keys
    assert AssetKey(["published_warehouse"]) in keys
    check_keys = {check.name for check in defs.resolve_asset_graph().asset_check_keys}
    assert "bridge_identity_mart_mrr_bridge_" in check_keys
    assert "mechanisms_sum_to_delta_fct_mrr_movements_" in check_keys
    assert {
        "customer_mrr_matches_reference",
        "movements_match_reference",
        "every_raw_row_accounted_for",
    } <= check_keys
    assert defs.resolve_sensor_def("new_raw_files_sensor").job_name == BUILD_JOB_NAME


def test_build_job_selects_every_model_and_the_publish_step() -> None:
    job = defs.resolve_job_def(BUILD_JOB_NAME)
    selected = job.asset_layer.selected_asset_keys
    assert AssetKey(["published_warehouse"]) in selected
    assert AssetKey(["marts", "fct_mrr_movements"]) in selected
    assert AssetKey(["staging", "stg_billing__subscription_events"]) in selected


def test_the_forecast_runs_between_two_dbt_steps_of_the_job() -> None:
    """mart_mrr_bridge -> the Python asset forecast/expansion_forecast -> mart_expansion_forecast (a dbt
    model reading the asset's table as a source), all in the build job, before the publish step."""
    graph = defs.resolve_asset_graph()
    bridge = AssetKey(["marts", "mart_mrr_bridge"])
    forecast = AssetKey(["forecast", "expansion_forecast"])
    mart = AssetKey(["marts", "mart_expansion_forecast"])
    assert graph.get(forecast).parent_keys == {bridge}
    assert forecast in graph.get(mart).parent_keys
    assert {forecast, mart} <= graph.get(AssetKey(["published_warehouse"])).parent_keys
    # two dbt steps: the forecast mart is not in the first one
    assert graph.get(mart).assets_def.node_def.name != graph.get(bridge).assets_def.node_def.name
    job = defs.resolve_job_def(BUILD_JOB_NAME)
    assert {bridge, forecast, mart} <= job.asset_layer.selected_asset_keys
    check = next(key for key in graph.asset_check_keys if key.name == "backtest_mean_abs_pct_error")
    assert check.asset_key == forecast and not graph.get_check_spec(check).blocking


def test_daily_schedule_requests_a_build_run() -> None:
    schedule = defs.resolve_schedule_def("daily_warehouse_build")
    assert schedule.cron_schedule == "0 6 * * *"
    assert schedule.execution_timezone == "UTC"
    scheduled_at = datetime(2026, 11, 23, 6, 0, tzinfo=UTC)
    with build_schedule_context(scheduled_execution_time=scheduled_at) as context:
        run_requests = schedule.evaluate_tick(context).run_requests
    assert run_requests is not None and len(run_requests) == 1
    assert schedule.job_name == BUILD_JOB_NAME


def test_manifest_is_prepared_on_a_fresh_clone_and_again_only_when_the_code_changes(tmp_path: Path) -> None:
    """A fresh clone has no target/manifest.json: the prepare step parses the project once, and again
    when a file's content changes (not its time)."""
    project_copy = tmp_path / "dbt_project"
    shutil.copytree(DBT_PROJECT_DIR, project_copy, ignore=shutil.ignore_patterns("target", "logs"))
    project = DbtProject(project_dir=project_copy, profiles_dir=project_copy)
    assert not project.manifest_path.exists() and not manifest_is_current(project)
    manifest = prepare_manifest(project)
    assert manifest.exists() and manifest.stat().st_size > 0
    assert manifest_is_current(project)
    parsed_at = manifest.stat().st_mtime_ns
    model = project_copy / "models" / "marts" / "core" / "fct_mrr.sql"
    os.utime(model)  # touched, same content: still current
    assert manifest_is_current(project)
    prepare_manifest(project)
    assert manifest.stat().st_mtime_ns == parsed_at
    model.write_text(model.read_text(encoding="utf-8") + "\n-- edited\n", encoding="utf-8")
    assert not manifest_is_current(project)
    prepare_manifest(project)
    assert manifest_is_current(project) and manifest.stat().st_mtime_ns != parsed_at


def test_loading_the_code_location_runs_no_dbt(tmp_path: Path) -> None:
    """Importing the definitions starts no dbt process (no `dbt parse` at import time), and a missing manifest
    is a clear error naming the prepare step instead of a parse."""
    no_processes = (
        "import subprocess\n"
        "start = subprocess.Popen.__init__\n"
        "def refuse_dbt(self, command, *args, **kwargs):\n"
        "    if 'dbt' in str(command):\n        raise AssertionError(f'dbt was started: {command}')\n"
        "    start(self, command, *args, **kwargs)\n"
        "subprocess.Popen.__init__ = refuse_dbt\n"
        "import orchestration.definitions\n"
        "from pathlib import Path\nfrom dagster_dbt import DbtProject\nfrom orchestration import project\n"
        f"missing = DbtProject(project_dir=Path({str(tmp_path)!r}))\n"
        "try:\n    project.prepared_manifest(missing)\nexcept project.ManifestNotPrepared as error:\n"
        "    print(error)\n"
    )
    (tmp_path / "dbt_project.yml").write_text("name: never_parsed\n", encoding="utf-8")
    prepare_manifest()
    completed = subprocess.run([sys.executable, "-c", no_processes], capture_output=True, text=True)
    assert completed.returncode == 0, completed.stderr[-3000:]
    assert "saas-warehouse prepare" in completed.stdout
