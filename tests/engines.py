"""Other engines in tests: a throwaway PostgreSQL server, builds on PostgreSQL and Spark, and reading their
marts back as plain Python values so that every row can be compared with the DuckDB build."""

from __future__ import annotations

import csv
import datetime as dt
import json
import os
import pwd
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from orchestration.comparisons import mart_table_names
from orchestration.engines.postgres import PostgresConnection, load_raw_into_postgres
from orchestration.engines.raw_loader import export_raw_tables
from orchestration.engines.spark import spark_environment
from orchestration.landing import raw_schema_tables, source_tables
from orchestration.project import dbt_executable
from orchestration.settings import DBT_PROJECT_DIR, REPO_ROOT

BUILDER_ROLE = "saas_builder"
BI_ROLE = "saas_bi_reader"
DATABASE = "saas_warehouse"
# Columns that hold when a build ran, not a figure: equal only by accident across two builds.
BUILD_TIME_COLUMNS = {"loaded_at"}
ENGINE_SETUP_HINT = "Install them with `bash scripts/install_engines.sh` (postgresql, openjdk-17-jre)."


def postgres_binaries(lib_root: Path = Path("/usr/lib/postgresql")) -> Path:
    """The folder with initdb and pg_ctl: PATH, else Debian's /usr/lib/postgresql/<version>/bin."""
    initdb = shutil.which("initdb")
    if initdb:
        return Path(initdb).resolve().parent
    candidates = sorted(lib_root.glob("*/bin/initdb"), reverse=True)
    if not candidates:
        pytest.fail(f"PostgreSQL server binaries (initdb, pg_ctl) were not found. {ENGINE_SETUP_HINT}")
    return candidates[0].parent


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class PostgresServer:
    """A PostgreSQL server on 127.0.0.1 with a throwaway data folder, stopped at the end of the session."""

    data_dir: Path
    port: int
    run_as: str | None

    def _run(self, *args: str) -> subprocess.CompletedProcess[str]:
        command = [str(postgres_binaries() / args[0]), *args[1:]]
        if self.run_as:  # initdb and postgres refuse to run as root
            command = ["runuser", "-u", self.run_as, "--", *command]
        return subprocess.run(command, capture_output=True, text=True, check=False)

    def start(self) -> None:
        self.data_dir.mkdir(parents=True)
        if self.run_as:
            shutil.chown(self.data_dir.parent, user=self.run_as)
            shutil.chown(self.data_dir, user=self.run_as)
        steps = [
            ("initdb", "-D", str(self.data_dir), "-A", "trust", "-U", "postgres", "-E", "UTF8", "--no-sync"),
            (
                "pg_ctl",
                "-D",
                str(self.data_dir),
                "-l",
                str(self.data_dir / "server.log"),
                "-w",
                "start",
                "-o",
                f"-h 127.0.0.1 -p {self.port} -k {self.data_dir} -F -c TimeZone=UTC",
            ),
        ]
        for step in steps:
            completed = self._run(*step)
            if completed.returncode != 0:
                pytest.fail(f"PostgreSQL {step[0]} failed:\n{completed.stdout}\n{completed.stderr}")
        self.admin_sql(
            f"create role {BUILDER_ROLE} login",
            f"create role {BI_ROLE} login",
            f"create database {DATABASE} owner {BUILDER_ROLE}",
            # The BI role may connect; what it may read is granted by the dbt build (marts only).
            f"revoke all on database {DATABASE} from public",
            f"grant connect on database {DATABASE} to {BUILDER_ROLE}, {BI_ROLE}",
        )

    def stop(self) -> None:
        self._run("pg_ctl", "-D", str(self.data_dir), "-m", "immediate", "stop")
        shutil.rmtree(self.data_dir.parent, ignore_errors=True)

    def admin_sql(self, *statements: str, database: str = "postgres") -> None:
        import psycopg2

        connection = psycopg2.connect(host="127.0.0.1", port=self.port, user="postgres", dbname=database)
        connection.autocommit = True
        with connection.cursor() as cursor:
            for statement in statements:
                cursor.execute(statement)
        connection.close()

    def connection(self, user: str = BUILDER_ROLE) -> PostgresConnection:
        return PostgresConnection(host="127.0.0.1", port=self.port, user=user, dbname=DATABASE)

    def env(self) -> dict[str, str]:
        return {
            "SAAS_DBT_TARGET": "postgres",
            "SAAS_PG_HOST": "127.0.0.1",
            "SAAS_PG_PORT": str(self.port),
            "SAAS_PG_USER": BUILDER_ROLE,
            "SAAS_PG_DATABASE": DATABASE,
            "SAAS_BI_ROLE": BI_ROLE,
        }


