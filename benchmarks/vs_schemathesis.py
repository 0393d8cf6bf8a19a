#!/usr/bin/env python
"""Prove the verdicts: this suite and plain `schemathesis run`, against every broken zoo variant.

    python benchmarks/vs_schemathesis.py [--variants a,b] [--workers 2] [--json FILE]

For each broken variant (`face_conformance.zoo.variant_names("broken")`), served on loopback by
`BackgroundServer` (a fresh server per run, configured as `face-conformance serve` is by default):

(a) this suite: `face-conformance run --endpoint URL --key K --profile smoke`, then `--profile
    full` if smoke did not kill. Killed: the run's verdict is non-conformant (exit 1).
(b) `schemathesis run openapi/face-v1.0.yaml --url URL -H "Ocp-Apim-Subscription-Key: K"
    --checks all` (the whole document, every phase, one worker, seed 0). Killed: any check failed
    on the PATCH operation (read from its NDJSON report).

Requests until the first failure are counted in the server's own order of arrival: each answer
carries a unique `apim-request-id`, which both tools' reports keep with the failing answer. For
the suite, a full run after a smoke run counts the smoke run's requests too. Every run is bounded
(per-answer timeout and a wall-clock limit). A control row runs both against the unmodified
reference: a "kill" there is a false alarm, and is left out of the totals.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from face_conformance.cases import catalogue
from face_conformance.reference import BackgroundServer, ReferenceConfig, ReferenceService

KEY = "vs-schemathesis-key-0123456789abcdef"
ANSWER_TIMEOUT_S = 3.0  # per request, both tools
RUN_LIMIT_S = 300.0  # per run, both tools
CONTROL = "(reference)"


@dataclass
class Tally:
    """One tool against one server."""

    killed: bool | None  # None: the run did not finish (limit) or could not start
    first_failure: int | None  # requests the server had answered when the first failure came back
    requests: int  # requests the server answered in all (across the suite's smoke + full runs)
    seconds: float
    detail: str = ""  # suite: the profile(s) run and failed rows; schemathesis: the checks failed on PATCH


@dataclass
class Line:
    variant: str
    row: str | None
    suite: Tally
    schemathesis: Tally
    notes: list[str] = field(default_factory=list)


# -- serving a variant, with the answer IDs in order of arrival -----------------------------------


def build_service(name: str) -> ReferenceService:
    """The variant (or the reference, for the control row), as `serve` configures it by default."""
    config = ReferenceConfig(key=KEY, training_seconds=1.0, write_hold_seconds=0.05)
    if name == CONTROL:
        return ReferenceService(config)
    from face_conformance.zoo import VARIANTS

    return VARIANTS[name].build(config)


class AnswerIds:
    """Wraps a service's `handle` to keep each answer's apim-request-id in order of arrival."""

    def __init__(self, service: ReferenceService) -> None:
        self._lock = threading.Lock()
        self._seen: list[tuple[float, str | None]] = []
        original = service.handle

        def handle(request: Any) -> Any:
            arrived = time.monotonic()
            response = original(request)
            with self._lock:
                self._seen.append((arrived, response.headers.get("apim-request-id")))
            return response

        service.handle = handle  # type: ignore[method-assign]

    def order(self) -> dict[str, int]:
        """apim-request-id -> 1-based position of its request in order of arrival."""
        with self._lock:
            seen = sorted(self._seen, key=lambda item: item[0])
        return {rid: n for n, (_, rid) in enumerate(seen, start=1) if rid}

    def __len__(self) -> int:
        with self._lock:
            return len(self._seen)


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FACE_")}
    env.update({"NO_PROXY": "127.0.0.1,localhost", "no_proxy": "127.0.0.1,localhost", "NO_COLOR": "1"})
    return env


def _run(command: list[str], cwd: Path) -> tuple[int | None, str, float]:
    started = time.monotonic()
    try:
        done = subprocess.run(command, cwd=cwd, capture_output=True, text=True, env=_env(), timeout=RUN_LIMIT_S)
        return done.returncode, done.stdout + done.stderr, time.monotonic() - started
    except subprocess.TimeoutExpired:
        return None, f"killed after {RUN_LIMIT_S:g} s", time.monotonic() - started


# -- (a) this suite -----------------------------------------------------------------------------------


def _suite_command() -> list[str]:
    script = Path(sys.executable).with_name("face-conformance")
    return [str(script)] if script.is_file() else [sys.executable, "-m", "face_conformance.cli"]


def _header(headers: dict[str, Any] | None, name: str) -> str | None:
    for key, value in (headers or {}).items():
        if key.lower() == name:
            return value[0] if isinstance(value, list) else value
    return None


def suite_first_failure(result: dict[str, Any], order: dict[str, int]) -> int | None:
    """The position of the earliest answer in the evidence of a failed row."""
    positions = []
    for row in result.get("rows", []):
        if row["outcome"] != "fail":
            continue
        for item in row.get("evidence", []):
            rid = _header((item.get("response") or {}).get("headers"), "apim-request-id")
            if item.get("verdict") == "fail" and rid in order:
                positions.append(order[rid])
    return min(positions) if positions else None


def run_suite(name: str, work: Path) -> Tally:
    """Smoke, then full if smoke did not kill; requests and seconds add up across both."""
    spent, seconds, profiles = 0, 0.0, []
    for profile in ("smoke", "full"):
        service = build_service(name)
        ids = AnswerIds(service)
        reports = work / f"suite-{profile}"
        with BackgroundServer(service) as server:
            code, output, wall = _run([*_suite_command(), "run", "--endpoint", server.base_url, "--key", KEY,
                                       "--profile", profile, "--timeout", str(ANSWER_TIMEOUT_S),
                                       "--report-dir", str(reports)], work)
        seconds += wall
        profiles.append(profile)
        try:
            result = json.loads((reports / "conformance.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            result = {}
        if code == 1:
            first = suite_first_failure(result, ids.order())
            failed = [r["id"] for r in result.get("rows", []) if r["outcome"] == "fail"]
            return Tally(True, None if first is None else spent + first, spent + len(ids), seconds,
                         f"{'+'.join(profiles)}: {', '.join(failed)}")
        spent += len(ids)
        if code is None:
            return Tally(None, None, spent, seconds, f"{profile}: {output}")
    verdict = result.get("verdict", f"exit {code}")
    return Tally(False, None, spent, seconds, f"{'+'.join(profiles)}: {verdict}")


# -- (b) schemathesis ----------------------------------------------------------------------------------


def patch_failures(ndjson: Path, order: dict[str, int]) -> tuple[list[int], set[str]]:
    """Positions of the answers whose checks failed on the PATCH operation, and the checks' names."""
    positions: list[int] = []
    names: set[str] = set()
    for line in ndjson.read_text(encoding="utf-8").splitlines():
        event = json.loads(line)
        finished = event.get("ScenarioFinished")
        if not finished or finished.get("status") != "failure":
            continue
        recorder = finished.get("recorder") or {}
        for case_id, checks in (recorder.get("checks") or {}).items():
            failed = [c["name"] for c in checks if c.get("status") == "failure"]
            case = ((recorder.get("cases") or {}).get(case_id) or {}).get("value") or {}
            if not failed or case.get("method", "").upper() != "PATCH" or case.get("path") != catalogue.PATCH_PATH:
                continue
            names.update(failed)
            response = ((recorder.get("interactions") or {}).get(case_id) or {}).get("response") or {}
            rid = _header(response.get("headers"), "apim-request-id")
            if rid in order:
                positions.append(order[rid])
    return positions, names


