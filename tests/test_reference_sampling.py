"""The reference on a deterministic sample of customers (independent_metrics/sampling.py)."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pandas as pd
import pytest

from company_generator import generate_company
from independent_metrics import compute_all, compute_sampled, load_raw, load_sample
from independent_metrics.loading import TABLES
from independent_metrics.sampling import (
    HASH_SPACE,
    choose_customers,
    customer_hash,
    filtered_rows,
    in_sample,
    sample_rule,
)

AS_OF = "2026-10-31"
CUSTOMERS = 3000
MAX_CUSTOMERS = 500
# seed 42, 3000 customers: the customers whose sha256 falls below 500 / 3000 of the hash space
EXPECTED_SAMPLED = 465
EXPECTED_FIRST_SAMPLED = ["C0000001", "C0000011", "C0000016"]


def keep_all(keys: pd.DataFrame) -> pd.Series:
    return pd.Series(True, index=keys.index)


@pytest.fixture(scope="module")
def company(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("company") / "landing"
    generate_company(folder, CUSTOMERS, fmt="csv")
    return folder


@pytest.fixture(scope="module")
def full(company: Path) -> dict[str, pd.DataFrame]:
    return compute_all(company, AS_OF)


def per_customer(table: pd.DataFrame, customers: frozenset[str]) -> pd.DataFrame:
    rows = table[table["customer_id"].isin(customers)]
    return rows.sort_values(["customer_id", "month_i"], ignore_index=True)


# ------------------------------------------------------------------------------------------------ the rule
def test_the_hash_is_sha256_first_eight_bytes_big_endian() -> None:
    # `printf C1 | sha256sum` starts ab861dc170dc2e43; `printf C0000001 | sha256sum` 08ff16851f5a78c2
    assert customer_hash("C1") == 0xAB861DC170DC2E43
    assert customer_hash("C0000001") == 0x08FF16851F5A78C2


def test_a_customer_is_in_the_sample_when_its_hash_is_below_the_fraction() -> None:
    # C0000001's hash is 0.0352 of the space, C1's 0.670
    assert in_sample("C0000001", 4, 100)  # fraction 0.04
    assert not in_sample("C0000001", 3, 100)  # fraction 0.03
    assert in_sample("C1", 68, 100) and not in_sample("C1", 67, 100)
    assert in_sample("C1", 5, 5)  # at most max_customers: everyone
    assert customer_hash("C1") * 100 >= 67 * HASH_SPACE


def test_choose_customers_takes_everyone_up_to_the_limit() -> None:
    ids = {f"C{n}" for n in range(10)}
    assert choose_customers(ids, 10) == frozenset(ids)
    assert choose_customers(ids, 3) == frozenset(c for c in ids if in_sample(c, 3, 10))
    assert "all 10 customers" in sample_rule(10, 10)
    assert "h / 2^64 < 3 / 10" in sample_rule(10, 3)


# ------------------------------------------------------------------------------------------------ reading
def test_batched_reading_gives_load_raw_frames_csv_and_parquet(
    company: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    parquet = tmp_path_factory.mktemp("parquet") / "landing"
    generate_company(parquet, 400, fmt="parquet")
    for folder in (company, parquet):
        whole = load_raw(folder)
        for table in TABLES:
            batched = filtered_rows(folder, table, keep_all, [], batch_rows=97)
            pd.testing.assert_frame_equal(batched, whole[table], obj=f"{folder.name}/{table}")


# ------------------------------------------------------------------------------------------------ the sample
def test_the_sample_is_deterministic_and_of_the_expected_size(company: Path, tmp_path: Path) -> None:
    raw, info = load_sample(company, MAX_CUSTOMERS)
    assert (info.customers_total, info.customers_sampled, info.max_customers) == (CUSTOMERS, 465, 500)
    assert info.sampled and info.customers_sampled == EXPECTED_SAMPLED
    assert sorted(info.customer_ids)[:3] == EXPECTED_FIRST_SAMPLED
    assert set(raw["customers"]["customer_id"]) == info.customer_ids
    assert set(raw["usage_snapshots"]["customer_id"]) <= info.customer_ids
    assert len(raw["plans"]) == len(load_raw(company)["plans"])  # shared tables: every row
    # independently: the customers whose sha256 falls below 500 / 3000
    ids = pd.read_csv(company / "customers.csv", dtype=str)["customer_id"].dropna().str.strip()
    by_hand = {
        c
        for c in set(ids)
        if int(hashlib.sha256(c.encode()).hexdigest()[:16], 16) * CUSTOMERS < MAX_CUSTOMERS * 2**64
    }
    assert info.customer_ids == by_hand
    # the order of the rows does not matter
    shuffled = tmp_path / "shuffled"
    shutil.copytree(company, shuffled)
    customers = pd.read_csv(company / "customers.csv", dtype=str, keep_default_na=False)
    customers.sample(frac=1, random_state=7).to_csv(shuffled / "customers.csv", index=False)
    assert load_sample(shuffled, MAX_CUSTOMERS)[1] == info


def test_the_sampled_figures_equal_the_whole_company_s_for_the_sampled_customers(
    company: Path, full: dict[str, pd.DataFrame]
) -> None:
    run = compute_sampled(company, AS_OF, max_customers=MAX_CUSTOMERS)
    ids = run.sample.customer_ids
    for table in ("fct_mrr", "fct_mrr_movements"):
        expected = per_customer(full[table], ids)
        assert expected["customer_id"].nunique() > 350
        pd.testing.assert_frame_equal(per_customer(run.tables[table], ids), expected, obj=table)


def test_below_the_threshold_every_customer_is_compared(company: Path, full: dict[str, pd.DataFrame]) -> None:
    raw, info = load_sample(company, CUSTOMERS)
    assert not info.sampled
    assert info.customers_sampled == info.customers_total == CUSTOMERS
    for table, frame in load_raw(company).items():
        pd.testing.assert_frame_equal(raw[table], frame)
    recorded = compute_all(company, AS_OF, max_customers=CUSTOMERS)
    assert recorded["sample"].to_dict("records") == [
        {
            "customers_total": CUSTOMERS,
            "customers_sampled": CUSTOMERS,
            "rule": f"all {CUSTOMERS} customers (at most {CUSTOMERS} are compared in full)",
            "max_customers": CUSTOMERS,
            "sampled": False,
        }
    ]
    pd.testing.assert_frame_equal(recorded["fct_mrr"], full["fct_mrr"])


# ------------------------------------------------------------------------------------------------ shared keys
def with_shared_keys(company: Path, folder: Path, sampled: str, other: str) -> tuple[str, str]:
    """A copy of company where `other` (not sampled) starts `sampled`'s first item a day earlier and
    redelivers one of its events with another content. Returns (item_id, event_id)."""
    shutil.copytree(company, folder)
    events = pd.read_csv(company / "subscription_events.csv", dtype=str, keep_default_na=False)
    first = events[(events["customer_id"] == sampled) & (events["event_type"] == "item_started")].iloc[0]
    started = pd.Timestamp(first["occurred_at"]) - pd.Timedelta(days=1)
    takeover = first.copy()
    takeover["event_id"] = "E-SHARED-ITEM"
    takeover["customer_id"] = other
    takeover["occurred_at"] = takeover["recorded_at"] = started.strftime("%Y-%m-%dT%H:%M:%SZ")
    redelivery = events[events["customer_id"] == sampled].iloc[-1].copy()
    redelivery["customer_id"] = other
    redelivery["recorded_at"] = "2099-01-01T00:00:00Z"  # the latest version wins
    (folder / "subscription_events").mkdir()
    pd.DataFrame([takeover, redelivery]).to_csv(folder / "subscription_events" / "shared.csv", index=False)
    return first["item_id"], redelivery["event_id"]


def test_rows_of_other_customers_sharing_a_key_are_seen(
    company: Path, full: dict[str, pd.DataFrame], tmp_path: Path
) -> None:
    chosen = load_sample(company, MAX_CUSTOMERS)[1].customer_ids
    fct = full["fct_mrr"]
    paying = fct[fct["customer_id"].isin(chosen) & (fct["mrr"] > 0)]["customer_id"]
    sampled = sorted(set(paying))[0]
    other = sorted(set(fct["customer_id"]) - chosen)[0]
    item_id, event_id = with_shared_keys(company, tmp_path / "shared", sampled, other)

    raw, info = load_sample(tmp_path / "shared", MAX_CUSTOMERS)
    events = raw["subscription_events"]
    assert info.customer_ids == chosen and other not in info.customer_ids
    assert ((events["customer_id"] == other) & (events["item_id"] == item_id)).any()
    assert ((events["customer_id"] == other) & (events["event_id"] == event_id)).any()
    assert other in set(raw["customers"]["customer_id"])  # a known customer, as in the whole company

    whole = compute_all(tmp_path / "shared", AS_OF)
    run = compute_sampled(tmp_path / "shared", AS_OF, max_customers=MAX_CUSTOMERS)
    one = frozenset({sampled})
    # the shared rows change the sampled customer's figures ...
    assert not per_customer(whole["fct_mrr"], one).equals(per_customer(fct, one))
    # ... and the sample sees them: the same figures as the whole company
    for table in ("fct_mrr", "fct_mrr_movements"):
        pd.testing.assert_frame_equal(
            per_customer(run.tables[table], chosen), per_customer(whole[table], chosen), obj=table
        )
