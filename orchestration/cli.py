"""`saas-warehouse`: build the warehouse, or generate a synthetic company.

    saas-warehouse build [--raw-dir DIR] [--source contract|stripe|periods] [--warehouse FILE]
                         [--as-of YYYY-MM-DD] [--full-refresh] [--allow-drop] [--force-as-of] [--debug]
    saas-warehouse convert --source stripe|periods [--raw-dir DIR] --out DIR
    saas-warehouse generate --customers N --out DIR [--seed S] [--format parquet|csv|stripe]
    saas-warehouse opportunities [--top N] [--warehouse FILE]
    saas-warehouse report [--warehouse FILE] [--out FILE]
    saas-warehouse ui [--host HOST] [--port PORT]
    saas-warehouse load-raw --target postgres|spark [--raw-dir DIR] [--source contract|stripe|periods]
    saas-warehouse --version

Flags win over the environment (SAAS_RAW_DIR, SAAS_WAREHOUSE_PATH, SAAS_AS_OF, SAAS_ALLOW_DROP, ...).
Arguments, settings and the landing folder are checked before anything slow starts; a failure prints one
message that says what to do and where the full log is (`--debug` shows everything on the terminal).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
import traceback
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import replace
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import TextIO

from orchestration.settings import (
    SOURCES,
    SettingsError,
    WarehouseSettings,
    parse_as_of,
    parse_source,
    project_vars,
)

PACKAGE_NAME = "saas-revenue-warehouse"


def package_version() -> str:
    try:
        return version(PACKAGE_NAME)
    except PackageNotFoundError:
        return "unknown (not installed)"


def as_of_argument(text: str) -> str:
    try:
        return parse_as_of(text, "--as-of")
    except SettingsError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def positive_int(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"must be a whole number of at least 1, got {text!r}")
    return int(text)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="saas-warehouse", description="SaaS revenue warehouse (dbt + DuckDB + Dagster)."
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {package_version()}")
    commands = parser.add_subparsers(dest="command", required=True)

    build = commands.add_parser(
        "build", help="Build from the landing folder, run every check, publish, summarise."
    )
    build.add_argument(
        "--raw-dir", type=Path, help="Landing folder (default: SAAS_RAW_DIR or the repo's seeds/)."
    )
    build.add_argument(
        "--source",
        choices=SOURCES,
        help="What the landing folder holds: the raw contract, Fivetran's Stripe tables or subscription "
        "periods (default: SAAS_SOURCE or contract; docs/adapters.md).",
    )
    build.add_argument("--warehouse", type=Path, help="Published DuckDB file (default: SAAS_WAREHOUSE_PATH).")
    build.add_argument(
        "--as-of",
        type=as_of_argument,
        help="YYYY-MM-DD that closes the month range (default: SAAS_AS_OF or today, UTC).",
    )
    build.add_argument(
        "--full-refresh",
        action="store_true",
        help="Rebuild everything instead of starting from the published warehouse (SAAS_INCREMENTAL=false).",
    )
    build.add_argument(
        "--allow-drop",
        action="store_true",
        help="Publish even when MRR or paying customers fell by more than SAAS_MAX_DROP_SHARE, a raw table "
        "lost rows, the landing folder changed or the as-of date went back (SAAS_ALLOW_DROP=true).",
    )
    build.add_argument(
        "--force-as-of",
        action="store_true",
        help="Build with an as-of date more than a year after the latest subscription event.",
    )
    build.add_argument("--debug", action="store_true", help="Show dbt's and Dagster's output and tracebacks.")

    generate = commands.add_parser("generate", help="Write a synthetic company in the raw contract's layout.")
    generate.add_argument("--customers", type=positive_int, required=True, help="Number of customers.")
    generate.add_argument("--out", type=Path, required=True, help="Landing folder to write.")
    generate.add_argument("--seed", type=int, default=42, help="Random seed (same seed, same files).")
    generate.add_argument(
        "--format",
        choices=["parquet", "csv", "stripe"],
        default="parquet",
        help="File format: the raw contract as Parquet or CSV, or stripe: Fivetran's Stripe tables (CSV) of "
        "the same company (build it with --source stripe).",
    )
    generate.add_argument("--no-bad-rows", action="store_true", help="Leave out the planted bad rows.")

    convert = commands.add_parser(
        "convert",
        help="Write the raw contract's tables that an adapter derives from a Stripe or periods folder, as a "
        "landing folder of CSV files (docs/adapters.md).",
    )
    convert.add_argument("--source", choices=[s for s in SOURCES if s != "contract"], required=True)
    convert.add_argument(
        "--raw-dir", type=Path, help="The source's folder (default: SAAS_RAW_DIR or the repo's seeds/)."
    )
    convert.add_argument("--out", type=Path, required=True, help="Landing folder to write.")
    convert.add_argument("--as-of", type=as_of_argument, help="YYYY-MM-DD (default: SAAS_AS_OF or today).")

    commands.add_parser(
        "prepare",
        help="Parse the dbt project into its manifest when the code changed (what a deployment runs before "
        "loading the Dagster code location; build does it by itself).",
    )

    opportunities = commands.add_parser(
        "opportunities",
        help="Print the ranked expansion opportunities of the scoring month from the published warehouse "
        "(read-only).",
    )
    opportunities.add_argument(
        "--top", type=positive_int, default=20, help="How many, by rank (default 20: the top 20)."
    )
    opportunities.add_argument(
        "--warehouse", type=Path, help="Published DuckDB file (default: SAAS_WAREHOUSE_PATH)."
    )

    ui = commands.add_parser(
        "ui",
        help="Open the Dagster UI (dagster dev) with its run history in DAGSTER_HOME (default "
        ".dagster_home/); Ctrl-C or SIGTERM stops it cleanly.",
    )
    ui.add_argument("--host", default="127.0.0.1", help="Interface to serve on (default 127.0.0.1).")
    ui.add_argument("--port", type=positive_int, default=3000, help="Port (default 3000).")

    report = commands.add_parser(
        "report",
        help="Write the HTML report (charts, the last complete month's figures) of the published warehouse "
        "(read-only; works offline). Each published build also writes it beside the Parquet export.",
    )
    report.add_argument(
        "--warehouse", type=Path, help="Published DuckDB file (default: SAAS_WAREHOUSE_PATH)."
    )
    report.add_argument(
        "--out", type=Path, help="The HTML file to write (default: report.html beside the warehouse file)."
    )

    load_raw = commands.add_parser(
        "load-raw",
        help="Load the landing folder into the `raw` schema of PostgreSQL or Spark (then: dbt build).",
    )
    load_raw.add_argument("--target", choices=["postgres", "spark"], required=True, help="The dbt target.")
    load_raw.add_argument(
        "--raw-dir", type=Path, help="Landing folder (default: SAAS_RAW_DIR or the repo's seeds/)."
    )
    load_raw.add_argument(
        "--source",
        choices=SOURCES,
        help="What the landing folder holds (default: SAAS_SOURCE or contract). stripe loads only the "
        "contract tables the adapter does not derive (fx_rates, plan_limits, usage_snapshots): the Stripe "
        "tables are read in place from the connector's schema (SAAS_STRIPE_SCHEMA).",
    )
    return parser.parse_args(argv)


def settings_from(args: argparse.Namespace) -> WarehouseSettings:
    from_env = WarehouseSettings.from_env()
    return replace(
        from_env,
        raw_dir=args.raw_dir or from_env.raw_dir,
        warehouse_path=args.warehouse or from_env.warehouse_path,
        as_of=args.as_of if args.as_of is not None else from_env.as_of,
        source=args.source or from_env.source,
        incremental=from_env.incremental and not args.full_refresh,
        allow_drop=from_env.allow_drop or args.allow_drop,
        force_as_of=args.force_as_of,
    ).validated()


def stage(number: int, total: int, text: str) -> None:
    print(f"[{number}/{total}] {text}", flush=True)


def preflight_problems(settings: WarehouseSettings) -> list[str]:
    """What stops a build before it starts (missing folder, file, column or rows), in the first second."""
    from orchestration.landing import landing_problems

    problems = list(landing_problems(settings.raw_dir, settings.source))
    if settings.warehouse_path.is_dir():
        problems.append(f"The warehouse path {settings.warehouse_path} is a folder; give a file name.")
    return problems


def ignored_file_warnings(settings: WarehouseSettings) -> list[str]:
    from orchestration.landing import ignored_files

    return [
        f"Warning: {path} belongs to no raw table and is ignored (expected <table>.csv, <table>.parquet "
        "or <table>/ of such files; docs/raw_contract.md)."
        for path in ignored_files(settings.raw_dir, settings.source)
    ]


def new_log_path(settings: WarehouseSettings) -> Path:
    settings.log_dir.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    return settings.log_dir / f"build-{stamp}-{os.getpid()}.log"


@contextmanager
def output_to(log: TextIO) -> Iterator[None]:
    """Send everything written to stdout and stderr (dbt's and Dagster's output included) to the log."""
    sys.stdout.flush()
    sys.stderr.flush()
    saved = os.dup(1), os.dup(2)
    os.dup2(log.fileno(), 1)
    os.dup2(log.fileno(), 2)
    try:
        yield
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os.dup2(saved[0], 1)
        os.dup2(saved[1], 2)
        os.close(saved[0])
        os.close(saved[1])


def fail(message: str, log_path: Path | None = None) -> int:
    print(f"\nBUILD FAILED: {message}", file=sys.stderr)
    if log_path is not None:
        print(f"Full log: {log_path}", file=sys.stderr)
    return 1


def run_build(settings: WarehouseSettings, debug: bool = False) -> int:
    started = time.monotonic()
    problems = preflight_problems(settings)
    if problems:
        return fail("the landing folder cannot be built:\n" + "\n".join(f"  - {p}" for p in problems))
    for warning in ignored_file_warnings(settings):
        print(warning, file=sys.stderr)
    settings = settings.resolved()
    read_as = "" if settings.source == "contract" else f" ({settings.source} tables)"
    stage(1, 4, f"Checked the landing folder {settings.raw_dir}{read_as}; building as of {settings.as_of}")
    from orchestration.locking import BuildLockTimeout, build_lock

    details = {"as_of": settings.as_of, "raw_dir": str(settings.raw_dir), "run_id": f"cli-{os.getpid()}"}
    try:
        with build_lock(settings.lock_path, settings.lock_timeout_seconds, details, on_wait=warn):
            return build_and_summarise(settings, started, debug)
    except BuildLockTimeout as error:
        return fail(str(error))


def warn(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def build_and_summarise(settings: WarehouseSettings, started: float, debug: bool) -> int:
    # even when starting from the published warehouse, build_state.build_scope may recompute everyone (the
    # summary says why)
    starts_from_published = settings.incremental and settings.warehouse_path.exists()
    mode = "starting from the published warehouse" if starts_from_published else "a full build"
    stage(2, 4, f"Building every model and running every check ({mode}, dbt build)")
    log_path = None if debug else new_log_path(settings)
    with ExitStack() as redirect:
        if log_path is not None:  # --debug: everything on the terminal, no log file
            redirect.enter_context(output_to(redirect.enter_context(log_path.open("a", encoding="utf-8"))))
        from orchestration.build import execute_build  # imported late: Dagster and dbt take seconds to load

        result = execute_build(settings)
    if not result.success:
        return fail(
            f"{result.error}\nThe published warehouse was left as it was: {settings.warehouse_path}", log_path
        )
    stage(3, 4, f"Published {settings.warehouse_path}")
    from orchestration.summary import format_summary, read_summary

    stage(4, 4, "Summary")
    print(format_summary(read_summary(settings.warehouse_path)))
    print(f"Done in {time.monotonic() - started:.0f} s." + (f" Log: {log_path}" if log_path else ""))
    return 0


def run_prepare() -> int:
    from orchestration.project import prepare_manifest

    print(f"dbt manifest ready: {prepare_manifest()}")
    return 0


def run_generate(args: argparse.Namespace) -> int:
    from company_generator import generate_company

    started = time.monotonic()
    if args.format == "stripe":
        from company_generator.stripe import generate_stripe_company

        counts = generate_stripe_company(
            args.out, customers=args.customers, seed=args.seed, bad_rows=not args.no_bad_rows
        )
    else:
        counts = generate_company(
            args.out, customers=args.customers, seed=args.seed, fmt=args.format, bad_rows=not args.no_bad_rows
        )
    for table, rows in counts.items():
        print(f"{table:>20}: {rows:,} rows")
    print(f"Wrote {args.out} in {time.monotonic() - started:.0f} s.")
    return 0


def run_convert(args: argparse.Namespace) -> int:
    from orchestration.adapters import convert_folder
    from orchestration.landing import landing_problems

    from_env = WarehouseSettings.from_env()
    raw_dir = (args.raw_dir or from_env.raw_dir).expanduser().resolve()
    source = parse_source(args.source)
    problems = landing_problems(raw_dir, source)
    if problems:
        return fail("the landing folder cannot be converted:\n" + "\n".join(f"  - {p}" for p in problems))
    as_of = args.as_of if args.as_of is not None else from_env.as_of
    started = time.monotonic()
    counts = convert_folder(raw_dir, source, args.out, as_of or datetime.now(UTC).date().isoformat())
    for table, rows in counts.items():
        print(f"{table:>20}: {rows:,} rows")
    print(f"Wrote {args.out} (the raw contract's layout) in {time.monotonic() - started:.0f} s.")
    return 0


def run_load_raw(args: argparse.Namespace) -> int:
    from_env = WarehouseSettings.from_env()
    raw_dir = (args.raw_dir or from_env.raw_dir).expanduser().resolve()
    source = args.source or from_env.source
    started = time.monotonic()
    if args.target == "postgres":
        from orchestration.engines.postgres import PostgresConnection, load_raw_into_postgres

        connection = PostgresConnection.from_env()
        counts = load_raw_into_postgres(raw_dir, connection, source=source)
        where = f"{connection.user}@{connection.host}:{connection.port}/{connection.dbname}, schema raw"
    else:
        from orchestration.engines.spark import load_raw_into_spark, spark_dir

        counts = load_raw_into_spark(raw_dir, source=source)
        where = f"Spark database raw ({spark_dir()})"
    for table, rows in counts.items():
        print(f"{table:>20}: {rows:,} rows")
    print(f"Loaded {raw_dir} into {where} in {time.monotonic() - started:.0f} s.")
    source_vars = "" if source == "contract" else f" --vars '{{source: {source}}}'"
    print(f"Next: cd dbt_project && dbt build --target {args.target}{source_vars}")
    return 0


def run_opportunities(args: argparse.Namespace) -> int:
    from orchestration.opportunities import WarehouseNotBuilt, format_opportunities, read_opportunities

    warehouse_path = args.warehouse or WarehouseSettings.from_env().warehouse_path
    try:
        opportunities = read_opportunities(warehouse_path, args.top)
    except WarehouseNotBuilt as error:
        print(f"saas-warehouse: {error}", file=sys.stderr)
        return 1
    print(format_opportunities(opportunities, str(project_vars()["reporting_currency"])))
    return 0


def run_report(args: argparse.Namespace) -> int:
    from orchestration.report import ReportError, write_report

    settings = WarehouseSettings.from_env()
    warehouse_path = args.warehouse or settings.warehouse_path
    output = args.out or (warehouse_path.parent / settings.report_path.name)
    try:
        written = write_report(warehouse_path, output)
    except ReportError as error:
        print(f"saas-warehouse: {error}", file=sys.stderr)
        return 1
    print(f"Wrote {written} ({written.stat().st_size / 1e6:.1f} MB; opens offline in any browser).")
    return 0


def dispatch(args: argparse.Namespace) -> int:
    if args.command == "opportunities":
        return run_opportunities(args)
    if args.command == "report":
        return run_report(args)
    if args.command == "build":
        return run_build(settings_from(args), debug=args.debug)
    if args.command == "load-raw":
        return run_load_raw(args)
    if args.command == "prepare":
        return run_prepare()
    if args.command == "ui":
        from orchestration.ui import run_ui

        return run_ui(args.host, args.port)
    if args.command == "convert":
        return run_convert(args)
    return run_generate(args)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    debug = getattr(args, "debug", False)
    try:
        return dispatch(args)
    except SettingsError as error:
        print(f"saas-warehouse: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("\nInterrupted; the published warehouse was left as it was.", file=sys.stderr)
        return 130
    except Exception as error:  # noqa: BLE001 - one clear line instead of a stack trace (--debug shows it)
        if debug:
            raise
        crash_log = Path(tempfile.gettempdir()) / f"saas-warehouse-error-{os.getpid()}.log"
        crash_log.write_text(traceback.format_exc(), encoding="utf-8")
        print(f"saas-warehouse: {type(error).__name__}: {error}", file=sys.stderr)
        print(f"Traceback: {crash_log} (or run again with --debug)", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
