"""Where the warehouse reads and writes, from the environment (raw contract, "Run interface").

Every path has a safe default inside the repository so that a fresh clone builds with no configuration.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import date
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
DBT_PROJECT_DIR = REPO_ROOT / "dbt_project"
DEFAULT_RAW_DIR = REPO_ROOT / "seeds"
DEFAULT_WAREHOUSE_PATH = REPO_ROOT / "warehouse" / "saas.duckdb"


@dataclass(frozen=True)
class WarehouseSettings:
    """The three settings every build needs: the landing folder, the published file, the as-of date."""

    raw_dir: Path
    warehouse_path: Path
    as_of: str = ""
    # Start from the published warehouse and recompute only what changed (D-25); False: a full build.
    incremental: bool = True

    @classmethod
    def from_env(cls, environ: os._Environ[str] | dict[str, str] | None = None) -> WarehouseSettings:
        env = os.environ if environ is None else environ
        return cls(
            raw_dir=Path(env.get("SAAS_RAW_DIR") or DEFAULT_RAW_DIR),
            warehouse_path=Path(env.get("SAAS_WAREHOUSE_PATH") or DEFAULT_WAREHOUSE_PATH),
            as_of=env.get("SAAS_AS_OF", ""),
            incremental=env.get("SAAS_INCREMENTAL", "true").strip().lower() not in ("0", "false", "no"),
        ).validated()

    def validated(self) -> WarehouseSettings:
        """Absolute paths (dbt runs in another folder) and a checked as-of date."""
        if self.as_of:
            try:
                date.fromisoformat(self.as_of)
            except ValueError as error:
                raise ValueError(f"SAAS_AS_OF / --as-of must be YYYY-MM-DD, got {self.as_of!r}") from error
        return WarehouseSettings(
            raw_dir=self.raw_dir.expanduser().resolve(),
            warehouse_path=self.warehouse_path.expanduser().resolve(),
            as_of=self.as_of,
            incremental=self.incremental,
        )

    def build_path(self, run_id: str) -> Path:
        """The fresh DuckDB file a run builds into, beside the published file (same filesystem, so
        publishing is an atomic rename)."""
        return self.warehouse_path.parent / f".build-{run_id}.duckdb"

    @property
    def parquet_dir(self) -> Path:
        """Where the published marts are exported as Parquet files, beside the DuckDB file."""
        return self.warehouse_path.parent / "parquet"

    def dbt_vars(self, build_path: Path, code_fingerprint: str = "") -> dict[str, str]:
        return {
            "raw_dir": str(self.raw_dir),
            "as_of": self.as_of,
            "build_path": str(build_path),
            "code_fingerprint": code_fingerprint,
        }
