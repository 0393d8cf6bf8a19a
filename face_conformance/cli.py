"""`face-conformance run | serve | cleanup | baseline | list`: a thin front on pytest and the reference."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from face_conformance.cases import catalogue
from face_conformance.config import options
from face_conformance.config.settings import ConfigError, UsageError, build_settings

SUITE_DIR = Path(__file__).resolve().parent / "suite"
EXIT_USAGE = 2
EXIT_INCONCLUSIVE = 3
JUDGE_REPORT_DIR = Path("reports") / "replay"
DIFF_REPORT_DIR = Path("reports") / "diff"


class Parser(argparse.ArgumentParser):
    """argparse that reports errors as UsageError instead of exiting with a usage dump."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(message)


def build_parser() -> Parser:
    """The command line: one sub-command each for running, serving, cleaning up and baselines."""
    parser = Parser(prog="face-conformance", description="Conformance suite for Azure Face 'Update Face'.")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=Parser)
    run = commands.add_parser("run", help="run the suite (default target: the embedded reference)")
    options.add_options(run.add_argument, pytest_spelling=False)
    run.add_argument("--list", action="store_true", help="print the rows and exit")
    run.add_argument("-v", "--verbose", action="store_true", help="show pytest's own output")
    serve = commands.add_parser("serve", help="run the reference service on loopback")
    from face_conformance.serve_cli import add_serve_arguments

    add_serve_arguments(serve)
    cleanup = commands.add_parser("cleanup", help="delete leftover conformance-* person groups")
    cleanup.add_argument("--endpoint", help="the endpoint whose leftover groups go (default: $FACE_ENDPOINT)")
    cleanup.add_argument("--key", help="its key (default: $FACE_KEY)")
    cleanup.add_argument("--timeout", help="seconds to wait for each answer (default 30)")
    cleanup.add_argument("--allow-insecure", action="store_true", help="allow plain http to a non-loopback host")
    baseline = commands.add_parser("baseline", help="write a starting baseline from a run's conformance.json")
    baseline.add_argument("--from", dest="source", required=True, help="a run's conformance.json")
    baseline.add_argument("--out", help="the YAML file to write (default: standard output)")
    commands.add_parser("list", help="print the rows")
    judge = commands.add_parser("judge", help="re-judge a recorded run (exchanges.har) offline, by today's rules")
    judge.add_argument("har", metavar="FILE.har", help="a recording a run left in its report directory")
    judge.add_argument("--report-dir", default=str(JUDGE_REPORT_DIR),
                       help=f"where the replay's reports go (default: {JUDGE_REPORT_DIR})")
    judge.add_argument("--strict", action="store_true", default=None,
                       help="fail SHOULD rows too (default: as the recorded run)")
    judge.add_argument("--strict-messages", action="store_true", default=None,
                       help="judge message wording too (default: as the recorded run)")
    judge.add_argument("--baseline", help="a baseline file of accepted deviations")
    add_diff_arguments(commands.add_parser(
        "diff", help="compare two services probe by probe (each a recording, an endpoint, or mock)"))
    return parser


def add_diff_arguments(diff: argparse.ArgumentParser) -> None:
    """`diff`'s options: each side, then what applies to both."""
    diff.add_argument("sides", nargs="*", metavar="SIDE",
                      help="exchanges.har of a run, `mock` (the embedded reference) or an endpoint URL; "
                           "A first, then B (a side given by --endpoint-a/-b takes its place)")
    for name in ("a", "b"):
        diff.add_argument(f"--endpoint-{name}", help=f"side {name.upper()} is this live endpoint")
        diff.add_argument(f"--key-{name}", help=f"side {name.upper()}'s key (default: $FACE_KEY_{name.upper()})")
        diff.add_argument(f"--variant-{name}", help=f"side {name.upper()} is a zoo variant of the embedded reference")
    diff.add_argument("--report-dir", default=str(DIFF_REPORT_DIR),
                      help=f"where diff.json, diff.md and diff.html go (default: {DIFF_REPORT_DIR})")
    diff.add_argument("--strict", action="store_true", help="fail SHOULD rows too, on both sides")
    diff.add_argument("--strict-messages", action="store_true", help="judge message wording too, on both sides")
    diff.add_argument("--max-rps", help="at most this many requests per second to each live side")
    diff.add_argument("--budget", help="at most this many requests to each live side")
    diff.add_argument("--timeout", help="seconds to wait for each answer (default 30)")
    diff.add_argument("--seed", type=int, default=0, help="the seed of the suite's run when both sides answer")
    diff.add_argument("--face-url", help="the image URL a live side's Add Face is given (default: the suite's sample)")
    diff.add_argument("--face-image", help="an image file a live side's Add Face is given instead")
    diff.add_argument("--allow-insecure", action="store_true", help="allow plain http to a non-loopback host")


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
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("face-conformance: interrupted", file=sys.stderr)
        return EXIT_INCONCLUSIVE


