"""`saas-warehouse opportunities`: the ranked expansion opportunities of the scoring month, read from the
published warehouse (read-only, like a BI tool)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path

import duckdb

OPPORTUNITIES_SQL = """
select
    rank,
    month,
    customer_id,
    product_id,
    trigger,
    metric,
    utilization,
    health_score,
    estimated_expansion_mrr,
    priority_score
from marts.mart_expansion_opportunities
where rank <= ?
order by rank
"""
COLUMNS = ("rank", "customer", "product", "trigger", "metric", "utilisation", "health", "estimated MRR")


@dataclass(frozen=True)
class Opportunity:
    rank: int
    month: date
    customer_id: str
    product_id: str
    trigger: str
    metric: str | None
    utilization: Decimal | None
    health_score: Decimal
    estimated_expansion_mrr: Decimal | None
    priority_score: Decimal


class WarehouseNotBuilt(Exception):
    """The published file is missing or has no opportunities mart (build first)."""


def read_opportunities(warehouse_path: Path, top: int) -> list[Opportunity]:
    if not warehouse_path.exists():
        raise WarehouseNotBuilt(
            f"no published warehouse at {warehouse_path}: run `saas-warehouse build` first"
        )
    with duckdb.connect(str(warehouse_path), read_only=True) as connection:
        try:
            rows = connection.execute(OPPORTUNITIES_SQL, [top]).fetchall()
        except duckdb.CatalogException as error:
            raise WarehouseNotBuilt(
                f"{warehouse_path} has no marts.mart_expansion_opportunities (built by an older version): "
                "run `saas-warehouse build`"
            ) from error
    return [Opportunity(*row) for row in rows]


def display(value: object) -> str:
    """Money and scores with two decimals and thousands separators, utilisation as a percentage."""
    if value is None:
        return "-"
    if isinstance(value, Decimal):
        return f"{value:,.2f}"
    return str(value)


def opportunity_cells(opportunity: Opportunity) -> tuple[str, ...]:
    utilisation = "-" if opportunity.utilization is None else f"{opportunity.utilization * 100:.1f} %"
    return (
        str(opportunity.rank),
        opportunity.customer_id,
        opportunity.product_id,
        opportunity.trigger,
        display(opportunity.metric),
        utilisation,
        display(opportunity.health_score),
        display(opportunity.estimated_expansion_mrr),
    )


def format_opportunities(opportunities: list[Opportunity], reporting_currency: str) -> str:
    """A plain-text table: numbers right-aligned, text left-aligned."""
    if not opportunities:
        return "No expansion opportunities in the scoring month."
    header = (
        f"Top {len(opportunities)} expansion opportunities of {opportunities[0].month:%Y-%m} "
        f"(estimated MRR in {reporting_currency}; priority = estimated MRR x health / 100)"
    )
    table = [COLUMNS, *(opportunity_cells(opportunity) for opportunity in opportunities)]
    widths = [max(len(row[index]) for row in table) for index in range(len(COLUMNS))]
    numeric = {0, 5, 6, 7}
    lines = [
        "  ".join(
            cell.rjust(width) if index in numeric else cell.ljust(width)
            for index, (cell, width) in enumerate(zip(row, widths, strict=True))
        ).rstrip()
        for row in table
    ]
    return "\n".join([header, "", lines[0], "  ".join("-" * width for width in widths), *lines[1:]])
