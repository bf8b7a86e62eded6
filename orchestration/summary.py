"""The short summary printed after a build, read from the published file (read-only)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import duckdb

from orchestration.publishing import BUILD_INFO_TABLE, last_complete_month

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

REJECTIONS_SQL = """
select
    source_table,
    reason_kind,
    rows_rejected,
    mrr_carried,
    example_reason
from marts.mart_rejection_summary
order by source_table, rows_rejected desc, reason_kind
"""
MAX_REJECTION_LINES = 12


@dataclass(frozen=True)
class RejectionLine:
    source_table: str
    reason_kind: str
    rows: int
    mrr_carried: Decimal | None
    example: str


@dataclass(frozen=True)
class BuildSummary:
    warehouse_path: Path
    as_of: date
    current_mrr: Decimal
    bridge: dict[str, object] | None
    nrr_12_month: Decimal | None
    rejected_rows: int
    rejections: list[RejectionLine]


def published_as_of(connection: duckdb.DuckDBPyConnection) -> date:
    """The as-of date the published warehouse was built for (meta.build_info, written when publishing)."""
    return connection.execute(f"select as_of from {BUILD_INFO_TABLE}").fetchone()[0]


def read_summary(warehouse_path: Path) -> BuildSummary:
    """The headline figures, read from the published marts only (nothing is recomputed here)."""
    with duckdb.connect(str(warehouse_path), read_only=True) as connection:
        as_of = published_as_of(connection)
        month = last_complete_month(as_of)
        current = connection.execute(
            "select mrr_end from marts.mart_mrr_bridge where size_segment = 'all' order by month desc limit 1"
        ).fetchone()
        bridge_row = connection.execute(
            f"select {', '.join(BRIDGE_COLUMNS)} from marts.mart_mrr_bridge "
            "where size_segment = 'all' and month = $month",
            {"month": month},
        ).fetchone()
        nrr = connection.execute(
            "select nrr_ttm from marts.mart_retention_ttm where month = $month", {"month": month}
        ).fetchone()
        rejections = [RejectionLine(*row) for row in connection.execute(REJECTIONS_SQL).fetchall()]
    return BuildSummary(
        warehouse_path=warehouse_path,
        as_of=as_of,
        current_mrr=Decimal(current[0]) if current else Decimal(0),
        bridge=dict(zip(BRIDGE_COLUMNS, bridge_row, strict=True)) if bridge_row else None,
        nrr_12_month=nrr[0] if nrr else None,
        rejected_rows=sum(line.rows for line in rejections),
        rejections=rejections,
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
    lines.extend(rejection_lines(summary))
    return "\n".join(lines)


def rejection_lines(summary: BuildSummary) -> list[str]:
    """Rejected raw rows by table and kind of reason, with the MRR they carried where known."""
    if not summary.rejections:
        return ["Rejected raw rows: 0"]
    lines = [f"Rejected raw rows: {summary.rejected_rows} (every one in marts.rejected_rows):"]
    for line in summary.rejections[:MAX_REJECTION_LINES]:
        carried = f", MRR {money(line.mrr_carried)}" if line.mrr_carried is not None else ""
        lines.append(f"  {line.source_table:<20} {line.rows:>6}  {line.reason_kind}{carried}")
    hidden = len(summary.rejections) - MAX_REJECTION_LINES
    if hidden > 0:
        lines.append(f"  ... and {hidden} more kinds of reason (marts.mart_rejection_summary)")
    return lines
