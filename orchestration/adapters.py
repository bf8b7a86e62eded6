"""The contract's tables an adapter derived (docs/adapters.md), as a landing folder of CSV files.

A build with `--source stripe` or `--source periods` holds the derived tables in the schema `adapters`
(adapter_<table>). Written out with the contract tables the adapter reads as they are (fx_rates,
plan_limits, usage_snapshots: their files are copied), they form a landing folder in the raw contract's
layout: what `saas-warehouse convert` writes, and what the independent pandas reference reads for an adapter
build (D-52): the reference then checks the MRR core from the derived tables; the mapping itself is checked by
the hand-computed fixtures and the round trip (tests/test_adapters_stripe.py).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import duckdb

from orchestration.landing import ADAPTER_DERIVED_TABLES, raw_contract, table_files
from orchestration.settings import DBT_PROJECT_DIR

ADAPTER_SCHEMA = "adapters"


def copied_tables() -> list[str]:
    """The contract tables every source reads from the landing folder in the contract's format."""
    return [table.name for table in raw_contract() if table.name not in ADAPTER_DERIVED_TABLES]


def export_derived_tables(build_path: Path, raw_dir: Path, out_dir: Path) -> dict[str, int]:
    """Write adapter_<table> of a build as <table>.csv (every value as text, as derived) and copy the files
    of the contract tables read as they are; returns the rows per table. out_dir is replaced."""
    shutil.rmtree(out_dir, ignore_errors=True)
    out_dir.mkdir(parents=True)
    counts: dict[str, int] = {}
    with duckdb.connect(str(build_path), read_only=True) as connection:
        for table in ADAPTER_DERIVED_TABLES:
            target = str(out_dir / f"{table}.csv").replace("'", "''")
            connection.execute(
                f"copy (select * from {ADAPTER_SCHEMA}.adapter_{table}) to '{target}' (header, delimiter ',')"
            )
            counts[table] = connection.execute(
                f"select count(*) from {ADAPTER_SCHEMA}.adapter_{table}"
            ).fetchone()[0]
    for table in copied_tables():
        files = table_files(raw_dir, table)
        for path in files:
            relative = path.relative_to(raw_dir)
            (out_dir / relative).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, out_dir / relative)
        counts[table] = len(files)
    return counts


def derived_folder(build_path: Path) -> Path:
    """Where the checks of one build keep its derived tables: a folder of the system's temporary folder
    named after the build file (one per build; a later build of the same file replaces it)."""
    digest = hashlib.sha256(str(build_path.resolve()).encode()).hexdigest()[:16]
    return Path(tempfile.gettempdir()) / "saas-warehouse-derived" / digest


def convert_folder(raw_dir: Path, source: str, out_dir: Path, as_of: str) -> dict[str, int]:
    """`saas-warehouse convert`: run the adapter's models (and their tests) into a scratch DuckDB file and
    write the derived contract tables as a landing folder."""
    from orchestration.project import dbt_executable

    with tempfile.TemporaryDirectory(prefix="saas-warehouse-convert-") as scratch:
        build_path = Path(scratch) / "convert.duckdb"
        dbt_vars = {"raw_dir": str(raw_dir), "source": source, "as_of": as_of}
        selection = [f"+adapter_{table}" for table in ADAPTER_DERIVED_TABLES]
        command = [
            dbt_executable(),
            "build",
            "--quiet",
            "--project-dir",
            str(DBT_PROJECT_DIR),
            "--profiles-dir",
            str(DBT_PROJECT_DIR),
            "--target-path",
            str(Path(scratch) / "target"),
            "--vars",
            json.dumps(dbt_vars),
            "--select",
            *selection,
            "--exclude",
            "resource_type:unit_test",
        ]
        environment = {**os.environ, "SAAS_BUILD_PATH": str(build_path)}
        subprocess.run(command, check=True, cwd=DBT_PROJECT_DIR, env=environment)
        return export_derived_tables(build_path, raw_dir, Path(out_dir))
