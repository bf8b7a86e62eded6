"""The semantic layer (dbt_project/models/semantic/_semantic.yml): every MetricFlow metric equals the mart it
restates, value by value, on the golden scenario (hand-computed figures) and on the published sample company
(trailing-12-month retention needs more than the golden scenario's 12 months).

Money is compared as exact decimals (MetricFlow sums the marts' decimal(38, 6) columns); a ratio, which
MetricFlow divides in double precision, must round half away from zero to the mart's exact decimal (10 places
for rates, 6 for ARPA)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import pytest

from tests.dbt_runner import query
from tests.metricflow_runner import MetricFlowSession, parse_semantic_manifest

MONEY_METRICS = {  # metric -> column of mart_mrr_bridge ('all')
    "mrr": "mrr_end",
    "new_mrr": "new_mrr",
    "expansion_mrr": "expansion_mrr",
    "contraction_mrr": "contraction_mrr",
    "churn_mrr": "churn_mrr",
    "reactivation_mrr": "reactivation_mrr",
}
COUNT_METRICS = {"customers": "customers_end", "customers_churned": "customers_churned"}
RATE_METRICS = ("nrr", "grr", "logo_churn_rate")  # mart_retention_monthly, 10 places
EXPANSION_MECHANISMS = ("cross_sell", "add_on", "seat", "upsell", "price", "usage")
FLOW_METRICS = ("new_mrr", "expansion_mrr", "contraction_mrr", "churn_mrr", "reactivation_mrr")
SAVED_QUERIES = (
    "board_pack_mrr_bridge",
    "board_pack_quarterly_growth",
    "board_pack_retention_ttm",
    "board_pack_expansion_mechanisms",
    "board_pack_segments",
)


@pytest.fixture(scope="module")
def semantic_manifest(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("semantic")
    return parse_semantic_manifest(folder / "target", folder / "logs")


@pytest.fixture(scope="module")
def golden(semantic_manifest: Path, golden_warehouse: Path) -> MetricFlowSession:
    return MetricFlowSession.open(semantic_manifest, golden_warehouse)


@pytest.fixture(scope="module")
def sample(semantic_manifest: Path, sample_published: Path) -> MetricFlowSession:
    return MetricFlowSession.open(semantic_manifest, sample_published)


def as_month(value: date | datetime) -> date:
    return value.date() if isinstance(value, datetime) else value


def by_key(rows: Iterable[dict[str, Any]], keys: tuple[str, ...], column: str) -> dict[tuple, Any]:
    return {
        tuple(as_month(row[key]) if isinstance(row[key], date) else row[key] for key in keys): row[column]
        for row in rows
    }


def mart(warehouse: Path, sql: str, keys: tuple[str, ...], column: str) -> dict[tuple, Any]:
    return by_key(query(warehouse, sql).to_dict("records"), keys, column)


def rounded(value: float | None, places: int) -> Decimal | None:
    """MetricFlow's double rounded half away from zero, as the marts round the exact quotient."""
    if value is None:
        return None
    return Decimal(repr(value)).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def assert_same(
    actual: dict[tuple, Any], expected: dict[tuple, Any], what: str, absent_is_zero=False
) -> None:
    """Every key of expected has its value in actual; with absent_is_zero, a month without any movement
    (no row in MetricFlow's answer) must be 0 in the mart."""
    assert expected, f"{what}: the mart has no rows to compare"
    extra = set(actual) - set(expected)
    assert not extra, f"{what}: MetricFlow has keys the mart has not: {sorted(extra)}"
    differences = {
        key: (actual.get(key), value)
        for key, value in expected.items()
        if (actual.get(key, 0) if absent_is_zero else actual.get(key, "absent")) != value
    }
    assert not differences, f"{what} (MetricFlow, mart): {differences}"


BRIDGE_ALL = "select * from marts.mart_mrr_bridge where size_segment = 'all'"
MONTH = ("metric_time__month",)
QUARTER = ("metric_time__quarter",)


def check_bridge_metrics_by_month(session: MetricFlowSession) -> None:
    metrics = [*MONEY_METRICS, *COUNT_METRICS]
    rows = session.query(metrics, MONTH)
    for metric, column in {**MONEY_METRICS, **COUNT_METRICS}.items():
        expected = mart(session.warehouse, BRIDGE_ALL, ("month",), column)
        assert_same(by_key(rows, MONTH, metric), expected, metric, absent_is_zero=metric in FLOW_METRICS)
    arr = mart(session.warehouse, BRIDGE_ALL, ("month",), "mrr_end")
    assert_same(
        by_key(session.query(["arr"], MONTH), MONTH, "arr"), {k: 12 * v for k, v in arr.items()}, "arr"
    )


