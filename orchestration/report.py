"""`saas-warehouse report`: one self-contained HTML file from a published (or built) warehouse, read-only.

Plotly draws every chart; its JavaScript is inlined once, so the file opens offline (no CDN, no request).
The figures of the last complete month (the latest month of mart_mrr_bridge with is_complete) are shown in
elements with stable `data-figure` attributes carrying the exact decimal of the mart beside its display
text, so that a browser test can read them back; every chart sits in an element with a `data-chart`
attribute. Each published build writes the report beside the Parquet export (orchestration/publishing.py).
"""

from __future__ import annotations

import html
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import duckdb

REPORT_FILE_NAME = "report.html"
TWO_PLACES = Decimal("0.01")
ONE_PLACE = Decimal("0.1")
PLOTLY_CONFIG = {"displaylogo": False, "responsive": True, "modeBarButtonsToRemove": ["sendDataToCloud"]}
MOVEMENT_COLUMNS = ("new_mrr", "reactivation_mrr", "expansion_mrr", "contraction_mrr", "churn_mrr")
POSITIVE_MECHANISMS = ("cross_sell", "add_on", "seat", "upsell", "price", "usage")


class ReportError(RuntimeError):
    """The warehouse cannot be reported (missing, or built by a version without the columns needed)."""


# --- reading the warehouse ----------------------------------------------------------------------------------


def last_complete_month(connection: duckdb.DuckDBPyConnection) -> date | None:
    """The report's one definition of the last complete month: the greatest month of mart_mrr_bridge with
    is_complete (the month in progress, and a month whose usage is not billed yet, are not complete); None
    while no month is complete (a company's first month)."""
    from orchestration.publishing import LAST_COMPLETE_MONTH_SQL

    try:
        month = connection.execute(LAST_COMPLETE_MONTH_SQL).fetchone()[0]
    except duckdb.BinderException as error:
        raise ReportError(
            "marts.mart_mrr_bridge has no is_complete column (built by an older version): run "
            "`saas-warehouse build`"
        ) from error
    return month


def rows(connection: duckdb.DuckDBPyConnection, sql: str, parameters: Sequence[object] = ()) -> list[dict]:
    """Rows as dicts; decimals stay Decimal."""
    cursor = connection.execute(sql, list(parameters))
    columns = [column[0] for column in cursor.description]
    return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]


def optional_rows(
    connection: duckdb.DuckDBPyConnection, sql: str, parameters: Sequence[object] = ()
) -> list[dict]:
    """Rows of a mart that older warehouses may not have (the expansion layer): none when it is missing."""
    try:
        return rows(connection, sql, parameters)
    except duckdb.CatalogException:
        return []


def one_row(connection: duckdb.DuckDBPyConnection, sql: str, month: date) -> dict:
    found = optional_rows(connection, sql, [month])
    return found[0] if found else {}


# --- figures of the last complete month ---------------------------------------------------------------------


@dataclass(frozen=True)
class Figure:
    key: str
    label: str
    value: Decimal | int | None
    display: str


def money(value: Decimal | None) -> str:
    """Money for display: rounded half away from zero to cents, thousands separated."""
    return "n/a" if value is None else f"{Decimal(value).quantize(TWO_PLACES, rounding=ROUND_HALF_UP):,}"


def percent(value: Decimal | None) -> str:
    """A rate (a fraction) as a percentage with one decimal, rounded half away from zero."""
    if value is None:
        return "n/a"
    return f"{(Decimal(value) * 100).quantize(ONE_PLACE, rounding=ROUND_HALF_UP)} %"


def figure(key: str, label: str, value: Any, formatter: Callable[[Any], str]) -> Figure:
    return Figure(key, label, value, formatter(value))


BRIDGE_MONTH_SQL = "select * from marts.mart_mrr_bridge where size_segment = 'all' and month = ?"
RETENTION_MONTH_SQL = "select * from marts.mart_retention_monthly where month = ?"
TTM_MONTH_SQL = "select * from marts.mart_retention_ttm where month = ?"
MATURITY_MONTH_SQL = "select * from marts.mart_expansion_maturity where month = ?"


