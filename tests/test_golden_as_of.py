"""The as-of date (SAAS_AS_OF, dbt var as_of) on the golden scenario.

- An early as-of date builds (every dbt unit test pins its own as_of) and gives the same figures, row for
  row, for the months it shares with the usual build as of 2025-12-31, and no month after its own.
- A malformed as_of stops dbt with a compiler error naming the value.
- An as-of date far past the data fails the singular test assert_as_of_is_near_the_data, unless var
  allow_as_of_beyond_data is true. The golden scenario's latest valid subscription event is e302 on
  2025-09-01, so 2025-09-01 + 366 days = 2026-09-02 is the last as-of date accepted by default.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
import yaml

from orchestration.settings import DBT_PROJECT_DIR
from tests.conftest import GOLDEN_RAW_DIR
from tests.dbt_runner import SCRATCH_BUILD_PATH, dbt, last_run_results, query

EARLY_AS_OF = "2025-01-31"
EARLY_MONTH = date(2025, 1, 1)
SHARED_MARTS = [
    "fct_mrr",
    "fct_mrr_movements",
    "mart_mrr_bridge",
    "mart_retention_monthly",
    "mart_expansion_mechanisms",
]
# set from the build, not from the data (D-11); is_complete depends on the as-of date by definition (D-44)
AS_OF_DEPENDENT_COLUMNS = {"loaded_at", "is_complete"}
GUARD = "assert_as_of_is_near_the_data"
GUARD_ID = f"test.saas_warehouse.{GUARD}"


@pytest.fixture(scope="module")
def golden_early(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The golden scenario built with `dbt build` (models, data tests, unit tests) as of 2025-01-31."""
    build_path = tmp_path_factory.mktemp("golden-early") / "golden.duckdb"
    dbt("build", GOLDEN_RAW_DIR, build_path, EARLY_AS_OF)
    return build_path


def compared_columns(build_path: Path, table: str) -> list[str]:
    columns = query(
        build_path,
        "select column_name from information_schema.columns "
        f"where table_schema = 'marts' and table_name = '{table}' order by ordinal_position",
    )["column_name"].tolist()
    return [column for column in columns if column not in AS_OF_DEPENDENT_COLUMNS]


def rows_through(build_path: Path, table: str, columns: list[str], last_month: date) -> list[tuple]:
    frame = query(
        build_path,
        f"select {', '.join(columns)} from marts.{table} where month <= date '{last_month}' order by all",
    )
    return [tuple(row) for row in frame.itertuples(index=False)]


# --- an early as-of date -------------------------------------------------------------------------------


@pytest.mark.parametrize("table", SHARED_MARTS)
def test_an_early_as_of_gives_the_same_figures_for_the_shared_months(
    table: str, golden_early: Path, golden_warehouse: Path
) -> None:
    columns = compared_columns(golden_early, table)
    assert columns == compared_columns(golden_warehouse, table)
    early = rows_through(golden_early, table, columns, EARLY_MONTH)
    full = rows_through(golden_warehouse, table, columns, EARLY_MONTH)
    assert early, f"{table} has no row for January 2025 in the early build"
    assert early == full


@pytest.mark.parametrize("table", SHARED_MARTS)
def test_the_as_of_month_is_flagged_in_progress(
    table: str, golden_early: Path, golden_warehouse: Path
) -> None:
    """As of 2025-01-31, January 2025 (the as-of month, its usage not billed yet) is not complete; as of
    2025-12-31 it is, and only December 2025 is not."""
    early = query(golden_early, f"select distinct month, is_complete from marts.{table} order by month")
    assert [tuple(row) for row in early.itertuples(index=False)] == [(EARLY_MONTH, False)]
    full = query(
        golden_warehouse,
        f"select month, bool_and(is_complete), bool_or(is_complete) from marts.{table} group by month",
    )
    flags = {month: (every, some) for month, every, some in full.itertuples(index=False)}
    assert flags == {month: (month < date(2025, 12, 1),) * 2 for month in flags}
    assert min(flags) == date(2025, 1, 1)


def test_the_early_build_holds_the_known_january_figures(golden_early: Path) -> None:
    # tests/fixtures/golden_expected/mart_mrr_bridge_all.csv, January 2025: 210.00 new MRR from 4 customers
    bridge = query(
        golden_early,
        "select mrr_start, new_mrr, mrr_end, customers_new, customers_end from marts.mart_mrr_bridge "
        "where size_segment = 'all'",
    )
    assert [tuple(row) for row in bridge.itertuples(index=False)] == [
        (Decimal("0.000000"), Decimal("210.000000"), Decimal("210.000000"), 4, 4)
    ]


def test_the_early_build_has_no_month_after_its_as_of_month(golden_early: Path) -> None:
    tables = query(
        golden_early,
        "select distinct table_name from information_schema.columns "
        "where table_schema = 'marts' and column_name = 'month' order by table_name",
    )["table_name"].tolist()
    assert set(SHARED_MARTS) <= set(tables)
    for table in tables:
        latest = query(golden_early, f"select max(month) as latest from marts.{table}").iloc[0, 0]
        assert latest is None or latest <= EARLY_MONTH, f"{table} has a month after 2025-01: {latest}"
    for table in SHARED_MARTS:
        latest = query(golden_early, f"select max(month) as latest from marts.{table}").iloc[0, 0]
        assert latest == EARLY_MONTH, table


