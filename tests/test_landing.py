"""Reading the landing folder safely (orchestration/landing.py and the dbt macros that follow its rule):
one discovery rule in SQL and Python, ignored files listed, strict CSV reading, row counts independent of
the parsers, pre-flight problems, and change detection by content."""

from __future__ import annotations

import csv
import hashlib
import os
import re
import shutil
from pathlib import Path

import duckdb
import pytest
from dagster import RunRequest, SkipReason, build_sensor_context

from independent_metrics.loading import TABLES
from orchestration import landing
from orchestration.landing import (
    count_raw_rows,
    file_digest,
    files_by_table,
    ignored_files,
    landing_folder_fingerprint,
    landing_problems,
    table_files,
)
from orchestration.resources import WarehouseResource
from orchestration.sensors import new_raw_files_sensor
from orchestration.settings import DBT_PROJECT_DIR
from tests.conftest import GOLDEN_AS_OF, GOLDEN_RAW_DIR
from tests.dbt_runner import dbt, query

EVENTS_HEADER = (
    "event_id,occurred_at,recorded_at,customer_id,subscription_id,item_id,event_type,plan_id,quantity,"
    "unit_price,currency,discount_percent,is_trial"
)
GOLDEN_EVENTS = 26  # data rows of tests/fixtures/golden/subscription_events.csv
GOLDEN_USAGE_CHARGES = 3


def copy_golden(target: Path) -> Path:
    shutil.copytree(GOLDEN_RAW_DIR, target)
    return target


def touch(path: Path, content: str = "") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(content)
    return path


def listing(build_path: Path) -> dict[str, tuple[str, str, str | None]]:
    """build_landing_files by file name: (table, status, content hash)."""
    rows = query(
        build_path, "select table_name, file_path, status, content_hash from build_state.build_landing_files"
    )
    return {
        Path(row.file_path).name: (row.table_name, row.status, row.content_hash) for row in rows.itertuples()
    }


# --- the contract comes from the dbt sources file ---------------------------------------------------------


def test_the_contract_is_read_from_the_dbt_sources_file() -> None:
    tables = {table.name: table for table in landing.raw_contract()}
    assert len(tables) == 9
    events = tables["subscription_events"]
    assert events.required and events.column_names[:2] == ["event_id", "occurred_at"]
    assert "plan_id" in events.required_columns and "recorded_at" not in events.required_columns
    assert not tables["usage_charges"].required
    assert tables["plan_limits"].key == ("plan_id", "metric") and events.key == ("event_id",)
    assert all(table.key for table in tables.values()), "every raw table declares meta key"
    assert TABLES["plans"] == (True, {column.name: column.required for column in tables["plans"].columns})
    assert TABLES["fx_rates"] == (False, {"rate_date": True, "currency": True, "rate_to_reporting": True})


# --- discovery: one rule, in Python and in SQL ----------------------------------------------------------


def test_table_files_take_extensions_in_any_letter_case(tmp_path: Path) -> None:
    raw_dir = tmp_path / "raw"
    upper = touch(raw_dir / "usage_charges.CSV")
    mixed = touch(raw_dir / "plans.Parquet")
    part = touch(raw_dir / "customers" / "Part-1.cSv")
    plain = touch(raw_dir / "customers" / "part-0.csv")
    touch(raw_dir / "customers" / ".part-2.csv")  # a dotfile (hidden upload, macOS ._ file): never read
    touch(raw_dir / "customers" / "part-3.csv.gz")
    touch(raw_dir / "Customers.csv")  # the table name itself is exact
    assert table_files(raw_dir, "usage_charges") == [upper]
    assert table_files(raw_dir, "plans") == [mixed]
    assert table_files(raw_dir, "customers") == [part, plain]
    assert table_files(raw_dir, "products") == []
    assert table_files(tmp_path / "missing", "customers") == []


def test_ignored_files_are_listed_readme_and_dotfiles_are_not(tmp_path: Path) -> None:
    raw_dir = copy_golden(tmp_path / "raw")
    expected = [
        touch(raw_dir / "notes.txt"),
        touch(raw_dir / "subscription_event.csv"),
        touch(raw_dir / "subscription_events" / "2026" / "day-1.csv").parent,  # a folder in a table folder
        touch(raw_dir / "subscription_events" / "day-0.json"),
        touch(raw_dir / "usage_charges.csv.gz"),
        raw_dir / "usage_chargez",  # a folder named after no table
    ]
    touch(raw_dir / "usage_chargez" / "part-0.csv")
    touch(raw_dir / "README.md")
    touch(raw_dir / ".DS_Store")
    touch(raw_dir / "subscription_events" / ".day-2.csv.tmp")
    assert ignored_files(raw_dir) == sorted(expected, key=str)
    assert ignored_files(GOLDEN_RAW_DIR) == []


