"""The golden scenario (spec: golden_scenarios.md) reproduced exactly by the dbt models.

Money is compared after rounding half away from zero to 2 decimals (display rounding), as the spec says;
counts and movement types exactly. Every test runs on each engine's build: DuckDB's own file, and copies of
what PostgreSQL and Spark built from the same files (tests/engines.py).
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pandas as pd
import pytest

from tests.conftest import GOLDEN_EXPECTED_DIR
from tests.dbt_runner import query

MECHANISMS = ["cross_sell", "product_churn", "add_on", "seat", "upsell", "downgrade", "price", "usage"]


@pytest.fixture(scope="module", params=["duckdb", "postgres", "spark"])
def golden_build(
    request: pytest.FixtureRequest, golden_warehouse: Path, tmp_path_factory: pytest.TempPathFactory
) -> Path:
    """The golden scenario's marts and staging as built by one engine, in a DuckDB file."""
    if request.param == "duckdb":
        return golden_warehouse
    build = request.getfixturevalue(f"golden_on_{request.param}")
    return build.mirror(golden_warehouse, tmp_path_factory.mktemp(request.param) / "golden.duckdb")


def cents(value: object) -> Decimal:
    return Decimal(str(value)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def expected(name: str) -> pd.DataFrame:
    return pd.read_csv(GOLDEN_EXPECTED_DIR / f"{name}.csv", dtype=str, keep_default_na=False)


def as_rows(
    frame: pd.DataFrame, money: list[str], keys: list[str], counts: tuple[str, ...] = ()
) -> list[tuple]:
    rows = []
    for record in frame.to_dict("records"):
        row = [str(record[key])[:10] for key in keys]
        row += [cents(record[column]) for column in money]
        row += [int(record[column]) for column in counts]
        rows.append(tuple(row))
    return sorted(rows)


def test_customer_mrr_by_month(golden_build: Path) -> None:
    actual = query(golden_build, "select customer_id, month, mrr, arr, is_active from marts.fct_mrr")
    want = expected("fct_mrr")
    assert as_rows(actual, ["mrr"], ["customer_id", "month"]) == as_rows(
        want, ["mrr"], ["customer_id", "month"]
    )
    assert all(arr == mrr * 12 for arr, mrr in zip(actual["arr"], actual["mrr"], strict=True))
    assert all(active == (mrr > 0) for active, mrr in zip(actual["is_active"], actual["mrr"], strict=True))


def test_movements_and_mechanisms(golden_build: Path) -> None:
    actual = query(golden_build, "select * from marts.fct_mrr_movements")
    actual = actual.rename(columns={f"{mechanism}_mrr": mechanism for mechanism in MECHANISMS})
    want = expected("fct_mrr_movements")
    money = ["mrr_start", "mrr_end", "delta", *MECHANISMS]
    keys = ["month", "customer_id", "movement_type"]
    assert as_rows(actual, money, keys) == as_rows(want, money, keys)


def test_monthly_bridge_in_total(golden_build: Path) -> None:
    actual = query(golden_build, "select * from marts.mart_mrr_bridge where size_segment = 'all'")
    want = expected("mart_mrr_bridge_all")
    money = [
        "mrr_start",
        "new_mrr",
        "reactivation_mrr",
        "expansion_mrr",
        "contraction_mrr",
        "churn_mrr",
        "mrr_end",
    ]
    counts = (
        "customers_start",
        "customers_new",
        "customers_reactivated",
        "customers_churned",
        "customers_end",
    )
    assert as_rows(actual, money, ["month"], counts) == as_rows(want, money, ["month"], counts)


def test_bridge_per_segment_adds_up(golden_build: Path) -> None:
    bridge = query(golden_build, "select * from marts.mart_mrr_bridge where month = date '2025-06-01'")
    by_segment = bridge.set_index("size_segment")
    # June: C1 (smb, 45 employees) contracts by 110, C5 (smb) churns 30.
    assert cents(by_segment.loc["smb", "contraction_mrr"]) == Decimal("110.00")
    assert cents(by_segment.loc["smb", "churn_mrr"]) == Decimal("30.00")
    assert cents(by_segment.loc["enterprise", "mrr_end"]) == Decimal("162.00")  # C3
    assert cents(by_segment.loc["mid_market", "mrr_end"]) == Decimal(
        "220.00"
    )  # C2 ended in April, C4 120, C8 100
    assert by_segment.loc["all", "mrr_end"] == by_segment.drop(index="all")["mrr_end"].sum()


def test_expansion_by_mechanism_totals(golden_build: Path) -> None:
    """Whole-year totals per mechanism (golden_scenarios.md: expansion 313.40, contraction 110)."""
    totals = query(
        golden_build,
        "select "
        + ", ".join(
            f"sum(greatest({m}_mrr, 0)) as {m}_up, sum(least({m}_mrr, 0)) as {m}_down" for m in MECHANISMS
        )
        + " from marts.fct_mrr_movements",
    ).iloc[0]
    ups = {m: cents(totals[f"{m}_up"]) for m in MECHANISMS}
    downs = {m: cents(-totals[f"{m}_down"]) for m in MECHANISMS}
    assert ups == {
        "cross_sell": Decimal("100.00"),
        "product_churn": Decimal("0.00"),
        "add_on": Decimal("30.00"),
        "seat": Decimal("92.40"),
        "upsell": Decimal("50.00"),
        "downgrade": Decimal("0.00"),
        "price": Decimal("21.00"),
        "usage": Decimal("20.00"),
    }
    assert sum(ups.values()) == Decimal("313.40")
    assert sum(downs.values()) == Decimal("110.00")
    assert downs["add_on"] == Decimal("30.00") and downs["downgrade"] == Decimal("80.00")


def test_never_active_customer_has_no_rows(golden_build: Path) -> None:
    c7 = query(golden_build, "select * from marts.fct_mrr where customer_id = 'C7'")
    assert c7.empty
    dim = query(golden_build, "select * from marts.dim_customers where customer_id = 'C7'").iloc[0]
    assert pd.isna(dim["first_active_month"]) and not dim["is_active_now"]


def test_duplicate_event_counted_once_and_nothing_rejected(golden_build: Path) -> None:
    events = query(golden_build, "select * from staging.stg_billing__subscription_events")
    assert len(events) == 25
    assert int(events["source_row_count"].sum()) == 26
    assert events.loc[events["event_id"] == "e601", "source_row_count"].item() == 2
    assert query(golden_build, "select * from marts.rejected_rows").empty


@pytest.mark.parametrize(
    ("customer_id", "current_mrr", "segment", "core_products"),
    [("C1", "0.00", "smb", 0), ("C3", "194.40", "enterprise", 1), ("C4", "120.00", "mid_market", 1)],
)
def test_dim_customers(
    golden_build: Path, customer_id: str, current_mrr: str, segment: str, core_products: int
) -> None:
    row = query(golden_build, f"select * from marts.dim_customers where customer_id = '{customer_id}'").iloc[
        0
    ]
    assert cents(row["current_mrr"]) == Decimal(current_mrr)
    assert row["size_segment"] == segment
    assert row["core_product_count"] == core_products
