"""Where the warehouse reads and writes, and the safety settings of a build, from the environment (raw
contract, "Run interface").

Every path has a safe default inside the repository so that a fresh clone builds with no configuration.
A variable that is set but empty is an error, never the default: an unset variable in a cron line must not
publish the sample company over a production warehouse.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

REPO_ROOT = Path(__file__).resolve().parent.parent
DBT_PROJECT_DIR = REPO_ROOT / "dbt_project"


@lru_cache(maxsize=1)
def project_vars() -> dict[str, Any]:
    """The vars of dbt_project.yml: declarations that SQL and Python read alike (the grammar of raw values,
    the expansion mechanisms, the reporting currency, ...)."""
    document = yaml.safe_load((DBT_PROJECT_DIR / "dbt_project.yml").read_text(encoding="utf-8"))
    return document["vars"]


DEFAULT_RAW_DIR = REPO_ROOT / "seeds"
DEFAULT_WAREHOUSE_PATH = REPO_ROOT / "warehouse" / "saas.duckdb"
DEFAULT_MAX_DROP_SHARE = Decimal("0.2")
DEFAULT_LOCK_TIMEOUT_SECONDS = 600
AS_OF_FORMAT = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
TRUE_WORDS = ("1", "true", "yes", "y", "on")
FALSE_WORDS = ("0", "false", "no", "n", "off")


SOURCES = ("contract", "stripe", "periods")


class SettingsError(ValueError):
    """A setting (flag or environment variable) that cannot be used; the message says what to do."""


def parse_as_of(text: str, source: str = "--as-of / SAAS_AS_OF") -> str:
    """'' (today, resolved when the build starts) or a real calendar day written exactly YYYY-MM-DD
    (Python's fromisoformat alone also takes 20261031 and 2026-W44-6)."""
    value = text.strip()
    if value == "":
        return ""
    if not AS_OF_FORMAT.fullmatch(value):
        raise SettingsError(f"{source} must be a date written YYYY-MM-DD (e.g. 2026-10-31), got {text!r}.")
    try:
        date.fromisoformat(value)
    except ValueError as error:
        raise SettingsError(f"{source} is not a calendar day: {text!r} ({error}).") from error
    return value


def parse_source(text: str, name: str = "--source / SAAS_SOURCE") -> str:
    """What the landing folder holds (docs/adapters.md): contract (the raw contract), stripe (Fivetran's
    Stripe tables) or periods (dbt Labs' mrr-playbook subscription_periods)."""
    value = text.strip().lower()
    if value not in SOURCES:
        raise SettingsError(f"{name} must be one of {', '.join(SOURCES)}, got {text!r}.")
    return value


def parse_flag(text: str, name: str) -> bool:
    value = text.strip().lower()
    if value in TRUE_WORDS:
        return True
    if value in FALSE_WORDS:
        return False
    raise SettingsError(f"{name} must be true or false, got {text!r}.")


def share_message(name: str, text: str) -> str:
    return f"{name} must be a fraction above 0 and at most 1 (0.2 = 20 %; unset: 0.2), got {text!r}."


def parse_share(text: str, name: str) -> Decimal:
    try:
        share = Decimal(text.strip())
    except InvalidOperation as error:
        raise SettingsError(
            f"{name} must be a fraction between 0 and 1 (0.2 = 20 %), got {text!r}."
        ) from error
    if not Decimal(0) < share <= Decimal(1):
        raise SettingsError(f"{name} must be a fraction between 0 and 1 (0.2 = 20 %), got {text!r}.")
    return share


def path_from_env(env: Mapping[str, str], name: str, default: Path, why: str) -> Path:
    if name not in env:
        return default
    if env[name].strip() == "":
        raise SettingsError(
            f"{name} is set but empty. Unset it to use the default ({default}) or set it to a path; an empty "
            f"value is refused so that an unset variable in a cron line cannot {why}."
        )
    return Path(env[name])


@dataclass(frozen=True)
class WarehouseSettings:
    """What every build needs: the landing folder, the published file, the as-of date, and how careful the
    publish step is."""

    raw_dir: Path
    warehouse_path: Path
    as_of: str = ""
    # What the landing folder holds: contract, stripe or periods (an adapter derives the contract's tables).
    source: str = "contract"
    # Start from the published warehouse and recompute only what changed (D-25); False: a full build.
    incremental: bool = True
    # Publish even when the figures fell by more than max_drop_share, raw tables lost rows, the landing
    # folder differs or the as-of date went back (D-31).
    allow_drop: bool = False
    max_drop_share: Decimal = DEFAULT_MAX_DROP_SHARE
    # Build with an as-of date far past the latest event (dbt var allow_as_of_beyond_data).
    force_as_of: bool = False
    # How long a build waits for another build of the same warehouse to finish.
    lock_timeout_seconds: int = DEFAULT_LOCK_TIMEOUT_SECONDS

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> WarehouseSettings:
        env = os.environ if environ is None else environ
        return cls(
            raw_dir=path_from_env(
                env, "SAAS_RAW_DIR", DEFAULT_RAW_DIR, "publish the sample company over your warehouse"
            ),
            warehouse_path=path_from_env(
                env, "SAAS_WAREHOUSE_PATH", DEFAULT_WAREHOUSE_PATH, "publish into the repository's folder"
            ),
            as_of=parse_as_of(env.get("SAAS_AS_OF", ""), "SAAS_AS_OF"),
            source=parse_source(env.get("SAAS_SOURCE", "contract"), "SAAS_SOURCE"),
            incremental=parse_flag(env.get("SAAS_INCREMENTAL", "true"), "SAAS_INCREMENTAL"),
            allow_drop=parse_flag(env.get("SAAS_ALLOW_DROP", "false"), "SAAS_ALLOW_DROP"),
            max_drop_share=parse_share(
                env.get("SAAS_MAX_DROP_SHARE", str(DEFAULT_MAX_DROP_SHARE)), "SAAS_MAX_DROP_SHARE"
            ),
            lock_timeout_seconds=parse_seconds(
                env.get("SAAS_LOCK_TIMEOUT", str(DEFAULT_LOCK_TIMEOUT_SECONDS)), "SAAS_LOCK_TIMEOUT"
            ),
        ).validated()

    def validated(self) -> WarehouseSettings:
        """Absolute paths (dbt runs in another folder) and a checked as-of date."""
        return replace(
            self,
            raw_dir=self.raw_dir.expanduser().resolve(),
            warehouse_path=self.warehouse_path.expanduser().resolve(),
            as_of=parse_as_of(self.as_of),
            source=parse_source(self.source),
        )

    def resolved(self, today: date | None = None) -> WarehouseSettings:
        """The same settings with the as-of date fixed (today, UTC, when empty): resolved once when a build
        starts and passed to dbt and every check, so a build that crosses midnight uses one day."""
        if self.as_of:
            return self
        return replace(self, as_of=(today or datetime.now(UTC).date()).isoformat())

    @property
    def as_of_date(self) -> date:
        return date.fromisoformat(self.resolved().as_of)

    def build_path(self, run_id: str) -> Path:
        """The DuckDB file a run builds into, beside the published file (same filesystem, so publishing is
        an atomic rename). Named after the published file, so that stale build files of this warehouse can
        be told from another warehouse's in the same folder."""
        return self.warehouse_path.parent / f".{self.warehouse_path.stem}.build-{run_id}.duckdb"

    @property
    def lock_path(self) -> Path:
        return self.warehouse_path.parent / f".{self.warehouse_path.name}.lock"

    @property
    def parquet_dir(self) -> Path:
        """Where the published marts are exported as Parquet files, beside the DuckDB file (a link to the
        folder of the current generation)."""
        return self.warehouse_path.parent / "parquet"

    @property
    def report_path(self) -> Path:
        """The HTML report of the published warehouse, beside the Parquet export (each publish writes it)."""
        return self.warehouse_path.parent / "report.html"

    @property
    def dbt_target_path(self) -> Path:
        """dbt's artifacts of this warehouse's builds: one folder, reused by every build (a folder per
        run, dagster-dbt's default, grew by 10-15 MB a day)."""
        return self.warehouse_path.parent / f".{self.warehouse_path.stem}.dbt-target"

    @property
    def log_dir(self) -> Path:
        return self.warehouse_path.parent / "logs"

    def dbt_vars(self, build_path: Path, code_fingerprint: str = "") -> dict[str, object]:
        return {
            "raw_dir": str(self.raw_dir),
            "as_of": self.as_of,
            "source": self.source,
            "build_path": str(build_path),
            "code_fingerprint": code_fingerprint,
            "allow_as_of_beyond_data": self.force_as_of,
        }


def parse_seconds(text: str, name: str) -> int:
    value = text.strip()
    if not value.isdigit() or int(value) < 1:
        raise SettingsError(f"{name} must be a whole number of seconds (1 or more), got {text!r}.")
    return int(value)