def month_figures(connection: duckdb.DuckDBPyConnection, month: date) -> list[Figure]:
    """What the page states about the last complete month, each with the mart it comes from."""
    bridge = one_row(connection, BRIDGE_MONTH_SQL, month)
    retention = one_row(connection, RETENTION_MONTH_SQL, month)
    ttm = one_row(connection, TTM_MONTH_SQL, month)
    maturity = one_row(connection, MATURITY_MONTH_SQL, month)
    stage = maturity.get("stage")
    return [
        figure("mrr", "MRR", bridge["mrr_end"], money),
        figure("arr", "ARR", bridge["mrr_end"] * 12, money),
        figure("customers", "Paying customers", bridge["customers_end"], str),
        figure("new_mrr", "New MRR", bridge["new_mrr"], money),
        figure("expansion_mrr", "Expansion MRR", bridge["expansion_mrr"], money),
        figure("reactivation_mrr", "Reactivation MRR", bridge["reactivation_mrr"], money),
        figure("contraction_mrr", "Contraction MRR", bridge["contraction_mrr"], money),
        figure("churn_mrr", "Churned MRR", bridge["churn_mrr"], money),
        figure("nrr", "NRR (month)", retention.get("nrr"), percent),
        figure("grr", "GRR (month)", retention.get("grr"), percent),
        figure("nrr_ttm", "NRR (trailing 12 months)", ttm.get("nrr_ttm"), percent),
        figure("grr_ttm", "GRR (trailing 12 months)", ttm.get("grr_ttm"), percent),
        figure("logo_churn_rate", "Logo churn (month)", retention.get("logo_churn_rate"), percent),
        figure("arpa", "ARPA", retention.get("arpa"), money),
        Figure(
            "maturity_stage",
            "Expansion maturity stage",
            stage,
            "n/a" if stage is None else f"{stage} · {maturity['stage_name']}",
        ),
    ]


# --- charts (plotly) --------------------------------------------------------------------------------


def number(value: Decimal | int | None) -> float | None:
    """Chart coordinates are floats (display only; the figures above keep the exact decimals)."""
    return None if value is None else float(value)


def gap(low: Decimal | None, high: Decimal | None) -> float | None:
    """high − low for an interval's error bar; none when either end is unknown (no forecast)."""
    return None if low is None or high is None else float(high - low)


def iso_month(value: date) -> str:
    return value.strftime("%Y-%m")


def layout(**extra: Any) -> dict:
    """The charts' common layout (each chart's title is its section's heading)."""
    return {
        "height": 380,
        "margin": {"l": 60, "r": 20, "t": 20, "b": 50},
        "legend": {"orientation": "h", "y": -0.2},
        "template": "plotly_white",
        **extra,
    }


def bridge_history(connection: duckdb.DuckDBPyConnection) -> list[dict]:
    return rows(connection, "select * from marts.mart_mrr_bridge where size_segment = 'all' order by month")


def month_line(series: list[dict], column: str, name: str, **style: Any) -> Any:
    """A line of one column of month rows."""
    import plotly.graph_objects as go

    return go.Scatter(
        x=[iso_month(row["month"]) for row in series],
        y=[number(row[column]) for row in series],
        name=name,
        **style,
    )


def mrr_trend(connection: duckdb.DuckDBPyConnection, month: date) -> Any:
    import plotly.graph_objects as go

    history = bridge_history(connection)
    complete = [row for row in history if row["month"] <= month]
    in_progress = [row for row in history if row["month"] >= month]
    figure_ = go.Figure(month_line(complete, "mrr_end", "MRR (complete months)", mode="lines+markers"))
    if len(in_progress) > 1:
        dotted = {"dash": "dot", "color": "#999999"}
        figure_.add_trace(
            month_line(in_progress, "mrr_end", "month in progress", mode="lines+markers", line=dotted)
        )
    return figure_.update_layout(**layout())


def waterfall_range(steps: list[tuple[str, Decimal, str]]) -> list[float]:
    """The y range that shows the movements: from a little below the lowest running level (a bridge starting
    at zero would flatten them against millions of MRR)."""
    levels, level = [], Decimal(0)
    for _, value, measure in steps:
        level = value if measure != "relative" else level + value
        levels.append(level)
    low, high = min(levels), max(levels)
    margin = (high - low) * Decimal("0.5") or abs(high) * Decimal("0.05") or Decimal(1)
    return [float(max(low - margin, Decimal(0))), float(high + margin / 2)]


