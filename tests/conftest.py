from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from orchestration.project import prepare_manifest
from tests.dbt_runner import dbt
from tests.engines import (
    EngineBuild,
    PostgresServer,
    build_on_postgres,
    build_on_spark,
    require_java,
    start_postgres,
)

TESTS_DIR = Path(__file__).resolve().parent
GOLDEN_RAW_DIR = TESTS_DIR / "fixtures" / "golden"
GOLDEN_EXPECTED_DIR = TESTS_DIR / "fixtures" / "golden_expected"
GOLDEN_AS_OF = "2025-12-31"
SAMPLE_AS_OF = "2026-10-31"
# What the golden scenario reads on every engine (its tests look at marts and at staged events).
ENGINE_SCHEMAS = ("marts", "staging")


def pytest_configure(config: pytest.Config) -> None:
    """The prepare step, once before collection: test modules import the Dagster definitions, which are
    loaded from the parsed manifest and parse nothing themselves."""
    prepare_manifest()


@pytest.fixture(scope="session")
def golden_warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The golden scenario built with `dbt build` (every model, data test and unit test)."""
    build_path = tmp_path_factory.mktemp("golden") / "golden.duckdb"
    dbt("build", GOLDEN_RAW_DIR, build_path, GOLDEN_AS_OF)
    return build_path


# --- other engines (PostgreSQL, Spark): the same dbt project, read back and compared with DuckDB --------


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """A PostgreSQL server on 127.0.0.1 with a throwaway data folder (fails, never skips, when missing)."""
    server = start_postgres()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def golden_on_postgres(
    postgres_server: PostgresServer, tmp_path_factory: pytest.TempPathFactory
) -> EngineBuild:
    scratch = tmp_path_factory.mktemp("postgres-golden")
    return build_on_postgres(postgres_server, GOLDEN_RAW_DIR, GOLDEN_AS_OF, scratch, ENGINE_SCHEMAS)


@pytest.fixture(scope="session")
def golden_on_spark(tmp_path_factory: pytest.TempPathFactory) -> EngineBuild:
    require_java()
    scratch = tmp_path_factory.mktemp("spark-golden")
    return build_on_spark(scratch / "warehouse", GOLDEN_RAW_DIR, GOLDEN_AS_OF, scratch, ENGINE_SCHEMAS)
