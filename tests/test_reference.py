"""Tests of the independent pandas reference implementation (independent_metrics)."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from independent_metrics import (
    MECHANISMS,
    RawInputError,
    clean,
    compute_all,
    customer_mrr_by_month,
    item_states,
    load_raw,
)

ROOT = Path(__file__).resolve().parent
GOLDEN = ROOT / "fixtures" / "golden"
EXPECTED = ROOT / "fixtures" / "golden_expected"
AS_OF = "2025-12-31"


def half_away(x: pd.Series, decimals: int) -> pd.Series:
    """Display rounding, half away from zero (golden convention 3)."""
    f = 10.0**decimals
    x = x.astype("float64")
    return np.sign(x) * np.floor(x.abs() * f + 0.5 + 1e-7) / f + 0.0


def read_expected(name: str) -> pd.DataFrame:
    df = pd.read_csv(EXPECTED / f"{name}.csv", na_values=["null"], keep_default_na=False)
    df["month"] = pd.to_datetime(df["month"])
    return df


@pytest.fixture(scope="module")
def golden() -> dict[str, pd.DataFrame]:
    return compute_all(GOLDEN, AS_OF)


def assert_frame_matches(actual: pd.DataFrame, expected: pd.DataFrame, keys: list[str], rates=()) -> None:
    a = actual.copy()
    a["month"] = pd.to_datetime(a["month"])
    a = a.sort_values(keys, ignore_index=True)
    e = expected.sort_values(keys, ignore_index=True)
    assert len(a) == len(e), (a, e)
    for col in e.columns:
        if col in keys or not pd.api.types.is_numeric_dtype(e[col]):
            assert a[col].tolist() == e[col].tolist(), col
        else:
            digits = 6 if col in rates else 2
            got, want = half_away(a[col], digits), e[col].astype("float64")
            assert got.isna().tolist() == want.isna().tolist(), (col, got, want)
            assert np.allclose(got[want.notna()], want[want.notna()], atol=1e-9, rtol=0), (col, got, want)


# ----------------------------------------------------------------------------------- golden
def test_golden_row_accounting(golden):
    acc = golden["row_accounting"].set_index("table")
    ev = acc.loc["subscription_events"]
    assert (ev["rows_in"], ev["rows_used"], ev["rows_rejected"], ev["duplicates_collapsed"]) == (26, 25, 0, 1)
    other = acc.drop(index="subscription_events")
    assert (other["rows_in"] == other["rows_used"]).all()
    assert (golden["rejected_rows"]["kind"] == "duplicate").all()


def test_golden_fct_mrr(golden):
    exp = read_expected("fct_mrr")
    assert_frame_matches(golden["fct_mrr"], exp, ["customer_id", "month"])
    fct = golden["fct_mrr"]
    assert "C7" not in set(fct["customer_id"])
    assert np.allclose(fct["arr"], 12 * fct["mrr"])
    assert (fct["is_active"] == (fct["mrr"] > 0)).all()


def test_golden_movements(golden):
    assert_frame_matches(
        golden["fct_mrr_movements"], read_expected("fct_mrr_movements"), ["month", "customer_id"]
    )


def test_golden_bridge(golden):
    b = golden["mart_mrr_bridge_all"]
    assert (b["size_segment"] == "all").all()
    assert_frame_matches(b, read_expected("mart_mrr_bridge_all"), ["month"])


def test_golden_retention(golden):
    rates = {"nrr", "grr", "quick_ratio", "logo_churn_rate", "customer_retention_rate",
             "gross_mrr_churn_rate", "net_mrr_churn_rate"}  # fmt: skip
    assert_frame_matches(golden["mart_retention_monthly"], read_expected("mart_retention_monthly"), ["month"],
                         rates=rates)  # fmt: skip


def test_golden_mechanisms(golden):
    assert_frame_matches(
        golden["mart_expansion_mechanisms"],
        read_expected("mart_expansion_mechanisms"),
        ["month", "mechanism"],
    )


def test_golden_mechanisms_sum_to_delta(golden):
    m = golden["fct_mrr_movements"]
    exp = m["movement_type"].isin(["expansion", "contraction"])
    assert np.allclose(m.loc[exp, list(MECHANISMS)].sum(axis=1), m.loc[exp, "delta"], atol=1e-6)
    assert (m.loc[~exp, list(MECHANISMS)] == 0).all().all()


def test_golden_fx_locked_item_states(golden):
    st = golden["item_states"].set_index("event_id")
    assert st.loc["e401", "fx_rate"] == pytest.approx(1.10)
    assert st.loc["e402", "fx_rate"] == pytest.approx(1.20)
    assert st.loc["e201", "status"] == "trial" and st.loc["e201", "mrr"] == 0
    assert st.loc["e802", "status"] == "paused" and st.loc["e803", "mrr"] == pytest.approx(100)


# ----------------------------------------------------------------------------------- hand-made cases
CUSTOMERS = "customer_id,created_at\n" + "".join(f"K{i},2024-01-01\n" for i in range(1, 10))
PRODUCTS = """product_id,product_name,product_type,base_product_id
P1,Projects,core,
P2,Analytics,core,
A1,Addon,add_on,P1
U1,API,core,
"""
PLANS = (
    "plan_id,product_id,plan_name,tier_rank,pricing_model,billing_interval,billing_interval_count,"
    "list_price,currency\n"
    """basic,P1,Basic,1,per_unit,month,1,10,USD
