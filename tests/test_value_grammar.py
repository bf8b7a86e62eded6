"""One grammar for raw values (var raw_value_grammar in dbt_project.yml), read by the warehouse's staging
and by the independent reference implementation alike.

(a) The SQL parsers (staging) and the Python parsers (independent_metrics/cleaning.py) give the same
    value, or both reject, on hand-written raw strings with hand-written expected values.
(b) The golden scenario plus rows with odd but readable values (lower-case currencies in plans, events,
    usage and exchange rates, exponents, ' Z' timestamps, a plan change without a price) builds with the
    reference and the warehouse agreeing on every customer-month, movement and monthly NRR/GRR.
(c) A customers file written by pandas as Parquet, with a float employee_count (12.0, NaN), builds with no
    customer rejected.
"""

from __future__ import annotations

import csv
import shutil
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from independent_metrics import compute_all
from independent_metrics.cleaning import column_kinds, parse_value
from orchestration import comparisons
from tests.conftest import GOLDEN_AS_OF, GOLDEN_RAW_DIR
from tests.dbt_runner import dbt, query

R = "rejected"  # the value is unreadable: null in staging (with a reason), NaN/NaT in the reference

CASES: list[tuple[str, str, object]] = [
    # integers (customers.employee_count): integral decimals are whole numbers, 32 bits
    ("integer", "12", 12),
    ("integer", "12.0", 12),
    ("integer", "+12.00", 12),
    ("integer", " 7 ", 7),
    ("integer", "12.", 12),
    ("integer", "-0.0", 0),
    ("integer", "2147483647", 2147483647),
    ("integer", "2147483648", R),
    ("integer", "-2147483649", R),
    ("integer", "12.5", R),
    ("integer", "1e3", R),
    ("integer", "0x10", R),
    ("integer", "1_000", R),
    ("integer", ".0", R),
    ("integer", "twelve", R),
    # decimal(18, 6) (subscription_events.unit_price): exponents, rounding half away from zero to 6
    # decimals, at most 12 integer digits after rounding
    ("decimal(18, 6)", "10", "10.000000"),
    ("decimal(18, 6)", "1e3", "1000.000000"),
    ("decimal(18, 6)", "1E3", "1000.000000"),
    ("decimal(18, 6)", "1.5E-2", "0.015000"),
    ("decimal(18, 6)", "0.0000004", "0.000000"),
    ("decimal(18, 6)", "0.0000005", "0.000001"),
    ("decimal(18, 6)", "-0.0000005", "-0.000001"),
    ("decimal(18, 6)", "-0.0000004", "0.000000"),
    ("decimal(18, 6)", "2.5e-7", "0.000000"),
    ("decimal(18, 6)", "1.0000005", "1.000001"),
    ("decimal(18, 6)", ".5", "0.500000"),
    ("decimal(18, 6)", "12.", "12.000000"),
    ("decimal(18, 6)", "+.5e1", "5.000000"),
    ("decimal(18, 6)", "12.e3", "12000.000000"),
    ("decimal(18, 6)", "1e11", "100000000000.000000"),
    ("decimal(18, 6)", "999999999999.9999994", "999999999999.999999"),
    ("decimal(18, 6)", "999999999999.9999995", R),
    ("decimal(18, 6)", "1e12", R),
    ("decimal(18, 6)", "1e308", R),
    ("decimal(18, 6)", "1e-999", "0.000000"),
    ("decimal(18, 6)", "1e1000", R),
    ("decimal(18, 6)", "NaN", R),
    ("decimal(18, 6)", "inf", R),
    ("decimal(18, 6)", "1,5", R),
    ("decimal(18, 6)", "1.5.1", R),
    ("decimal(18, 6)", "--1", R),
    ("decimal(18, 6)", "1e", R),
    ("decimal(18, 6)", "e3", R),
    # decimal(18, 10) (fx_rates.rate_to_reporting)
    ("decimal(18, 10)", "0.00000000005", "0.0000000001"),
    ("decimal(18, 10)", "1.23456789015", "1.2345678902"),
    ("decimal(18, 10)", "1.25E0", "1.2500000000"),
    ("decimal(18, 10)", "99999999.99999999994", "99999999.9999999999"),
    ("decimal(18, 10)", "99999999.99999999995", R),
    ("decimal(18, 10)", "100000000", R),
    # timestamps (customers.created_at), in UTC; one space before the offset is allowed
    ("timestamp", "2025-03-01 10:00:00 Z", datetime(2025, 3, 1, 10)),
    ("timestamp", "2025-03-01T10:00:00Z", datetime(2025, 3, 1, 10)),
    ("timestamp", "2025-03-01T10:00:00+02:00", datetime(2025, 3, 1, 8)),
    ("timestamp", "2025-03-01 10:00:00 +0200", datetime(2025, 3, 1, 8)),
    ("timestamp", "2025-03-01T10:00-05", datetime(2025, 3, 1, 15)),
    ("timestamp", "2025-03-01 10:00Z", datetime(2025, 3, 1, 10)),
    ("timestamp", "2025-03-01T10:00:00 -05:30", datetime(2025, 3, 1, 15, 30)),
    ("timestamp", "2025-03-01T23:30:00-01:00", datetime(2025, 3, 2, 0, 30)),
    ("timestamp", "2025-03-01", datetime(2025, 3, 1)),
    ("timestamp", "2025-03-01T10:00:00.5Z", datetime(2025, 3, 1, 10, 0, 0, 500000)),
    ("timestamp", "2024-02-29T12:00:00Z", datetime(2024, 2, 29, 12)),
    ("timestamp", "1500-06-01T00:00:00Z", datetime(1500, 6, 1)),
    ("timestamp", "9999-12-31T23:59:59Z", datetime(9999, 12, 31, 23, 59, 59)),
    ("timestamp", "2025-02-29T00:00:00Z", R),
    ("timestamp", "2025-03-01T24:00:00Z", R),
    ("timestamp", "2025-03-01T10:00:00  Z", R),
    ("timestamp", "2025-03-01T10:00:00z", R),
    ("timestamp", "2025-03-01T10:00:00.1234567Z", R),
    ("timestamp", "2025-03-01T10:00:00+15:00", R),
    ("timestamp", "2025-3-1", R),
    ("timestamp", "infinity", R),
    # dates (usage_charges.period_start): a timestamp is cut to the date written in it
    ("date", "2025-03-01", date(2025, 3, 1)),
    ("date", "2025-03-01T23:00:00-05:00", date(2025, 3, 1)),
    ("date", "2025-03-01 10:00:00 Z", date(2025, 3, 1)),
    ("date", "2024-02-29", date(2024, 2, 29)),
    ("date", "1900-01-01", date(1900, 1, 1)),
    ("date", "2025-02-30", R),
    ("date", "20250301", R),
    ("date", "2025-03-01T25:00", R),
    # currency codes (subscription_events.currency): trimmed, upper-cased
    ("currency", " usd ", "USD"),
    ("currency", "eur", "EUR"),
    ("currency", "Gbp", "GBP"),
    # booleans (subscription_events.is_trial)
    ("boolean", "TRUE", True),
    ("boolean", " yes ", True),
    ("boolean", "1.0", True),
    ("boolean", "0", False),
    ("boolean", "F", False),
    ("boolean", "maybe", R),
    ("boolean", "2", R),
]

