"""Read the contract's landing folder into string-typed DataFrames (no cleaning here)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

# Contract v1: table -> (required?, {column: required?})
TABLES: dict[str, tuple[bool, dict[str, bool]]] = {
    "customers": (
        True,
        {
            "customer_id": True,
            "customer_name": False,
            "created_at": True,
            "country": False,
            "industry": False,
            "employee_count": False,
        },
    ),
    "products": (
        True,
        {"product_id": True, "product_name": True, "product_type": True, "base_product_id": False},
    ),
    "plans": (
        True,
        {
            "plan_id": True,
            "product_id": True,
            "plan_name": True,
            "tier_rank": True,
            "pricing_model": True,
            "billing_interval": True,
            "billing_interval_count": False,
            "list_price": True,
            "currency": True,
        },
    ),
    "plan_limits": (
        False,
        {"plan_id": True, "metric": True, "limit_value": True, "per_unit_limit": False},
    ),
    "subscription_events": (
        True,
        {
            "event_id": True,
            "occurred_at": True,
            "recorded_at": False,
            "customer_id": True,
            "subscription_id": True,
            "item_id": True,
            "event_type": True,
            "plan_id": True,
            "quantity": False,
            "unit_price": False,
            "currency": False,
            "discount_percent": False,
            "is_trial": False,
        },
    ),
    "usage_charges": (
        False,
        {
            "charge_id": True,
            "customer_id": True,
            "item_id": False,
            "plan_id": True,
            "period_start": True,
            "period_end": True,
            "usage_quantity": False,
            "amount": True,
            "currency": True,
        },
    ),
    "one_time_charges": (
        False,
        {
            "charge_id": True,
            "customer_id": True,
            "charged_at": True,
            "amount": True,
            "currency": True,
            "category": False,
        },
    ),
    "fx_rates": (False, {"rate_date": True, "currency": True, "rate_to_reporting": True}),
    "usage_snapshots": (
        False,
        {"customer_id": True, "product_id": True, "snapshot_date": True, "metric": True, "value": True},
    ),
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
        if path.suffix == ".csv":
            df = pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""], encoding="utf-8")
        else:
            df = pd.read_parquet(path)
    except Exception as exc:  # noqa: BLE001 - re-raised with the file name
        raise RawInputError(f"{path}: unreadable ({exc})") from exc
    df.columns = [str(c).strip() for c in df.columns]
    return _to_str_frame(df)


def table_files(raw_dir: Path, table: str) -> list[Path]:
    """The files of one table: `<table>.csv|parquet` and/or `<table>/*.csv|parquet` (sorted)."""
    files = [raw_dir / f"{table}.{ext}" for ext in ("csv", "parquet")]
    files = [f for f in files if f.is_file()]
    folder = raw_dir / table
    if folder.is_dir():
        files += sorted(p for p in folder.iterdir() if p.suffix in (".csv", ".parquet") and p.is_file())
    return files


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