pro,P1,Pro,2,per_unit,month,1,20,USD
annual,P2,Annual,1,flat,year,1,1200,USD
quarterly,P2,Quarterly,1,flat,month,3,300,USD
weekly,P2,Weekly,1,flat,week,1,10,USD
daily,P2,Daily,1,flat,day,1,1,USD
biweekly_seats,P1,Biweekly,1,per_unit,week,2,6,USD
eur,P2,EUR,1,flat,month,1,100,EUR
addon,A1,Addon,1,flat,month,1,30,USD
api,U1,Usage,1,usage,month,1,,USD
"""
)
FX = """rate_date,currency,rate_to_reporting
2025-01-01,EUR,1.10
2025-02-15,EUR,1.20
"""
EVENT_HEADER = (
    "event_id,occurred_at,recorded_at,customer_id,subscription_id,item_id,event_type,plan_id,quantity,"
    "unit_price,currency,discount_percent,is_trial\n"
)


def make_raw(tmp_path: Path, events: str, usage: str | None = None) -> Path:
    d = tmp_path / "raw"
    d.mkdir()
    (d / "customers.csv").write_text(CUSTOMERS)
    (d / "products.csv").write_text(PRODUCTS)
    (d / "plans.csv").write_text(PLANS)
    (d / "fx_rates.csv").write_text(FX)
    (d / "subscription_events.csv").write_text(EVENT_HEADER + events.strip() + "\n")
    if usage is not None:
        header = (
            "charge_id,customer_id,item_id,plan_id,period_start,period_end,usage_quantity,amount,currency\n"
        )
        (d / "usage_charges.csv").write_text(header + usage.strip() + "\n")
    return d


def mrr_table(res: dict[str, pd.DataFrame]) -> dict[tuple[str, str], float]:
    f = res["fct_mrr"]
    return {
        (c, m.strftime("%Y-%m")): v for c, m, v in zip(f["customer_id"], f["month"], f["mrr"], strict=True)
    }


def moves(res: dict[str, pd.DataFrame]) -> pd.DataFrame:
    m = res["fct_mrr_movements"].copy()
    m["ym"] = m["month"].dt.strftime("%Y-%m")
    return m.set_index(["customer_id", "ym"])


def test_normalisation(tmp_path):
    raw = make_raw(
        tmp_path,
        """
a1,2025-01-05T00:00:00Z,,K1,s1,i1,item_started,annual,,,,,
a2,2025-01-05T00:00:00Z,,K2,s2,i2,item_started,quarterly,,,,,
a3,2025-01-05T00:00:00Z,,K3,s3,i3,item_started,weekly,,,,,
a4,2025-01-05T00:00:00Z,,K4,s4,i4,item_started,daily,,,,,
a5,2025-01-05T00:00:00Z,,K5,s5,i5,item_started,biweekly_seats,4,,,25,
""",
    )
    r = mrr_table(compute_all(raw, "2025-01-31"))
    assert r[("K1", "2025-01")] == pytest.approx(100.0)  # 1200 / 12
    assert r[("K2", "2025-01")] == pytest.approx(100.0)  # 300 / 3
    assert r[("K3", "2025-01")] == pytest.approx(10 * 52 / 12)
    assert r[("K4", "2025-01")] == pytest.approx(365 / 12)
    assert r[("K5", "2025-01")] == pytest.approx(6 * 4 * 0.75 * 52 / 12 / 2)


def test_full_discount_and_trial_are_not_active(tmp_path):
    raw = make_raw(
        tmp_path,
        """
