"""`saas-warehouse`: build the warehouse, or generate a synthetic company.

    saas-warehouse build [--raw-dir DIR] [--warehouse FILE] [--as-of YYYY-MM-DD]
    saas-warehouse generate --customers N --out DIR [--seed S] [--format parquet|csv]
    saas-warehouse load-raw --target postgres|spark [--raw-dir DIR]

Flags win over the environment (SAAS_RAW_DIR, SAAS_WAREHOUSE_PATH, SAAS_AS_OF).
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from datetime import UTC, date, datetime
from pathlib import Path

from orchestration.settings import WarehouseSettings


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="saas-warehouse", description="SaaS revenue warehouse (dbt + DuckDB + Dagster)."
    )
    commands = parser.add_subparsers(dest="command", required=True)

    build = commands.add_parser(
        "build", help="Build from the landing folder, run every check, publish, summarise."
    )
    build.add_argument(
        "--raw-dir", type=Path, help="Landing folder (default: SAAS_RAW_DIR or the repo's seeds/)."
    )
    build.add_argument("--warehouse", type=Path, help="Published DuckDB file (default: SAAS_WAREHOUSE_PATH).")
    build.add_argument(
        "--as-of", help="YYYY-MM-DD that closes the month range (default: SAAS_AS_OF or today)."
    )
    build.add_argument(
        "--full-refresh",
        action="store_true",
        help="Rebuild everything instead of starting from the published warehouse (SAAS_INCREMENTAL=false).",
    )

    generate = commands.add_parser("generate", help="Write a synthetic company in the raw contract's layout.")
    generate.add_argument("--customers", type=int, required=True, help="Number of customers.")
    generate.add_argument("--out", type=Path, required=True, help="Landing folder to write.")
    generate.add_argument("--seed", type=int, default=42, help="Random seed (same seed, same files).")
    generate.add_argument("--format", choices=["parquet", "csv"], default="parquet", help="File format.")
    generate.add_argument("--no-bad-rows", action="store_true", help="Leave out the planted bad rows.")

    load_raw = commands.add_parser(
        "load-raw",
        help="Load the landing folder into the `raw` schema of PostgreSQL or Spark (then: dbt build).",
    )
    load_raw.add_argument("--target", choices=["postgres", "spark"], required=True, help="The dbt target.")
    load_raw.add_argument(
        "--raw-dir", type=Path, help="Landing folder (default: SAAS_RAW_DIR or the repo's seeds/)."
    )
    return parser.parse_args(argv)


def settings_from(args: argparse.Namespace) -> WarehouseSettings:
    from_env = WarehouseSettings.from_env()
    return WarehouseSettings(
        raw_dir=args.raw_dir or from_env.raw_dir,
        warehouse_path=args.warehouse or from_env.warehouse_path,
        as_of=args.as_of if args.as_of is not None else from_env.as_of,
        incremental=from_env.incremental and not args.full_refresh,
    ).validated()


def stage(number: int, total: int, text: str) -> None:
    print(f"[{number}/{total}] {text}", flush=True)


def run_build(settings: WarehouseSettings) -> int:
    started = time.monotonic()
    stage(1, 4, f"Loading the Dagster definitions (landing folder {settings.raw_dir})")
    from orchestration.build import execute_build  # imported late: Dagster and dbt take a few seconds to load

    mode = "a copy of the published warehouse, incremental" if settings.incremental else "a new file"
    stage(2, 4, f"Building every model and running every check (dbt build into {mode})")
    result = execute_build(settings)
    if not result.success:
        print(f"\nBUILD FAILED: {result.error}", file=sys.stderr)
        print(f"The published warehouse was left as it was: {settings.warehouse_path}", file=sys.stderr)
        return 1
    stage(3, 4, f"Published {settings.warehouse_path}")
    from orchestration.summary import format_summary, read_summary

    stage(4, 4, "Summary")
    as_of = date.fromisoformat(settings.as_of) if settings.as_of else datetime.now(UTC).date()
    print(format_summary(read_summary(settings.warehouse_path, as_of)))
    print(f"Done in {time.monotonic() - started:.0f} s.")
    return 0


def run_generate(args: argparse.Namespace) -> int:
    from orchestration.generator import generate_company

    started = time.monotonic()
    counts = generate_company(
        args.out, customers=args.customers, seed=args.seed, fmt=args.format, bad_rows=not args.no_bad_rows
    )
    for table, rows in counts.items():
        print(f"{table:>20}: {rows:,} rows")
    print(f"Wrote {args.out} in {time.monotonic() - started:.0f} s.")
    return 0


def run_load_raw(args: argparse.Namespace) -> int:
    raw_dir = (args.raw_dir or WarehouseSettings.from_env().raw_dir).expanduser().resolve()
    started = time.monotonic()
    if args.target == "postgres":
        from orchestration.engines.postgres import PostgresConnection, load_raw_into_postgres

        connection = PostgresConnection.from_env()
        counts = load_raw_into_postgres(raw_dir, connection)
        where = f"{connection.user}@{connection.host}:{connection.port}/{connection.dbname}, schema raw"
    else:
        from orchestration.engines.spark import load_raw_into_spark, spark_dir

        counts = load_raw_into_spark(raw_dir)
        where = f"Spark database raw ({spark_dir()})"
    for table, rows in counts.items():
        print(f"{table:>20}: {rows:,} rows")
    print(f"Loaded {raw_dir} into {where} in {time.monotonic() - started:.0f} s.")
    print(f"Next: cd dbt_project && dbt build --target {args.target}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if args.command == "build":
        return run_build(settings_from(args))
    if args.command == "load-raw":
        return run_load_raw(args)
    return run_generate(args)


if __name__ == "__main__":
    sys.exit(main())
