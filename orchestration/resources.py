"""Dagster resources: the warehouse settings of a run (overridable per run in the launchpad or CLI)."""

from __future__ import annotations

from pathlib import Path

from dagster import ConfigurableResource

from orchestration.settings import WarehouseSettings


class WarehouseResource(ConfigurableResource):
    """Landing folder, published DuckDB file, as-of date and incremental or full build of a run
    (defaults: the environment)."""

    raw_dir: str
    warehouse_path: str
    as_of: str = ""
    incremental: bool = True

    @classmethod
    def from_env(cls) -> WarehouseResource:
        settings = WarehouseSettings.from_env()
        return cls(
            raw_dir=str(settings.raw_dir),
            warehouse_path=str(settings.warehouse_path),
            as_of=settings.as_of,
            incremental=settings.incremental,
        )

    @property
    def settings(self) -> WarehouseSettings:
        return WarehouseSettings(
            Path(self.raw_dir), Path(self.warehouse_path), self.as_of, self.incremental
        ).validated()
