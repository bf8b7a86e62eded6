"""``generate_stripe_company``: the synthetic company in the shape of Fivetran's Stripe connector tables, so
that one company can be built through both doors (``--source contract`` and ``--source stripe``) and the
marts compared row for row (docs/adapters.md; DECISIONS.md D-53).

The company is generated in the raw contract's layout first (``generate_company``), then encoded:

- the rows the contract build accepts are encoded: the planted bad rows that it rejects are left out, the
  conflicting copy of ``E0000002-001`` that it keeps (recorded last) wins, and exact copies collapse;
- every contract item becomes one Stripe subscription ``sub_<item_id>`` with one item ``<item_id>``: the
  contract holds a discount and a trial per item, Stripe per subscription;
- each stretch of constant state becomes one billed line (period = the stretch); a pause is a gap in the
  billed lines (a paused item that ends is billed once more at its end, after the end, to close the gap); a
  change while paused, and the plan changes of a metered item, are proration lines with a positive amount;
- a negotiated price is a price of its own, ``<plan_id>-<minor units>`` (same product, tier and interval;
  its plan limits copied); discounts are percent-off coupons ``pct_<percent>`` in subscription_discount
  windows; trials are the subscription's trial_start and trial_end;
- usage charges are the billed lines of the metered item; one-time charges are one-time lines (on a
  one-time price per currency); fx_rates, plan_limits and usage_snapshots are written in the contract's
  format (they are copied by the adapter). Amounts are written in minor units with the decimals the
  contract's amounts have (usage amounts can have fractions of a cent; a real Stripe export rounds them).
"""

from __future__ import annotations

import csv
import shutil
import tempfile
from collections import defaultdict
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from .core import generate_company

# The planted rows the contract build rejects (README of seeds/, "Planted bad rows"), by table and key.
REJECTED_PLANTED = {
    "subscription_events": {
        "EV-P003",
        "EV-P004",
        "EV-P005",
        "EV-P006",
        "EV-P007",
        "EV-P008",
        "EV-P009",
        "EV-P010c",
        "",
        "EV-P012",
    },
    "usage_charges": {"UP-001", "UP-002"},
    "one_time_charges": {"OP-001"},
    "plans": {"ws_legacy_m_usd"},
    "customers": {""},
}
KEYS = {
    "customers": "customer_id",
    "products": "product_id",
    "plans": "plan_id",
    "subscription_events": "event_id",
    "usage_charges": "charge_id",
    "one_time_charges": "charge_id",
}
COPIED_TABLES = ("fx_rates", "usage_snapshots")
OPEN_PERIOD = timedelta(days=30)
STRIPE_TIME = "%Y-%m-%d %H:%M:%S"


@dataclass(frozen=True)
class State:
    """An item's full state after an event (the contract's item state)."""

    plan_id: str
    quantity: Decimal
    unit_price: Decimal | None
    discount: Decimal
    is_trial: bool
    status: str  # active, paused, ended


def read_rows(path: Path) -> list[dict[str, str]]:
    if not path.exists():
        return []
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def accepted_rows(table: str, rows: list[dict[str, str]]) -> list[dict[str, str]]:
    """The rows of a generated contract table that the contract build keeps: planted rejected rows out,
    exact copies collapsed, and among rows sharing a key the one recorded last (the conflicting copy)."""
    rejected = REJECTED_PLANTED.get(table, set())
    key = KEYS.get(table)
    kept: dict[str, dict[str, str]] = {}
    for row in rows:
        if key is None:
            kept[str(len(kept))] = row
            continue
        if row[key] in rejected:
            continue
        previous = kept.get(row[key])
        if previous is None or (row.get("recorded_at") or "") > (previous.get("recorded_at") or ""):
            kept[row[key]] = row
    return list(kept.values())


def parse_time(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC).replace(tzinfo=None)


def stripe_time(moment: datetime) -> str:
    return moment.strftime(STRIPE_TIME)


