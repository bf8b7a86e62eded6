"""Read the contract's landing folder into string-typed DataFrames (no cleaning here)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from orchestration import landing

# Contract v1: table -> (required?, {column: required?}), from the dbt sources file (orchestration.landing).
TABLES: dict[str, tuple[bool, dict[str, bool]]] = {
    table.name: (table.required, {column.name: column.required for column in table.columns})
    for table in landing.raw_contract()
}


class RawInputError(ValueError):
    """A landing file is unreadable, missing, or lacks a required column."""


def _to_str_frame(df: pd.DataFrame) -> pd.DataFrame:
    """Every column as strings (missing = NaN), stripped; empty strings become missing."""
    out = {}
    for col in df.columns:
        s = df[col]
        if isinstance(s.dtype, pd.DatetimeTZDtype):
            s = s.dt.tz_convert("UTC")
        s = s.astype("str")
        s = s.str.strip()
        out[col] = s.mask(s == "")
    return pd.DataFrame(out, index=df.index)


def _read_one(path: Path) -> pd.DataFrame:
    try:
        if landing.is_csv(path):
            df = pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""], encoding="utf-8")
        else:
            df = pd.read_parquet(path)
    except Exception as exc:  # noqa: BLE001 - re-raised with the file name
        raise RawInputError(f"{path}: unreadable ({exc})") from exc
    df.columns = [str(c).strip().lower() for c in df.columns]  # as DuckDB: names are case-insensitive
    return _to_str_frame(df)


def table_files(raw_dir: Path, table: str) -> list[Path]:
    """The files of one table, by the landing folder's one discovery rule (orchestration.landing)."""
    return landing.table_files(raw_dir, table)


def load_raw(raw_dir: Path | str) -> dict[str, pd.DataFrame]:
    """Read every contract table of the landing folder as string columns.

    Missing optional tables become empty frames with the contract's columns; a missing
    required table or required column raises RawInputError naming the file and column.
    Extra columns are dropped; missing optional columns are added as all-missing.
    """
    raw_dir = Path(raw_dir)
    result: dict[str, pd.DataFrame] = {}
    for table, (table_required, columns) in TABLES.items():
        files = table_files(raw_dir, table)
        if not files:
            if table_required:
                raise RawInputError(f"{raw_dir / table}.csv: required table '{table}' not found")
            result[table] = pd.DataFrame({c: pd.Series(dtype="str") for c in columns})
            continue
        parts = []
        for f in files:
            df = _read_one(f)
            for col, col_required in columns.items():
                if col not in df.columns:
                    if col_required:
                        raise RawInputError(f"{f}: required column '{col}' missing")
                    df[col] = pd.Series(pd.NA, index=df.index, dtype="str")
            parts.append(df[list(columns)])
        result[table] = (
            pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0].reset_index(drop=True)
        )
    return result