def bridge_waterfall(connection: duckdb.DuckDBPyConnection, month: date) -> Any:
    import plotly.graph_objects as go

    bridge = one_row(connection, BRIDGE_MONTH_SQL, month)
    steps = [
        ("MRR start", bridge["mrr_start"], "absolute"),
        ("New", bridge["new_mrr"], "relative"),
        ("Reactivation", bridge["reactivation_mrr"], "relative"),
        ("Expansion", bridge["expansion_mrr"], "relative"),
        ("Contraction", -bridge["contraction_mrr"], "relative"),
        ("Churn", -bridge["churn_mrr"], "relative"),
        ("MRR end", bridge["mrr_end"], "total"),
    ]
    return go.Figure(
        go.Waterfall(
            x=[label for label, _, _ in steps],
            y=[number(value) for _, value, _ in steps],
            measure=[measure for _, _, measure in steps],
            text=[money(value) for _, value, _ in steps],
            textposition="outside",
            connector={"line": {"color": "#bbbbbb"}},
        )
    ).update_layout(**layout(showlegend=False, yaxis={"range": waterfall_range(steps)}))


def retention_trend(connection: duckdb.DuckDBPyConnection, month: date) -> Any:
    import plotly.graph_objects as go

    monthly = rows(
        connection, "select * from marts.mart_retention_monthly where month <= ? order by month", [month]
    )
    ttm = rows(connection, "select * from marts.mart_retention_ttm where month <= ? order by month", [month])
    figure_ = go.Figure()
    for source, column, name, dash in (
        (monthly, "nrr", "NRR (month)", "dot"),
        (monthly, "grr", "GRR (month)", "dot"),
        (ttm, "nrr_ttm", "NRR (trailing 12 months)", "solid"),
        (ttm, "grr_ttm", "GRR (trailing 12 months)", "solid"),
    ):
        figure_.add_trace(month_line(source, column, name, mode="lines", line={"dash": dash}))
    return figure_.update_layout(**layout(yaxis={"tickformat": ".0%"}))


def expansion_mechanisms(connection: duckdb.DuckDBPyConnection, month: date) -> Any:
    import plotly.graph_objects as go

    found = rows(
        connection,
        "select month, mechanism, expansion_mrr from marts.mart_expansion_mechanisms where month <= ? "
        "order by month",
        [month],
    )
    figure_ = go.Figure()
    for mechanism in POSITIVE_MECHANISMS:
        series = [row for row in found if row["mechanism"] == mechanism]
        figure_.add_trace(
            go.Bar(
                x=[iso_month(row["month"]) for row in series],
                y=[number(row["expansion_mrr"]) for row in series],
                name=mechanism.replace("_", "-"),
            )
        )
    return figure_.update_layout(**layout(barmode="stack"))


def cohort_retention(connection: duckdb.DuckDBPyConnection, month: date) -> Any:
    import plotly.graph_objects as go

    found = rows(
        connection,
        "select cohort_month, months_since_start, logo_retention from marts.mart_cohort_retention "
        "where date_add(cohort_month, to_months(months_since_start)) <= ? "
        "order by cohort_month, months_since_start",
        [month],
    )
    cohorts = sorted({row["cohort_month"] for row in found})
    width = max((row["months_since_start"] for row in found), default=-1) + 1
    grid: dict[date, list[float | None]] = {cohort: [None] * width for cohort in cohorts}
    for row in found:
        grid[row["cohort_month"]][row["months_since_start"]] = number(row["logo_retention"])
    return go.Figure(
        go.Heatmap(
            z=[grid[cohort] for cohort in cohorts],
            x=list(range(width)),
            y=[iso_month(cohort) for cohort in cohorts],
            colorscale="Blues",
            zmin=0,
            zmax=1,
            hovertemplate="cohort %{y}, month %{x}: %{z:.1%}<extra></extra>",
        )
    ).update_layout(**layout(height=520, xaxis={"title": {"text": "months since start"}}))


def churn_by_segment(connection: duckdb.DuckDBPyConnection, month: date) -> Any:
    import plotly.graph_objects as go

    found = rows(
        connection, "select * from marts.mart_churn_by_segment where month <= ? order by month", [month]
    )
    figure_ = go.Figure()
    for segment in sorted({row["segment"] for row in found}):
        series = [row for row in found if row["segment"] == segment]
        figure_.add_trace(month_line(series, "logo_churn_rate", segment.replace("_", " "), mode="lines"))
    return figure_.update_layout(**layout(yaxis={"tickformat": ".1%"}))


def maturity_stage(connection: duckdb.DuckDBPyConnection, month: date) -> Any:
    import plotly.graph_objects as go

    found = rows(
        connection, "select * from marts.mart_expansion_maturity where month <= ? order by month", [month]
    )
    return go.Figure(
        go.Scatter(
            x=[iso_month(row["month"]) for row in found],
            y=[row["stage"] for row in found],
            text=[row["stage_name"] for row in found],
            mode="lines+markers",
            line={"shape": "hv"},
            hovertemplate="%{x}: stage %{y} (%{text})<extra></extra>",
        )
    ).update_layout(**layout(showlegend=False, yaxis={"dtick": 1}))


