"""The short summary printed after a build, read from the published file (read-only)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import duckdb

BRIDGE_COLUMNS = (
    "month",
    "mrr_start",
    "new_mrr",
    "reactivation_mrr",
    "expansion_mrr",
    "contraction_mrr",
    "churn_mrr",
    "mrr_end",
)

TTM_NRR_SQL = """
with cohort as (
    select
        start_state.mrr as mrr_then,
        coalesce(end_state.mrr, 0) as mrr_now
    from marts.fct_mrr as start_state
    left join marts.fct_mrr as end_state
        on end_state.customer_id = start_state.customer_id
        and end_state.month = $month
    where start_state.month = $month - interval 12 month
        and start_state.mrr > 0
)
select sum(mrr_now) / nullif(sum(mrr_then), 0) from cohort
"""


@dataclass(frozen=True)
class BuildSummary:
    warehouse_path: Path
    as_of: date
    current_mrr: Decimal
    bridge: dict[str, object] | None
    nrr_12_month: float | None
    rejected_rows: int
    rejected_by_table: dict[str, int]


def last_complete_month(as_of: date) -> date:
    """The as-of month when as_of is its last day, else the month before (usage is billed in arrears,
    so the month in progress is not complete)."""
    next_day = as_of + timedelta(days=1)
    if next_day.day == 1:
        return as_of.replace(day=1)
    first_of_month = as_of.replace(day=1)
    return (first_of_month - timedelta(days=1)).replace(day=1)


def read_summary(warehouse_path: Path, as_of: date) -> BuildSummary:
    month = last_complete_month(as_of)
    with duckdb.connect(str(warehouse_path), read_only=True) as connection:
        current = connection.execute(
            "select mrr_end from marts.mart_mrr_bridge where size_segment = 'all' order by month desc limit 1"
        ).fetchone()
        bridge_row = connection.execute(
            f"select {', '.join(BRIDGE_COLUMNS)} from marts.mart_mrr_bridge "
            "where size_segment = 'all' and month = $month",
            {"month": month},
        ).fetchone()
        nrr = connection.execute(TTM_NRR_SQL, {"month": month}).fetchone()[0]
        rejected = connection.execute(
            "select source_table, count(*) from marts.rejected_rows group by source_table order by 1"
        ).fetchall()
    return BuildSummary(
        warehouse_path=warehouse_path,
        as_of=as_of,
        current_mrr=Decimal(current[0]) if current else Decimal(0),
        bridge=dict(zip(BRIDGE_COLUMNS, bridge_row, strict=True)) if bridge_row else None,
        nrr_12_month=float(nrr) if nrr is not None else None,
        rejected_rows=sum(count for _, count in rejected),
        rejected_by_table=dict(rejected),
    )


BRIDGE_LINES = (
    ("start", "mrr_start"),
    ("+ new", "new_mrr"),
    ("+ reactivation", "reactivation_mrr"),
    ("+ expansion", "expansion_mrr"),
    ("- contraction", "contraction_mrr"),
    ("- churn", "churn_mrr"),
    ("= end", "mrr_end"),
)


def money(value: object) -> str:
    """Display rounding only: 2 decimals, half away from zero."""
    return f"{Decimal(str(value)).quantize(Decimal('0.01'), rounding=ROUND_HALF_UP):,}"


def format_summary(summary: BuildSummary) -> str:
    lines = [
        f"Warehouse published: {summary.warehouse_path}",
        f"Current MRR (as of {summary.as_of}): {money(summary.current_mrr)}   "
        f"ARR: {money(summary.current_mrr * 12)}",
    ]
    if summary.bridge is None:
        lines.append("No complete month of MRR history yet.")
    else:
        month = str(summary.bridge["month"])[:7]
        lines.append(f"MRR bridge of the last complete month, {month}:")
        for label, column in BRIDGE_LINES:
            lines.append(f"  {label:<15}{money(summary.bridge[column]):>18}")
        nrr = (
            "n/a (less than 13 months of history)"
            if summary.nrr_12_month is None
            else f"{summary.nrr_12_month:.1%}"
        )
        lines.append(f"NRR, trailing 12 months to {month}: {nrr}")
    detail = ", ".join(f"{table} {count}" for table, count in summary.rejected_by_table.items())
    rejected = f"Rejected raw rows: {summary.rejected_rows}"
    lines.append(rejected + (f" ({detail}); see marts.rejected_rows" if detail else ""))
    return "\n".join(lines)