def start_postgres() -> PostgresServer:
    """A new server in its own folder under the system temp folder (pytest's folders are private to root,
    and the server refuses to run as root: it runs as the `postgres` user then)."""
    run_as = None
    if os.geteuid() == 0:
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            pytest.fail(
                f"Running as root and there is no 'postgres' user to run the server as. {ENGINE_SETUP_HINT}"
            )
        run_as = "postgres"
    folder = Path(tempfile.mkdtemp(prefix="saas-warehouse-postgres-"))
    server = PostgresServer(data_dir=folder / "data", port=free_port(), run_as=run_as)
    server.start()
    return server


def require_java() -> None:
    java = shutil.which("java")
    completed = subprocess.run([java, "-version"], capture_output=True, text=True) if java else None
    if completed is None or completed.returncode != 0:
        pytest.fail(
            f"Spark needs Java (17 or newer) and `java` was not found or does not run. {ENGINE_SETUP_HINT}"
        )


def dbt_build_on(
    target_env: dict[str, str],
    raw_dir: Path,
    as_of: str,
    scratch: Path,
    dbt_vars: dict[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:
    """`dbt build` (every model, data test and unit test) on another engine, with these --vars (none: the
    project's defaults); fails the test on error."""
    env = {**os.environ, **target_env, "SAAS_RAW_DIR": str(raw_dir), "SAAS_AS_OF": as_of}
    completed = subprocess.run(
        [
            dbt_executable(),
            "build",
            "--project-dir",
            str(DBT_PROJECT_DIR),
            "--profiles-dir",
            str(DBT_PROJECT_DIR),
            "--target",
            target_env["SAAS_DBT_TARGET"],
            "--no-use-colors",
            "--target-path",
            str(scratch / "target"),
            *(["--vars", json.dumps(dbt_vars)] if dbt_vars else []),
        ],
        cwd=DBT_PROJECT_DIR,
        capture_output=True,
        text=True,
        env=env,
    )
    if completed.returncode != 0:
        raise AssertionError(
            f"dbt build on {target_env['SAAS_DBT_TARGET']} failed:\n{completed.stdout[-8000:]}"
        )
    return completed


Tables = dict[str, tuple[list[str], list[tuple]]]  # "schema.table" -> column names, rows as Python values


@dataclass
class EngineBuild:
    """One engine's build of one landing folder: how long `dbt build` took and the tables read back."""

    engine: str
    seconds: float
    tables: Tables

    def marts(self) -> Tables:
        return {
            name.split(".", 1)[1]: comparable_rows(columns, rows)
            for name, (columns, rows) in self.tables.items()
            if name.startswith("marts.")
        }

    def mirror(self, reference: Path, path: Path) -> Path:
        """A DuckDB file with this engine's tables, typed as in the reference DuckDB build, so that tests
        written against a DuckDB build run unchanged on another engine's figures."""
        with duckdb.connect(str(path)) as connection:
            connection.execute(f"attach '{reference}' as reference (read_only)")
            for name, (columns, rows) in self.tables.items():
                schema = name.split(".", 1)[0]
                connection.execute(f"create schema if not exists {schema}")
                connection.execute(f"create table {name} as select * from reference.{name} where false")
                if rows:
                    placeholders = ", ".join("?" for _ in columns)
                    connection.executemany(
                        f"insert into {name} ({', '.join(columns)}) values ({placeholders})",
                        [[naive_utc(value) for value in row] for row in rows],
                    )
        return path


def naive_utc(value: object) -> object:
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        return value.astimezone(dt.UTC).replace(tzinfo=None)
    return value


def build_on_postgres(
    server: PostgresServer,
    raw_dir: Path,
    as_of: str,
    scratch: Path,
    schemas: tuple[str, ...] = ("marts",),
    stripe_schema: str | None = None,
) -> EngineBuild:
    """From an empty database: load raw, `dbt build`, read the tables of these schemas back.
    stripe_schema: raw_dir holds Fivetran's Stripe tables; they are loaded into this schema as the connector
    would (load_connector_schema), the contract tables the adapter does not derive (fx_rates) into raw
    (load-raw --source stripe), and dbt builds with --vars source: stripe and stripe_schema."""
    server.admin_sql(
        f"drop owned by {BUILDER_ROLE} cascade",
        f"grant connect on database {DATABASE} to {BUILDER_ROLE}, {BI_ROLE}",
        database=DATABASE,
    )
    source = "contract" if stripe_schema is None else "stripe"
    if stripe_schema is not None:
        load_connector_schema(server, raw_dir, source_table_names(source), stripe_schema)
    load_raw_into_postgres(raw_dir, server.connection(), source=source)
    dbt_vars = None if stripe_schema is None else {"source": source, "stripe_schema": stripe_schema}
    started = time.monotonic()
    dbt_build_on(server.env(), raw_dir, as_of, scratch, dbt_vars)
    seconds = time.monotonic() - started
    return EngineBuild("postgres", seconds, read_postgres_tables(server.connection(), schemas))


def source_table_names(source: str) -> list[str]:
    """The tables of an adapter's own source (not the contract tables it reads in the raw schema)."""
    raw_names = {table.name for table in raw_schema_tables(source)}
    return [table.name for table in source_tables(source) if table.name not in raw_names]


def load_connector_schema(
    server: PostgresServer, folder: Path, tables: list[str], schema: str
) -> dict[str, int]:
    """As a connector such as Fivetran would: schema `schema` (replaced) owned by the administrator, one
    table per `<table>.csv` of these tables in the folder, with the file's own columns (an absent optional
    column is absent, not null), every value as text (a hand-made fixture holds values a typed column would
    refuse); the builder may read it (USAGE and SELECT, as the README tells the administrator to grant).
    Returns rows per table."""
    import psycopg2

    loaded: dict[str, int] = {}
    connection = psycopg2.connect(host="127.0.0.1", port=server.port, user="postgres", dbname=DATABASE)
    with connection, connection.cursor() as cursor:
        cursor.execute(f"drop schema if exists {schema} cascade")
        cursor.execute(f"create schema {schema}")
        for table in tables:
            path = folder / f"{table}.csv"
            if not path.exists():
                continue
            with path.open(encoding="utf-8", newline="") as rows:
                header = next(csv.reader(rows))
                columns = ", ".join(f'"{name}" text' for name in header)
                cursor.execute(f"create table {schema}.{table} ({columns})")
                rows.seek(0)
                cursor.copy_expert(f"copy {schema}.{table} from stdin with (format csv, header true)", rows)
            loaded[table] = cursor.rowcount
        cursor.execute(f"grant usage on schema {schema} to {BUILDER_ROLE}")
        cursor.execute(f"grant select on all tables in schema {schema} to {BUILDER_ROLE}")
    connection.close()
    return loaded


def spark_env(spark_dir: Path) -> dict[str, str]:
    return spark_environment({**os.environ, "SAAS_SPARK_DIR": str(spark_dir)})


# Small tables: parallel dbt nodes, and no per-query Java code generation or adaptive re-planning (each
# costs more than it saves on a few hundred rows). The results are the same; the build takes about half.
SPARK_TEST_SETTINGS = {
    "SAAS_SPARK_THREADS": "4",
    "SAAS_SPARK_WHOLE_STAGE_CODEGEN": "false",
    "SAAS_SPARK_ADAPTIVE": "false",
    "SAAS_SPARK_SHUFFLE_PARTITIONS": "1",
}


def build_on_spark(
    spark_dir: Path, raw_dir: Path, as_of: str, scratch: Path, schemas: tuple[str, ...] = ("marts",)
) -> EngineBuild:
    """Into a new local Spark warehouse: the raw files as text Parquet, then (tests/spark_build.py, one
    process and one Spark session) register them, `dbt build`, export the tables of these schemas as
    Parquet; read back with DuckDB (the metastore is a Derby database only one JVM may open at a time)."""
    env = {**spark_env(spark_dir), **SPARK_TEST_SETTINGS, "SAAS_RAW_DIR": str(raw_dir), "SAAS_AS_OF": as_of}
    exported = export_raw_tables(raw_dir, spark_dir / "raw_files", "parquet")
    request = scratch / "spark-build.json"
    export_dir = spark_dir / "export"
    request.write_text(
        json.dumps(
            {
                "locations": {table.name: str(path.parent) for table, (path, _rows) in exported.items()},
                "schemas": list(schemas),
                "export_dir": str(export_dir),
                "target_path": str(scratch / "target"),
            }
        ),
        encoding="utf-8",
    )
    completed = subprocess.run(
        [sys.executable, "-m", "tests.spark_build", str(request)],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        env=env,
    )
    if completed.returncode != 0:
        raise AssertionError(
            f"the Spark build failed:\n{completed.stdout[-8000:]}\n{completed.stderr[-3000:]}"
        )
    seconds = float(completed.stdout.strip().splitlines()[-1])
    return EngineBuild("spark", seconds, read_parquet_tables(export_dir))


# --- reading tables back as comparable Python values ---------------------------------------------------


def read_postgres_tables(connection: PostgresConnection, schemas: tuple[str, ...]) -> Tables:
    database = connection.connect()
    tables: Tables = {}
    with database.cursor() as cursor:
        cursor.execute(
            "select table_schema || '.' || table_name from information_schema.tables "
            "where table_schema = any(%s) order by 1",
            (list(schemas),),
        )
        for (name,) in cursor.fetchall():
            cursor.execute(f"select * from {name}")
            tables[name] = ([column[0] for column in cursor.description], cursor.fetchall())
    database.close()
    return tables


def read_parquet_tables(export_dir: Path) -> Tables:
    tables: Tables = {}
    with duckdb.connect() as connection:
        for folder in sorted(export_dir.glob("*/*")):
            cursor = connection.execute(f"select * from read_parquet('{folder}/*.parquet')")
            tables[f"{folder.parent.name}.{folder.name}"] = (
                [column[0] for column in cursor.description],
                cursor.fetchall(),
            )
    return tables


def read_duckdb_marts(build_path: Path) -> Tables:
    with duckdb.connect(str(build_path), read_only=True) as connection:
        names = mart_table_names(connection)
        marts = {}
        for name in names:
            cursor = connection.execute(f"select * from marts.{name}")
            marts[name] = comparable_rows([column[0] for column in cursor.description], cursor.fetchall())
    return marts


def normalised(value: object) -> tuple[str, object] | None:
    """One spelling per value across engines, tagged with its kind (so that a date turned into text, or a
    boolean into 1, is a difference): numbers as exact Decimal without trailing zeros, dates and UTC
    timestamps as ISO text. A float would be a defect (money is decimal) and keeps its own kind."""
    if value is None:
        return None
    if isinstance(value, bool):
        return ("boolean", value)
    if isinstance(value, int | Decimal):
        number = Decimal(value)
        return ("number", number.normalize() if number != 0 else Decimal(0))
    if isinstance(value, dt.datetime):
        return ("timestamp", naive_utc(value).isoformat(sep=" "))
    if isinstance(value, dt.date):
        return ("date", value.isoformat())
    return (type(value).__name__, value)


def comparable_rows(columns: list[str], rows: list[tuple]) -> tuple[list[str], list[tuple]]:
    """Rows without build-time columns, values normalised, in a fixed order."""
    keep = [index for index, name in enumerate(columns) if name not in BUILD_TIME_COLUMNS]
    names = [columns[index] for index in keep]
    values = [tuple(normalised(row[index]) for index in keep) for row in rows]
    return names, sorted(values, key=lambda row: tuple((item is None, str(item)) for item in row))


def assert_same_marts(reference: Path, build: EngineBuild) -> None:
    """Every mart of another engine's build equals the DuckDB build's (reference), row for row."""
    expected = read_duckdb_marts(reference)
    assert len(expected) >= 14, f"the DuckDB build has only {sorted(expected)}"
    problems = mart_differences(expected, build.marts())
    assert not problems, f"{build.engine} differs from DuckDB:\n" + "\n".join(problems)


def mart_differences(reference: Tables, other: Tables) -> list[str]:
    """Every difference between two engines' marts: missing marts, columns, and differing rows (the first
    three of each side)."""
    problems = []
    for name, (columns, rows) in reference.items():
        if name not in other:
            problems.append(f"{name}: missing")
            continue
        other_columns, other_rows = other[name]
        if other_columns != columns:
            problems.append(f"{name}: columns {other_columns} instead of {columns}")
            continue
        if other_rows != rows:
            reference_set, other_set = set(rows), set(other_rows)
            only_reference = [row for row in rows if row not in other_set]
            only_other = [row for row in other_rows if row not in reference_set]
            problems.append(
                f"{name}: {len(other_rows)} rows vs {len(rows)}; only in DuckDB {only_reference[:3]}, "
                f"only in the other engine {only_other[:3]}"
            )
    problems += [f"{name}: not built by DuckDB" for name in other if name not in reference]
    return problems