def forecast_vs_actual(connection: duckdb.DuckDBPyConnection, month: date) -> Any | None:
    import plotly.graph_objects as go

    found = optional_rows(connection, "select * from marts.mart_expansion_forecast order by quarter_start")
    if not found:
        return None
    quarters = [f"{row['quarter_start']:%Y} Q{(row['quarter_start'].month + 2) // 3}" for row in found]
    forecast = [number(row["forecast_expansion_mrr"]) for row in found]
    figure_ = go.Figure()
    figure_.add_trace(
        go.Bar(x=quarters, y=[number(row["actual_expansion_mrr"]) for row in found], name="actual")
    )
    figure_.add_trace(
        go.Bar(
            x=quarters,
            y=forecast,
            name="forecast (80 % interval)",
            error_y={
                "type": "data",
                "symmetric": False,
                "array": [gap(row["forecast_expansion_mrr"], row["forecast_high"]) for row in found],
                "arrayminus": [gap(row["forecast_low"], row["forecast_expansion_mrr"]) for row in found],
            },
        )
    )
    return figure_.update_layout(**layout(barmode="group"))


CHARTS: tuple[tuple[str, str, Callable[[duckdb.DuckDBPyConnection, date], Any]], ...] = (
    ("mrr_trend", "MRR at month-end", mrr_trend),
    ("mrr_bridge", "MRR bridge of the last complete month (waterfall)", bridge_waterfall),
    ("retention", "NRR and GRR, monthly and trailing 12 months", retention_trend),
    ("expansion_mechanisms", "Expansion MRR by mechanism", expansion_mechanisms),
    ("cohort_retention", "Cohort logo retention (share of each cohort still paying)", cohort_retention),
    ("churn_by_segment", "Monthly logo churn by segment", churn_by_segment),
    ("maturity_stage", "Expansion maturity stage", maturity_stage),
    (
        "forecast",
        "Expansion MRR per quarter: forecast vs actual (backtests, then next quarter)",
        forecast_vs_actual,
    ),
)


# --- the page --------------------------------------------------------------------------------


OPPORTUNITIES_SQL = """
select rank, customer_id, product_id, trigger, metric, utilization, health_score, estimated_expansion_mrr,
    priority_score
from marts.mart_expansion_opportunities
where rank <= 20
order by rank
"""
OPPORTUNITY_COLUMNS = (
    ("rank", "rank", str),
    ("customer_id", "customer", str),
    ("product_id", "product", str),
    ("trigger", "trigger", str),
    ("metric", "metric", lambda value: value or "-"),
    ("utilization", "utilisation", lambda value: "-" if value is None else percent(value)),
    ("health_score", "health", money),
    ("estimated_expansion_mrr", "estimated MRR", money),
)


def opportunities_table(connection: duckdb.DuckDBPyConnection) -> str:
    found = optional_rows(connection, OPPORTUNITIES_SQL)
    if not found:
        return (
            '<p class="note" data-table="opportunities" data-rows="0">'
            "No expansion opportunities in this warehouse.</p>"
        )
    header = "".join(f"<th>{html.escape(label)}</th>" for _, label, _ in OPPORTUNITY_COLUMNS)
    body = "".join(
        f'<tr data-rank="{row["rank"]}" data-customer="{html.escape(row["customer_id"])}" '
        f'data-estimated-mrr="{row["estimated_expansion_mrr"]}">'
        + "".join(f"<td>{html.escape(formatter(row[key]))}</td>" for key, _, formatter in OPPORTUNITY_COLUMNS)
        + "</tr>"
        for row in found
    )
    return (
        f'<table data-table="opportunities" data-rows="{len(found)}"><thead><tr>{header}</tr></thead>'
        f"<tbody>{body}</tbody></table>"
    )


def figure_html(item: Figure) -> str:
    value = "" if item.value is None else str(item.value)
    return (
        f'<div class="kpi" data-figure="{item.key}" data-value="{html.escape(value)}">'
        f'<div class="kpi-label">{html.escape(item.label)}</div>'
        f'<div class="kpi-value">{html.escape(item.display)}</div></div>'
    )


