"""Publishing a checked build: the guard against a wrong publish, the Parquet export, the atomic switch.

A build that passed every dbt test and Python check can still be the wrong warehouse: a landing file cut
in half, another landing folder, an as-of date that went back. Before the switch, the build is compared
with the warehouse it replaces (DECISIONS.md D-31); then the marts are exported into a new Parquet folder,
the DuckDB file is renamed over the published one and the Parquet link is switched, each an atomic rename.
"""

from __future__ import annotations

import os
import shutil
import time
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import duckdb

from orchestration.comparisons import mart_table_names
from orchestration.settings import WarehouseSettings

BUILD_INFO_TABLE = "meta.build_info"
LOCK_MARKERS = ("Could not set lock", "Conflicting lock")
PARQUET_GENERATIONS_KEPT = 2


class PublishRefused(RuntimeError):
    """The build is not published; the message says why and how to publish anyway."""


@dataclass(frozen=True)
class WarehouseFigures:
    """What the guard compares between the published warehouse and a new build."""

    as_of: date | None
    raw_dir: str | None
    mrr_by_month: dict[date, Decimal]
    customers_by_month: dict[date, int]
    raw_rows: dict[str, int]
    last_complete_month: date | None = None


def sql_string(value: object) -> str:
    """A SQL string literal (paths may contain quotes)."""
    return "'" + str(value).replace("'", "''") + "'"


LAST_COMPLETE_MONTH_SQL = "select max(month) from marts.mart_mrr_bridge where is_complete"


def last_complete_month(connection: duckdb.DuckDBPyConnection, as_of: date | None) -> date | None:
    """The last month the warehouse's marts flag is_complete (the SQL rule, D-44); for a warehouse published
    before the marts had the flag, the month before its as-of month (the same rule without a billing lag)."""
    columns = connection.execute(
        "select column_name from information_schema.columns "
        "where table_schema = 'marts' and table_name = 'mart_mrr_bridge'"
    ).fetchall()
    if ("is_complete",) in columns:
        return connection.execute(LAST_COMPLETE_MONTH_SQL).fetchone()[0]
    if as_of is None:
        return None
    return (as_of.replace(day=1) - timedelta(days=1)).replace(day=1)


def writer_holding(path: Path) -> str | None:
    """A message when another process holds a read-write connection on the DuckDB file, else None.

    Readers must open the published file read-only: a writer keeps a write-ahead log beside it, which
    DuckDB would replay into the next published file."""
    if not path.exists():
        return None
    try:
        with duckdb.connect(str(path), read_only=True):
            return None
    except duckdb.Error as error:
        if any(marker in str(error) for marker in LOCK_MARKERS):
            return (
                f"{path} is open for writing by another process ({' '.join(str(error).split())[:300]}). "
                "Close that connection (BI tools and notebooks must open the warehouse read-only) and build "
                "again."
            )
        raise


def has_table(connection: duckdb.DuckDBPyConnection, qualified_name: str) -> bool:
    schema, table = qualified_name.split(".")
    return (
        connection.execute(
            "select count(*) from information_schema.tables where table_schema = ? and table_name = ?",
            [schema, table],
        ).fetchone()[0]
        > 0
    )


def read_figures(path: Path) -> WarehouseFigures:
    with duckdb.connect(str(path), read_only=True) as connection:
        as_of, raw_dir = None, None
        if has_table(connection, BUILD_INFO_TABLE):
            row = connection.execute(f"select as_of, raw_dir from {BUILD_INFO_TABLE}").fetchone()
            if row:
                as_of, raw_dir = row
        months = connection.execute(
            "select month, sum(mrr), count(*) filter (where mrr > 0) from marts.fct_mrr group by month"
        ).fetchall()
        raw_rows = connection.execute(
            "select source_table, rows_in from marts.mart_raw_reconciliation"
        ).fetchall()
        complete_through = last_complete_month(connection, as_of)
    return WarehouseFigures(
        as_of=as_of,
        raw_dir=raw_dir,
        mrr_by_month={month: Decimal(mrr) for month, mrr, _ in months},
        customers_by_month={month: customers for month, _, customers in months},
        raw_rows=dict(raw_rows),
        last_complete_month=complete_through,
    )


def fell_by(before: Decimal, after: Decimal) -> Decimal:
    return (before - after) / before if before > 0 else Decimal(0)


def provenance_problems(published: WarehouseFigures, build_as_of: date, build_raw_dir: str) -> list[str]:
    """Another landing folder, or an as-of date that went back: known before anything is built."""
    problems = []
    if published.raw_dir and published.raw_dir != build_raw_dir:
        problems.append(
            f"the landing folder differs from the published warehouse's: {build_raw_dir} instead of "
            f"{published.raw_dir}"
        )
    if published.as_of and build_as_of < published.as_of:
        problems.append(
            f"the as-of date {build_as_of} is earlier than the published warehouse's {published.as_of} "
            "(to build history, use another SAAS_WAREHOUSE_PATH / --warehouse)"
        )
    return problems


