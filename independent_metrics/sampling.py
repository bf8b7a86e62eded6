"""A deterministic sample of customers, read in batches, so the reference runs at a million customers.

Every figure of a customer depends only on that customer's rows and on the small shared tables
(DECISIONS.md D-25), with one exception: the cleaning rules look across customers at the keys a row shares
with other rows (an event_id or charge_id delivered twice, an item_id used by two customers). So the sample
is: every row of the sampled customers, every row that shares such a key with a loaded row (to a fixed
point), the customers rows of the customers those rows name, and every row of the shared tables.

Which customers: all of them when the customers files hold at most `max_customers` distinct customer_ids;
otherwise those whose sha256(customer_id), first 8 bytes read as a big-endian integer h, satisfy
h × total < max_customers × 2^64 (h / 2^64 < max_customers / total, in integers: no float, no salt).
Same files, same sample, on every machine; a customer's membership depends only on its id and the fraction.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from . import loading

DEFAULT_MAX_CUSTOMERS = 20_000
BATCH_ROWS = 200_000
HASH_SPACE = 2**64
CUSTOMER_TABLES = ("customers", "subscription_events", "usage_charges", "one_time_charges", "usage_snapshots")
# Keys that the cleaning rules compare across customers: rows sharing one must be seen together.
LINK_KEYS: dict[str, tuple[str, ...]] = {
    "subscription_events": ("event_id", "item_id"),
    "usage_charges": ("charge_id",),
    "one_time_charges": ("charge_id",),
}

RowFilter = Callable[[pd.DataFrame], pd.Series]


@dataclass(frozen=True)
class SampleInfo:
    """Which customers the reference computed: customer_ids are the sampled customers (all of them when
    not sampled); customers pulled in only through a shared key are not among them."""

    customers_total: int
    customers_sampled: int
    rule: str
    max_customers: int
    customer_ids: frozenset[str]

    @property
    def sampled(self) -> bool:
        return self.customers_total > self.max_customers


# --------------------------------------------------------------------------------------------- the rule
def customer_hash(customer_id: str) -> int:
    """The first 8 bytes of sha256(customer_id, UTF-8) as a big-endian integer in [0, 2^64)."""
    return int.from_bytes(hashlib.sha256(customer_id.encode("utf-8")).digest()[:8], "big")


def in_sample(customer_id: str, max_customers: int, customers_total: int) -> bool:
    """h / 2^64 < max_customers / customers_total, exactly (always true when total <= max)."""
    return customer_hash(customer_id) * customers_total < max_customers * HASH_SPACE


def choose_customers(customer_ids: set[str] | frozenset[str], max_customers: int) -> frozenset[str]:
    total = len(customer_ids)
    if total <= max_customers:
        return frozenset(customer_ids)
    return frozenset(c for c in customer_ids if in_sample(c, max_customers, total))


def sample_rule(customers_total: int, max_customers: int) -> str:
    if customers_total <= max_customers:
        return f"all {customers_total} customers (at most {max_customers} are compared in full)"
    return (
        f"customers whose sha256(customer_id), first 8 bytes as a big-endian integer h, has "
        f"h / 2^64 < {max_customers} / {customers_total}"
    )


# --------------------------------------------------------------------------------------------- reading
def _stripped_names(names: Sequence[str]) -> dict[str, str]:
    """Stripped column name -> the file's own name (loading.py strips header names too)."""
    return {str(name).strip(): name for name in names}


def _require(path: Path, table: str, present: dict[str, str], wanted: Sequence[str]) -> None:
    columns = loading.TABLES[table][1]
    for column in wanted:
        if column not in present and columns.get(column, False):
            raise loading.RawInputError(f"{path}: required column '{column}' missing")


def _contract_frame(frame: pd.DataFrame, wanted: Sequence[str]) -> pd.DataFrame:
    """The wanted columns in order, missing (optional) ones as all-missing, as loading.load_raw does."""
    for column in wanted:
        if column not in frame.columns:
            frame[column] = pd.Series(pd.NA, index=frame.index, dtype="str")
    return frame[list(wanted)]


def _csv_batches(path: Path, table: str, wanted: Sequence[str], batch_rows: int) -> Iterator[pd.DataFrame]:
    options = {"dtype": str, "keep_default_na": False, "na_values": [""], "encoding": "utf-8"}
    try:
        names = _stripped_names(pd.read_csv(path, nrows=0, **options).columns)
        _require(path, table, names, wanted)
        use = [names[c] for c in wanted if c in names]
        renames = {names[c]: c for c in wanted if c in names}
        with pd.read_csv(path, usecols=use, chunksize=batch_rows, **options) as reader:
            for chunk in reader:
                yield chunk.rename(columns=renames)
    except loading.RawInputError:
        raise
    except Exception as exc:  # noqa: BLE001 - re-raised with the file name, like loading.py
        raise loading.RawInputError(f"{path}: unreadable ({exc})") from exc