def chart_html(key: str, title: str, chart: Any | None) -> str:
    if chart is None:
        return (
            f'<section class="chart missing" data-chart-missing="{key}"><h2>{html.escape(title)}</h2>'
            '<p class="note">Not in this warehouse (the Dagster build publishes it; a plain dbt build does '
            "not).</p>"
            "</section>"
        )
    plot = chart.to_html(include_plotlyjs=False, full_html=False, div_id=f"chart-{key}", config=PLOTLY_CONFIG)
    return f'<section class="chart" data-chart="{key}"><h2>{html.escape(title)}</h2>{plot}</section>'


STYLE = """
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 24px; color: #222; }
h1 { font-size: 22px; margin-bottom: 4px; } h2 { font-size: 16px; margin: 8px 0; }
.subtitle { color: #666; margin-bottom: 16px; }
.kpis { display: grid; grid-template-columns: repeat(auto-fill, minmax(190px, 1fr)); gap: 10px; }
.kpi { border: 1px solid #ddd; border-radius: 6px; padding: 10px; }
.kpi-label { color: #666; font-size: 12px; } .kpi-value { font-size: 20px; font-weight: 600; }
.charts { display: grid; grid-template-columns: repeat(auto-fill, minmax(560px, 1fr)); gap: 16px;
  margin-top: 16px; }
.chart { border: 1px solid #eee; border-radius: 6px; padding: 8px; }
table { border-collapse: collapse; font-size: 13px; }
th, td { padding: 4px 8px; border-bottom: 1px solid #eee; }
td:nth-child(n+6) { text-align: right; } .note { color: #666; }
"""


def build_info(connection: duckdb.DuckDBPyConnection) -> dict:
    found = optional_rows(connection, "select as_of, built_at_utc from meta.build_info")
    return found[0] if found else {}


def render_report(warehouse_path: Path) -> str:
    """The report of a warehouse file, as one HTML page (plotly.js inlined)."""
    from plotly.offline import get_plotlyjs

    if not warehouse_path.exists():
        raise ReportError(f"no warehouse at {warehouse_path}: run `saas-warehouse build` first")
    with duckdb.connect(str(warehouse_path), read_only=True) as connection:
        # a missing table is an error, never a Python variable of the same name (DuckDB's replacement scans)
        connection.execute("set python_enable_replacements = false")
        month = last_complete_month(connection)
        info = build_info(connection)
        if month is None:
            # a company's first month: publishing must not fail for it, and the page says why it is empty
            return no_complete_month_page(info)
        figures = month_figures(connection, month)
        charts = [chart_html(key, title, make(connection, month)) for key, title, make in CHARTS]
        opportunities = opportunities_table(connection)
    as_of = f" · as of {info['as_of']}" if info.get("as_of") else ""
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>SaaS revenue report {iso_month(month)}</title>
<style>{STYLE}</style><script type="text/javascript">{get_plotlyjs()}</script></head>
<body data-last-complete-month="{month.isoformat()}">
<h1>SaaS revenue report</h1>
<div class="subtitle">Last complete month <strong>{iso_month(month)}</strong>{html.escape(as_of)} · money
in the reporting currency · months in progress are left out of the trends (the MRR trend shows them
dotted)</div>
<div class="kpis">{"".join(figure_html(item) for item in figures)}</div>
<div class="charts">{"".join(charts)}</div>
<section class="opportunities"><h2>Top 20 expansion opportunities</h2>{opportunities}</section>
</body></html>
"""


def no_complete_month_page(info: dict) -> str:
    as_of = f" (as of {info['as_of']})" if info.get("as_of") else ""
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>SaaS revenue report</title><style>{STYLE}</style></head>
<body data-last-complete-month="">
<h1>SaaS revenue report</h1>
<p class="note">No month is complete yet{html.escape(as_of)}: the month in progress is not reported as a
close. The report fills in once the first month is over and its usage is billed (DECISIONS.md D-44).</p>
</body></html>
"""


def stage_report(warehouse_path: Path, output: Path, suffix: str) -> Path:
    """The report written to a temporary name beside output (`.<name>.tmp-<suffix>`), for one rename later."""
    page = render_report(warehouse_path)
    output.parent.mkdir(parents=True, exist_ok=True)
    staged = output.with_name(f".{output.name}.tmp-{suffix}")
    staged.write_text(page, encoding="utf-8")
    return staged


def write_report(warehouse_path: Path, output: Path) -> Path:
    """Write the report atomically: a temporary file beside the target, then one rename."""
    os.replace(stage_report(warehouse_path, output, str(os.getpid())), output)
    return output
