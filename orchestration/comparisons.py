"""Pure comparisons behind the Python asset checks: each returns the rows that break a rule (empty = pass).

They take plain DataFrames (the warehouse's tables and the reference implementation's), so they are
unit-tested without Dagster.
"""

from __future__ import annotations

from decimal import Decimal

import duckdb
import pandas as pd

from orchestration.settings import project_vars

# The expansion mechanisms in reporting order: var mechanisms of dbt_project.yml (one declaration).
MECHANISMS = tuple(project_vars()["mechanisms"])
# The SQL keeps each item's MRR rounded to 6 decimals, the reference floats: a customer's sum of a few items
# may differ by millionths, never by a hundredth of a cent.
MONEY_TOLERANCE = 0.0001
RATE_TOLERANCE = 0.000001


def as_float(series: pd.Series) -> pd.Series:
    return pd.to_numeric(series.map(lambda value: float(value) if isinstance(value, Decimal) else value))


def month_key(series: pd.Series) -> pd.Series:
    return pd.to_datetime(series).dt.strftime("%Y-%m-%d")


def value_differences(
    warehouse: pd.DataFrame,
    reference: pd.DataFrame,
    keys: list[str],
    columns: dict[str, str],
    tolerance: float,
    negligible_when_alone: str | None = None,
) -> pd.DataFrame:
    """Rows missing on either side, and values (warehouse column -> reference column) that differ.
    negligible_when_alone: a column whose value within the tolerance makes a row found on one side only
    no difference (a movement of a millionth that the exact decimals see and the floats round away)."""
    left = warehouse.assign(**{key: warehouse[key].astype(str) for key in keys if key != "month"})
    right = reference.assign(**{key: reference[key].astype(str) for key in keys if key != "month"})
    if "month" in keys:
        left = left.assign(month=month_key(left["month"]))
        right = right.assign(month=month_key(right["month"]))
    merged = left[keys + list(columns)].merge(
        right[keys + list(columns.values())].rename(
            columns={ref: f"{ref}__reference" for ref in columns.values()}
        ),
        on=keys,
        how="outer",
        indicator=True,
    )
    problems = merged["_merge"] != "both"
    for warehouse_column, reference_column in columns.items():
        ours = merged[warehouse_column]
        theirs = merged[f"{reference_column}__reference"]
        if pd.api.types.is_numeric_dtype(theirs) or ours.map(lambda v: isinstance(v, Decimal)).any():
            gap = (as_float(ours) - as_float(theirs)).abs()
            both_null = ours.isna() & theirs.isna()
            problems |= ~both_null & ((gap > tolerance) | ours.isna() | theirs.isna())
        else:
            problems |= ours.astype(str) != theirs.astype(str)
    if negligible_when_alone is not None:
        alone_value = merged[negligible_when_alone].where(
            merged["_merge"] == "left_only", merged[f"{columns[negligible_when_alone]}__reference"]
        )
        problems &= (merged["_merge"] == "both") | ~(as_float(alone_value).abs() <= tolerance)
    return merged[problems].drop(columns="_merge").reset_index(drop=True)


def unaccounted_rows(reconciliation: pd.DataFrame, rows_in_files: dict[str, int]) -> pd.DataFrame:
    """Tables whose rows in (counted here from the files) ≠ used + rejected + duplicates collapsed."""
    table = reconciliation.set_index("source_table")
    counted = pd.Series(rows_in_files, name="rows_in_counted").reindex(table.index).fillna(0).astype(int)
    table = table.join(counted)
    broken = (table["rows_in"] != table["rows_in_counted"]) | (
        table["rows_in_counted"]
        != table["rows_used"] + table["rows_rejected"] + table["duplicates_collapsed"]
    )
    return table[broken].reset_index()


def unread_source_rows(
    adapter_rows: pd.DataFrame, rows_in_files: dict[str, int], source: str
) -> pd.DataFrame:
    """An adapter's source tables whose rows read (adapter_reconciliation rows_in, source_table
    '<source>.<table>') differ from the rows counted in their files. A table with rows in its files that
    was not read at all is listed too, unless it is a legacy table whose successor was read."""
    from orchestration.landing import raw_contract, source_tables

    read = {str(table): int(rows) for table, rows in adapter_rows.itertuples(index=False)}
    successor = {table.name: table.read_as for table in source_tables(source) if table.read_as}
    own = {table.name for table in source_tables(source)} - {table.name for table in raw_contract()}
    rows = []
    for table, counted in sorted(rows_in_files.items()):
        name = f"{source}.{table}"
        if name not in read and (not counted or f"{source}.{successor.get(table)}" in read):
            continue
        if name not in read and table not in own:
            continue  # a contract table read as it is (mart_raw_reconciliation)
        if read.get(name, 0) != counted:
            rows.append({"source_table": name, "rows_in": read.get(name, 0), "rows_in_counted": counted})
    return pd.DataFrame(rows, columns=["source_table", "rows_in", "rows_in_counted"])


def mart_table_names(connection: duckdb.DuckDBPyConnection) -> list[str]:
    """The tables of the marts schema of a DuckDB warehouse, sorted."""
    return [
        row[0]
        for row in connection.execute(
            "select table_name from information_schema.tables where table_schema = 'marts' order by 1"
        ).fetchall()
    ]
