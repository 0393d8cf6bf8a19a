"""`face-conformance run | serve | cleanup | baseline | list`: a thin front on pytest and the reference."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from face_conformance.cases import catalogue
from face_conformance.cases.outcomes import Exit
from face_conformance.config import options
from face_conformance.config.settings import ConfigError, UsageError, build_settings
from face_conformance.evidence.record import RunResult
from face_conformance.live.target import check_variant


class Parser(argparse.ArgumentParser):
    """argparse that reports errors as UsageError instead of exiting with a usage dump."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(message)


#: The sub-commands and their one-line help; their options are `config.options.COMMANDS`.
COMMAND_HELP = {
    "run": "run the suite (default target: the embedded reference)",
    "serve": "run the reference service on loopback",
    "cleanup": "delete leftover conformance-* person groups",
    "baseline": "write a starting baseline from a run's conformance.json",
    "list": "print the rows",
    "judge": "re-judge a recorded run (exchanges.har) offline, by today's rules",
    "diff": "compare two services probe by probe (each a recording, an endpoint, or mock)",
}


def build_parser() -> Parser:
    """The command line: one sub-command each, every option from the one table (`config.options`)."""
    parser = Parser(prog="face-conformance", description="Conformance suite for Azure Face 'Update Face'.")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=Parser)
    for command, help_text in COMMAND_HELP.items():
        options.add_command_options(commands.add_parser(command, help=help_text), command)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point: never a traceback for bad input; exit codes as docs/contract.md says."""
    try:
        args = build_parser().parse_args(argv)
        handler = {"run": cmd_run, "serve": cmd_serve, "cleanup": cmd_cleanup, "baseline": cmd_baseline,
                   "list": cmd_list, "judge": cmd_judge,
                   "diff": cmd_diff}[args.command]
        return handler(args)
    except (UsageError, ConfigError) as exc:
        # One line, whatever the message (a YAML parser's error spans several).
        print(f"face-conformance: error: {' '.join(str(exc).split())}", file=sys.stderr)
        return Exit.USAGE
    except KeyboardInterrupt:
        print("face-conformance: interrupted", file=sys.stderr)
        return Exit.INCONCLUSIVE


def _option_values(args: argparse.Namespace) -> dict[str, Any]:
    return options.values(lambda option: getattr(args, option.key))


def pytest_args(args: argparse.Namespace) -> list[str]:
    """The pytest command line of `face-conformance run` with these arguments (`run.suite_run` builds it)."""
    from face_conformance.run.suite_run import pytest_args as suite_pytest_args

    return suite_pytest_args(_option_values(args), verbose=args.verbose)


def cmd_run(args: argparse.Namespace) -> int:
    """Validate the options, run pytest on the suite, print the row table and the verdict."""
    if args.list:
        return cmd_list(args)
    values = _option_values(args)
    settings = build_settings(values)
    check_variant(settings.variant)
    if settings.baseline:
        from face_conformance.judging.baseline import BaselineError, load_baseline

        try:
            load_baseline(settings.baseline)
        except BaselineError as exc:
            raise ConfigError(str(exc)) from None
    # A report left by an earlier run must not pass for this one's, should this one end before writing.
    (settings.report_dir / "conformance.json").unlink(missing_ok=True)
    from face_conformance.progress import ProgressPlugin
    from face_conformance.run.suite_run import run_suite

    progress = ProgressPlugin(quiet=args.verbose)
    try:
        run = run_suite(settings, values=values, verbose=args.verbose, plugins=[progress])
    finally:
        progress.close()
    return finish(run.result, run.pytest_code, settings.report_dir)


def finish(result: RunResult | None, pytest_code: int, report_dir: Path) -> int:
    """Print the row table and verdict of the run's result record; the exit code by docs/contract.md."""
    if pytest_code == 4:  # pytest's usage error: our plugin's settings were refused
        return Exit.USAGE
    if result is None:
        print("face-conformance: the run ended before any report was written (inconclusive)", file=sys.stderr)
        return Exit.INCONCLUSIVE
    from face_conformance.evidence.redaction import redacted_copy
    from face_conformance.reporting.terminal import print_summary

    # Printed as conformance.json holds it: from a redacted copy, as every report is written.
    print_summary(redacted_copy(result), report_dir)  # type: ignore[arg-type]
    return int(result["exit_code"])


def cmd_list(args: argparse.Namespace) -> int:
    """Print every row of the operation asked for (`run --list --operation X`): ID, level, status, when it applies."""
    if hasattr(args, "operation"):
        build_settings(_option_values(args))  # selects the operation and version the rows are of
    for row in catalogue.rows():
        status = row.status if row.status is not None else "-"
        print(f"{row.id:24} {row.level:6} {status!s:4} {row.when}")
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    """Run the reference service (or a zoo variant) on loopback until interrupted."""
    from face_conformance.serve_cli import serve_from_args

    return serve_from_args(args)


