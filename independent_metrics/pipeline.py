"""One call from landing folder to every reference table."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date
from pathlib import Path

import pandas as pd

from .cleaning import clean, default_reporting_currency, normalise_currency
from .loading import load_raw
from .marts import expansion_mechanisms, monthly_bridge, monthly_retention
from .movements import movements
from .mrr import customer_mrr_from_snapshot, item_states, month_end_snapshot
from .sampling import DEFAULT_MAX_CUSTOMERS, SampleInfo, load_sample


@dataclass(frozen=True)
class ReferenceRun:
    """The reference tables and the customers they were computed for."""

    tables: dict[str, pd.DataFrame]
    sample: SampleInfo


def compute_tables(
    raw: dict[str, pd.DataFrame], as_of: date | str | pd.Timestamp, reporting_currency: str | None = None
) -> dict[str, pd.DataFrame]:
    """Every reference table from load_raw-shaped string tables (reporting currency: the dbt var, unless
    given)."""
    currency = normalise_currency(reporting_currency or default_reporting_currency())
    tables = clean(raw, currency)
    states = item_states(tables, currency)
    snap = month_end_snapshot(tables, as_of, currency, states=states)
    fct = customer_mrr_from_snapshot(snap)
    moves = movements(fct, snap, tables["products"])
    bridge = monthly_bridge(fct, moves, snap.first_month, snap.last_month)
    return {
        **tables,
        "item_states": states,
        "fct_mrr": fct,
        "fct_mrr_movements": moves,
        "mart_mrr_bridge_all": bridge,
        "mart_retention_monthly": monthly_retention(bridge),
        "mart_expansion_mechanisms": expansion_mechanisms(moves),
    }


def sample_frame(sample: SampleInfo) -> pd.DataFrame:
    """The sample as one row (customers_total, customers_sampled, rule, max_customers, sampled)."""
    fields = {name: value for name, value in asdict(sample).items() if name != "customer_ids"}
    return pd.DataFrame([{**fields, "sampled": sample.sampled}])


def compute_sampled(
    raw_dir: Path | str,
    as_of: date | str | pd.Timestamp,
    reporting_currency: str | None = None,
    max_customers: int = DEFAULT_MAX_CUSTOMERS,
) -> ReferenceRun:
    """The reference tables for a deterministic sample of at most about max_customers customers
    (sampling.py). Per-customer tables (fct_mrr, fct_mrr_movements, ...) are exact for the sampled
    customers; company totals (bridge, retention, mechanisms) are the sample's, not the company's, and
    rows of customers pulled in by a shared key are partial: restrict to sample.customer_ids."""
    raw, sample = load_sample(raw_dir, max_customers)
    return ReferenceRun(compute_tables(raw, as_of, reporting_currency), sample)


def compute_all(
    raw_dir: Path | str,
    as_of: date | str | pd.Timestamp,
    reporting_currency: str | None = None,
    max_customers: int | None = None,
) -> dict[str, pd.DataFrame]:
    """Keys: every clean table, rejected_rows, row_accounting, item_states, fct_mrr,
    fct_mrr_movements, mart_mrr_bridge_all, mart_retention_monthly, mart_expansion_mechanisms.
    With max_customers: computed on the sample (compute_sampled), plus `sample` (sample_frame)."""
    if max_customers is None:
        return compute_tables(load_raw(raw_dir), as_of, reporting_currency)
    run = compute_sampled(raw_dir, as_of, reporting_currency, max_customers)
    return {**run.tables, "sample": sample_frame(run.sample)}