def _schemathesis_command() -> list[str]:
    script = Path(sys.executable).with_name("schemathesis")
    return [str(script)] if script.is_file() else [sys.executable, "-m", "schemathesis.cli"]


def run_schemathesis(name: str, work: Path) -> Tally:
    service = build_service(name)
    ids = AnswerIds(service)
    reports = work / "schemathesis"
    with BackgroundServer(service) as server:
        code, output, wall = _run([
            *_schemathesis_command(), "run", str(catalogue.document_path()),
            "--url", server.base_url, "-H", f"Ocp-Apim-Subscription-Key: {KEY}", "--checks", "all",
            "--workers", "1", "--seed", "0", "--request-timeout", str(ANSWER_TIMEOUT_S), "--no-color",
            "--report", "ndjson", "--report-dir", str(reports)], work)
    files = sorted(reports.glob("*.ndjson"))
    if code is None or not files:
        return Tally(None, None, len(ids), wall, output[-300:].strip().replace("\n", " "))
    positions, names = patch_failures(files[-1], ids.order())
    return Tally(bool(names), min(positions) if positions else None, len(ids), wall, ", ".join(sorted(names)))


# -- the table ---------------------------------------------------------------------------------------


def compare(name: str) -> Line:
    from face_conformance.zoo import VARIANTS

    row = None if name == CONTROL else VARIANTS[name].row
    with tempfile.TemporaryDirectory(prefix=f"fc-vs-{name.strip('()')}-") as tmp:
        work = Path(tmp)
        (work / "suite").mkdir()
        (work / "st").mkdir()
        return Line(name, row, run_suite(name, work / "suite"), run_schemathesis(name, work / "st"))


