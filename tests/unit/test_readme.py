"""The README stays true to the catalogue, to the interface it documents and to how the tests are run."""

from __future__ import annotations

from pathlib import Path

from face_conformance.cases import catalogue
from face_conformance.cli import build_parser

README = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")


def test_every_row_is_in_the_readme_table() -> None:
    """Each catalogue row ID appears in the README's row table, with its level."""
    for row in catalogue.rows():
        line = next((x for x in README.splitlines() if x.startswith(f"| `{row.id}` |")), None)
        assert line is not None, f"{row.id} missing from the README's row table"
        assert row.level.split("/")[0] in line, f"{row.id}: README does not give level {row.level}"


def test_the_quick_start_commands_are_there() -> None:
    """One command runs the suite; two run the project's tests, a tier each, and .ci/run runs both after ruff."""
    assert "pip install . && face-conformance run" in README
    quick = README.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    assert 'pip install -e ".[dev]"' in quick
    assert "pytest tests/unit " in quick and "the fast tier" in quick
    assert "pytest tests/e2e -n 2 " in quick and "the end-to-end tier" in quick
    ci = (Path(__file__).parents[2] / ".ci" / "run").read_text(encoding="utf-8")
    commands = [line.strip() for line in ci.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    assert "set -euo pipefail" in commands  # a failing tier, or pytest's exit 5 (nothing collected), fails CI
    steps = ['python -m pip install -q -e ".[dev]"', "ruff check .", "python -m pytest tests/unit -q",
             "python -m pytest tests/e2e -q -n 2"]
    assert all(step in commands for step in steps), commands
    assert [commands.index(step) for step in steps] == sorted(commands.index(step) for step in steps)


def test_the_tiers_are_the_folders_the_readme_names() -> None:
    """tests/unit and tests/e2e hold every test module; no test module is left at the top of tests/."""
    tests = Path(__file__).parents[1]
    assert {p.name for p in tests.glob("test_*.py")} == set()
    assert list((tests / "unit").glob("test_*.py")) and list((tests / "e2e").glob("test_*.py"))


def test_every_documented_run_option_exists() -> None:
    """Every `--option` of the README's options table is an option of `face-conformance run`."""
    run = build_parser()._subparsers._group_actions[0].choices["run"]  # argparse keeps sub-commands here
    known = {opt for action in run._actions for opt in action.option_strings}
    section = README.split("## Options", 1)[1].split("##", 1)[0]
    table = [line.split("|")[1] for line in section.splitlines() if line.startswith("| `--")]
    documented = {word.strip("`,") for cell in table for word in cell.split() if word.startswith("`--")}
    assert documented, "the options table lists no option"
    assert documented <= known, f"documented but unknown: {documented - known}"
