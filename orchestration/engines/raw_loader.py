"""Load the landing folder into a `raw` schema, for engines that do not read files in place.

DuckDB reads the raw files where they land (macro `read_raw`). PostgreSQL and Spark read the raw tables
from a schema instead, as a warehouse fed by Fivetran, Airbyte or COPY would. This loader fills that schema
from the same files with the same reading rules as the DuckDB build, so that every engine types the same
text:
  - a table is `<table>.csv`, `<table>.parquet` or a folder `<table>/` of .csv or .parquet files, extensions
    in any letter case (orchestration.landing, the one discovery rule);
  - every value is text (a typed Parquet column is cast to text by DuckDB, exactly as the DuckDB build does);
  - a required table without a file, or a file without a required column, is an error naming the file
    and the column; a missing optional table loads empty, a missing optional column loads as null;
  - only the contract's columns are loaded (extra columns are ignored), in the contract's order.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from orchestration.landing import (
    RawTable,
    expected_files,
    files_reader_sql,
    is_csv,
    raw_schema_tables,
    table_files,
)


class RawInputError(ValueError):
    """The landing folder does not meet the raw contract (missing file, missing required column)."""


def raw_table_as_text(connection: duckdb.DuckDBPyConnection, raw_dir: Path, table: RawTable) -> str:
    """A DuckDB query giving the table's contract columns as text, after checking the contract."""
    files = table_files(raw_dir, table.name)
    if not files:
        if table.required:
            raise RawInputError(
                f"Raw table '{table.name}' is required but no file was found in the landing folder {raw_dir} "
                f"(expected {expected_files(table.name)}). Set SAAS_RAW_DIR to your landing folder."
            )
        columns = ", ".join(f"cast(null as varchar) as {name}" for name in table.column_names)
        return f"select {columns} where false"
    if len({is_csv(path) for path in files}) > 1:
        raise RawInputError(
            f"Raw table '{table.name}' mixes CSV and Parquet files in {raw_dir}: use one format per table."
        )
    present: set[str] = set()
    for path in files:
        file_columns = [
            row[0].lower()
            for row in connection.execute(f"describe select * from {files_reader_sql([path])}").fetchall()
        ]
        for column in table.columns:
            if column.required and column.name not in file_columns:
                raise RawInputError(
                    f"Raw file {path} lacks the required column '{column.name}' of table '{table.name}' "
                    f"(it has: {', '.join(file_columns)})."
                )
        present.update(file_columns)
    selected = ", ".join(
        f'cast("{name}" as varchar) as {name}' if name in present else f"cast(null as varchar) as {name}"
        for name in table.column_names
    )
    return f"select {selected} from {files_reader_sql(files)}"


def export_raw_tables(
    raw_dir: Path, target_dir: Path, file_format: str, source: str = "contract"
) -> dict[RawTable, tuple[Path, int]]:
    """Every raw table of the source (raw_schema_tables: the contract's; for stripe, the contract tables the
    adapter does not derive) checked and written as text to target_dir, with its row count: `csv`
    (headerless; null = an empty field, empty text = "", as PostgreSQL's COPY reads it) or `parquet`
    (target_dir/<table>/part-0.parquet)."""
    written: dict[RawTable, tuple[Path, int]] = {}
    with duckdb.connect() as connection:
        for table in raw_schema_tables(source):
            query = raw_table_as_text(connection, raw_dir, table)
            if file_format == "csv":
                path = target_dir / f"{table.name}.csv"
                options = "header false"
            else:
                path = target_dir / table.name / "part-0.parquet"
                options = "format parquet"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.unlink(missing_ok=True)
            quoted_path = str(path).replace("'", "''")
            rows = connection.execute(f"copy ({query}) to '{quoted_path}' ({options})").fetchone()[0]
            written[table] = (path, int(rows))
    return written
