"""An incremental build (starting from the previous build's file, recomputing only the customers whose
inputs changed) gives exactly the warehouse of a full build of the same files, backdated events included."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import duckdb
import pytest

from company_generator.daily import land_next_day
from orchestration.settings import DEFAULT_RAW_DIR
from tests.conftest import GOLDEN_AS_OF, GOLDEN_RAW_DIR
from tests.dbt_runner import dbt, query

FIRST_AS_OF = "2026-10-31"
DAYS = (date(2026, 11, 1), date(2026, 11, 2))
COMPARED_SCHEMAS = ("staging", "intermediate", "marts")


def table_fingerprints(build_path: Path) -> dict[str, tuple[int, str]]:
    """Row count and a hash of the sorted rows of every table the models build (build_state excluded: it
    describes the build itself)."""
    schemas = ", ".join(f"'{schema}'" for schema in COMPARED_SCHEMAS)
    with duckdb.connect(str(build_path), read_only=True) as connection:
        tables = connection.execute(
            "select table_schema || '.' || table_name from information_schema.tables "
            f"where table_schema in ({schemas}) order by 1"
        ).fetchall()
        return {
            table: connection.execute(
                "select count(*), md5(coalesce(string_agg(cast(t as varchar), chr(10) "
                f"order by cast(t as varchar)), '')) from {table} as t"
            ).fetchone()
            for (table,) in tables
        }


def differing_tables(incremental: Path, full: Path) -> list[str]:
    ours, theirs = table_fingerprints(incremental), table_fingerprints(full)
    assert ours.keys() == theirs.keys()
    return [table for table in ours if ours[table] != theirs[table]]


def build_scope(build_path: Path) -> tuple[str | None, int]:
    reason = query(build_path, "select recompute_reason from build_state.build_scope").iloc[0, 0]
    changed = query(build_path, "select count(*) as n from build_state.build_customers_to_recompute").iloc[
        0, 0
    ]
    return reason, int(changed)


@pytest.fixture(scope="module")
def landing(tmp_path_factory: pytest.TempPathFactory) -> Path:
    raw_dir = tmp_path_factory.mktemp("landing") / "raw"
    shutil.copytree(DEFAULT_RAW_DIR, raw_dir, ignore=shutil.ignore_patterns("README*"))
    return raw_dir


@pytest.fixture(scope="module")
def day_zero(landing: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    build_path = tmp_path_factory.mktemp("day0") / "day0.duckdb"
    dbt("build", landing, build_path, FIRST_AS_OF)
    assert build_scope(build_path)[0] == "first build"
    return build_path


def test_daily_incremental_builds_equal_full_rebuilds(landing: Path, day_zero: Path, tmp_path: Path) -> None:
    previous = day_zero
    customers = int(query(day_zero, "select count(*) from staging.stg_billing__customers").iloc[0, 0])
    for day in DAYS:
        landed = land_next_day(landing, day, activity=0.02)
        assert landed["subscription_events"] > 0
        backdated = query(
            day_zero,  # any build reads the files; the raw rows of the new day are what matter here
            f"select count(*) from read_csv('{landing}/subscription_events/day-{day}.csv', all_varchar=true) "
            f"where cast(occurred_at as timestamp) < date '{day.replace(day=1)}'",
        ).iloc[0, 0]
        assert backdated > 0, "the new day must hold events backdated into earlier months"

        incremental = tmp_path / f"incremental-{day}.duckdb"
        dbt("build", landing, incremental, day.isoformat(), start_from=previous)
        reason, changed = build_scope(incremental)
        assert reason is None, f"expected an incremental build, got a rebuild: {reason}"
        assert 0 < changed < customers / 4, f"{changed} of {customers} customers recomputed"

        full = tmp_path / f"full-{day}.duckdb"
        dbt("build", landing, full, day.isoformat())
        assert build_scope(full)[0] == "first build"

        assert differing_tables(incremental, full) == []
        previous = incremental


def test_a_changed_file_rebuilds_everything(golden_warehouse: Path, tmp_path: Path) -> None:
    """On the golden scenario (the rule does not depend on the company's size)."""
    changed_copy = tmp_path / "raw"
    shutil.copytree(GOLDEN_RAW_DIR, changed_copy)
    later = tmp_path / "from-golden.duckdb"
    # the previous build read another folder: a different landing folder is a different warehouse
    dbt("build", changed_copy, later, GOLDEN_AS_OF, start_from=golden_warehouse)
    assert build_scope(later)[0] == "settings or code changed since the previous build"

    customers_file = changed_copy / "customers.csv"
    customers_file.write_text(customers_file.read_text() + "C9999999,Late Corp,2025-11-30T00:00:00Z,DE,,12\n")
    rebuilt = tmp_path / "rebuilt.duckdb"
    dbt("build", changed_copy, rebuilt, GOLDEN_AS_OF, start_from=later)
    reason, _ = build_scope(rebuilt)
    assert reason is not None and reason.startswith("a file read by the previous build changed")
    assert reason.endswith("customers.csv")

    full = tmp_path / "full.duckdb"
    dbt("build", changed_copy, full, GOLDEN_AS_OF)
    assert differing_tables(rebuilt, full) == []
    assert (
        query(full, "select count(*) from staging.stg_billing__customers").iloc[0, 0]
        == query(golden_warehouse, "select count(*) from staging.stg_billing__customers").iloc[0, 0] + 1
    )
