"""``generate_company``: write a synthetic company in the raw contract's landing-folder layout."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from . import badrows
from .catalog import CURRENCIES, build_catalog, plan_limits_rows, plans_rows, products_rows
from .simulate import DAY, BlockSim, Calendar, build_calendar
from .tables import (
    LARGE_TABLES,
    SCHEMAS,
    TABLES,
    customers_table,
    date_array,
    decimal_array,
    events_table,
    otc_table,
    snapshots_table,
    take_str,
    to_csv_strings,
    usage_table,
)

BLOCK_SIZE = 50_000  # fixed: the output depends on it, so it is not a parameter
SNAPSHOT_MONTHS = 12  # usage_snapshots cover the last 12 months (one snapshot per month-end)
FX_START = {"USD": 1.0, "EUR": 1.08, "GBP": 1.26}
FX_DAILY_VOL = 0.0035
MAX_CUSTOMERS = 9_999_999  # customer ids are C + 7 digits


def fx_table(seed: int, cal: Calendar) -> pa.Table:
    """Daily rates from 7 days before the start to the end: a seeded geometric random walk (USD = 1)."""
    rng = np.random.default_rng([seed, 0x5EED_F0])
    days = np.arange(cal.start_day - 7, cal.end_day + 1, dtype=np.int64)
    cols_day, cols_cur, cols_rate = [], [], []
    for i, cur in enumerate(CURRENCIES):
        steps = rng.normal(0.0, FX_DAILY_VOL, size=len(days))
        steps[0] = 0.0
        rate = FX_START[cur] * np.exp(np.cumsum(steps)) if cur != "USD" else np.ones(len(days))
        cols_day.append(days)
        cols_cur.append(np.full(len(days), i))
        cols_rate.append(np.round(rate * 1_000_000).astype(np.int64))
    day, cur_idx, rate = (np.concatenate(c) for c in (cols_day, cols_cur, cols_rate))
    order = np.lexsort((cur_idx, day))
    return pa.table(
        {
            "rate_date": date_array(day[order]),
            "currency": take_str(CURRENCIES, cur_idx[order]),
            "rate_to_reporting": decimal_array(rate[order], scale=6),
        },
        schema=SCHEMAS["fx_rates"],
    )


class _Writer:
    """CSV: one ``<table>.csv`` per table (blocks appended). Parquet: small tables one file, large tables a
    folder of ``part-NNNNN.parquet`` files, one per block."""

    def __init__(self, out_dir: Path, fmt: str):
        self.out_dir, self.fmt = out_dir, fmt
        self.csv: dict[str, pacsv.CSVWriter] = {}
        self.files: list = []
        self.counts: dict[str, int] = dict.fromkeys(TABLES, 0)

    def write(self, name: str, table: pa.Table, part: int | None = None) -> None:
        self.counts[name] += table.num_rows
        if self.fmt == "parquet":
            if part is None:
                path = self.out_dir / f"{name}.parquet"
            else:
                (self.out_dir / name).mkdir(exist_ok=True)
                path = self.out_dir / name / f"part-{part:05d}.parquet"
            pq.write_table(table, path, compression="zstd")
            return
        table = to_csv_strings(table)
        if name not in self.csv:
            # the header is written by hand: Arrow would quote it
            sink = open(self.out_dir / f"{name}.csv", "wb")  # noqa: SIM115 - closed in close()
            sink.write((",".join(table.column_names) + "\n").encode())
            opts = pacsv.WriteOptions(include_header=False, quoting_style="none")
            self.files.append(sink)
            self.csv[name] = pacsv.CSVWriter(sink, table.schema, write_options=opts)
        self.csv[name].write_table(table)

    def close(self) -> None:
        for w in self.csv.values():
            w.close()
        for f in self.files:
            f.close()


def print_table_counts(counts: dict[str, int], count_width: int) -> None:
    """The command-line report of rows written: one line per table, its name and its row count."""
    for name, rows in counts.items():
        print(f"{name:<22}{rows:>{count_width},}")


def _clear(out_dir: Path) -> None:
    for name in TABLES:
        for p in (out_dir / f"{name}.csv", out_dir / f"{name}.parquet"):
            p.unlink(missing_ok=True)
        if (out_dir / name).is_dir():
            shutil.rmtree(out_dir / name)


def generate_company(
    out_dir: Path,
    customers: int,
    seed: int = 42,
    fmt: str = "csv",
    start: date = date(2023, 11, 1),
    end: date = date(2026, 10, 31),
    bad_rows: bool = True,
) -> dict[str, int]:
    """Write a synthetic B2B SaaS company (all 9 contract tables) to ``out_dir``; return rows per table.

    Deterministic: the same arguments give byte-identical files. Customers are simulated in fixed
    blocks of ``BLOCK_SIZE`` with one random stream per block, so memory stays bounded.
    """
    if fmt not in ("csv", "parquet"):
        raise ValueError(f"fmt must be 'csv' or 'parquet', not {fmt!r}")
    if not 1 <= customers <= MAX_CUSTOMERS:
        raise ValueError(f"customers must be between 1 and {MAX_CUSTOMERS}")
    if (end - start).days < 180:
        raise ValueError("the date range must span at least 180 days")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    _clear(out_dir)
    cat = build_catalog()
    cal = build_calendar(start, end)
    plant = bad_rows and customers >= badrows.MIN_CUSTOMERS
    writer = _Writer(out_dir, fmt)
    try:
        writer.write("products", pa.Table.from_pylist(products_rows(), schema=SCHEMAS["products"]))
        plans = pa.Table.from_pylist(plans_rows(cat), schema=SCHEMAS["plans"])
        writer.write(
            "plan_limits", pa.Table.from_pylist(plan_limits_rows(cat), schema=SCHEMAS["plan_limits"])
        )
        writer.write("fx_rates", fx_table(seed, cal))
        bad: dict = {}
        for block, offset in enumerate(range(0, customers, BLOCK_SIZE)):
            n = min(BLOCK_SIZE, customers - offset)
            sim = BlockSim(np.random.default_rng([seed, block]), n, cat, cal, SNAPSHOT_MONTHS)
            sim.run()
            tables = {
                "customers": customers_table(sim, np.arange(offset + 1, offset + n + 1)),
                "subscription_events": events_table(sim, cat, offset),
                "usage_charges": usage_table(sim, cat, offset),
                "one_time_charges": otc_table(sim, offset),
                "usage_snapshots": snapshots_table(sim, offset),
            }
            if plant and block == 0:
                bad = badrows.planted_rows(
                    tables["subscription_events"],
                    int(sim.signup_t[0]),
                    cal.start_day * DAY,
                    cal.end_day * DAY,
                )
                for name, rows in bad.items():
                    if name in tables:
                        tables[name] = badrows.append_bad(name, tables[name], rows, fmt)
            for name in LARGE_TABLES:
                writer.write(name, tables[name], part=block if fmt == "parquet" else None)
            del sim, tables
        if plant:
            plans = badrows.append_bad("plans", plans, bad["plans"], fmt)
        writer.write("plans", plans)
    finally:
        writer.close()
    return {name: writer.counts[name] for name in TABLES}
