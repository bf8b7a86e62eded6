"""Retention and expansion marts (metrics spec §4–8) on known outputs.

The golden scenario's monthly retention and mechanisms are compared with the expected CSVs (rates to 6
decimals, money to 2, half away from zero); the cohort, TTM, segment, period and KPI marts with figures
computed by hand from the golden histories (golden_scenarios.md); the source examples of metrics §8 with a
query of the formula macros on a tiny fixture (the NDR and CRR examples are also dbt unit tests of
mart_retention_monthly, run by the golden build); and the sample company's monthly retention against
its MRR bridge.
"""

from __future__ import annotations

import json
import subprocess
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pandas as pd

from orchestration.project import dbt_executable
from orchestration.settings import DBT_PROJECT_DIR
from tests.conftest import GOLDEN_AS_OF, GOLDEN_EXPECTED_DIR, GOLDEN_RAW_DIR, SAMPLE_AS_OF
from tests.dbt_runner import query

REPO_ROOT = Path(__file__).resolve().parent.parent
RATES = [
    "nrr",
    "grr",
    "quick_ratio",
    "logo_churn_rate",
    "customer_retention_rate",
    "gross_mrr_churn_rate",
    "net_mrr_churn_rate",
]
MECHANISMS = ["cross_sell", "product_churn", "add_on", "seat", "upsell", "downgrade", "price", "usage"]


def rounded(value: object, places: int) -> Decimal | None:
    if value is None or (isinstance(value, float) and pd.isna(value)) or value == "null":
        return None
    return Decimal(str(value)).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def expected(name: str) -> pd.DataFrame:
    return pd.read_csv(GOLDEN_EXPECTED_DIR / f"{name}.csv", dtype=str, keep_default_na=False)


def by_month(frame: pd.DataFrame) -> dict[str, dict]:
    return {str(record["month"])[:10]: record for record in frame.to_dict("records")}


# --- golden scenario: known outputs -------------------------------------------------------------


def test_monthly_retention_matches_the_golden_table(golden_warehouse: Path) -> None:
    actual = by_month(query(golden_warehouse, "select * from marts.mart_retention_monthly"))
    want = expected("mart_retention_monthly")
    assert sorted(actual) == sorted(want["month"])
    for record in want.to_dict("records"):
        row = actual[record["month"]]
        for column in RATES:
            assert rounded(row[column], 6) == rounded(record[column], 6), (record["month"], column)
        assert rounded(row["arpa"], 2) == rounded(record["arpa"], 2), record["month"]


def test_mechanisms_match_the_golden_table_and_every_other_cell_is_zero(golden_warehouse: Path) -> None:
    actual = query(golden_warehouse, "select * from marts.mart_expansion_mechanisms")
    assert len(actual) == 12 * len(MECHANISMS)  # the full month × mechanism grid
    assert set(actual["mechanism"]) == set(MECHANISMS)
    money = ["expansion_mrr", "contraction_mrr", "net_mrr"]
    want = {
        (record["month"], record["mechanism"]): (
            *(rounded(record[m], 2) for m in money),
            int(record["customers"]),
        )
        for record in expected("mart_expansion_mechanisms").to_dict("records")
    }
    for record in actual.to_dict("records"):
        key = (str(record["month"])[:10], record["mechanism"])
        got = (*(rounded(record[m], 2) for m in money), int(record["customers"]))
        assert got == want.get(key, (Decimal("0.00"),) * 3 + (0,)), key


def test_mechanism_contributions_add_up_to_nrr(golden_warehouse: Path) -> None:
    """NRR = 1 + Σ nrr_contribution − churn / MRR_start; conversion = customers / customers_start × 100."""
    rows = query(
        golden_warehouse,
        """
        select m.month, m.mechanism, m.customers, m.conversion_rate_pct, m.net_mrr, m.nrr_contribution,
            b.mrr_start, b.churn_mrr, b.customers_start, r.nrr
        from marts.mart_expansion_mechanisms as m
        inner join marts.mart_mrr_bridge as b on m.month = b.month and b.size_segment = 'all'
        inner join marts.mart_retention_monthly as r on m.month = r.month
        """,
    )
    june = rows[rows["month"].astype(str) == "2025-06-01"].set_index("mechanism")
    assert rounded(june.loc["downgrade", "nrr_contribution"], 6) == rounded(Decimal(-80) / Decimal(722), 6)
    assert rounded(june.loc["downgrade", "conversion_rate_pct"], 6) == rounded(Decimal(100) / Decimal(6), 6)
    for month, group in rows[rows["mrr_start"] > 0].groupby(rows["month"].astype(str)):
        mrr_start, churn = group["mrr_start"].iloc[0], group["churn_mrr"].iloc[0]
        recomputed = 1 + sum(group["nrr_contribution"]) - churn / mrr_start
        assert abs(recomputed - group["nrr"].iloc[0]) < Decimal("1e-9"), month