def test_sql_and_python_find_exactly_the_same_files(tmp_path: Path) -> None:
    """A landing folder whose own name holds glob wildcards, with odd file names: the dbt macro
    raw_file_paths (through build_landing_files) and orchestration.landing agree file for file."""
    raw_dir = copy_golden(tmp_path / "land [1] * ? 'q'")
    (raw_dir / "usage_charges.csv").rename(raw_dir / "usage_charges.CSV")
    (raw_dir / "customers.csv").rename(raw_dir / "customers.Csv")
    events = (raw_dir / "subscription_events.csv").read_text().splitlines(keepends=True)
    (raw_dir / "subscription_events.csv").unlink()
    touch(raw_dir / "subscription_events" / "part [a].CSV", "".join(events[:10]))
    touch(raw_dir / "subscription_events" / "it's-b.csv", events[0] + "".join(events[10:]))
    touch(raw_dir / "subscription_events" / ".hidden.csv", events[0])
    touch(raw_dir / "subscription_events" / "c.csv.bak", events[0])
    touch(raw_dir / "subscription_event.csv", events[0])
    with duckdb.connect() as connection:
        connection.execute(
            f"copy (select * from read_csv('{GOLDEN_RAW_DIR / 'plans.csv'}')) to '{tmp_path / 'p.pq'}'"
        )
    shutil.move(tmp_path / "p.pq", raw_dir / "plans.PARQUET")
    (raw_dir / "plans.csv").unlink()

    python_files = {str(path) for files in files_by_table(raw_dir).values() for path in files}
    build_path = tmp_path / "w.duckdb"
    dbt("run", raw_dir, build_path, GOLDEN_AS_OF, select="build_landing_files")
    sql_files = set(query(build_path, "select file_path from build_state.build_landing_files")["file_path"])
    assert sql_files == python_files
    assert {Path(file).name for file in sql_files} == {
        "customers.Csv",
        "fx_rates.csv",
        "plans.PARQUET",
        "products.csv",
        "part [a].CSV",
        "it's-b.csv",
        "usage_charges.CSV",
    }


def test_an_upper_case_extension_is_read_by_the_build(tmp_path: Path) -> None:
    raw_dir = copy_golden(tmp_path / "raw")
    (raw_dir / "usage_charges.csv").rename(raw_dir / "usage_charges.CSV")
    assert count_raw_rows(raw_dir)["usage_charges"] == GOLDEN_USAGE_CHARGES
    build_path = tmp_path / "w.duckdb"
    dbt("run", raw_dir, build_path, GOLDEN_AS_OF, select="+mart_raw_reconciliation")
    reconciliation = query(
        build_path,
        "select rows_in, is_balanced from marts.mart_raw_reconciliation where source_table = 'usage_charges'",
    )
    assert reconciliation["rows_in"].tolist() == [GOLDEN_USAGE_CHARGES]
    assert reconciliation["is_balanced"].tolist() == [True]


# --- strict CSV reading and independent row counts ---------------------------------------------------------


def test_count_raw_rows_counts_records_not_lines(tmp_path: Path) -> None:
    raw_dir = tmp_path / "raw"
    touch(
        raw_dir / "customers.csv",
        "customer_id,customer_name,created_at\r\n"
        'C1,"Acme\r\nGmbH",2025-01-01\r\n'
        'C2,"say ""hi""\n,",2025-01-01\r\n',
    )
    touch(raw_dir / "products.csv", "product_id,product_name,product_type\nP1,x,core\nP2,y,core\n\n\n")
    touch(raw_dir / "subscription_events" / "a.csv", EVENTS_HEADER + "\n")  # header only: 0 rows
    touch(raw_dir / "subscription_events" / "b.csv", "")  # empty: 0 rows
    touch(
        raw_dir / "usage_charges.csv", "charge_id,amount\nu1,1\ncharge_id,amount\nu2,2\n"
    )  # 2nd header: a row
    with duckdb.connect() as connection:
        connection.execute(
            f"copy (select range as rate_date from range(7)) to '{raw_dir / 'fx_rates.parquet'}'"
        )
    counts = count_raw_rows(raw_dir)
    assert counts == {
        "customers": 2,
        "products": 2,
        "plans": 0,
        "plan_limits": 0,
        "subscription_events": 0,
        "usage_charges": 3,
        "one_time_charges": 0,
        "fx_rates": 7,
        "usage_snapshots": 0,
    }
    # DuckDB, reading as the build does, sees the same records
    with duckdb.connect() as connection:
        duckdb_rows = connection.execute(
            f"select count(*) from read_csv('{raw_dir / 'customers.csv'}', {landing.CSV_READ_OPTIONS})"
        ).fetchone()[0]
    assert duckdb_rows == counts["customers"]