def minor_units(amount: Decimal) -> str:
    """A decimal amount in cents, as a plain decimal (fractions of a cent kept)."""
    value = (amount * 100).normalize()
    return f"{value:f}"


def event_order(event: dict[str, str]) -> tuple:
    return (parse_time(event["occurred_at"]), event.get("recorded_at") or "", event["event_id"])


def item_states(
    events: list[dict[str, str]], plans: dict[str, dict[str, str]]
) -> list[tuple[datetime, State]]:
    """The contract's item states (int_item_states): a blank cell keeps the previous value; a new plan
    without unit_price takes the new plan's list price; item_started fills the defaults."""
    states: list[tuple[datetime, State]] = []
    state: State | None = None
    status_of = {
        "item_started": "active",
        "item_paused": "paused",
        "item_resumed": "active",
        "item_ended": "ended",
    }
    for event in sorted(events, key=event_order):
        plan_id = event["plan_id"] or (state.plan_id if state else "")
        started = event["event_type"] == "item_started" or state is None
        new_plan = started or plan_id != state.plan_id
        price = Decimal(event["unit_price"]) if event["unit_price"] else None
        if price is None and not new_plan:
            price = state.unit_price
        if price is None:
            list_price = plans[plan_id]["list_price"]
            price = Decimal(list_price) if list_price else None
        state = State(
            plan_id=plan_id,
            quantity=Decimal(event["quantity"])
            if event["quantity"]
            else (Decimal(1) if started else state.quantity),
            unit_price=price,
            discount=Decimal(event["discount_percent"])
            if event["discount_percent"]
            else (Decimal(0) if started else state.discount),
            is_trial=(event["is_trial"] == "true")
            if event["is_trial"]
            else (False if started else state.is_trial),
            status=status_of.get(event["event_type"], state.status if not started else "active"),
        )
        moment = parse_time(event["occurred_at"])
        if states and states[-1][0] == moment:
            states[-1] = (moment, state)
        else:
            states.append((moment, state))
    return states


