"""`saas-warehouse opportunities`: the ranked list read from the published warehouse, read-only."""

from __future__ import annotations

import hashlib
from datetime import date
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from orchestration.cli import main
from orchestration.opportunities import Opportunity, format_opportunities


def opportunity(
    rank: int, customer: str, estimate: Decimal | None, utilization: Decimal | None
) -> Opportunity:
    return Opportunity(
        rank=rank,
        month=date(2026, 9, 1),
        customer_id=customer,
        product_id="workspace",
        trigger="limit_reached" if utilization is not None else "single_product",
        metric="active_users" if utilization is not None else None,
        utilization=utilization,
        health_score=Decimal("84.58"),
        estimated_expansion_mrr=estimate,
        priority_score=Decimal("0") if estimate is None else estimate * Decimal("0.8458"),
    )


def test_the_table_shows_each_column_readably() -> None:
    text = format_opportunities(
        [
            opportunity(1, "C0000001", Decimal("12345.678"), Decimal("1.2500")),
            opportunity(2, "C0000002", None, None),
        ],
        "USD",
    )
    header, blank, columns, rule, first, second = text.splitlines()
    assert header.startswith("Top 2 expansion opportunities of 2026-09 (estimated MRR in USD")
    assert columns.split() == [
        "rank",
        "customer",
        "product",
        "trigger",
        "metric",
        "utilisation",
        "health",
        "estimated",
        "MRR",
    ]
    assert first.split() == [
        "1",
        "C0000001",
        "workspace",
        "limit_reached",
        "active_users",
        "125.0",
        "%",
        "84.58",
        "12,345.68",
    ]
    assert second.split() == ["2", "C0000002", "workspace", "single_product", "-", "-", "84.58", "-"]
    assert format_opportunities([], "USD") == "No expansion opportunities in the scoring month."


def test_a_missing_warehouse_says_to_build_first(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["opportunities", "--warehouse", str(tmp_path / "none.duckdb")]) == 1
    assert "run `saas-warehouse build` first" in capsys.readouterr().err


def test_the_top_rows_are_the_mart_s_in_rank_order_and_nothing_is_written(
    sample_published: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = hashlib.sha256(sample_published.read_bytes()).hexdigest()
    assert main(["opportunities", "--top", "5", "--warehouse", str(sample_published)]) == 0
    printed = capsys.readouterr().out.splitlines()[4:]
    with duckdb.connect(str(sample_published), read_only=True) as connection:
        expected = connection.execute(
            "select rank, customer_id, product_id, trigger from marts.mart_expansion_opportunities "
            "where rank <= 5 order by rank"
        ).fetchall()
    assert len(expected) == 5
    assert [tuple(line.split()[:4]) for line in printed] == [
        (str(rank), customer, product, trigger) for rank, customer, product, trigger in expected
    ]
    assert hashlib.sha256(sample_published.read_bytes()).hexdigest() == before
