"""The dbt exposures (dbt_project/models/_exposures.yml) name exactly the marts each consumer reads."""

from __future__ import annotations

import re

import yaml

from orchestration.settings import DBT_PROJECT_DIR, REPO_ROOT

EXPOSURES_FILE = DBT_PROJECT_DIR / "models" / "_exposures.yml"


def exposure_refs() -> dict[str, set[str]]:
    exposures = yaml.safe_load(EXPOSURES_FILE.read_text(encoding="utf-8"))["exposures"]
    return {
        exposure["name"]: {re.fullmatch(r"ref\('(\w+)'\)", ref).group(1) for ref in exposure["depends_on"]}
        for exposure in exposures
    }


def mart_models() -> set[str]:
    return {path.stem for path in (DBT_PROJECT_DIR / "models" / "marts").rglob("*.sql")}


def test_parquet_export_and_bi_role_read_every_mart() -> None:
    """Publishing exports every table of the marts schema; PostgreSQL grants the BI role every mart."""
    refs = exposure_refs()
    assert refs["parquet_export"] == mart_models()
    assert refs["bi_reader_role"] == mart_models()


def test_the_report_exposure_lists_the_marts_the_report_reads() -> None:
    source = (REPO_ROOT / "orchestration" / "report.py").read_text(encoding="utf-8")
    read = set(re.findall(r"\bmarts\.(\w+)", source))
    assert read == exposure_refs()["html_report"]
    assert read <= mart_models()
