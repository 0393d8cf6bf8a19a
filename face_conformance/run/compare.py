"""The two sides of `face-conformance diff`, obtained and put side by side.

A recording is re-judged offline. A service (live or the embedded reference) facing a recording
is sent that recording's steps, its own provisioned resources standing in for the recorded IDs;
two services: A runs the suite (seeded, through `suite_run` as `run` does), then B is sent A's
steps. Each side is set up, paced, budgeted and torn down as `run` would do it, with one `Settings`
of its own; `diff` holds the line-up and the classes.
"""

from __future__ import annotations

import contextlib
import io
import time
from collections.abc import Collection, Iterable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from face_conformance import __version__
from face_conformance.cases.outcomes import DIFF_CLASSES, EXIT, DiffClass, DiffVerdict, Outcome, Verdict
from face_conformance.cases.probes import Probe
from face_conformance.config.settings import ConfigError, Settings, build_settings
from face_conformance.evidence.har import HAR_FILE, Recorded, read_har
from face_conformance.evidence.record import RunResult, operation_of
from face_conformance.evidence.run_record import RunRecord
from face_conformance.live.target import make_target
from face_conformance.run import diff
from face_conformance.run.replay import perform, rejudge
from face_conformance.run.run_result import build_result, now_iso
from face_conformance.run.runner import Runner
from face_conformance.run.suite_run import run_suite


@dataclass(frozen=True)
class SideSpec:
    """What one side is: a recording, a live endpoint, or the embedded reference (`mock`)."""

    name: str  # "A" or "B"
    recording: Path | None = None
    endpoint: str | None = None
    key: str | None = None
    variant: str | None = None  # mock only: a zoo variant of the reference (self-tests)

    @property
    def label(self) -> str:
        """The side as reports name it (never its key)."""
        if self.recording is not None:
            return f"recording {self.recording.name}"
        if self.endpoint:
            return self.endpoint
        return "embedded reference (mock)" + (f", zoo variant {self.variant}" if self.variant else "")


@dataclass
class Side:
    """One side, judged: what it sent and recorded, which source step each step became, its result."""

    spec: SideSpec
    run: RunRecord
    performed: dict[int, int]
    result: RunResult
    label: str = ""


@dataclass(frozen=True)
class Options:
    """The flags of `diff` that apply to both sides."""

    report_dir: Path
    strict: bool = False
    strict_messages: bool = False
    max_rps: str | None = None
    budget: str | None = None
    timeout: str | None = None
    allow_insecure: bool = False
    seed: int = 0
    face_url: str | None = None  # the image a live side's Add Face gets (default: the suite's sample)
    face_image: str | None = None


def recorded_side(spec: SideSpec, options: Options) -> tuple[Side, Recorded]:
    """A recording, re-judged by today's rules."""
    assert spec.recording is not None
    rejudged = rejudge(spec.recording, report_dir=options.report_dir, strict=options.strict,
                       strict_messages=options.strict_messages)
    return Side(spec, rejudged.run, rejudged.performed, rejudged.result), rejudged.recorded


def service_settings(spec: SideSpec, options: Options, profile: str) -> Settings:
    """The settings of a side that answers (no environment fallback: each side names its own)."""
    return build_settings({
        "endpoint": spec.endpoint, "key": spec.key, "profile": profile, "strict": options.strict,
        "strict_messages": options.strict_messages, "max_rps": options.max_rps, "budget": options.budget,
        "timeout": options.timeout, "allow_insecure": options.allow_insecure, "variant": spec.variant,
        "seed": str(options.seed), "report_dir": str(options.report_dir),
        "face_url": options.face_url if spec.endpoint else None,
        "face_image": options.face_image if spec.endpoint else None,
    }, environ={})


def driven_side(spec: SideSpec, source: Side, steps: list[dict[str, Any]], options: Options) -> Side:
    """A service sent the source's steps, in order, each probe readdressed to its own resources."""
    started = time.monotonic()
    settings = service_settings(spec, options, source.result["target"]["profile"])
    run = Runner(settings, make_target(settings))
    ids: dict[str, str] = {}

    def before(index: int) -> None:
        if not ids and run.world is not None and source.run.world is not None:
            ids.update(diff.id_map(source.run.world, run.world))

    def move(probe: Probe) -> Probe:
        return diff.moved(probe, ids)

    try:
        performed = perform(run, steps, before=before, move=move, budget=True)
    finally:
        run.close()
    record = run.run_record()
    result = build_result(settings, record, run.ledger, started=now_iso(), duration_s=time.monotonic() - started)
    return Side(spec, record, performed, result)


