from __future__ import annotations

import fcntl
import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from orchestration.project import prepare_manifest
from orchestration.settings import DEFAULT_RAW_DIR, WarehouseSettings
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
# The second golden scenario (golden_scenarios.md, "Golden scenario 2"): usage and plan limits for the
# expansion-intelligence marts, built as of GOLDEN_AS_OF too.
GOLDEN_EXPANSION_RAW_DIR = TESTS_DIR / "fixtures" / "golden_expansion"
GOLDEN_AS_OF = "2025-12-31"
SAMPLE_AS_OF = "2026-10-31"
# What the golden scenario reads on every engine (its tests look at marts and at staged events).
ENGINE_SCHEMAS = ("marts", "staging")


def pytest_configure(config: pytest.Config) -> None:
    """The prepare step, once before collection: test modules import the Dagster definitions, which are
    loaded from the parsed manifest and parse nothing themselves."""
    prepare_manifest()


def pytest_itemcollected(item: pytest.Item) -> None:
    """Which tests share a worker when the suite runs in parallel (pytest-xdist, --dist loadgroup): the
    tests of one engine share its server or Spark session, and the tests of a module share its module
    fixtures; the rest (the bad-input corpus, publishing) spread over every worker. Set as each test is
    collected, before any collection hook (xdist's reads the group, -m reads the slow marker)."""
    group = parallel_group(item)
    item.add_marker(pytest.mark.xdist_group(group))
    if group in ENGINE_GROUPS or group in SLOW_MODULES:
        item.add_marker(pytest.mark.slow)
    if group in SPARK_GROUPS:
        item.add_marker(pytest.mark.engines)


ENGINE_GROUPS = ("spark", "spark-sample", "postgres")
# Spark takes minutes of CPU even for the golden scenario: its tests are marked `engines`, which the README's
# test command leaves out and CI runs after it (`pytest -m engines`; DECISIONS.md D-43).
SPARK_GROUPS = ("spark", "spark-sample")
# Modules of long builds (several full builds each): `pytest -m "not slow"` leaves them and the engines out
# while a change is being worked on; the README's test command runs everything.
SLOW_MODULES = ("test_incremental.py", "test_safe_publish.py", "test_rebuilds.py", "test_golden_as_of.py")


SPREAD_MODULES = ("test_publish.py", "test_checks.py")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """The longest groups first (the engines, which mostly wait for Spark or PostgreSQL, then the modules
    of several builds), so that workers do not wait for them at the end; otherwise collection order."""
    items.sort(key=start_order)


# Long single tests that would otherwise start last and finish alone: sqlfluff's dbt templater, the sample
# company published through the Dagster job.
LONG_MODULES = ("test_lint.py", "test_sample_build.py")


def start_order(item: pytest.Item) -> int:
    group = parallel_group(item)
    return 0 if group in ENGINE_GROUPS else 1 if group in SLOW_MODULES or group in LONG_MODULES else 2


def parallel_group(item: pytest.Item) -> str:
    """By the engine in the test's id or its fixtures' names, else by module (or alone)."""
    name = " ".join([item.nodeid, *getattr(item, "fixturenames", [])]).lower()
    if "spark" in name:  # two Spark sessions side by side: the golden scenario's and the sample's
        return "spark-sample" if "sample" in name else "spark"
    if "postgres" in name:
        return "postgres"
    module = item.nodeid.split("::")[0].rsplit("/", 1)[-1]
    return item.nodeid if module in SPREAD_MODULES else module


def shared_folder(tmp_path_factory: pytest.TempPathFactory, name: str, build: Callable[[Path], None]) -> Path:
    """A folder built once per test run, by whichever worker needs it first (the others wait for it and
    reuse it). Tests read it; a test that changes a shared build works on its own copy."""
    base = tmp_path_factory.getbasetemp()
    root = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base
    folder = root / f"shared-{name}"
    with (root / f"shared-{name}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (folder / ".built").exists():
            shutil.rmtree(folder, ignore_errors=True)
            folder.mkdir()
            build(folder)
            (folder / ".built").touch()
    return folder


@pytest.fixture(scope="session")
def golden_warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The golden scenario built with `dbt build` (every model, data test and unit test)."""
    folder = shared_folder(
        tmp_path_factory,
        "golden",
        lambda folder: dbt("build", GOLDEN_RAW_DIR, folder / "golden.duckdb", GOLDEN_AS_OF),
    )
    return folder / "golden.duckdb"


@pytest.fixture(scope="session")
def golden_expansion_warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The second golden scenario (expansion intelligence) built with `dbt build`, as the first."""
    folder = shared_folder(
        tmp_path_factory,
        "golden-expansion",
        lambda folder: dbt(
            "build", GOLDEN_EXPANSION_RAW_DIR, folder / "golden_expansion.duckdb", GOLDEN_AS_OF
        ),
    )
    return folder / "golden_expansion.duckdb"


@pytest.fixture(scope="session")
def sample_warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample company (seeds/) built with `dbt build` (every model, data test and unit test)."""
    folder = shared_folder(
        tmp_path_factory,
        "sample",
        lambda folder: dbt("build", DEFAULT_RAW_DIR, folder / "sample.duckdb", SAMPLE_AS_OF),
    )
    return folder / "sample.duckdb"


def publish_build(raw_dir: Path, warehouse_path: Path, as_of: str) -> None:
    """Build, check and publish through the Dagster job, as `saas-warehouse build` does."""
    from orchestration.build import execute_build

    result = execute_build(WarehouseSettings(raw_dir, warehouse_path, as_of).validated())
    assert result.success, result.error


def copy_published(template: Path, target_folder: Path) -> Path:
    """A published warehouse's folder (file, Parquet set and its link) copied for one test to change."""
    shutil.copytree(template.parent, target_folder, symlinks=True)
    return target_folder / template.name


@pytest.fixture(scope="session")
def golden_published_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The golden scenario published once (read it, or copy it with copy_published to change it)."""
    folder = shared_folder(
        tmp_path_factory,
        "golden-published",
        lambda folder: publish_build(GOLDEN_RAW_DIR, folder / "published" / "saas.duckdb", GOLDEN_AS_OF),
    )
    return folder / "published" / "saas.duckdb"


@pytest.fixture(scope="session")
def sample_published(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample company published once through the Dagster job (read only)."""
    folder = shared_folder(
        tmp_path_factory,
        "sample-published",
        lambda folder: publish_build(DEFAULT_RAW_DIR, folder / "published" / "saas.duckdb", SAMPLE_AS_OF),
    )
    return folder / "published" / "saas.duckdb"


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
