"""The short summary printed after a build, read from the published file (read-only)."""

from __future__ import annotations

from dataclasses import dataclass
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
with latest as (select max(month) as month from marts.fct_mrr),
cohort as (
    select
        start_state.customer_id,
        start_state.mrr as mrr_then,
        coalesce(end_state.mrr, 0) as mrr_now
    from marts.fct_mrr as start_state
    left join marts.fct_mrr as end_state
        on end_state.customer_id = start_state.customer_id
        and end_state.month = (select month from latest)
    where start_state.month = (select month from latest) - interval 12 month
        and start_state.mrr > 0
)
select sum(mrr_now) / nullif(sum(mrr_then), 0) from cohort
"""


@dataclass(frozen=True)
class BuildSummary:
    warehouse_path: Path
    as_of_month: str | None
    mrr: Decimal
    bridge: dict[str, object] | None
    nrr_12_month: float | None
    rejected_rows: int
    rejected_by_table: dict[str, int]


def read_summary(warehouse_path: Path) -> BuildSummary:
    with duckdb.connect(str(warehouse_path), read_only=True) as connection:
        bridge_row = connection.execute(
            f"select {', '.join(BRIDGE_COLUMNS)} from marts.mart_mrr_bridge "
            "where size_segment = 'all' order by month desc limit 1"
        ).fetchone()
        nrr = connection.execute(TTM_NRR_SQL).fetchone()[0]
        rejected = connection.execute(
            "select source_table, count(*) from marts.rejected_rows group by source_table order by 1"
        ).fetchall()
    bridge = dict(zip(BRIDGE_COLUMNS, bridge_row, strict=True)) if bridge_row else None
    return BuildSummary(
        warehouse_path=warehouse_path,
        as_of_month=str(bridge["month"])[:7] if bridge else None,
        mrr=Decimal(bridge["mrr_end"]) if bridge else Decimal(0),
        bridge=bridge,
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
    lines = [f"Warehouse published: {summary.warehouse_path}"]
    if summary.bridge is None:
        lines.append("No MRR yet: the landing folder holds no paying subscription.")
    else:
        bridge = summary.bridge
        lines.append(
            f"Current MRR ({summary.as_of_month}): {money(summary.mrr)}   ARR: {money(summary.mrr * 12)}"
        )
        lines.append(f"MRR bridge {summary.as_of_month}:")
        for label, column in BRIDGE_LINES:
            lines.append(f"  {label:<15}{money(bridge[column]):>18}")
        nrr = (
            "n/a (less than 13 months of history)"
            if summary.nrr_12_month is None
            else f"{summary.nrr_12_month:.1%}"
        )
        lines.append(f"NRR, trailing 12 months: {nrr}")
    detail = ", ".join(f"{table} {count}" for table, count in summary.rejected_by_table.items())
    lines.append(
        f"Rejected raw rows: {summary.rejected_rows}"
        + (f" ({detail}); see marts.rejected_rows" if detail else "")
    )
    return "\n".join(lines)
