"""Publishing: BI readers never see a half-built or failed warehouse, and the checks block bad builds."""

from __future__ import annotations

import ast
import hashlib
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest
from dagster import RunRequest, SkipReason, build_sensor_context

from orchestration.build import execute_build
from orchestration.resources import WarehouseResource
from orchestration.sensors import new_raw_files_sensor
from orchestration.settings import DEFAULT_RAW_DIR, WarehouseSettings
from tests.conftest import GOLDEN_AS_OF, GOLDEN_RAW_DIR, SAMPLE_AS_OF, copy_published

GOLDEN_DECEMBER_MRR = "534.400000"
LATEST_MRR_SQL = "select cast(mrr_end as varchar) from marts.mart_mrr_bridge where size_segment = 'all' order by month desc limit 1"

READER = """
import os, sys, time, duckdb
path, seconds, stop_file = sys.argv[1], float(sys.argv[2]), sys.argv[4]
deadline = time.monotonic() + seconds
seen, errors, reads_after_stop = set(), [], 0
while time.monotonic() < deadline and reads_after_stop < 20:  # 20 more reads once told to stop
    reads_after_stop += os.path.exists(stop_file)
    try:
        with duckdb.connect(path, read_only=True) as connection:
            latest = connection.execute(sys.argv[3]).fetchone()[0]
            months = connection.execute("select count(distinct month) from marts.fct_mrr").fetchone()[0]
            seen.add(f"{latest}|{months}")
    except Exception as error:
        errors.append(repr(error))
    time.sleep(0.05)
print("SEEN", sorted(seen))
print("ERRORS", errors[:5], len(errors))
"""


def file_digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def latest_mrr(warehouse_path: Path) -> str:
    with duckdb.connect(str(warehouse_path), read_only=True) as connection:
        return connection.execute(LATEST_MRR_SQL).fetchone()[0]


@pytest.fixture
def golden_published(golden_published_template: Path, tmp_path: Path) -> Path:
    """The golden scenario as published by the build job (a copy of the run's one build, to change)."""
    return copy_published(golden_published_template, tmp_path / "published")


def test_publish_exports_every_mart_to_parquet(golden_published: Path) -> None:
    parquet_dir = golden_published.parent / "parquet"
    with duckdb.connect(str(golden_published), read_only=True) as connection:
        marts = connection.execute(
            "select table_name from information_schema.tables where table_schema = 'marts' order by 1"
        ).fetchall()
        for (table,) in marts:
            in_file = connection.execute(f"select count(*) from marts.{table}").fetchone()[0]
            in_parquet = connection.execute(
                f"select count(*) from '{parquet_dir / f'{table}.parquet'}'"
            ).fetchone()[0]
            assert in_parquet == in_file, table
    assert len(marts) >= 12
    assert not list(parquet_dir.glob(".*.tmp"))


def test_a_build_that_breaks_a_check_is_not_published(golden_published: Path, tmp_path: Path) -> None:
    before = file_digest(golden_published)
    raw_dir = tmp_path / "raw"
    shutil.copytree(GOLDEN_RAW_DIR, raw_dir)
    with (raw_dir / "subscription_events.csv").open(
        "a"
    ) as events:  # a price exported in cents... times a million
        events.write("x1,2025-06-01T00:00:00Z,,C6,s6,i50,item_started,p2_std,1,5000000000,USD,0,false\n")
    # another landing folder is allowed here, so that the check, not the publish guard, is what stops it
    settings = WarehouseSettings(raw_dir, golden_published, GOLDEN_AS_OF, allow_drop=True)
    result = execute_build(settings.validated())
    assert not result.success
    assert "assert_customer_mrr_is_plausible" in result.error
    assert file_digest(golden_published) == before
    assert latest_mrr(golden_published) == GOLDEN_DECEMBER_MRR


