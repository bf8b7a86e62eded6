"""Every macro of the dbt project is documented (issue 15): a description, and every argument of its
signature named, typed and described in the macros YAML (dbt_project/macros/**/_*.yml).

One `dbt parse` into a scratch target folder (~10 s); the checks read its manifest.json. Generic tests
({% test name %}) are macros named test_<name> there, and are checked like the others."""

from __future__ import annotations

import json
import re
import subprocess

import jinja2
import jinja2.nodes
import pytest
import yaml
from dbt.parser.schemas import is_valid_type

from orchestration.project import dbt_executable
from orchestration.settings import DBT_PROJECT_DIR

PACKAGE = "saas_warehouse"
MACRO_DOCS = sorted((DBT_PROJECT_DIR / "macros").rglob("*.yml"))
# The opening tag of a macro or generic test: {% macro name(arguments) %} or {%- test name(arguments) -%}.
SIGNATURE = re.compile(r"\{%-?\s*(?:macro|test)\s+\w+\s*\((.*?)\)\s*-?%\}", re.DOTALL)


@pytest.fixture(scope="module")
def macros(tmp_path_factory: pytest.TempPathFactory) -> list[dict]:
    """The project's macros from a fresh parse (not the shared target/ folder, never partial)."""
    scratch = tmp_path_factory.mktemp("macro-docs")
    completed = subprocess.run(
        [
            dbt_executable(),
            "parse",
            "--project-dir",
            str(DBT_PROJECT_DIR),
            "--profiles-dir",
            str(DBT_PROJECT_DIR),
            "--target",
            "duckdb",
            "--target-path",
            str(scratch / "target"),
            "--log-path",
            str(scratch / "logs"),
            "--no-partial-parse",
            "--no-use-colors",
        ],
        cwd=DBT_PROJECT_DIR,
        capture_output=True,
        text=True,
    )
    assert completed.returncode == 0, (
        f"dbt parse failed:\n{completed.stdout[-6000:]}\n{completed.stderr[-2000:]}"
    )
    manifest = json.loads((scratch / "target" / "manifest.json").read_text())
    found = [macro for macro in manifest["macros"].values() if macro["package_name"] == PACKAGE]
    assert len(found) > 100, f"only {len(found)} macros of {PACKAGE} in the manifest"
    return sorted(found, key=lambda macro: (macro["original_file_path"], macro["name"]))


def signature_arguments(macro_sql: str) -> list[str]:
    """The argument names of a macro's definition, in order, parsed by Jinja itself (defaults may hold
    commas, brackets and quotes)."""
    match = SIGNATURE.match(macro_sql.lstrip())
    assert match, f"no macro signature at the start of:\n{macro_sql[:200]}"
    template = jinja2.Environment().parse("{% macro signature(" + match.group(1) + ") %}{% endmacro %}")
    return [argument.name for argument in template.find(jinja2.nodes.Macro).args]


def where(macro: dict) -> str:
    return f"{macro['name']} ({macro['original_file_path']})"


def test_signature_parser_reads_defaults_and_generic_tests() -> None:
    assert signature_arguments("{% macro m(a, b=['x', 'y'], c='(,)') -%} {%- endmacro %}") == ["a", "b", "c"]
    assert signature_arguments("{%- test t(model, column_name) %}select 1{% endtest %}") == [
        "model",
        "column_name",
    ]
    assert signature_arguments("{% macro m() %}{% endmacro %}") == []


def test_every_macro_has_a_description(macros: list[dict]) -> None:
    undocumented = [where(macro) for macro in macros if not macro["description"].strip()]
    assert not undocumented, (
        f"{len(undocumented)} macro(s) without a description: add an entry (name, description, arguments) to "
        "the _<folder>.yml beside the macro's file:\n  " + "\n  ".join(undocumented)
    )


def test_every_argument_is_documented(macros: list[dict]) -> None:
    problems = []
    for macro in macros:
        if not macro["description"].strip():
            continue  # reported by test_every_macro_has_a_description
        in_signature = signature_arguments(macro["macro_sql"])
        documented = [argument["name"] for argument in macro["arguments"]]
        missing = [name for name in in_signature if name not in documented]
        unknown = [name for name in documented if name not in in_signature]
        if missing:
            problems.append(f"{where(macro)}: undocumented argument(s) {', '.join(missing)}")
        if unknown:
            problems.append(
                f"{where(macro)}: documented argument(s) not in the signature {', '.join(unknown)}"
            )
        if not missing and not unknown and documented != in_signature:
            problems.append(
                f"{where(macro)}: arguments documented as {documented}, signature order is {in_signature}"
            )
        for argument in macro["arguments"]:
            if not (argument.get("description") or "").strip():
                problems.append(f"{where(macro)}: argument {argument['name']} has no description")
            if not is_valid_type(argument.get("type") or ""):
                problems.append(
                    f"{where(macro)}: argument {argument['name']} has type {argument.get('type')!r}, "
                    "not one of dbt's macro argument types (string, bool, integer, list[...], dict[...], "
                    "optional[...], relation, any, ...)"
                )
    assert not problems, f"{len(problems)} macro argument problem(s):\n  " + "\n  ".join(problems)


def test_every_documented_macro_exists(macros: list[dict]) -> None:
    """dbt only warns about a YAML entry for a macro that does not exist (renamed or removed)."""
    names = {macro["name"] for macro in macros}
    stale = []
    for path in MACRO_DOCS:
        for entry in (yaml.safe_load(path.read_text()) or {}).get("macros") or []:
            if entry["name"] not in names:
                stale.append(f"{entry['name']} ({path.relative_to(DBT_PROJECT_DIR)})")
    assert not stale, "documented macro(s) that do not exist:\n  " + "\n  ".join(stale)


def test_macro_docs_live_beside_the_macros() -> None:
    """One property file per macro folder, so a macro's documentation is found next to it."""
    folders = {path.parent for path in (DBT_PROJECT_DIR / "macros").rglob("*.sql")}
    without_docs = sorted(
        str(folder.relative_to(DBT_PROJECT_DIR))
        for folder in folders
        if not any(path.parent == folder for path in MACRO_DOCS)
    )
    assert not without_docs, f"macro folder(s) without a _<folder>.yml: {', '.join(without_docs)}"
