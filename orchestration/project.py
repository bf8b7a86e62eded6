"""The dbt project, described once, and the dbt CLI resource that runs it."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
from pathlib import Path

from dagster_dbt import DbtCliResource, DbtProject

from orchestration.settings import DBT_PROJECT_DIR


def dbt_executable() -> str:
    """The dbt installed beside this Python (works when the venv is not activated), else PATH's."""
    beside_python = Path(sys.executable).parent / "dbt"
    if beside_python.exists():
        return str(beside_python)
    return shutil.which("dbt") or "dbt"


# The Dagster job builds a DuckDB file, checks it and publishes it: always the duckdb target, whatever
# SAAS_DBT_TARGET says for dbt run by hand (PostgreSQL and Spark builds: README "Other engines").
dbt_project = DbtProject(
    project_dir=DBT_PROJECT_DIR,
    profiles_dir=DBT_PROJECT_DIR,
    target="duckdb",
)


PROJECT_SOURCE_FOLDERS = ("models", "macros", "tests", "reference_data")


def manifest_is_stale(project: DbtProject) -> bool:
    """No manifest yet (a fresh clone), or a model, macro, test or YAML changed after it was written."""
    if not project.manifest_path.exists():
        return True
    written = project.manifest_path.stat().st_mtime
    return any(path.stat().st_mtime > written for path in project_source_files(project.project_dir))


def project_source_files(project_dir: Path = DBT_PROJECT_DIR) -> list[Path]:
    """The files whose content decides what the models compute (sorted, so the order is stable)."""
    files = [project_dir / "dbt_project.yml"]
    for folder in PROJECT_SOURCE_FOLDERS:
        files.extend(path for path in (project_dir / folder).rglob("*") if path.is_file())
    return sorted(files)


def code_fingerprint(project_dir: Path = DBT_PROJECT_DIR) -> str:
    """A hash of the dbt project's files: an incremental build reuses the previous build only when the
    code that made it is the same (dbt var code_fingerprint, D-25)."""
    digest = hashlib.sha256()
    for path in project_source_files(project_dir):
        digest.update(str(path.relative_to(project_dir)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def ensure_manifest(project: DbtProject = dbt_project) -> Path:
    """Parse the project when its manifest is missing or stale (prepare_if_dev acts only in `dagster dev`)."""
    if manifest_is_stale(project):
        command = [
            dbt_executable(),
            "parse",
            "--quiet",
            "--project-dir",
            str(project.project_dir),
            "--profiles-dir",
            str(project.profiles_dir),
        ]
        if project.target:
            command += ["--target", str(project.target)]
        subprocess.run(command, check=True, cwd=project.project_dir)
    return project.manifest_path


def dbt_resource(project: DbtProject = dbt_project) -> DbtCliResource:
    return DbtCliResource(project_dir=project, dbt_executable=dbt_executable())