def test_arpu_and_ltv_on_the_golden_histories(golden_warehouse: Path) -> None:
    rows = by_month(query(golden_warehouse, "select * from marts.mart_retention_monthly"))
    # per_unit plans only: Jan C1 5 seats 50 + C6 2 seats 20 = 70 / 7;
    # Mar C1 160 / 8 seats + C3 162 / 10 + C6 20 / 2.
    assert rounded(rows["2025-01-01"]["arpu"], 2) == Decimal("10.00")
    assert rounded(rows["2025-02-01"]["arpu"], 2) == Decimal("17.14")  # 120 / 7
    assert rounded(rows["2025-03-01"]["arpu"], 2) == Decimal("17.10")  # 342 / 20
    assert rounded(rows["2025-09-01"]["arpu"], 2) == Decimal("15.31")  # (194.40 + 20) / 14
    # LTV: no churn rate yet in January (null) and all-zero in February (null).
    assert rows["2025-01-01"]["ltv"] is None and rows["2025-02-01"]["ltv"] is None
    # March: ARPA 541 / 5 over the mean of Feb 0 and Mar 1/3 = 1/6 → 649.20.
    assert rounded(rows["2025-03-01"]["ltv"], 2) == Decimal("649.20")
    # December: mean of the 11 defined rates (1/3 + 1/5 + 1/6 + 1/5) / 11 = 0.9 / 11; 534.40 / 5 × 11 / 0.9.
    assert rounded(rows["2025-12-01"]["ltv"], 2) == Decimal("1306.31")


def test_retention_ttm_and_maturity_have_no_rows_before_the_13th_month(golden_warehouse: Path) -> None:
    assert query(golden_warehouse, "select * from marts.mart_retention_ttm").empty
    assert query(golden_warehouse, "select * from marts.mart_expansion_maturity").empty


def test_cohort_retention_by_hand(golden_warehouse: Path) -> None:
    cohorts = query(golden_warehouse, "select * from marts.mart_cohort_retention")
    cohorts = cohorts.set_index([cohorts["cohort_month"].astype(str), "months_since_start"])
    # January cohort C1, C5, C6, C8 = 50 + 40 + 20 + 100 = 210. March (2): C1 160 + C6 20, C5 and C8 at 0.
    january_march = cohorts.loc[("2025-01-01", 2)]
    assert (january_march["customers_start"], january_march["customers_active"]) == (4, 2)
    assert rounded(january_march["mrr_start"], 2) == Decimal("210.00")
    assert rounded(january_march["mrr_now"], 2) == Decimal("180.00")
    assert rounded(january_march["logo_retention"], 6) == Decimal("0.500000")
    assert rounded(january_march["mrr_retention"], 6) == Decimal("0.857143")
    # December (11): C6 20 + C8 100, C1 and C5 gone.
    january_december = cohorts.loc[("2025-01-01", 11)]
    assert january_december["customers_active"] == 2 and rounded(january_december["mrr_now"], 2) == Decimal(
        "120.00"
    )
    # February cohort C2 + C4 = 199; April (2): C2 ended, C4 99 → 99 / 199. C7 (never active) is in no cohort.
    february_april = cohorts.loc[("2025-02-01", 2)]
    assert rounded(february_april["mrr_retention"], 6) == rounded(Decimal(99) / Decimal(199), 6)
    assert february_april["customers_active"] == 1
    assert set(cohorts.index.get_level_values(0)) == {"2025-01-01", "2025-02-01", "2025-03-01"}
    assert len(cohorts) == 12 + 11 + 10


def test_churn_by_segment_by_hand(golden_warehouse: Path) -> None:
    segments = query(golden_warehouse, "select * from marts.mart_churn_by_segment")
    assert len(segments) == 12 * 4
    # All golden customers are in their first year in 2025: every customer is first_year.
    assert (segments.loc[segments["segment"] != "first_year", "customers_start"] == 0).all()
    march = segments[
        (segments["month"].astype(str) == "2025-03-01") & (segments["segment"] == "first_year")
    ].iloc[0]
    assert (march["customers_start"], march["customers_churned"]) == (6, 2)
    assert rounded(march["logo_churn_rate"], 6) == Decimal("0.333333")
    # 1 − (2/3)^12 = 1 − 4096 / 531441
    assert rounded(march["annualized_logo_churn_rate"], 6) == rounded(1 - Decimal(4096) / Decimal(531441), 6)
    totals = segments.groupby(segments["month"].astype(str))[["customers_start", "customers_churned"]].sum()
    bridge = query(golden_warehouse, "select * from marts.mart_mrr_bridge where size_segment = 'all'")
    for record in bridge.to_dict("records"):
        month = str(record["month"])[:10]
        assert tuple(totals.loc[month]) == (record["customers_start"], record["customers_churned"])