# Where each kind of case is written in the raw files: (table, column) whose declared type is the kind.
TARGETS = {
    "integer": ("customers", "employee_count"),
    "timestamp": ("customers", "created_at"),
    "decimal(18, 6)": ("subscription_events", "unit_price"),
    "decimal(18, 10)": ("fx_rates", "rate_to_reporting"),
    "date": ("usage_charges", "period_start"),
    "currency": ("subscription_events", "currency"),
    "boolean": ("subscription_events", "is_trial"),
}
STAGED_COLUMN = {("usage_snapshots", "value"): "metric_value"}
EVENT_COLUMNS = [
    "event_id", "occurred_at", "recorded_at", "customer_id", "subscription_id", "item_id", "event_type",
    "plan_id", "quantity", "unit_price", "currency", "discount_percent", "is_trial",
]  # fmt: skip


def write_csv(path: Path, header: list[str], rows: list[dict[str, str]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=header)
        writer.writeheader()
        writer.writerows(rows)


def case_key(index: int) -> str:
    return f"V{index:03d}"


def staged_value(kind: str, value: object) -> object:
    """A staging value as the expected values are written."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return R
    if kind.startswith("decimal"):
        return format(value, "f")  # plain notation, every decimal of the column's scale
    return value


def reference_value(kind: str, series: pd.Series) -> object:
    value = series.iloc[0]
    if value is None or pd.isna(value):
        return R
    if kind.startswith("decimal"):
        return value  # a float, compared with the expected decimal below
    if kind == "integer":
        return int(value)
    if kind == "timestamp":
        return value.tz_convert(None).to_pydatetime()
    if kind == "date":
        return value.date()
    return bool(value) if kind == "boolean" else value


def write_cases(raw_dir: Path) -> None:
    """Every case written into a landing folder, each in a column of its kind (TARGETS)."""
    customers, events, rates, usage = [], [], [], []
    for index, (kind, raw, _expected) in enumerate(CASES):
        key = case_key(index)
        if kind == "integer":
            customers.append({"customer_id": key, "created_at": "2025-01-01", "employee_count": raw})
        elif kind == "timestamp":
            customers.append({"customer_id": key, "created_at": raw, "employee_count": ""})
        elif kind in ("decimal(18, 6)", "currency", "boolean"):
            event = {column: "" for column in EVENT_COLUMNS}
            event |= {"event_id": key, "occurred_at": "2025-01-01T00:00:00Z", "customer_id": "k",
                      "subscription_id": "s", "item_id": key, "event_type": "item_started",
                      "plan_id": "basic"}  # fmt: skip
            event[TARGETS[kind][1]] = raw
            events.append(event)
        elif kind == "decimal(18, 10)":
            rates.append({"rate_date": f"2025-01-01T00:00:{index % 60:02d}Z", "currency": key,
                          "rate_to_reporting": raw})  # fmt: skip
        else:
            usage.append({"charge_id": key, "customer_id": "k", "item_id": "", "plan_id": "basic",
                          "period_start": raw, "period_end": "2025-12-31", "usage_quantity": "",
                          "amount": "1", "currency": "USD"})  # fmt: skip
    customers.append({"customer_id": "k", "created_at": "2025-01-01", "employee_count": ""})
    write_csv(raw_dir / "customers.csv", ["customer_id", "created_at", "employee_count"], customers)
    (raw_dir / "products.csv").write_text("product_id,product_name,product_type\nP1,Projects,core\n")
    (raw_dir / "plans.csv").write_text(
        "plan_id,product_id,plan_name,tier_rank,pricing_model,billing_interval,list_price,currency\n"
        "basic,P1,Basic,1,per_unit,month,10,USD\n"
    )
    write_csv(raw_dir / "subscription_events.csv", EVENT_COLUMNS, events)
    write_csv(raw_dir / "fx_rates.csv", ["rate_date", "currency", "rate_to_reporting"], rates)
    write_csv(raw_dir / "usage_charges.csv", list(usage[0]), usage)


def staged_values(fetch: Callable[[str], list[tuple[object, object]]]) -> dict[str, object]:
    """case key -> typed value in staging; fetch(sql) returns the rows of a query on the build."""
    values: dict[str, object] = {}
    for kind, (table, column) in TARGETS.items():
        key_column = {"customers": "customer_id", "subscription_events": "event_id", "fx_rates": "currency",
                      "usage_charges": "charge_id"}[table]  # fmt: skip
        for key, value in fetch(f"select {key_column}, {column} from staging.stg_billing__{table}"):
            if key.startswith("V") and CASES[int(key[1:])][0] == kind:
                values[key] = value
    return values


@pytest.fixture(scope="module")
def staged_cases(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    """Every case typed by `dbt run --select staging` on DuckDB: case key -> value."""
    raw_dir = tmp_path_factory.mktemp("grammar-raw")
    write_cases(raw_dir)
    build_path = raw_dir.parent / "grammar_cases.duckdb"
    dbt("run", raw_dir, build_path, "2025-12-31", select="staging")
    return staged_values(lambda sql: list(query(build_path, sql).itertuples(index=False, name=None)))


def test_the_cases_are_written_to_columns_of_their_declared_type() -> None:
    for kind, (table, column) in TARGETS.items():
        assert column_kinds(table)[column] == kind


@pytest.mark.parametrize(("index", "kind", "raw", "expected"), [(i, *case) for i, case in enumerate(CASES)])
def test_sql_and_python_read_a_raw_value_alike(
    staged_cases: dict[str, object], index: int, kind: str, raw: str, expected: object
) -> None:
    assert staged_value(kind, staged_cases[case_key(index)]) == expected, "SQL staging"
    python = reference_value(kind, parse_value(pd.Series([raw], dtype="str"), kind))
    if kind.startswith("decimal") and expected != R:
        assert python == float(Decimal(str(expected))), "Python reference"
    else:
        assert python == expected, "Python reference"


# ----------------------------------------------------------------------- (b) and (c): whole builds
ODD_EVENTS = [
    # C9 starts with odd but readable values: 3.0 seats at 1e1 'usd', a discount that rounds to 0
    "g901,2025-03-01 10:00:00 Z,,C9,s9,i901,item_started,p1_basic,3.0,1e1,usd,0.0000004,FALSE",
    # ... pays 10 ' gbp ' a seat from 10 May (GBP at 1.25: 3 x 10 x 1.25 = 37.5) ...
    "g902,2025-05-10T00:00:00+00:00,,C9,s9,i901,item_changed,p1_basic,,10, gbp ,,",
    # ... and moves to Pro without a price or currency: Pro's list price, 20 USD (contract v1.1): 60
    "g903,2025-06-10T00:00:00 Z,,C9,s9,i901,item_changed,p1_pro,,,,,",
    # C10 on a plan whose currency is written ' eur ' and whose price is 1e2: 100 EUR x 1.20 = 120
    "g904,2025-04-01T00:00:00Z,,C10,s10,i902,item_started,p2_eur_lower,,,,,",
    # a trial dated 1900: rejected on both sides (before earliest_valid_date), opens no month from 1900
    "g905,1900-01-01T00:00:00Z,,C9,s9,i903,item_started,p2_std,1,,,,true",
]
ODD_PLANS = ["p2_eur_lower,P2,Standard EUR (lower case),1,flat,month,1,1e2, eur "]
ODD_RATES = ["2025-01-01, gbp ,1.25E0"]
ODD_USAGE = ["u901,C9,,api_usage,2025-03-01,2025-03-31,100,4.5e1,usd"]
# pandas writes an integer column with a missing value as float: 45.0, ..., NaN
EMPLOYEE_COUNTS = {"C1": 45.0, "C2": 120.0, "C3": 1500.0, "C4": 300.0, "C5": 12.0, "C6": 8.0, "C7": 60.0,
                   "C8": 250.0, "C9": 12.0, "C10": np.nan}  # fmt: skip
C9_MRR = {"2025-03": "75.000000", "2025-04": "30.000000", "2025-05": "37.500000", "2025-06": "60.000000",
          "2025-12": "60.000000"}  # fmt: skip
C10_MRR = {"2025-04": "120.000000", "2025-12": "120.000000"}


def append_rows(path: Path, rows: list[str]) -> None:
    with path.open("a", encoding="utf-8") as handle:
        handle.write("\n".join(rows) + "\n")


@pytest.fixture(scope="module")
def odd_company(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The golden scenario plus the odd rows, customers as a pandas-written Parquet file; built with dbt."""
    raw_dir = tmp_path_factory.mktemp("odd") / "raw"
    shutil.copytree(GOLDEN_RAW_DIR, raw_dir)
    append_rows(raw_dir / "subscription_events.csv", ODD_EVENTS)
    append_rows(raw_dir / "plans.csv", ODD_PLANS)
    append_rows(raw_dir / "fx_rates.csv", ODD_RATES)
    append_rows(raw_dir / "usage_charges.csv", ODD_USAGE)
    customers = pd.read_csv(raw_dir / "customers.csv", dtype=str).drop(columns="employee_count")
    extra = pd.DataFrame({"customer_id": ["C9", "C10"], "customer_name": ["Odd Values", "Lower Case"],
                          "created_at": ["2024-12-01 00:00:00 Z", "2024-12-01"]})  # fmt: skip
    customers = pd.concat([customers, extra], ignore_index=True)
    customers["employee_count"] = customers["customer_id"].map(EMPLOYEE_COUNTS).astype("float64")
    (raw_dir / "customers.csv").unlink()
    customers.to_parquet(raw_dir / "customers.parquet", index=False)
    build_path = raw_dir.parent / "odd.duckdb"
    dbt(
        "build",
        raw_dir,
        build_path,
        GOLDEN_AS_OF,
        select="+fct_mrr +fct_mrr_movements +mart_retention_monthly +rejected_rows +stg_billing__customers",
    )
    return raw_dir, build_path


def test_odd_values_are_read_and_the_1900_event_alone_is_rejected(odd_company: tuple[Path, Path]) -> None:
    raw_dir, build_path = odd_company
    rejected = query(build_path, "select source_table, row_key, reason from marts.rejected_rows")
    assert rejected.to_dict("records") == [
        {
            "source_table": "subscription_events",
            "row_key": "g905",
            "reason": "occurred_at '1900-01-01T00:00:00Z' is before the earliest valid date 2000-01-01",
        }
    ]
    reference = compute_all(raw_dir, GOLDEN_AS_OF)
    theirs = reference["rejected_rows"]
    assert theirs.loc[theirs["kind"] == "rejected", "key"].tolist() == ["g905"]
    first_month = query(build_path, "select min(month) as m from marts.mart_retention_monthly")["m"].item()
    assert first_month == date(2025, 1, 1)  # not 1900
    assert reference["mart_retention_monthly"]["month"].min() == pd.Timestamp("2025-01-01")


def test_hand_computed_mrr_of_the_odd_customers(odd_company: tuple[Path, Path]) -> None:
    mrr = query(
        odd_company[1],
        "select customer_id, strftime(month, '%Y-%m') as month, mrr from marts.fct_mrr"
        " where customer_id in ('C9', 'C10')",
    )
    found = {(row["customer_id"], row["month"]): str(row["mrr"]) for row in mrr.to_dict("records")}
    for customer, expected in (("C9", C9_MRR), ("C10", C10_MRR)):
        for month, value in expected.items():
            assert found[(customer, month)] == value, (customer, month)


def test_reference_and_warehouse_agree_on_every_customer_month(odd_company: tuple[Path, Path]) -> None:
    raw_dir, build_path = odd_company
    reference = compute_all(raw_dir, GOLDEN_AS_OF)
    ours = query(build_path, "select customer_id, month, mrr from marts.fct_mrr")
    assert {"C9", "C10"} <= set(ours["customer_id"])
    assert comparisons.value_differences(
        ours, reference["fct_mrr"], ["customer_id", "month"], {"mrr": "mrr"}, comparisons.MONEY_TOLERANCE
    ).empty
    movements = query(build_path, "select * from marts.fct_mrr_movements")
    columns = {"movement_type": "movement_type", "delta": "delta"}
    columns |= {f"{mechanism}_mrr": mechanism for mechanism in comparisons.MECHANISMS}
    assert comparisons.value_differences(
        movements,
        reference["fct_mrr_movements"],
        ["customer_id", "month"],
        columns,
        comparisons.MONEY_TOLERANCE,
        negligible_when_alone="delta",
    ).empty
    retention = query(build_path, "select month, nrr, grr from marts.mart_retention_monthly")
    assert comparisons.value_differences(
        retention,
        reference["mart_retention_monthly"],
        ["month"],
        {"nrr": "nrr", "grr": "grr"},
        comparisons.RATE_TOLERANCE,
    ).empty


def test_parquet_customers_with_a_float_employee_count_are_all_used(odd_company: tuple[Path, Path]) -> None:
    raw_dir, build_path = odd_company
    customers = query(
        build_path, "select customer_id, employee_count, rejection_reason from staging.stg_billing__customers"
    )
    assert customers["rejection_reason"].isna().all()
    counts = dict(zip(customers["customer_id"], customers["employee_count"], strict=True))
    assert counts["C1"] == 45 and counts["C5"] == 12 and counts["C9"] == 12
    assert counts["C10"] is None or pd.isna(counts["C10"])  # null stays null
    reference = compute_all(raw_dir, GOLDEN_AS_OF)["customers"].set_index("customer_id")["employee_count"]
    assert len(reference) == 10
    assert reference["C5"] == 12 and pd.isna(reference["C10"])
