"""``python -m company_generator --customers N --out DIR [--seed S] [--format csv|parquet]``."""

from __future__ import annotations

import argparse
import sys
import time
from datetime import date
from pathlib import Path

from .core import generate_company, print_table_counts


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m company_generator",
        description="Write a synthetic SaaS company in the raw contract's landing-folder layout.",
    )
    p.add_argument("--customers", type=int, required=True, help="number of customers")
    p.add_argument("--out", type=Path, required=True, help="landing folder to write")
    p.add_argument("--seed", type=int, default=42, help="random seed (default 42)")
    p.add_argument("--format", dest="fmt", choices=("csv", "parquet"), default="csv")
    p.add_argument(
        "--start", type=date.fromisoformat, default=date(2023, 11, 1), help="first day (YYYY-MM-DD)"
    )
    p.add_argument("--end", type=date.fromisoformat, default=date(2026, 10, 31), help="last day (YYYY-MM-DD)")
    p.add_argument("--no-bad-rows", action="store_true", help="do not plant the documented bad rows")
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    t0 = time.perf_counter()
    counts = generate_company(
        args.out,
        args.customers,
        seed=args.seed,
        fmt=args.fmt,
        start=args.start,
        end=args.end,
        bad_rows=not args.no_bad_rows,
    )
    print_table_counts(counts, 12)
    print(f"wrote {sum(counts.values()):,} rows to {args.out} in {time.perf_counter() - t0:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
