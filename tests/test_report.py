"""The HTML report (`saas-warehouse report`, and report.html beside every published Parquet export): opened in
headless Chromium (Debian's `chromium`, scripts/install_engines.sh), it shows every chart, logs no error,
requests nothing from the network, and states the last complete month's figures exactly as the marts have
them."""

from __future__ import annotations

import shutil
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import duckdb
import pytest

from orchestration.cli import main
from orchestration.report import render_report
from tests.dbt_runner import query

CHROMIUM = Path("/usr/bin/chromium")
CHARTS = (
    "mrr_trend",
    "mrr_bridge",
    "retention",
    "expansion_mechanisms",
    "cohort_retention",
    "churn_by_segment",
    "maturity_stage",
    "forecast",
)
# true once every chart section holds plotly's SVG
EVERY_CHART_DRAWN = (
    "() => [...document.querySelectorAll('[data-chart]')].every(chart => chart.querySelector('.main-svg'))"
)
MONEY_FIGURES = {  # data-figure -> column of mart_mrr_bridge ('all')
    "mrr": "mrr_end",
    "new_mrr": "new_mrr",
    "expansion_mrr": "expansion_mrr",
    "reactivation_mrr": "reactivation_mrr",
    "contraction_mrr": "contraction_mrr",
    "churn_mrr": "churn_mrr",
}


class ExternalReferences(HTMLParser):
    """Every src/href of the page's tags (script text is not parsed as tags)."""

    def __init__(self) -> None:
        super().__init__()
        self.references: list[str] = []
        self.script_sources: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name in ("src", "href") and value:
                self.references.append(value)
            if tag == "script" and name == "src":
                self.script_sources.append(value or "")


def expected_money(value: Decimal) -> str:
    return f"{value.quantize(Decimal('0.01'), rounding=ROUND_HALF_UP):,}"


def expected_percent(value: Decimal | None) -> str:
    if value is None:
        return "n/a"
    return f"{(value * 100).quantize(Decimal('0.1'), rounding=ROUND_HALF_UP)} %"


def mart_figures(warehouse: Path) -> tuple[date, dict[str, tuple[Decimal | int | None, str]]]:
    """The last complete month (the greatest complete month of the bridge) and, per figure, the mart's value
    and how the report must display it."""
    month = query(
        warehouse,
        "select max(month) as month from marts.mart_mrr_bridge where size_segment = 'all' and is_complete",
    )["month"].item()
    where = f"month = date '{month}'"
    bridge = query(warehouse, f"select * from marts.mart_mrr_bridge where size_segment = 'all' and {where}")
    retention = query(warehouse, f"select * from marts.mart_retention_monthly where {where}")
    ttm = query(warehouse, f"select * from marts.mart_retention_ttm where {where}")
    bridge_row, retention_row = bridge.to_dict("records")[0], retention.to_dict("records")[0]
    ttm_row = ttm.to_dict("records")[0] if len(ttm) else {"nrr_ttm": None, "grr_ttm": None}
    figures: dict[str, tuple[Any, str]] = {
        key: (bridge_row[column], expected_money(bridge_row[column])) for key, column in MONEY_FIGURES.items()
    }
    figures["arr"] = (bridge_row["mrr_end"] * 12, expected_money(bridge_row["mrr_end"] * 12))
    figures["customers"] = (bridge_row["customers_end"], str(bridge_row["customers_end"]))
    figures["arpa"] = (retention_row["arpa"], expected_money(retention_row["arpa"]))
    for key in ("nrr", "grr", "logo_churn_rate"):
        figures[key] = (retention_row[key], expected_percent(retention_row[key]))
    for key in ("nrr_ttm", "grr_ttm"):
        figures[key] = (ttm_row[key], expected_percent(ttm_row[key]))
    return month, figures


def assert_figures_equal_the_marts(shown: dict[str, tuple[str, str]], warehouse: Path) -> None:
    """shown: data-figure -> (data-value, displayed text)."""
    _, expected = mart_figures(warehouse)
    for key, (value, display) in expected.items():
        shown_value, shown_display = shown[key]
        assert (None if shown_value == "" else Decimal(shown_value)) == value, key
        assert shown_display == display, key


