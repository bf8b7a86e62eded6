"""Lint runs in the test command: ruff for Python, sqlfluff (dbt templater) for the dbt models."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent


def run_tool(module: str, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", module, *args], cwd=REPO_ROOT, capture_output=True, text=True, env=env
    )


def test_ruff_check_is_clean() -> None:
    result = run_tool("ruff", "check", ".")
    assert result.returncode == 0, result.stdout + result.stderr


def test_ruff_format_is_clean() -> None:
    result = run_tool("ruff", "format", "--check", ".")
    assert result.returncode == 0, result.stdout + result.stderr


def test_sqlfluff_lint_is_clean(tmp_path: Path) -> None:
    # The dbt templater compiles the project: give it a throwaway database and the sample landing folder.
    env = {
        **os.environ,
        "SAAS_BUILD_PATH": str(tmp_path / "lint.duckdb"),
        "SAAS_RAW_DIR": str(REPO_ROOT / "seeds"),
    }
    result = run_tool("sqlfluff", "lint", "dbt_project/models", "dbt_project/tests", env=env)
    assert result.returncode == 0, result.stdout[-5000:] + result.stderr[-2000:]
