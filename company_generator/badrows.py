"""The fixed, documented set of bad rows planted into a generated company (``bad_rows=True``).

Every bad row is recognisable from its data alone (there is no marker column). The keys are the same
for every seed; the rows reference customer ``C0000001`` (the first customer to sign up in the first
block) and customer ``C0000002``, so a company needs at least 5 customers for them to be planted.
Rows whose defect cannot be represented in a typed Parquet column (an unparseable timestamp or number)
are written to CSV output only.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pyarrow as pa
import pyarrow.compute as pc

from .tables import SCHEMAS, to_csv_strings

MIN_CUSTOMERS = 5
BOTH = ("csv", "parquet")
CSV_ONLY = ("csv",)


def _bad(table: str, key: str, problem: str, formats: tuple[str, ...] = BOTH, **match: str) -> dict:
    key_col = {
        "subscription_events": "event_id",
        "usage_charges": "charge_id",
        "one_time_charges": "charge_id",
        "plans": "plan_id",
        "customers": "customer_id",
    }[table]
    return {
        "table": table,
        "key_column": key_col,
        "key": key,
        "problem": problem,
        "formats": formats,
        "match": {key_col: key, **match},
    }


SE = "subscription_events"
PLANTED_BAD_ROWS: list[dict] = [
    _bad(
        SE,
        "E0000001-001",
        "exact duplicate: the item_started event is redelivered with identical content "
        "(appears twice; count it once)",
    ),
    _bad(
        SE,
        "E0000002-001",
        "duplicate event_id with different content: the second copy has quantity + 5 and a "
        "recorded_at 2 days later",
    ),
    _bad(SE, "EV-P003", "unknown plan_id ws_platinum_m_usd"),
    _bad(SE, "EV-P004", "unknown customer_id C0000000"),
    _bad(SE, "EV-P005", "negative quantity -3"),
    _bad(SE, "EV-P006", "discount_percent 150 (outside 0-100)"),
    _bad(SE, "EV-P007", "unparseable occurred_at 2025-13-45T00:00:00Z", CSV_ONLY),
    _bad(SE, "EV-P008", "unknown event_type item_upgraded"),
    _bad(SE, "EV-P009", "item_changed for item IP-009 that has no earlier item_started"),
    _bad(
        SE,
        "EV-P010c",
        "item_changed 30 days after the item's item_ended (item IP-010: EV-P010a started, "
        "EV-P010b ended; those two are valid)",
    ),
    _bad(SE, "", "empty event_id (an item_started of item IP-011)", item_id="IP-011"),
    _bad(SE, "EV-P012", "unparseable quantity 'ten'", CSV_ONLY),
    _bad("usage_charges", "UP-001", "period_end before period_start"),
    _bad("usage_charges", "UP-002", "negative amount -12.5"),
    _bad("one_time_charges", "OP-001", "currency JPY has no fx rate"),
    _bad("plans", "ws_legacy_m_usd", "negative list_price -12"),
    _bad(
        "customers",
        "",
        "empty customer_id (customer_name Nameless Holdings)",
        customer_name="Nameless Holdings",
    ),
]


def _ts(seconds: int) -> datetime:
    return datetime.fromtimestamp(seconds, tz=UTC)


def _event(
    event_id: str,
    t: datetime,
    item: str,
    etype: str = "item_started",
    customer: str = "C0000001",
    plan: str | None = "ws_basic_m_usd",
    quantity: str | None = "5",
    discount: str | None = None,
) -> dict:
    return {
        "event_id": event_id,
        "occurred_at": t,
        "recorded_at": t,
        "customer_id": customer,
        "subscription_id": "SP-" + item[3:],
        "item_id": item,
        "event_type": etype,
        "plan_id": plan,
        "quantity": None if quantity is None else Decimal(quantity),
        "unit_price": None,
        "currency": "USD",
        "discount_percent": None if discount is None else Decimal(discount),
        "is_trial": False,
    }


def _stringify(rows: list[dict]) -> list[dict]:
    out = []
    for r in rows:
        s = {}
        for k, v in r.items():
            if isinstance(v, datetime):
                s[k] = v.strftime("%Y-%m-%dT%H:%M:%SZ")
            elif isinstance(v, bool):
                s[k] = "true" if v else "false"
            else:
                s[k] = None if v is None else str(v)
        out.append(s)
    return out


def _find(table: pa.Table, event_id: str) -> dict:
    rows = table.filter(pc.equal(table["event_id"], event_id)).to_pylist()
    return rows[0]


def planted_rows(
    events0: pa.Table, anchor_s: int, start_s: int, end_s: int
) -> dict[str, tuple[pa.Table, list[dict]]]:
    """Bad rows per table: (typed rows for every format, extra string rows for CSV only).

    ``events0`` is the first block's event table; ``anchor_s`` the sign-up time of C0000001 (seconds).
    """
    base = max(anchor_s + 15 * 86_400, start_s + 30 * 86_400)
    base = min(base, end_s - 90 * 86_400)
    b = _ts(base - base % 86_400 + 10 * 3600)
    day = timedelta(days=1)

    dup = _find(events0, "E0000001-001")
    conflict = dict(_find(events0, "E0000002-001"))
    conflict["quantity"] = (conflict["quantity"] or Decimal(1)) + 5
    conflict["recorded_at"] = conflict["occurred_at"] + 2 * day
    events = [
        dup,
        conflict,
        _event("EV-P003", b + day, "IP-003", plan="ws_platinum_m_usd"),
        _event("EV-P004", b + 2 * day, "IP-004", customer="C0000000"),
        _event("EV-P005", b + 3 * day, "IP-005", quantity="-3"),
        _event("EV-P006", b + 4 * day, "IP-006", discount="150"),
        _event("EV-P008", b + 6 * day, "IP-008", etype="item_upgraded"),
        _event("EV-P009", b + 7 * day, "IP-009", etype="item_changed", quantity="8"),
        _event("EV-P010a", b + 8 * day, "IP-010", plan="ins_basic_m_usd", quantity="1"),
        _event("EV-P010b", b + 15 * day, "IP-010", etype="item_ended", plan="ins_basic_m_usd", quantity="1"),
        _event("EV-P010c", b + 45 * day, "IP-010", etype="item_changed", plan="ins_pro_m_usd", quantity="1"),
        _event("", b + 9 * day, "IP-011"),
    ]
    csv_events = _stringify(
        [
            _event("EV-P007", b, "IP-007"),
            _event("EV-P012", b + 10 * day, "IP-012"),
        ]
    )
    csv_events[0]["occurred_at"] = "2025-13-45T00:00:00Z"
    csv_events[0]["recorded_at"] = None
    csv_events[1]["quantity"] = "ten"

    d0 = b.date()
    usage = [
        {
            "charge_id": "UP-001",
            "customer_id": "C0000001",
            "item_id": None,
            "plan_id": "api_basic_m_usd",
            "period_start": d0 + 30 * day,
            "period_end": d0,
            "usage_quantity": Decimal(1000),
            "amount": Decimal(2),
            "currency": "USD",
        },
        {
            "charge_id": "UP-002",
            "customer_id": "C0000001",
            "item_id": None,
            "plan_id": "api_basic_m_usd",
            "period_start": d0,
            "period_end": d0 + 29 * day,
            "usage_quantity": Decimal(6250),
            "amount": Decimal("-12.5"),
            "currency": "USD",
        },
    ]
    otc = [
        {
            "charge_id": "OP-001",
            "customer_id": "C0000001",
            "charged_at": b + 3 * day,
            "amount": Decimal(150000),
            "currency": "JPY",
            "category": "services",
        }
    ]
    plans = [
        {
            "plan_id": "ws_legacy_m_usd",
            "product_id": "workspace",
            "plan_name": "Legacy USD",
            "tier_rank": 1,
            "pricing_model": "per_unit",
            "billing_interval": "month",
            "billing_interval_count": 1,
            "list_price": Decimal(-12),
            "currency": "USD",
        }
    ]
    customers = [
        {
            "customer_id": "",
            "customer_name": "Nameless Holdings",
            "created_at": _ts(start_s),
            "country": "US",
            "industry": "Retail",
            "employee_count": 40,
        }
    ]

    def typed(name: str, rows: list[dict]) -> pa.Table:
        return pa.Table.from_pylist(rows, schema=SCHEMAS[name])

    return {
        "subscription_events": (typed(SE, events), csv_events),
        "usage_charges": (typed("usage_charges", usage), []),
        "one_time_charges": (typed("one_time_charges", otc), []),
        "plans": (typed("plans", plans), []),
        "customers": (typed("customers", customers), []),
    }


def csv_rows_table(name: str, rows: list[dict]) -> pa.Table:
    cols = SCHEMAS[name].names
    return pa.table({c: pa.array([r.get(c) for r in rows], pa.string()) for c in cols})


def append_bad(name: str, table: pa.Table, bad: tuple[pa.Table, list[dict]], fmt: str) -> pa.Table:
    """Append the planted rows of one table (CSV: as strings, including the CSV-only rows)."""
    typed_rows, csv_only = bad
    if fmt == "parquet":
        return pa.concat_tables([table, typed_rows])
    parts = [to_csv_strings(table), to_csv_strings(typed_rows)]
    if csv_only:
        parts.append(csv_rows_table(name, csv_only))
    return pa.concat_tables(parts)
