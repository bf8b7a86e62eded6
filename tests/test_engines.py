"""The same dbt project on PostgreSQL and on Spark gives the same figures as on DuckDB, row for row.

Each engine builds from the same landing folder with `dbt build` (every model, data test and unit test).
Every mart is then read back and compared with DuckDB's: the same columns, and the same rows with every
value equal (numbers compared as exact decimals, so 25.000000 equals 25 but 0.9997558594 does not equal
0.9997558590). On PostgreSQL the BI role is tried against every schema. A machine without PostgreSQL or
Java fails these tests with a message saying what to install; nothing is skipped.

The golden scenario runs on PostgreSQL in the README's test command. Spark (conftest.py marks every test
of a Spark group) and the sample company on PostgreSQL are marked `engines`: `pytest -m engines` runs
them, and CI (.ci/run) runs them after the README's command.
"""

from __future__ import annotations

import datetime as dt
import subprocess
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from orchestration.engines.raw_loader import RawInputError, export_raw_tables
from orchestration.settings import DEFAULT_RAW_DIR
from tests.conftest import SAMPLE_AS_OF
from tests.engines import (
    BI_ROLE,
    EngineBuild,
    PostgresServer,
    assert_same_marts,
    build_on_postgres,
    build_on_spark,
    comparable_rows,
    mart_differences,
    postgres_binaries,
    require_java,
)


@pytest.fixture(scope="module")
def sample_on_postgres(
    postgres_server: PostgresServer, tmp_path_factory: pytest.TempPathFactory
) -> EngineBuild:
    scratch = tmp_path_factory.mktemp("postgres-sample")
    build = build_on_postgres(postgres_server, DEFAULT_RAW_DIR, SAMPLE_AS_OF, scratch)
    print(f"\nPostgreSQL: dbt build of the sample company in {build.seconds:.1f} s")
    return build


@pytest.fixture(scope="module")
def sample_on_spark(tmp_path_factory: pytest.TempPathFactory) -> EngineBuild:
    require_java()
    scratch = tmp_path_factory.mktemp("spark-sample")
    build = build_on_spark(scratch / "warehouse", DEFAULT_RAW_DIR, SAMPLE_AS_OF, scratch)
    print(f"\nSpark: dbt build of the sample company in {build.seconds:.1f} s")
    return build


@pytest.mark.engines
def test_sample_company_marts_on_postgres_equal_duckdb(
    sample_warehouse: Path, sample_on_postgres: EngineBuild
) -> None:
    assert_same_marts(sample_warehouse, sample_on_postgres)


@pytest.mark.engines
def test_sample_company_marts_on_spark_equal_duckdb(
    sample_warehouse: Path, sample_on_spark: EngineBuild
) -> None:
    assert_same_marts(sample_warehouse, sample_on_spark)


@pytest.mark.parametrize("engine", ["postgres", "spark"])
def test_golden_scenario_marts_equal_duckdb(
    engine: str, golden_warehouse: Path, request: pytest.FixtureRequest
) -> None:
    assert_same_marts(golden_warehouse, request.getfixturevalue(f"golden_on_{engine}"))


def test_the_comparison_sees_a_one_millionth_difference() -> None:
    columns = ["month", "mrr", "loaded_at"]
    rows = [(dt.date(2026, 1, 1), Decimal("25.000000"), dt.datetime(2026, 1, 1, 3))]
    same = [(dt.date(2026, 1, 1), 25, dt.datetime(2026, 11, 23, 9))]  # build time is not a figure
    off = [(dt.date(2026, 1, 1), Decimal("25.000001"), dt.datetime(2026, 1, 1, 3))]
    reference = {"fct_mrr": comparable_rows(columns, rows)}
    assert mart_differences(reference, {"fct_mrr": comparable_rows(columns, same)}) == []
    assert len(mart_differences(reference, {"fct_mrr": comparable_rows(columns, off)})) == 1
    assert mart_differences(reference, {}) == ["fct_mrr: missing"]
    moved = {"fct_mrr": comparable_rows(["mrr", "month", "loaded_at"], [(25, dt.date(2026, 1, 1), None)])}
    assert "columns" in mart_differences(reference, moved)[0]


# --- PostgreSQL: the BI role reads the marts and nothing else ------------------------------------------


def bi_session(server: PostgresServer, statement: str) -> subprocess.CompletedProcess[str]:
    """Run one statement as the BI role, as a BI tool would (its own connection, autocommit)."""
    import psycopg2

    connection = psycopg2.connect(**vars(server.connection(BI_ROLE)))
    connection.autocommit = True
    try:
        with connection.cursor() as cursor:
            cursor.execute(statement)
            rows = cursor.fetchall() if cursor.description else []
        return subprocess.CompletedProcess(statement, 0, stdout=str(rows), stderr="")
    except psycopg2.Error as error:
        return subprocess.CompletedProcess(statement, 1, stdout="", stderr=str(error))
    finally:
        connection.close()


