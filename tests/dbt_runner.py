"""Run dbt on a raw folder into a throwaway DuckDB file, and read the results back (test helpers).

dbt runs inside the test process (dbt's programmatic entry point, dbtRunner) from a manifest parsed once
per process: a dbt process costs seconds to start and parse, and the suite runs about a hundred builds.
The manifest holds nothing that a test changes (the landing folder, the as-of date and the build file are
read from the environment when a model runs), so one parse serves every build; a build with extra --vars
parses again, as a dbt process would. The build file is always named scratch.duckdb (dbt names the
catalog after the file, and the parsed manifest names that catalog), in a folder of its own per build, and
is moved to the test's path afterwards.
"""

from __future__ import annotations

import itertools
import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from orchestration.settings import DBT_PROJECT_DIR

SCRATCH_DIR = Path(tempfile.gettempdir()) / f"saas-warehouse-tests-{os.getpid()}"
SCRATCH_BUILD_PATH = SCRATCH_DIR / "scratch.duckdb"
TARGET_PATH = SCRATCH_DIR / "target"
BUILD_NUMBERS = itertools.count()


@dataclass(frozen=True)
class DbtOutcome:
    """What a dbt command did: 0 when it succeeded, and its log lines as dbt prints them."""

    returncode: int
    stdout: str


@contextmanager
def environment(values: dict[str, str]) -> Iterator[None]:
    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def common_args() -> list[str]:
    return [
        "--project-dir",
        str(DBT_PROJECT_DIR),
        "--profiles-dir",
        str(DBT_PROJECT_DIR),
        "--no-use-colors",
        "--target-path",
        str(TARGET_PATH),
    ]


PARSED: dict[str, Any] = {}


def parsed_manifest() -> Any:
    """The project parsed once in this process (the build file's name, hence its catalog, as every build)."""
    if "manifest" not in PARSED:
        from dbt.cli.main import dbtRunner

        with environment({"SAAS_BUILD_PATH": str(SCRATCH_BUILD_PATH)}):
            parsed = dbtRunner().invoke(["parse", "--quiet", *common_args()])
        if not parsed.success:
            raise AssertionError(f"dbt parse failed: {parsed.exception}")
        PARSED["manifest"] = parsed.result
    return PARSED["manifest"]


def close_duckdb_environment() -> None:
    """dbt-duckdb keeps the build file open for the process after the command; close it, so that the file
    can be moved and read by the test."""
    from dbt.adapters.duckdb.connections import DuckDBConnectionManager

    with DuckDBConnectionManager._LOCK:
        if DuckDBConnectionManager._ENV is not None:
            DuckDBConnectionManager._ENV.close()
            DuckDBConnectionManager._ENV = None


def invoke(args: list[str], reuse_manifest: bool) -> DbtOutcome:
    from dbt.cli.main import dbtRunner

    lines: list[str] = []

    def keep_line(event: Any) -> None:
        if event.info.level != "debug" and event.info.msg:
            lines.append(event.info.msg)

    runner = dbtRunner(manifest=parsed_manifest() if reuse_manifest else None, callbacks=[keep_line])
    try:
        result = runner.invoke(args)
    finally:
        close_duckdb_environment()
    if result.exception is not None:
        lines.append(f"{type(result.exception).__name__}: {result.exception}")
    return DbtOutcome(0 if result.success else 1, "\n".join(lines))


def dbt(
    command: str,
    raw_dir: Path,
    build_path: Path,
    as_of: str,
    select: str | None = None,
    extra_vars: dict[str, object] | None = None,
    check: bool = True,
    start_from: Path | None = None,
) -> DbtOutcome:
    """start_from: a previous build file to copy and build on (an incremental build); None: a new file."""
    scratch = SCRATCH_DIR / f"build-{next(BUILD_NUMBERS)}" / SCRATCH_BUILD_PATH.name
    scratch.parent.mkdir(parents=True, exist_ok=True)
    if start_from is not None:
        shutil.copyfile(start_from, scratch)
    args = [command, *common_args()]
    if extra_vars:
        args += ["--vars", json.dumps(extra_vars)]
    if select:  # only the tests whose every parent is selected
        args += ["--select", select, "--indirect-selection", "cautious"]
    run_environment = {"SAAS_RAW_DIR": str(raw_dir), "SAAS_AS_OF": as_of, "SAAS_BUILD_PATH": str(scratch)}
    with environment(run_environment):
        outcome = invoke(args, reuse_manifest=not extra_vars)
    if scratch.exists():
        build_path.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(scratch, build_path)
    shutil.rmtree(scratch.parent, ignore_errors=True)
    if check and outcome.returncode != 0:
        raise AssertionError(f"dbt {command} failed:\n{outcome.stdout[-8000:]}")
    return outcome


def last_run_results() -> dict[str, dict]:
    """unique_id → result of the last dbt command run by dbt() in this process."""
    results = json.loads((TARGET_PATH / "run_results.json").read_text())["results"]
    return {result["unique_id"]: result for result in results}


def query(build_path: Path, sql: str) -> pd.DataFrame:
    """Rows as Python values: decimals stay Decimal (DuckDB's .df() would turn them into floats)."""
    with duckdb.connect(str(build_path), read_only=True) as connection:
        cursor = connection.execute(sql)
        rows = cursor.fetchall()
        return pd.DataFrame(rows, columns=[column[0] for column in cursor.description], dtype=object)