class StripeWriter:
    """Collects the Stripe tables' rows while the items are encoded."""

    def __init__(self, plans: dict[str, dict[str, str]]):
        self.plans = plans
        self.tables: dict[str, list[dict[str, str]]] = defaultdict(list)
        self.custom_prices: dict[str, str] = {}  # custom price id -> base plan id
        self.coupons: set[Decimal] = set()

    def price_id(self, state: State) -> str:
        plan = self.plans[state.plan_id]
        if plan["pricing_model"] == "usage" or state.unit_price == Decimal(plan["list_price"]):
            return state.plan_id
        custom = f"{state.plan_id}-{minor_units(state.unit_price)}"
        self.custom_prices[custom] = state.plan_id
        return custom

    def line(
        self,
        item: dict[str, str],
        number: int,
        state: State,
        start: datetime,
        end: datetime,
        proration: bool,
        amount: str | None = None,
        quantity: str | None = None,
    ) -> None:
        plan = self.plans[state.plan_id]
        line_id = f"il_{item['item_id']}_{number:03d}"
        invoice_id = f"in_{item['item_id']}_{number:03d}"
        flat_or_usage = plan["pricing_model"] in ("flat", "usage")
        units = Decimal(1) if flat_or_usage else state.quantity
        self.tables["invoice"].append(
            {
                "id": invoice_id,
                "customer_id": item["customer_id"],
                "created": stripe_time(start),
                "status": "paid",
            }
        )
        if amount is None:
            price = state.unit_price or Decimal(0)
            amount = "0" if state.is_trial else minor_units(price * units)
        self.tables["invoice_line_item"].append(
            {
                "id": line_id,
                "invoice_id": invoice_id,
                "subscription_id": f"sub_{item['item_id']}",
                "subscription_item_id": item["item_id"],
                "price_id": self.price_id(state),
                "proration": "true" if proration else "false",
                "quantity": quantity or f"{units.normalize():f}",
                "amount": amount,
                "currency": plan["currency"],
                "period_start": stripe_time(start),
                "period_end": stripe_time(end),
            }
        )

    def encode_item(
        self, item: dict[str, str], states: list[tuple[datetime, State]], usage: list[dict[str, str]]
    ) -> None:
        """One contract item as a Stripe subscription with one item, its billed and proration lines, its
        trial and its discount windows."""
        start = states[0][0]
        ended = [moment for moment, state in states if state.status == "ended"]
        end = ended[0] if ended else None
        live = [(moment, state) for moment, state in states if end is None or moment < end]
        is_usage = self.plans[live[0][1].plan_id]["pricing_model"] == "usage"
        number = 0
        for index, (moment, state) in enumerate(live):
            following = live[index + 1][0] if index + 1 < len(live) else end
            previous = live[index - 1][1] if index else None
            if is_usage:
                if previous is None or previous.plan_id != state.plan_id:
                    number += 1
                    self.line(item, number, state, moment, following or moment + OPEN_PERIOD, True, "1", "1")
            elif state.status == "active":
                number += 1
                self.line(item, number, state, moment, following or moment + OPEN_PERIOD, False)
            elif previous is not None and (previous.plan_id, previous.unit_price, previous.quantity) != (
                state.plan_id,
                state.unit_price,
                state.quantity,
            ):
                number += 1  # a change while paused: observed without ending the pause
                self.line(item, number, state, moment, following or moment + OPEN_PERIOD, True, "1")
        last = live[-1][1]
        if end is not None and last.status == "paused":
            number += 1  # billed once more at the end, so that the pause runs until the end
            self.line(item, number, last, end, end + timedelta(days=1), False)
        for charge in usage:
            number += 1
            period_start = max(datetime.fromisoformat(charge["period_start"]), start)
            period_end = datetime.fromisoformat(charge["period_end"]) + timedelta(days=1)
            state = replace(last, plan_id=charge["plan_id"])
            self.line(
                item, number, state, period_start, period_end, False,
                minor_units(Decimal(charge["amount"])), charge["usage_quantity"],
            )  # fmt: skip
        self.subscription(item, states, start, end, last)

    def subscription(
        self,
        item: dict[str, str],
        states: list[tuple[datetime, State]],
        start: datetime,
        end: datetime | None,
        last: State,
    ) -> None:
        trial_moments = [moment for moment, state in states if state.is_trial]
        trial_end = next((moment for moment, state in states if not state.is_trial and trial_moments), None)
        if trial_moments and trial_end is None:
            trial_end = end or datetime(9999, 1, 1)
        status = "canceled" if end else ("paused" if last.status == "paused" else "active")
        self.tables["subscription_history"].append(
            {
                "id": f"sub_{item['item_id']}",
                "customer_id": item["customer_id"],
                "status": status,
                "trial_start": stripe_time(trial_moments[0]) if trial_moments else "",
                "trial_end": stripe_time(trial_end) if trial_moments else "",
                "ended_at": stripe_time(end) if end else "",
            }
        )
        self.tables["subscription_item"].append(
            {
                "id": item["item_id"],
                "subscription_id": f"sub_{item['item_id']}",
                "created": stripe_time(start),
                "plan_id": self.price_id(last),
                "quantity": f"{last.quantity.normalize():f}",
            }
        )
        self.discounts(item, states, end)

    def discounts(
        self, item: dict[str, str], states: list[tuple[datetime, State]], end: datetime | None
    ) -> None:
        """Windows of equal discount > 0, each a subscription_discount row of coupon pct_<percent>."""
        windows: list[tuple[Decimal, datetime, datetime | None]] = []
        for moment, state in states:
            if end is not None and moment >= end:
                break
            if windows and windows[-1][2] is None and windows[-1][0] != state.discount:
                windows[-1] = (windows[-1][0], windows[-1][1], moment)
            if state.discount > 0 and (not windows or windows[-1][2] is not None):
                windows.append((state.discount, moment, None))
        for number, (percent, window_start, window_end) in enumerate(windows, start=1):
            self.coupons.add(percent)
            self.tables["subscription_discount"].append(
                {
                    "id": f"di_{item['item_id']}_{number:02d}",
                    "coupon_id": f"pct_{percent.normalize():f}",
                    "subscription_id": f"sub_{item['item_id']}",
                    "start": stripe_time(window_start),
                    "end": stripe_time(window_end) if window_end else "",
                }
            )


