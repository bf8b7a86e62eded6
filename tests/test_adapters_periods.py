"""The periods adapter (docs/adapters.md §3) on hand-made subscription periods, as of 2024-12-31.

tests/fixtures/periods_rules/subscription_periods.csv, figures computed by hand from the spec (end_date is
exclusive at 00:00 UTC; MRR is read at the end of each month):
  cust_1  p1 100 from 2024-01-01 to 04-01, then p2 120 back to back to 07-01 (a price change), a gap, then
          p3 120 from 09-01, open-ended: Jan-Mar 100, Apr-Jun 120, Jul-Aug 0, Sep-Dec 120; movements new,
          expansion +20, churn, reactivation.
  cust_2  overlapping periods add up: p4 50 from 02-01 to 06-01 and p5 30 from 03-01 to 05-01: Feb 50,
          Mar-Apr 80, May 50, churn in Jun.
  cust_3  p6 10 from 2019-03-01, open: 70 months, 2019-03 to 2024-12 (no date spine cuts it off).
  cust_4  p7 49.90 from mid-month 05-15 to 08-20: May-Jul 49.90 (a mid-month start counts from its own
          month, a mid-month end leaves that month out).
The optional customers.csv (contract format) gives cust_1; the others are derived, created at their
earliest start_date. Bad rows: a negative amount, an end before the start, a blank customer_id and two
conflicting copies of one subscription_id are rejected; an exact copy of p1 collapses.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from tests.conftest import TESTS_DIR, shared_folder
from tests.dbt_runner import query
from tests.test_adapters_stripe import build_with_source

PERIODS_RULES_DIR = TESTS_DIR / "fixtures" / "periods_rules"
PERIODS_AS_OF = "2024-12-31"

EXPECTED_MRR = {
    ("cust_1", "2024-01"): "100",
    ("cust_1", "2024-02"): "100",
    ("cust_1", "2024-03"): "100",
    ("cust_1", "2024-04"): "120",
    ("cust_1", "2024-05"): "120",
    ("cust_1", "2024-06"): "120",
    ("cust_1", "2024-09"): "120",
    ("cust_1", "2024-10"): "120",
    ("cust_1", "2024-11"): "120",
    ("cust_1", "2024-12"): "120",
    ("cust_2", "2024-02"): "50",
    ("cust_2", "2024-03"): "80",
    ("cust_2", "2024-04"): "80",
    ("cust_2", "2024-05"): "50",
    ("cust_4", "2024-05"): "49.9",
    ("cust_4", "2024-06"): "49.9",
    ("cust_4", "2024-07"): "49.9",
}
EXPECTED_MOVEMENTS = {
    ("cust_1", "2024-01"): ("new", "100"),
    ("cust_1", "2024-04"): ("expansion", "20"),
    ("cust_1", "2024-07"): ("churn", "-120"),
    ("cust_1", "2024-09"): ("reactivation", "120"),
    ("cust_2", "2024-02"): ("new", "50"),
    ("cust_2", "2024-03"): ("expansion", "30"),
    ("cust_2", "2024-05"): ("contraction", "-30"),
    ("cust_2", "2024-06"): ("churn", "-50"),
    ("cust_3", "2019-03"): ("new", "10"),
    ("cust_4", "2024-05"): ("new", "49.9"),
    ("cust_4", "2024-08"): ("churn", "-49.9"),
}


@pytest.fixture(scope="module")
def periods_rules(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = shared_folder(
        tmp_path_factory,
        "periods-rules",
        lambda folder: build_with_source(
            PERIODS_RULES_DIR, folder / "periods.duckdb", PERIODS_AS_OF, "periods"
        ),
    )
    return folder / "periods.duckdb"


def test_mrr_by_hand(periods_rules: Path) -> None:
    rows = query(
        periods_rules,
        "select customer_id, strftime(month, '%Y-%m') as m, mrr from marts.fct_mrr "
        "where mrr <> 0 and customer_id <> 'cust_3'",
    )
    found = {(customer, month): mrr for customer, month, mrr in rows.itertuples(index=False)}
    assert found == {key: Decimal(value) for key, value in EXPECTED_MRR.items()}


def test_a_period_years_before_the_rest_is_not_cut_off(periods_rules: Path) -> None:
    rows = query(
        periods_rules,
        "select count(*) as months, min(month) as first, max(month) as last, min(mrr) as low, max(mrr) as high "
        "from marts.fct_mrr where customer_id = 'cust_3' and mrr <> 0",
    )
    months, first, last, low, high = rows.iloc[0]
    assert (months, str(first), str(last), low, high) == (
        70,
        "2019-03-01",
        "2024-12-01",
        Decimal(10),
        Decimal(10),
    )
    bridge = query(
        periods_rules, "select min(month) as first from marts.mart_mrr_bridge where size_segment = 'all'"
    )
    assert str(bridge["first"].iloc[0]) == "2019-03-01"


def test_movements_by_hand(periods_rules: Path) -> None:
    rows = query(
        periods_rules,
        "select customer_id, strftime(month, '%Y-%m') as m, movement_type, delta from marts.fct_mrr_movements",
    )
    found = {(c, m): (t, d) for c, m, t, d in rows.itertuples(index=False)}
    assert found == {key: (kind, Decimal(delta)) for key, (kind, delta) in EXPECTED_MOVEMENTS.items()}


def test_plans_customers_and_events(periods_rules: Path) -> None:
    plans = query(
        periods_rules, "select plan_id, tier_rank, pricing_model, list_price from adapters.adapter_plans"
    )
    assert sorted(tuple(row) for row in plans.itertuples(index=False)) == [
        ("pb_month_10", "1", "flat", "10.000000"),
        ("pb_month_100", "5", "flat", "100.000000"),
        ("pb_month_120", "6", "flat", "120.000000"),
        ("pb_month_30", "2", "flat", "30.000000"),
        ("pb_month_49.9", "3", "flat", "49.900000"),
        ("pb_month_50", "4", "flat", "50.000000"),
    ]
    customers = query(
        periods_rules, "select customer_id, customer_name, created_at from adapters.adapter_customers"
    )
    assert sorted(tuple(row) for row in customers.itertuples(index=False)) == [
        ("cust_1", "One Corp", "2023-12-15T00:00:00Z"),
        ("cust_2", None, "2024-02-01T00:00:00Z"),
        ("cust_3", None, "2019-03-01T00:00:00Z"),
        ("cust_4", None, "2024-05-15T00:00:00Z"),
    ]
    events = query(
        periods_rules,
        "select event_id, occurred_at, subscription_id, item_id, event_type, plan_id "
        "from adapters.adapter_subscription_events where subscription_id = 'pb_sub_p7' order by occurred_at",
    )
    assert [tuple(row) for row in events.itertuples(index=False)] == [
        (
            "pb_evt_p7_start",
            "2024-05-15T00:00:00Z",
            "pb_sub_p7",
            "pb_item_p7",
            "item_started",
            "pb_month_49.9",
        ),
        ("pb_evt_p7_end", "2024-08-20T00:00:00Z", "pb_sub_p7", "pb_item_p7", "item_ended", "pb_month_49.9"),
    ]


def test_bad_periods_are_rejected_and_reconciled(periods_rules: Path) -> None:
    rejected = query(
        periods_rules,
        "select source_table, row_key, reason from marts.rejected_rows order by row_key, reason",
    )
    assert [tuple(row) for row in rejected.itertuples(index=False)] == [
        ("periods.subscription_periods", "p_bad1", "negative monthly_amount -5"),
        ("periods.subscription_periods", "p_bad2", "end_date 2024-02-01 is not after start_date 2024-03-01"),
        ("periods.subscription_periods", "p_bad3", "missing customer_id"),
        (
            "periods.subscription_periods",
            "p_dup",
            "conflicting duplicates: 2 rows share subscription_id with different content",
        ),
        (
            "periods.subscription_periods",
            "p_dup",
            "conflicting duplicates: 2 rows share subscription_id with different content",
        ),
    ]
    reconciliation = query(periods_rules, "select category, row_count from marts.adapter_reconciliation")
    assert dict(reconciliation.itertuples(index=False)) == {
        "rows_in": 13,
        "used": 7,
        "rejected": 5,
        "duplicates_collapsed": 1,
    }