def figure_problems(
    published: WarehouseFigures, build: WarehouseFigures, max_drop_share: Decimal
) -> list[str]:
    """MRR and paying customers of the last month complete in both (so a new month in progress, whose
    usage is not billed yet, is no drop) fell by more than max_drop_share; a raw table has fewer rows (the
    landing folder is append-only, so a table with fewer rows lost data)."""
    problems = []
    complete_months = [m for m in (published.last_complete_month, build.last_complete_month) if m is not None]
    month = min(complete_months) if len(complete_months) == 2 else None
    before_mrr, after_mrr = published.mrr_by_month.get(month), build.mrr_by_month.get(month)
    if before_mrr is not None and after_mrr is not None and fell_by(before_mrr, after_mrr) > max_drop_share:
        problems.append(
            f"MRR of {month:%Y-%m} fell {fell_by(before_mrr, after_mrr):.1%} "
            f"({before_mrr:,.2f} -> {after_mrr:,.2f}; more than SAAS_MAX_DROP_SHARE={max_drop_share})"
        )
    before_customers = published.customers_by_month.get(month)
    after_customers = build.customers_by_month.get(month)
    if before_customers and after_customers is not None:
        drop = fell_by(Decimal(before_customers), Decimal(after_customers))
        if drop > max_drop_share:
            problems.append(
                f"paying customers of {month:%Y-%m} fell {drop:.1%} "
                f"({before_customers:,} -> {after_customers:,}; "
                f"more than SAAS_MAX_DROP_SHARE={max_drop_share})"
            )
    for table, rows_before in sorted(published.raw_rows.items()):
        rows_now = build.raw_rows.get(table, 0)
        if rows_now < rows_before:
            problems.append(f"raw table {table} has {rows_now:,} rows, {rows_before:,} before")
    return problems


def guard_problems(
    published: WarehouseFigures, build: WarehouseFigures, build_as_of: date, max_drop_share: Decimal
) -> list[str]:
    """Why the build must not replace the published warehouse (empty: publish)."""
    return provenance_problems(published, build_as_of, build.raw_dir or "") + figure_problems(
        published, build, max_drop_share
    )


def refusal_message(problems: list[str], settings: WarehouseSettings) -> str:
    listed = "\n".join(f"  - {problem}" for problem in problems)
    return (
        f"Refusing to publish over {settings.warehouse_path}; against the published warehouse:\n{listed}\n"
        "If this is expected, build again with --allow-drop (SAAS_ALLOW_DROP=true): it replaces the "
        "published warehouse."
    )


def check_provenance(settings: WarehouseSettings) -> None:
    """Refuse at once (before anything is built) a build from another landing folder or for an earlier
    as-of date than the published warehouse's, unless --allow-drop."""
    if settings.allow_drop or not settings.warehouse_path.exists():
        return
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as connection:
        if not has_table(connection, BUILD_INFO_TABLE):
            return
        as_of, raw_dir = connection.execute(f"select as_of, raw_dir from {BUILD_INFO_TABLE}").fetchone()
    published = WarehouseFigures(as_of, raw_dir, {}, {}, {})
    problems = provenance_problems(published, settings.as_of_date, str(settings.raw_dir))
    if problems:
        raise PublishRefused(refusal_message(problems, settings))


def check_publish_guard(build_path: Path, settings: WarehouseSettings) -> list[str]:
    """Raise PublishRefused when the build must not be published; returns the problems that
    --allow-drop let through (empty when there were none)."""
    if not settings.warehouse_path.exists():
        return []
    # the build's own settings, not its build_info: an incremental build file starts as a copy of the
    # published one, build_info included
    build = replace(read_figures(build_path), as_of=settings.as_of_date, raw_dir=str(settings.raw_dir))
    problems = guard_problems(
        read_figures(settings.warehouse_path), build, settings.as_of_date, settings.max_drop_share
    )
    if problems and not settings.allow_drop:
        raise PublishRefused(refusal_message(problems, settings))
    return problems


def record_build_info(build_path: Path, settings: WarehouseSettings, run_id: str) -> None:
    """What the published warehouse was built from (read by the next build's guard and the summary)."""
    with duckdb.connect(str(build_path)) as connection:
        connection.execute("create schema if not exists meta")
        connection.execute(
            f"create or replace table {BUILD_INFO_TABLE} as select "
            "cast(? as date) as as_of, ? as raw_dir, ? as run_id, cast(? as timestamp) as built_at_utc",
            [settings.as_of_date, str(settings.raw_dir), run_id, datetime.now(UTC).replace(tzinfo=None)],
        )


def export_marts(warehouse_path: Path, folder: Path) -> int:
    """Every table of the marts schema as <folder>/<table>.parquet."""
    folder.mkdir(parents=True, exist_ok=False)
    with duckdb.connect(str(warehouse_path), read_only=True) as connection:
        tables = mart_table_names(connection)
        for table in tables:
            target = sql_string(folder / f"{table}.parquet")
            connection.execute(f'copy marts."{table}" to {target} (format parquet)')
    return len(tables)