def catalog_rows(
    writer: StripeWriter, products: list[dict[str, str]], plan_limits: list[dict[str, str]]
) -> list[dict[str, str]]:
    """Products, prices (the plans, the negotiated prices, one one-time price per currency) and coupons;
    returns plan_limits with rows for the negotiated prices."""
    for product in products:
        metadata = {"saas_product_type": product["product_type"]}
        if product["base_product_id"]:
            metadata["saas_base_product_id"] = product["base_product_id"]
        writer.tables["product"].append(
            {"id": product["product_id"], "name": product["product_name"], "metadata": json_text(metadata)}
        )
    prices = [(plan_id, plan_id) for plan_id in writer.plans] + sorted(writer.custom_prices.items())
    for price_id, plan_id in prices:
        plan = writer.plans[plan_id]
        metadata = {"saas_tier_rank": plan["tier_rank"]}
        if plan["pricing_model"] == "flat":
            metadata["saas_pricing_model"] = "flat"
        amount = Decimal(price_id.rsplit("-", 1)[1]) / 100 if price_id != plan_id else plan["list_price"]
        writer.tables["price"].append(
            {
                "id": price_id,
                "product_id": plan["product_id"],
                "currency": plan["currency"],
                "unit_amount_decimal": minor_units(Decimal(amount)) if amount != "" else "",
                "recurring_interval": plan["billing_interval"],
                "recurring_interval_count": plan["billing_interval_count"],
                "recurring_usage_type": "metered" if plan["pricing_model"] == "usage" else "licensed",
                "nickname": plan["plan_name"],
                "metadata": json_text(metadata),
            }
        )
    for currency in sorted({plan["currency"] for plan in writer.plans.values()}):
        writer.tables["price"].append(
            {
                "id": f"one_time_{currency.lower()}",
                "product_id": products[0]["product_id"],
                "currency": currency,
                "unit_amount_decimal": "0",
                "nickname": "One-time charge",
            }
        )
    for percent in sorted(writer.coupons):
        writer.tables["coupon"].append(
            {
                "id": f"pct_{percent.normalize():f}",
                "percent_off": f"{percent.normalize():f}",
                "duration": "forever",
            }
        )
    limits_by_plan = defaultdict(list)
    for row in plan_limits:
        limits_by_plan[row["plan_id"]].append(row)
    extra = [
        {**row, "plan_id": custom}
        for custom, plan_id in sorted(writer.custom_prices.items())
        for row in limits_by_plan[plan_id]
    ]
    return plan_limits + extra


def json_text(values: dict[str, str]) -> str:
    import json

    return json.dumps(values, sort_keys=True)


STRIPE_COLUMNS = {
    "customer": ["id", "created", "name", "address_country", "metadata"],
    "product": ["id", "name", "metadata"],
    "price": [
        "id",
        "product_id",
        "currency",
        "unit_amount_decimal",
        "unit_amount",
        "recurring_interval",
        "recurring_interval_count",
        "recurring_usage_type",
        "nickname",
        "metadata",
    ],
    "subscription_history": ["id", "customer_id", "status", "trial_start", "trial_end", "ended_at"],
    "subscription_item": ["id", "subscription_id", "created", "plan_id", "quantity"],
    "invoice": ["id", "customer_id", "created", "status"],
    "invoice_line_item": [
        "id",
        "invoice_id",
        "subscription_id",
        "subscription_item_id",
        "price_id",
        "proration",
        "quantity",
        "amount",
        "currency",
        "period_start",
        "period_end",
    ],
    "coupon": ["id", "percent_off", "amount_off", "duration", "duration_in_months"],
    "subscription_discount": ["id", "coupon_id", "subscription_id", "start", "end"],
    "plan_limits": ["plan_id", "metric", "limit_value", "per_unit_limit"],
}