@pytest.fixture(scope="module")
def sample_report(sample_published: Path) -> Path:
    """The report the Dagster job wrote beside the Parquet export when it published the sample company."""
    report = sample_published.parent / "report.html"
    assert report.exists(), "publishing did not write report.html beside the Parquet export"
    return report


def test_the_published_report_is_self_contained(sample_report: Path) -> None:
    page = sample_report.read_text(encoding="utf-8")
    references = ExternalReferences()
    references.feed(page)
    assert references.script_sources == []  # plotly.js is inlined
    assert not [ref for ref in references.references if ref.startswith(("http:", "https:", "//"))]
    assert "Plotly.newPlot" in page and "cdn.plot.ly/plotly" not in page


def test_the_published_report_is_the_report_of_the_published_file(
    sample_published: Path, tmp_path: Path
) -> None:
    """Written at publish from the build file, it is byte for byte what `saas-warehouse report` writes from
    the published file (the same figures, and nothing that changes from one run to the next)."""
    out = tmp_path / "again.html"
    assert main(["report", "--warehouse", str(sample_published), "--out", str(out)]) == 0
    assert out.read_bytes() == (sample_published.parent / "report.html").read_bytes()


def chromium_page_report(report: Path, screenshot: Path) -> dict[str, Any]:
    """Open the report in headless Chromium; everything the browser saw, logged and rendered."""
    from playwright.sync_api import sync_playwright

    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: run scripts/install_engines.sh (Debian's chromium package)")
    seen: dict[str, Any] = {"console_errors": [], "page_errors": [], "failed_requests": [], "network": []}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.on(
            "console", lambda message: message.type == "error" and seen["console_errors"].append(message.text)
        )
        page.on("pageerror", lambda error: seen["page_errors"].append(str(error)))
        page.on("requestfailed", lambda request: seen["failed_requests"].append(request.url))
        page.on(
            "request", lambda request: request.url.startswith("file:") or seen["network"].append(request.url)
        )
        page.goto(report.as_uri(), wait_until="load")
        page.wait_for_function(EVERY_CHART_DRAWN, timeout=60_000)
        seen["charts"] = page.evaluate(
            """() => Object.fromEntries([...document.querySelectorAll('[data-chart]')].map(section => {
                const svg = section.querySelector('svg.main-svg');
                const box = svg ? svg.getBoundingClientRect() : {width: 0, height: 0};
                const marks = [...section.querySelectorAll('g.mlayer path, g.mlayer image')].filter(
                    mark => mark.tagName === 'image' || (mark.getAttribute('d') || '').length > 2
                ).length;
                return [section.dataset.chart, {width: box.width, height: box.height, marks: marks}];
            }))"""
        )
        seen["figures"] = page.evaluate(
            """() => Object.fromEntries([...document.querySelectorAll('[data-figure]')].map(element => [
                element.dataset.figure,
                [element.dataset.value, element.querySelector('.kpi-value').textContent]
            ]))"""
        )
        seen["waterfall"] = page.evaluate("() => document.getElementById('chart-mrr_bridge').data[0].y")
        seen["opportunities"] = page.evaluate(
            """() => [...document.querySelectorAll('[data-table=opportunities] tbody tr')].map(row =>
                [Number(row.dataset.rank), row.dataset.customer, row.dataset.estimatedMrr])"""
        )
        seen["last_complete_month"] = page.evaluate("() => document.body.dataset.lastCompleteMonth")
        page.screenshot(path=str(screenshot), full_page=True)
        browser.close()
    return seen


@pytest.fixture(scope="module")
def browser_view(sample_report: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    screenshot = tmp_path_factory.mktemp("report-screenshot") / "report.png"
    seen = chromium_page_report(sample_report, screenshot)
    seen["screenshot"] = screenshot
    return seen


def test_chromium_logs_no_error_and_requests_nothing(browser_view: dict[str, Any]) -> None:
    assert browser_view["console_errors"] == []
    assert browser_view["page_errors"] == []
    assert browser_view["failed_requests"] == []
    assert browser_view["network"] == []  # offline: nothing but the file itself


def test_every_chart_is_drawn(browser_view: dict[str, Any]) -> None:
    charts = browser_view["charts"]
    assert sorted(charts) == sorted(CHARTS)
    for name, drawn in charts.items():
        assert drawn["width"] > 100 and drawn["height"] > 100, name
        assert drawn["marks"] > 0, f"{name}: an empty chart"


def test_the_figures_shown_equal_the_marts(browser_view: dict[str, Any], sample_published: Path) -> None:
    month, _ = mart_figures(sample_published)
    assert browser_view["last_complete_month"] == month.isoformat() == "2026-09-01"
    assert_figures_equal_the_marts(browser_view["figures"], sample_published)
    bridge = query(
        sample_published,
        f"select * from marts.mart_mrr_bridge where size_segment = 'all' and month = date '{month}'",
    ).to_dict("records")[0]
    steps = [
        bridge["mrr_start"],
        bridge["new_mrr"],
        bridge["reactivation_mrr"],
        bridge["expansion_mrr"],
        -bridge["contraction_mrr"],
        -bridge["churn_mrr"],
        bridge["mrr_end"],
    ]
    assert browser_view["waterfall"] == [float(step) for step in steps]


def test_the_top_twenty_opportunities_are_the_marts(
    browser_view: dict[str, Any], sample_published: Path
) -> None:
    top = query(
        sample_published,
        "select rank, customer_id, estimated_expansion_mrr from marts.mart_expansion_opportunities "
        "where rank <= 20 order by rank",
    ).to_dict("records")
    assert len(top) == 20
    shown = browser_view["opportunities"]
    assert [(rank, customer) for rank, customer, _ in shown] == [(r["rank"], r["customer_id"]) for r in top]
    assert [Decimal(mrr) for _, _, mrr in shown] == [r["estimated_expansion_mrr"] for r in top]


def test_the_screenshot_is_saved(browser_view: dict[str, Any]) -> None:
    screenshot: Path = browser_view["screenshot"]
    assert screenshot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert screenshot.stat().st_size > 50_000


def test_report_of_the_golden_scenario_states_its_hand_computed_figures(
    golden_warehouse: Path, tmp_path: Path
) -> None:
    """A plain dbt build (no forecast): the report says so instead of drawing an empty chart; the figures of
    the last complete month, 2025-11, are the golden scenario's (docs/golden_scenarios.md)."""
    warehouse = tmp_path / "golden.duckdb"
    shutil.copyfile(golden_warehouse, warehouse)
    out = tmp_path / "report.html"
    assert main(["report", "--warehouse", str(warehouse), "--out", str(out)]) == 0
    page = out.read_text(encoding="utf-8")
    assert 'data-last-complete-month="2025-11-01"' in page
    assert '<div class="kpi" data-figure="mrr" data-value="534.400000">' in page
    assert '<div class="kpi-value">534.40</div>' in page
    assert 'data-figure="arr" data-value="6412.800000"' in page
    assert 'data-figure="nrr" data-value="1.0000000000"' in page
    assert 'data-chart-missing="forecast"' in page
    assert 'data-table="opportunities" data-rows="0"' in page  # the golden scenario has no usage


def test_report_of_a_missing_warehouse_says_build_first(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["report", "--warehouse", str(tmp_path / "none.duckdb")]) == 1
    assert "saas-warehouse build" in capsys.readouterr().err


def test_a_warehouse_without_a_complete_month_gets_a_report_that_says_so(tmp_path: Path) -> None:
    """A company's first month: the report (hence the publish) does not fail; the page says why it is
    empty."""
    warehouse = tmp_path / "first-month.duckdb"
    with duckdb.connect(str(warehouse)) as connection:
        connection.execute("create schema marts")
        connection.execute(
            "create table marts.mart_mrr_bridge as "
            "select date '2026-11-01' as month, 'all' as size_segment, 10.0 as mrr_end, false as is_complete"
        )
    page = render_report(warehouse)
    assert "No month is complete yet" in page and 'data-last-complete-month=""' in page
