"""Every command's options come from the one table, `config.options.COMMANDS`."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from face_conformance.cli import COMMAND_HELP, build_parser
from face_conformance.config.options import COMMANDS, OPTIONS

PACKAGE = Path(__file__).resolve().parents[2] / "face_conformance"


def test_no_module_but_the_table_declares_an_option() -> None:
    declaring = re.compile(r"\.add_argument\(|\.addoption\(")
    found = [str(p.relative_to(PACKAGE)) for p in PACKAGE.rglob("*.py")
             if declaring.search(p.read_text(encoding="utf-8")) and p.relative_to(PACKAGE) != Path("config/options.py")]
    assert found == []


def test_every_command_has_a_row_in_the_table_and_its_parser_holds_exactly_those_options() -> None:
    assert set(COMMAND_HELP) == set(COMMANDS)
    sub = next(a for a in build_parser()._actions if a.dest == "command").choices  # type: ignore[union-attr]
    for command, declared in COMMANDS.items():
        dests = {a.dest for a in sub[command]._actions if a.dest != "help"}
        assert dests == {o.key for o in declared}, command


@pytest.mark.parametrize("argv", [["serve", "--port", "x"], ["diff", "--seed", "one"], ["judge"],
                                  ["baseline"], ["cleanup", "--nope"]])
def test_a_value_the_table_cannot_take_is_a_usage_error(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    from face_conformance.cli import main

    assert main(argv) == 2
    assert capsys.readouterr().err.startswith("face-conformance: error:")


def test_the_run_options_are_the_tables_first_rows() -> None:
    assert COMMANDS["run"][:len(OPTIONS)] == OPTIONS