d1,2025-01-05T00:00:00Z,,K1,s1,i1,item_started,basic,3,,,100,
d2,2025-01-05T00:00:00Z,,K2,s2,i2,item_started,basic,3,,,,true
d3,2025-01-05T00:00:00Z,,K3,s3,i3,item_started,basic,3,0,,,
""",
    )
    res = compute_all(raw, "2025-03-31")
    assert res["fct_mrr"].empty and res["fct_mrr_movements"].empty
    b = res["mart_mrr_bridge_all"]
    assert len(b) == 3 and (b["mrr_end"] == 0).all()
    assert res["mart_retention_monthly"][["nrr", "arpa"]].isna().all().all()


def test_month_end_boundaries(tmp_path):
    raw = make_raw(
        tmp_path,
        """
b1,2025-01-10T00:00:00Z,,K1,s1,i1,item_started,basic,1,,,,
b2,2025-02-28T12:00:00Z,,K1,s1,i1,item_ended,,,,,,
b3,2025-01-31T23:59:59Z,,K2,s2,i2,item_started,basic,2,,,,
b4,2025-02-01T00:00:00Z,,K3,s3,i3,item_started,basic,3,,,,
""",
    )
    res = compute_all(raw, "2025-03-31")
    r = mrr_table(res)
    assert r[("K1", "2025-01")] == 10 and r[("K1", "2025-02")] == 0  # ended 12:00 on the last day
    assert r[("K2", "2025-01")] == 20  # 23:59:59 on the last day counts
    assert ("K3", "2025-01") not in r and r[("K3", "2025-02")] == 30  # 00:00 on the 1st: new month
    m = moves(res)
    assert m.loc[("K1", "2025-02"), "movement_type"] == "churn"


def test_offset_timestamp_is_converted_to_utc(tmp_path):
    raw = make_raw(
        tmp_path,
        """
o1,2025-01-10T00:00:00Z,,K1,s1,i1,item_started,basic,1,,,,
o2,2025-03-01T01:00:00+02:00,,K1,s1,i1,item_ended,,,,,,
""",
    )
    r = mrr_table(compute_all(raw, "2025-03-31"))
    assert r[("K1", "2025-01")] == 10 and r[("K1", "2025-02")] == 0 and r[("K1", "2025-03")] == 0


def test_change_undone_within_month(tmp_path):
    raw = make_raw(
        tmp_path,
        """
u1,2025-01-10T00:00:00Z,,K1,s1,i1,item_started,basic,2,,,,
u2,2025-02-05T00:00:00Z,,K1,s1,i1,item_changed,pro,6,20,USD,0,false
u3,2025-02-25T00:00:00Z,,K1,s1,i1,item_changed,basic,2,10,USD,0,false
""",
    )
    res = compute_all(raw, "2025-03-31")
    assert [v for k, v in sorted(mrr_table(res).items())] == [20, 20, 20]
    assert len(res["fct_mrr_movements"]) == 1  # only the January 'new'


def test_tier_and_seat_change_same_month(tmp_path):
    raw = make_raw(
        tmp_path,
        """
t1,2025-01-10T00:00:00Z,,K1,s1,i1,item_started,basic,5,,,,
t2,2025-02-05T00:00:00Z,,K1,s1,i1,item_changed,pro,8,,,,
t3,2025-03-05T00:00:00Z,,K1,s1,i1,item_changed,basic,6,10,,,
t4,2025-04-05T00:00:00Z,,K1,s1,i1,item_changed,basic,6,9,,,
""",
    )
    m = moves(compute_all(raw, "2025-04-30"))
    feb = m.loc[("K1", "2025-02")]
    # t2 moves to Pro without a unit_price: Pro's list price 20 applies (contract v1.1), the quantity is
    # its own: 8 x 20 = 160 after 5 x 10 = 50
    assert feb["movement_type"] == "expansion" and feb["delta"] == pytest.approx(110)
    assert feb["seat"] == pytest.approx(30) and feb["upsell"] == pytest.approx(80)  # 3 x 10, 8 x (20 - 10)
    mar = m.loc[("K1", "2025-03")]
    # t3 back to Basic at 10, 6 seats: 60
    assert mar["movement_type"] == "contraction" and mar["delta"] == pytest.approx(-100)
    assert mar["seat"] == pytest.approx(-40) and mar["downgrade"] == pytest.approx(-60)  # -2 x 20, 6 x -10
    apr = m.loc[("K1", "2025-04")]
    assert apr["price"] == pytest.approx(-6) and apr["delta"] == pytest.approx(-6)


def test_tier_change_with_seat_change_splits_into_seat_and_upsell(tmp_path):
    raw = make_raw(
        tmp_path,
        """
