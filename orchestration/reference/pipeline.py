"""One call from landing folder to every reference table."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd

from .cleaning import clean
from .loading import load_raw
from .marts import expansion_mechanisms, monthly_bridge, monthly_retention
from .movements import movements
from .mrr import customer_mrr_from_snapshot, item_states, month_end_snapshot


def compute_all(
    raw_dir: Path | str, as_of: date | str | pd.Timestamp, reporting_currency: str = "USD"
) -> dict[str, pd.DataFrame]:
    """Keys: every clean table, rejected_rows, row_accounting, item_states, fct_mrr,
    fct_mrr_movements, mart_mrr_bridge_all, mart_retention_monthly, mart_expansion_mechanisms."""
    tables = clean(load_raw(raw_dir), reporting_currency)
    states = item_states(tables, reporting_currency)
    snap = month_end_snapshot(tables, as_of, reporting_currency, states=states)
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
