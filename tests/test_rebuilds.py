"""Rebuilding gives identical marts; the order of raw rows changes nothing; hostile text is just data."""

from __future__ import annotations

import random
import shutil
from pathlib import Path

import duckdb
import pytest

from orchestration.comparisons import mart_table_names
from orchestration.settings import DEFAULT_RAW_DIR
from tests.conftest import GOLDEN_AS_OF, GOLDEN_RAW_DIR, SAMPLE_AS_OF
from tests.dbt_runner import dbt, query


def mart_fingerprints(build_path: Path) -> dict[str, tuple[int, str]]:
    """Row count and a hash of the sorted rows of every published mart."""
    with duckdb.connect(str(build_path), read_only=True) as connection:
        tables = mart_table_names(connection)
        return {
            table: connection.execute(
                "select count(*), md5(coalesce(string_agg(cast(t as varchar), chr(10) "
                f"order by cast(t as varchar)), '')) from marts.{table} as t"
            ).fetchone()
            for table in tables
        }


def shuffled_copy(source: Path, target: Path, seed: int) -> Path:
    target.mkdir(parents=True)
    generator = random.Random(seed)
    for csv_file in sorted(source.glob("*.csv")):
        header, *rows = csv_file.read_text(encoding="utf-8").splitlines()
        generator.shuffle(rows)
        (target / csv_file.name).write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return target


@pytest.fixture(scope="module")
def first_build(sample_warehouse: Path) -> Path:
    """The run's shared `dbt build` of the sample company (conftest)."""
    return sample_warehouse


def test_building_twice_gives_identical_marts(first_build: Path, tmp_path: Path) -> None:
    second = tmp_path / "second.duckdb"
    dbt("build", DEFAULT_RAW_DIR, second, SAMPLE_AS_OF)
    first_marts = mart_fingerprints(first_build)
    assert len(first_marts) >= 10 and first_marts["fct_mrr"][0] > 10_000
    assert mart_fingerprints(second) == first_marts


def test_shuffling_every_raw_file_changes_no_figure(first_build: Path, tmp_path: Path) -> None:
    raw_dir = shuffled_copy(DEFAULT_RAW_DIR, tmp_path / "shuffled", seed=7)
    assert (raw_dir / "subscription_events.csv").read_text() != (
        DEFAULT_RAW_DIR / "subscription_events.csv"
    ).read_text()
    shuffled = tmp_path / "shuffled.duckdb"
    dbt("build", raw_dir, shuffled, SAMPLE_AS_OF)
    assert mart_fingerprints(shuffled) == mart_fingerprints(first_build)


HOSTILE_NAME = 'Robert\'); drop table marts.fct_mrr; -- "Bobby" Tables ünïcødé 東京 🚀 ' + "x" * 5000
HOSTILE_ID = "Q'1;--"


def test_hostile_text_passes_through_as_data(tmp_path: Path) -> None:
    raw_dir = tmp_path / "raw"
    shutil.copytree(GOLDEN_RAW_DIR, raw_dir)
    quoted_name = HOSTILE_NAME.replace('"', '""')
    with (raw_dir / "customers.csv").open("a", encoding="utf-8") as customers:
        customers.write(f'"{HOSTILE_ID}","{quoted_name}",2024-12-01T00:00:00Z,JP,"; select 1; --",20\n')
    evil_type = "item_started'; delete from marts.rejected_rows; --"
    with (raw_dir / "subscription_events.csv").open("a", encoding="utf-8") as events:
        events.write(f'h1,2025-03-01T00:00:00Z,,"{HOSTILE_ID}","s;1","i\'1",item_started,p2_std,1,,,,\n')
        events.write(f'h2,2025-03-02T00:00:00Z,,"{HOSTILE_ID}","s;1","i\'2","{evil_type}",p2_std,1,,,,\n')
    build_path = tmp_path / "hostile.duckdb"
    dbt("build", raw_dir, build_path, GOLDEN_AS_OF)

    customer = query(build_path, "select * from marts.dim_customers where customer_id = 'Q''1;--'").iloc[0]
    assert customer["customer_name"] == HOSTILE_NAME
    assert customer["industry"] == "; select 1; --"
    assert str(customer["current_mrr"]) == "100.000000"
    december = query(build_path, "select sum(mrr) as mrr from marts.fct_mrr where month = date '2025-12-01'")
    assert str(december["mrr"].item()) == "634.400000"  # the golden 534.40 + the hostile customer's 100
    rejected = query(build_path, "select row_key, reason from marts.rejected_rows")
    assert list(rejected.row_key) == ["h2"]
    assert rejected.reason.item() == "unknown event_type '" + evil_type[:60] + "'"
