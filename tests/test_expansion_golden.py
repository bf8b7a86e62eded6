"""Golden scenario 2 (golden_scenarios.md): the expansion-intelligence marts on known outputs.

A small company (tests/fixtures/golden_expansion) built as of 2025-12-31, so the scoring month S is
2025-11 (design: the month before the as-of month). Every expected figure below is worked out by hand from
the raw files and the expansion-intelligence spec, independently of the models; the arithmetic is in the
comments. Health weights are the defaults: usage_trend 0.30, utilization 0.20, mrr_trend 0.25,
tenure 0.10, breadth 0.15.

Comparison: utilisation, projected usage, limits and priority to 4 decimals; money to 2; health scores
and components to 2 (as published); rates to 6; all half away from zero.

The scenario in short (P1 Seats: per-unit plan p1_basic, 10 USD a seat, active_users limit 2 per seat;
P2 Analytics: flat plans p2_starter 100 USD (api_calls 1000, storage_gb 50), p2_growth 250 (5000, 200),
p2_growth_annual 2400 a year (10000, 1000), p2_scale 500 (20000, 1000); P3 Docs 50 USD flat, no limits;
add-on A1 30 USD; everyone smb (< 100 employees) except Y01, mid_market):
- X01: P1 × 10 seats + add-on A1 from 2025-01; 12 seats from 2025-10-01 (seat expansion +20).
- X02..X08: P2 from 2025-07-01 (X06 on p2_scale, the others on p2_starter); usage from July.
- M01..M04: P1 × 5 + P2 (starter, starter, growth, scale); M03 down to 4 seats on 2025-09-01
  (contraction −10). M05: P1 × 5 + P3. M06: P2 scale at a negotiated 900 + P3 (no P1).
- Y01 (mid_market): P1 × 5 + P2 growth from 2025-01; P3 added 2025-11-01 (cross-sell +50).
- C01: P3 from 2025-01, ended 2025-10-15 (churn in October).
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pandas as pd

from tests.dbt_runner import query

S = "2025-11-01"
TRIGGERS = ("limit_reached", "limit_approaching", "limit_projected_90d", "single_product")


def rounded(value: object, places: int) -> Decimal | None:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return None
    return Decimal(str(value)).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def d(value: str | None) -> Decimal | None:
    return None if value is None else Decimal(value)


# --- the scenario's premise (existing marts; holds before the expansion marts exist) ----------------


def test_premise_mrr_and_movements(golden_expansion_warehouse: Path) -> None:
    """The MRR the expected figures rely on: end of August (backtest month) and of November (S)."""
    mrr = query(
        golden_expansion_warehouse,
        "select customer_id, month, mrr from marts.fct_mrr where month in ('2025-08-01', '2025-11-01')",
    )
    got = {(r["customer_id"], str(r["month"])[:10]): rounded(r["mrr"], 2) for r in mrr.to_dict("records")}
    august = {
        "C01": "50", "M01": "150", "M02": "150", "M03": "300", "M04": "550", "M05": "100", "M06": "950",
        "X01": "130", "X02": "100", "X03": "100", "X04": "100", "X05": "100", "X06": "500", "X07": "100",
        "X08": "100", "Y01": "300",
    }  # fmt: skip
    november = {**august, "C01": "0", "M03": "290", "X01": "150", "Y01": "350"}
    want = {(c, "2025-08-01"): rounded(Decimal(v), 2) for c, v in august.items()}
    want |= {(c, S): rounded(Decimal(v), 2) for c, v in november.items()}
    assert got == want
    movements = query(
        golden_expansion_warehouse,
        "select month, customer_id, movement_type, delta from marts.fct_mrr_movements"
        " where month >= date '2025-06-01'",
    )
    got_movements = sorted(
        (str(r["month"])[:10], r["customer_id"], r["movement_type"], rounded(r["delta"], 2))
        for r in movements.to_dict("records")
    )
    want_movements = [
        ("2025-07-01", c, "new", rounded(Decimal(100), 2)) for c in ("X02", "X03", "X04", "X05")
    ]
    want_movements += [("2025-07-01", "X06", "new", rounded(Decimal(500), 2))]
    want_movements += [("2025-07-01", c, "new", rounded(Decimal(100), 2)) for c in ("X07", "X08")]
    want_movements += [
        ("2025-09-01", "M03", "contraction", rounded(Decimal(-10), 2)),
        ("2025-10-01", "C01", "churn", rounded(Decimal(-50), 2)),
        ("2025-10-01", "X01", "expansion", rounded(Decimal(20), 2)),
        ("2025-11-01", "Y01", "expansion", rounded(Decimal(50), 2)),
    ]
    assert got_movements == sorted(want_movements)


# --- mart_customer_health -----------------------------------------------------------------------------

HEALTH_COLUMNS = (
    "health_score",
    "usage_trend_score",
    "utilization_score",
    "mrr_trend_score",
    "tenure_score",
    "breadth_score",
    "health_band",
)

# S = 2025-11. Components:
# - usage_trend = 50 × mean over product × metric of clamp(a / b, 0, 2); a = mean usage over Sep..Nov
#   (months with usage), b = mean over Jun..Aug (months with usage); 50 when no product × metric has both.
# - utilization = 100 × min(1, max utilisation in Nov); 50 when none (no usage row in Nov).
# - mrr_trend = 100 − 25 × months of Jun..Nov with a contraction movement.
# - tenure = min(100, 100 × months from the first active month through Nov / 24): Jan → 11 → 45.8333;
#   Jul → 5 → 20.8333.
# - breadth = 50 for one core product (the add-on A1 does not count), 100 for two or more.
# health = 0.30 × usage_trend + 0.20 × utilization + 0.25 × mrr_trend + 0.10 × tenure + 0.15 × breadth,
# rounded to 2 decimals.
HEALTH_S = {
    # X01 active_users Sep 19, Oct 22, Nov 24 (latest November snapshot, 28 Nov; not 26 of 10 Nov)
    # vs Jun 16, Jul 18, Aug 20: r = (65/3) / 18 = 65/54; logins 150 vs 100: r = 3/2 = 81/54;
    # usage_trend = 50 × (65/54 + 81/54) / 2 = 50 × 73/54 = 67.5926; utilization 24 / (12 × 2) = 1 → 100;
    # health = 20.2778 + 20 + 25 + 4.5833 + 7.5 = 77.3611
    "X01": ("77.36", "67.59", "100.00", "100.00", "45.83", "50.00", "healthy"),
    # X02 api_calls Sep 600, Oct 700, Nov 800 (a = 700) vs Jul 500, Aug 600 (b = 550, no June usage):
    # usage_trend = 50 × 14/11 = 63.6364; utilization 800/1000 = 0.8 → 80;
    # health = 19.0909 + 16 + 25 + 2.0833 + 7.5 = 69.6742
    "X02": ("69.67", "63.64", "80.00", "100.00", "20.83", "50.00", "neutral"),
    # X03 = X04: a = (200 + 450 + 700) / 3 = 450, b = (100 + 150) / 2 = 125, r = 3.6 → 2 → 100;
    # utilization 700/1000 → 70; health = 30 + 14 + 25 + 2.0833 + 7.5 = 78.5833
    "X03": ("78.58", "100.00", "70.00", "100.00", "20.83", "50.00", "healthy"),
    "X04": ("78.58", "100.00", "70.00", "100.00", "20.83", "50.00", "healthy"),
    # X05 api_calls a = 5000, b = 700 → 2; storage_gb a = 110/3, b = 10 → 2; usage_trend 100;
    # utilization max(6000/1000, 42/50) = 6 → 100; health = 30 + 20 + 25 + 2.0833 + 7.5 = 84.5833
    "X05": ("84.58", "100.00", "100.00", "100.00", "20.83", "50.00", "healthy"),
    # X06 a = 70000/3, b = 18000, r = 35/27; usage_trend = 64.8148; utilization 25000/20000 → 100;
    # health = 19.4444 + 20 + 25 + 2.0833 + 7.5 = 74.0278
    "X06": ("74.03", "64.81", "100.00", "100.00", "20.83", "50.00", "healthy"),
    # X07 no October snapshot: a = (900 + 850) / 2 = 875, b = 550, r = 35/22; usage_trend = 79.5455;
    # utilization 850/1000 → 85; health = 23.8636 + 17 + 25 + 2.0833 + 7.5 = 75.4470
    "X07": ("75.45", "79.55", "85.00", "100.00", "20.83", "50.00", "healthy"),
    # X08 no October snapshot: a = (300 + 700) / 2 = 500, b = 225, r = 2.22 → 2 → 100;
    # utilization 700/1000 → 70; health = 30 + 14 + 25 + 2.0833 + 7.5 = 78.5833
    "X08": ("78.58", "100.00", "70.00", "100.00", "20.83", "50.00", "healthy"),
    # M02 usage only from September (no b) → usage_trend 50; utilization max(39/10, 900/1000) → 100;
    # health = 15 + 20 + 25 + 4.5833 + 15 = 79.5833
    "M02": ("79.58", "50.00", "100.00", "100.00", "45.83", "100.00", "healthy"),
    # M03 contraction in September → mrr_trend 75; no usage → usage_trend 50, utilization 50;
    # health = 15 + 10 + 18.75 + 4.5833 + 15 = 63.3333
    "M03": ("63.33", "50.00", "50.00", "75.00", "45.83", "100.00", "neutral"),
    # M01, M04, M05, M06, Y01 (Y01 holds three core products): no usage, no contraction;
    # health = 15 + 10 + 25 + 4.5833 + 15 = 69.5833
    "M01": ("69.58", "50.00", "50.00", "100.00", "45.83", "100.00", "neutral"),
    "M04": ("69.58", "50.00", "50.00", "100.00", "45.83", "100.00", "neutral"),
    "M05": ("69.58", "50.00", "50.00", "100.00", "45.83", "100.00", "neutral"),
    "M06": ("69.58", "50.00", "50.00", "100.00", "45.83", "100.00", "neutral"),
    "Y01": ("69.58", "50.00", "50.00", "100.00", "45.83", "100.00", "neutral"),
    # C01 churned in October: not active at the end of November, no row.
}

# August 2025 (the last month with three months of future): b would be Mar..May, before any usage, so
# usage_trend is 50 for everyone (× 0.30 = 15); no contraction in Mar..Aug (mrr_trend 100, × 0.25 = 25);
# tenure Jan → 8 months → 33.3333 (× 0.10 = 3.3333), Jul → 2 → 8.3333 (0.8333).
HEALTH_AUGUST = {
    # X01 20 / (10 seats × 2) = 1 → 100: 15 + 20 + 25 + 3.3333 + 7.5 = 70.8333
    "X01": ("70.83", "50.00", "100.00", "100.00", "33.33", "50.00", "healthy"),
    # X02, X07: 600/1000 → 60: 15 + 12 + 25 + 0.8333 + 7.5 = 60.3333
    "X02": ("60.33", "50.00", "60.00", "100.00", "8.33", "50.00", "neutral"),
    "X07": ("60.33", "50.00", "60.00", "100.00", "8.33", "50.00", "neutral"),
    # X03, X04: 150/1000 → 15: 15 + 3 + 25 + 0.8333 + 7.5 = 51.3333
    "X03": ("51.33", "50.00", "15.00", "100.00", "8.33", "50.00", "neutral"),
    "X04": ("51.33", "50.00", "15.00", "100.00", "8.33", "50.00", "neutral"),
    # X05: max(700/1000, 10/50) = 0.7 → 70: 15 + 14 + 25 + 0.8333 + 7.5 = 62.3333
    "X05": ("62.33", "50.00", "70.00", "100.00", "8.33", "50.00", "neutral"),
    # X06: 21000/20000 → 100: 15 + 20 + 25 + 0.8333 + 7.5 = 68.3333
    "X06": ("68.33", "50.00", "100.00", "100.00", "8.33", "50.00", "neutral"),
    # X08: 250/1000 → 25: 15 + 5 + 25 + 0.8333 + 7.5 = 53.3333
    "X08": ("53.33", "50.00", "25.00", "100.00", "8.33", "50.00", "neutral"),
    # C01: one core product, no usage: 15 + 10 + 25 + 3.3333 + 7.5 = 60.8333
    "C01": ("60.83", "50.00", "50.00", "100.00", "33.33", "50.00", "neutral"),
    # M01..M06, Y01: two core products, no usage (M02's starts in September): 15 + 10 + 25 + 3.3333 + 15
    **{
        c: ("68.33", "50.00", "50.00", "100.00", "33.33", "100.00", "neutral")
        for c in ("M01", "M02", "M03", "M04", "M05", "M06", "Y01")
    },
}


def health_rows(warehouse: Path, month: str) -> dict[str, tuple]:
    frame = query(warehouse, f"select * from marts.mart_customer_health where month = date '{month}'")
    return {
        r["customer_id"]: (*(rounded(r[c], 2) for c in HEALTH_COLUMNS[:-1]), r["health_band"])
        for r in frame.to_dict("records")
    }


def as_health(values: tuple) -> tuple:
    return (*(Decimal(v) for v in values[:-1]), values[-1])


def test_customer_health_in_the_scoring_month(golden_expansion_warehouse: Path) -> None:
    got = health_rows(golden_expansion_warehouse, S)
    assert got == {c: as_health(v) for c, v in HEALTH_S.items()}


def test_customer_health_in_august(golden_expansion_warehouse: Path) -> None:
    got = health_rows(golden_expansion_warehouse, "2025-08-01")
    assert got == {c: as_health(v) for c, v in HEALTH_AUGUST.items()}


def test_customer_health_months(golden_expansion_warehouse: Path) -> None:
    """From the first month with usage (June) through S; nothing for December (the as-of month)."""
    months = query(golden_expansion_warehouse, "select distinct month from marts.mart_customer_health")
    assert sorted(str(m)[:10] for m in months["month"]) == [f"2025-{m:02d}-01" for m in range(6, 12)]


# --- mart_expansion_opportunities ---------------------------------------------------------------------

OPPORTUNITY_COLUMNS = (
    "customer_id",
    "product_id",
    "trigger",
    "metric",
    "utilization",
    "projected_usage_90d",
    "limit_value_total",
    "health_score",
    "estimated_expansion_mrr",
    "priority_score",
    "rank",
)

# Every row of S = 2025-11, in rank order. projected = usage(Nov) + 3 × (usage(Nov) − usage(Sep)) / 2;
# need = max(usage, projected); priority = estimate × health_score / 100 (the published, rounded health).
# No row for: X08 (Nov 700/1000 = 0.7 and no October usage, so no projection: the slope formula would give
# 700 + 3 × 200 = 1300 ≥ 1000, but the projection needs all three months); M01, M03..M06, Y01 (no usage,
# and two or more core products); C01 (not active). December's snapshot of X01 (30 users) is not in S.
OPPORTUNITIES = """
rk | cust | prod | trigger             | metric       | util   | proj  | limit | health | estimate | priority
# X05 P2 on p2_starter: api_calls Nov = 6000 (latest snapshot, 30 Nov; 3500 on 15 Nov) / 1000 = 6.
# storage_gb 42/50 = 0.84 would be approaching and projected (42 + 3 × 12/2 = 60 ≥ 50), but only the first
# limit trigger is listed, with the metric of highest utilisation (api_calls).
# projected = 6000 + 3 × (6000 − 4000)/2 = 9000; need 9000: p2_growth (tier 2, 5000) does not cover,
# p2_growth_annual (tier 2, 10000) is billed yearly (not a candidate), p2_scale (tier 3, 20000) covers:
# 500 − 100 = 400; priority 400 × 84.58 / 100 = 338.32
1  | X05  | P2   | limit_reached       | api_calls    | 6.0000 | 9000  | 1000  | 84.58  | 400.00   | 338.3200
# X01 holds one core product (P1; A1 is an add-on), active 11 months ≥ 6, health 77.36 ≥ 70.
# smb customers with ≥ 2 core products including P1 at the end of Nov: M01, M02, M03, M04 (P1 + P2) and
# M05 (P1 + P3): P2 is co-held by 4, P3 by 1 → P2. Their P2 MRR: 100, 100, 250, 500 → median of an even
# count = (100 + 250) / 2 = 175 (the mean would be 237.50; M06 (P2 + P3, no P1) and Y01 (mid_market) are
# not in the set: with either of them the median would be 250). Priority 175 × 77.36 / 100 = 135.38
2  | X01  | P1   | single_product      | null         | null   | null  | null  | 77.36  | 175.00   | 135.3800
# M02 (health 79.58) has two rows of equal priority 150 × 79.58 / 100 = 119.37: P1 before P2.
# P1 per-unit limit 5 seats × 2 = 10; active_users 39 every month: 3.9, projected 39 + 3 × 0 = 39;
# units needed = ceil(39 / 2) − 5 = 20 − 5 = 15; × MRR per seat 50 / 5 = 10 → 150.
3  | M02  | P1   | limit_reached       | active_users | 3.9000 | 39    | 10    | 79.58  | 150.00   | 119.3700
# P2 api_calls Sep 700, Oct 800, Nov 900: 0.9; projected 900 + 3 × 200/2 = 1200; need 1200 → p2_growth
# (tier 2, 5000): 250 − 100 = 150.
4  | M02  | P2   | limit_approaching   | api_calls    | 0.9000 | 1200  | 1000  | 79.58  | 150.00   | 119.3700
# X03 and X04 identical: api_calls Sep 200, Oct 450, Nov 700: 0.7 < 0.8; projected 700 + 3 × 500/2 = 1450
# ≥ 1000; need 1450 → p2_growth: 150; priority 150 × 78.58 / 100 = 117.87, a tie → X03 first.
5  | X03  | P2   | limit_projected_90d | api_calls    | 0.7000 | 1450  | 1000  | 78.58  | 150.00   | 117.8700
6  | X04  | P2   | limit_projected_90d | api_calls    | 0.7000 | 1450  | 1000  | 78.58  | 150.00   | 117.8700
# X07 api_calls Sep 900, no October snapshot, Nov 850: 0.85; projected null (a month missing);
# need = usage 850 → p2_growth: 150; priority 150 × 75.45 / 100 = 113.175
7  | X07  | P2   | limit_approaching   | api_calls    | 0.8500 | null  | 1000  | 75.45  | 150.00   | 113.1750
# X02 api_calls 800/1000 = 0.8 exactly → approaching (its projection 800 + 3 × 200/2 = 1100 ≥ 1000 would
# also fire, but approaching comes first); need 1100 → p2_growth: 150; priority 150 × 69.67 / 100 = 104.505
8  | X02  | P2   | limit_approaching   | api_calls    | 0.8000 | 1100  | 1000  | 69.67  | 150.00   | 104.5050
# X01 P1 per-unit limit 12 seats × 2 = 24; active_users Nov 24 → utilisation exactly 1 → reached.
# projected = 24 + 3 × (24 − 19)/2 = 31.5; units needed = ceil(31.5 / 2) − 12 = 16 − 12 = 4;
# × MRR per seat 120 / 12 = 10 → 40; priority 40 × 77.36 / 100 = 30.944
9  | X01  | P1   | limit_reached       | active_users | 1.0000 | 31.5  | 24    | 77.36  | 40.00    | 30.9440
# X06 on p2_scale (tier 3, the highest): api_calls 25000/20000 = 1.25; projected 25000 + 3 × 3000/2 =
# 29500; no higher tier → estimate null, priority 0, still listed (last).
10 | X06  | P2   | limit_reached       | api_calls    | 1.2500 | 29500 | 20000 | 74.03  | null     | 0.0000
"""


def table(text: str) -> list[dict[str, str | None]]:
    """A |-separated table: the first line names the columns (rk = rank), # lines comment, null = None."""
    lines = [line for line in text.strip().splitlines() if line.strip() and not line.startswith("#")]
    names = [name.strip() for name in lines[0].split("|")]
    return [
        {n: (None if v.strip() == "null" else v.strip()) for n, v in zip(names, line.split("|"), strict=True)}
        for line in lines[1:]
    ]