def builder_count(server: PostgresServer, table: str) -> int:
    import psycopg2

    with psycopg2.connect(**vars(server.connection())) as connection, connection.cursor() as cursor:
        cursor.execute(f"select count(*) from {table}")
        return cursor.fetchone()[0]


def test_bi_role_reads_every_mart(golden_on_postgres: EngineBuild, postgres_server: PostgresServer) -> None:
    # Whichever build the server holds now (the sample company may have been built after the golden scenario).
    marts = golden_on_postgres.marts()
    assert len(marts) >= 14
    for name in marts:
        result = bi_session(postgres_server, f"select count(*) from marts.{name}")
        assert result.returncode == 0, result.stderr
        assert result.stdout == f"[({builder_count(postgres_server, f'marts.{name}')},)]"


@pytest.mark.parametrize(
    "table",
    [
        "raw.subscription_events",
        "staging.stg_billing__subscription_events",
        "intermediate.int_item_mrr",
        "build_state.build_scope",
        "reference.expansion_maturity_thresholds",
    ],
)
def test_bi_role_cannot_read_outside_the_marts(
    golden_on_postgres: EngineBuild, postgres_server: PostgresServer, table: str
) -> None:
    builder_count(postgres_server, table)  # the table exists: the builder can read it
    result = bi_session(postgres_server, f"select count(*) from {table}")
    assert result.returncode == 1 and "permission denied" in result.stderr, result


@pytest.mark.parametrize(
    "statement",
    [
        "insert into marts.fct_mrr (customer_id) values ('x')",
        "update marts.fct_mrr set mrr = 0",
        "delete from marts.fct_mrr",
        "truncate marts.fct_mrr",
        "drop table marts.fct_mrr",
        "alter table marts.fct_mrr add column note text",
        "create table marts.bi_scratch (id integer)",
        "create table public.bi_scratch (id integer)",
        "create table raw.bi_scratch (id integer)",
        "create table staging.bi_scratch (id integer)",
        "create temporary table bi_scratch (id integer)",
        "create schema bi_scratch",
        "create view marts.bi_view as select 1 as one",
    ],
)
def test_bi_role_cannot_write_anywhere(
    golden_on_postgres: EngineBuild, postgres_server: PostgresServer, statement: str
) -> None:
    result = bi_session(postgres_server, statement)
    assert result.returncode == 1, f"the BI role could run: {statement}"
    assert "permission denied" in result.stderr or "must be owner" in result.stderr, result.stderr


# --- the raw loader and the harness fail clearly -------------------------------------------------------


def test_raw_loader_names_the_file_and_the_missing_column(tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    raw.mkdir()
    for path in DEFAULT_RAW_DIR.glob("*.csv"):
        (raw / path.name).write_bytes(path.read_bytes())
    (raw / "customers.csv").write_text("customer_id,customer_name\nc1,Acme\n")
    with pytest.raises(RawInputError, match=r"customers\.csv lacks the required column 'created_at'"):
        export_raw_tables(raw, tmp_path / "out", "csv")
    (raw / "customers.csv").unlink()
    with pytest.raises(RawInputError, match="Raw table 'customers' is required but no file was found"):
        export_raw_tables(raw, tmp_path / "out", "csv")


def test_raw_loader_reads_as_the_duckdb_build_and_keeps_nulls_apart(tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    raw.mkdir()
    for path in DEFAULT_RAW_DIR.glob("*.csv"):
        (raw / path.name).write_bytes(path.read_bytes())
    (raw / "customers.csv").unlink()
    (raw / "usage_snapshots.csv").unlink()  # an optional table: loads empty
    with duckdb.connect() as connection:  # Parquet: typed columns, an empty text and a null
        connection.execute(
            "copy (select * from (values ('c1', 'Acme, \"Inc\"', timestamp '2024-01-01 10:00:00', 12, 'x'),"
            " ('c2', '', timestamp '2024-01-02 00:00:00', null, 'y'))"
            " as t(customer_id, customer_name, created_at, employee_count, extra))"
            f" to '{raw / 'customers.parquet'}' (format parquet)"
        )
    exported = {table.name: value for table, value in export_raw_tables(raw, tmp_path / "out", "csv").items()}
    customers, rows = exported["customers"]
    assert rows == 2
    # Contract order (customer_id, customer_name, created_at, country, industry, employee_count), extra
    # columns dropped, typed values as DuckDB's text. PostgreSQL's COPY (format csv) reads an unquoted
    # empty field as null and "" as empty text.
    assert customers.read_text().splitlines() == [
        'c1,"Acme, ""Inc""",2024-01-01 10:00:00,,,12',
        'c2,"",2024-01-02 00:00:00,,,',
    ]
    assert exported["usage_snapshots"][1] == 0


def test_missing_postgres_fails_with_what_to_install(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(pytest.fail.Exception, match="PostgreSQL server binaries .* were not found"):
        postgres_binaries(lib_root=tmp_path)
    with pytest.raises(pytest.fail.Exception, match="Spark needs Java"):
        require_java()
