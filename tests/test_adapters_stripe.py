"""The stripe adapter (docs/adapters.md §2) on a hand-made Fivetran-Stripe folder, and the round trip.

tests/fixtures/stripe_rules/ holds one customer per rule, figures computed by hand from the spec (as of
2025-06-30; EUR = 1.1 USD and JPY = 0.0067 USD on every day):
  cus_A  Basic $10 x 2 from 01-10; seats 2 -> 3 on 02-20 (proration lines: a credit and a change); upgrade
         to Pro $30 on 03-25 (proration lines); a void invoice billing 9 seats is ignored:
         Jan 20, Feb 30, Mar-Jun 90. Plus a one-time setup fee of $50 (one_time_charges).
  cus_B  annual Basic $120 / 12 = 10 from Feb.
  cus_C  Pro $30 with a 25 % coupon repeating 3 months from 01-15 (ends 04-15): Jan-Mar 22.50, Apr-Jun 30.
  cus_D  trial 02-20 to 03-06 that converts: Feb 0, Mar-Jun 10.
  cus_E  trial 03-10 to 03-24 that does not convert (canceled at its end): never active.
  cus_F  cancel at period end (current_period_end 05-12): Jan-Apr 10, churn in May.
  cus_G  4 seats, canceled at once on 04-03 (a credit line, and a line billed after the end): Jan-Mar 40.
  cus_H  EUR 20 x 2 = 40 EUR = 44 USD from Feb.
  cus_I  Basic x 5 and, from 03-18 (a proration line), the add-on $5 x 5: Jan-Feb 50, Mar-Jun 75.
  cus_J  JPY 5000 (a zero-decimal currency: 5000 yen, not 50) = 33.50 USD from Apr.
  cus_K  Basic $10 and an add-on $5 x 2 that is missing from subscription_item, its end dated by a credit
         line on 03-20: Jan-Feb 20, Mar-Jun 10.
Test-mode rows, an earlier history version, a temporary line id, duplicates (exact, superseded,
conflicting), unknown references, a tiered price, a once and an amount_off coupon, a canceled
subscription without ended_at and an unreadable quantity are ignored or rejected as the spec says.
"""

from __future__ import annotations

import shutil
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from company_generator.stripe import generate_stripe_company
from orchestration import checks
from orchestration.adapters import export_derived_tables
from orchestration.landing import landing_problems
from orchestration.settings import WarehouseSettings
from tests.conftest import SAMPLE_AS_OF, TESTS_DIR, shared_folder
from tests.dbt_runner import dbt, environment, query

STRIPE_RULES_DIR = TESTS_DIR / "fixtures" / "stripe_rules"
RULES_AS_OF = "2025-06-30"
# The marts whose rows depend on the company only; the quality marts list each door's own raw rows.
QUALITY_MARTS = {
    "rejected_rows",
    "mart_raw_reconciliation",
    "mart_rejection_summary",
    "mart_customers_lost_to_rejections",
    "adapter_reconciliation",
    "adapter_warnings",
}