def test_expansion_opportunities_every_row(golden_expansion_warehouse: Path) -> None:
    frame = query(golden_expansion_warehouse, "select * from marts.mart_expansion_opportunities")
    assert set(OPPORTUNITY_COLUMNS) | {"month"} <= set(frame.columns)
    assert {str(m)[:10] for m in frame["month"]} == {S}
    got = [
        (
            r["customer_id"],
            r["product_id"],
            r["trigger"],
            r["metric"],
            rounded(r["utilization"], 4),
            rounded(r["projected_usage_90d"], 4),
            rounded(r["limit_value_total"], 4),
            rounded(r["health_score"], 2),
            rounded(r["estimated_expansion_mrr"], 2),
            rounded(r["priority_score"], 4),
            int(r["rank"]),
        )
        for r in frame.sort_values("rank").to_dict("records")
    ]
    want = [
        (
            r["cust"],
            r["prod"],
            r["trigger"],
            r["metric"],
            d(r["util"]),
            rounded(d(r["proj"]), 4),
            rounded(d(r["limit"]), 4),
            d(r["health"]),
            d(r["estimate"]),
            d(r["priority"]),
            int(r["rk"]),
        )
        for r in table(OPPORTUNITIES)
    ]
    assert got == want


# --- mart_trigger_effectiveness ----------------------------------------------------------------------

