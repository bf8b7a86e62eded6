"""The Python asset checks: they pass on the golden scenario and report tampered values precisely."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest
from dagster import AssetCheckSeverity

from orchestration import checks
from orchestration.checks import health_separation_result
from orchestration.settings import WarehouseSettings
from tests.conftest import GOLDEN_AS_OF, GOLDEN_RAW_DIR
from tests.dbt_runner import dbt, last_run_results

EVALUATIONS = [
    checks.customer_mrr_vs_reference,
    checks.movements_vs_reference,
    checks.retention_vs_reference,
    checks.raw_rows_accounted,
]
SETTINGS = WarehouseSettings(GOLDEN_RAW_DIR, Path("unused.duckdb"), GOLDEN_AS_OF).validated()


@pytest.mark.parametrize("evaluate", EVALUATIONS, ids=lambda evaluate: evaluate.__name__)
def test_every_check_passes_on_the_golden_scenario(golden_warehouse: Path, evaluate) -> None:
    problems, compared, _ = evaluate(golden_warehouse, SETTINGS)
    assert compared > 0
    assert problems.empty, problems


@pytest.fixture
def tampered(golden_warehouse: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "tampered.duckdb"
    shutil.copy(golden_warehouse, copy)
    return copy


def tamper(path: Path, sql: str) -> None:
    with duckdb.connect(str(path)) as connection:
        connection.execute(sql)


def test_a_wrong_customer_month_is_reported(tampered: Path) -> None:
    tamper(
        tampered,
        "update marts.fct_mrr set mrr = mrr + 0.01 where customer_id = 'C3' and month = date '2025-09-01'",
    )
    problems, _, _ = checks.customer_mrr_vs_reference(tampered, SETTINGS)
    assert list(zip(problems.customer_id, problems.month, strict=True)) == [("C3", "2025-09-01")]


def test_a_wrong_mechanism_is_reported(tampered: Path) -> None:
    tamper(
        tampered,
        "update marts.fct_mrr_movements set seat_mrr = 32.39, price_mrr = 0.01 where customer_id = 'C3' and month = date '2025-09-01'",
    )
    against_reference, _, _ = checks.movements_vs_reference(tampered, SETTINGS)
    assert list(against_reference.customer_id) == ["C3"]


def test_the_invariants_are_dbt_tests_that_fail_on_a_tampered_warehouse(
    tampered: Path, tmp_path: Path
) -> None:
    """The bridge identity, mechanisms summing to delta and no missing customer-month are dbt data tests
    (asset checks in Dagster), not Python checks: each fails on the row broken here."""
    tamper(
        tampered,
        "update marts.mart_mrr_bridge set churn_mrr = churn_mrr + 1 where month = date '2025-03-01';"
        "update marts.fct_mrr_movements set price_mrr = price_mrr + 0.01 "
        "where customer_id = 'C3' and month = date '2025-09-01';"
        "delete from marts.fct_mrr where customer_id = 'C8' and month = date '2025-04-01'",
    )
    outcome = dbt(
        "test",
        GOLDEN_RAW_DIR,
        tmp_path / "tested.duckdb",
        GOLDEN_AS_OF,
        select="test_name:bridge_identity test_name:mechanisms_sum_to_delta test_name:no_gaps_in_customer_months",
        check=False,
        start_from=tampered,
    )
    assert outcome.returncode != 0
    failed = {
        unique_id.split(".")[2]
        for unique_id, result in last_run_results().items()
        if result["status"] == "fail"
    }
    assert any(name.startswith("bridge_identity_mart_mrr_bridge") for name in failed), failed
    assert any(name.startswith("mechanisms_sum_to_delta_fct_mrr_movements") for name in failed), failed
    assert any(name.startswith("no_gaps_in_customer_months_fct_mrr") for name in failed), failed


def test_an_unaccounted_raw_row_is_reported(tampered: Path) -> None:
    tamper(
        tampered,
        "update marts.mart_raw_reconciliation set rows_used = rows_used - 1 where source_table = 'plans'",
    )
    problems, _, _ = checks.raw_rows_accounted(tampered, SETTINGS)
    assert list(problems.source_table) == ["plans"]


def test_a_movement_of_a_millionth_on_one_side_only_is_no_difference() -> None:
    from decimal import Decimal

    import pandas as pd

    from orchestration.comparisons import MONEY_TOLERANCE, value_differences

    ours = pd.DataFrame(
        {
            "customer_id": ["C1", "C2", "C3"],
            "month": ["2026-10-01"] * 3,
            "delta": [Decimal("-0.000001"), Decimal("5.000000"), Decimal("0.010000")],
        }
    )
    theirs = pd.DataFrame({"customer_id": ["C2", "C4"], "month": ["2026-10-01"] * 2, "delta": [5.0, 0.02]})
    problems = value_differences(
        ours,
        theirs,
        ["customer_id", "month"],
        {"delta": "delta"},
        MONEY_TOLERANCE,
        negligible_when_alone="delta",
    )
    # C1's millionth is negligible; C3 (ours only) and C4 (theirs only) are real movements
    assert sorted(problems["customer_id"]) == ["C3", "C4"]
    strict = value_differences(ours, theirs, ["customer_id", "month"], {"delta": "delta"}, MONEY_TOLERANCE)
    assert sorted(strict["customer_id"]) == ["C1", "C3", "C4"]


# --- the reference on a sample of customers (SAAS_REFERENCE_SAMPLE_CUSTOMERS) ------------------------------
REFERENCE_CHECKS = [
    checks.customer_mrr_vs_reference,
    checks.movements_vs_reference,
    checks.retention_vs_reference,
]
GOLDEN_SAMPLE = {"C4", "C5"}  # the golden customers whose sha256 falls below 4 / 8 of the hash space


@pytest.fixture
def sampled(monkeypatch: pytest.MonkeyPatch) -> None:
    """The golden scenario's 8 customers with at most 4 compared in full: a sampled run."""
    monkeypatch.setenv(checks.SAMPLE_SETTING, "4")


