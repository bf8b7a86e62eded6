"""The expansion forecast (marts.mart_expansion_forecast): next quarter's expansion MRR, with a backtest.

Pure functions (no Dagster, no database): the asset `forecast/expansion_forecast` (orchestration/assets.py)
reads the company-wide MRR bridge (mart_mrr_bridge, size_segment 'all') from the build file, calls
`forecast_rows` and writes the rows; the dbt model mart_expansion_forecast publishes them (DECISIONS.md).

Quarters
- S, the scoring month, is the month before the as-of month (the bridge's last month is the as-of month,
  in progress).
- The forecast quarter is the first calendar quarter that starts after S: the quarter after the one that
  holds S. When S closes a quarter (March, June, September, December) it starts the month after S;
  otherwise S's own quarter has not ended and the forecast is of the quarter after it (S = 2026-10 ->
  2027-01-01), made from data through S: the month(s) between S and the quarter are not complete yet.
- The backtest: each of the last 4 complete quarters (quarter end <= S) that lie inside the bridge's
  history is forecast as if it were the next one, from data through the month before it.

Method `same_quarter_rate_x_mrr_trend`, else `expansion_rate_x_mrr_trend` (a forecast for a cutoff month C,
using months <= C only)
- Expansion MRR scales with the base it expands: expansion(m) = rate x mrr_start(m). Usable months are
  those from the first month with mrr_start > 0 on.
- Yearly seasonality, when the same three calendar months a year earlier are usable months: the rate is
  that quarter's, R = sum expansion_mrr / sum mrr_start over those three months (a seasonal naive forecast
  of the rate, not of the amount: the amount grows with the company, the rate does not). Method
  `same_quarter_rate_x_mrr_trend`. Why: on the sample and generated companies, whose expansion follows the
  season, this was the most accurate of the methods tried (trailing-year rate with quarter factors shrunk
  by how consistently they repeat: 14.4 % / 8.9 % mean backtest error on the sample / a 10k company; this
  one 9.1 % / 5.1 %; no seasonality: 26 %).
- Less than a year of history: R = sum expansion_mrr / sum mrr_start over the last 12 usable months (all
  of them when fewer), method `expansion_rate_x_mrr_trend`.
- The base: MRR at the end of C, growing at the least-squares slope g of ln(mrr_end) over the last 6
  month ends <= C (0 with fewer than 3), damped: the MRR at the start of a month h months after C+1 is
  mrr_end(C) x exp(g x (phi + phi^2 + ... + phi^h)), phi = 0.8 (recent growth fades, as a maturing
  company's does; the backtests on the sample and generated companies were best with it).
- forecast = sum over the quarter's three months of R x projected mrr_start.
- Interval (about 80 %): with sigma the relative standard deviation of the last m <= 12 usable months'
  rates around their mean rate, the quarter's relative error is taken as sigma x sqrt(1/3 + 1/m) (three
  months of noise, and the level estimated from m months): low/high = forecast x (1 -/+ 1.2816 x that),
  low floored at 0. The season widens sigma, so the range is on the wide side. Null with fewer than 2
  usable months.
- No usable month before the cutoff: no forecast (nulls), method `insufficient_history`.
Money is rounded to cents as Decimal (ROUND_HALF_UP); the actual is the exact sum of the bridge's decimals;
abs_pct_error = |forecast - actual| / actual (exact decimals, 10 places; null when actual = 0).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

import numpy as np

METHOD = "expansion_rate_x_mrr_trend"
SEASONAL_METHOD = "same_quarter_rate_x_mrr_trend"
NO_HISTORY_METHOD = "insufficient_history"
RATE_MONTHS = 12
GROWTH_MONTHS = 6
GROWTH_MIN_MONTHS = 3
DAMPING = 0.8
INTERVAL_Z = 1.2816  # two-sided 80 %
BACKTEST_QUARTERS = 4
ERROR_THRESHOLD = Decimal("0.10")  # the source material's goal: within 10 %
CENTS = Decimal("0.01")
ERROR_PLACES = Decimal("0.0000000001")


@dataclass(frozen=True)
class BridgeMonth:
    """One month of mart_mrr_bridge (size_segment 'all')."""

    month: date
    expansion_mrr: Decimal
    mrr_start: Decimal
    mrr_end: Decimal


@dataclass(frozen=True)
class Forecast:
    """A quarter's forecast from data through `data_through` (floats; rounded when written)."""

    value: float | None
    low: float | None
    high: float | None
    method: str


