"""Staging: every raw table typed, and every unusable row flagged with a readable reason.

Hand-made raw rows, one per case, built with `dbt run --select staging` on a throwaway landing folder.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from tests.dbt_runner import dbt, query

RAW_FILES = {
    "customers.csv": '''customer_id,customer_name,created_at,country,industry,employee_count
K1,"Ünïcode; Name 'quoted' ""x""",2024-01-01T10:00:00+02:00,de,Software,50
,Nameless,2024-01-01T00:00:00Z,US,,
K3,Late,soon,US,,
K4,Many,2024-01-01T00:00:00Z,US,,many
K5,No offset,2024-02-01T00:00:00,US,,2000.0
K6,Space before Z,2024-02-01 10:00:00 Z,US,,1e3
''',
    "products.csv": """product_id,product_name,product_type,base_product_id,extra_column_is_ignored
P1,Projects,core,,x
P2,Bundle,bundle,,x
""",
    "plans.csv": """plan_id,product_id,plan_name,tier_rank,pricing_model,billing_interval,billing_interval_count,list_price,currency
seat,P1,Basic,1,per_unit,month,,10.5,usd
usage,P1,Usage,1,usage,month,1,,USD
flat_no_price,P1,Flat,1,flat,month,1,,USD
fortnightly,P1,Odd,1,flat,fortnight,1,5,USD
negative,P1,Neg,1,flat,month,1,-12,USD
""",
    "subscription_events.csv": """event_id,occurred_at,recorded_at,customer_id,subscription_id,item_id,event_type,plan_id,quantity,unit_price,currency,discount_percent,is_trial
e1,2025-01-10T00:00:00Z,,K1,s1,i1,item_started,seat,5,,,,
e1,2025-01-10T00:00:00Z,,K1,s1,i1,item_started,seat,5,,,,
e2,2025-02-01T00:00:00Z,2025-02-01T00:00:00Z,K1,s1,i1,item_changed,seat,6,,,,
e2,2025-02-01T00:00:00Z,2025-02-03T00:00:00Z,K1,s1,i1,item_changed,seat,7,,,,
e3,2025-02-05T00:00:00Z,,K1,s1,i1,item_changed,seat,7,,,150,
e4,2025-02-06T00:00:00Z,,K1,s1,i1,item_upgraded,seat,,,,,
e5,2025-02-07T00:00:00Z,,K1,s1,i1,item_changed,seat,ten,,,,
e6,2025-02-08T00:00:00Z,,K1,s1,i2,item_started,,1,,,,
e7,2025-02-09T00:00:00Z,,K1,s1,i3,item_started,seat,1,,,,maybe
e8,2025-02-10T00:00:00Z,,K1,s1,i4,item_started,seat,-3,,,,
e9,1900-01-01T00:00:00Z,,K1,s1,i5,item_started,seat,1,,,,
e10,2025-02-11T00:00:00Z,,K1,s1,i6,item_started,seat,1e1,1.5E-2, eur ,0.0000004,
""",
    "usage_charges.csv": """charge_id,customer_id,item_id,plan_id,period_start,period_end,usage_quantity,amount,currency
u1,K1,,usage,2025-01-31,2025-01-01,10,5,USD
u2,K1,,usage,2025-01-01,2025-01-31,10,-5,USD
u3,K1,,usage,x,2025-01-31,10,5,USD
""",
    "one_time_charges.csv": """charge_id,customer_id,charged_at,amount,currency,category
o1,K1,2025-01-05T00:00:00Z,-100,USD,setup
""",
    "fx_rates.csv": """rate_date,currency,rate_to_reporting
2025-01-01,EUR,0
""",
    "plan_limits.csv": """plan_id,metric,limit_value,per_unit_limit
seat,active_users,1,yes
""",
    "usage_snapshots.csv": """customer_id,product_id,snapshot_date,metric,value
K1,P1,2025-01-31,logins,n/a
""",
}

EXPECTED_REJECTIONS = {
    ("customers", None, "missing customer_id"),
    ("customers", "K3", "created_at 'soon' is not a valid ISO 8601 timestamp"),
    ("customers", "K4", "employee_count 'many' is not a valid whole number"),
    ("customers", "K6", "employee_count '1e3' is not a valid whole number"),
    ("products", "P2", "unknown product_type 'bundle'"),
    ("plans", "flat_no_price", "missing list_price on a flat plan"),
    ("plans", "fortnightly", "unknown billing_interval 'fortnight'"),
    ("plans", "negative", "negative list_price -12"),
    (
        "subscription_events",
        "e2",
        "duplicate event_id with different content (kept the valid version recorded last)",
    ),
    ("subscription_events", "e3", "discount_percent 150 is outside 0-100"),
    ("subscription_events", "e4", "unknown event_type 'item_upgraded'"),
    ("subscription_events", "e5", "quantity 'ten' is not a valid number"),
    ("subscription_events", "e6", "missing plan_id on item_started"),
    ("subscription_events", "e7", "is_trial 'maybe' is not a valid boolean"),
    ("subscription_events", "e8", "negative quantity -3"),
    (
        "subscription_events",
        "e9",
        "occurred_at '1900-01-01T00:00:00Z' is before the earliest valid date 2000-01-01",
    ),
    ("usage_charges", "u1", "period_end 2025-01-01 is before period_start 2025-01-31"),
    ("usage_charges", "u2", "negative amount -5"),
    ("usage_charges", "u3", "period_start 'x' is not a valid date"),
    ("one_time_charges", "o1", "negative amount -100"),
    ("fx_rates", "EUR", "rate_to_reporting 0 is not positive"),
    ("usage_snapshots", "K1", "value 'n/a' is not a valid number"),
}

STAGING_KEYS = {
    "customers": "customer_id",
    "products": "product_id",
    "plans": "plan_id",
    "subscription_events": "event_id",
    "usage_charges": "charge_id",
    "one_time_charges": "charge_id",
    "fx_rates": "currency",
    "plan_limits": "plan_id",
    "usage_snapshots": "customer_id",
}


@pytest.fixture(scope="module")
def staged(tmp_path_factory: pytest.TempPathFactory) -> Path:
    raw_dir = tmp_path_factory.mktemp("raw")
    for name, text in RAW_FILES.items():
        (raw_dir / name).write_text(text, encoding="utf-8")
    build_path = (
        raw_dir.parent / "hand_made.duckdb"
    )  # not staging.duckdb: that catalog would shadow the schema
    dbt("run", raw_dir, build_path, "2025-12-31", select="staging")
    return build_path


def test_every_unusable_row_is_flagged_with_its_reason(staged: Path) -> None:
    found = set()
    for table, key in STAGING_KEYS.items():
        rows = query(
            staged,
            f"select {key}, rejection_reason from staging.stg_billing__{table} where rejection_reason is not null",
        )
        found |= {(table, row[key], row["rejection_reason"]) for row in rows.to_dict("records")}
    assert found == EXPECTED_REJECTIONS


def test_customers_are_typed(staged: Path) -> None:
    k1 = query(staged, "select * from staging.stg_billing__customers where customer_id = 'K1'").iloc[0]
    assert k1["customer_name"] == "Ünïcode; Name 'quoted' \"x\""
    assert k1["created_at"] == datetime(2024, 1, 1, 8, 0)  # +02:00 converted to UTC
    assert k1["country"] == "DE"
    assert k1["employee_count"] == 50
    k5 = query(staged, "select created_at from staging.stg_billing__customers where customer_id = 'K5'").iloc[
        0
    ]
    assert k5["created_at"] == datetime(2024, 2, 1)  # no offset: UTC
    k5_count = query(
        staged, "select employee_count from staging.stg_billing__customers where customer_id = 'K5'"
    )
    assert k5_count["employee_count"].item() == 2000  # '2000.0': an integral decimal is a whole number
    k6 = query(staged, "select created_at from staging.stg_billing__customers where customer_id = 'K6'")
    assert k6["created_at"].item() == datetime(2024, 2, 1, 10)  # one space before Z is allowed


def test_exponents_round_to_the_column_scale_and_currencies_are_upper_cased(staged: Path) -> None:
    e10 = query(staged, "select * from staging.stg_billing__subscription_events where event_id = 'e10'").iloc[
        0
    ]
    assert e10["rejection_reason"] is None
    assert str(e10["quantity"]) == "10.000000"  # 1e1
    assert str(e10["unit_price"]) == "0.015000"  # 1.5E-2
    assert str(e10["discount_percent"]) == "0.000000"  # 0.0000004 rounds half away from zero to 6 decimals
    assert e10["currency"] == "EUR"  # ' eur '


def test_plans_are_typed_with_defaults(staged: Path) -> None:
    seat = query(staged, "select * from staging.stg_billing__plans where plan_id = 'seat'").iloc[0]
    assert seat["list_price"] == Decimal("10.5")
    assert seat["billing_interval_count"] == 1  # blank: default 1
    assert seat["currency"] == "USD"
    assert seat["tier_rank"] == 1
    usage = query(staged, "select * from staging.stg_billing__plans where plan_id = 'usage'").iloc[0]
    assert usage["rejection_reason"] is None and usage["list_price"] is None


def test_exact_duplicates_collapse_and_key_duplicates_keep_the_latest(staged: Path) -> None:
    events = query(
        staged, "select * from staging.stg_billing__subscription_events where event_id in ('e1', 'e2')"
    )
    e1 = events[events.event_id == "e1"]
    assert len(e1) == 1 and e1["source_row_count"].item() == 2
    kept = events[(events.event_id == "e2") & events.rejection_reason.isna()].iloc[0]
    assert kept["quantity"] == Decimal("7") and kept["recorded_at"] == datetime(2025, 2, 3)


def test_other_tables_are_typed(staged: Path) -> None:
    limit = query(staged, "select * from staging.stg_billing__plan_limits").iloc[0]
    assert limit["per_unit_limit"] is True and limit["limit_value"] == Decimal("1")
    charge = query(staged, "select * from staging.stg_billing__one_time_charges").iloc[0]
    assert charge["charged_at"] == datetime(2025, 1, 5) and charge["category"] == "setup"
    rate = query(staged, "select * from staging.stg_billing__fx_rates").iloc[0]
    assert rate["rate_date"] == date(2025, 1, 1)