EXPECTED_MRR = {
    "cus_A": {1: "20", 2: "30", 3: "90", 4: "90", 5: "90", 6: "90"},
    "cus_B": {2: "10", 3: "10", 4: "10", 5: "10", 6: "10"},
    "cus_C": {1: "22.5", 2: "22.5", 3: "22.5", 4: "30", 5: "30", 6: "30"},
    "cus_D": {3: "10", 4: "10", 5: "10", 6: "10"},
    "cus_F": {1: "10", 2: "10", 3: "10", 4: "10"},
    "cus_G": {1: "40", 2: "40", 3: "40"},
    "cus_H": {2: "44", 3: "44", 4: "44", 5: "44", 6: "44"},
    "cus_I": {1: "50", 2: "50", 3: "75", 4: "75", 5: "75", 6: "75"},
    "cus_J": {4: "33.5", 5: "33.5", 6: "33.5"},
    "cus_K": {1: "20", 2: "20", 3: "10", 4: "10", 5: "10", 6: "10"},
}
EXPECTED_MOVEMENTS = {
    ("cus_A", 1): ("new", "20"),
    ("cus_A", 2): ("expansion", "10"),
    ("cus_A", 3): ("expansion", "60"),
    ("cus_B", 2): ("new", "10"),
    ("cus_C", 1): ("new", "22.5"),
    ("cus_C", 4): ("expansion", "7.5"),
    ("cus_D", 3): ("new", "10"),
    ("cus_F", 1): ("new", "10"),
    ("cus_F", 5): ("churn", "-10"),
    ("cus_G", 1): ("new", "40"),
    ("cus_G", 4): ("churn", "-40"),
    ("cus_H", 2): ("new", "44"),
    ("cus_I", 1): ("new", "50"),
    ("cus_I", 3): ("expansion", "25"),
    ("cus_J", 4): ("new", "33.5"),
    ("cus_K", 1): ("new", "20"),
    ("cus_K", 3): ("contraction", "-10"),
}
# rows in = used + each ignore category + rejected + duplicates collapsed, counted by hand from the files
EXPECTED_RECONCILIATION = {
    "stripe.customer": {"rows_in": 16, "used": 11, "test_mode": 1, "rejected": 3, "duplicates_collapsed": 1},
    "stripe.product": {"rows_in": 2, "used": 2, "duplicates_collapsed": 0},
    "stripe.price": {"rows_in": 8, "used": 6, "not_recurring": 1, "rejected": 1, "duplicates_collapsed": 0},
    "stripe.subscription_history": {
        "rows_in": 14,
        "used": 11,
        "history_version": 1,
        "test_mode": 1,
        "rejected": 1,
        "duplicates_collapsed": 0,
    },
    "stripe.subscription_item": {
        "rows_in": 16,
        "used": 12,
        "never_billed": 1,
        "ended_before_start": 1,
        "rejected": 2,
        "duplicates_collapsed": 0,
    },
    "stripe.invoice": {
        "rows_in": 57,
        "used": 54,
        "void_invoice": 1,
        "test_mode": 1,
        "rejected": 1,
        "duplicates_collapsed": 0,
    },
    "stripe.invoice_line_item": {
        "rows_in": 70,
        "used": 57,
        "after_end": 1,
        "ended_before_start": 1,
        "not_recurring": 1,
        "proration": 3,
        "rejected": 4,
        "temporary_id": 1,
        "test_mode": 1,
        "void_invoice": 1,
        "duplicates_collapsed": 0,
    },
    "stripe.coupon": {"rows_in": 3, "used": 1, "once_coupon": 1, "rejected": 1, "duplicates_collapsed": 0},
    "stripe.subscription_discount": {
        "rows_in": 3,
        "used": 1,
        "once_coupon": 1,
        "rejected": 1,
        "duplicates_collapsed": 0,
    },
}
EXPECTED_REJECTIONS = [
    ("stripe.coupon", "co_amt", "amount_off coupon not converted (only percent_off coupons are)"),
    ("stripe.customer", "cus_C", "superseded by a later sync of the same id (_fivetran_synced)"),
    ("stripe.customer", "cus_X", "conflicting duplicates: 2 rows share id with different content"),
    ("stripe.customer", "cus_X", "conflicting duplicates: 2 rows share id with different content"),
    ("stripe.invoice", "in_U", "unknown customer_id 'cus_nobody'"),
    ("stripe.invoice_line_item", "in_A2 / il_bad1", "unknown price 'price_nope'"),
    (
        "stripe.invoice_line_item",
        "in_A2 / il_bad2",
        "currency EUR differs from the currency USD of price price_basic_m",
    ),
    ("stripe.invoice_line_item", "in_U / il_U", "invoice in_U is rejected"),
    ("stripe.invoice_line_item", "in_Z / il_Z", "unknown subscription 'sub_Z' of item si_Z1"),
    ("stripe.price", "price_tiered", "tiered price not covered (docs/adapters.md §2.9)"),
    (
        "stripe.subscription_discount",
        "di_F1",
        "amount_off coupon not converted; MRR of subscription sub_F shown undiscounted by up to 5.00 per month",
    ),
    ("stripe.subscription_history", "sub_Z", "status canceled without ended_at"),
    ("stripe.subscription_item", "si_Z1", "unknown subscription 'sub_Z' of item si_Z1"),
    ("stripe.subscription_item", "si_bad", "quantity 'two' is not a valid number"),
]


