"""PostgreSQL target: where to connect (from the environment) and how the raw schema is loaded."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from orchestration.engines.raw_loader import export_raw_tables

RAW_SCHEMA = "raw"


@dataclass(frozen=True)
class PostgresConnection:
    """The same environment variables and defaults as the `postgres` output in dbt_project/profiles.yml."""

    host: str = "127.0.0.1"
    port: int = 5432
    user: str = "saas_builder"
    password: str = ""
    dbname: str = "saas_warehouse"

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> PostgresConnection:
        env = os.environ if environ is None else environ
        return cls(
            host=env.get("SAAS_PG_HOST", cls.host),
            port=int(env.get("SAAS_PG_PORT", cls.port)),
            user=env.get("SAAS_PG_USER", cls.user),
            password=env.get("SAAS_PG_PASSWORD", cls.password),
            dbname=env.get("SAAS_PG_DATABASE", cls.dbname),
        )

    def connect(self):  # noqa: ANN201 - psycopg2 is imported lazily (only the postgres target needs it)
        import psycopg2

        return psycopg2.connect(
            host=self.host, port=self.port, user=self.user, password=self.password, dbname=self.dbname
        )


def load_raw_into_postgres(
    raw_dir: Path, connection: PostgresConnection, schema: str = RAW_SCHEMA, source: str = "contract"
) -> dict[str, int]:
    """Replace the raw schema's tables with the landing folder's contents, in one transaction (readers see
    the old tables or the new ones, never a half-load). Every column is text. Returns rows per table.
    source stripe: only the contract tables the adapter does not derive (fx_rates, plan_limits,
    usage_snapshots); the Stripe tables are read in place from the schema the connector writes."""
    loaded: dict[str, int] = {}
    with tempfile.TemporaryDirectory(prefix="saas-raw-") as scratch:
        exported = export_raw_tables(raw_dir, Path(scratch), "csv", source)
        with connection.connect() as database, database.cursor() as cursor:
            cursor.execute(f"create schema if not exists {schema}")
            for table, (path, _rows) in exported.items():
                columns = ", ".join(f"{name} text" for name in table.column_names)
                cursor.execute(f"drop table if exists {schema}.{table.name}")
                cursor.execute(f"create table {schema}.{table.name} ({columns})")
                with path.open() as rows:
                    cursor.copy_expert(f"copy {schema}.{table.name} from stdin with (format csv)", rows)
                loaded[table.name] = cursor.rowcount
        database.close()
    return loaded