def test_count_raw_rows_on_the_golden_scenario() -> None:
    counts = count_raw_rows(GOLDEN_RAW_DIR)
    assert counts["subscription_events"] == GOLDEN_EVENTS
    assert counts["usage_charges"] == GOLDEN_USAGE_CHARGES
    assert counts["customers"] == 8


def concatenated_export(path: Path) -> tuple[int, int]:
    """Golden events as two exports in one file: a first block without the is_trial column, then the
    full header and the other events. Returns the rows of each block."""
    rows = list(csv.reader((GOLDEN_RAW_DIR / "subscription_events.csv").read_text().splitlines()))
    header, events = rows[0], rows[1:]
    first, second = events[:10], events[10:]
    lines = [",".join(header[:-1])] + [",".join(row[:-1]) for row in first]
    lines += [",".join(header)] + [",".join(row) for row in second]
    path.write_text("\n".join(lines) + "\n")
    return len(first), len(second)


def test_a_concatenated_export_fails_the_build_naming_the_file(tmp_path: Path) -> None:
    raw_dir = copy_golden(tmp_path / "raw")
    events = raw_dir / "subscription_events.csv"
    first, second = concatenated_export(events)
    # the hazard: DuckDB's sniffer, left to itself, skips the first block without a word
    with duckdb.connect() as connection:
        sniffed = connection.execute(
            f"select count(*) from read_csv('{events}', header = true, all_varchar = true)"
        )
        assert sniffed.fetchone()[0] == second
    # the independent count sees every record, the second header included
    assert count_raw_rows(raw_dir)["subscription_events"] == first + 1 + second
    # the build reads strictly: it fails, naming the file
    completed = dbt(
        "run",
        raw_dir,
        tmp_path / "w.duckdb",
        GOLDEN_AS_OF,
        select="stg_billing__subscription_events",
        check=False,
    )
    assert completed.returncode != 0
    assert str(events) in completed.stdout


def test_a_comment_like_line_is_not_skipped(tmp_path: Path) -> None:
    raw_dir = tmp_path / "raw"
    path = touch(
        raw_dir / "customers.csv", "customer_id,created_at\n# exported by X\nC1,2025-01-01\n#C2,2025-01-01\n"
    )
    with duckdb.connect() as connection:
        sniffed = connection.execute(
            f"select list(customer_id) from read_csv('{path}', header = true, all_varchar = true)"
        )
        assert sniffed.fetchone()[0] == ["C1"]  # the sniffer took '#' for a comment: two rows gone
        with pytest.raises(duckdb.Error, match=re.escape(str(path))):
            connection.execute(f"select count(*) from read_csv('{path}', {landing.CSV_READ_OPTIONS})")
    assert count_raw_rows(raw_dir)["customers"] == 3


def test_the_dbt_reader_uses_the_same_csv_options() -> None:
    macro = (DBT_PROJECT_DIR / "macros" / "raw" / "read_raw.sql").read_text()
    reader = re.search(r"read_csv\(\{\{ file_list \}\}, (.*?)\)\n", macro)
    assert reader is not None
    assert " ".join(reader.group(1).split()) == " ".join(landing.CSV_READ_OPTIONS.split())


# --- pre-flight problems --------------------------------------------------------------------------------


def test_the_golden_folder_has_no_problem() -> None:
    assert landing_problems(GOLDEN_RAW_DIR) == []


def test_a_header_only_required_table_is_a_pre_flight_problem(tmp_path: Path) -> None:
    raw_dir = copy_golden(tmp_path / "raw")
    events = raw_dir / "subscription_events.csv"
    events.write_text(EVENTS_HEADER + "\n\n")
    (raw_dir / "usage_charges.csv").write_text(
        "charge_id,customer_id,plan_id,period_start,period_end,amount,currency\n"
    )
    problems = landing_problems(raw_dir)
    assert len(problems) == 1  # an optional table may be empty
    assert str(events) in problems[0] and "'subscription_events' holds no data row" in problems[0]