@dataclass(frozen=True)
class ForecastRow:
    """One row of mart_expansion_forecast."""

    quarter_start: date
    is_backtest: bool
    forecast_expansion_mrr: Decimal | None
    forecast_low: Decimal | None
    forecast_high: Decimal | None
    actual_expansion_mrr: Decimal | None
    abs_pct_error: Decimal | None
    method: str
    data_through_month: date


def month_index(day: date) -> int:
    return day.year * 12 + day.month - 1


def month_of(index: int) -> date:
    return date(index // 12, index % 12 + 1, 1)


def add_months(day: date, months: int) -> date:
    return month_of(month_index(day) + months)


def quarter_of_year(index: int) -> int:
    """0 for January-March ... 3 for October-December."""
    return (index % 12) // 3


def forecast_quarter_start(scoring_month: date) -> date:
    """The first calendar quarter that starts after S: the quarter after the one holding S."""
    index = month_index(scoring_month)
    return month_of(index - index % 3 + 3)


def backtest_quarter_starts(scoring_month: date, count: int = BACKTEST_QUARTERS) -> list[date]:
    """The last `count` complete quarters (quarter end <= S), oldest first."""
    index = month_index(scoring_month)
    last_complete = index - 2 if index % 3 == 2 else index - index % 3 - 3
    return [month_of(last_complete - 3 * back) for back in range(count - 1, -1, -1)]


def as_float(value: Decimal | float | int) -> float:
    return float(value)


def same_quarter_last_year_rate(
    months: np.ndarray, expansion: np.ndarray, mrr_start: np.ndarray, quarter_start: int
) -> float | None:
    """sum expansion / sum mrr_start over the quarter's three months a year earlier, when all three are
    usable months (else None)."""
    wanted = np.arange(quarter_start - 12, quarter_start - 9)
    rows = np.isin(months, wanted)
    if rows.sum() != 3 or mrr_start[rows].sum() <= 0:
        return None
    return float(expansion[rows].sum() / mrr_start[rows].sum())


def mrr_growth(month_ends: np.ndarray, mrr_end: np.ndarray) -> float:
    """Least-squares slope of ln(mrr_end) per month over the last GROWTH_MONTHS positive month ends."""
    positive = mrr_end > 0
    months, values = month_ends[positive][-GROWTH_MONTHS:], mrr_end[positive][-GROWTH_MONTHS:]
    if len(months) < GROWTH_MIN_MONTHS:
        return 0.0
    x = months.astype(float) - months.mean()
    return float((x * np.log(values)).sum() / (x * x).sum())


def forecast_quarter(history: Sequence[BridgeMonth], quarter_start: date, data_through: date) -> Forecast:
    """Expansion MRR of the quarter starting at quarter_start, from the months <= data_through only."""
    cutoff = month_index(data_through)
    rows = sorted((row for row in history if month_index(row.month) <= cutoff), key=lambda row: row.month)
    first_usable = next((i for i, row in enumerate(rows) if row.mrr_start > 0), None)
    if first_usable is None or month_index(rows[-1].month) != cutoff:
        return Forecast(None, None, None, NO_HISTORY_METHOD)
    usable = rows[first_usable:]
    months = np.array([month_index(row.month) for row in usable])
    expansion = np.array([as_float(row.expansion_mrr) for row in usable])
    mrr_start = np.array([as_float(row.mrr_start) for row in usable])
    recent = slice(-RATE_MONTHS, None)
    if mrr_start[recent].sum() <= 0:  # no MRR in the last 12 months: nothing to expand
        return Forecast(None, None, None, NO_HISTORY_METHOD)
    trailing_rate = float(expansion[recent].sum() / mrr_start[recent].sum())
    seasonal_rate = same_quarter_last_year_rate(months, expansion, mrr_start, month_index(quarter_start))
    rate = trailing_rate if seasonal_rate is None else seasonal_rate
    method = METHOD if seasonal_rate is None else SEASONAL_METHOD
    growth = mrr_growth(
        np.array([month_index(row.month) for row in rows]), np.array([as_float(r.mrr_end) for r in rows])
    )
    base = as_float(rows[-1].mrr_end)
    value = 0.0
    for month in range(month_index(quarter_start), month_index(quarter_start) + 3):
        ahead = month - 1 - cutoff  # months from the end of C to the start of `month`
        damped = sum(DAMPING**step for step in range(1, ahead + 1))
        value += rate * base * math.exp(growth * damped)
    # months with no MRR at their start (everyone churned, then a new customer) have no rate
    with_mrr = mrr_start[recent] > 0
    observed = expansion[recent][with_mrr] / mrr_start[recent][with_mrr]
    if len(observed) < 2 or observed.mean() <= 0:
        return Forecast(value, None, None, method)
    sigma = float(np.std(observed / observed.mean() - 1, ddof=1))
    spread = INTERVAL_Z * sigma * math.sqrt(1 / 3 + 1 / len(observed))
    return Forecast(value, value * max(0.0, 1 - spread), value * (1 + spread), method)


def cents(value: float | None) -> Decimal | None:
    """Rounded to cents; None for no value, and for a value that is not a finite number (never a crash)."""
    if value is None or not math.isfinite(value):
        return None
    return Decimal(value).quantize(CENTS, rounding=ROUND_HALF_UP)


def abs_pct_error(forecast: Decimal | None, actual: Decimal | None) -> Decimal | None:
    if forecast is None or actual is None or actual == 0:
        return None
    return (abs(forecast - actual) / actual).quantize(ERROR_PLACES, rounding=ROUND_HALF_UP)


def forecast_rows(history: Iterable[BridgeMonth], scoring_month: date) -> list[ForecastRow]:
    """The rows of mart_expansion_forecast: the backtested quarters inside history (oldest first), then
    the forecast quarter. Empty when the bridge has no month <= S."""
    rows = sorted((row for row in history if row.month <= scoring_month), key=lambda row: row.month)
    if not rows:
        return []
    by_month = {row.month: row for row in rows}
    result = []
    for quarter_start in backtest_quarter_starts(scoring_month):
        if quarter_start < rows[0].month:
            continue  # before history: its actual is unknown
        data_through = add_months(quarter_start, -1)
        forecast = forecast_quarter(rows, quarter_start, data_through)
        actual = sum((by_month[add_months(quarter_start, k)].expansion_mrr for k in range(3)), Decimal(0))
        value = cents(forecast.value)
        result.append(
            ForecastRow(
                quarter_start=quarter_start,
                is_backtest=True,
                forecast_expansion_mrr=value,
                forecast_low=cents(forecast.low),
                forecast_high=cents(forecast.high),
                actual_expansion_mrr=actual,
                abs_pct_error=abs_pct_error(value, actual),
                method=forecast.method,
                data_through_month=data_through,
            )
        )
    next_quarter = forecast_quarter_start(scoring_month)
    forecast = forecast_quarter(rows, next_quarter, scoring_month)
    result.append(
        ForecastRow(
            quarter_start=next_quarter,
            is_backtest=False,
            forecast_expansion_mrr=cents(forecast.value),
            forecast_low=cents(forecast.low),
            forecast_high=cents(forecast.high),
            actual_expansion_mrr=None,
            abs_pct_error=None,
            method=forecast.method,
            data_through_month=scoring_month,
        )
    )
    return result


def mean_backtest_error(rows: Iterable[ForecastRow]) -> Decimal | None:
    """Mean abs_pct_error of the backtested quarters that have one (None when none has)."""
    errors = [row.abs_pct_error for row in rows if row.is_backtest and row.abs_pct_error is not None]
    if not errors:
        return None
    return (sum(errors, Decimal(0)) / len(errors)).quantize(ERROR_PLACES, rounding=ROUND_HALF_UP)
