"""Safe for production (issue 14): no wrong publish, no needless failed day, one clear message.

The publish guard, the build lock, the Parquet switch, a writer on the published file, stale build files,
material rejections, and the command line's checks of its arguments. The end-to-end cases build the golden
scenario into a folder whose name holds a quote (every path in SQL must be quoted).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import textwrap
import time
from dataclasses import replace
from datetime import date
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from orchestration import cli
from orchestration.build import execute_build
from orchestration.locking import BuildLockTimeout, build_lock
from orchestration.publishing import WarehouseFigures, guard_problems
from orchestration.settings import DEFAULT_RAW_DIR, SettingsError, WarehouseSettings
from tests.conftest import GOLDEN_AS_OF, GOLDEN_RAW_DIR
from tests.dbt_runner import dbt

GOLDEN_DECEMBER = date(2025, 12, 1)


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def latest_mrr(path: Path) -> Decimal:
    with duckdb.connect(str(path), read_only=True) as connection:
        return connection.execute(
            "select mrr_end from marts.mart_mrr_bridge where size_segment = 'all' order by month desc limit 1"
        ).fetchone()[0]


# --- settings and arguments: refused in the first second, with one message -------------------------------


@pytest.mark.parametrize("variable", ["SAAS_RAW_DIR", "SAAS_WAREHOUSE_PATH"])
def test_a_set_but_empty_path_variable_is_refused_not_defaulted(variable: str) -> None:
    with pytest.raises(SettingsError, match=f"{variable} is set but empty"):
        WarehouseSettings.from_env({variable: "  "})
    assert WarehouseSettings.from_env({}).raw_dir == DEFAULT_RAW_DIR.resolve()


@pytest.mark.parametrize("as_of", ["20261031", "2026-W44-6", "2026-02-30", "2026-1-5", "31.10.2026"])
def test_as_of_must_be_a_calendar_day_written_yyyy_mm_dd(as_of: str, capsys: pytest.CaptureFixture) -> None:
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["build", "--as-of", as_of])
    assert exit_info.value.code == 2
    error = capsys.readouterr().err
    assert "--as-of" in error and "Traceback" not in error
    with pytest.raises(SettingsError):
        WarehouseSettings.from_env({"SAAS_AS_OF": as_of})


def test_version_is_printed(capsys: pytest.CaptureFixture) -> None:
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["--version"])
    assert exit_info.value.code == 0
    assert capsys.readouterr().out.startswith("saas-warehouse ")


def test_the_as_of_date_is_resolved_once() -> None:
    settings = WarehouseSettings(GOLDEN_RAW_DIR, Path("w.duckdb")).validated()
    assert settings.resolved(date(2026, 3, 4)).as_of == "2026-03-04"
    pinned = replace(settings, as_of="2025-12-31")
    assert pinned.resolved(date(2026, 3, 4)).as_of == "2025-12-31"


def run_cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "orchestration.cli", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )


def test_a_missing_column_fails_at_once_with_one_message(tmp_path: Path) -> None:
    raw_dir = tmp_path / "raw"
    shutil.copytree(GOLDEN_RAW_DIR, raw_dir)
    customers = (raw_dir / "customers.csv").read_text().splitlines()
    columns = customers[0].split(",")
    dropped = columns.index("created_at")
    (raw_dir / "customers.csv").write_text(
        "\n".join(",".join(v for i, v in enumerate(line.split(",")) if i != dropped) for line in customers)
        + "\n"
    )
    started = time.monotonic()
    completed = run_cli(
        "build", "--raw-dir", str(raw_dir), "--warehouse", str(tmp_path / "w" / "saas.duckdb")
    )
    assert completed.returncode == 1
    assert time.monotonic() - started < 30  # no dbt, no Dagster: the landing folder is checked first
    assert "created_at" in completed.stderr and "customers.csv" in completed.stderr
    assert "Traceback" not in completed.stderr
    assert len(completed.stderr.strip().splitlines()) <= 4


def test_a_missing_landing_folder_fails_at_once(tmp_path: Path) -> None:
    completed = run_cli(
        "build", "--raw-dir", str(tmp_path / "nowhere"), "--warehouse", str(tmp_path / "w.duckdb")
    )
    assert completed.returncode == 1
    assert "nowhere" in completed.stderr and "Traceback" not in completed.stderr


# --- the publish guard, as a pure rule ------------------------------------------------------------------


def figures(
    mrr: str, customers: int, raw_rows: int = 100, as_of: date | None = date(2026, 10, 31)
) -> WarehouseFigures:
    month = date(2026, 10, 1)
    return WarehouseFigures(
        as_of=as_of,
        raw_dir="/landing",
        mrr_by_month={month: Decimal(mrr)},
        customers_by_month={month: customers},
        raw_rows={"subscription_events": raw_rows},
        last_complete_month=month,
    )


def test_guard_allows_a_drop_up_to_the_threshold() -> None:
    assert (
        guard_problems(figures("1000", 100), figures("800.00", 80), date(2026, 10, 31), Decimal("0.2")) == []
    )


def test_guard_refuses_a_drop_past_the_threshold() -> None:
    problems = guard_problems(figures("1000", 100), figures("799.99", 80), date(2026, 10, 31), Decimal("0.2"))
    assert problems == ["MRR of 2026-10 fell 20.0% (1,000.00 -> 799.99; more than SAAS_MAX_DROP_SHARE=0.2)"]
    problems = guard_problems(figures("1000", 100), figures("1000", 79), date(2026, 10, 31), Decimal("0.2"))
    assert problems == [
        "paying customers of 2026-10 fell 21.0% (100 -> 79; more than SAAS_MAX_DROP_SHARE=0.2)"
    ]


def test_guard_refuses_lost_raw_rows_an_older_as_of_and_another_landing_folder() -> None:
    build = replace(figures("1000", 100, raw_rows=99), raw_dir="/work/seeds")
    problems = guard_problems(figures("1000", 100), build, date(2026, 10, 30), Decimal("0.2"))
    assert problems == [
        "the landing folder differs from the published warehouse's: /work/seeds instead of /landing",
        "the as-of date 2026-10-30 is earlier than the published warehouse's 2026-10-31 (to build history, "
        "use another SAAS_WAREHOUSE_PATH / --warehouse)",
        "raw table subscription_events has 99 rows, 100 before",
    ]


def test_guard_compares_the_last_month_complete_in_both() -> None:
    """A new month in progress (its usage not billed yet) is no drop: October is compared; a warehouse
    without a complete month is not compared on figures."""
    published = figures("1000", 100)
    build = replace(
        figures("1000", 100, as_of=date(2026, 11, 3)),
        mrr_by_month={date(2026, 10, 1): Decimal("1000"), date(2026, 11, 1): Decimal("500")},
        customers_by_month={date(2026, 10, 1): 100, date(2026, 11, 1): 10},
        last_complete_month=date(2026, 11, 1),
    )
    assert guard_problems(published, build, date(2026, 11, 3), Decimal("0.2")) == []
    # the build's own last complete month decides when it is the earlier one
    dropped = replace(
        build, last_complete_month=date(2026, 10, 1), mrr_by_month={date(2026, 10, 1): Decimal("500")}
    )
    assert guard_problems(published, dropped, date(2026, 11, 3), Decimal("0.2")) == [
        "MRR of 2026-10 fell 50.0% (1,000.00 -> 500.00; more than SAAS_MAX_DROP_SHARE=0.2)"
    ]
    assert (
        guard_problems(
            published, replace(dropped, last_complete_month=None), date(2026, 11, 3), Decimal("0.2")
        )
        == []
    )


# --- the build lock ---------------------------------------------------------------------------------------

HOLD_LOCK = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from orchestration.locking import build_lock
    with build_lock(Path(sys.argv[1]), 5, {"as_of": "2026-10-31", "raw_dir": "/elsewhere"}):
        print("held", flush=True)
        time.sleep(float(sys.argv[2]))
    """
)


