"""One Spark build in one process: register the raw files, `dbt build`, export the models as Parquet.

    python -m tests.spark_build <request.json>

The three dbt commands run through dbt's programmatic entry point (dbtRunner) in this process, so they
share one Spark session: starting Spark (a JVM, Derby, the Hive catalog) costs about 20 s, three times
when each command is a dbt process of its own. The request gives the raw files' folders, the schemas to
export, the export folder and the build's target path; the environment is the spark target's
(SAAS_SPARK_DIR, SAAS_RAW_DIR, SAAS_AS_OF). Prints the build's seconds on the last line; exits 1 with dbt's
messages when a command fails.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

from orchestration.settings import DBT_PROJECT_DIR


def project_args(target_path: str) -> list[str]:
    return [
        "--target",
        "spark",
        "--project-dir",
        str(DBT_PROJECT_DIR),
        "--profiles-dir",
        str(DBT_PROJECT_DIR),
        "--no-use-colors",
        "--target-path",
        target_path,
    ]


def run(command: list[str]) -> None:
    from dbt.cli.main import dbtRunner

    result = dbtRunner().invoke(command)
    if not result.success:
        print(f"dbt {' '.join(command[:2])} on Spark failed: {result.exception or ''}", file=sys.stderr)
        sys.exit(1)


def main(request: dict[str, Any]) -> float:
    args = project_args(request["target_path"])
    locations = json.dumps({"locations": request["locations"]})
    run(["run-operation", "register_raw_tables", "--args", locations, *args])
    started = time.monotonic()
    run(["build", *args])
    seconds = time.monotonic() - started
    export = json.dumps({"directory": request["export_dir"], "schemas": request["schemas"]})
    run(["run-operation", "export_marts_to_parquet", "--args", export, *args])
    return seconds


if __name__ == "__main__":
    print(f"{main(json.loads(Path(sys.argv[1]).read_text(encoding='utf-8'))):.1f}")
