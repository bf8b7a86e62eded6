"""Run dbt on a raw folder into a throwaway DuckDB file, and read the results back (test helpers)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import duckdb
import pandas as pd

from orchestration.project import dbt_executable
from orchestration.settings import DBT_PROJECT_DIR

# dbt re-parses the whole project when its profile or --vars change (~4 s). Tests therefore pass the
# landing folder and as-of date through the environment and always build into the same scratch file,
# which is moved to the test's own path afterwards. Scratch file and dbt target folder belong to this
# test process, so that two test runs never share them.
SCRATCH_DIR = Path(tempfile.gettempdir()) / f"saas-warehouse-tests-{os.getpid()}"
SCRATCH_BUILD_PATH = SCRATCH_DIR / "scratch.duckdb"


def dbt(
    command: str,
    raw_dir: Path,
    build_path: Path,
    as_of: str,
    select: str | None = None,
    extra_vars: dict[str, object] | None = None,
    check: bool = True,
    start_from: Path | None = None,
) -> subprocess.CompletedProcess[str]:
    """start_from: a previous build file to copy and build on (an incremental build); None: a new file."""
    SCRATCH_BUILD_PATH.parent.mkdir(parents=True, exist_ok=True)
    SCRATCH_BUILD_PATH.unlink(missing_ok=True)
    if start_from is not None:
        shutil.copyfile(start_from, SCRATCH_BUILD_PATH)
    env = {
        **os.environ,
        "SAAS_RAW_DIR": str(raw_dir),
        "SAAS_AS_OF": as_of,
        "SAAS_BUILD_PATH": str(SCRATCH_BUILD_PATH),
    }
    args = [
        dbt_executable(),
        command,
        "--project-dir",
        str(DBT_PROJECT_DIR),
        "--profiles-dir",
        str(DBT_PROJECT_DIR),
        "--no-use-colors",
        "--target-path",
        str(SCRATCH_DIR / "target"),
    ]
    if extra_vars:
        args += ["--vars", json.dumps(extra_vars)]
    if select:  # only the tests whose every parent is selected
        args += ["--select", select, "--indirect-selection", "cautious"]
    completed = subprocess.run(args, cwd=DBT_PROJECT_DIR, capture_output=True, text=True, env=env)
    if SCRATCH_BUILD_PATH.exists():
        build_path.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(SCRATCH_BUILD_PATH, build_path)
    if check and completed.returncode != 0:
        raise AssertionError(f"dbt {command} failed:\n{completed.stdout[-6000:]}\n{completed.stderr[-2000:]}")
    return completed


def query(build_path: Path, sql: str) -> pd.DataFrame:
    """Rows as Python values: decimals stay Decimal (DuckDB's .df() would turn them into floats)."""
    with duckdb.connect(str(build_path), read_only=True) as connection:
        cursor = connection.execute(sql)
        rows = cursor.fetchall()
        return pd.DataFrame(rows, columns=[column[0] for column in cursor.description], dtype=object)
