"""Regenerate docs/report.png, the README's picture of the HTML report, from the sample company.

    python scripts/report_screenshot.py [--warehouse FILE] [--out docs/report.png]

Without --warehouse it builds the sample company (seeds/) as of 2026-10-31 through `saas-warehouse build`
into a temporary folder (about a minute); the published build writes report.html, which headless Chromium
(Debian's `chromium`, scripts/install_engines.sh) renders through Playwright. With --warehouse it writes the
report of that file instead. Needs the dev extra (playwright).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
SAMPLE_AS_OF = "2026-10-31"
VIEWPORT = {"width": 1400, "height": 1000}
# true once every chart section holds plotly's SVG
EVERY_CHART_DRAWN = (
    "() => [...document.querySelectorAll('[data-chart]')].every(chart => chart.querySelector('.main-svg'))"
)


def build_sample(folder: Path) -> Path:
    """The sample company published by `saas-warehouse build` into folder; returns its report.html."""
    warehouse = folder / "saas.duckdb"
    command = [sys.executable, "-m", "orchestration.cli", "build", "--warehouse", str(warehouse)]
    environment = {**os.environ, "SAAS_AS_OF": SAMPLE_AS_OF, "SAAS_RAW_DIR": str(REPO_ROOT / "seeds")}
    subprocess.run(command, check=True, cwd=REPO_ROOT, env=environment)
    return folder / "report.html"


def report_of(warehouse: Path, folder: Path) -> Path:
    from orchestration.report import write_report

    return write_report(warehouse, folder / "report.html")


def screenshot(report: Path, png: Path) -> None:
    """The whole page once every chart is drawn."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        page = browser.new_page(viewport=VIEWPORT)
        page.goto(report.as_uri(), wait_until="load")
        page.wait_for_function(EVERY_CHART_DRAWN)
        png.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(png), full_page=True)
        browser.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--warehouse", type=Path, help="Report this warehouse file instead of the sample's.")
    parser.add_argument(
        "--out", type=Path, default=REPO_ROOT / "docs" / "report.png", help="The PNG to write."
    )
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="report-screenshot-") as scratch:
        folder = Path(scratch)
        report = report_of(args.warehouse, folder) if args.warehouse else build_sample(folder)
        screenshot(report, args.out)
    print(f"Wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
