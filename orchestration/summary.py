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
order by rows_rejected desc, source_table, reason_kind
"""
FORECAST_SQL = """
select
    max(case when not is_backtest then quarter_start end),
    max(case when not is_backtest then forecast_expansion_mrr end),
    max(case when not is_backtest then forecast_low end),
    max(case when not is_backtest then forecast_high end),
    avg(case when is_backtest then abs_pct_error end)
from marts.mart_expansion_forecast
"""
BUILD_SCOPE_SQL = """
select
    marts_recompute_reason,
    (select count(*) from build_state.build_customers_to_recompute)
from build_state.build_scope
"""
MAX_REJECTION_LINES = 20


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
    # MRR at the end of each month after the last complete one (is_complete = false), oldest first: the
    # month in progress, and a closed month whose usage is not billed yet (D-44)
    incomplete_months: list[tuple[date, Decimal]]
    build_scope: str
    bridge: dict[str, object] | None
    nrr_12_month: Decimal | None
    rejected_rows: int
    rejections: list[RejectionLine]
    # the forecast row of mart_expansion_forecast (quarter_start, forecast, low, high) and the backtest's
    # mean abs_pct_error; None when the warehouse has no forecast
    expansion_forecast: tuple[date, Decimal | None, Decimal | None, Decimal | None] | None = None
    forecast_backtest_error: Decimal | None = None


def published_as_of(connection: duckdb.DuckDBPyConnection) -> date:
    """The as-of date the published warehouse was built for (meta.build_info, written when publishing)."""
    return connection.execute(f"select as_of from {BUILD_INFO_TABLE}").fetchone()[0]


def describe_build_scope(connection: duckdb.DuckDBPyConnection) -> str:
    """Whether the build recomputed everyone (and why) or only the customers whose rows changed."""
    try:
        reason, changed = connection.execute(BUILD_SCOPE_SQL).fetchone()
    except duckdb.Error:
        return "full build"
    return f"full build ({reason})" if reason else f"incremental: {changed:,} customers recomputed"


def read_summary(warehouse_path: Path) -> BuildSummary:
    """The headline figures, read from the published marts only (nothing is recomputed here)."""
    with duckdb.connect(str(warehouse_path), read_only=True) as connection:
        as_of = published_as_of(connection)
        month = last_complete_month(connection, as_of)
        incomplete = connection.execute(
            "select month, mrr_end from marts.mart_mrr_bridge "
            "where size_segment = 'all' and month > coalesce($month, date '0001-01-01') order by month",
            {"month": month},
        ).fetchall()
        build_scope = describe_build_scope(connection)
        bridge_row = connection.execute(
            f"select {', '.join(BRIDGE_COLUMNS)} from marts.mart_mrr_bridge "
            "where size_segment = 'all' and month = $month",
            {"month": month},
        ).fetchone()
        nrr = connection.execute(
            "select nrr_ttm from marts.mart_retention_ttm where month = $month", {"month": month}
        ).fetchone()
        rejections = [RejectionLine(*row) for row in connection.execute(REJECTIONS_SQL).fetchall()]
        quarter, forecast, low, high, backtest_error = connection.execute(FORECAST_SQL).fetchone()
    return BuildSummary(
        warehouse_path=warehouse_path,
        as_of=as_of,
        incomplete_months=[(incomplete_month, mrr) for incomplete_month, mrr in incomplete],
        build_scope=build_scope,
        bridge=dict(zip(BRIDGE_COLUMNS, bridge_row, strict=True)) if bridge_row else None,
        nrr_12_month=nrr[0] if nrr else None,
        rejected_rows=sum(line.rows for line in rejections),
        rejections=rejections,
        expansion_forecast=(quarter, forecast, low, high) if quarter else None,
        forecast_backtest_error=backtest_error,
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
        f"Warehouse published: {summary.warehouse_path} (as of {summary.as_of}; {summary.build_scope})",
    ]
    if summary.bridge is None:
        lines.append("No complete month of MRR history yet.")
    else:
        month = str(summary.bridge["month"])[:7]
        end = summary.bridge["mrr_end"]
        lines.append(f"MRR of {month}, the last complete month: {money(end)}   ARR: {money(end * 12)}")
        lines.append(f"MRR bridge of {month}:")
        for label, column in BRIDGE_LINES:
            lines.append(f"  {label:<15}{money(summary.bridge[column]):>18}")
        nrr = (
            "n/a (less than 13 months of history)"
            if summary.nrr_12_month is None
            else f"{summary.nrr_12_month:.1%}"
        )
        lines.append(f"NRR, trailing 12 months to {month}: {nrr}")
    lines.extend(incomplete_month_lines(summary))
    lines.extend(forecast_lines(summary))
    lines.extend(rejection_lines(summary))
    return "\n".join(lines)


def incomplete_month_lines(summary: BuildSummary) -> list[str]:
    """The months after the last complete one, labelled as what they are: never read as a close."""
    lines = []
    for month, mrr in summary.incomplete_months:
        if (month.year, month.month) == (summary.as_of.year, summary.as_of.month):
            label = f"Month to date, {month:%Y-%m} (in progress, not a close: usage is billed in arrears)"
        else:
            label = f"{month:%Y-%m} (closed, but its usage is not billed yet: not complete)"
        lines.append(f"{label}: MRR {money(mrr)}")
    return lines


def forecast_lines(summary: BuildSummary) -> list[str]:
    """Next quarter's expansion MRR forecast, its interval and the backtest's mean error."""
    if summary.expansion_forecast is None:
        return []
    quarter, forecast, low, high = summary.expansion_forecast
    if forecast is None:
        return [f"Expansion MRR forecast, quarter from {quarter}: n/a (not enough history)"]
    interval = f" (about 80 %: {money(low)} to {money(high)})" if low is not None and high is not None else ""
    error = summary.forecast_backtest_error
    backtest = (
        "" if error is None else f"; backtest of the last 4 quarters: mean error {error:.1%} (goal ≤ 10%)"
    )
    return [f"Expansion MRR forecast, quarter from {quarter}: {money(forecast)}{interval}{backtest}"]


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
