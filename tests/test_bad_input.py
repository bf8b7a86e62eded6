"""The bad-input corpus: one small raw folder per case in tests/fixtures/bad_input/.

Each case adds a few rows to the golden scenario's raw files (a `<table>.csv` in the case folder holds only
the added rows; cases use their own keys). The whole corpus is built once, on top of the golden scenario:
`rejected_rows` must list exactly the rows of the cases' `expected_rejections.csv` files (each case's rows
are checked by its own test), every raw table must balance (rows in = used + rejected + collapsed, a data
test of the build), and the rest of the data must still give the golden scenario's figures. One build
instead of one per case: the cases do not interact (they did not when each was built alone either), and
the suite builds shared fixtures once.
"""

from __future__ import annotations

import csv
import json
import shutil
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pytest

from tests.conftest import GOLDEN_AS_OF, GOLDEN_EXPECTED_DIR, GOLDEN_RAW_DIR, shared_folder
from tests.dbt_runner import dbt, query

CORPUS_DIR = Path(__file__).resolve().parent / "fixtures" / "bad_input"
CASES = sorted(path.name for path in CORPUS_DIR.iterdir() if path.is_dir())
NO_KEY = "(no key)"  # rejected_rows names a row without a key "(no key; row <content hash>)"


def assemble(target: Path) -> dict[str, int]:
    """Golden raw files plus every case's rows; returns the rows added per table."""
    shutil.copytree(GOLDEN_RAW_DIR, target)
    added: dict[str, int] = {}
    for case in CASES:
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
            added[extra.stem] = added.get(extra.stem, 0) + len(rows)
    return added


@dataclass(frozen=True)
class CorpusBuild:
    build_path: Path
    added: dict[str, int]
    rejected: set[tuple[str, str, str]]


@pytest.fixture(scope="module")
def corpus_build(tmp_path_factory: pytest.TempPathFactory) -> CorpusBuild:
    """The golden scenario with every case's rows, built once (the models and data tests behind the
    figures checked here). The share-of-rejected-rows guard is off: the corpus rejects many rows of a small
    table on purpose (test_safe_publish.py tests the guard)."""

    def build(folder: Path) -> None:
        added = assemble(folder / "raw")
        (folder / "added.json").write_text(json.dumps(added))
        dbt(
            "build",
            folder / "raw",
            folder / "corpus.duckdb",
            GOLDEN_AS_OF,
            select="+fct_mrr +rejected_rows +mart_raw_reconciliation",
            extra_vars={"max_rejected_share": False},
        )

    folder = shared_folder(tmp_path_factory, "bad-input-corpus", build)
    build_path = folder / "corpus.duckdb"
    rejected = query(build_path, "select source_table, row_key, reason from marts.rejected_rows")
    found = {
        (table, NO_KEY if key.startswith("(no key;") else key, reason)
        for table, key, reason in zip(rejected.source_table, rejected.row_key, rejected.reason, strict=True)
    }
    return CorpusBuild(build_path, json.loads((folder / "added.json").read_text()), found)


def expected_rejections(case: str) -> set[tuple[str, str, str]]:
    with (CORPUS_DIR / case / "expected_rejections.csv").open(encoding="utf-8") as handle:
        return {(row["source_table"], row["row_key"], row["reason"]) for row in csv.DictReader(handle)}


def golden_mrr() -> set[tuple[str, str, Decimal]]:
    with (GOLDEN_EXPECTED_DIR / "fct_mrr.csv").open() as handle:
        return {(row["customer_id"], row["month"], Decimal(row["mrr"])) for row in csv.DictReader(handle)}


def test_the_corpus_covers_at_least_twenty_cases() -> None:
    assert len(CASES) >= 20


@pytest.mark.parametrize("case", CASES)
def test_each_case_s_bad_rows_are_rejected_with_its_reasons(case: str, corpus_build: CorpusBuild) -> None:
    missing = expected_rejections(case) - corpus_build.rejected
    assert not missing, f"{case}: not rejected (or another reason): {sorted(missing)}"


def test_nothing_else_is_rejected(corpus_build: CorpusBuild) -> None:
    expected = set().union(*(expected_rejections(case) for case in CASES))
    assert sorted(corpus_build.rejected - expected) == []


def test_the_rest_gives_the_golden_figures(corpus_build: CorpusBuild) -> None:
    mrr = query(
        corpus_build.build_path, "select customer_id, cast(month as varchar) as month, mrr from marts.fct_mrr"
    )
    assert {
        (c, m, v.quantize(Decimal("0.01")))
        for c, m, v in zip(mrr.customer_id, mrr.month, mrr.mrr, strict=True)
    } == (golden_mrr())


def test_every_raw_row_is_counted_and_balanced(corpus_build: CorpusBuild) -> None:
    reconciliation = query(corpus_build.build_path, "select * from marts.mart_raw_reconciliation").set_index(
        "source_table"
    )
    for table, rows in corpus_build.added.items():
        golden_rows = 0
        if (GOLDEN_RAW_DIR / f"{table}.csv").exists():
            golden_rows = len((GOLDEN_RAW_DIR / f"{table}.csv").read_text().splitlines()) - 1
        assert reconciliation.loc[table, "rows_in"] == golden_rows + rows, table
    assert reconciliation["is_balanced"].all()