t1,2025-01-10T00:00:00Z,,K1,s1,i1,item_started,basic,5,,,,
t2,2025-02-05T00:00:00Z,,K1,s1,i1,item_changed,pro,8,20,USD,0,false
t3,2025-03-05T00:00:00Z,,K1,s1,i1,item_changed,basic,4,10,USD,0,false
""",
    )
    m = moves(compute_all(raw, "2025-03-31"))
    feb = m.loc[("K1", "2025-02")]
    assert feb["delta"] == pytest.approx(110)
    assert feb["seat"] == pytest.approx(30)  # (8 - 5) x 10
    assert feb["upsell"] == pytest.approx(80)  # 8 x (20 - 10)
    mar = m.loc[("K1", "2025-03")]
    assert mar["delta"] == pytest.approx(-120)
    assert mar["seat"] == pytest.approx(-80)  # (4 - 8) x 20
    assert mar["downgrade"] == pytest.approx(-40)  # 4 x (10 - 20)


def test_cross_sell_add_on_and_product_churn(tmp_path):
    raw = make_raw(
        tmp_path,
        """
x1,2025-01-10T00:00:00Z,,K1,s1,i1,item_started,basic,1,,,,
x2,2025-02-10T00:00:00Z,,K1,s1,i2,item_started,quarterly,,,,,
x3,2025-02-10T00:00:00Z,,K1,s1,i3,item_started,addon,,,,,
x4,2025-03-10T00:00:00Z,,K1,s1,i2,item_ended,,,,,,
x5,2025-03-10T00:00:00Z,,K1,s1,i3,item_ended,,,,,,
""",
    )
    m = moves(compute_all(raw, "2025-03-31"))
    feb, mar = m.loc[("K1", "2025-02")], m.loc[("K1", "2025-03")]
    assert (feb["cross_sell"], feb["add_on"], feb["delta"]) == (100, 30, 130)
    assert (mar["product_churn"], mar["add_on"], mar["delta"]) == (-100, -30, -130)


def test_new_vs_reactivation(tmp_path):
    raw = make_raw(
        tmp_path,
        """
r1,2025-01-10T00:00:00Z,,K1,s1,i1,item_started,basic,1,,,,
r2,2025-02-10T00:00:00Z,,K1,s1,i1,item_ended,,,,,,
r3,2025-04-10T00:00:00Z,,K1,s2,i2,item_started,basic,2,,,,
r4,2025-01-10T00:00:00Z,,K2,s3,i3,item_started,basic,1,,,,true
r5,2025-03-10T00:00:00Z,,K2,s3,i3,item_changed,basic,1,10,USD,0,false
r6,2025-01-10T00:00:00Z,,K3,s4,i4,item_started,basic,1,,,,
r7,2025-02-10T00:00:00Z,,K3,s4,i4,item_paused,,,,,,
r8,2025-03-10T00:00:00Z,,K3,s4,i4,item_resumed,,,,,,
""",
    )
    res = compute_all(raw, "2025-04-30")
    m = moves(res)
    assert m.loc[("K1", "2025-01"), "movement_type"] == "new"
    assert m.loc[("K1", "2025-02"), "movement_type"] == "churn"
    assert m.loc[("K1", "2025-04"), "movement_type"] == "reactivation"
    assert m.loc[("K2", "2025-03"), "movement_type"] == "new"  # the trial months never made K2 active
    assert m.loc[("K3", "2025-03"), "movement_type"] == "reactivation"
    b = res["mart_mrr_bridge_all"].set_index(res["mart_mrr_bridge_all"]["month"].dt.strftime("%Y-%m"))
    assert b.loc["2025-03", "customers_reactivated"] == 1 and b.loc["2025-03", "customers_new"] == 1
    r = mrr_table(res)
    assert r[("K1", "2025-03")] == 0 and ("K2", "2025-02") not in r


def test_fx_locked_per_state(tmp_path):
    raw = make_raw(
        tmp_path,
        """