def test_quarterly_and_yearly_retention_by_hand(golden_warehouse: Path) -> None:
    periods = query(golden_warehouse, "select * from marts.mart_retention_periods")
    periods = periods.set_index(["period_type", periods["period_start"].astype(str)])
    # Q2: S = active end of March: C1 160, C2 100, C3 162, C4 99, C6 20 (541). End of June: C1 180, C2 0,
    # C3 162, C4 120, C6 20 → NRR 482 / 541, GRR (160 + 0 + 162 + 99 + 20) / 541; E = 5 (C8 back), N = 1.
    q2 = periods.loc[("quarter", "2025-04-01")]
    assert (q2["customers_start"], q2["customers_end"], q2["customers_new_in_period"]) == (5, 5, 1)
    assert rounded(q2["nrr"], 6) == rounded(Decimal(482) / Decimal(541), 6)
    assert rounded(q2["grr"], 6) == rounded(Decimal(441) / Decimal(541), 6)
    assert rounded(q2["customer_retention_rate"], 6) == Decimal("0.800000")
    assert rounded(q2["logo_churn_rate"], 6) == Decimal("0.200000")
    # Q2 quick ratio: gains 30 + 30 + 100 + 121 = 281, losses 100 + 110 + 30 = 240.
    assert rounded(q2["quick_ratio"], 6) == rounded(Decimal(281) / Decimal(240), 6)
    assert bool(q2["is_complete"])
    # The year 2025 and Q1 start with no customers (history starts in January): rates are null.
    assert periods.loc[("year", "2025-01-01"), "nrr"] is None
    assert periods.loc[("quarter", "2025-01-01"), "customer_retention_rate"] is None


def test_expansion_kpis_by_hand(golden_warehouse: Path) -> None:
    kpis = by_month(query(golden_warehouse, "select * from marts.mart_expansion_kpis"))
    february, may = kpis["2025-02-01"], kpis["2025-05-01"]
    assert rounded(february["expansion_mrr"], 2) == Decimal("70.00")
    assert rounded(february["expansion_rate_pct"], 6) == rounded(Decimal(7000) / Decimal(210), 6)
    assert february["expansion_mrr_growth_pct"] is None  # January expansion is 0
    assert rounded(kpis["2025-03-01"]["expansion_mrr_growth_pct"], 6) == rounded(
        Decimal(-1000) / Decimal(70), 6
    )
    assert rounded(february["expansion_share_of_new_arr"], 6) == rounded(Decimal(70) / Decimal(269), 6)
    # No one-time charges in the golden scenario: expansion revenue = expansion MRR.
    assert rounded(may["one_time_revenue_existing"], 2) == Decimal("0.00")
    assert rounded(may["expansion_revenue"], 2) == Decimal("121.00")
    # C1's upsell in February: 1 of 4 customers at the start, one product change of 50.
    assert rounded(february["upsell_conversion_rate_pct"], 6) == Decimal("25.000000")
    assert rounded(february["average_upgrade_value"], 2) == Decimal("50.00")
    # C1 first active 2025-01-10 (i1), first upsell and expansion in February (day 2025-02-28): 49 days;
    # C5 first active 2025-01-01 (usage period), first expansion February: 58 days → median 53.5.
    assert rounded(february["avg_days_to_first_upsell"], 6) == Decimal("49.000000")
    assert rounded(february["median_days_to_first_expansion"], 6) == Decimal("53.500000")
    # C4 (first active 2025-02-01, first expansion May → 2025-05-31) and C3 (2025-03-01 → 2025-09-30).
    assert rounded(may["median_days_to_first_expansion"], 6) == Decimal("119.000000")
    assert rounded(kpis["2025-09-01"]["median_days_to_first_expansion"], 6) == Decimal("213.000000")
    assert kpis["2025-03-01"]["median_days_to_first_expansion"] is None  # C1 expanded before
    assert kpis["2025-03-01"]["average_upgrade_value"] is None