# Months with three months of future: Jun, Jul, Aug (M + 3 ≤ S). Expansion movements after June: X01 Oct
# (seat on P1), Y01 Nov (cross-sell P3); no other. Rows with no triggered customer are not checked.
# (month, trigger): (customers_triggered, customers_expanded_90d, conversion, baseline, lift)
TRIGGER_EFFECTIVENESS = {
    # June: X01 16 / 20 = 0.8 → approaching. No expansion on P1 in Jul..Sep (X01's is in October): 0 / 1.
    # Baseline: the 8 other customers active at the end of June (M01..M06, Y01, C01), none expanding in
    # Jul..Sep (M03's September move is a contraction) → 0 / 8 = 0; lift 0 / 0 → null.
    ("2025-06-01", "limit_approaching"): (1, 0, "0", "0", None),
    # July: X01 18 / 20 = 0.9 → approaching; P1 expansion in October (within Aug..Oct) → 1 / 1.
    # Baseline: 15 others active at the end of July, none expanding in Aug..Oct (Y01's is in November) → 0;
    # lift 1 / 0 → null.
    ("2025-07-01", "limit_approaching"): (1, 1, "1", "0", None),
    # August: reached by X01 (20 / 20 = 1) and X06 (21000 / 20000 = 1.05); X01 expands P1 in October, X06
    # nothing → 1 / 2 = 0.5. Baseline: 14 others active at the end of August; Y01 expands in Nov → 1/14;
    # lift 0.5 / (1/14) = 7.
    ("2025-08-01", "limit_reached"): (2, 1, "0.5", "0.071429", "7"),
    # August single_product: X01 (one core product, 8 months ≥ 6, health 70.83 ≥ 70; C01 is at 60.83, the
    # July starters have 2 months); X01 expands in October → 1 / 1. Baseline: Y01 of 15 → 1/15; lift 15.
    ("2025-08-01", "single_product"): (1, 1, "1", "0.066667", "15"),
}


