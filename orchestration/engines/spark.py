"""Spark target: the raw files are written as text Parquet and registered as tables of a `raw` database."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Mapping
from pathlib import Path

from orchestration.engines.raw_loader import export_raw_tables
from orchestration.project import dbt_executable
from orchestration.settings import DBT_PROJECT_DIR

DEFAULT_SPARK_DIR = DBT_PROJECT_DIR.parent / "warehouse" / "spark"


def spark_dir(environ: Mapping[str, str] | None = None) -> Path:
    """SAAS_SPARK_DIR: the local Spark warehouse (tables, metastore, raw files); profiles.yml reads it too."""
    env = os.environ if environ is None else environ
    return Path(env.get("SAAS_SPARK_DIR") or DEFAULT_SPARK_DIR).expanduser().resolve()


def spark_environment(environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment of a dbt process on the spark target (absolute SAAS_SPARK_DIR, loopback only)."""
    env = {**(os.environ if environ is None else environ)}
    env["SAAS_SPARK_DIR"] = str(spark_dir(env))
    env["SAAS_DBT_TARGET"] = "spark"
    env.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    return env


def run_spark_operation(
    macro: str, arguments: dict[str, object], environ: Mapping[str, str] | None = None
) -> str:
    """`dbt run-operation <macro>` on the spark target (the profile's Spark session); its log on success."""
    completed = subprocess.run(
        [
            dbt_executable(),
            "run-operation",
            macro,
            "--target",
            "spark",
            "--project-dir",
            str(DBT_PROJECT_DIR),
            "--profiles-dir",
            str(DBT_PROJECT_DIR),
            "--args",
            json.dumps(arguments),
        ],
        cwd=DBT_PROJECT_DIR,
        env=spark_environment(environ),
        capture_output=True,
        text=True,
    )
    if completed.returncode != 0:
        raise RuntimeError(f"dbt run-operation {macro} on Spark failed:\n{completed.stdout[-4000:]}")
    return completed.stdout


def load_raw_into_spark(
    raw_dir: Path, environ: Mapping[str, str] | None = None, source: str = "contract"
) -> dict[str, int]:
    """Write every raw table of the source (export_raw_tables) as text Parquet under
    SAAS_SPARK_DIR/raw_files and (re)register it as raw.<table> (macro register_raw_tables). Returns rows
    per table."""
    env = spark_environment(environ)
    exported = export_raw_tables(raw_dir, spark_dir(env) / "raw_files", "parquet", source)
    run_spark_operation(
        "register_raw_tables",
        {"locations": {table.name: str(path.parent) for table, (path, _rows) in exported.items()}},
        env,
    )
    return {table.name: rows for table, (_path, rows) in exported.items()}


def export_spark_models(
    directory: Path, schemas: tuple[str, ...] = ("marts",), environ: Mapping[str, str] | None = None
) -> Path:
    """The models of these schemas of the Spark build as Parquet files in directory/<schema>/<model>/
    (macro export_marts_to_parquet)."""
    run_spark_operation(
        "export_marts_to_parquet", {"directory": str(directory), "schemas": list(schemas)}, environ
    )
    return directory