def test_a_second_build_waits_then_fails_naming_the_holder(tmp_path: Path) -> None:
    lock_path = tmp_path / ".saas.duckdb.lock"
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_LOCK, str(lock_path), "20"], stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        started = time.monotonic()
        with (
            pytest.raises(BuildLockTimeout, match=rf"process {holder.pid} on .*landing folder /elsewhere"),
            build_lock(lock_path, 1.5, {}),
        ):
            pass
        assert 1.4 < time.monotonic() - started < 10
    finally:
        holder.kill()
        holder.wait()
    # released by the operating system when its holder died; re-entrant in one process
    with build_lock(lock_path, 5, {}), build_lock(lock_path, 0.1, {}):
        pass


def test_the_cli_reports_a_held_lock_in_one_message(tmp_path: Path) -> None:
    warehouse = tmp_path / "w" / "saas.duckdb"
    lock_path = warehouse.parent / ".saas.duckdb.lock"
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_LOCK, str(lock_path), "60"], stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        env = {**os.environ, "SAAS_LOCK_TIMEOUT": "1"}
        completed = run_cli("build", "--raw-dir", str(GOLDEN_RAW_DIR), "--warehouse", str(warehouse), env=env)
    finally:
        holder.kill()
        holder.wait()
    assert completed.returncode == 1
    assert f"process {holder.pid}" in completed.stderr and "Traceback" not in completed.stderr