# --- source examples (metrics §8) on a tiny fixture ----------------------------------------------


def test_source_examples_of_the_metrics_spec(tmp_path: Path) -> None:
    """Growth share (25 % / 75 %), NRR compounding (5.0 M / 10.75 M / 17.34 M), NDR 107 %, CRR 90 %."""
    inline = """
        select
            {{ growth_share_from_expansion('1.10', '0.40') }} as share_at_110,
            {{ growth_share_from_expansion('1.30', '0.40') }} as share_at_130,
            {{ nrr_compounding_gain('100000000', '1.10', '1.05', 1) }} as gain_1,
            {{ nrr_compounding_gain('100000000', '1.10', '1.05', 2) }} as gain_2,
            {{ nrr_compounding_gain('100000000', '1.10', '1.05', 3) }} as gain_3,
            {{ ratio('100000 + 15000 - 3000 - 5000', '100000') }} as ndr,
            {{ ratio('210 - 30', '200') }} as crr,
            {{ annualized_churn_rate('0.5') }} as annualized_half,
            {{ median('x') }} as median_x
        from (values (1), (2), (10), (20)) as fixture (x)
    """
    completed = subprocess.run(
        [
            dbt_executable(),
            "show",
            "--inline",
            inline,
            "--project-dir",
            str(DBT_PROJECT_DIR),
            "--profiles-dir",
            str(DBT_PROJECT_DIR),
            "--vars",
            json.dumps(
                # macros on literals: any file will do (dbt opens it read-write, so not a shared build)
                {
                    "raw_dir": str(GOLDEN_RAW_DIR),
                    "as_of": GOLDEN_AS_OF,
                    "build_path": str(tmp_path / "show.duckdb"),
                }
            ),
            "--output",
            "json",
            "--log-format",
            "json",
            "--no-use-colors",
        ],
        cwd=DBT_PROJECT_DIR,
        capture_output=True,
        text=True,
    )
    assert completed.returncode == 0, completed.stdout[-3000:] + completed.stderr[-2000:]
    preview = None
    for line in completed.stdout.splitlines():
        data = json.loads(line).get("data", {}) if line.startswith("{") else {}
        if "preview" in data:
            preview = json.loads(data["preview"])[0]
    assert preview is not None, completed.stdout[-3000:]
    values = {key: Decimal(str(value)) for key, value in preview.items()}
    assert values["share_at_110"] == Decimal("0.25")
    assert values["share_at_130"] == Decimal("0.75")
    assert values["gain_1"] == Decimal("5000000")
    assert values["gain_2"] == Decimal("10750000")
    assert rounded(values["gain_3"] / 1000000, 2) == Decimal("17.34")  # 100 M × (1.331 − 1.157625)
    assert values["gain_3"] == Decimal("17337500")
    assert values["ndr"] == Decimal("1.07")
    assert values["crr"] == Decimal("0.9")
    assert values["annualized_half"] == Decimal("0.9997558594")
    assert values["median_x"] == Decimal("6")


# --- sample company: retention agrees with the bridge --------------------------------------------


def test_sample_monthly_retention_agrees_with_the_bridge(sample_warehouse: Path) -> None:
    bridge = by_month(
        query(sample_warehouse, "select * from marts.mart_mrr_bridge where size_segment = 'all'")
    )
    retention = by_month(query(sample_warehouse, "select * from marts.mart_retention_monthly"))
    assert sorted(bridge) == sorted(retention)
    checked = 0
    for month, row in bridge.items():
        rates = retention[month]
        if row["mrr_start"] == 0:
            assert rates["nrr"] is None and rates["grr"] is None
            continue
        start = row["mrr_start"]
        nrr = (start + row["expansion_mrr"] - row["contraction_mrr"] - row["churn_mrr"]) / start
        grr = (start - row["contraction_mrr"] - row["churn_mrr"]) / start
        assert abs(rates["nrr"] - nrr) <= Decimal("5e-11"), month
        assert abs(rates["grr"] - grr) <= Decimal("5e-11"), month
        assert abs(
            rates["logo_churn_rate"] - Decimal(row["customers_churned"]) / row["customers_start"]
        ) <= Decimal("5e-11")
        assert rounded(rates["arpa"], 2) == rounded(row["mrr_end"] / row["customers_end"], 2)
        checked += 1
    assert checked >= 30
    latest = retention[f"{SAMPLE_AS_OF[:7]}-01"]
    assert latest["arpu"] > 0 and latest["ltv"] > 0 and 0 < latest["nrr"] < 2
