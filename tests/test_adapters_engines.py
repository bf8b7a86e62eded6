"""The Stripe adapter on PostgreSQL (docs/adapters.md §1): Fivetran's Stripe tables read in place from the
connector's schema, here `stripe_fivetran` rather than the default `stripe` (so that var stripe_schema is
what is read), and fx_rates from the raw schema (`saas-warehouse load-raw --source stripe` loads it there).

The hand-made fixture tests/fixtures/stripe_rules/ is loaded as the connector would (one text table per
Stripe table, the file's own columns) and built with `dbt build --target postgres --vars '{source: stripe,
stripe_schema: stripe_fivetran}'` (every model, data test and unit test). Every mart, the quality marts
included, and every contract table the adapter derives are compared row for row with the DuckDB build of
the same folder (tests/test_adapters_stripe.py), and the figures computed by hand there are asserted on
PostgreSQL's own rows. Marked `engines` (`pytest -m engines`), like the sample company on PostgreSQL.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from orchestration.landing import raw_schema_tables
from tests.engines import (
    EngineBuild,
    PostgresServer,
    assert_same_marts,
    build_on_postgres,
    comparable_rows,
    mart_differences,
)
from tests.test_adapters_stripe import (
    EXPECTED_MOVEMENTS,
    EXPECTED_MRR,
    EXPECTED_RECONCILIATION,
    RULES_AS_OF,
    STRIPE_RULES_DIR,
    stripe_rules_build,
)

STRIPE_SCHEMA = "stripe_fivetran"
DERIVED_TABLES = (
    "adapter_customers",
    "adapter_products",
    "adapter_plans",
    "adapter_subscription_events",
    "adapter_usage_charges",
    "adapter_one_time_charges",
)


@pytest.fixture(scope="module")
def stripe_rules_on_duckdb(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return stripe_rules_build(tmp_path_factory)


@pytest.fixture(scope="module")
def stripe_rules_on_postgres(
    postgres_server: PostgresServer, tmp_path_factory: pytest.TempPathFactory
) -> EngineBuild:
    scratch = tmp_path_factory.mktemp("postgres-stripe-rules")
    build = build_on_postgres(
        postgres_server,
        STRIPE_RULES_DIR,
        RULES_AS_OF,
        scratch,
        ("marts", "adapters"),
        stripe_schema=STRIPE_SCHEMA,
    )
    print(f"\nPostgreSQL: dbt build of the Stripe fixture in {build.seconds:.1f} s")
    return build


def rows_of(build: EngineBuild, table: str) -> list[dict[str, object]]:
    columns, rows = build.tables[table]
    return [dict(zip(columns, row, strict=True)) for row in rows]


@pytest.mark.engines
def test_stripe_rules_marts_on_postgres_equal_duckdb(
    stripe_rules_on_duckdb: Path, stripe_rules_on_postgres: EngineBuild
) -> None:
    assert_same_marts(stripe_rules_on_duckdb, stripe_rules_on_postgres)


@pytest.mark.engines
def test_stripe_rules_derived_tables_on_postgres_equal_duckdb(
    stripe_rules_on_duckdb: Path, stripe_rules_on_postgres: EngineBuild
) -> None:
    """The contract tables the adapter derives are text, like landing files: the same text on both engines
    (timestamps as ISO 8601 with microseconds and Z, event ids, decimals)."""
    expected = {}
    with duckdb.connect(str(stripe_rules_on_duckdb), read_only=True) as connection:
        for table in DERIVED_TABLES:
            cursor = connection.execute(f"select * from adapters.{table}")
            expected[table] = comparable_rows([column[0] for column in cursor.description], cursor.fetchall())
    found = {
        table: comparable_rows(*stripe_rules_on_postgres.tables[f"adapters.{table}"])
        for table in DERIVED_TABLES
    }
    assert sum(len(rows) for _columns, rows in expected.values()) > 30
    assert mart_differences(expected, found) == []


@pytest.mark.engines
def test_stripe_rules_figures_on_postgres_by_hand(stripe_rules_on_postgres: EngineBuild) -> None:
    """The MRR, movements and reconciliation computed by hand in tests/test_adapters_stripe.py."""
    mrr: dict[str, dict[int, Decimal]] = {}
    for row in rows_of(stripe_rules_on_postgres, "marts.fct_mrr"):
        if row["mrr"] != 0:
            mrr.setdefault(row["customer_id"], {})[row["month"].month] = row["mrr"]
    assert mrr == {
        customer: {month: Decimal(value) for month, value in months.items()}
        for customer, months in EXPECTED_MRR.items()
    }
    movements = {
        (row["customer_id"], row["month"].month): (row["movement_type"], row["delta"])
        for row in rows_of(stripe_rules_on_postgres, "marts.fct_mrr_movements")
    }
    assert movements == {key: (kind, Decimal(delta)) for key, (kind, delta) in EXPECTED_MOVEMENTS.items()}
    reconciliation: dict[str, dict[str, int]] = {}
    for row in rows_of(stripe_rules_on_postgres, "marts.adapter_reconciliation"):
        reconciliation.setdefault(row["source_table"], {})[row["category"]] = int(row["row_count"])
    assert reconciliation == EXPECTED_RECONCILIATION


def test_load_raw_of_a_stripe_folder_loads_only_the_contract_tables_it_does_not_derive() -> None:
    """`saas-warehouse load-raw --source stripe` never writes Stripe tables: the build reads those in place
    from the connector's schema."""
    assert sorted(table.name for table in raw_schema_tables("stripe")) == [
        "fx_rates",
        "plan_limits",
        "usage_snapshots",
    ]
    assert "subscription_periods" in {table.name for table in raw_schema_tables("periods")}
