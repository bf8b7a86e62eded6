"""The bad-input corpus: one small raw folder per case in tests/fixtures/bad_input/.

Each case adds a few rows to the golden scenario's raw files (a `<table>.csv` in the case folder holds only
the added rows). The build must list exactly the rows of the case's `expected_rejections.csv` in
`rejected_rows`, balance every raw table (rows in = used + rejected + collapsed, a data test of the build),
and still produce the golden scenario's figures from the rest of the data.
"""

from __future__ import annotations

import csv
import shutil
from decimal import Decimal
from pathlib import Path

import pytest

from tests.conftest import GOLDEN_AS_OF, GOLDEN_EXPECTED_DIR, GOLDEN_RAW_DIR
from tests.dbt_runner import dbt, query

CORPUS_DIR = Path(__file__).resolve().parent / "fixtures" / "bad_input"
CASES = sorted(path.name for path in CORPUS_DIR.iterdir() if path.is_dir())
NO_KEY = "(no key)"  # rejected_rows names a row without a key "(no key; row <content hash>)"


def assemble(case: str, target: Path) -> dict[str, int]:
    """Golden raw files plus the case's rows; returns the rows added per table."""
    shutil.copytree(GOLDEN_RAW_DIR, target)
    added = {}
    for extra in sorted((CORPUS_DIR / case).glob("*.csv")):
        if extra.name == "expected_rejections.csv":
            continue
        header, *rows = extra.read_text(encoding="utf-8").splitlines()
        destination = target / extra.name
        if destination.exists():
            assert destination.read_text(encoding="utf-8").splitlines()[0] == header, extra
            with destination.open("a", encoding="utf-8") as handle:
                handle.write("\n".join(rows) + "\n")
        else:
            destination.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
        added[extra.stem] = len(rows)
    return added


def expected_rejections(case: str) -> set[tuple[str, str, str]]:
    with (CORPUS_DIR / case / "expected_rejections.csv").open(encoding="utf-8") as handle:
        return {(row["source_table"], row["row_key"], row["reason"]) for row in csv.DictReader(handle)}


def golden_mrr() -> set[tuple[str, str, Decimal]]:
    with (GOLDEN_EXPECTED_DIR / "fct_mrr.csv").open() as handle:
        return {(row["customer_id"], row["month"], Decimal(row["mrr"])) for row in csv.DictReader(handle)}


def test_the_corpus_covers_at_least_twenty_cases() -> None:
    assert len(CASES) >= 20


@pytest.mark.parametrize("case", CASES)
def test_bad_rows_are_rejected_with_reasons_and_the_rest_is_right(case: str, tmp_path: Path) -> None:
    raw_dir = tmp_path / "raw"
    added = assemble(case, raw_dir)
    build_path = tmp_path / "case.duckdb"
    # models and data tests (the reconciliation test among them) behind the figures checked here
    dbt("build", raw_dir, build_path, GOLDEN_AS_OF, select="+fct_mrr +rejected_rows +mart_raw_reconciliation")

    rejected = query(build_path, "select source_table, row_key, reason from marts.rejected_rows")
    found = {
        (table, NO_KEY if key.startswith("(no key;") else key, reason)
        for table, key, reason in zip(rejected.source_table, rejected.row_key, rejected.reason, strict=True)
    }
    assert found == expected_rejections(case)

    mrr = query(build_path, "select customer_id, cast(month as varchar) as month, mrr from marts.fct_mrr")
    assert {
        (c, m, v.quantize(Decimal("0.01")))
        for c, m, v in zip(mrr.customer_id, mrr.month, mrr.mrr, strict=True)
    } == (golden_mrr())

    reconciliation = query(build_path, "select * from marts.mart_raw_reconciliation").set_index(
        "source_table"
    )
    for table, rows in added.items():
        golden_rows = 0
        if (GOLDEN_RAW_DIR / f"{table}.csv").exists():
            golden_rows = len((GOLDEN_RAW_DIR / f"{table}.csv").read_text().splitlines()) - 1
        assert reconciliation.loc[table, "rows_in"] == golden_rows + rows
    assert reconciliation["is_balanced"].all()
