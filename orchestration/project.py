"""The dbt project, described once, and the dbt CLI resource that runs it."""

from __future__ import annotations

import fcntl
import hashlib
import shutil
import subprocess
import sys
from pathlib import Path

from dagster_dbt import DbtCliResource, DbtProject
from dagster_dbt.dbt_project import using_dagster_dev

from orchestration.settings import DBT_PROJECT_DIR


def dbt_executable() -> str:
    """The dbt installed beside this Python (works when the venv is not activated), else PATH's."""
    beside_python = Path(sys.executable).parent / "dbt"
    if beside_python.exists():
        return str(beside_python)
    return shutil.which("dbt") or "dbt"


PROJECT_SOURCE_FOLDERS = ("models", "macros", "tests", "reference_data")
# Beside the manifest: the code fingerprint of the project it was parsed from (staleness by content, not
# by file times, which a checkout or a copy can set to anything).
MANIFEST_FINGERPRINT_FILE = "manifest.code_fingerprint"


class ManifestNotPrepared(RuntimeError):
    """The code location was loaded before the dbt project was parsed (`saas-warehouse prepare`)."""


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


def manifest_fingerprint_path(project: DbtProject) -> Path:
    return project.manifest_path.with_name(MANIFEST_FINGERPRINT_FILE)


def manifest_is_current(project: DbtProject) -> bool:
    """The manifest exists and was parsed from the project's files as they are now."""
    recorded = manifest_fingerprint_path(project)
    if not project.manifest_path.exists() or not recorded.exists():
        return False
    return recorded.read_text(encoding="utf-8").strip() == code_fingerprint(Path(project.project_dir))


def prepare_manifest(project: DbtProject | None = None) -> Path:
    """The explicit prepare step (`saas-warehouse prepare`; `saas-warehouse build` runs it first): parse
    the project with `dbt parse` when its manifest is missing or was parsed from other code. Concurrent
    callers (two builds, test workers) parse once: the second waits for the first."""
    project = project or dbt_project
    lock_file = Path(project.project_dir) / "target" / ".prepare.lock"
    lock_file.parent.mkdir(parents=True, exist_ok=True)
    with lock_file.open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        if not manifest_is_current(project):
            fingerprint = code_fingerprint(Path(project.project_dir))
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
            manifest_fingerprint_path(project).write_text(fingerprint + "\n", encoding="utf-8")
    return project.manifest_path


def prepared_manifest(project: DbtProject | None = None) -> Path:
    """The manifest the assets are defined from, without parsing anything (no work at import time):
    `dagster dev` parses through prepare_if_dev, every other entry point runs the prepare step first."""
    project = project or dbt_project
    if not project.manifest_path.exists():
        raise ManifestNotPrepared(
            f"The dbt project has not been parsed yet ({project.manifest_path} is missing). "
            "Run `saas-warehouse prepare` (or `dagster dev`, which prepares it) and load the code location "
            "again."
        )
    return project.manifest_path


def dbt_resource(project: DbtProject | None = None) -> DbtCliResource:
    return DbtCliResource(project_dir=project or dbt_project, dbt_executable=dbt_executable())


# The Dagster job builds a DuckDB file, checks it and publishes it: always the duckdb target, whatever
# SAAS_DBT_TARGET says for dbt run by hand (PostgreSQL and Spark builds: README "Other engines").
dbt_project = DbtProject(
    project_dir=DBT_PROJECT_DIR,
    profiles_dir=DBT_PROJECT_DIR,
    target="duckdb",
)
# `dagster dev` parses the project when the code location loads (what DbtProject.prepare_if_dev does, but
# with the venv's own dbt: dagster-dbt's preparer runs `dbt` from PATH, not found when the venv is not
# activated); every other entry point runs prepare_manifest first.
if using_dagster_dev():
    prepare_manifest()
