"""`dbt docs generate` works on a fresh clone, nothing built yet (README, "Documentation")."""

from __future__ import annotations

import json
from pathlib import Path

from orchestration.settings import DBT_PROJECT_DIR, DEFAULT_RAW_DIR
from tests.dbt_runner import environment, invoke


def docs_generate(build_path: Path, target_path: Path) -> str:
    args = ["docs", "generate", "--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR)]
    args += ["--no-use-colors", "--target-path", str(target_path)]
    # dbt resolves the default landing folder ../seeds from where it runs (dbt_project/ in the README)
    with environment({"SAAS_BUILD_PATH": str(build_path), "SAAS_RAW_DIR": str(DEFAULT_RAW_DIR)}):
        outcome = invoke(args, reuse_manifest=False)
    assert outcome.returncode == 0, outcome.stdout[-4000:]
    return outcome.stdout


def test_docs_generate_on_an_empty_file(tmp_path: Path) -> None:
    """Nothing built yet (a fresh clone): the site is written, every model with its YAML description."""
    docs_generate(tmp_path / "empty.duckdb", tmp_path / "target")
    manifest = json.loads((tmp_path / "target" / "manifest.json").read_text())
    assert (tmp_path / "target" / "index.html").stat().st_size > 0
    bridge = manifest["nodes"]["model.saas_warehouse.mart_mrr_bridge"]
    assert "is_complete" in bridge["columns"] and bridge["columns"]["is_complete"]["description"]