def _cell(t: Tally) -> str:
    killed = {True: "KILLED", False: "alive", None: "no end"}[t.killed]
    first = "-" if t.first_failure is None else str(t.first_failure)
    return f"{killed:6} {first:>5} {t.requests:>6} {t.seconds:6.1f}s"


def totals(lines: list[Line], tool: str) -> tuple[int, int, float | None]:
    tallies = [getattr(line, tool) for line in lines if line.variant != CONTROL]
    kills = [t for t in tallies if t.killed]
    firsts = [t.first_failure for t in kills if t.first_failure is not None]
    return len(kills), len(tallies), (sum(firsts) / len(firsts) if firsts else None)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--variants", help="comma-separated broken variant names (default: all)")
    parser.add_argument("--workers", type=int, default=2, help="variants compared at once (default 2)")
    parser.add_argument("--no-control", action="store_true", help="skip the control row (the reference)")
    parser.add_argument("--json", type=Path, help="also write every line to this file")
    args = parser.parse_args(argv)
    # uvicorn warns of each malformed request schemathesis sends; a filter outlives uvicorn's own
    # logging set-up (which resets the level at every server start).
    logging.getLogger("uvicorn.error").addFilter(
        lambda record: "Invalid HTTP request received" not in record.getMessage())
    from face_conformance.zoo import variant_names

    names = variant_names("broken")
    if args.variants:
        wanted = [n.strip() for n in args.variants.split(",") if n.strip()]
        unknown = sorted(set(wanted) - set(names))
        if unknown:
            parser.error(f"not broken variants: {', '.join(unknown)}")
        names = wanted
    if not args.no_control:
        names = [CONTROL, *names]
    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=max(1, args.workers)) as pool:
        lines = list(pool.map(compare, names))

    head = f"{'killed':6} {'1st':>5} {'reqs':>6} {'time':>7}"
    print(f"{'variant':30} {'row':22} | suite  {head} | schemathesis {head} | suite detail / schemathesis checks")
    for line in lines:
        print(f"{line.variant:30} {line.row or '-':22} | suite  {_cell(line.suite)} | schemathesis "
              f"{_cell(line.schemathesis)} | {line.suite.detail} / {line.schemathesis.detail or '-'}")
    print("(1st: requests the server had answered when the first failure came back; reqs: all requests sent)")
    wall = time.monotonic() - started
    s_kills, n, s_per = totals(lines, "suite")
    t_kills, _, t_per = totals(lines, "schemathesis")
    control = next((line for line in lines if line.variant == CONTROL), None)
    if control is not None:
        st = control.schemathesis
        st_said = f"FALSE KILL on PATCH ({st.detail})" if st.killed else "no kill on PATCH"
        print(f"control (unmodified reference): suite {'FALSE KILL' if control.suite.killed else 'no kill'}; "
              f"schemathesis {st_said}")
    if args.json:
        args.json.write_text(json.dumps([asdict(line) for line in lines], indent=2), encoding="utf-8")

    def per(value: float | None) -> str:
        return "-" if value is None else f"{value:.1f}"

    print(f"TOTAL {n} broken variants in {wall:.0f} s: suite kills {s_kills}/{n}, {per(s_per)} requests per kill; "
          f"schemathesis kills {t_kills}/{n}, {per(t_per)} requests per kill")
    return 0


if __name__ == "__main__":
    sys.exit(main())