f1,2025-01-10T00:00:00Z,,K1,s1,i1,item_started,eur,,,,,
f2,2025-03-10T00:00:00Z,,K1,s1,i1,item_changed,eur,,,,,
f3,2025-02-15T00:00:00Z,,K2,s2,i2,item_started,eur,,,,,
""",
    )
    res = compute_all(raw, "2025-03-31")
    r = mrr_table(res)
    assert r[("K1", "2025-01")] == pytest.approx(110) and r[("K1", "2025-02")] == pytest.approx(110)
    assert r[("K1", "2025-03")] == pytest.approx(120)  # new state, then-current rate
    assert r[("K2", "2025-02")] == pytest.approx(120)  # rate_date on the very day counts
    m = moves(res)
    assert ("K1", "2025-02") not in m.index  # the rate moved on 15 Feb: no movement from FX alone
    assert m.loc[("K1", "2025-03"), "price"] == pytest.approx(10)


def test_usage_spread_across_two_months(tmp_path):
    raw = make_raw(
        tmp_path,
        "g1,2025-01-01T00:00:00Z,,K1,s1,i1,item_started,basic,1,,,,",
        usage="""
c1,K2,,api,2025-01-22,2025-02-09,100,190,USD
c2,K2,,api,2025-03-01,2025-03-31,100,50,EUR
""",
    )
    res = compute_all(raw, "2025-03-31")
    r = mrr_table(res)
    assert r[("K2", "2025-01")] == pytest.approx(100)  # 10 of 19 days
    assert r[("K2", "2025-02")] == pytest.approx(90)  # 9 of 19 days
    assert r[("K2", "2025-03")] == pytest.approx(60)  # 50 EUR at the 2025-02-15 rate 1.20
    m = moves(res)
    assert m.loc[("K2", "2025-02"), "usage"] == pytest.approx(-10)
    assert m.loc[("K2", "2025-03"), "usage"] == pytest.approx(-30)


def test_duplicate_event_counted_once(tmp_path):
    raw = make_raw(
        tmp_path,
        """
e1,2025-01-10T00:00:00Z,2025-01-10T00:00:00Z,K1,s1,i1,item_started,basic,3,,,,
e1,2025-01-10T00:00:00Z,2025-01-10T00:00:00Z,K1,s1,i1,item_started,basic,3,,,,
e2,2025-02-10T00:00:00Z,2025-02-10T00:00:00Z,K1,s1,i1,item_changed,basic,5,,,,
e2,2025-02-10T00:00:00Z,2025-02-12T00:00:00Z,K1,s1,i1,item_changed,basic,4,,,,
""",
    )
    res = compute_all(raw, "2025-02-28")
    r = mrr_table(res)
    assert r[("K1", "2025-01")] == 30 and r[("K1", "2025-02")] == 40  # later recorded_at wins
    acc = res["row_accounting"].set_index("table").loc["subscription_events"]
    assert (acc["rows_in"], acc["rows_used"], acc["duplicates_collapsed"]) == (4, 2, 2)


def test_bad_rows_rejected_and_accounted(tmp_path):
    raw = make_raw(
        tmp_path,
        """