def test_trigger_effectiveness_rows(golden_expansion_warehouse: Path) -> None:
    frame = query(golden_expansion_warehouse, "select * from marts.mart_trigger_effectiveness")
    assert max(str(m)[:10] for m in frame["month"]) == "2025-08-01"  # M + 3 ≤ S
    rows = {(str(r["month"])[:10], r["trigger"]): r for r in frame.to_dict("records")}
    for key, (triggered, expanded, conversion, baseline, lift) in TRIGGER_EFFECTIVENESS.items():
        row = rows[key]
        got = (
            int(row["customers_triggered"]),
            int(row["customers_expanded_90d"]),
            rounded(row["conversion_rate"], 6),
            rounded(row["baseline_conversion_rate"], 6),
            rounded(row["lift"], 6),
        )
        want = (triggered, expanded, rounded(d(conversion), 6), rounded(d(baseline), 6), rounded(d(lift), 6))
        assert got == want, key
    # No limit_approaching or limit_projected_90d in August (X02, X07 0.6; X05 0.7; no projection: June usage
    # is X01's only), and no single_product in June or July: X01's health is 15 + 16 + 25 + 2.5 + 7.5 = 66
    # in June (0.8, 6 months) and 15 + 18 + 25 + 2.9167 + 7.5 = 68.42 in July (0.9, 7 months).
    # Nor limit_reached in June or July (X01 0.8 and 0.9; X06 15000 / 20000 = 0.75 in July).
    quiet = [("2025-08-01", "limit_approaching"), ("2025-08-01", "limit_projected_90d")]
    quiet += [(month, trigger) for month in ("2025-06-01", "2025-07-01") for trigger in TRIGGERS]
    quiet = [key for key in quiet if key not in TRIGGER_EFFECTIVENESS]
    for key in quiet:
        assert key not in rows or int(rows[key]["customers_triggered"]) == 0, key