def test_a_build_killed_halfway_leaves_the_published_warehouse_intact(golden_published: Path) -> None:
    before = file_digest(golden_published)
    command = [
        sys.executable,
        "-m",
        "orchestration.cli",
        "build",
        "--raw-dir",
        str(DEFAULT_RAW_DIR),
        "--warehouse",
        str(golden_published),
        "--as-of",
        SAMPLE_AS_OF,
        "--allow-drop",  # another landing folder: the guard would refuse it at the very end anyway
        "--debug",  # dbt's output on the terminal, to kill the build while it writes models
    ]
    build = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True
    )
    deadline = time.monotonic() + 120
    for line in build.stdout:  # wait until dbt is building models, then kill the whole process group
        if "OK created sql table model" in line or time.monotonic() > deadline:
            break
    os.killpg(build.pid, signal.SIGKILL)
    build.wait(timeout=30)
    assert file_digest(golden_published) == before
    assert latest_mrr(golden_published) == GOLDEN_DECEMBER_MRR


def test_readers_never_block_and_never_see_a_half_built_warehouse(
    golden_published: Path, tmp_path: Path
) -> None:
    stop_file = tmp_path / "stop-reading"
    reader = subprocess.Popen(
        # a safety deadline only: the reader stops after its reads that follow the publish (stop_file)
        [sys.executable, "-c", READER, str(golden_published), "1800", LATEST_MRR_SQL, str(stop_file)],
        stdout=subprocess.PIPE,
        text=True,
    )
    time.sleep(1)
    # the golden scenario a month later: one month more (a small build; allowed explicitly, so the publish
    # guard cannot refuse it)
    settings = WarehouseSettings(GOLDEN_RAW_DIR, golden_published, "2026-01-31", allow_drop=True)
    result = execute_build(settings.validated())
    assert result.success, result.error
    new_state = f"{latest_mrr(golden_published)}|13"
    stop_file.touch()  # the reader reads the new warehouse 20 more times, then stops
    output, _ = reader.communicate(timeout=300)
    seen_line, errors_line = output.strip().splitlines()[-2:]
    assert errors_line.endswith(" 0"), errors_line  # no lock error, no missing table, nothing
    seen = set(ast.literal_eval(seen_line.removeprefix("SEEN ")))
    assert seen <= {f"{GOLDEN_DECEMBER_MRR}|12", new_state}
    assert f"{GOLDEN_DECEMBER_MRR}|12" in seen and new_state in seen


def run_sensor(warehouse: WarehouseResource, cursor: str | None = None) -> RunRequest | SkipReason:
    with build_sensor_context(cursor=cursor, resources={"warehouse": warehouse}) as context:
        return new_raw_files_sensor(context)


def test_sensor_requests_a_build_when_raw_files_change(tmp_path: Path) -> None:
    raw_dir = tmp_path / "landing"
    shutil.copytree(GOLDEN_RAW_DIR, raw_dir)
    warehouse = WarehouseResource(raw_dir=str(raw_dir), warehouse_path=str(tmp_path / "w.duckdb"))
    first = run_sensor(warehouse)
    assert isinstance(first, RunRequest)
    cursor = first.run_key
    assert isinstance(run_sensor(warehouse, cursor), SkipReason)
    (raw_dir / "one_time_charges.csv").write_text(
        "charge_id,customer_id,charged_at,amount,currency,category\n"
    )
    landed = run_sensor(warehouse, cursor)
    assert isinstance(landed, RunRequest) and landed.run_key != cursor


def test_a_failing_python_check_blocks_publishing(
    golden_published: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """If the reference implementation disagrees on one customer-month, nothing is published."""
    from orchestration import checks

    honest = checks.reference_tables

    def disagreeing(raw_dir: str, as_of):
        tables = dict(honest(raw_dir, as_of))
        fct_mrr = tables["fct_mrr"].copy()
        fct_mrr.loc[fct_mrr.index[0], "mrr"] += 1
        tables["fct_mrr"] = fct_mrr
        return tables

    monkeypatch.setattr(checks, "reference_tables", disagreeing)
    before = file_digest(golden_published)
    result = execute_build(WarehouseSettings(GOLDEN_RAW_DIR, golden_published, GOLDEN_AS_OF).validated())
    assert not result.success
    assert "customer_mrr_matches_reference" in result.error
    assert file_digest(golden_published) == before