def check_retention_rates_by_month(session: MetricFlowSession) -> None:
    rows = session.query([*RATE_METRICS, "arpa"], MONTH)
    retention = "select * from marts.mart_retention_monthly"
    for metric in RATE_METRICS:
        actual = {key: rounded(value, 10) for key, value in by_key(rows, MONTH, metric).items()}
        assert_same(actual, mart(session.warehouse, retention, ("month",), metric), metric)
    arpa = {key: rounded(value, 6) for key, value in by_key(rows, MONTH, "arpa").items()}
    assert_same(arpa, mart(session.warehouse, retention, ("month",), "arpa"), "arpa")


def check_mechanisms_by_month(session: MetricFlowSession) -> None:
    metrics = [f"expansion_mrr_{mechanism}" for mechanism in EXPANSION_MECHANISMS]
    rows = session.query(metrics, MONTH)
    for mechanism in EXPANSION_MECHANISMS:
        expected = mart(
            session.warehouse,
            f"select * from marts.mart_expansion_mechanisms where mechanism = '{mechanism}'",
            ("month",),
            "expansion_mrr",
        )
        actual = by_key(rows, MONTH, f"expansion_mrr_{mechanism}")
        assert_same(actual, expected, f"expansion_mrr_{mechanism}", absent_is_zero=True)


def check_quarters(session: MetricFlowSession) -> None:
    """Levels (MRR, customers) take the quarter's last month present; flows add the quarter's months."""
    quarter_sql = f"""
        with bridge as ({BRIDGE_ALL}),
        quarters as (
            select date_trunc('quarter', month) as quarter, max(month) as last_month,
                {", ".join(f"sum({metric}) as {metric}" for metric in FLOW_METRICS)}
            from bridge group by 1
        )
        select quarters.*, bridge.mrr_end, bridge.customers_end
        from quarters join bridge on bridge.month = quarters.last_month
    """
    rows = session.query(["mrr", "customers", *FLOW_METRICS], QUARTER)
    for metric, column in {
        "mrr": "mrr_end",
        "customers": "customers_end",
        **{m: m for m in FLOW_METRICS},
    }.items():
        expected = mart(session.warehouse, quarter_sql, ("quarter",), column)
        assert_same(by_key(rows, QUARTER, metric), expected, f"{metric} by quarter", absent_is_zero=True)


def test_golden_bridge_metrics_equal_the_bridge(golden: MetricFlowSession) -> None:
    check_bridge_metrics_by_month(golden)
    # hand-computed anchors of the golden scenario (docs/golden_scenarios.md)
    rows = by_key(golden.query(["mrr", "reactivation_mrr", "contraction_mrr"], MONTH), MONTH, "mrr")
    assert rows[(date(2025, 12, 1),)] == Decimal("534.40")
    assert golden.query(["customers"], ["metric_time__year"])[0]["customers"] == 5


def test_golden_retention_rates_equal_mart_retention_monthly(golden: MetricFlowSession) -> None:
    check_retention_rates_by_month(golden)
    nrr = by_key(golden.query(["nrr", "grr"], MONTH), MONTH, "nrr")
    assert nrr[(date(2025, 1, 1),)] is None  # no MRR at the start of history
    assert rounded(nrr[(date(2025, 3, 1),)], 10) == Decimal("0.7912317328")  # (479 + 60 - 160) / 479


def test_golden_expansion_by_mechanism_equals_the_mechanisms_mart(golden: MetricFlowSession) -> None:
    check_mechanisms_by_month(golden)


def test_golden_quarters_take_the_last_month_of_levels_and_the_sum_of_flows(
    golden: MetricFlowSession,
) -> None:
    check_quarters(golden)
    rows = by_key(golden.query(["mrr", "new_mrr"], QUARTER), QUARTER, "new_mrr")
    assert rows[(date(2025, 1, 1),)] == Decimal("571.00")  # 210 + 199 + 162


def test_golden_size_segments_equal_the_bridge_segments(golden: MetricFlowSession) -> None:
    keys = ("metric_time__month", "customer__size_segment")
    rows = golden.query(["mrr", "customers", *FLOW_METRICS], keys)
    segments_sql = "select * from marts.mart_mrr_bridge where size_segment <> 'all'"
    for metric, column in {
        "mrr": "mrr_end",
        "customers": "customers_end",
        **{m: m for m in FLOW_METRICS},
    }.items():
        expected = mart(golden.warehouse, segments_sql, ("month", "size_segment"), column)
        # the bridge has a row for every segment and month; MetricFlow only where the segment has rows
        actual = by_key(rows, keys, metric)
        assert_same(actual, expected, f"{metric} by size segment", absent_is_zero=True)


@pytest.mark.parametrize("dimension", ["country", "industry"])
def test_golden_customer_dimensions_equal_fct_mrr_by_dimension(
    golden: MetricFlowSession, dimension: str
) -> None:
    keys = ("metric_time__month", f"customer__{dimension}")
    expected = mart(
        golden.warehouse,
        f"""select fct_mrr.month, dim_customers.{dimension}, sum(fct_mrr.mrr) as mrr
            from marts.fct_mrr join marts.dim_customers using (customer_id) group by all""",
        ("month", dimension),
        "mrr",
    )
    assert_same(by_key(golden.query(["mrr"], keys), keys, "mrr"), expected, f"mrr by {dimension}")
    assert len({key[1] for key in expected}) > 1  # the golden scenario's customers are in several