def suite_recording(spec: SideSpec, options: Options, *, plugins: Iterable[object] = ()) -> Path:
    """Run the suite on a service (seeded, quietly) and return its recording.

    The side's settings are built once, as a driven side's are (its own endpoint and key, no
    environment fallback), with its reports in a folder of their own; `plugins` go to pytest
    (the CLI's progress bar).
    """
    where = options.report_dir / f"side-{spec.name.lower()}"
    settings = replace(service_settings(spec, options, "full"), report_dir=where)
    with contextlib.redirect_stdout(io.StringIO()):
        run = run_suite(settings, plugins=plugins)
    if run.result is None or not (where / HAR_FILE).is_file():
        raise ConfigError(f"side {spec.name} ({spec.label}): the suite's run left no recording "
                          f"(pytest exit {run.pytest_code})")
    if read_har(where / HAR_FILE).log["_conformance"].get("interrupted"):
        raise KeyboardInterrupt("the suite's run of side A was interrupted")
    return where / HAR_FILE


def compare(a: SideSpec, b: SideSpec, options: Options, *, plugins: Iterable[object] = ()) -> dict[str, Any]:
    """Both sides judged and lined up: the diff record (`diff.json`).

    `plugins` go to pytest when side A runs the suite first (two sides that both answer).
    """
    labels = (a.label, b.label)
    if a.recording is None and b.recording is None:
        a = replace(a, recording=suite_recording(a, options, plugins=plugins), endpoint=None, key=None)
        labels = (f"{labels[0]} (run through the suite first)", labels[1])
    unlike: set[int] = set()
    if a.recording is not None:
        side_a, recorded = recorded_side(a, options)
        if b.recording is not None:
            side_b, other = recorded_side(b, options)
            unlike = unlike_steps(recorded.steps, other.steps)
        else:
            side_b = driven_side(b, side_a, recorded.steps, options)
    else:
        side_b, recorded = recorded_side(b, options)
        side_a = driven_side(a, side_b, recorded.steps, options)
    side_a.label, side_b.label = labels
    return record(side_a, side_b, recorded.steps, unlike)


def unlike_steps(a: list[dict[str, Any]], b: list[dict[str, Any]]) -> set[int]:
    """The steps two recordings did not take alike (another suite version, seed or profile): not lined up."""
    def key(step: dict[str, Any]) -> tuple[Any, ...]:
        return (step.get("call"), repr(step.get("probe", {}).get("label") if isinstance(step.get("probe"), dict)
                                       else None))

    return {i for i in range(max(len(a), len(b))) if i >= len(a) or i >= len(b) or key(a[i]) != key(b[i])}


def record(a: Side, b: Side, steps: list[dict[str, Any]], unlike: Collection[int] = ()) -> dict[str, Any]:
    """The diff record of two judged sides (`unlike`: steps two recordings did not take alike)."""
    probes = diff.line_up(steps, a.run, a.performed, b.run, b.performed)
    for probe in probes:
        if probe["step"] in unlike:
            probe["class"], probe["why"] = DiffClass.ONE_SIDE, "the two recordings sent different steps here"
    outcomes_b = {row["id"]: row["outcome"] for row in b.result["rows"]}
    rows = [{"id": row["id"], "level": row["level"], "a": row["outcome"], "b": outcomes_b.get(row["id"]),
             "class": diff.classify_row(row["outcome"], outcomes_b.get(row["id"], Outcome.NOT_OBSERVED))}
            for row in a.result["rows"]]
    counts = {kind: sum(p["class"] == kind for p in probes) for kind in DIFF_CLASSES}
    regressions = [r["id"] for r in rows if r["class"] == DiffClass.REGRESSION]
    regressions += [f"step {p['step']} ({p['label']})" for p in probes if p["class"] == DiffClass.REGRESSION]
    inconclusive = [s.spec.name for s in (a, b) if s.result["verdict"] == Verdict.INCONCLUSIVE]
    verdict = (DiffVerdict.REGRESSION if regressions
               else DiffVerdict.INCONCLUSIVE if inconclusive else DiffVerdict.NO_REGRESSION)
    reason = (f"B regresses on {', '.join(regressions[:10])}" if regressions else
              f"side {' and '.join(inconclusive)} could not reach a verdict" if inconclusive else
              f"no regression; {counts[DiffClass.DIVERGENCE]} divergence(s) where the page leaves room")
    return {
        "suite": {"name": "face-conformance", "version": __version__},
        "a": _side_record(a), "b": _side_record(b),
        "verdict": verdict, "verdict_reason": reason, "exit_code": int(EXIT[verdict]),
        "counts": counts, "rows": rows, "probes": probes,
    }


def _side_record(side: Side) -> dict[str, Any]:
    result = side.result
    return {"label": side.label or side.spec.label, "mode": result["target"]["mode"], "verdict": result["verdict"],
            "verdict_reason": result["verdict_reason"], "requests": result["requests"],
            "recorded": result["target"].get("recorded"), "operation": operation_of(result)}