# --- end to end: publish, refuse, allow, writer, stale files, material rejections -------------------------


@pytest.fixture(scope="module")
def quoted_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("safe") / "it's published"


@pytest.fixture(scope="module")
def golden_published(quoted_home: Path) -> Path:
    warehouse = quoted_home / "saas.duckdb"
    stale = quoted_home / ".saas.build-killed-run.duckdb"
    other = quoted_home / ".other.build-running.duckdb"
    quoted_home.mkdir(parents=True)
    stale.write_bytes(b"left by a killed build")
    other.write_bytes(b"another warehouse's build")
    result = execute_build(WarehouseSettings(GOLDEN_RAW_DIR, warehouse, GOLDEN_AS_OF).validated())
    assert result.success, result.error
    return warehouse


def test_paths_with_quotes_publish_the_file_and_the_parquet_set(golden_published: Path) -> None:
    parquet = golden_published.parent / "parquet"
    assert parquet.is_symlink() and parquet.resolve().is_dir()
    with duckdb.connect(str(golden_published), read_only=True) as connection:
        bridge_rows = connection.execute("select count(*) from marts.mart_mrr_bridge").fetchone()[0]
        in_parquet = connection.execute(
            "select count(*) from read_parquet(?)", [str(parquet / "mart_mrr_bridge.parquet")]
        ).fetchone()[0]
        assert connection.execute("select as_of from meta.build_info").fetchone()[0] == date(2025, 12, 31)
    assert in_parquet == bridge_rows > 0


def test_stale_build_files_of_this_warehouse_are_removed_after_publishing(golden_published: Path) -> None:
    folder = golden_published.parent
    assert not (folder / ".saas.build-killed-run.duckdb").exists()
    assert (folder / ".other.build-running.duckdb").exists()  # another warehouse's: left alone


