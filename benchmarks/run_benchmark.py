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
import resource
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

from orchestration.generator import generate_company  # noqa: E402
from orchestration.project import dbt_executable  # noqa: E402
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
    "int_subscription_events__validated",
    "int_fx_rate_ranges",
    "int_item_states",
    "int_item_mrr",
    "int_months",
    "int_usage_charges__validated",
    "int_usage_mrr_by_month",
    "int_customer_product_mrr_changes",
    "int_customer_mrr_changes",
    "fct_mrr_movements",
)


CONTENDERS = ("lower_bound", "peer_spine", "pandas_reference")


@dataclass(frozen=True)
class Measurement:
    customers: int
    events: int
    wall_seconds: float
    core_seconds: float
    peak_rss_mib: float
    slowest: list[tuple[str, float]]
    contenders: dict[str, tuple[float, float]]  # name -> (wall seconds, peak RSS MiB)


def run_contender(name: str, raw_dir: Path, as_of: str) -> tuple[float, float]:
    """One contender in its own process; wall time and peak RSS from /usr/bin/time."""
    script = REPO_ROOT / "benchmarks" / "contenders.py"
    command = ["/usr/bin/time", "-f", "TIME %e %M", sys.executable, str(script), name, str(raw_dir), as_of]
    completed = subprocess.run(command, capture_output=True, text=True)
    if completed.returncode != 0:
        raise SystemExit(f"{name} failed:\n{completed.stderr[-3000:]}")
    seconds, kib = completed.stderr.strip().splitlines()[-1].split()[1:]
    return float(seconds), int(kib) / 1024


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


def measure(customers: int, as_of: str) -> Measurement:
    raw_dir, events = company(customers)
    RUNS_DIR.mkdir(parents=True, exist_ok=True)
    build_path = RUNS_DIR / f"build_{customers}.duckdb"
    build_path.unlink(missing_ok=True)
    target_path = RUNS_DIR / f"target_{customers}"
    dbt_vars = json.dumps({"raw_dir": str(raw_dir), "as_of": as_of, "build_path": str(build_path)})
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
        dbt_vars,
        "--no-use-colors",
        "--quiet",
    ]
    started = time.perf_counter()
    completed = subprocess.run(
        command, cwd=DBT_PROJECT_DIR, capture_output=True, text=True, env=os.environ.copy()
    )
    wall = time.perf_counter() - started
    if completed.returncode != 0:
        raise SystemExit(f"dbt build failed for {customers} customers:\n{completed.stdout[-4000:]}")
    # ru_maxrss of finished children: the largest process of the tree (dbt runs DuckDB in-process), KiB.
    peak_rss_mib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    results = json.loads((target_path / "run_results.json").read_text())["results"]
    model_times = {
        result["unique_id"].split(".")[-1]: result["execution_time"]
        for result in results
        if result["unique_id"].startswith("model.")
    }
    core = sum(model_times.get(name, 0.0) for name in MRR_CORE_MODELS)
    slowest = sorted(model_times.items(), key=lambda item: item[1], reverse=True)[:5]
    build_path.unlink(missing_ok=True)
    contenders = {name: run_contender(name, raw_dir, as_of) for name in CONTENDERS}
    return Measurement(customers, events, wall, core, peak_rss_mib, slowest, contenders)


def machine() -> str:
    memory_gib = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    python = platform.python_version()
    return f"{platform.machine()}, {os.cpu_count()} cores, {memory_gib:.0f} GiB, Python {python}"


def report(measurements: list[Measurement], as_of: str) -> str:
    lines = [
        "# Benchmark results",
        "",
        f"Machine: {machine()}. DuckDB threads: {os.environ.get('SAAS_DUCKDB_THREADS', '2')}. As of {as_of}.",
        "Command: `python benchmarks/run_benchmark.py --customers "
        + " ".join(str(m.customers) for m in measurements)
        + "` (companies from the project's generator, seed 42, Parquet).",
        "",
        "| customers | subscription events | full `dbt build` (s) | MRR core models (s) "
        "| events/s (full build) | peak RSS (MiB) | slowest models (s) |",
        "|---:|---:|---:|---:|---:|---:|---|",
    ]
    for m in measurements:
        slowest = ", ".join(f"{name} {seconds:.1f}" for name, seconds in m.slowest[:3])
        label = "sample (seeds/, CSV)" if m.customers == 0 else f"{m.customers:,}"
        lines.append(
            f"| {label} | {m.events:,} | {m.wall_seconds:.1f} | {m.core_seconds:.1f} "
            f"| {m.events / m.wall_seconds:,.0f} | {m.peak_rss_mib:,.0f} | {slowest} |"
        )
    lines += [
        "",
        "Other contenders on the same data, each in its own process "
        "(wall s / peak RSS MiB; ratio = time / lower bound):",
        "",
        "| customers | lower bound (one DuckDB query) | peer: date spine (mrr-playbook style) "
        "| pandas reference | warehouse MRR core / lower bound | full build / lower bound |",
        "|---:|---:|---:|---:|---:|---:|",
    ]
    for m in measurements:
        label = "sample" if m.customers == 0 else f"{m.customers:,}"
        lower = m.contenders["lower_bound"][0]
        cells = [f"{m.contenders[name][0]:.1f} s / {m.contenders[name][1]:,.0f}" for name in CONTENDERS]
        ratios = f"{m.core_seconds / lower:.1f}x | {m.wall_seconds / lower:.1f}x"
        lines.append(f"| {label} | {' | '.join(cells)} | {ratios} |")
    lines += [
        "",
        "The full build runs every model, data test and unit test (dbt build). The MRR core models figure",
        "is the sum of the execution times dbt reports for the models from the raw events to",
        "`fct_mrr_movements`. The lower bound and the peer read the raw events only (no validation, FX,",
        "usage, movements or tests, floats); the pandas reference does everything the Python checks compare.",
        "Startup costs (dbt parsing ~5 s, Python imports) weigh on the small sizes.",
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
        default=[0, 10_000, 100_000],
        help="0 = the sample company in seeds/",
    )
    parser.add_argument("--as-of", default="2026-10-31")
    parser.add_argument("--output", type=Path, default=REPO_ROOT / "benchmarks" / "RESULTS.md")
    args = parser.parse_args()
    measurements = []
    for customers in args.customers:
        measurement = measure(customers, args.as_of)
        print(
            f"{customers:>9,} customers: {measurement.wall_seconds:.1f} s, "
            f"core {measurement.core_seconds:.1f} s, peak {measurement.peak_rss_mib:,.0f} MiB",
            flush=True,
        )
        measurements.append(measurement)
    args.output.write_text(report(measurements, args.as_of))
    print(f"Wrote {args.output}")


if __name__ == "__main__":
    main()
