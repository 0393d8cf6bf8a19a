"""The run options, declared once: the pytest plugin and `face-conformance run` both read this table.

Each option's settings key (the name `settings.build_settings` takes) is its CLI name with
underscores. The environment variable and default an option shows in its help are the ones
`build_settings` applies; tests/test_plugin.py holds the two to each other.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from face_conformance.config.settings import SAMPLE_FACE_URL


@dataclass(frozen=True)
class Option:
    """One run option: how both command lines spell it and what its help says."""

    name: str
    """The CLI spelling without the dashes, e.g. ``report-dir``."""
    help: str
    pytest_name: str | None = None
    """The plugin's spelling where pytest already owns the CLI's (``--strict``)."""
    flag: bool = False
    env: str | None = None
    default: str | None = None
    """The default as help shows it; None when there is none (or the help says what happens)."""
    metavar: str | None = None

    @property
    def key(self) -> str:
        """The name `build_settings` takes (and argparse's dest on the CLI)."""
        return self.name.replace("-", "_")

    @property
    def cli_flag(self) -> str:
        """The option as `face-conformance run` spells it."""
        return f"--{self.name}"

    @property
    def pytest_flag(self) -> str:
        """The option as the pytest plugin spells it."""
        return f"--{self.pytest_name or self.name}"

    @property
    def pytest_dest(self) -> str:
        """The plugin's argparse dest, prefixed so that it cannot clash with another plugin's."""
        return f"fc_{self.key}"

    @property
    def full_help(self) -> str:
        """The help text with the environment variable and default appended."""
        extra = [f"env {self.env}"] if self.env else []
        if self.default is not None:
            extra.append(f"default: {self.default}")
        return f"{self.help} ({'; '.join(extra)})" if extra else self.help


OPTIONS: tuple[Option, ...] = (
    Option("endpoint", "Face endpoint URL; without one, mock mode: the embedded reference, in process",
           env="FACE_ENDPOINT", metavar="URL"),
    Option("key", "subscription key; never printed", env="FACE_KEY", metavar="KEY"),
    Option("report-dir", "where reports are written", default="reports", metavar="DIR"),
    Option("strict", "SHOULD rows fail the run too", pytest_name="conformance-strict", flag=True),
    Option("strict-messages", "error messages must match the page's English examples", flag=True),
    Option("profile", "smoke: each row's first probe, few requests; full: every documented probe plus generated cases",
           default="full", metavar="smoke|full"),
    Option("max-rps", "at most N requests in any one-second window", metavar="N"),
    Option("max-rpm", "at most N requests in any one-minute window; the free tier allows 20", metavar="N"),
    Option("budget", "stop sending probes once N requests are spent", metavar="N"),
    Option("person-group-id", "bring-your-own: the face's person group", metavar="ID"),
    Option("person-id", "bring-your-own: the face's person", metavar="ID"),
    Option("persisted-face-id", "bring-your-own: the face, whose userData is restored at the end", metavar="ID"),
    Option("face-url", "image URL for Add Face", default=SAMPLE_FACE_URL, metavar="URL"),
    Option("face-image", "image file for Add Face, instead of --face-url", metavar="PATH"),
    Option("seed", "seed for generated cases: the same seed sends the same requests", metavar="N"),
    Option("baseline", "YAML file of accepted deviations", metavar="FILE"),
    Option("timeout", "seconds to wait for any answer", default="30", metavar="S"),
    Option("run-deadline", "seconds after which the run stops sending probes and reports", default="3600",
           metavar="S"),
    Option("allow-insecure", "allow plain http to a non-loopback endpoint", flag=True),
    Option("variant", "mock mode: test a zoo variant of the reference instead, for self-tests", metavar="NAME"),
)


def add_options(add: Callable[..., Any], *, pytest_spelling: bool) -> None:
    """Declare every option through `add` (argparse's or pytest's `addoption`).

    Neither parser gets a default: a parser default would beat the environment, and
    `build_settings` applies the defaults itself.
    """
    for option in OPTIONS:
        kwargs: dict[str, Any] = {"help": option.full_help}
        if option.flag:
            kwargs["action"] = "store_true"
        else:
            kwargs["metavar"] = option.metavar
        if pytest_spelling:
            add(option.pytest_flag, dest=option.pytest_dest, **kwargs)
        else:
            add(option.cli_flag, dest=option.key, **kwargs)


def values(get: Callable[[Option], Any]) -> dict[str, Any]:
    """The raw values `build_settings` takes, with `get` reading one option's parsed value."""
    return {option.key: get(option) for option in OPTIONS}


def pytest_command_line(args: argparse.Namespace) -> list[str]:
    """The plugin's spelling of the options set in a parsed `face-conformance run` command line."""
    out: list[str] = []
    for option in OPTIONS:
        value = getattr(args, option.key)
        if option.flag:
            out += [option.pytest_flag] if value else []
        elif value is not None:
            out += [option.pytest_flag, str(value)]
    return out
