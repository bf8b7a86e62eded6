"""Dagster resources: the warehouse settings of a run (overridable per run in the launchpad or CLI)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path

from dagster import ConfigurableResource, InitResourceContext
from pydantic import PrivateAttr

from orchestration.locking import build_lock
from orchestration.publishing import wait_for_orphaned_builds
from orchestration.settings import WarehouseSettings


class WarehouseResource(ConfigurableResource):
    """Landing folder, published DuckDB file, as-of date, incremental or full build, and the publish
    guard's settings of a run (defaults: the environment).

    For a run, the resource holds the warehouse's build lock from the first step to the last and fixes
    the as-of date once (today, when empty), so that dbt and every check see the same day."""

    raw_dir: str
    warehouse_path: str
    as_of: str = ""
    source: str = "contract"
    incremental: bool = True
    allow_drop: bool = False
    max_drop_share: str = "0.2"
    force_as_of: bool = False
    lock_timeout_seconds: int = 600
    _resolved: WarehouseSettings | None = PrivateAttr(default=None)

    @classmethod
    def from_env(cls) -> WarehouseResource:
        return cls.from_settings(WarehouseSettings.from_env())

    @classmethod
    def from_settings(cls, settings: WarehouseSettings) -> WarehouseResource:
        return cls(**run_config_fields(settings))

    def configured_settings(self) -> WarehouseSettings:
        return WarehouseSettings(
            raw_dir=Path(self.raw_dir),
            warehouse_path=Path(self.warehouse_path),
            as_of=self.as_of,
            source=self.source,
            incremental=self.incremental,
            allow_drop=self.allow_drop,
            max_drop_share=Decimal(self.max_drop_share),
            force_as_of=self.force_as_of,
            lock_timeout_seconds=self.lock_timeout_seconds,
        ).validated()

    @property
    def settings(self) -> WarehouseSettings:
        return self._resolved or self.configured_settings().resolved()

    @contextmanager
    def yield_for_execution(self, context: InitResourceContext) -> Iterator[WarehouseResource]:
        if context.run is None:  # a sensor or schedule evaluation: no build, no lock
            yield self
            return
        settings = self.configured_settings().resolved()
        self._resolved = settings
        details = {"as_of": settings.as_of, "raw_dir": str(settings.raw_dir), "run_id": context.run.run_id}
        with build_lock(settings.lock_path, settings.lock_timeout_seconds, details):
            wait_for_orphaned_builds(settings)
            yield self


def run_config_fields(settings: WarehouseSettings) -> dict[str, object]:
    """The resource's config for these settings (also the run config the CLI passes)."""
    return {
        "raw_dir": str(settings.raw_dir),
        "warehouse_path": str(settings.warehouse_path),
        "as_of": settings.as_of,
        "source": settings.source,
        "incremental": settings.incremental,
        "allow_drop": settings.allow_drop,
        "max_drop_share": str(settings.max_drop_share),
        "force_as_of": settings.force_as_of,
        "lock_timeout_seconds": settings.lock_timeout_seconds,
    }
