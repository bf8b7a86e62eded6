from __future__ import annotations

from pathlib import Path

import pytest

from tests.dbt_runner import dbt

TESTS_DIR = Path(__file__).resolve().parent
GOLDEN_RAW_DIR = TESTS_DIR / "fixtures" / "golden"
GOLDEN_EXPECTED_DIR = TESTS_DIR / "fixtures" / "golden_expected"
GOLDEN_AS_OF = "2025-12-31"
SAMPLE_AS_OF = "2026-10-31"


@pytest.fixture(scope="session")
def golden_warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The golden scenario built with `dbt build` (every model, data test and unit test)."""
    build_path = tmp_path_factory.mktemp("golden") / "golden.duckdb"
    dbt("build", GOLDEN_RAW_DIR, build_path, GOLDEN_AS_OF)
    return build_path