def _option_values(args: argparse.Namespace) -> dict[str, Any]:
    return options.values(lambda option: getattr(args, option.key))


def pytest_args(args: argparse.Namespace) -> list[str]:
    """The pytest command line for a run: the shipped suite, its own ini, the plugin, the options."""
    out = [str(SUITE_DIR), "-c", str(SUITE_DIR / "suite.ini"), "--rootdir", str(SUITE_DIR),
           "-p", "face_conformance.plugin", "-p", "no:cacheprovider", "--assert=plain"]
    quiet = ["-p", "no:terminal", "-p", "no:warnings", "-p", "no:unraisableexception"]
    out += ["-q", "-rN", "--tb=short", "--no-header"] if args.verbose else quiet
    return out + options.pytest_command_line(args)


def cmd_run(args: argparse.Namespace) -> int:
    """Validate the options, run pytest on the suite, print the row table and the verdict."""
    if args.list:
        return cmd_list(args)
    settings = build_settings(_option_values(args))
    if settings.baseline:
        from face_conformance.judging.baseline import BaselineError, load_baseline

        try:
            load_baseline(settings.baseline)
        except BaselineError as exc:
            raise ConfigError(str(exc)) from None
    report = settings.report_dir / "conformance.json"
    report.unlink(missing_ok=True)
    import pytest

    from face_conformance.progress import ProgressPlugin

    progress = ProgressPlugin(quiet=args.verbose)
    hook = sys.unraisablehook
    if not args.verbose:
        sys.unraisablehook = _quiet_unraisable
    try:
        code = pytest.main(pytest_args(args), plugins=[progress])
    finally:
        sys.unraisablehook = hook
    progress.close()
    return finish(report, int(code))


def _quiet_unraisable(unraisable: Any) -> None:
    """One line, not a traceback: after Ctrl-C or SIGTERM, pytest's own half-closed generators
    can raise while being collected, which says nothing about the endpoint."""
    kind = type(unraisable.exc_value).__name__ if unraisable.exc_value is not None else "exception"
    print(f"face-conformance: note: an exception ({kind}) was ignored during clean-up", file=sys.stderr)


def finish(report: Path, pytest_code: int) -> int:
    """Print the row table and verdict from the written report; the exit code by docs/contract.md."""
    if pytest_code == 4:  # pytest's usage error: our plugin's settings were refused
        return EXIT_USAGE
    if not report.is_file():
        print("face-conformance: the run ended before any report was written (inconclusive)", file=sys.stderr)
        return EXIT_INCONCLUSIVE
    result = json.loads(report.read_text(encoding="utf-8"))
    from face_conformance.reporting.terminal import print_summary

    print_summary(result, report.parent)
    return int(result["exit_code"])


def cmd_list(args: argparse.Namespace) -> int:
    """Print every row: ID, level, status and when it applies."""
    for row in catalogue.rows():
        status = row.status if row.status is not None else "-"
        print(f"{row.id:24} {row.level:6} {status!s:4} {row.when}")
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    """Run the reference service (or a zoo variant) on loopback until interrupted."""
    from face_conformance.serve_cli import serve_from_args

    return serve_from_args(args)


def cmd_cleanup(args: argparse.Namespace) -> int:
    """Delete leftover conformance-* groups of killed runs, and nothing else."""
    from face_conformance.live.client import FaceClient, Inconclusive
    from face_conformance.live.provisioning import SetupError, Supporting, cleanup
    from face_conformance.live.target import live_target

    settings = build_settings({"endpoint": args.endpoint, "key": args.key, "timeout": args.timeout,
                               "allow_insecure": args.allow_insecure})
    if not settings.endpoint:
        raise ConfigError("cleanup needs --endpoint (or FACE_ENDPOINT) and --key (or FACE_KEY)")
    target = live_target(settings)
    try:
        deleted, problems = cleanup(Supporting(FaceClient(target.client, settings.effective_key,
                                                          timeout=settings.timeout)))
    except (SetupError, Inconclusive) as exc:
        print(f"face-conformance cleanup: {exc}", file=sys.stderr)
        return EXIT_INCONCLUSIVE
    finally:
        target.close()
    for gid in deleted:
        print(f"deleted person group {gid}")
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
    from face_conformance.reporting.diff_report import write_diff_reports
    from face_conformance.run.compare import Options, compare

    a, b = diff_sides(args)
    terminate_as_interrupt()  # a live side's groups are deleted on SIGTERM too
    options = Options(report_dir=Path(args.report_dir), strict=args.strict, strict_messages=args.strict_messages,
                      max_rps=args.max_rps, budget=args.budget, timeout=args.timeout,
                      allow_insecure=args.allow_insecure, seed=args.seed, face_url=args.face_url,
                      face_image=args.face_image)
    try:
        record = compare(a, b, options)
    except HarError as exc:
        raise ConfigError(str(exc)) from None
    paths = write_diff_reports(record, options.report_dir)
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