def cmd_cleanup(args: argparse.Namespace) -> int:
    """Delete leftover conformance-* collections (of every kind) of killed runs, and nothing else."""
    from face_conformance.live.client import FaceClient, Inconclusive
    from face_conformance.live.provisioning import SetupError, Supporting, cleanup
    from face_conformance.live.target import live_target

    settings = build_settings({"endpoint": args.endpoint, "key": args.key, "timeout": args.timeout,
                               "allow_insecure": args.allow_insecure, "api_version": args.api_version})
    if not settings.endpoint:
        raise ConfigError("cleanup needs --endpoint (or FACE_ENDPOINT) and --key (or FACE_KEY)")
    target = live_target(settings)
    try:
        deleted, problems = cleanup(Supporting(FaceClient(target.client, settings.effective_key,
                                                          timeout=settings.timeout)))
    except (SetupError, Inconclusive) as exc:
        print(f"face-conformance cleanup: {exc}", file=sys.stderr)
        return Exit.INCONCLUSIVE
    finally:
        target.close()
    for what in deleted:
        print(f"deleted {what}")
    for problem in problems:
        print(f"could not delete {problem}", file=sys.stderr)
    print(f"{len(deleted)} leftover conformance-* group(s) deleted")
    return 1 if problems else 0


def cmd_baseline(args: argparse.Namespace) -> int:
    """Write a starting baseline (YAML) from a run's conformance.json."""
    from face_conformance.judging.baseline import baseline_from_result

    try:
        result = json.loads(Path(args.source).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ConfigError(f"--from {args.source!r} is not a readable conformance.json: {exc}") from None
    text = baseline_from_result(result)
    if args.out:
        Path(args.out).write_text(text, encoding="utf-8")
        print(f"baseline written to {args.out}")
    else:
        sys.stdout.write(text)
    return 0


def cmd_judge(args: argparse.Namespace) -> int:
    """Re-judge a recording offline; the reports and exit code as a run's."""
    from face_conformance.evidence.har import HarError
    from face_conformance.reporting import write_reports
    from face_conformance.run.replay import judge

    baseline = Path(args.baseline) if args.baseline else None
    if baseline is not None:
        from face_conformance.judging.baseline import BaselineError, load_baseline

        try:
            load_baseline(baseline)
        except BaselineError as exc:
            raise ConfigError(str(exc)) from None
    try:
        result = judge(Path(args.har), report_dir=Path(args.report_dir), strict=args.strict,
                       strict_messages=args.strict_messages, baseline=baseline)
    except HarError as exc:
        raise ConfigError(str(exc)) from None
    report_dir = Path(args.report_dir)
    write_reports(result, report_dir)
    from face_conformance.reporting.terminal import print_summary

    recorded = result["target"].get("recorded", {})
    print(f"re-judged {recorded.get('entries')} recorded exchanges (recorded by face-conformance "
          f"{recorded.get('suite_version')}, verdict then: {recorded.get('verdict')})")
    print_summary(result, report_dir)
    return int(result["exit_code"])


def cmd_diff(args: argparse.Namespace) -> int:
    """Compare two sides probe by probe; exit 0 without a regression, 1 with one, 3 inconclusive."""
    from face_conformance.evidence.har import HarError
    from face_conformance.live.interrupts import terminate_as_interrupt
    from face_conformance.progress import ProgressPlugin
    from face_conformance.reporting.diff_report import write_diff_reports
    from face_conformance.run.compare import Options, compare

    a, b = diff_sides(args)
    for side in (a, b):
        check_variant(side.variant)
    terminate_as_interrupt()  # a live side's groups are deleted on SIGTERM too
    both = Options(report_dir=Path(args.report_dir), strict=args.strict, strict_messages=args.strict_messages,
                   max_rps=args.max_rps, budget=args.budget, timeout=args.timeout,
                   allow_insecure=args.allow_insecure, seed=args.seed, face_url=args.face_url,
                   face_image=args.face_image)
    progress = ProgressPlugin()  # shown while side A runs the suite (two sides that both answer)
    try:
        record = compare(a, b, both, plugins=[progress])
    except HarError as exc:
        raise ConfigError(str(exc)) from None
    finally:
        progress.close()
    paths = write_diff_reports(record, both.report_dir)
    from face_conformance.reporting.terminal import print_diff

    print_diff(record, paths["json"].parent)
    return int(record["exit_code"])


def diff_sides(args: argparse.Namespace) -> tuple[Any, Any]:
    """The two sides a `diff` command line names."""
    import os

    from face_conformance.run.compare import SideSpec

    given = list(args.sides)
    if len(given) > 2:
        raise UsageError(f"diff compares two sides; {len(given)} were given")
    specs = []
    for name in ("a", "b"):
        endpoint = getattr(args, f"endpoint_{name}")
        raw = None if endpoint else (given.pop(0) if given else None)
        if raw and raw.startswith(("http://", "https://")):
            endpoint, raw = raw, None
        if endpoint is None and raw is None:
            raise UsageError(f"diff needs side {name.upper()}: a recording, `mock`, or --endpoint-{name}")
        key = getattr(args, f"key_{name}") or os.environ.get(f"FACE_KEY_{name.upper()}")
        if endpoint and not key:
            raise ConfigError(f"side {name.upper()} is an endpoint: give --key-{name} or FACE_KEY_{name.upper()}")
        variant = getattr(args, f"variant_{name}")
        if variant and (endpoint or raw != "mock"):
            raise UsageError(f"--variant-{name} goes with side {name.upper()} being `mock`")
        recording = Path(raw) if raw and raw != "mock" else None
        specs.append(SideSpec(name.upper(), recording=recording, endpoint=endpoint, key=key, variant=variant))
    if given:
        raise UsageError(f"diff compares two sides; {given[0]!r} is a third")
    return specs[0], specs[1]
