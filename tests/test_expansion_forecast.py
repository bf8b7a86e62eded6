"""The expansion forecast (orchestration/expansion_forecast.py): its quarters, its method on series whose
answer is known by hand, its data cutoff, and the mart a plain `dbt build` leaves empty."""

from __future__ import annotations

import math
from dataclasses import replace
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from orchestration.expansion_forecast import (
    METHOD,
    NO_HISTORY_METHOD,
    SEASONAL_METHOD,
    BridgeMonth,
    add_months,
    backtest_quarter_starts,
    forecast_quarter,
    forecast_quarter_start,
    forecast_rows,
    mean_backtest_error,
)
from tests.dbt_runner import query

FIRST_MONTH = date(2024, 1, 1)
# expansion rate by quarter of the year (January-March first): a yearly pattern of 1.3, 0.9, 0.8, 1.0 on 5 %
SEASONAL_RATES = (0.05 * 1.3, 0.05 * 0.9, 0.05 * 0.8, 0.05 * 1.0)


def bridge(months: int, rates: tuple[float, ...], growth: float = 1.02, start_mrr: float = 100000.0):
    """MRR starting at start_mrr and growing by `growth` a month; expansion = the month's rate × MRR at its
    start (rates by quarter of the year)."""
    rows = []
    for i in range(months):
        month = add_months(FIRST_MONTH, i)
        mrr_start = start_mrr * growth**i
        expansion = rates[(month.month - 1) // 3] * mrr_start
        rows.append(
            BridgeMonth(
                month,
                Decimal(f"{expansion:.6f}"),
                Decimal(f"{mrr_start:.6f}"),
                Decimal(f"{mrr_start * growth:.6f}"),
            )
        )
    return rows


def test_the_forecast_quarter_is_the_first_quarter_starting_after_the_scoring_month() -> None:
    assert forecast_quarter_start(date(2026, 9, 1)) == date(2026, 10, 1)  # S ends a quarter
    assert forecast_quarter_start(date(2026, 10, 1)) == date(2027, 1, 1)  # S's own quarter is not over
    assert forecast_quarter_start(date(2026, 11, 1)) == date(2027, 1, 1)
    assert forecast_quarter_start(date(2026, 12, 1)) == date(2027, 1, 1)


def test_the_backtest_is_the_last_four_complete_quarters() -> None:
    assert backtest_quarter_starts(date(2026, 9, 1)) == [
        date(2025, 10, 1),
        date(2026, 1, 1),
        date(2026, 4, 1),
        date(2026, 7, 1),
    ]
    assert backtest_quarter_starts(date(2026, 10, 1)) == backtest_quarter_starts(date(2026, 9, 1))
    assert backtest_quarter_starts(date(2026, 11, 1))[-1] == date(2026, 7, 1)
    assert backtest_quarter_starts(date(2026, 12, 1))[-1] == date(2026, 10, 1)


def test_trend_and_seasonality_are_recovered_by_hand() -> None:
    """36 months, January 2024 - December 2026, S = December 2026: MRR grows 2 % a month and the expansion
    rate repeats 6.5 %, 4.5 %, 4 %, 5 % by quarter every year. The rate is the same quarter's a year earlier
    (Q1 2026: 6.5 %); the trend is ln(1.02) a month, damped by 0.8 a month:
    forecast(Q1 2027) = 6.5 % × MRR(end of Dec 2026) × (1 + 1.02^0.8 + 1.02^(0.8 + 0.64))
                      = 0.065 × 100000 × 1.02^36 × (1 + 1.0159683 + 1.0289263) = 40373.07."""
    rows = forecast_rows(bridge(36, SEASONAL_RATES), date(2026, 12, 1))
    forecast = rows[-1]
    assert (forecast.quarter_start, forecast.is_backtest, forecast.method) == (
        date(2027, 1, 1),
        False,
        SEASONAL_METHOD,
    )
    assert forecast.forecast_expansion_mrr == Decimal("40373.07")
    # the last 12 monthly rates around their mean 5 %: deviations 0.3, -0.1, -0.2, 0 three times each,
    # sigma = sqrt(3 × (0.09 + 0.01 + 0.04) / 11) = 0.1954017; spread = 1.2816 × sigma × sqrt(1/3 + 1/12)
    # = 0.1616492; low = 40373.07... × (1 - spread) = 33846.77, high = × (1 + spread) = 46899.37
    assert (forecast.forecast_low, forecast.forecast_high) == (Decimal("33846.77"), Decimal("46899.37"))
    assert forecast.actual_expansion_mrr is None and forecast.abs_pct_error is None
    # the backtest of Q3 2026 from data through June 2026: 4 % × 100000 × 1.02^30 × (1 + 1.02^0.8 + 1.02^1.44)
    # = 22061.62 against 4 % × 100000 × (1.02^30 + 1.02^31 + 1.02^32) = 22173.96 (the damping's cost)
    q3 = next(row for row in rows if row.quarter_start == date(2026, 7, 1))
    assert q3.is_backtest and q3.forecast_expansion_mrr == Decimal("22061.62")
    assert abs(q3.actual_expansion_mrr - Decimal("22173.963968")) < Decimal("0.00001")
    assert q3.abs_pct_error == (
        (q3.actual_expansion_mrr - Decimal("22061.62")) / q3.actual_expansion_mrr
    ).quantize(Decimal("0.0000000001"))
    assert [row.quarter_start for row in rows if row.is_backtest] == [
        date(2026, 1, 1),
        date(2026, 4, 1),
        date(2026, 7, 1),
        date(2026, 10, 1),
    ]
    assert mean_backtest_error(rows) < Decimal("0.01")


def test_without_last_year_s_quarter_the_trailing_rate_is_used() -> None:
    """9 months of a flat company (MRR 1000, expansion 5 % of it), Q4 2024 from data through September
    2024: Q4 2023 is not in history, so the trailing rate × MRR × 3 months."""
    rows = bridge(9, (0.05,) * 4, growth=1.0, start_mrr=1000.0)
    forecast = forecast_quarter(rows, date(2024, 10, 1), date(2024, 9, 1))
    assert forecast.method == METHOD
    assert forecast.value == pytest.approx(150.0)


def test_the_rate_is_that_of_the_same_quarter_a_year_earlier() -> None:
    """Flat MRR 100000; 2024's quarters expand at 6.5, 3.5, 5, 5 %, 2025's at 4.5, 5.5, 5, 5 %: Q1 2026
    takes Q1 2025's 4.5 % (not 2024's, not the year's 5 %): 3 × 0.045 × 100000 = 13500."""
    year_one = bridge(12, (0.065, 0.035, 0.05, 0.05), growth=1.0)
    year_two = bridge(24, (0.045, 0.055, 0.05, 0.05), growth=1.0)[12:]
    forecast = forecast_quarter(year_one + year_two, date(2026, 1, 1), date(2025, 12, 1))
    assert forecast.method == SEASONAL_METHOD
    assert forecast.value == pytest.approx(13500.0)


def test_months_without_mrr_give_a_forecast_or_none_never_nan() -> None:
    """A month whose MRR at its start is 0 (everyone churned, then a new customer) has no rate: the range
    leaves it out. A company without MRR in its last 12 months gets no forecast (not NaN, which the
    warehouse's decimals cannot hold and which failed the build)."""
    rows = bridge(14, (0.05,) * 4, growth=1.0, start_mrr=1000.0)
    rows[10] = BridgeMonth(rows[10].month, Decimal(0), Decimal(0), Decimal(1000))
    forecast = forecast_quarter(rows, date(2025, 4, 1), date(2025, 2, 1))
    assert all(math.isfinite(value) for value in (forecast.value, forecast.low, forecast.high))
    gone = [BridgeMonth(row.month, Decimal(0), Decimal(0), Decimal(0)) for row in rows[2:]]
    assert forecast_quarter(rows[:2] + gone, date(2025, 4, 1), date(2025, 2, 1)).value is None
    assert forecast_rows(rows[:2] + gone, date(2025, 2, 1))[-1].forecast_expansion_mrr is None


def test_a_forecast_uses_no_data_from_its_quarter_or_later() -> None:
    """Changing every month from a backtested quarter on changes its actual, never its forecast."""
    original = bridge(36, SEASONAL_RATES)
    changed = [
        replace(
            row, expansion_mrr=row.expansion_mrr * 3, mrr_start=row.mrr_start * 2, mrr_end=row.mrr_end * 2
        )
        if row.month >= date(2026, 4, 1)
        else row
        for row in original
    ]
    before = {row.quarter_start: row for row in forecast_rows(original, date(2026, 12, 1))}
    after = {row.quarter_start: row for row in forecast_rows(changed, date(2026, 12, 1))}
    for quarter in (date(2026, 1, 1), date(2026, 4, 1)):
        assert after[quarter].forecast_expansion_mrr == before[quarter].forecast_expansion_mrr, quarter
        assert after[quarter].forecast_low == before[quarter].forecast_low
    assert after[date(2026, 4, 1)].actual_expansion_mrr != before[date(2026, 4, 1)].actual_expansion_mrr
    assert after[date(2026, 7, 1)].forecast_expansion_mrr != before[date(2026, 7, 1)].forecast_expansion_mrr


def test_short_history_backtests_only_quarters_inside_it() -> None:
    """History from January 2024, S = February 2024: the last complete quarter (Q4 2023) is before history,
    so there is no backtest; Q2 2024 is forecast from January and February. A history whose only month
    has no MRR at its start gives no forecast."""
    rows = forecast_rows(bridge(3, (0.05,) * 4, growth=1.0, start_mrr=1000.0), date(2024, 2, 1))
    assert [(row.quarter_start, row.is_backtest) for row in rows] == [(date(2024, 4, 1), False)]
    assert rows[0].forecast_expansion_mrr == Decimal("150.00")
    one_month = [BridgeMonth(date(2024, 1, 1), Decimal(0), Decimal(0), Decimal(1000))]
    (only,) = forecast_rows(one_month + bridge(2, (0.05,) * 4)[1:], date(2024, 1, 1))
    assert only.method == NO_HISTORY_METHOD and only.forecast_expansion_mrr is None


def test_a_plain_dbt_build_publishes_no_forecast(golden_warehouse: Path) -> None:
    """Without the Dagster job there is no forecast.expansion_forecast: the mart exists, with no rows."""
    assert query(golden_warehouse, "select count(*) as n from marts.mart_expansion_forecast")["n"].item() == 0