def test_pre_flight_problems_name_the_file_and_the_column(tmp_path: Path) -> None:
    raw_dir = copy_golden(tmp_path / "raw")
    customers = raw_dir / "customers.csv"
    customers.write_text(" Customer_ID ,created_AT\nC1,2025-01-01\n")  # case and spaces do not matter
    products = raw_dir / "products.csv"
    products.write_text("product_id,product_name\nP1,x\n")
    (raw_dir / "plans.csv").unlink()
    (raw_dir / "fx_rates").mkdir()
    with duckdb.connect() as connection:
        connection.execute(f"copy (select 'x' as rate_date) to '{raw_dir / 'fx_rates' / 'b.parquet'}'")
    problems = landing_problems(raw_dir)
    assert len(problems) == 3
    assert problems[0].startswith(f"{products} lacks the required column 'product_type' of table 'products'")
    assert "required table 'plans' has no file" in problems[1]
    assert "table 'fx_rates' mixes CSV and Parquet files" in problems[2]


def test_a_missing_or_wrong_landing_folder_is_a_problem(tmp_path: Path) -> None:
    assert landing_problems(tmp_path / "nowhere") == [
        f"{tmp_path / 'nowhere'}: the landing folder does not exist. "
        "Set SAAS_RAW_DIR (or --raw-dir) to the folder of your raw files."
    ]
    a_file = touch(tmp_path / "file.csv")
    assert "is not a folder" in landing_problems(a_file)[0]


def test_an_unreadable_parquet_file_is_a_problem(tmp_path: Path) -> None:
    raw_dir = copy_golden(tmp_path / "raw")
    broken = touch(raw_dir / "usage_charges" / "a.parquet", "not parquet")
    (raw_dir / "usage_charges.csv").unlink()
    problems = landing_problems(raw_dir)
    assert len(problems) == 1 and problems[0].startswith(f"{broken}: cannot be read as Parquet")


# --- change detection by content ------------------------------------------------------------------------


def test_file_digest_is_the_md5_of_the_content(tmp_path: Path) -> None:
    assert file_digest(touch(tmp_path / "abc.csv", "abc")) == "900150983cd24fb0d6963f7d28e17f72"
    big = tmp_path / "big.csv"
    big.write_bytes(os.urandom(3 * landing.HASH_CHUNK_BYTES + 17))
    assert file_digest(big) == hashlib.md5(big.read_bytes()).hexdigest()


def same_size_edit(path: Path) -> None:
    """Change one character, keep the size, and put the access and modification times back."""
    status = path.stat()
    text = path.read_text()
    edited = text.replace("C1,", "C9,", 1)
    assert edited != text and len(edited) == len(text)
    path.write_text(edited)
    os.utime(path, ns=(status.st_atime_ns, status.st_mtime_ns))
    assert path.stat().st_size == status.st_size and path.stat().st_mtime_ns == status.st_mtime_ns


def run_sensor(warehouse: WarehouseResource, cursor: str) -> RunRequest | SkipReason:
    with build_sensor_context(cursor=cursor, resources={"warehouse": warehouse}) as context:
        return new_raw_files_sensor(context)


def test_a_same_size_edit_with_its_time_restored_is_changed(tmp_path: Path) -> None:
    raw_dir = copy_golden(tmp_path / "raw")
    warehouse = WarehouseResource(raw_dir=str(raw_dir), warehouse_path=str(tmp_path / "w.duckdb"))
    cursor = landing_folder_fingerprint(raw_dir)
    first = tmp_path / "first.duckdb"
    dbt("run", raw_dir, first, GOLDEN_AS_OF, select="build_landing_files")
    assert {status for _, status, _ in listing(first).values()} == {"new"}
    assert listing(first)["plans.csv"][2] == file_digest(raw_dir / "plans.csv")

    customers, plans = raw_dir / "customers.csv", raw_dir / "plans.csv"
    same_size_edit(customers)
    plans.write_text(plans.read_text())  # rewritten with the same bytes, and touched
    os.utime(plans, (1_900_000_000, 1_900_000_000))

    sensed = run_sensor(warehouse, cursor)
    assert isinstance(sensed, RunRequest)
    second = tmp_path / "second.duckdb"
    dbt("run", raw_dir, second, GOLDEN_AS_OF, select="build_landing_files", start_from=first)
    statuses = {name: status for name, (_, status, _) in listing(second).items()}
    assert statuses["customers.csv"] == "changed"
    assert statuses["plans.csv"] == "unchanged"
    assert set(statuses.values()) == {"changed", "unchanged"}
    assert listing(second)["customers.csv"][2] == file_digest(customers)

    assert isinstance(run_sensor(warehouse, sensed.run_key), SkipReason)
