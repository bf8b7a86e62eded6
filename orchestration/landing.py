"""The landing folder: which files belong to which raw table, and the checks run before any dbt work.

This is THE discovery rule (DECISIONS.md D-32); every reader follows it: the dbt macro `raw_file_paths`
(tests/test_landing.py proves SQL and Python find the same files), the pandas reference loader, the raw
loader of other engines and the sensor.
  - The raw tables and their columns are the dbt sources of `_sources.yml` (table and column meta
    `required`, table meta `key`); nothing here restates them.
  - A table's files are `<table>.<ext>` and `<table>/*.<ext>` with ext `csv` or `parquet` in any letter
    case; dotfiles are never read (macOS `._x.csv`, hidden partial uploads).
  - Anything else in the folder is listed by `ignored_files` so that the CLI can warn about it (a README
    and dotfiles excepted).
  - Rows are counted here with Python's csv module and Parquet metadata, independently of the DuckDB and
    pandas parsers, so that a file a parser reads partly (a concatenated export) breaks the reconciliation.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path

import pyarrow.parquet as pq
import yaml

from orchestration.settings import DBT_PROJECT_DIR

SOURCES_FILE = DBT_PROJECT_DIR / "models" / "staging" / "_sources.yml"
SOURCE_NAME = "billing"
# The adapters' own tables (docs/adapters.md), declared like the contract's in their sources YAML.
ADAPTER_SOURCES_FILES = {
    "stripe": DBT_PROJECT_DIR / "models" / "adapters" / "stripe" / "_stripe__sources.yml",
    "periods": DBT_PROJECT_DIR / "models" / "adapters" / "periods" / "_periods__sources.yml",
}
# The contract's tables an adapter derives (the dbt macro adapter_derived_tables); the others are read from
# the landing folder in the contract's format whatever the source. The periods adapter also reads the
# contract's customers table, when present.
ADAPTER_DERIVED_TABLES = (
    "customers",
    "products",
    "plans",
    "subscription_events",
    "usage_charges",
    "one_time_charges",
)
ADAPTER_CONTRACT_INPUTS = {"stripe": (), "periods": ("customers",)}
# Adapters whose own tables PostgreSQL and Spark read in place from the connector's schema (var
# stripe_schema), not from the raw schema; the periods table is read from the raw schema.
ADAPTERS_READ_IN_PLACE = ("stripe",)
RAW_EXTENSIONS = ("csv", "parquet")
HASH_CHUNK_BYTES = 1024 * 1024
# How the DuckDB build reads a CSV file (macro raw_file_reader; the raw loader uses this constant):
# nothing may be skipped silently. skip = 0 stops the sniffer from dropping a leading block whose column
# count differs (a concatenated export then fails, naming the file); comment = '' stops it from dropping
# lines that start with '#'; strict_mode and no null padding make a row of another width an error.
CSV_READ_OPTIONS = (
    "header = true, all_varchar = true, delim = ',', quote = '\"', escape = '\"', skip = 0, comment = '', "
    "strict_mode = true, null_padding = false, ignore_errors = false, union_by_name = true, "
    "normalize_names = false"
)


@dataclass(frozen=True)
class RawColumn:
    name: str
    required: bool


@dataclass(frozen=True)
class RawTable:
    name: str
    required: bool
    columns: tuple[RawColumn, ...]
    key: tuple[str, ...]  # the columns that identify a row (meta key)
    read_as: str | None = None  # a legacy table read as this table when that is absent (meta read_as)
    one_of: tuple[str, ...] = ()  # at least one of these columns must exist (meta one_of_columns)

    @property
    def column_names(self) -> list[str]:
        return [column.name for column in self.columns]

    @property
    def required_columns(self) -> list[str]:
        return [column.name for column in self.columns if column.required]


def is_required(node: dict) -> bool:
    return bool((node.get("meta") or {}).get("required", False))


def parse_contract(document: dict, source_name: str = SOURCE_NAME) -> tuple[RawTable, ...]:
    """The tables of one source (default: the raw contract's `billing`) of a parsed sources YAML document."""
    source = next(item for item in document["sources"] if item["name"] == source_name)
    return tuple(
        RawTable(
            name=table["name"],
            required=is_required(table),
            columns=tuple(RawColumn(column["name"], is_required(column)) for column in table["columns"]),
            key=tuple((table.get("meta") or {}).get("key") or ()),
            read_as=(table.get("meta") or {}).get("read_as"),
            one_of=tuple((table.get("meta") or {}).get("one_of_columns") or ()),
        )
        for table in source["tables"]
    )


@lru_cache(maxsize=4)
def raw_contract(sources_file: Path = SOURCES_FILE) -> tuple[RawTable, ...]:
    """The raw tables and columns of the contract, as declared in the dbt sources file."""
    return parse_contract(yaml.safe_load(sources_file.read_text(encoding="utf-8")))


@lru_cache(maxsize=4)
def source_tables(source: str = "contract") -> tuple[RawTable, ...]:
    """The tables a build reads from the landing folder for a source: the contract's tables; for an adapter,
    its own tables, the contract tables it reads as they are (optional: periods' customers) and the contract
    tables it does not derive (fx_rates, plan_limits, usage_snapshots)."""
    if source == "contract":
        return raw_contract()
    document = yaml.safe_load(ADAPTER_SOURCES_FILES[source].read_text(encoding="utf-8"))
    inputs = ADAPTER_CONTRACT_INPUTS[source]
    contract = tuple(
        table if table.name not in inputs else replace(table, required=False)
        for table in raw_contract()
        if table.name not in ADAPTER_DERIVED_TABLES or table.name in inputs
    )
    return parse_contract(document, source) + contract


def raw_schema_tables(source: str = "contract") -> tuple[RawTable, ...]:
    """The tables an engine other than DuckDB reads from the raw schema for a source (what `saas-warehouse
    load-raw --source` loads): every table of source_tables, except the tables of an adapter read in place
    from its connector's own schema (Stripe: var stripe_schema, which Fivetran writes). For stripe these are
    the contract tables it does not derive (fx_rates, plan_limits, usage_snapshots)."""
    tables = source_tables(source)
    if source not in ADAPTERS_READ_IN_PLACE:
        return tables
    contract_names = {table.name for table in raw_contract()}
    return tuple(table for table in tables if table.name in contract_names)


def raw_table(table: str) -> RawTable:
    for candidate in raw_contract():
        if candidate.name == table:
            return candidate
    raise KeyError(f"No raw table named '{table}' in {SOURCES_FILE}")


def file_pattern(table: str) -> re.Pattern[str]:
    """The name of a file of `table` directly in the landing folder (the table name exact, the extension
    in any letter case)."""
    return re.compile(re.escape(table) + r"\.(?i:" + "|".join(RAW_EXTENSIONS) + r")")


def part_pattern() -> re.Pattern[str]:
    """The name of a file inside a table folder (any name, not a dotfile, a raw extension)."""
    return re.compile(r"[^.].*\.(" + "|".join(RAW_EXTENSIONS) + r")", re.IGNORECASE)


def is_silently_ignored(path: Path) -> bool:
    """Dotfiles and a README are not data and are not worth a warning."""
    return path.name.startswith(".") or path.name.split(".")[0].upper() == "README"


def table_files(raw_dir: Path, table: str) -> list[Path]:
    """The files of one raw table: `<table>.<ext>` and `<table>/*.<ext>` (ext csv or parquet in any
    letter case, no dotfiles), sorted."""
    raw_dir = Path(raw_dir)
    if not raw_dir.is_dir():
        return []
    top_level = file_pattern(table)
    files = [path for path in raw_dir.iterdir() if top_level.fullmatch(path.name) and path.is_file()]
    folder = raw_dir / table
    if folder.is_dir():
        part = part_pattern()
        files += [path for path in folder.iterdir() if part.fullmatch(path.name) and path.is_file()]
    return sorted(files, key=str)  # by path text, as DuckDB's `order by file`


def expected_files(table: str) -> str:
    """Where the files of a table are looked for, in words (for messages)."""
    return f"{table}.csv, {table}.parquet or a folder {table}/ of .csv or .parquet files"


def files_reader_sql(files: list[Path]) -> str:
    """The DuckDB table function reading one table's files as the build does (macro raw_file_reader): CSV
    with CSV_READ_OPTIONS (every value as text), Parquet as typed; both union_by_name."""
    file_list = ", ".join("'" + str(path).replace("'", "''") + "'" for path in files)
    if is_csv(files[0]):
        return f"read_csv([{file_list}], {CSV_READ_OPTIONS})"
    return f"read_parquet([{file_list}], union_by_name = true)"


def files_by_table(raw_dir: Path, source: str = "contract") -> dict[str, list[Path]]:
    """Every table the source reads with its files (empty list: no file)."""
    return {table.name: table_files(raw_dir, table.name) for table in source_tables(source)}


def ignored_files(raw_dir: Path, source: str = "contract") -> list[Path]:
    """What lies in the landing folder (top level and table folders) but belongs to no table: misspelt
    tables, compressed or other formats, sub-folders of a table folder. Dotfiles and a README excepted."""
    raw_dir = Path(raw_dir)
    if not raw_dir.is_dir():
        return []
    read = {path for files in files_by_table(raw_dir, source).values() for path in files}
    table_folders = {
        raw_dir / table.name for table in source_tables(source) if (raw_dir / table.name).is_dir()
    }
    candidates = [path for path in raw_dir.iterdir() if path not in table_folders]
    for folder in table_folders:
        candidates += list(folder.iterdir())
    return sorted(
        (path for path in candidates if path not in read and not is_silently_ignored(path)), key=str
    )


def is_csv(path: Path) -> bool:
    return path.suffix.lower() == ".csv"


def csv_records(path: Path) -> Iterator[list[str]]:
    """The non-blank records of a CSV file as Python's csv module reads them (a quoted line break stays
    inside its record)."""
    with path.open(encoding="utf-8-sig", errors="replace", newline="") as handle:
        for record in csv.reader(handle, delimiter=",", quotechar='"', doublequote=True, strict=False):
            if record:
                yield record


def count_file_rows(path: Path) -> int:
    """Data rows of one raw file: CSV records minus the header (a second header inside the file is a
    row), or the Parquet row count from the file's metadata."""
    if not is_csv(path):
        return int(pq.read_metadata(path).num_rows)
    try:
        records = sum(1 for _ in csv_records(path))
    except csv.Error as error:
        raise ValueError(f"{path}: cannot be read as CSV ({error}); re-export it as RFC 4180 CSV.") from error
    return max(records - 1, 0)


def count_raw_rows(raw_dir: Path, source: str = "contract") -> dict[str, int]:
    """Data rows per table the source reads (0 for a table without files), counted without the DuckDB and
    pandas parsers."""
    found = files_by_table(raw_dir, source)
    return {table: sum(count_file_rows(path) for path in files) for table, files in found.items()}


def file_digest(path: Path) -> str:
    """The MD5 of a file's content, read in 1 MiB chunks (the same value as DuckDB's md5(content) of
    read_blob, which build_landing_files stores). For change detection, not security."""
    digest = hashlib.md5(usedforsecurity=False)
    with Path(path).open("rb") as handle:
        while chunk := handle.read(HASH_CHUNK_BYTES):
            digest.update(chunk)
    return digest.hexdigest()


def file_columns(path: Path) -> list[str]:
    """The column names of a raw file, lower-case and stripped (CSV header or Parquet schema)."""
    header = next(csv_records(path), []) if is_csv(path) else list(pq.read_schema(path).names)
    return [name.strip().lower() for name in header]


def has_data_row(path: Path) -> bool:
    """Whether a raw file holds at least one data row (reads no further than the second record)."""
    if not is_csv(path):
        return int(pq.read_metadata(path).num_rows) > 0
    records = csv_records(path)
    next(records, None)
    return next(records, None) is not None


def file_problems(path: Path, table: RawTable) -> list[str]:
    """A raw file that cannot be read, or lacks a required column."""
    kind = "CSV" if is_csv(path) else "Parquet"
    try:
        columns = file_columns(path)
    except (OSError, ValueError, csv.Error) as error:  # pyarrow's errors are ValueErrors
        return [f"{path}: cannot be read as {kind} ({error}). Re-export the file for table '{table.name}'."]
    if not columns:
        return [f"{path}: empty file without a header row. Delete it or re-export table '{table.name}'."]
    problems = [
        f"{path} lacks the required column '{column}' of table '{table.name}' "
        f"(it has: {', '.join(columns)}). Add the column to the export or rename the column that holds it."
        for column in table.required_columns
        if column not in columns
    ]
    if table.one_of and not set(table.one_of) & set(columns):
        problems.append(
            f"{path} of table '{table.name}' lacks a column {' or '.join(table.one_of)} "
            f"(it has: {', '.join(columns)})."
        )
    return problems


def table_problems(raw_dir: Path, table: RawTable, files: list[Path]) -> list[str]:
    if not files:
        if not table.required:
            return []
        return [
            f"{raw_dir}: required table '{table.name}' has no file (expected {expected_files(table.name)}). "
            f"Export the table into the landing folder, or set SAAS_RAW_DIR to the right folder."
        ]
    if len({is_csv(path) for path in files}) > 1:
        return [
            f"{raw_dir}: table '{table.name}' mixes CSV and Parquet files "
            f"({', '.join(path.name for path in files)}). Use one format per table."
        ]
    problems = [problem for path in files for problem in file_problems(path, table)]
    if not problems and table.required and not any(has_data_row(path) for path in files):
        problems.append(
            f"{', '.join(str(path) for path in files)}: required table '{table.name}' holds no data row "
            f"(header only). Check the export: the warehouse would be empty."
        )
    return problems


def landing_problems(raw_dir: Path, source: str = "contract") -> list[str]:
    """The pre-flight checks of a landing folder, before any dbt work (headers and metadata only): each
    message names the file (and column) and says what to do. Empty: go ahead."""
    raw_dir = Path(raw_dir)
    if not raw_dir.exists():
        return [
            f"{raw_dir}: the landing folder does not exist. "
            "Set SAAS_RAW_DIR (or --raw-dir) to the folder of your raw files."
        ]
    if not raw_dir.is_dir():
        return [f"{raw_dir}: the landing folder is not a folder. Set SAAS_RAW_DIR (or --raw-dir) to one."]
    found = files_by_table(raw_dir, source)
    tables = source_tables(source)
    # a legacy table stands in for its successor when that has no file (Stripe's plan for price, ...)
    stand_ins = {table.read_as: table.name for table in tables if table.read_as}
    problems = []
    for table in tables:
        if table.read_as and found[table.read_as]:
            continue  # its successor is read: the legacy table is ignored
        if table.name in stand_ins and not found[table.name] and found[stand_ins[table.name]]:
            continue  # read through its legacy table
        problems += table_problems(raw_dir, table, found[table.name])
    return problems


def file_identity(path: Path) -> tuple[int, int, int, int]:
    """What changes whenever a file's content may have changed: size, modification time, inode, and the
    status-change time (ctime), which every write and every os.utime() moves and which no program can set
    back. A same-size edit with its modification time restored therefore changes the identity; so does a
    chmod, which costs one build that finds every file unchanged by content (build_landing_files)."""
    status = os.stat(path)
    return status.st_size, status.st_mtime_ns, status.st_ctime_ns, status.st_ino


def landing_folder_fingerprint(raw_dir: Path, source: str = "contract") -> str:
    """A hash of the identity of every file the build reads (the discovery rule above): the sensor's
    cursor, and the key under which a process keeps the reference implementation's tables."""
    entries = [
        (table, str(path.relative_to(raw_dir)), *file_identity(path))
        for table, files in sorted(files_by_table(raw_dir, source).items())
        for path in files
    ]
    return hashlib.sha256(json.dumps(entries).encode()).hexdigest()