def _integer_columns_with_nulls(parquet: pq.ParquetFile, columns: Sequence[str]) -> set[str]:
    """Integer columns holding a null anywhere in the file. pandas reads such a column as float64 when it
    reads the whole file (loading.py), so every batch must too, or a batch without nulls would give
    '5' where the whole file gives '5.0'."""
    found = set()
    schema = parquet.schema_arrow
    for name in columns:
        if not pa.types.is_integer(schema.field(name).type):
            continue
        position = schema.get_field_index(name)
        metadata = parquet.metadata
        stats = [metadata.row_group(g).column(position).statistics for g in range(metadata.num_row_groups)]
        if all(s is not None and s.has_null_count for s in stats):
            nulls = sum(s.null_count for s in stats)
        else:
            nulls = parquet.read(columns=[name]).column(name).null_count
        if nulls:
            found.add(name)
    return found


def _parquet_batches(path: Path, table: str, wanted: Sequence[str], batch_rows: int) -> Iterator[pa.Table]:
    try:
        parquet = pq.ParquetFile(path)
        names = _stripped_names(parquet.schema_arrow.names)
        _require(path, table, names, wanted)
        use = [names[c] for c in wanted if c in names]
        as_float = _integer_columns_with_nulls(parquet, use)
        stripped = [c for c in wanted if c in names]
        for batch in parquet.iter_batches(batch_size=batch_rows, columns=use, use_pandas_metadata=False):
            arrays = [
                batch.column(i).cast(pa.float64()) if name in as_float else batch.column(i)
                for i, name in enumerate(batch.schema.names)
            ]
            yield pa.Table.from_arrays(arrays, names=stripped)
    except loading.RawInputError:
        raise
    except Exception as exc:  # noqa: BLE001 - re-raised with the file name, like loading.py
        raise loading.RawInputError(f"{path}: unreadable ({exc})") from exc


Batch = pd.DataFrame | pa.Table


def file_batches(path: Path, table: str, wanted: Sequence[str], batch_rows: int) -> Iterator[Batch]:
    """One file's rows in batches of the wanted contract columns, names stripped, in the file's own
    types: pandas string frames from CSV, Arrow tables from Parquet (converted only for the kept rows)."""
    if path.suffix.lower() == ".csv":
        yield from _csv_batches(path, table, wanted, batch_rows)
    else:
        yield from _parquet_batches(path, table, wanted, batch_rows)


def str_frame(batch: Batch, columns: Sequence[str] | None = None) -> pd.DataFrame:
    """Columns of a batch as loading.py's strings (all columns when None)."""
    if columns is not None:
        batch = batch[list(columns)] if isinstance(batch, pd.DataFrame) else batch.select(list(columns))
    return loading._to_str_frame(batch if isinstance(batch, pd.DataFrame) else batch.to_pandas())


def kept_rows(batch: Batch, mask: np.ndarray) -> Batch:
    return batch[mask] if isinstance(batch, pd.DataFrame) else batch.filter(pa.array(mask, type=pa.bool_()))


def filtered_rows(
    raw_dir: Path, table: str, keep: RowFilter, key_columns: Sequence[str], batch_rows: int = BATCH_ROWS
) -> pd.DataFrame:
    """The rows of one table that `keep` selects (it sees the key columns as loading.py's strings), every
    contract column, as loading.load_raw returns them. Reads batch by batch: memory is the kept rows plus
    one batch."""
    columns = list(loading.TABLES[table][1])
    files = loading.table_files(raw_dir, table)
    if not files:
        if loading.TABLES[table][0]:
            raise loading.RawInputError(f"{raw_dir / table}.csv: required table '{table}' not found")
        return pd.DataFrame({c: pd.Series(dtype="str") for c in columns})
    parts = []
    for path in files:
        for batch in file_batches(path, table, columns, batch_rows):
            names = batch.columns if isinstance(batch, pd.DataFrame) else batch.column_names
            keys = str_frame(batch, [c for c in key_columns if c in names])
            chosen = kept_rows(batch, keep(keys).to_numpy(dtype=bool))
            parts.append(_contract_frame(str_frame(chosen), columns))
    if not parts:
        return pd.DataFrame({c: pd.Series(dtype="str") for c in columns})
    return pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0].reset_index(drop=True)