PRODUCT = ("metric_time__month", "customer_product_month__product_id")


def test_golden_products_equal_fct_mrr_by_product_and_add_up_to_mrr(golden: MetricFlowSession) -> None:
    rows = golden.query(["product_mrr", "product_customers"], PRODUCT)
    by_product = by_key(rows, PRODUCT, "product_mrr")
    expected = mart(
        golden.warehouse,
        "select month, product_id, sum(mrr) as mrr from marts.fct_mrr_by_product group by all",
        ("month", "product_id"),
        "mrr",
    )
    assert_same(by_product, expected, "product_mrr")
    totals: dict[tuple, Decimal] = {}
    for (month, _), value in by_product.items():
        totals[(month,)] = totals.get((month,), Decimal(0)) + value
    assert_same(totals, mart(golden.warehouse, BRIDGE_ALL, ("month",), "mrr_end"), "Σ product_mrr")
    # hand-computed (docs/golden_scenarios.md): in May C1 holds P1 (8 Pro seats at 20), A1 (30) and P2; C3
    # pays 10 × 216 × 0.9 / 12 = 162 a month for P1 and C6 2 × 10; in July C1 has ended everything
    may, july = date(2025, 5, 1), date(2025, 7, 1)
    assert by_product[(may, "P1")] == Decimal("342") and by_product[(may, "A1")] == Decimal("30")
    assert by_product[(july, "P1")] == Decimal("182") and by_product[(july, "A1")] == 0
    assert by_key(rows, PRODUCT, "product_customers")[(may, "P1")] == 3


def test_sample_metrics_equal_the_marts(sample: MetricFlowSession) -> None:
    check_bridge_metrics_by_month(sample)
    check_retention_rates_by_month(sample)
    check_mechanisms_by_month(sample)
    check_quarters(sample)


def test_sample_trailing_twelve_month_retention_equals_mart_retention_ttm(sample: MetricFlowSession) -> None:
    rows = sample.query(["nrr_ttm", "grr_ttm"], MONTH)
    ttm = "select * from marts.mart_retention_ttm"
    for metric in ("nrr_ttm", "grr_ttm"):
        actual = {key: rounded(value, 10) for key, value in by_key(rows, MONTH, metric).items()}
        expected = mart(sample.warehouse, ttm, ("month",), metric)
        assert len(expected) >= 12
        assert_same(actual, expected, metric)


COMPLETE = "{{ Dimension('calendar_month__is_complete') }}"


def within(actual: dict[tuple, Any], months: dict[tuple, Any], what: str) -> dict[tuple, Any]:
    """The values of the given months. A month outside them may keep a row in a filtered query (the offset
    input of nrr, grr and logo churn reads the month before, which is complete) but only with a null value,
    never a ratio of filtered inputs."""
    outside = {key: value for key, value in actual.items() if key not in months}
    assert set(outside.values()) <= {None}, f"{what}: values outside the complete months: {outside}"
    return {key: value for key, value in actual.items() if key in months}


def test_complete_months_filter_keeps_the_bridges_complete_months(golden: MetricFlowSession) -> None:
    """Any metric can be cut to complete months (the month in progress is not: D-44)."""
    complete = mart(golden.warehouse, f"{BRIDGE_ALL} and is_complete", ("month",), "mrr_end")
    assert max(complete) == (date(2025, 11, 1),)  # as of 2025-12-31, December is still in progress
    rows = golden.query(["mrr", "new_mrr", *RATE_METRICS], MONTH, where=[COMPLETE])
    assert_same(within(by_key(rows, MONTH, "mrr"), complete, "mrr"), complete, "mrr of complete months")
    retention = "select * from marts.mart_retention_monthly where is_complete"
    for metric in RATE_METRICS:
        actual = {key: rounded(value, 10) for key, value in by_key(rows, MONTH, metric).items()}
        expected = mart(golden.warehouse, retention, ("month",), metric)
        assert_same(within(actual, complete, metric), expected, f"{metric} of complete months")


@pytest.mark.parametrize("saved_query", SAVED_QUERIES)
def test_saved_queries_run_on_complete_months(sample: MetricFlowSession, saved_query: str) -> None:
    rows = sample.query([], saved_query=saved_query)
    assert rows, saved_query
    if saved_query == "board_pack_mrr_bridge":
        complete = mart(sample.warehouse, f"{BRIDGE_ALL} and is_complete", ("month",), "mrr_end")
        assert_same(within(by_key(rows, MONTH, "mrr"), complete, "mrr"), complete, "board pack mrr")
        expected = mart(
            sample.warehouse,
            "select * from marts.mart_retention_monthly where is_complete",
            ("month",),
            "nrr",
        )
        actual = {key: rounded(value, 10) for key, value in by_key(rows, MONTH, "nrr").items()}
        assert_same(within(actual, complete, "nrr"), expected, "board pack nrr")