def build_with_source(raw_dir: Path, build_path: Path, as_of: str, source: str) -> None:
    """`dbt build` (every model, data test and unit test) of a landing folder of the given source."""
    with environment({"SAAS_SOURCE": source}):
        dbt("build", raw_dir, build_path, as_of)


def stripe_rules_build(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The fixture built on DuckDB with --source stripe, once per test run (tests/test_adapters_engines.py
    compares the PostgreSQL build with it)."""
    folder = shared_folder(
        tmp_path_factory,
        "stripe-rules",
        lambda folder: build_with_source(STRIPE_RULES_DIR, folder / "rules.duckdb", RULES_AS_OF, "stripe"),
    )
    return folder / "rules.duckdb"


@pytest.fixture(scope="module")
def stripe_rules(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return stripe_rules_build(tmp_path_factory)


def test_mrr_of_every_rule_by_hand(stripe_rules: Path) -> None:
    rows = query(stripe_rules, "select customer_id, month(month) as m, mrr from marts.fct_mrr where mrr <> 0")
    found: dict[str, dict[int, Decimal]] = {}
    for customer, month, mrr in rows.itertuples(index=False):
        found.setdefault(customer, {})[int(month)] = mrr
    expected = {
        customer: {month: Decimal(value) for month, value in months.items()}
        for customer, months in EXPECTED_MRR.items()
    }
    assert found == expected


def test_movements_by_hand(stripe_rules: Path) -> None:
    rows = query(
        stripe_rules,
        "select customer_id, month(month) as m, movement_type, delta from marts.fct_mrr_movements",
    )
    found = {(c, int(m)): (t, d) for c, m, t, d in rows.itertuples(index=False)}
    assert found == {key: (kind, Decimal(delta)) for key, (kind, delta) in EXPECTED_MOVEMENTS.items()}


def test_item_events_follow_the_invoice_lines(stripe_rules: Path) -> None:
    """A change lands when it happened (its proration line), a renewal emits nothing, trials and ends are
    dated by the subscription, a deleted item's end by its latest credit line."""
    events = query(
        stripe_rules,
        "select item_id, occurred_at, event_type, plan_id, quantity, discount_percent, is_trial "
        "from adapters.adapter_subscription_events where item_id in ('si_A1', 'si_C1', 'si_D1', 'si_K2') "
        "order by item_id, occurred_at",
    )
    assert [tuple(row) for row in events.itertuples(index=False)] == [
        (
            "si_A1",
            "2025-01-10T10:00:00.000000Z",
            "item_started",
            "price_basic_m",
            "2.000000",
            "0.000000",
            "false",
        ),
        (
            "si_A1",
            "2025-02-20T12:00:00.000000Z",
            "item_changed",
            "price_basic_m",
            "3.000000",
            "0.000000",
            "false",
        ),
        (
            "si_A1",
            "2025-03-25T09:00:00.000000Z",
            "item_changed",
            "price_pro_m",
            "3.000000",
            "0.000000",
            "false",
        ),
        (
            "si_C1",
            "2025-01-15T00:00:00.000000Z",
            "item_started",
            "price_pro_m",
            "1.000000",
            "25.000000",
            "false",
        ),
        (
            "si_C1",
            "2025-04-15T00:00:00.000000Z",
            "item_changed",
            "price_pro_m",
            "1.000000",
            "0.000000",
            "false",
        ),
        (
            "si_D1",
            "2025-02-20T00:00:00.000000Z",
            "item_started",
            "price_basic_m",
            "1.000000",
            "0.000000",
            "true",
        ),
        (
            "si_D1",
            "2025-03-06T00:00:00.000000Z",
            "item_changed",
            "price_basic_m",
            "1.000000",
            "0.000000",
            "false",
        ),
        (
            "si_K2",
            "2025-01-08T00:00:00.000000Z",
            "item_started",
            "price_addon_m",
            "2.000000",
            "0.000000",
            "false",
        ),
        (
            "si_K2",
            "2025-03-20T12:00:00.000000Z",
            "item_ended",
            "price_addon_m",
            "2.000000",
            "0.000000",
            "false",
        ),
    ]
    ids = query(
        stripe_rules, "select event_id from adapters.adapter_subscription_events where item_id = 'si_G1'"
    )
    assert sorted(ids["event_id"]) == ["si_G1:20250120T000000Z", "si_G1:20250403T150000Z"]


def test_plans_products_customers_and_one_time_charges(stripe_rules: Path) -> None:
    plans = query(
        stripe_rules,
        "select plan_id, tier_rank, pricing_model, cast(list_price as decimal(18, 6)) as list_price, currency "
        "from adapters.adapter_plans order by plan_id",
    )
    assert [tuple(row) for row in plans.itertuples(index=False)] == [
        ("price_addon_m", "1", "per_unit", Decimal("5"), "USD"),
        ("price_app_eur_m", "1", "per_unit", Decimal("20"), "EUR"),
        ("price_app_jpy_m", "1", "per_unit", Decimal("5000"), "JPY"),  # zero-decimal: 5000 yen
        ("price_basic_m", "1", "per_unit", Decimal("10"), "USD"),
        ("price_basic_y", "1", "per_unit", Decimal("120"), "USD"),  # 120 / 12 = 10 a month: Basic's rank
        ("price_pro_m", "2", "per_unit", Decimal("30"), "USD"),
    ]
    products = query(stripe_rules, "select * from adapters.adapter_products order by product_id")
    assert [tuple(row) for row in products.itertuples(index=False)] == [
        ("prod_addon", "Add-on", "add_on", "prod_app"),
        ("prod_app", "App", "core", None),
    ]
    customers = query(
        stripe_rules,
        "select customer_id, customer_name, country, industry, employee_count from adapters.adapter_customers "
        "where customer_id in ('cus_A', 'cus_B', 'cus_C', 'cus_D') order by customer_id",
    )
    assert [tuple(row) for row in customers.itertuples(index=False)] == [
        ("cus_A", "Alpha Ltd", "US", "Software", "45"),
        ("cus_B", "Bravo Inc", "US", None, "1200"),
        ("cus_C", "C Corp", "US", None, None),  # the later sync wins; metadata 'not json' has no keys
        ("cus_D", "Delta", "US", None, None),  # employee_count 'many' is not an integer
    ]
    staged = query(
        stripe_rules,
        "select charge_id, customer_id, charged_at, amount, currency from staging.stg_billing__one_time_charges",
    )
    assert [tuple(row) for row in staged.itertuples(index=False)] == [
        ("il_A1s", "cus_A", datetime(2025, 1, 10, 10, 0), Decimal("50"), "USD")
    ]


def test_reconciliation_per_stripe_table_by_hand(stripe_rules: Path) -> None:
    rows = query(stripe_rules, "select source_table, category, row_count from marts.adapter_reconciliation")
    found: dict[str, dict[str, int]] = {}
    for table, category, count in rows.itertuples(index=False):
        found.setdefault(table, {})[category] = int(count)
    assert found == EXPECTED_RECONCILIATION


def test_rejected_rows_name_the_stripe_table(stripe_rules: Path) -> None:
    rows = query(
        stripe_rules,
        "select source_table, row_key, reason from marts.rejected_rows order by source_table, row_key, reason",
    )
    assert [tuple(row) for row in rows.itertuples(index=False)] == EXPECTED_REJECTIONS


def test_warnings_name_the_undiscounted_subscription(stripe_rules: Path) -> None:
    rows = query(stripe_rules, "select source_table, row_key, warning from marts.adapter_warnings")
    assert [tuple(row) for row in rows.itertuples(index=False)] == [
        ("stripe.subscription_discount", "di_F1", "MRR shown undiscounted")
    ]


def test_legacy_tables_stand_in_and_missing_tables_are_named(tmp_path: Path) -> None:
    folder = tmp_path / "stripe"
    shutil.copytree(STRIPE_RULES_DIR, folder)
    assert landing_problems(folder, "stripe") == []
    price = (folder / "price.csv").read_text(encoding="utf-8")
    header, *rows = price.splitlines()
    legacy_header = (
        header.replace("unit_amount,", "amount,")
        .replace("recurring_interval_count", "interval_count")
        .replace("recurring_interval", "interval")
        .replace("recurring_usage_type", "usage_type")
    )
    (folder / "plan.csv").write_text("\n".join([legacy_header, *rows]) + "\n", encoding="utf-8")
    (folder / "price.csv").unlink()
    assert landing_problems(folder, "stripe") == []  # the legacy plan table stands in for price
    (folder / "invoice.csv").unlink()
    problems = landing_problems(folder, "stripe")
    assert len(problems) == 1 and "required table 'invoice' has no file" in problems[0]


def test_python_checks_read_the_derived_tables(stripe_rules: Path) -> None:
    """The reference recomputes MRR and movements from the contract tables the adapter derived (written out
    for it), and every Stripe row is counted in the files by Python (D-52)."""
    settings = WarehouseSettings(STRIPE_RULES_DIR, stripe_rules.parent / "w.duckdb", RULES_AS_OF, "stripe")
    for evaluate in (
        checks.customer_mrr_vs_reference,
        checks.movements_vs_reference,
        checks.raw_rows_accounted,
    ):
        problems, compared, _ = evaluate(stripe_rules, settings.validated())
        assert compared > 0
        assert problems.empty, problems


def test_a_converted_folder_builds_the_same_marts(stripe_rules: Path, tmp_path: Path) -> None:
    """`saas-warehouse convert` writes the derived tables as a landing folder (export_derived_tables); built
    as the raw contract, it gives the marts of the build with --source stripe."""
    counts = export_derived_tables(stripe_rules, STRIPE_RULES_DIR, tmp_path / "converted")
    assert counts["subscription_events"] == 21 and counts["one_time_charges"] == 1
    build_with_source(tmp_path / "converted", tmp_path / "converted.duckdb", RULES_AS_OF, "contract")
    assert mart_rows(tmp_path / "converted.duckdb") == mart_rows(stripe_rules)


# --- the round trip: one company through both doors ------------------------------------------------------


def mart_rows(build_path: Path) -> dict[str, list[tuple]]:
    """Every business mart's rows, sorted (the quality marts list each door's own raw rows)."""
    with duckdb.connect(str(build_path), read_only=True) as connection:
        names = [
            row[0]
            for row in connection.execute(
                "select table_name from information_schema.tables where table_schema = 'marts' order by 1"
            ).fetchall()
        ]
        return {
            name: sorted(connection.execute(f"select * from marts.{name}").fetchall(), key=repr)
            for name in names
            if name not in QUALITY_MARTS
        }


def assert_same_marts(contract_build: Path, stripe_build: Path) -> None:
    """The 18 business marts (core, retention, expansion, expansion intelligence) equal row for row."""
    ours, theirs = mart_rows(contract_build), mart_rows(stripe_build)
    assert sorted(ours) == sorted(theirs)
    assert len(ours) == 18
    different = [name for name in ours if ours[name] != theirs[name]]
    assert different == [], different
    assert len(ours["fct_mrr"]) > 0


def test_sample_company_through_the_stripe_door_equals_the_contract_build(
    sample_warehouse: Path, tmp_path: Path
) -> None:
    """seeds/ generated again in the Stripe shape (same arguments as seeds/README.md) and built with
    --source stripe: every business mart equals the contract build's, row for row."""
    stripe_dir = tmp_path / "stripe"
    generate_stripe_company(stripe_dir, customers=2000, seed=42)
    build_with_source(stripe_dir, tmp_path / "stripe.duckdb", SAMPLE_AS_OF, "stripe")
    assert_same_marts(sample_warehouse, tmp_path / "stripe.duckdb")


@pytest.mark.large
def test_generated_10k_company_through_both_doors(tmp_path: Path) -> None:
    from company_generator import generate_company

    generate_company(tmp_path / "contract", customers=10_000, seed=7, fmt="csv")
    generate_stripe_company(tmp_path / "stripe", customers=10_000, seed=7)
    build_with_source(tmp_path / "contract", tmp_path / "contract.duckdb", SAMPLE_AS_OF, "contract")
    build_with_source(tmp_path / "stripe", tmp_path / "stripe.duckdb", SAMPLE_AS_OF, "stripe")
    assert_same_marts(tmp_path / "contract.duckdb", tmp_path / "stripe.duckdb")
