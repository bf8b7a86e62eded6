"""Tests of ``company_generator.daily``: landing one more day of billing data, append-only."""

from __future__ import annotations

import hashlib
import shutil
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest

from company_generator import generate_company
from company_generator.daily import land_next_day, main

REPO = Path(__file__).resolve().parents[1]
SEEDS = REPO / "seeds"
DAY = date(2026, 11, 1)


def _digest(folder: Path) -> dict[str, str]:
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def _reader(paths: list[Path]) -> str:
    names = ", ".join(f"'{p.as_posix()}'" for p in paths)
    if paths[0].suffix == ".csv":
        return f"read_csv([{names}], all_varchar = true, union_by_name = true)"
    return f"read_parquet([{names}], union_by_name = true)"


def _event_files(folder: Path) -> list[Path]:
    return sorted([*folder.glob("subscription_events.*"), *(folder / "subscription_events").glob("*.*")])


@pytest.fixture(scope="module")
def parquet_company(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("company") / "raw"
    generate_company(folder, customers=300, seed=1, fmt="parquet")
    return folder


def _day_after_last_event(folder: Path) -> date:
    """The first day land_next_day accepts: after every event (occurred or recorded) and exchange rate."""
    events = _reader(_event_files(folder))
    rates = _reader(sorted(folder.glob("fx_rates.*")))
    sql = f"""
        select greatest(
            (select max(greatest(occurred, coalesce(recorded, occurred)))
             from (select cast(occurred_at as timestamptz) as occurred,
                          cast(recorded_at as timestamptz) as recorded from {events})),
            (select max(cast(rate_date as date)) from {rates}))"""
    with duckdb.connect() as con:
        con.execute("set TimeZone = 'UTC'")
        latest = con.execute(sql).fetchall()[0][0]
    return (latest.date() if hasattr(latest, "date") else latest) + timedelta(days=1)


def _land_and_check(source: Path, tmp_path: Path, day: date) -> tuple[Path, dict[str, int]]:
    """Land ``day`` in two copies of ``source``: only new day files, identical in both, old files intact."""
    before = _digest(source)
    a, b = shutil.copytree(source, tmp_path / "a"), shutil.copytree(source, tmp_path / "b")
    counts = land_next_day(a, day)
    assert land_next_day(b, day) == counts
    after = _digest(a)
    assert after == _digest(b), "not deterministic"
    assert {k: v for k, v in after.items() if k in before} == before, "an existing file changed"
    ext = "csv" if (source / "subscription_events.csv").exists() else "parquet"
    expected = {f"{t}/day-{day.isoformat()}.{ext}" for t, n in counts.items() if n > 0}
    assert set(after) - set(before) == expected
    for table in ("subscription_events", "customers", "fx_rates"):
        assert counts[table] > 0, table
    assert counts["usage_snapshots"] == 0
    for name in expected:
        with duckdb.connect() as con:
            assert (
                con.execute(f"select count(*) from {_reader([a / name])}").fetchall()[0][0]
                == counts[name.split("/")[0]]
            )
    return a, counts


def _check_events(folder: Path, day: date) -> None:
    """Backdated changes fall inside valid item histories; one redelivery; one correction."""
    new = [p for p in _event_files(folder) if p.name.startswith(f"day-{day.isoformat()}")]
    old = [p for p in _event_files(folder) if p not in new]
    with duckdb.connect() as con:
        con.execute("set TimeZone = 'UTC'")
        con.execute(f"create view old as select * from {_reader(old)}")
        con.execute(f"create view new as select * from {_reader(new)}")
        con.execute(f"""
            create view backdated as
            select n.* from new as n
            where not exists (select 1 from old as o where o.event_id = n.event_id)
              and cast(n.occurred_at as timestamptz) < date '{day.replace(day=1)}'
        """)

        def one(sql: str) -> int:
            return con.execute(sql).fetchall()[0][0]

        assert one("select count(*) from backdated") >= 1
        assert one("select count(*) from backdated where event_type <> 'item_changed'") == 0
        assert one(f"select count(*) from new where cast(recorded_at as timestamptz)::date = '{day}'") >= 1
        assert (
            one("""
            select count(*) from backdated as b
            where not exists (
                select 1 from old as o where o.item_id = b.item_id and o.event_type = 'item_started'
                  and try_cast(o.occurred_at as timestamptz) < cast(b.occurred_at as timestamptz))
               or exists (select 1 from old as o where o.item_id = b.item_id and o.event_type = 'item_ended')
        """)
            == 0
        )
        assert (
            one("""
            select count(*) from backdated as b where exists (
                select 1 from old as o where o.item_id = b.item_id
                  and try_cast(o.occurred_at as timestamptz) > cast(b.occurred_at as timestamptz))
        """)
            >= 1
        ), "no backdated change falls between two existing events"
        assert one("select count(*) from (select * from new intersect select * from old)") >= 1
        assert (
            one(f"""
            select count(*) from new as n join old as o using (event_id)
            where n.quantity is distinct from o.quantity
              and cast(n.recorded_at as timestamptz)::date = '{day}'
        """)
            >= 1
        )
        assert one("select count(*) - count(distinct event_id) from new") == 0
        assert one("select count(*) from new join old using (event_id) where new.event_id like 'ED%'") == 0


def _check_customers(folder: Path, day: date) -> None:
    ext = "csv" if (folder / "customers.csv").exists() else "parquet"
    new = folder / "customers" / f"day-{day.isoformat()}.{ext}"
    old = sorted(p for p in [*folder.glob("customers.*"), *(folder / "customers").glob("*.*")] if p != new)
    events = _event_files(folder)
    with duckdb.connect() as con:
        ids = [r[0] for r in con.execute(f"select customer_id from {_reader([new])}").fetchall()]
        top = con.execute(
            f"select max(customer_id) from {_reader(old)} where customer_id like 'C%'"
        ).fetchall()
        started = con.execute(
            f"select distinct customer_id from {_reader(events)} where event_type = 'item_started' "
            "and list_contains(?, customer_id)",
            [ids],
        ).fetchall()
    assert all(len(i) == 8 and i.startswith("C") and i > top[0][0] for i in ids)
    assert sorted(r[0] for r in started) == sorted(ids), "every new customer starts an item"


def test_land_next_day_on_the_csv_sample(tmp_path: Path) -> None:
    folder, counts = _land_and_check(SEEDS, tmp_path, DAY)
    _check_events(folder, DAY)
    _check_customers(folder, DAY)
    assert counts["fx_rates"] == 3
    rates = (folder / "fx_rates" / "day-2026-11-01.csv").read_text().splitlines()
    assert rates[0] == "rate_date,currency,rate_to_reporting" and "2026-11-01,USD,1" in rates
    header = (SEEDS / "subscription_events.csv").read_text().splitlines()[0]
    assert (folder / "subscription_events" / "day-2026-11-01.csv").read_text().splitlines()[0] == header


def test_land_next_day_on_a_parquet_company(parquet_company: Path, tmp_path: Path) -> None:
    day = _day_after_last_event(parquet_company)
    folder, counts = _land_and_check(parquet_company, tmp_path, day)
    _check_events(folder, day)
    _check_customers(folder, day)
    for table, n in counts.items():
        if n:
            existing = sorted((parquet_company / table).glob("*.parquet")) or [
                parquet_company / f"{table}.parquet"
            ]
            new = pq.read_schema(folder / table / f"day-{day.isoformat()}.parquet")
            assert new.equals(pq.read_schema(existing[0]), check_metadata=False), table


def test_two_consecutive_days(tmp_path: Path) -> None:
    folder = shutil.copytree(SEEDS, tmp_path / "raw")
    land_next_day(folder, DAY)
    first = _digest(folder)
    counts = land_next_day(folder, DAY + timedelta(days=1), seed=3)
    assert counts["subscription_events"] > 0 and counts["fx_rates"] == 3
    assert {k: v for k, v in _digest(folder).items() if k in first} == first
    _check_events(folder, DAY + timedelta(days=1))
    _check_customers(folder, DAY + timedelta(days=1))
    with pytest.raises(FileExistsError):
        land_next_day(folder, DAY + timedelta(days=1))
    with pytest.raises(ValueError, match="not after the last day"):
        land_next_day(folder, DAY - timedelta(days=1))


def test_cli_prints_the_counts(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = shutil.copytree(SEEDS, tmp_path / "raw")
    assert main([str(folder), "2026-11-01", "--seed", "5", "--activity", "0.004"]) == 0
    out = capsys.readouterr().out
    assert "subscription_events" in out and "fx_rates" in out
    assert (folder / "subscription_events" / "day-2026-11-01.csv").exists()