def test_a_landing_file_cut_in_half_is_not_published(golden_published: Path, tmp_path: Path) -> None:
    raw_dir = tmp_path / "raw"
    shutil.copytree(GOLDEN_RAW_DIR, raw_dir)
    settings = WarehouseSettings(raw_dir, golden_published, GOLDEN_AS_OF).validated()
    before = digest(golden_published)

    elsewhere = execute_build(settings)  # another landing folder: refused before anything is built
    assert not elsewhere.success
    assert "the landing folder differs" in elsewhere.error and "--allow-drop" in elsewhere.error
    assert digest(golden_published) == before
    # the warehouse moves to the copied folder: what --allow-drop would publish, without a third build
    with duckdb.connect(str(golden_published)) as connection:
        connection.execute("update meta.build_info set raw_dir = ?", [str(raw_dir)])
    assert latest_mrr(golden_published) == Decimal("534.4")
    published = digest(golden_published)

    events = (raw_dir / "subscription_events.csv").read_text().splitlines()
    (raw_dir / "subscription_events.csv").write_text("\n".join(events[: len(events) // 2]) + "\n")
    refused = execute_build(settings)
    assert not refused.success
    assert "Refusing to publish" in refused.error
    assert "MRR of 2025-11 fell 100.0%" in refused.error  # the last month complete in both (D-44)
    assert "raw table subscription_events has 12 rows, 26 before" in refused.error
    assert digest(golden_published) == published

    allowed = execute_build(replace(settings, allow_drop=True))
    assert allowed.success, allowed.error
    assert latest_mrr(golden_published) < Decimal("534.4")


WRITER = textwrap.dedent(
    """
    import sys, time, duckdb
    connection = duckdb.connect(sys.argv[1])
    connection.execute("create table if not exists main.notes as select 1 as note")
    print("open", flush=True)
    time.sleep(float(sys.argv[2]))
    """
)


def test_a_writer_on_the_published_file_stops_the_build_and_says_so(golden_published: Path) -> None:
    before = digest(golden_published)
    writer = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(golden_published), "60"], stdout=subprocess.PIPE, text=True
    )
    try:
        assert writer.stdout.readline().strip() == "open"
        result = execute_build(WarehouseSettings(GOLDEN_RAW_DIR, golden_published, GOLDEN_AS_OF).validated())
    finally:
        writer.kill()
        writer.wait()
    assert not result.success
    assert "open for writing by another process" in result.error
    assert "read-only" in result.error
    assert digest(golden_published) == before


def test_removing_fx_rates_fails_the_build_naming_the_lost_customers(tmp_path: Path) -> None:
    raw_dir = tmp_path / "raw"
    shutil.copytree(GOLDEN_RAW_DIR, raw_dir)
    (raw_dir / "fx_rates.csv").unlink()
    warehouse = tmp_path / "w" / "saas.duckdb"
    result = execute_build(WarehouseSettings(raw_dir, warehouse, GOLDEN_AS_OF).validated())
    assert not result.success
    assert not warehouse.exists()
    assert "assert_rejections_are_not_material" in result.error
    assert "has no MRR left" in result.error and "no exchange rate" in result.error
    assert (
        "dbt var(s) max_rejected_share, min_rejected_rows_for_share, fail_on_rejected_paying_customer"
        in result.error
    )
    assert "failing row(s)" in result.error
    assert len(result.error.splitlines()) < 20


def build_with_rejected_events(tmp_path: Path, count: int) -> subprocess.CompletedProcess[str]:
    """The golden scenario plus `count` events of an existing customer on an unknown plan (each rejected;
    the customer keeps its MRR)."""
    raw_dir = tmp_path / f"raw-{count}"
    shutil.copytree(GOLDEN_RAW_DIR, raw_dir)
    with (raw_dir / "subscription_events.csv").open("a", encoding="utf-8") as events:
        for number in range(count):
            events.write(
                f"r{number},2025-06-01T00:00:00Z,,C2,s2,ir{number},item_started,no_such_plan,1,,,,\n"
            )
    return dbt(
        "build",
        raw_dir,
        tmp_path / f"w-{count}.duckdb",
        GOLDEN_AS_OF,
        select="+mart_rejection_summary +mart_customers_lost_to_rejections",
        check=False,
    )


def test_a_share_of_rejected_rows_fails_the_build_from_ten_rows_on(tmp_path: Path) -> None:
    """26 golden events + 9 rejected: 25.7 % but 9 rows, no pattern yet; + 10: 27.8 %, 10 rows: material."""
    nine = build_with_rejected_events(tmp_path, 9)
    assert nine.returncode == 0, nine.stdout[-3000:]
    ten = build_with_rejected_events(tmp_path, 10)
    assert ten.returncode != 0
    assert "FAIL 1 assert_rejections_are_not_material" in ten.stdout