# --- mart_health_backtest ----------------------------------------------------------------------------

# August: 16 active customers ordered by (health_score, customer_id) from HEALTH_AUGUST:
# X03 51.33, X04 51.33, X08 53.33, X02 60.33 | X07 60.33, C01 60.83, X05 62.33 | M01, M02, M03 68.33 |
# M04, M05, M06 68.33 | X06 68.33, Y01 68.33, X01 70.83. ntile(5) of 16 → 4, 3, 3, 3, 3.
# Sep..Nov: churn C01 (October); expansion X01 (October), Y01 (November).
# quintile: (customers, churn_rate_90d, expansion_rate_90d)
BACKTEST_AUGUST = {
    1: (4, "0", "0"),
    2: (3, "0.333333", "0"),  # C01 churns: 1 / 3
    3: (3, "0", "0"),  # M03's September contraction is neither churn nor expansion
    4: (3, "0", "0"),
    5: (3, "0", "0.666667"),  # X01 and Y01 expand: 2 / 3
}


def test_health_backtest_in_august(golden_expansion_warehouse: Path) -> None:
    frame = query(
        golden_expansion_warehouse, "select * from marts.mart_health_backtest where month = date '2025-08-01'"
    )
    got = {
        int(r["quintile"]): (
            int(r["customers"]),
            rounded(r["churn_rate_90d"], 6),
            rounded(r["expansion_rate_90d"], 6),
        )
        for r in frame.to_dict("records")
    }
    want = {q: (n, rounded(d(c), 6), rounded(d(e), 6)) for q, (n, c, e) in BACKTEST_AUGUST.items()}
    assert got == want
