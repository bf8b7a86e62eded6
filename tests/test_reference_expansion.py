"""The independent reference of utilisation, expansion triggers and opportunities (independent_metrics/
expansion.py), on small hand-built tables with hand-computed numbers."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction as F
from pathlib import Path

import pandas as pd
import pytest

from independent_metrics import compute_all
from independent_metrics.expansion import (
    OPPORTUNITY_COLUMNS,
    choose_limit_trigger,
    compare_opportunities,
    cross_sell_estimates,
    exact_median,
    expansion_opportunities,
    health_frame,
    limit_estimates,
    limit_totals,
    monthly_usage,
    rank_opportunities,
    single_product_triggers,
    size_segment,
    utilisation,
)

M = 2026 * 12 + 2  # March 2026 as a month index
ITEM_COLUMNS = [
    "customer_id", "item_id", "month_i", "mrr", "plan_id", "product_id", "product_type", "tier_rank",
    "pricing_model", "billing_interval", "billing_interval_count", "currency", "fx_rate", "quantity",
]  # fmt: skip
PLANS = pd.DataFrame(
    [
        # plan_id, product_id, tier_rank, pricing_model, billing_interval, count, list_price, currency
        ("ws_b", "ws", 1, "per_unit", "month", 1, 10.0, "USD"),
        ("ws_p", "ws", 2, "per_unit", "month", 1, 20.0, "USD"),
        ("ws_e", "ws", 3, "per_unit", "month", 1, 40.0, "USD"),
        ("ws_p_y", "ws", 2, "per_unit", "year", 1, 180.0, "USD"),
        ("ws_p_eur", "ws", 2, "per_unit", "month", 1, 18.0, "EUR"),
        ("ins_b", "ins", 1, "flat", "month", 1, 100.0, "USD"),
        ("ins_p", "ins", 2, "flat", "month", 1, 300.0, "USD"),
        ("ins_b_eur", "ins", 1, "flat", "month", 1, 90.0, "EUR"),
        ("ins_p_eur", "ins", 2, "flat", "month", 1, 270.0, "EUR"),
        ("ins_e_eur", "ins", 3, "flat", "month", 1, 900.0, "EUR"),
    ],
    columns=[
        "plan_id", "product_id", "tier_rank", "pricing_model", "billing_interval", "billing_interval_count",
        "list_price", "currency",
    ],
)  # fmt: skip
LIMITS = pd.DataFrame(
    [
        ("ws_b", "seats", 1.0, True),
        ("ws_b", "projects", 10.0, False),
        ("ws_p", "seats", 1.0, True),
        ("ws_p", "projects", 50.0, False),
        ("ws_e", "seats", 1.0, True),
        ("ws_e", "projects", 500.0, False),
        ("ws_p_y", "projects", 1000.0, False),
        ("ws_p_eur", "projects", 50.0, False),
        ("ins_b", "users", 5.0, False),
        ("ins_p", "users", 25.0, False),
        ("ins_b_eur", "users", 5.0, False),
        ("ins_p_eur", "users", 25.0, False),
        ("ins_e_eur", "users", 250.0, False),
    ],
    columns=["plan_id", "metric", "limit_value", "per_unit_limit"],
)
PLAN_INFO = PLANS.set_index("plan_id")


def item(customer: str, item_id: str, plan: str, quantity, mrr, month: int = M, fx: float = 1.0) -> tuple:
    p = PLAN_INFO.loc[plan]
    ptype = "core" if p["product_id"] in ("ws", "ins") else "add_on"
    return (customer, item_id, month, F(str(mrr)), plan, p["product_id"], ptype, p["tier_rank"],
            p["pricing_model"], p["billing_interval"], p["billing_interval_count"], p["currency"], fx,
            F(str(quantity)))  # fmt: skip


def items_frame(*rows: tuple) -> pd.DataFrame:
    return pd.DataFrame(list(rows), columns=ITEM_COLUMNS)


def trigger_frame(*rows: tuple) -> pd.DataFrame:
    """(customer, product, metric, usage, projected) rows of month M."""
    return pd.DataFrame(
        [(c, p, M, m, F(str(u)), None if pr is None else F(str(pr))) for c, p, m, u, pr in rows],
        columns=["customer_id", "product_id", "month_i", "metric", "usage", "projected_usage_90d"],
    )


# --------------------------------------------------------------------------- usage and utilisation
def test_monthly_usage_takes_the_latest_snapshot_of_the_month_and_skips_missing_months() -> None:
    snaps = pd.DataFrame(
        [
            ("A", "ws", "2026-01-31", "seats", 8.0),
            ("A", "ws", "2026-03-31", "seats", 10.0),
            ("A", "ws", "2026-03-10", "seats", 12.0),  # earlier in March: not the month's value
            ("A", "ws", "2026-03-31", "projects", 2.5),
        ],
        columns=["customer_id", "product_id", "snapshot_date", "metric", "value"],
    )
    snaps["snapshot_date"] = pd.to_datetime(snaps["snapshot_date"])
    usage = monthly_usage(snaps)
    got = {(r.metric, r.month_i): r.usage for r in usage.itertuples()}
    assert got == {("seats", M - 2): 8, ("seats", M): 10, ("projects", M): F(5, 2)}  # no February row


def test_limit_totals_multiply_per_unit_limits_by_quantity_and_sum_the_items() -> None:
    items = items_frame(item("A", "i1", "ws_b", 3, 30), item("A", "i2", "ws_p", 2, 40))
    totals = limit_totals(items, LIMITS)
    got = {r.metric: r.limit_value_total for r in totals.itertuples()}
    assert got == {"seats": 5, "projects": 60}  # 1×3 + 1×2; 10 + 50 (not per unit)


def usage_rows(*rows: tuple) -> pd.DataFrame:
    return pd.DataFrame(
        [(c, p, m, mi, F(str(v))) for c, p, m, mi, v in rows],
        columns=["customer_id", "product_id", "metric", "month_i", "usage"],
    )


def test_utilisation_is_exact_and_the_projection_needs_three_months() -> None:
    limits = pd.DataFrame(
        [("A", "ws", "seats", M, F(9)), ("A", "ws", "projects", M, F(0)), ("B", "ws", "seats", M, F(5))],
        columns=["customer_id", "product_id", "metric", "month_i", "limit_value_total"],
    )
    usage = usage_rows(
        ("A", "ws", "seats", M - 2, 1),
        ("A", "ws", "seats", M - 1, 4),
        ("A", "ws", "seats", M, 7),
        ("A", "ws", "projects", M, 3),
        ("B", "ws", "seats", M - 2, 1),  # no usage in M - 1: no projection
        ("B", "ws", "seats", M, 4),
    )
    util = utilisation(limits, usage).set_index(["customer_id", "metric"])
    assert util.loc[("A", "seats"), "utilization"] == F(7, 9)  # not 0.7778
    assert util.loc[("A", "seats"), "projected_usage_90d"] == 7 + F(3, 2) * (7 - 1)  # 16
    assert util.loc[("A", "projects"), "utilization"] is None  # limit 0
    assert util.loc[("B", "seats"), "utilization"] == F(4, 5)
    assert util.loc[("B", "seats"), "projected_usage_90d"] is None


# --------------------------------------------------------------------------- triggers
@pytest.mark.parametrize(
    ("metrics", "expected"),
    [
        ([("seats", F(10), F(1), None)], ("limit_reached", "seats")),  # exactly 1
        ([("seats", F(10), F(9999, 10000), None)], ("limit_approaching", "seats")),
        ([("seats", F(10), F(8, 10), None)], ("limit_approaching", "seats")),  # exactly 0.8
        ([("seats", F(10), F(7999, 10000), None)], None),
        ([("seats", F(10), F(7999, 10000), F(10))], ("limit_projected_90d", "seats")),  # projection = limit
        ([("seats", F(10), F(7999, 10000), F(9999, 1000))], None),
        # at most one: reached wins over approaching and projected; the highest utilisation is published
        (
            [("a", F(10), F(9, 10), F(30)), ("b", F(10), F(12, 10), None), ("c", F(10), F(5, 10), F(20))],
            ("limit_reached", "b"),
        ),
        # ties on utilisation: metric name ascending
        ([("z", F(10), F(9, 10), None), ("m", F(20), F(9, 10), None)], ("limit_approaching", "m")),
        # projected: the highest projection / limit among the metrics that fire (not the highest utilisation)
        (
            [("a", F(10), F(7, 10), F(11)), ("b", F(100), F(1, 10), F(150)), ("c", F(10), F(1, 2), F(9))],
            ("limit_projected_90d", "b"),
        ),
        # a metric without a limit (0) never fires the projection
        ([("a", F(0), None, F(5)), ("b", F(10), F(1, 10), None)], None),
        ([("a", F(10), None, None)], None),  # no usage
    ],
)
def test_choose_limit_trigger(metrics, expected) -> None:
    assert choose_limit_trigger(metrics) == expected


# --------------------------------------------------------------------------- estimates
def test_per_unit_estimate_buys_the_missing_units_at_the_current_mrr_per_unit() -> None:
    items = items_frame(
        item("A", "i1", "ws_b", 10, 100),  # 10 seats at 10
        item("E", "i1", "ws_p", 4, 60),  # 4 seats at 20 with 25 % off
        item("G", "i1", "ws_b", 2, 20),  # two items of ws on different plans: the limit of the top-MRR item
        item("G", "i2", "ws_p", 1, 20),
        item("G", "i3", "ws_p", "0.5", 10),
    )
    trig = trigger_frame(
        ("A", "ws", "seats", 10, 13),  # need 13: 13 − 10 = 3 units × 10
        ("E", "ws", "seats", 4, None),  # need 4 = current units: at least 1 unit × 15
        ("E", "ws", "seats", "4.5", "3"),  # need 4.5 -> ceil 5 − 4 = 1 × 15
        ("G", "ws", "seats", "3.5", "5.2"),  # 3.5 units now; need 5.2 -> 6 − 3.5 = 2.5 × 50/3.5
    )
    got = limit_estimates(trig, items, PLANS, LIMITS).tolist()
    assert got == [30, 15, 15, F(5, 2) * F(50) / F(7, 2)]


def test_plan_upgrade_estimate_takes_the_lowest_covering_higher_tier() -> None:
    items = items_frame(
        item("A", "i1", "ws_b", 10, 90),  # projects: basic 10 -> pro covers 40 (50); 20 × 10 − 90
        item("B", "i1", "ins_b", 1, 100),  # users 4 -> pro 25: 300 − 100
        item("C", "i1", "ins_b", 1, 500),  # priced above the pro list price: floored at 0
        item("D", "i1", "ins_p", 1, 300),  # no higher tier in USD monthly: null
        item("X", "i1", "ins_b_eur", 1, 99, fx=1.1),  # EUR: 30 users needs enterprise (250), not pro (25)
        item("Y", "i1", "ws_b", 3, 30),  # projects 600: no monthly USD plan covers it (the yearly does)
    )
    trig = trigger_frame(
        ("A", "ws", "projects", 8, 40),
        ("B", "ins", "users", 4, None),
        ("C", "ins", "users", 5, None),
        ("D", "ins", "users", 30, None),
        ("X", "ins", "users", 30, 12),
        ("Y", "ws", "projects", 600, None),
    )
    got = limit_estimates(trig, items, PLANS, LIMITS).tolist()
    assert got == [110, 200, 0, None, F(900) * F("1.1") - 99, None]


def test_plan_upgrade_normalises_the_list_price_of_yearly_plans() -> None:
    plans = pd.concat(
        [
            PLANS,
            pd.DataFrame([("ws_b_y", "ws", 1, "per_unit", "year", 1, 108.0, "USD")], columns=PLANS.columns),
        ],
        ignore_index=True,
    )
    limits = pd.concat(
        [LIMITS, pd.DataFrame([("ws_b_y", "projects", 10.0, False)], columns=LIMITS.columns)],
        ignore_index=True,
    )
    items = pd.DataFrame(
        [("Z", "i1", M, F(45), "ws_b_y", "ws", "core", 1, "per_unit", "year", 1, "USD", 1.0, F(5))],
        columns=ITEM_COLUMNS,
    )
    got = limit_estimates(trigger_frame(("Z", "ws", "projects", 12, None)), items, plans, limits).tolist()
    assert got == [F(180, 12) * 5 - 45]  # ws_p_y: 15 a month per seat × 5 − 45 = 30


# --------------------------------------------------------------------------- single_product
def test_exact_median() -> None:
    assert exact_median([F(3), F(1), F(2)]) == 2
    assert exact_median([F(50), F(30)]) == 40
    assert exact_median([]) is None


def test_size_segment() -> None:
    assert [size_segment(x) for x in (0, 99, 100, 999, 1000, None, float("nan"))] == [
        "smb", "smb", "mid_market", "mid_market", "enterprise", "unknown", "unknown",
    ]  # fmt: skip


def test_cross_sell_estimate_is_the_segment_median_on_the_most_co_held_core_product() -> None:
    core = pd.DataFrame(
        [
            ("F", M, "ins", F(100)), ("F", M, "ws", F(50)),
            ("G", M, "ins", F(300)), ("G", M, "ws", F(30)),
            ("K", M, "ins", F(200)), ("K", M, "crm", F(70)), ("K", M, "ws", F(80)),
            ("H", M, "ins", F(999)), ("H", M, "ws", F(999)),  # another segment
            ("L", M, "crm", F(10)), ("L", M, "bi", F(20)),  # crm/bi tie for L's peers: product_id order
        ],
        columns=["customer_id", "month_i", "product_id", "mrr"],
    )  # fmt: skip
    segments = {"F": "smb", "G": "smb", "K": "smb", "L": "smb", "H": "enterprise"}
    est = cross_sell_estimates(core, segments)
    assert est[("smb", M, "ins")] == 50  # ws held by F, G, K: median(50, 30, 80)
    assert est[("smb", M, "ws")] == 200  # ins held by F, G, K: median(100, 300, 200)
    assert est[("smb", M, "crm")] == 20  # K and L: bi 1 (L), ins 1 (K), ws 1 (K) -> bi; median(20)
    assert est[("enterprise", M, "ins")] == 999
    assert ("smb", M, "ai") not in est


def test_single_product_trigger_rules() -> None:
    items = items_frame(
        item("A", "i1", "ws_b", 10, 100),  # single, 15 months, health 90: fires (ws peers hold ins)
        item("D", "i1", "ins_p", 1, 300),  # single, health exactly 70: fires
        item("C", "i1", "ins_b", 1, 100),  # health 69.99: no
        item("N", "i1", "ins_b", 1, 100),  # active for 5 months only: no
        item("F", "i1", "ws_b", 5, 50),  # multi-product peers
        item("F", "i2", "ins_b", 1, 100),
        item("G", "i1", "ws_b", 3, 30),
        item("G", "i2", "ins_p", 1, 300),
        item("H", "i1", "ws_b", 1, 10),  # enterprise peer: not in the smb median
        item("H", "i2", "ins_p", 1, 300),
    )
    customers = pd.DataFrame(
        {"customer_id": list("ADCNFGH"), "employee_count": [50.0, 50, 50, 50, 50, 50, 5000]}
    )
    first = {"A": M - 14, "D": M - 5, "C": M - 14, "N": M - 4, "F": M - 14, "G": M - 14, "H": M - 14}
    fct = pd.DataFrame(
        [(c, m, 1.0) for c, f in first.items() for m in range(f, M + 1)],
        columns=["customer_id", "month_i", "mrr"],
    )
    health = health_frame(
        pd.DataFrame(
            {
                "customer_id": list("ADCNFGH"),
                "month": pd.Timestamp("2026-03-01"),
                "health_score": [90, Decimal("70.00"), 69.99, 95, 99, 99, 99],
            }
        )
    )
    got = single_product_triggers(items, fct, health, customers, [M])
    rows = {(r.customer_id, r.product_id): r.estimated_expansion_mrr for r in got.itertuples()}
    # A lacks ins: peers F, G hold ins at 100 and 300 -> 200; D lacks ws: peers' ws MRR 50, 30 -> 40
    assert rows == {("A", "ws"): 200, ("D", "ins"): 40}
    assert got["trigger"].eq("single_product").all() and got["metric"].isna().all()


def test_single_product_estimate_is_null_without_multi_product_peers() -> None:
    items = items_frame(item("A", "i1", "ws_b", 10, 100))
    fct = pd.DataFrame(
        [("A", m, 1.0) for m in range(M - 10, M + 1)], columns=["customer_id", "month_i", "mrr"]
    )
    health = health_frame(pd.DataFrame({"customer_id": ["A"], "month": ["2026-03-01"], "health_score": [80]}))
    customers = pd.DataFrame({"customer_id": ["A"], "employee_count": [float("nan")]})
    got = single_product_triggers(items, fct, health, customers, [M])
    assert len(got) == 1 and got["estimated_expansion_mrr"].iloc[0] is None


# --------------------------------------------------------------------------- priority and rank
def test_rank_orders_by_priority_then_customer_product_trigger() -> None:
    cols = ["customer_id", "product_id", "month_i", "trigger", "metric", "usage", "utilization",
            "projected_usage_90d", "limit_value_total", "estimated_expansion_mrr"]  # fmt: skip
    trig = pd.DataFrame(
        [
            ("B", "ws", M, "limit_reached", "seats", F(5), F(1), None, F(5), F(100)),  # 100 × 0.5 = 50
            ("A", "ws", M, "limit_reached", "seats", F(5), F(1), None, F(5), F(50)),  # 50 × 1.0 = 50 (tie)
            ("A", "ws", M, "single_product", None, None, None, None, None, F(50)),  # same priority, trigger
            ("C", "ins", M, "limit_approaching", "users", F(4), F(4, 5), None, F(5), None),  # null -> 0
            ("A", "ins", M, "limit_reached", "users", F(6), F(6, 5), None, F(5), F(10)),  # 10
            ("A", "ws", M - 1, "limit_reached", "seats", F(5), F(1), None, F(5), F(999)),  # other month
        ],
        columns=cols,
    )
    health = pd.DataFrame(
        {"customer_id": ["A", "B", "C"], "month": "2026-03-01", "health_score": [100.0, 50.0, 80.0]}
    )
    out = rank_opportunities(trig, health, M)
    assert out[["customer_id", "product_id", "trigger", "rank"]].values.tolist() == [
        ["A", "ws", "limit_reached", 1],
        ["A", "ws", "single_product", 2],
        ["B", "ws", "limit_reached", 3],
        ["A", "ins", "limit_reached", 4],
        ["C", "ins", "limit_approaching", 5],
    ]
    assert out["priority_score"].tolist() == [50, 50, 50, 10, 0]
    assert out["estimated_expansion_mrr"].iloc[4] is None
    assert out["month"].eq(pd.Timestamp("2026-03-01")).all()
    assert out.loc[4, "utilization"] == Decimal("0.8")


# --------------------------------------------------------------------------- comparison
def opportunity_rows() -> pd.DataFrame:
    return pd.DataFrame(
        [
            (pd.Timestamp("2026-03-01"), "A", "ws", "limit_reached", "seats", Decimal(2) / Decimal(3),
             Decimal("13"), Decimal("15"), Decimal("90.00"), Decimal("30"), Decimal("27"), 1),
            (pd.Timestamp("2026-03-01"), "B", "ins", "single_product", None, None, None, None,
             Decimal("80.00"), None, Decimal("0"), 2),
        ],
        columns=[
            "month", "customer_id", "product_id", "trigger", "metric", "utilization", "projected_usage_90d",
            "limit_value_total", "health_score", "estimated_expansion_mrr", "priority_score", "rank",
        ],
    )  # fmt: skip


def test_compare_accepts_the_warehouse_rounding() -> None:
    ref = opportunity_rows()
    wh = ref.copy()
    wh["month"] = [pd.Timestamp("2026-03-01").date()] * 2
    wh["utilization"] = [0.6667, None]  # 4 dp, as published
    wh["estimated_expansion_mrr"] = [Decimal("30.004"), float("nan")]
    wh["priority_score"] = [27.0, 0.0]
    assert compare_opportunities(ref, wh) == []


def test_compare_reports_every_difference() -> None:
    ref = opportunity_rows()
    wh = ref.copy()
    wh.loc[0, "utilization"] = Decimal("0.6668")
    wh.loc[0, "metric"] = "projects"
    wh.loc[0, "estimated_expansion_mrr"] = Decimal("30.02")
    wh.loc[0, "rank"] = 2
    wh.loc[1, "trigger"] = "limit_reached"  # B's single_product missing, an extra limit_reached
    problems = compare_opportunities(ref, wh)
    assert len(problems) == 6, problems
    text = "\n".join(problems)
    assert (
        "missing in the warehouse: month=2026-03, customer_id=B, product_id=ins, trigger=single_product"
        in text
    )
    assert "extra in the warehouse (not in the reference): month=2026-03, customer_id=B" in text
    assert "utilization reference=0.6666" in text and "warehouse=0.6668" in text
    assert "metric reference=seats warehouse=projects" in text
    assert "estimated_expansion_mrr reference=30 warehouse=30.02" in text
    assert "rank reference=1 warehouse=2" in text


def test_compare_on_a_sample_skips_company_wide_figures() -> None:
    ref = opportunity_rows()
    wh = ref.copy()
    wh["rank"] = [7, 3]  # global ranks of the whole company
    wh.loc[1, "estimated_expansion_mrr"] = Decimal("12")  # a median over the whole segment
    wh.loc[1, "priority_score"] = Decimal("9.6")
    assert compare_opportunities(ref, wh, sampled=True) == []
    assert len(compare_opportunities(ref, wh)) == 4  # rank × 2, estimate, priority
    assert compare_opportunities(ref, wh, customers=["A"]) == ["month=2026-03, customer_id=A, product_id=ws, "
                                                                "trigger=limit_reached: rank reference=1 "
                                                                "warehouse=7"]  # fmt: skip


# --------------------------------------------------------------------------- end to end, from raw files
def write_csv(folder: Path, name: str, header: str, rows: list[str]) -> None:
    (folder / f"{name}.csv").write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")


def started(customer: str, n: int, plan: str, quantity: int, day: str = "2025-01-05", extra: str = "") -> str:
    return (
        f"E{customer}{n},{day}T10:00:00Z,{day}T10:00:00Z,{customer},S{customer},I{customer}{n},item_started,"
        f"{plan},{quantity},,USD,{extra},"
    )


@pytest.fixture(scope="module")
def tiny_company(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("expansion_raw")
    customers = {"A": 50, "B": 50, "C": 50, "D": 50, "E": 50, "F": 50, "G": 50, "H": 5000, "I": 50}
    write_csv(
        folder,
        "customers",
        "customer_id,customer_name,created_at,country,industry,employee_count",
        [f"{c},{c} Ltd,2024-12-01T00:00:00Z,US,Software,{e}" for c, e in customers.items()],
    )
    write_csv(
        folder,
        "products",
        "product_id,product_name,product_type,base_product_id",
        ["ws,Workspace,core,", "ins,Insights,core,"],
    )
    write_csv(
        folder,
        "plans",
        "plan_id,product_id,plan_name,tier_rank,pricing_model,billing_interval,billing_interval_count,list_price,"
        "currency",
        [
            f"{p},{r.product_id},{p},{r.tier_rank},{r.pricing_model},{r.billing_interval},"
            f"{r.billing_interval_count},{r.list_price},{r.currency}"
            for p, r in PLAN_INFO.iterrows()
        ],
    )
    write_csv(
        folder,
        "plan_limits",
        "plan_id,metric,limit_value,per_unit_limit",
        [
            f"{r.plan_id},{r.metric},{r.limit_value},{str(r.per_unit_limit).lower()}"
            for r in LIMITS.itertuples()
        ],
    )
    write_csv(folder, "fx_rates", "rate_date,currency,rate_to_reporting", ["2024-12-01,EUR,1.1"])
    write_csv(
        folder,
        "subscription_events",
        "event_id,occurred_at,recorded_at,customer_id,subscription_id,item_id,event_type,plan_id,quantity,"
        "unit_price,currency,discount_percent,is_trial",
        [
            started("A", 1, "ws_b", 10),
            started("B", 1, "ins_b", 1),
            started("C", 1, "ins_b", 1),
            started("D", 1, "ins_p", 1),
            started("E", 1, "ws_p", 4, extra="25"),  # 4 × 20 × 75 % = 60
            started("F", 1, "ws_b", 5),
            started("F", 2, "ins_b", 1),
            started("G", 1, "ws_b", 3),
            started("G", 2, "ins_p", 1),
            started("H", 1, "ws_b", 1),
            started("H", 2, "ins_p", 1),
            started("I", 1, "ins_b", 1, day="2025-12-05"),  # 4 months at S: too new for single_product
        ],
    )
    snaps = [
        ("A", "ws", "2026-01-31", "seats", "8"),
        ("A", "ws", "2026-02-28", "seats", "9"),
        ("A", "ws", "2026-03-10", "seats", "12"),
        ("A", "ws", "2026-03-31", "seats", "10"),
        ("A", "ws", "2026-03-31", "projects", "2"),
        ("A", "ws", "2026-03-31", "logins", "900"),  # no limit: ignored
        ("B", "ins", "2026-01-31", "users", "4"),
        ("B", "ins", "2026-03-31", "users", "4"),  # no February: no projection
        ("C", "ins", "2026-01-31", "users", "1"),
        ("C", "ins", "2026-02-28", "users", "2"),
        ("C", "ins", "2026-03-31", "users", "3.99"),
        ("D", "ins", "2026-03-31", "users", "30"),
        ("E", "ws", "2026-03-31", "seats", "4"),
        ("F", "ws", "2026-03-31", "seats", "1"),
        ("I", "ins", "2026-03-31", "users", "1"),
        ("A", "ws", "2026-04-10", "seats", "50"),  # the as-of month: not S
    ]
    write_csv(
        folder,
        "usage_snapshots",
        "customer_id,product_id,snapshot_date,metric,value",
        [",".join(s) for s in snaps],
    )
    return folder


TINY_HEALTH = {"A": 90, "B": 80, "C": 60, "D": 70, "E": 50, "F": 60, "G": 60, "H": 60, "I": 95}


def test_opportunities_of_a_tiny_company(tiny_company: Path) -> None:
    tables = compute_all(tiny_company, "2026-04-15")
    health = pd.DataFrame(
        {"customer_id": list(TINY_HEALTH), "month": "2026-03-01", "health_score": list(TINY_HEALTH.values())}
    )
    out = expansion_opportunities(tables, "2026-04-15", health)
    got = [
        (
            r.customer_id,
            r.product_id,
            r.trigger,
            r.metric,
            r.estimated_expansion_mrr,
            r.priority_score,
            r.rank,
        )
        for r in out.itertuples()
    ]
    assert got == [
        ("A", "ws", "single_product", None, 200, 180, 1),  # smb ws holders F, G: ins MRR 100, 300 (not H's)
        ("B", "ins", "limit_approaching", "users", 200, 160, 2),  # 4 / 5 = 0.8; pro 300 − 100
        ("C", "ins", "limit_projected_90d", "users", 200, 120, 3),  # 0.798; 3.99 + 1.5 × 2.99 = 8.475 ≥ 5
        ("B", "ins", "single_product", None, 40, 32, 4),  # smb ins holders F, G: ws MRR 50, 30
        ("D", "ins", "single_product", None, 40, 28, 5),  # health exactly 70
        ("A", "ws", "limit_reached", "seats", 30, 27, 6),  # 10 / 10; need 10 + 1.5 × 2 = 13 -> 3 seats × 10
        ("E", "ws", "limit_reached", "seats", 15, Decimal("7.5"), 7),  # 4 / 4; at least 1 seat × 15
        ("D", "ins", "limit_reached", "users", None, 0, 8),  # 30 / 25; no higher tier
    ]
    by_key = out.set_index(["customer_id", "trigger"])
    assert by_key.loc[("C", "limit_projected_90d"), "utilization"] == Decimal("0.798")
    assert by_key.loc[("C", "limit_projected_90d"), "projected_usage_90d"] == Decimal("8.475")
    assert by_key.loc[("A", "limit_reached"), "limit_value_total"] == 10
    assert by_key.loc[("D", "limit_reached"), "utilization"] == Decimal("1.2")
    assert out["month"].eq(pd.Timestamp("2026-03-01")).all()
    assert compare_opportunities(out, out.copy()) == []


def test_no_usage_snapshots_no_opportunities() -> None:
    golden = Path(__file__).resolve().parent / "fixtures" / "golden"  # no usage_snapshots file
    tables = compute_all(golden, "2025-12-31")
    active = tables["fct_mrr"][tables["fct_mrr"]["mrr"] > 0]
    health = active[["customer_id", "month"]].assign(health_score=99)
    out = expansion_opportunities(tables, "2025-12-31", health)
    assert out.empty and list(out.columns) == OPPORTUNITY_COLUMNS
