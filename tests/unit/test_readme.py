"""The README stays true to the catalogue and to the interface it documents."""

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


def test_the_two_quick_start_commands_are_there() -> None:
    """One command runs the suite, one runs the tests; .ci/run uses the second."""
    assert "pip install . && face-conformance run" in README
    assert 'pip install -e ".[dev]" && pytest' in README
    ci = (Path(__file__).parents[2] / ".ci" / "run").read_text(encoding="utf-8")
    assert 'pip install -q -e ".[dev]"' in ci and "python -m pytest" in ci


def test_every_documented_run_option_exists() -> None:
    """Every `--option` of the README's options table is an option of `face-conformance run`."""
    run = build_parser()._subparsers._group_actions[0].choices["run"]  # argparse keeps sub-commands here
    known = {opt for action in run._actions for opt in action.option_strings}
    section = README.split("## Options", 1)[1].split("##", 1)[0]
    table = [line.split("|")[1] for line in section.splitlines() if line.startswith("| `--")]
    documented = {word.strip("`,") for cell in table for word in cell.split() if word.startswith("`--")}
    assert documented, "the options table lists no option"
    assert documented <= known, f"documented but unknown: {documented - known}"