def test_the_sample_limit_setting() -> None:
    from orchestration.settings import SettingsError

    assert checks.reference_sample_limit({}) == 20000
    assert checks.reference_sample_limit({checks.SAMPLE_SETTING: " 500 "}) == 500
    for wrong in ("0", "-3", "1e6", "", "many"):
        with pytest.raises(SettingsError, match=checks.SAMPLE_SETTING):
            checks.reference_sample_limit({checks.SAMPLE_SETTING: wrong})


@pytest.mark.parametrize("evaluate", REFERENCE_CHECKS, ids=lambda evaluate: evaluate.__name__)
def test_the_reference_checks_pass_on_a_sample(golden_warehouse: Path, sampled: None, evaluate) -> None:
    problems, compared, _ = evaluate(golden_warehouse, SETTINGS)
    assert compared > 0
    assert problems.empty, problems


def test_a_sampled_run_reports_what_it_compared(golden_warehouse: Path, sampled: None) -> None:
    sample = checks.settings_sample(SETTINGS, golden_warehouse)
    assert sample.customer_ids == GOLDEN_SAMPLE
    metadata = checks.sample_metadata(golden_warehouse, SETTINGS)
    assert {key: metadata[key] for key in ("customers_compared", "customers_in_files", "sampled")} == {
        "customers_compared": 2,
        "customers_in_files": 8,
        "sampled": "yes",
    }
    assert metadata["customers_in_warehouse"] > 2
    assert metadata["sample_rule"].endswith("h / 2^64 < 4 / 8")
    months = checks.read_table(golden_warehouse, "select customer_id, month from marts.fct_mrr")
    compared = checks.read_sampled(golden_warehouse, "select customer_id from marts.fct_mrr", sample)
    assert set(compared.customer_id) == GOLDEN_SAMPLE
    assert len(compared) == months.customer_id.isin(GOLDEN_SAMPLE).sum()


def test_an_unsampled_run_compares_every_customer(golden_warehouse: Path) -> None:
    metadata = checks.sample_metadata(golden_warehouse, SETTINGS)
    assert metadata["sampled"] == "no"
    assert metadata["customers_compared"] == metadata["customers_in_warehouse"] > 2
    assert metadata["customers_sampled"] == metadata["customers_in_files"] == 8


def test_a_sampled_run_reports_a_wrong_sampled_customer_only(tampered: Path, sampled: None) -> None:
    tamper(tampered, "update marts.fct_mrr set mrr = mrr + 0.01 where customer_id in ('C3', 'C4')")
    problems, _, _ = checks.customer_mrr_vs_reference(tampered, SETTINGS)
    assert set(problems.customer_id) == {"C4"}


def test_a_sampled_run_checks_the_company_s_retention(tampered: Path, sampled: None) -> None:
    tamper(
        tampered, "update marts.mart_retention_monthly set nrr = nrr + 0.001 where month = date '2025-09-01'"
    )
    problems, compared, _ = checks.retention_vs_reference(tampered, SETTINGS)
    assert list(problems.month) == ["2025-09-01"] and compared == 12


def test_the_retention_formula_on_warehouse_rows() -> None:
    """Month 1: A 100, B 50. Month 2: A 120 (expansion 20), B 0 (churn 50): NRR 120/150, GRR 100/150."""
    import pandas as pd

    JAN, FEB = 2025 * 12, 2025 * 12 + 1  # noqa: N806 - the reference's month indexes
    fct_mrr = pd.DataFrame({"month_i": [JAN, JAN, FEB, FEB], "mrr": [100.0, 50.0, 120.0, 0.0]})
    moves = pd.DataFrame(
        {
            "month_i": [JAN, JAN, FEB, FEB],
            "movement_type": ["new", "new", "expansion", "churn"],
            "delta": [100.0, 50.0, 20.0, -50.0],
        }
    )
    rates = checks.formula_retention(fct_mrr, moves, JAN, FEB)
    assert rates["nrr"].isna().tolist() == [True, False]  # no MRR at the start of month 1
    assert rates["nrr"].iloc[1] == pytest.approx(0.8) and rates["grr"].iloc[1] == pytest.approx(2 / 3)


@pytest.mark.parametrize(
    ("bottom", "top", "passed"),
    [(0.10, 0.05, True), (0.10, 0.051, False), (0.10, 0.0, True), (0.0, 0.0, False), (None, None, False)],
)
def test_health_separation_warns_below_twice_the_top_quintile_s_churn(
    bottom: float | None, top: float | None, passed: bool
) -> None:
    result = health_separation_result({1: bottom, 5: top})
    assert result.passed is passed
    assert result.severity == AssetCheckSeverity.WARN