def test_every_dbt_unit_test_pins_its_as_of() -> None:
    """A unit test's fixture months must not depend on the day it runs (or on SAAS_AS_OF)."""
    pins = {}
    for properties in sorted((DBT_PROJECT_DIR / "models").rglob("*.yml")):
        for unit_test in (yaml.safe_load(properties.read_text()) or {}).get("unit_tests", []):
            pins[unit_test["name"]] = str(((unit_test.get("overrides") or {}).get("vars") or {}).get("as_of"))
    assert {  # at least the unit tests of intermediate, core, retention and expansion are found
        "item_mrr_normalises_intervals_discounts_and_zero_states",
        "mechanisms_split_tier_and_seat_change_in_the_same_month",
        "change_undone_within_a_month_leaves_no_change",
        "movement_types_in_order_of_precedence",
        "retention_monthly_reproduces_the_source_examples",
        "churn_segments_by_precedence_at_month_start",
        "maturity_stage_is_the_highest_with_both_minimums_met",
    } <= set(pins)
    unpinned = {
        name: pin for name, pin in pins.items() if not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", pin)
    }
    assert not unpinned, f"unit tests without overrides: vars: {{as_of: YYYY-MM-DD}}: {unpinned}"


# --- as_of is strictly YYYY-MM-DD ---------------------------------------------------------------------


@pytest.mark.parametrize("bad_as_of", ["20261031", "2026-W44-6", "2026-02-30", "2026-1-5", "2100-02-29"])
def test_a_malformed_as_of_is_a_compiler_error(bad_as_of: str, tmp_path: Path) -> None:
    completed = dbt("compile", GOLDEN_RAW_DIR, tmp_path / "bad.duckdb", bad_as_of, check=False)
    assert completed.returncode != 0
    output = " ".join(completed.stdout.split())
    assert "Compilation Error" in output
    assert (
        "var as_of (SAAS_AS_OF, saas-warehouse build --as-of) must be a calendar date written YYYY-MM-DD, "
        f"e.g. 2026-10-31 (or empty for today's UTC date); got '{bad_as_of}'"
    ) in output


def test_a_leap_day_is_a_valid_as_of(tmp_path: Path) -> None:
    completed = dbt("compile", GOLDEN_RAW_DIR, tmp_path / "leap.duckdb", "2024-02-29", select="int_months")
    assert completed.returncode == 0
    compiled = last_run_results()["model.saas_warehouse.int_months"]["compiled_code"]
    assert "cast('2024-02-29' as date)" in compiled


# --- an as-of date far past the data ------------------------------------------------------------------


def test_an_as_of_far_past_the_data_fails_the_build_and_says_what_to_do(tmp_path: Path) -> None:
    # the compiled test names the build file's catalog (its file name): keep the scratch file's name
    build_path = tmp_path / SCRATCH_BUILD_PATH.name
    completed = dbt("build", GOLDEN_RAW_DIR, build_path, "2100-01-01", check=False)
    assert completed.returncode != 0
    results = last_run_results()
    failed = sorted(uid for uid, result in results.items() if result["status"] in ("fail", "error"))
    assert failed == [GUARD_ID]
    assert results["model.saas_warehouse.fct_mrr"]["status"] == "skipped"  # nothing past the guard is built
    # the failing row, from the test's own query on what the build left behind
    row = query(build_path, results[GUARD_ID]["compiled_code"]).to_dict("records")
    assert len(row) == 1
    # 2025-09-01 → 2026-01-01: 122 days; 2026 → 2100: 74 × 365 + 18 leap days (2028 … 2096) = 27 028
    assert row[0]["as_of_date"] == date(2100, 1, 1)
    assert row[0]["latest_event_date"] == date(2025, 9, 1)
    assert row[0]["days_beyond_data"] == 27150
    assert row[0]["max_days_as_of_beyond_data"] == 366
    for hint in ("SAAS_AS_OF", "--as-of", "--force-as-of", "allow_as_of_beyond_data"):
        assert hint in row[0]["what_to_do"]


@pytest.mark.parametrize(
    ("as_of", "extra_vars", "status"),
    [
        ("2025-12-31", None, "pass"),  # 121 days after the latest event
        ("2026-09-02", None, "pass"),  # exactly 366 days
        ("2026-09-03", None, "fail"),  # 367 days
        ("2100-01-01", {"allow_as_of_beyond_data": True}, "pass"),
        ("2025-12-31", {"max_days_as_of_beyond_data": 120}, "fail"),
    ],
)
def test_the_as_of_guard(
    as_of: str, extra_vars: dict | None, status: str, golden_warehouse: Path, tmp_path: Path
) -> None:
    completed = dbt(
        "test",
        GOLDEN_RAW_DIR,
        tmp_path / "golden.duckdb",
        as_of,
        select=GUARD,
        extra_vars=extra_vars,
        check=False,
        start_from=golden_warehouse,
    )
    results = last_run_results()
    assert [uid for uid in results if not uid.startswith("operation.")] == [GUARD_ID]  # hooks aside
    assert results[GUARD_ID]["status"] == status
    assert completed.returncode == (0 if status == "pass" else 1)
