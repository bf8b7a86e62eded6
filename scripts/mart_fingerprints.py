"""Print a content fingerprint of every table of one schema of a DuckDB warehouse (default: marts).

    python scripts/mart_fingerprints.py warehouse/saas.duckdb [--schema marts] [--json out.json]

Each table's fingerprint is the md5 of its rows rendered as text and sorted, with the row count, so two
warehouses hold the same figures exactly when every line matches (row order and physical layout do not
matter, a changed digit, column name or type does). Used to show that a refactoring changed no figure.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import duckdb


def table_fingerprints(warehouse: Path, schema: str = "marts") -> dict[str, tuple[int, str]]:
    """{table: (rows, md5 of the sorted rows as text)} for every table or view of the schema."""
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        tables = [
            name
            for (name,) in connection.execute(
                "select table_name from information_schema.tables where table_schema = ? order by 1",
                [schema],
            ).fetchall()
        ]
        fingerprints: dict[str, tuple[int, str]] = {}
        for table in tables:
            relation = f'"{schema}"."{table}"'
            rows, digest = connection.execute(
                f"select count(*), md5(coalesce(string_agg(row_text, chr(10) order by row_text), '')) "
                f"from (select cast(t as varchar) as row_text from {relation} as t)"
            ).fetchone()
            fingerprints[table] = (rows, digest)
    return fingerprints


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("warehouse", type=Path)
    parser.add_argument("--schema", default="marts")
    parser.add_argument("--json", type=Path, help="also write the fingerprints to this JSON file")
    args = parser.parse_args(argv)
    fingerprints = table_fingerprints(args.warehouse, args.schema)
    for table, (rows, digest) in fingerprints.items():
        print(f"{table:<40}{rows:>10}  {digest}")
    if args.json:
        args.json.write_text(json.dumps(fingerprints, indent=2, sort_keys=True) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
