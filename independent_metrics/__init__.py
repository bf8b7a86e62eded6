"""Independent pandas reference implementation of the warehouse's core MRR formulas.

Written from the specs (raw_contract.md, metrics.md §1–4, golden_scenarios.md) only, to
cross-check the dbt SQL value by value. Numbers are float64; every money figure is rounded to
9 decimals to remove float noise (compare with the SQL at a small tolerance, e.g. 1e-6).
See README.md in this folder for every interpretation made.
"""

from .cleaning import clean, fx_lookup, resolve_event_states
from .expansion import (
    compare_opportunities,
    expansion_inputs,
    expansion_opportunities,
    expansion_triggers,
)
from .loading import RawInputError, load_raw
from .marts import expansion_mechanisms, monthly_bridge, monthly_retention
from .movements import MECHANISMS, mechanism_split, movements, product_month_end
from .mrr import (
    Snapshot,
    customer_mrr_by_month,
    customer_mrr_from_snapshot,
    item_states,
    month_end_snapshot,
    usage_by_month,
)
from .pipeline import ReferenceRun, compute_all, compute_sampled, compute_tables
from .sampling import DEFAULT_MAX_CUSTOMERS, SampleInfo, load_sample

__all__ = [
    "DEFAULT_MAX_CUSTOMERS",
    "MECHANISMS",
    "RawInputError",
    "ReferenceRun",
    "SampleInfo",
    "Snapshot",
    "clean",
    "compare_opportunities",
    "compute_all",
    "compute_sampled",
    "compute_tables",
    "customer_mrr_by_month",
    "customer_mrr_from_snapshot",
    "expansion_inputs",
    "expansion_mechanisms",
    "expansion_opportunities",
    "expansion_triggers",
    "fx_lookup",
    "item_states",
    "load_raw",
    "load_sample",
    "mechanism_split",
    "month_end_snapshot",
    "monthly_bridge",
    "monthly_retention",
    "movements",
    "product_month_end",
    "resolve_event_states",
    "usage_by_month",
]