ok1,2025-01-10T00:00:00Z,,K1,s1,i1,item_started,basic,3,,,,
,2025-01-10T00:00:00Z,,K1,s1,i9,item_started,basic,3,,,,
bad2,2025-01-10T00:00:00Z,,NOPE,s1,i2,item_started,basic,3,,,,
bad3,2025-01-10T00:00:00Z,,K1,s1,i3,item_started,nope,3,,,,
bad4,2025-01-10T00:00:00Z,,K1,s1,i4,item_started,basic,-1,,,,
bad5,2025-01-10T00:00:00Z,,K1,s1,i5,item_started,basic,1,,,101,
bad6,not-a-date,,K1,s1,i6,item_started,basic,1,,,,
bad7,2025-01-10T00:00:00Z,,K1,s1,i7,item_exploded,basic,1,,,,
bad8,2025-01-10T00:00:00Z,,K1,s1,i8,item_changed,basic,1,,,,
ok2,2025-02-10T00:00:00Z,,K1,s1,i1,item_ended,,,,,,
bad9,2025-03-10T00:00:00Z,,K1,s1,i1,item_changed,basic,9,,,,
bad10,2024-12-10T00:00:00Z,,K2,s2,i10,item_started,eur,1,,,,
bad11,2025-01-10T00:00:00Z,,K2,s2,i11,item_started,basic,1,,GBP,,
bad12,2025-01-10T00:00:00Z,,K2,s2,i12,item_started,basic,x,,,,
""",
        usage="""
uok,K1,,api,2025-01-01,2025-01-31,1,10,USD
ubad1,K1,,api,2025-02-01,2025-01-31,1,10,USD
ubad2,K1,,basic,2025-01-01,2025-01-31,1,10,USD
ubad3,K1,,api,2025-01-01,2025-01-31,1,-5,USD
""",
    )
    out = clean(load_raw(raw))
    rej = out["rejected_rows"]
    ev = rej[rej["table"] == "subscription_events"].set_index("row_number")["reason"]
    assert ev.to_dict() == {
        1: "missing key event_id",
        2: "unknown customer_id",
        3: "unknown plan_id",
        4: "negative quantity",
        5: "discount_percent outside 0-100",
        6: "unparseable occurred_at: not a valid timestamp",
        7: "unknown event_type",
        8: "no earlier item_started for this item",
        10: "event after the item's item_ended",
        11: "no fx rate for the currency on or before the event date",
        12: "unknown currency (no fx rate)",
        13: "unparseable quantity: not a valid decimal(18, 6)",
    }
    assert set(out["subscription_events"]["event_id"]) == {"ok1", "ok2"}
    assert set(out["usage_charges"]["charge_id"]) == {"uok"}
    acc = out["row_accounting"]
    assert (acc["rows_in"] == acc["rows_used"] + acc["rows_rejected"] + acc["duplicates_collapsed"]).all()


def test_missing_required_column_fails_naming_file(tmp_path):
    raw = make_raw(tmp_path, "a,2025-01-01T00:00:00Z,,K1,s1,i1,item_started,basic,1,,,,")
    (raw / "plans.csv").write_text("plan_id,product_id\nx,P1\n")
    with pytest.raises(RawInputError, match=r"plans\.csv: required column 'plan_name'"):
        load_raw(raw)


def test_split_folder_and_parquet(tmp_path):
    raw = make_raw(
        tmp_path,
        """
s1,2025-01-10T00:00:00Z,,K1,s1,i1,item_started,basic,3,,,,
s2,2025-02-10T00:00:00Z,,K1,s1,i1,item_changed,basic,4,,,,
""",
    )
    ev = pd.read_csv(raw / "subscription_events.csv", dtype=str)
    (raw / "subscription_events.csv").unlink()
    (raw / "subscription_events").mkdir()
    ev.iloc[:1].to_csv(raw / "subscription_events" / "a.csv", index=False)
    part = ev.iloc[1:].copy()
    part["occurred_at"] = pd.to_datetime(part["occurred_at"], utc=True)
    part["quantity"] = part["quantity"].astype(float)
    part.to_parquet(raw / "subscription_events" / "b.parquet", index=False)
    r = customer_mrr_by_month(clean(load_raw(raw)), "2025-02-28")
    assert r["mrr"].tolist() == [30, 40]


def test_item_states_columns_and_missing_cells_keep_previous(tmp_path):
    raw = make_raw(
        tmp_path,
        """