def write_table(out_dir: Path, name: str, rows: list[dict[str, str]]) -> int:
    with (out_dir / f"{name}.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=STRIPE_COLUMNS[name], extrasaction="raise", restval="")
        writer.writeheader()
        writer.writerows(rows)
    return len(rows)


def encode_company(contract_dir: Path, out_dir: Path) -> dict[str, int]:
    """Write the Stripe tables of a generated contract landing folder (CSV) into out_dir."""
    tables = {name: accepted_rows(name, read_rows(contract_dir / f"{name}.csv")) for name in KEYS}
    plans = {plan["plan_id"]: plan for plan in tables["plans"]}
    writer = StripeWriter(plans)
    events_by_item: dict[str, list[dict[str, str]]] = defaultdict(list)
    for event in tables["subscription_events"]:
        events_by_item[event["item_id"]].append(event)
    usage_by_item: dict[str, list[dict[str, str]]] = defaultdict(list)
    for charge in tables["usage_charges"]:
        usage_by_item[charge["item_id"]].append(charge)
    for item_id in sorted(events_by_item):
        events = events_by_item[item_id]
        item = {"item_id": item_id, "customer_id": events[0]["customer_id"]}
        writer.encode_item(
            item, item_states(events, plans), sorted(usage_by_item[item_id], key=lambda c: c["period_start"])
        )
    for customer in tables["customers"]:
        metadata = {key: customer[key] for key in ("industry", "employee_count") if customer[key]}
        writer.tables["customer"].append(
            {
                "id": customer["customer_id"],
                "created": stripe_time(parse_time(customer["created_at"])),
                "name": customer["customer_name"],
                "address_country": customer["country"],
                "metadata": json_text(metadata),
            }
        )
    for charge in tables["one_time_charges"]:
        invoice_id = f"in_{charge['charge_id']}"
        charged_at = stripe_time(parse_time(charge["charged_at"]))
        writer.tables["invoice"].append(
            {"id": invoice_id, "customer_id": charge["customer_id"], "created": charged_at, "status": "paid"}
        )
        writer.tables["invoice_line_item"].append(
            {
                "id": charge["charge_id"],
                "invoice_id": invoice_id,
                "price_id": f"one_time_{charge['currency'].lower()}",
                "proration": "false",
                "quantity": "1",
                "amount": minor_units(Decimal(charge["amount"])),
                "currency": charge["currency"],
                "period_start": charged_at,
                "period_end": charged_at,
            }
        )
    plan_limits = catalog_rows(writer, tables["products"], read_rows(contract_dir / "plan_limits.csv"))
    out_dir.mkdir(parents=True, exist_ok=True)
    counts = {
        name: write_table(out_dir, name, writer.tables[name])
        for name in STRIPE_COLUMNS
        if name != "plan_limits"
    }
    counts["plan_limits"] = write_table(out_dir, "plan_limits", plan_limits)
    for name in COPIED_TABLES:
        shutil.copyfile(contract_dir / f"{name}.csv", out_dir / f"{name}.csv")
        counts[name] = len(read_rows(out_dir / f"{name}.csv"))
    return counts


def generate_stripe_company(
    out_dir: Path, customers: int, seed: int = 42, bad_rows: bool = True
) -> dict[str, int]:
    """The company of ``generate_company(out_dir, customers, seed, bad_rows=bad_rows)`` in the Stripe shape
    (CSV): the rows its contract build accepts, encoded as Fivetran's Stripe tables."""
    out_dir = Path(out_dir)
    with tempfile.TemporaryDirectory(prefix="saas-warehouse-stripe-") as scratch:
        generate_company(Path(scratch), customers=customers, seed=seed, fmt="csv", bad_rows=bad_rows)
        return encode_company(Path(scratch), out_dir)
