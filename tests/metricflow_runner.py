"""MetricFlow on a built warehouse, for tests: the SQL MetricFlow writes for a query, run by DuckDB itself.

The semantic manifest comes from `dbt parse --target semantic` (the target `mf query` uses: the warehouse
attached read-only as catalog `warehouse`). MetricFlow's own engine plans the query and renders its SQL
(`explain`); DuckDB runs that SQL on the warehouse, so money comes back as exact decimals, as the marts have
it, rather than through the floats of a data frame.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from orchestration.settings import DBT_PROJECT_DIR

SEMANTIC_CATALOG = "warehouse"


def parse_semantic_manifest(target_path: Path, log_path: Path) -> Path:
    """`dbt parse --target semantic` into target_path (never the project's own target/, which the Dagster
    code location reads); returns the semantic manifest it wrote."""
    from dbt.cli.main import dbtRunner

    from tests.dbt_runner import environment

    args = [
        "parse",
        "--quiet",
        "--project-dir",
        str(DBT_PROJECT_DIR),
        "--profiles-dir",
        str(DBT_PROJECT_DIR),
        "--target",
        "semantic",
        "--target-path",
        str(target_path),
        "--log-path",
        str(log_path),
    ]
    with environment({"SAAS_WAREHOUSE_PATH": os.devnull}):
        result = dbtRunner().invoke(args)
    if not result.success:
        raise AssertionError(f"dbt parse --target semantic failed: {result.exception}")
    return target_path / "semantic_manifest.json"


class ExplainOnlySqlClient:
    """What MetricFlow's engine needs to plan and render DuckDB SQL; queries run in DuckDB directly."""

    @property
    def sql_engine_type(self) -> Any:
        from metricflow.protocols.sql_client import SqlEngine

        return SqlEngine.DUCKDB

    @property
    def sql_plan_renderer(self) -> Any:
        from metricflow.sql.render.duckdb_renderer import DuckDbSqlPlanRenderer

        return DuckDbSqlPlanRenderer()

    def query(self, *args: Any, **kwargs: Any) -> Any:
        # by design this client only plans and renders (engine.explain); MetricFlowSession.query runs the SQL
        # in DuckDB itself, so that money comes back as exact decimals
        raise RuntimeError("ExplainOnlySqlClient runs no SQL: use MetricFlowSession.query")

    execute = dry_run = query

    def close(self) -> None:
        return None

    def render_bind_parameter_key(self, bind_parameter_key: str) -> str:
        return f"${bind_parameter_key}"


@dataclass
class MetricFlowSession:
    """A MetricFlow engine over one semantic manifest, querying one warehouse file (read-only)."""

    engine: Any
    warehouse: Path

    @classmethod
    def open(cls, semantic_manifest: Path, warehouse: Path) -> MetricFlowSession:
        from metricflow.engine.metricflow_engine import MetricFlowEngine
        from metricflow_semantics.model.dbt_manifest_parser import parse_manifest_from_dbt_generated_manifest
        from metricflow_semantics.model.semantic_manifest_lookup import SemanticManifestLookup

        manifest = parse_manifest_from_dbt_generated_manifest(semantic_manifest.read_text(encoding="utf-8"))
        engine = MetricFlowEngine(SemanticManifestLookup(manifest), ExplainOnlySqlClient())
        return cls(engine, warehouse)

    def sql(
        self,
        metrics: Sequence[str],
        group_by: Sequence[str] = (),
        saved_query: str | None = None,
        where: Sequence[str] = (),
    ) -> str:
        from metricflow.engine.metricflow_engine import MetricFlowQueryRequest

        request = MetricFlowQueryRequest.create(
            saved_query_name=saved_query,
            metric_names=list(metrics) if metrics else None,
            group_by_names=list(group_by) if group_by else None,
            where_constraints=list(where) if where else None,
        )
        return self.engine.explain(request).sql_statement.sql

    def query(
        self,
        metrics: Sequence[str],
        group_by: Sequence[str] = (),
        saved_query: str | None = None,
        where: Sequence[str] = (),
    ) -> list[dict[str, Any]]:
        """The rows of the query, as MetricFlow defines it, each a dict of column -> value."""
        statement = self.sql(metrics, group_by, saved_query, where)
        with duckdb.connect() as connection:
            connection.execute("set TimeZone = 'UTC'")
            path = str(self.warehouse).replace("'", "''")
            connection.execute(f"attach '{path}' as {SEMANTIC_CATALOG} (read_only)")
            cursor = connection.execute(statement)
            columns = [column[0] for column in cursor.description]
            return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]
