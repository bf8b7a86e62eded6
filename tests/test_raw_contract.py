"""Reading the landing folder (raw contract): formats, layouts, optional tables, and clear schema errors."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest

from tests.conftest import GOLDEN_AS_OF, GOLDEN_RAW_DIR
from tests.dbt_runner import dbt, query

MRR_SQL = "select customer_id, month, mrr from marts.fct_mrr order by customer_id, month"


def copy_golden(target: Path) -> Path:
    shutil.copytree(GOLDEN_RAW_DIR, target)
    return target


def test_parquet_files_and_table_folders_give_the_same_figures(
    tmp_path: Path, golden_warehouse: Path
) -> None:
    raw_dir = tmp_path / "raw"
    raw_dir.mkdir()
    with duckdb.connect() as connection:
        for csv_file in GOLDEN_RAW_DIR.glob("*.csv"):
            table = csv_file.stem
            source = f"read_csv('{csv_file}', header = true)"
            if table == "subscription_events":  # a folder of two part files, typed columns
                (raw_dir / table).mkdir()
                connection.execute(
                    f"copy (select * from {source} where event_id < 'e5') to '{raw_dir / table / 'part-0.parquet'}'"
                )
                connection.execute(
                    f"copy (select * from {source} where event_id >= 'e5') to '{raw_dir / table / 'part-1.parquet'}'"
                )
            else:
                connection.execute(f"copy (select * from {source}) to '{raw_dir / f'{table}.parquet'}'")
    build_path = tmp_path / "parquet.duckdb"
    dbt("build", raw_dir, build_path, GOLDEN_AS_OF)
    assert query(build_path, MRR_SQL).equals(query(golden_warehouse, MRR_SQL))


def test_missing_optional_tables_build_empty(tmp_path: Path) -> None:
    raw_dir = copy_golden(tmp_path / "raw")
    for optional in ["usage_charges.csv", "fx_rates.csv"]:
        (raw_dir / optional).unlink()
    (raw_dir / "plans.csv").write_text(
        (GOLDEN_RAW_DIR / "plans.csv")
        .read_text()
        .replace("p2_eur,P2,Standard EUR,1,flat,month,1,90,EUR\n", "")
    )
    (raw_dir / "subscription_events.csv").write_text(
        "\n".join(
            line
            for line in (GOLDEN_RAW_DIR / "subscription_events.csv").read_text().splitlines()
            if ",C4," not in line
        )
    )
    build_path = tmp_path / "optional.duckdb"
    dbt("build", raw_dir, build_path, GOLDEN_AS_OF)
    december = query(build_path, "select sum(mrr) as mrr from marts.fct_mrr where month = date '2025-12-01'")
    assert str(december["mrr"].item()) == "414.400000"  # 534.40 without C4's 120


def test_missing_required_table_fails_with_a_clear_message(tmp_path: Path) -> None:
    raw_dir = copy_golden(tmp_path / "raw")
    (raw_dir / "customers.csv").unlink()
    completed = dbt("run", raw_dir, tmp_path / "w.duckdb", GOLDEN_AS_OF, select="staging", check=False)
    assert completed.returncode != 0
    assert "Raw table 'customers' is required but no file was found" in completed.stdout
    assert str(raw_dir) in completed.stdout


def test_missing_required_column_names_the_file_and_the_column(tmp_path: Path) -> None:
    raw_dir = copy_golden(tmp_path / "raw")
    events = raw_dir / "subscription_events.csv"
    lines = events.read_text().splitlines()
    without_occurred_at = [
        ",".join(cell for index, cell in enumerate(line.split(",")) if index != 1) for line in lines
    ]
    events.write_text("\n".join(without_occurred_at) + "\n")
    completed = dbt("run", raw_dir, tmp_path / "w.duckdb", GOLDEN_AS_OF, select="staging", check=False)
    assert completed.returncode != 0
    assert f"Raw file {events} lacks the required column 'occurred_at'" in " ".join(completed.stdout.split())


def test_unparseable_file_names_the_file(tmp_path: Path) -> None:
    raw_dir = copy_golden(tmp_path / "raw")
    broken = raw_dir / "products.csv"
    broken.write_text(
        'product_id,product_name,product_type,base_product_id\nP1,"Projects,core,\nP2,Analytics,core,,,,\n'
    )
    completed = dbt("run", raw_dir, tmp_path / "w.duckdb", GOLDEN_AS_OF, select="staging", check=False)
    assert completed.returncode != 0
    assert str(broken) in completed.stdout


@pytest.mark.parametrize("mixed", ["customers.parquet"])
def test_mixing_csv_and_parquet_for_one_table_is_refused(tmp_path: Path, mixed: str) -> None:
    raw_dir = copy_golden(tmp_path / "raw")
    with duckdb.connect() as connection:
        connection.execute(
            f"copy (select * from read_csv('{raw_dir / 'customers.csv'}')) to '{raw_dir / mixed}'"
        )
    completed = dbt("run", raw_dir, tmp_path / "w.duckdb", GOLDEN_AS_OF, select="staging", check=False)
    assert completed.returncode != 0
    assert "mixes CSV and Parquet files" in completed.stdout
