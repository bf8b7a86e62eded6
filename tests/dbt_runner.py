"""Run dbt on a raw folder into a throwaway DuckDB file, and read the results back (test helpers)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import duckdb
import pandas as pd

from orchestration.project import dbt_executable
from orchestration.settings import DBT_PROJECT_DIR


def dbt(
    command: str,
    raw_dir: Path,
    build_path: Path,
    as_of: str,
    select: str | None = None,
    extra_vars: dict[str, object] | None = None,
    check: bool = True,
) -> subprocess.CompletedProcess[str]:
    dbt_vars: dict[str, object] = {"raw_dir": str(raw_dir), "as_of": as_of, "build_path": str(build_path)}
    dbt_vars.update(extra_vars or {})
    args = [
        dbt_executable(),
        command,
        "--project-dir",
        str(DBT_PROJECT_DIR),
        "--profiles-dir",
        str(DBT_PROJECT_DIR),
        "--vars",
        json.dumps(dbt_vars),
        "--no-use-colors",
    ]
    if select:
        args += ["--select", select]
    completed = subprocess.run(args, cwd=DBT_PROJECT_DIR, capture_output=True, text=True)
    if check and completed.returncode != 0:
        raise AssertionError(f"dbt {command} failed:\n{completed.stdout[-6000:]}\n{completed.stderr[-2000:]}")
    return completed


def query(build_path: Path, sql: str) -> pd.DataFrame:
    """Rows as Python values: decimals stay Decimal (DuckDB's .df() would turn them into floats)."""
    with duckdb.connect(str(build_path), read_only=True) as connection:
        cursor = connection.execute(sql)
        rows = cursor.fetchall()
        return pd.DataFrame(rows, columns=[column[0] for column in cursor.description], dtype=object)