def key_values(raw_dir: Path, table: str, keep: RowFilter, key_columns: Sequence[str]) -> pd.DataFrame:
    """Only the key columns of the rows `keep` selects (a cheap pass: no other column is converted)."""
    files = loading.table_files(raw_dir, table)
    parts = [pd.DataFrame({c: pd.Series(dtype="str") for c in key_columns})]
    for path in files:
        for batch in file_batches(path, table, key_columns, BATCH_ROWS):
            keys = str_frame(batch)
            parts.append(keys[keep(keys).to_numpy(dtype=bool)])
    return pd.concat(parts, ignore_index=True)


# --------------------------------------------------------------------------------------------- selecting
def customer_ids(raw_dir: Path) -> set[str]:
    """The distinct customer_ids of the customers file(s) (stripped; missing ids are no customer)."""
    ids = key_values(raw_dir, "customers", lambda keys: keys["customer_id"].notna(), ["customer_id"])
    return set(ids["customer_id"])


def is_in(values: pd.Series, value_set: pa.Array) -> np.ndarray:
    """values ∈ value_set as booleans (missing: False). Arrow's is_in with the set built once: pandas'
    isin converts a Python set element by element on every call."""
    found = pc.is_in(pa.array(values, type=pa.string(), from_pandas=True), value_set=value_set)
    return found.fill_null(False).to_numpy(zero_copy_only=False)


def linked_selector(customers: frozenset[str], keys: dict[str, set[str]]) -> RowFilter:
    """Rows of the given customers, or sharing a value of one of the link keys."""
    value_sets = {"customer_id": pa.array(sorted(customers), type=pa.string())}
    value_sets |= {column: pa.array(sorted(values), type=pa.string()) for column, values in keys.items()}

    def keep(frame: pd.DataFrame) -> pd.Series:
        mask = np.zeros(len(frame), dtype=bool)
        for column, value_set in value_sets.items():
            mask |= is_in(frame[column], value_set)
        return pd.Series(mask, index=frame.index)

    return keep


def linked_rows(raw_dir: Path, table: str, customers: frozenset[str]) -> pd.DataFrame:
    """The sampled customers' rows and every row sharing a link key with a loaded row, to a fixed point:
    a first pass reads only the keys, each further pass loads the rows and stops when they bring no new
    key (usually the second)."""
    link = LINK_KEYS[table]
    key_columns = ["customer_id", *link]
    first = key_values(raw_dir, table, linked_selector(customers, {}), key_columns)
    keys = {column: set(first[column].dropna()) for column in link}
    while True:
        rows = filtered_rows(raw_dir, table, linked_selector(customers, keys), key_columns)
        found = {column: set(rows[column].dropna()) for column in link}
        if all(found[column] <= keys[column] for column in link):
            return rows
        keys = {column: keys[column] | found[column] for column in link}


def load_sample(
    raw_dir: Path | str, max_customers: int = DEFAULT_MAX_CUSTOMERS
) -> tuple[dict[str, pd.DataFrame], SampleInfo]:
    """load_raw's tables for the sampled customers (see the module's docstring) and what was sampled.
    At most max_customers distinct customers: exactly loading.load_raw."""
    if max_customers < 1:
        raise ValueError(f"max_customers must be at least 1, got {max_customers}")
    raw_dir = Path(raw_dir)
    every_id = customer_ids(raw_dir)
    total = len(every_id)
    chosen = choose_customers(every_id, max_customers)
    del every_id
    info = SampleInfo(total, len(chosen), sample_rule(total, max_customers), max_customers, chosen)
    if total <= max_customers:
        return loading.load_raw(raw_dir), info
    raw = {table: linked_rows(raw_dir, table, chosen) for table in LINK_KEYS}
    # The customers named by a linked row are loaded too (else their rows would be "unknown customer"
    # here and not in the whole company), without counting as sampled.
    named = chosen | frozenset().union(*(set(frame["customer_id"].dropna()) for frame in raw.values()))
    raw["customers"] = filtered_rows(raw_dir, "customers", linked_selector(named, {}), ["customer_id"])
    raw["usage_snapshots"] = filtered_rows(
        raw_dir, "usage_snapshots", linked_selector(chosen, {}), ["customer_id"]
    )
    for table in loading.TABLES:
        if table not in CUSTOMER_TABLES:
            raw[table] = filtered_rows(raw_dir, table, lambda keys: pd.Series(True, index=keys.index), [])
    return {table: raw[table] for table in loading.TABLES}, info