def switch_link(link: Path, target: Path) -> None:
    """Point link at target with one atomic rename (a folder left by an older version is removed first)."""
    if link.is_dir() and not link.is_symlink():
        shutil.rmtree(link)
    staged = link.with_name(f".{link.name}.link-{target.name}")
    staged.unlink(missing_ok=True)
    staged.symlink_to(target.name)
    os.replace(staged, link)


def remove_old_parquet_generations(parquet_dir: Path, current: Path) -> None:
    generations = sorted(
        parquet_dir.parent.glob(f".{parquet_dir.name}-*"), key=lambda path: path.stat().st_mtime
    )
    older = [path for path in generations if path != current]
    # the generation before the current one stays for readers that opened its files a moment ago
    for old in older[: len(older) - (PARQUET_GENERATIONS_KEPT - 1)]:
        shutil.rmtree(old, ignore_errors=True)


def build_files(settings: WarehouseSettings, suffix: str = "*") -> list[Path]:
    """The build files of this warehouse (`.<stem>.build-<run id>.duckdb` and what goes with them)."""
    return list(settings.warehouse_path.parent.glob(f".{settings.warehouse_path.stem}.build-{suffix}"))


def orphaned_builds(settings: WarehouseSettings) -> list[str]:
    """Build files of this warehouse that another process still writes: a killed build's dbt keeps running
    for a while after its parent died (and its lock was released)."""
    running = []
    for path in sorted(build_files(settings, "*.duckdb")):
        try:
            writer = writer_holding(path)
        except duckdb.Error:  # a half-written file of a killed build: not being written, removed later
            writer = None
        if writer:
            running.append(writer)
    return running


def wait_for_orphaned_builds(settings: WarehouseSettings, poll_seconds: float = 1.0) -> None:
    """Wait (up to the lock timeout) until no killed build's dbt still writes beside the warehouse."""
    deadline = time.monotonic() + settings.lock_timeout_seconds
    while running := orphaned_builds(settings):
        if time.monotonic() >= deadline:
            raise PublishRefused(
                "A killed build's dbt is still running: " + " ".join(running) + " Stop it, then build again."
            )
        time.sleep(poll_seconds)


def remove_stale_build_files(settings: WarehouseSettings, keep: Path | None = None) -> list[Path]:
    """Build files of this warehouse left by failed or killed builds (the build lock is held, so no other
    build of this warehouse is running)."""
    removed = []
    for path in build_files(settings):
        if keep is not None and path.name.startswith(keep.name):
            continue
        path.unlink(missing_ok=True)
        removed.append(path)
    return removed


def staged_report(build_path: Path, settings: WarehouseSettings, run_id: str) -> Path:
    """The build's HTML report under a temporary name beside the published one (renamed over it right after
    the switch, as the Parquet link). A report that cannot be made stops the publish: the report and the
    file it describes are always of the same build."""
    from orchestration.report import ReportError, stage_report

    try:
        return stage_report(build_path, settings.report_path, run_id)
    except ReportError as error:
        raise PublishRefused(f"Not published: the report cannot be made ({error}).") from error


def remove_stale_reports(settings: WarehouseSettings) -> None:
    """Temporary reports of failed or killed publishes."""
    for path in settings.report_path.parent.glob(f".{settings.report_path.name}.tmp-*"):
        path.unlink(missing_ok=True)


def publish(build_path: Path, settings: WarehouseSettings, run_id: str) -> tuple[int, list[str]]:
    """Guard, export, switch. Returns the number of marts exported and the guard problems that
    --allow-drop let through. Raises PublishRefused, leaving the published warehouse as it was."""
    if not build_path.exists():
        raise PublishRefused(f"The build file {build_path} of this run does not exist; nothing to publish.")
    writer = writer_holding(settings.warehouse_path)
    if writer:
        raise PublishRefused(f"Not published: {writer}")
    allowed_problems = check_publish_guard(build_path, settings)
    record_build_info(build_path, settings, run_id)
    if Path(f"{build_path}.wal").exists():
        raise PublishRefused(f"Not published: the build file {build_path} has an unwritten log beside it.")
    generation = settings.parquet_dir.with_name(f".{settings.parquet_dir.name}-{run_id}")
    exported = export_marts(build_path, generation)
    report = staged_report(build_path, settings, run_id)
    stale_log = Path(f"{settings.warehouse_path}.wal")
    if (
        stale_log.exists()
    ):  # left by a crashed writer of the old file: it must not be replayed into the new one
        os.replace(stale_log, stale_log.with_name(f"{stale_log.name}.stale-{run_id}"))
    os.replace(build_path, settings.warehouse_path)
    switch_link(settings.parquet_dir, generation)
    os.replace(report, settings.report_path)
    remove_old_parquet_generations(settings.parquet_dir, generation)
    remove_stale_reports(settings)
    remove_stale_build_files(settings)
    return exported, allowed_problems