k1,2025-01-10T00:00:00Z,,K1,s1,i1,item_started,basic,3,12,,10,
k2,2025-02-10T00:00:00Z,,K1,s1,i1,item_changed,basic,5,,,,
k3,2025-03-10T00:00:00Z,,K1,s1,i1,item_ended,,,,,,
""",
    )
    st = item_states(clean(load_raw(raw))).set_index("event_id")
    assert st.loc["k2", ["plan_id", "quantity", "unit_price", "discount_percent"]].tolist() == [
        "basic",
        5,
        12,
        10,
    ]
    assert st.loc["k2", "mrr"] == pytest.approx(5 * 12 * 0.9)
    assert st.loc["k1", "valid_to"] == st.loc["k2", "occurred_at"]
    assert (
        st.loc["k3", "status"] == "ended" and st.loc["k3", "mrr"] == 0 and pd.isna(st.loc["k3", "valid_to"])
    )


# ----------------------------------------------------------------------------------- scale
def synthetic_company(out: Path, n_customers: int, seed: int = 7) -> int:
    """A random company in the landing-folder layout; returns the number of events written."""
    rng = np.random.default_rng(seed)
    out.mkdir(parents=True, exist_ok=True)
    (out / "customers.csv").write_text(
        "customer_id,created_at\n" + "".join(f"C{i},2023-01-01\n" for i in range(n_customers))
    )
    (out / "products.csv").write_text(PRODUCTS)
    (out / "plans.csv").write_text(PLANS)
    (out / "fx_rates.csv").write_text(FX.replace("2025-01-01", "2023-01-01"))
    plans = np.array(["basic", "pro", "annual", "quarterly", "weekly", "eur", "addon", "biweekly_seats"])
    rows = []
    base = np.datetime64("2024-01-01T00:00:00")
    eid = 0
    for c in range(n_customers):
        for it in range(int(rng.integers(1, 3))):
            item = f"i{c}_{it}"
            t = base + np.timedelta64(int(rng.integers(0, 500 * 24)), "h")
            n_ev = int(rng.integers(1, 9))
            for k in range(n_ev):
                if k == 0:
                    et = "item_started"
                elif k == n_ev - 1 and rng.random() < 0.4:
                    et = "item_ended"
                else:
                    et = rng.choice(["item_changed"] * 6 + ["item_paused", "item_resumed"])
                plan = rng.choice(plans) if et in ("item_started", "item_changed") else ""
                qty = str(int(rng.integers(1, 20))) if plan else ""
                disc = str(int(rng.choice([0, 0, 10, 100]))) if plan else ""
                trial = "true" if k == 0 and rng.random() < 0.1 else ""
                rows.append(f"e{eid},{t}Z,,C{c},s{c},{item},{et},{plan},{qty},,,{disc},{trial}\n")
                eid += 1
                t = t + np.timedelta64(int(rng.integers(1, 120 * 24)), "h")
    (out / "subscription_events.csv").write_text(EVENT_HEADER + "".join(rows))
    n_usage = n_customers // 4
    starts = np.datetime64("2024-01-01") + rng.integers(0, 700, n_usage).astype("timedelta64[D]")
    ends = starts + rng.integers(0, 60, n_usage).astype("timedelta64[D]")
    (out / "usage_charges.csv").write_text(
        "charge_id,customer_id,item_id,plan_id,period_start,period_end,usage_quantity,amount,currency\n"
        + "".join(
            f"u{i},C{rng.integers(0, n_customers)},,api,{s},{e},1,{rng.integers(1, 500)},USD\n"
            for i, (s, e) in enumerate(zip(starts, ends, strict=True))
        )
    )
    return eid


def test_synthetic_company_is_consistent_and_fast(tmp_path):
    n_events = synthetic_company(tmp_path / "syn", 2000)
    assert n_events > 8000
    t0 = time.perf_counter()
    res = compute_all(tmp_path / "syn", "2025-12-31")
    elapsed = time.perf_counter() - t0
    assert elapsed < 10, elapsed
    fct, m, b = res["fct_mrr"], res["fct_mrr_movements"], res["mart_mrr_bridge_all"]
    assert len(m) > 1000 and set(m["movement_type"]) == {
        "new",
        "reactivation",
        "churn",
        "expansion",
        "contraction",
    }
    # Per-customer bridge: Σ deltas = final MRR.
    last = fct[fct["month"] == fct["month"].max()].set_index("customer_id")["mrr"]
    total = m.groupby("customer_id")["delta"].sum().reindex(last.index)
    assert np.allclose(total, last, atol=1e-6)
    assert b["mrr_end"].iloc[-1] == pytest.approx(last.sum())
    acc = res["row_accounting"]
    assert (acc["rows_in"] == acc["rows_used"] + acc["rows_rejected"] + acc["duplicates_collapsed"]).all()
