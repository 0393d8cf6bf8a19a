"""The pytest plugin and the one options table both command lines read.

The table (`face_conformance.config.options`) is held to `settings.build_settings`: every environment
variable and default an option's help states is the one a run applies. Sessions of the plugin
itself run in pytester subprocesses (a session loads Hypothesis profiles and a SIGTERM handler that
must not leak into this test process): the end-to-end tier's `tests/e2e/test_plugin_sessions.py`.
"""

from __future__ import annotations

import inspect
import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck
from hypothesis import settings as hsettings

from face_conformance import cli, plugin
from face_conformance.config import options, settings
from face_conformance.config.options import OPTIONS
from face_conformance.config.settings import BRING_YOUR_OWN, build_settings
from face_conformance.run.suite_run import SUITE_DIR

pytest_plugins = ["pytester"]

KEY = "plugin-test-key-5b7e"
README = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")
# A valid value for each option the table says comes from the environment, and what the settings hold.
ENV_SAMPLES = {"endpoint": ("https://env.example", "https://env.example"), "key": ("env-key", "env-key"),
               "operation": ("largefacelist", "largefacelist"), "api_version": ("v1.2", "v1.2")}


def flat(text: str) -> str:
    """Whitespace folded, so that a help line wrapped by argparse still matches."""
    return " ".join(text.split())


def test_the_table_names_each_option_once() -> None:
    keys = [o.key for o in OPTIONS]
    assert len(keys) == len(set(keys))
    assert len({o.pytest_flag for o in OPTIONS}) == len(OPTIONS)
    strict = next(o for o in OPTIONS if o.key == "strict")
    assert (strict.cli_flag, strict.pytest_flag) == ("--strict", "--conformance-strict")


def test_every_build_settings_key_is_an_option() -> None:
    """build_settings reads exactly the table's keys (plus none the table lacks)."""
    read = set(re.findall(r'(?<![.\w])get\("(\w+)"\)', inspect.getsource(build_settings)))
    # Read in a loop over their names: each operation's collection ID, then the person and the face.
    read |= {key for key, _ in BRING_YOUR_OWN.values()} | {"person_id", "persisted_face_id"}
    assert read == {o.key for o in OPTIONS}


def test_run_help_documents_every_option(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """`face-conformance run --help` gives each option with its help, environment variable and default."""
    monkeypatch.setenv("COLUMNS", "400")  # no wrapping: argparse would split the sample URL at a hyphen
    with pytest.raises(SystemExit) as info:
        cli.main(["run", "--help"])
    assert info.value.code == 0
    out = flat(capsys.readouterr().out)
    for option in OPTIONS:
        assert option.cli_flag in out
        assert flat(option.full_help) in out, option.name
        if option.env:
            assert f"env {option.env}" in out
        if option.default is not None:
            assert f"default: {option.default}" in out


def test_the_environment_variables_stated_are_honoured() -> None:
    """Each variable the table names sets its option; no other variable is read by build_settings."""
    with_env = [o for o in OPTIONS if o.env]
    assert {o.key for o in with_env} == set(ENV_SAMPLES), "give each option read from the environment a sample"
    for option in with_env:
        raw, expected = ENV_SAMPLES[option.key]
        environ = {option.env: raw}
        if option.key == "endpoint":
            environ["FACE_KEY"] = "k"  # a live endpoint needs a key
        assert getattr(build_settings({}, environ), option.key) == expected, option.env
    read = set(re.findall(r'env\.get\("(\w+)"\)', inspect.getsource(settings)))
    assert read == {o.env for o in with_env}


def test_the_defaults_stated_are_the_defaults() -> None:
    """A run given nothing applies the defaults the help shows; flags default to off."""
    applied = build_settings({}, {})
    for option in OPTIONS:
        value = getattr(applied, option.key)
        if option.flag:
            assert value is False, option.name
        elif option.key == "face_url":
            assert value is None and applied.face_source == option.default
        elif option.default is None:
            assert value is None, f"{option.name} has a default its help does not show"
        elif isinstance(value, float):
            assert value == float(option.default), option.name
        else:
            assert str(value) == option.default, option.name


def test_every_option_is_in_the_readme_options_section() -> None:
    section = README.split("## Options", 1)[1].split("\n## ", 1)[0]
    missing = [o.cli_flag for o in OPTIONS if f"`{o.cli_flag}" not in section]
    assert not missing, f"the README's options table misses {missing}"


def test_cli_and_plugin_read_the_same_values(pytester: pytest.Pytester) -> None:
    """Every option set on `face-conformance run` reaches the plugin as the same raw value."""
    argv = ["run"]
    for option in OPTIONS:
        argv += [option.cli_flag] if option.flag else [option.cli_flag, f"v-{option.key}"]
    args = cli.build_parser().parse_args(argv)
    passed = cli.pytest_args(args)
    assert "--conformance-strict" in passed and "--strict" not in passed
    config = pytester.parseconfig(*passed[passed.index("-p"):])
    from_plugin = options.values(lambda option: config.getoption(option.pytest_dest))
    assert from_plugin == cli._option_values(args)
    assert all(v is True for k, v in from_plugin.items() if next(o for o in OPTIONS if o.key == k).flag)


def test_unset_options_are_not_passed_on() -> None:
    passed = cli.pytest_args(cli.build_parser().parse_args(["run"]))
    assert not any(o.pytest_flag in passed for o in OPTIONS)


@pytest.mark.parametrize(("args", "suite"), [
    (["-c", "{suite}/suite.ini"], True),
    (["{suite}"], True),
    (["{suite}/test_10_documented_rows.py::test_x"], True),
    (["--pyargs", "face_conformance.suite"], True),
    (["{tmp}"], False),
    ([], False),
])
def test_which_sessions_run_the_suite(pytester: pytest.Pytester, args: list[str], suite: bool) -> None:
    args = [a.format(suite=SUITE_DIR, tmp=pytester.path) for a in args]
    assert plugin.is_suite_session(pytester.parseconfig(*args)) is suite


def test_these_self_tests_keep_hypothesis_health_checks() -> None:
    """The root conftest loads the plugin, but not the suite's profile that silences every check."""
    assert hsettings.get_current_profile_name() != "face-conformance"
    assert set(hsettings.default.suppress_health_check) != set(HealthCheck)
