"""The full build of the sample company through the Dagster job, as `saas-warehouse build` runs it."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pandas as pd

from company_generator import PLANTED_BAD_ROWS
from independent_metrics import compute_all
from orchestration.expansion_forecast import BridgeMonth, forecast_rows
from orchestration.settings import DEFAULT_RAW_DIR
from orchestration.summary import format_summary, read_summary
from tests.conftest import SAMPLE_AS_OF
from tests.dbt_runner import query

MECHANISMS = ["cross_sell", "product_churn", "add_on", "seat", "upsell", "downgrade", "price", "usage"]
# The SQL stores each item's MRR rounded to 6 decimals; the reference keeps floats. A customer's sum of a
# few items can differ by a few millionths, never by a hundredth of a cent.
TOLERANCE = Decimal("0.0001")


def test_build_succeeds_and_publishes_one_file(sample_published: Path) -> None:
    """sample_published (conftest) is `saas-warehouse build`'s job run on seeds/, which must succeed."""
    warehouse_path = sample_published
    assert warehouse_path.exists()
    visible = sorted(path.name for path in warehouse_path.parent.iterdir() if not path.name.startswith("."))
    assert visible == ["parquet", "report.html", "saas.duckdb"]
    assert not list(warehouse_path.parent.glob(".saas.build-*"))  # no build file left
    assert (warehouse_path.parent / "parquet").resolve().is_dir()


def test_bridge_identity_holds_to_the_cent_every_month(sample_published: Path) -> None:
    bridge = query(
        sample_published, "select * from marts.mart_mrr_bridge where size_segment = 'all' order by month"
    )
    assert len(bridge) == 36  # 2023-11 .. 2026-10
    previous_end = Decimal(0)
    for row in bridge.to_dict("records"):
        assert row["mrr_start"] == previous_end
        computed = (
            row["mrr_start"]
            + row["new_mrr"]
            + row["reactivation_mrr"]
            + row["expansion_mrr"]
            - row["contraction_mrr"]
            - row["churn_mrr"]
        )
        assert computed == row["mrr_end"], row["month"]
        previous_end = row["mrr_end"]
    fct_total = query(
        sample_published,
        f"select sum(mrr) as mrr from marts.fct_mrr where month = date '{SAMPLE_AS_OF[:8]}01'",
    )
    assert fct_total["mrr"].item() == previous_end


def test_rejected_rows_are_exactly_the_planted_bad_rows(sample_published: Path) -> None:
    rejected = query(sample_published, "select source_table, row_key, reason from marts.rejected_rows")
    planted = {
        (row["table"], row["key"])
        for row in PLANTED_BAD_ROWS
        if not row["problem"].startswith("exact duplicate")  # collapsed, not rejected
    }
    found = {
        (table, "" if key.startswith("(no key") else key)
        for table, key in zip(rejected.source_table, rejected.row_key, strict=True)
    }
    assert found == planted
    assert rejected["reason"].map(len).min() > 10


def test_reference_implementation_agrees_value_by_value(sample_published: Path) -> None:
    """An independent pandas implementation of the metrics spec gives the same MRR and movements."""
    reference = compute_all(DEFAULT_RAW_DIR, pd.Timestamp(SAMPLE_AS_OF).date())
    dbt_mrr = query(sample_published, "select customer_id, month, mrr from marts.fct_mrr")
    ref_mrr = reference["fct_mrr"]
    merged = dbt_mrr.assign(month=pd.to_datetime(dbt_mrr["month"])).merge(
        ref_mrr.assign(month=pd.to_datetime(ref_mrr["month"])),
        on=["customer_id", "month"],
        how="outer",
        suffixes=("_dbt", "_ref"),
        indicator=True,
    )
    assert (merged["_merge"] == "both").all(), merged[merged["_merge"] != "both"].head()
    differences = [
        (row.customer_id, row.month)
        for row in merged.itertuples()
        if abs(row.mrr_dbt - Decimal(str(row.mrr_ref))) > TOLERANCE
    ]
    assert differences == []

    dbt_moves = query(sample_published, "select * from marts.fct_mrr_movements")
    ref_moves = reference["fct_mrr_movements"]
    moves = dbt_moves.assign(month=pd.to_datetime(dbt_moves["month"])).merge(
        ref_moves.assign(month=pd.to_datetime(ref_moves["month"])),
        on=["customer_id", "month"],
        how="outer",
        indicator=True,
        suffixes=("_dbt", "_ref"),
    )
    assert (moves["_merge"] == "both").all()
    assert (moves["movement_type_dbt"] == moves["movement_type_ref"]).all()
    for mechanism in MECHANISMS:
        gaps = [
            abs(Decimal(value_dbt) - Decimal(str(value_ref)))
            for value_dbt, value_ref in zip(moves[f"{mechanism}_mrr"], moves[mechanism], strict=True)
        ]
        assert max(gaps) <= TOLERANCE, mechanism


def test_summary_names_every_figure(sample_published: Path) -> None:
    text = format_summary(read_summary(sample_published))
    assert "(as of 2026-10-31; full build (first build))" in text
    # as of October's last day October is still in progress (its usage is billed in arrears, D-44)
    assert "MRR of 2026-09, the last complete month: 3,301,418.76   ARR: 39,617,025.09" in text
    assert "MRR bridge of 2026-09:" in text
    assert "NRR, trailing 12 months to 2026-09: 103.7%" in text
    month_to_date = "Month to date, 2026-10 (in progress, not a close: usage is billed in arrears): MRR"
    assert f"{month_to_date} 3,358,134.56" in text
    assert "Expansion MRR forecast, quarter from 2026-10-01: " in text and "mean error " in text
    assert "Rejected raw rows: 16 (every one in marts.rejected_rows):" in text
    assert "subscription_events" in text and "unknown plan_id '…'" in text
    assert str(sample_published) in text


FORECAST_COLUMNS = [
    "quarter_start",
    "is_backtest",
    "forecast_expansion_mrr",
    "forecast_low",
    "forecast_high",
    "actual_expansion_mrr",
    "abs_pct_error",
    "method",
    "data_through_month",
]


def test_the_job_forecasts_expansion_between_the_dbt_steps_and_publishes_it(sample_published: Path) -> None:
    """The Python asset forecast/expansion_forecast ran after mart_mrr_bridge and before the forecast mart:
    the published mart holds the next quarter after S = 2026-09 and the last 4 complete quarters, exactly as
    the method gives them from the published bridge, and is exported to Parquet like every mart."""
    published = query(sample_published, "select * from marts.mart_expansion_forecast order by quarter_start")
    bridge = query(
        sample_published,
        "select month, expansion_mrr, mrr_start, mrr_end from marts.mart_mrr_bridge "
        "where size_segment = 'all' order by month",
    )
    expected = forecast_rows([BridgeMonth(*row) for row in bridge.itertuples(index=False)], date(2026, 9, 1))
    assert list(published.columns) == FORECAST_COLUMNS
    assert [tuple(row) for row in published.itertuples(index=False)] == [
        tuple(getattr(row, column) for column in FORECAST_COLUMNS) for row in expected
    ]
    assert list(zip(published["quarter_start"], published["is_backtest"], strict=True)) == [
        (date(2025, 10, 1), True),
        (date(2026, 1, 1), True),
        (date(2026, 4, 1), True),
        (date(2026, 7, 1), True),
        (date(2026, 10, 1), False),
    ]
    assert published["forecast_expansion_mrr"].notna().all()
    parquet = sample_published.parent / "parquet" / "mart_expansion_forecast.parquet"
    assert query(sample_published, f"select count(*) as n from '{parquet}'")["n"].item() == 5
