"""Every command's options, declared once: the pytest plugin and every `face-conformance` command read them.

`OPTIONS` are the run options: `face-conformance run` and the pytest plugin both declare them, and
each one's settings key (the name `settings.build_settings` takes) is its CLI name with underscores.
The environment variable and default a run option shows in its help are the ones `build_settings`
applies; tests/unit/test_plugin.py holds the two to each other. `COMMANDS` gives every other
command its options, re-using a run option where it means the same thing (`add_command_options`).
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from dataclasses import dataclass, replace
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
    value: Any = None
    """The parsed default, for the commands whose parser applies it (run's defaults come from `build_settings`)."""
    kind: Callable[[str], Any] | None = None
    """argparse's `type`, for the commands whose parser converts the value."""
    positional: bool = False
    nargs: str | None = None
    required: bool = False
    short: str | None = None
    dest: str | None = None

    @property
    def key(self) -> str:
        """The name `build_settings` takes (and argparse's dest on the CLI)."""
        return self.dest or self.name.replace("-", "_")

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
    Option("operation", "which Update Face of the family: PersonGroup Person, LargePersonGroup Person or LargeFaceList",
           env="FACE_OPERATION", default="persongroup", metavar="persongroup|largepersongroup|largefacelist"),
    Option("api-version", "the API version's path (/face/v1.0 or /face/v1.2)", env="FACE_API_VERSION",
           default="v1.0", metavar="v1.0|v1.2"),
    Option("person-group-id", "bring-your-own: the face's person group", metavar="ID"),
    Option("large-person-group-id", "bring-your-own (--operation largepersongroup): the face's large person group",
           metavar="ID"),
    Option("large-face-list-id", "bring-your-own (--operation largefacelist): the face's large face list",
           metavar="ID"),
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


def _run_option(name: str, **changes: Any) -> Option:
    """A run option re-used by another command, with what differs there."""
    option = next(o for o in OPTIONS if o.name == name)
    return replace(option, **changes)


def _side(name: str) -> tuple[Option, ...]:
    side = name.upper()
    return (Option(f"endpoint-{name}", f"side {side} is this live endpoint"),
            Option(f"key-{name}", f"side {side}'s key (default: $FACE_KEY_{side})"),
            Option(f"variant-{name}", f"side {side} is a zoo variant of the embedded reference"))


JUDGE_REPORT_DIR = "reports/replay"
DIFF_REPORT_DIR = "reports/diff"
#: Each command's options, in the order `--help` lists them.
COMMANDS: dict[str, tuple[Option, ...]] = {
    "run": (*OPTIONS, Option("list", "print the rows and exit", flag=True),
            Option("verbose", "show pytest's own output", flag=True, short="-v")),
    "cleanup": (
        _run_option("endpoint", help="the endpoint whose leftover groups go (default: $FACE_ENDPOINT)", env=None),
        _run_option("key", help="its key (default: $FACE_KEY)", env=None),
        _run_option("timeout", help="seconds to wait for each answer (default 30)", default=None),
        _run_option("allow-insecure", help="allow plain http to a non-loopback host"),
        _run_option("api-version", help="the API version whose collections are listed and deleted "
                    "(default: $FACE_API_VERSION, else v1.0)", env=None, default=None),
    ),
    "baseline": (Option("from", "a run's conformance.json", dest="source", required=True),
                 Option("out", "the YAML file to write (default: standard output)")),
    "list": (),
    "judge": (
        Option("har", "a recording a run left in its report directory", positional=True, metavar="FILE.har"),
        Option("report-dir", f"where the replay's reports go (default: {JUDGE_REPORT_DIR})", value=JUDGE_REPORT_DIR),
        Option("strict", "fail SHOULD rows too (default: as the recorded run)", flag=True),
        Option("strict-messages", "judge message wording too (default: as the recorded run)", flag=True),
        Option("baseline", "a baseline file of accepted deviations"),
    ),
    "diff": (
        Option("sides", "exchanges.har of a run, `mock` (the embedded reference) or an endpoint URL; A first, "
               "then B (a side given by --endpoint-a/-b takes its place)", positional=True, nargs="*", metavar="SIDE"),
        *_side("a"), *_side("b"),
        Option("report-dir", f"where diff.json, diff.md and diff.html go (default: {DIFF_REPORT_DIR})",
               value=DIFF_REPORT_DIR),
        Option("strict", "fail SHOULD rows too, on both sides", flag=True, value=False),
        Option("strict-messages", "judge message wording too, on both sides", flag=True, value=False),
        Option("max-rps", "at most this many requests per second to each live side"),
        Option("budget", "at most this many requests to each live side"),
        Option("timeout", "seconds to wait for each answer (default 30)"),
        Option("seed", "the seed of the suite's run when both sides answer", kind=int, value=0),
        Option("face-url", "the image URL a live side's Add Face is given (default: the suite's sample)"),
        Option("face-image", "an image file a live side's Add Face is given instead"),
        _run_option("allow-insecure", help="allow plain http to a non-loopback host"),
    ),
    "serve": (
        Option("host", "the address to listen on", value="127.0.0.1", metavar="HOST"),
        Option("port", "the port to listen on", kind=int, value=8080, metavar="N"),
        Option("key", "the subscription key the server accepts", value="reference-key", metavar="KEY"),
        Option("training-seconds", "how long a Train keeps a group training", kind=float, value=1.0, metavar="S"),
        Option("write-hold-seconds", "how long an update holds the face's write lock", kind=float, value=0.05,
               metavar="S"),
        Option("rate-limit-every", "every Nth request gets one 429", kind=int, metavar="N"),
        Option("retry-after", "429s carry a Retry-After header", flag=True, value=False),
        Option("rate-limit-wait", "seconds a 429 announces", kind=int, value=1, metavar="S"),
        Option("quota-after", "from the Nth request on, every answer is 403 quota", kind=int,
               metavar="N"),
        Option("seed", "seed for the GUIDs the server hands out", kind=int, metavar="N"),
        Option("variant", "serve a zoo variant instead of the reference", metavar="NAME"),
        Option("list-variants", "list the zoo's variants and exit", flag=True, value=False),
        Option("log-level", "uvicorn's log level", value="warning", metavar="LEVEL"),
    ),
}


def add_command_options(parser: argparse.ArgumentParser, command: str) -> None:
    """Declare one command's options (`COMMANDS`) on its argparse parser.

    The run options get no parser default (`build_settings` applies them after the environment);
    the other commands' options get their `value`.
    """
    if command == "run":
        add_options(parser.add_argument, pytest_spelling=False)
    for option in COMMANDS[command][len(OPTIONS) if command == "run" else 0:]:
        kwargs: dict[str, Any] = {"help": option.full_help}
        if option.positional:
            parser.add_argument(option.key, metavar=option.metavar, nargs=option.nargs, help=option.help)
            continue
        if option.flag:
            kwargs["action"] = "store_true"
            kwargs["default"] = option.value
        else:
            kwargs.update(metavar=option.metavar, type=option.kind, default=option.value, required=option.required)
        flags = [option.cli_flag] + ([option.short] if option.short else [])
        parser.add_argument(*reversed(flags) if option.short else flags, dest=option.key, **kwargs)
