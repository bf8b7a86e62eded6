"""Benchmark the warehouse build on companies of several sizes (a script, not a timed test).

    python benchmarks/run_benchmark.py --customers 10000 100000 [--as-of 2026-10-31]

For each size it generates a company with the project's generator (Parquet, cached in benchmarks/data/),
runs `dbt build` (every model and test) into a throwaway DuckDB file, and records the wall time, the time
of each model from dbt's run_results.json, the MRR core models' share (events -> fct_mrr_movements), and
the peak memory of the dbt process tree. Results go to benchmarks/RESULTS.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

from company_generator import generate_company  # noqa: E402
from company_generator.daily import land_next_day  # noqa: E402
from orchestration.project import code_fingerprint, dbt_executable  # noqa: E402
from orchestration.settings import DBT_PROJECT_DIR, DEFAULT_RAW_DIR  # noqa: E402

DATA_DIR = REPO_ROOT / "benchmarks" / "data"
RUNS_DIR = REPO_ROOT / "benchmarks" / "runs"
MRR_CORE_MODELS = (
    "stg_billing__subscription_events",
    "stg_billing__plans",
    "stg_billing__products",
    "stg_billing__customers",
    "stg_billing__fx_rates",
    "stg_billing__usage_charges",
    "build_landing_files",
    "build_scope",
    "build_customers_to_recompute",
    "int_subscription_events_validated",
    "int_fx_rate_ranges",
    "int_item_states",
    "int_item_mrr",
    "int_months",
    "int_usage_charges_validated",
    "int_usage_mrr_by_month",
    "int_customer_product_mrr_changes",
    "int_customer_mrr_changes",
    "fct_mrr_movements",
)


CONTENDERS = ("lower_bound", "peer_spine", "pandas_reference")
# The data ends 2026-10-31. The full build runs as of 2026-11-01 (yesterday's build), then the day
# 2026-11-01 lands and the incremental build runs as of 2026-11-02: a typical day, inside one month.
LANDED_DAY = date(2026, 11, 1)
NEXT_DAY = date(2026, 11, 2)


CONTENDER_MEMORY_CAP_GIB = int(os.environ.get("BENCHMARK_CONTENDER_MEMORY_GIB", "16"))
CONTENDER_TIMEOUT_SECONDS = 1200


@dataclass(frozen=True)
class Timed:
    seconds: float
    peak_rss_mib: float
    stdout: str
    failure: str | None = None

    def cell(self) -> str:
        if self.failure:
            return f"did not finish: {self.failure}"
        return f"{self.seconds:.1f} s / {self.peak_rss_mib:,.0f}"


@dataclass(frozen=True)
class Measurement:
    customers: int
    events: int
    full: Timed
    core_seconds: float
    slowest: list[tuple[str, float]]
    landed_events: int
    incremental: Timed
    changed_customers: int
    contenders: dict[str, Timed]


def timed(command: list[str], cwd: Path = REPO_ROOT, env: dict[str, str] | None = None) -> Timed:
    """Run a command as its own process tree; wall time and peak RSS (the largest process) from
    /usr/bin/time. A failure stops the benchmark with the end of its output."""
    completed = subprocess.run(
        ["/usr/bin/time", "-f", "TIME %e %M", *command],
        cwd=cwd,
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
    )
    if completed.returncode != 0:
        raise SystemExit(f"{command[:3]} failed:\n{completed.stdout[-4000:]}\n{completed.stderr[-3000:]}")
    seconds, kib = completed.stderr.strip().splitlines()[-1].split()[1:]
    return Timed(float(seconds), int(kib) / 1024, completed.stdout)


def run_contender(name: str, raw_dir: Path, as_of: str) -> Timed:
    """One contender in its own process, its address space capped (BENCHMARK_CONTENDER_MEMORY_GIB,
    default 16) so that one that needs more fails on its own instead of swapping the machine; a failure
    or a timeout is reported, not fatal."""
    script = REPO_ROOT / "benchmarks" / "contenders.py"
    cap = f"--as={CONTENDER_MEMORY_CAP_GIB * 2**30}"
    command = [
        "/usr/bin/time",
        "-f",
        "TIME %e %M",
        "prlimit",
        cap,
        sys.executable,
        str(script),
        name,
        str(raw_dir),
        as_of,
    ]
    started = time.perf_counter()
    try:
        completed = subprocess.run(
            command, cwd=REPO_ROOT, capture_output=True, text=True, timeout=CONTENDER_TIMEOUT_SECONDS
        )
    except subprocess.TimeoutExpired:
        return Timed(time.perf_counter() - started, 0.0, "", f"timed out after {CONTENDER_TIMEOUT_SECONDS} s")
    last_line = completed.stderr.strip().splitlines()[-1] if completed.stderr.strip() else ""
    seconds, kib = (
        last_line.split()[1:] if last_line.startswith("TIME") else (time.perf_counter() - started, 0)
    )
    if completed.returncode != 0:
        memory = "MemoryError" in completed.stderr or "Out of Memory" in completed.stderr
        why = f"out of memory under a {CONTENDER_MEMORY_CAP_GIB} GiB cap" if memory else "failed"
        return Timed(float(seconds), int(kib) / 1024, completed.stdout, f"{why} after {float(seconds):.0f} s")
    return Timed(float(seconds), int(kib) / 1024, completed.stdout)


def company(customers: int) -> tuple[Path, int]:
    """A generated company (Parquet), cached between runs; returns its folder and its event count.
    0 customers means the sample company shipped in seeds/ (CSV)."""
    if customers == 0:
        events = len((DEFAULT_RAW_DIR / "subscription_events.csv").read_text().splitlines()) - 1
        return DEFAULT_RAW_DIR, events
    folder = DATA_DIR / f"company_{customers}"
    marker = folder / ".complete"
    if not marker.exists():
        counts = generate_company(folder, customers=customers, seed=42, fmt="parquet")
        marker.write_text(json.dumps(counts))
    return folder, json.loads(marker.read_text())["subscription_events"]


def dbt_build(raw_dir: Path, build_path: Path, target_path: Path, as_of: str) -> Timed:
    """`dbt build` (every model, data test and unit test) into build_path, as the scheduled build runs
    it; an existing build_path is built on incrementally."""
    dbt_vars = {
        "raw_dir": str(raw_dir),
        "as_of": as_of,
        "build_path": str(build_path),
        "code_fingerprint": code_fingerprint(),
    }
    command = [
        dbt_executable(),
        "build",
        "--project-dir",
        str(DBT_PROJECT_DIR),
        "--profiles-dir",
        str(DBT_PROJECT_DIR),
        "--target-path",
        str(target_path),
        "--vars",
        json.dumps(dbt_vars),
        "--no-use-colors",
        "--quiet",
    ]
    return timed(command, cwd=DBT_PROJECT_DIR)


def model_times(target_path: Path) -> dict[str, float]:
    results = json.loads((target_path / "run_results.json").read_text())["results"]
    return {
        result["unique_id"].split(".")[-1]: result["execution_time"]
        for result in results
        if result["unique_id"].startswith("model.")
    }


def build_scope(build_path: Path) -> tuple[str | None, int]:
    with duckdb.connect(str(build_path), read_only=True) as connection:
        reason = connection.execute("select recompute_reason from build_state.build_scope").fetchone()[0]
        changed = connection.execute(
            "select count(*) from build_state.build_customers_to_recompute"
        ).fetchone()[0]
    return reason, changed


def incremental_build(raw_dir: Path, full_build: Path, run_dir: Path, as_of: str) -> tuple[Timed, int, int]:
    """Land one more day (backdated changes included) and build incrementally from a copy of the full
    build, as the scheduled build does (the copy is timed with it). Returns the timing, the events landed
    and the customers recomputed."""
    landed = land_next_day(raw_dir, LANDED_DAY)
    build_path = run_dir / "incremental.duckdb"
    started = time.perf_counter()
    shutil.copyfile(full_build, build_path)
    copy_seconds = time.perf_counter() - started
    build = dbt_build(raw_dir, build_path, run_dir / "target_incremental", NEXT_DAY.isoformat())
    reason, changed = build_scope(build_path)
    if reason is not None:
        raise SystemExit(f"The incremental build rebuilt everything: {reason}")
    build_path.unlink()
    return (
        Timed(build.seconds + copy_seconds, build.peak_rss_mib, build.stdout),
        landed["subscription_events"],
        changed,
    )


def measure(customers: int, as_of: str) -> Measurement:
    source_dir, events = company(customers)
    run_dir = RUNS_DIR / f"company_{customers}"
    shutil.rmtree(run_dir, ignore_errors=True)
    run_dir.mkdir(parents=True)
    # a private copy of the landing folder: the incremental build lands one more day in it
    raw_dir = run_dir / "landing"
    shutil.copytree(source_dir, raw_dir, ignore=shutil.ignore_patterns("README*", ".complete"))
    full_build = run_dir / "full.duckdb"
    full = dbt_build(raw_dir, full_build, run_dir / "target_full", as_of)
    times = model_times(run_dir / "target_full")
    core = sum(times.get(name, 0.0) for name in MRR_CORE_MODELS)
    slowest = sorted(times.items(), key=lambda item: item[1], reverse=True)[:5]
    contenders = {name: run_contender(name, source_dir, as_of) for name in CONTENDERS}
    incremental, landed, changed = incremental_build(raw_dir, full_build, run_dir, as_of)
    shutil.rmtree(run_dir)
    return Measurement(customers, events, full, core, slowest, landed, incremental, changed, contenders)


def machine() -> str:
    memory_gib = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    python = platform.python_version()
    return f"{platform.machine()}, {os.cpu_count()} cores, {memory_gib:.0f} GiB, Python {python}"


def label(customers: int) -> str:
    return "sample (seeds/, CSV)" if customers == 0 else f"{customers:,}"


def scaling_lines(measurements: list[Measurement]) -> list[str]:
    """Time ratio for each 10x step in customers (target: at most 12x)."""
    lines = []
    by_size = {m.customers: m for m in measurements}
    for m in measurements:
        smaller = by_size.get(m.customers // 10)
        if m.customers and smaller is not None and smaller.customers:
            lines.append(
                f"| {label(smaller.customers)} → {label(m.customers)} | "
                f"{m.full.seconds / smaller.full.seconds:.1f}x | {m.core_seconds / smaller.core_seconds:.1f}x | "
                f"{m.incremental.seconds / smaller.incremental.seconds:.1f}x |"
            )
    return lines


def targets(measurements: list[Measurement]) -> list[str]:
    largest = max(measurements, key=lambda m: m.customers)
    lower = largest.contenders["lower_bound"].seconds
    checks = [
        (
            f"full build at {label(largest.customers)} customers ≤ 300 s",
            largest.full.seconds <= 300,
            f"{largest.full.seconds:.0f} s",
        ),
        (
            f"peak memory at {label(largest.customers)} customers ≤ 8 GiB",
            largest.full.peak_rss_mib <= 8192,
            f"{largest.full.peak_rss_mib / 1024:.1f} GiB",
        ),
        (
            "MRR core ≤ 3x the lower bound",
            largest.core_seconds <= 3 * lower,
            f"{largest.core_seconds / lower:.1f}x",
        ),
        (
            "incremental daily build ≤ 20 % of the full build",
            largest.incremental.seconds <= 0.2 * largest.full.seconds,
            f"{100 * largest.incremental.seconds / largest.full.seconds:.0f} %",
        ),
    ]
    return [f"| {what} | {'met' if ok else 'NOT met'} | {figure} |" for what, ok, figure in checks]


def report(measurements: list[Measurement], as_of: str) -> str:
    lines = [
        "# Benchmark results",
        "",
        f"Machine: {machine()}. DuckDB threads: {os.environ.get('SAAS_DUCKDB_THREADS', '2')}, "
        f"memory limit {os.environ.get('SAAS_DUCKDB_MEMORY_LIMIT', '6GB')}, dbt threads "
        f"{os.environ.get('SAAS_DBT_THREADS', '2')}. As of {as_of}; incremental build as of {NEXT_DAY}.",
        "Command: `python benchmarks/run_benchmark.py --customers "
        + " ".join(str(m.customers) for m in measurements)
        + "` (companies from the project's generator, seed 42, Parquet; one run).",
        "",
        "## The warehouse",
        "",
        "| customers | subscription events | full build (s) | peak RSS (MiB) | events/s | MRR core models (s) "
        "| incremental daily build (s) | % of full | customers recomputed | slowest models (s) |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for m in measurements:
        slowest = ", ".join(f"{name} {seconds:.1f}" for name, seconds in m.slowest[:3])
        lines.append(
            f"| {label(m.customers)} | {m.events:,} | {m.full.seconds:.1f} | {m.full.peak_rss_mib:,.0f} "
            f"| {m.events / m.full.seconds:,.0f} | {m.core_seconds:.1f} | {m.incremental.seconds:.1f} "
            f"| {100 * m.incremental.seconds / m.full.seconds:.0f} % | {m.changed_customers:,} | {slowest} |"
        )
    lines += [
        "",
        "## Against a peer and the lower bound (same data, each in its own process)",
        "",
        "Wall seconds / peak RSS MiB; ratios are the warehouse's time over the lower bound's.",
        "",
        "| customers | lower bound (one DuckDB query) | peer: date spine (mrr-playbook style) "
        "| pandas reference | MRR core / lower bound | full build / lower bound |",
        "|---:|---:|---:|---:|---:|---:|",
    ]
    for m in measurements:
        lower = m.contenders["lower_bound"].seconds
        cells = [m.contenders[name].cell() for name in CONTENDERS]
        ratios = f"{m.core_seconds / lower:.1f}x | {m.full.seconds / lower:.1f}x"
        lines.append(f"| {label(m.customers)} | {' | '.join(cells)} | {ratios} |")
    lines += [
        "",
        "## Scaling (time ratio per 10x customers; target ≤ 12x)",
        "",
        "| step | full build | MRR core | incremental |",
        "|---|---:|---:|---:|",
        *scaling_lines(measurements),
        "",
        "## Targets",
        "",
        "| target | status | measured |",
        "|---|---|---:|",
        *targets(measurements),
        "",
        "The full build is `dbt build`: every model, data test and unit test, into a new DuckDB file. The MRR",
        "core figure is the sum of the execution times dbt reports for the models from the raw events to",
        f"`fct_mrr_movements`. The incremental build lands one more day, {LANDED_DAY} (`company_generator/daily.py`:",
        "new customers, changes, churn, changes backdated 20-70 days, a redelivery, a correction, exchange",
        "rates, usage and one-time charges), copies the full build's file (timed) and runs the same",
        "`dbt build` on it, as the scheduled build does (DECISIONS.md D-25). The lower bound and the peer read",
        "the raw events only (no validation, FX, usage, movements or tests; floats); the pandas reference",
        "does everything the Python asset checks compare. On the first build of a month, `fct_mrr` and",
        "`fct_mrr_movements` are recomputed for every customer (every customer gains a month; D-25), so that",
        "day's incremental build costs more than the typical day measured here.",
    ]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--customers",
        type=int,
        nargs="+",
        default=[0, 10_000, 100_000, 1_000_000],
        help="0 = the sample company in seeds/",
    )
    parser.add_argument("--as-of", default="2026-11-01")
    parser.add_argument("--output", type=Path, default=REPO_ROOT / "benchmarks" / "RESULTS.md")
    args = parser.parse_args()
    measurements = []
    for customers in args.customers:
        measurement = measure(customers, args.as_of)
        print(
            f"{customers:>9,} customers: full {measurement.full.seconds:.1f} s, "
            f"core {measurement.core_seconds:.1f} s, peak {measurement.full.peak_rss_mib:,.0f} MiB, "
            f"incremental {measurement.incremental.seconds:.1f} s",
            flush=True,
        )
        measurements.append(measurement)
    args.output.write_text(report(measurements, args.as_of))
    print(f"Wrote {args.output}")


if __name__ == "__main__":
    main()
