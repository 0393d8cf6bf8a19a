"""`face-conformance diff`: two services side by side, through the CLI, mock and loopback.

One recording of the reference (a default mock run) is compared with the reference again, with
conformant variants that differ only where the page leaves room, and with broken ones, in
process and served on loopback; the classes of `diff` are also checked on hand-built answers.
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
from servers import Recording, assert_no_traceback, find_secret, list_group_ids, run_cli
from test_report_browser import FLAGS, TIMEOUT_S, chromium  # noqa: F401 - the fixture is used by name

from face_conformance.evidence.har import HAR_FILE
from face_conformance.reference import BackgroundServer
from face_conformance.run import diff
from face_conformance.run.diff import Answer, classify, classify_row
from face_conformance.zoo import VARIANTS, variant_names
from face_conformance.zoo.matrix import live_config

KEY = "k-DIFF-SECRET-41c9-NEVER-SHOWN"
variant_names()  # loads the zoo's registry


@pytest.fixture(scope="module")
def recording(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """exchanges.har of one default mock run of the reference."""
    root = tmp_path_factory.mktemp("diff-recording")
    run = run_cli("run", "--report-dir", str(root), cwd=root)
    assert run.returncode == 0, run.describe()
    return root / HAR_FILE


def _diff(*args: str, cwd: Path, timeout: float = 300) -> tuple[Any, dict[str, Any]]:
    report_dir = cwd / "diff"
    run = run_cli("diff", *args, "--report-dir", str(report_dir), cwd=cwd, timeout=timeout)
    assert_no_traceback(run)
    path = report_dir / "diff.json"
    return run, (json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {})


def _classes(record: dict[str, Any]) -> set[str]:
    return {p["class"] for p in record["probes"]} | {r["class"] for r in record["rows"]}


# -- the reference against itself, and variants in process ----------------------------------------

def test_the_reference_against_itself_is_the_same_everywhere(recording: Path, tmp_path: Path) -> None:
    """The recording of the reference against the reference: no difference of any kind, exit 0."""
    run, record = _diff(str(recording), "mock", cwd=tmp_path)
    assert run.returncode == 0, run.describe()
    assert _classes(record) <= {diff.SAME, diff.ONE_SIDE}, [p for p in record["probes"] if p["class"] != "same"]
    assert record["counts"][diff.SAME] > 400
    assert {"diff.json", "diff.md", "diff.html"} <= {p.name for p in (tmp_path / "diff").iterdir()}


def test_two_recordings_are_lined_up_where_they_took_the_same_steps(recording: Path, tmp_path: Path) -> None:
    """A recording against itself: all same. Against a smoke run's: its other steps are one-side, not differences."""
    run, record = _diff(str(recording), str(recording), cwd=tmp_path)
    assert run.returncode == 0 and _classes(record) == {diff.SAME}, run.describe()
    smoke = run_cli("run", "--profile", "smoke", "--report-dir", str(tmp_path / "smoke"), cwd=tmp_path)
    assert smoke.returncode == 0, smoke.describe()
    run, record = _diff(str(recording), str(tmp_path / "smoke" / HAR_FILE), cwd=tmp_path)
    assert run.returncode == 0, run.describe()
    assert record["counts"][diff.ONE_SIDE] > 0 and not _classes(record) & {diff.REGRESSION, diff.IMPROVEMENT}


def test_two_services_get_the_same_seeded_probes(tmp_path: Path) -> None:
    """mock against mock: A runs the suite, B is sent A's steps; nothing differs."""
    run, record = _diff("mock", "mock", cwd=tmp_path)
    assert run.returncode == 0, run.describe()
    assert _classes(record) <= {diff.SAME, diff.ONE_SIDE}
    assert "run through the suite first" in record["a"]["label"]


def test_a_conformant_variant_differs_only_where_the_page_allows(recording: Path, tmp_path: Path) -> None:
    """1KB read as code points: divergences at the boundary (400 against 200), no regression, exit 0."""
    run, record = _diff(str(recording), "mock", "--variant-b", "reads-code-points", cwd=tmp_path)
    assert run.returncode == 0, run.describe()
    assert diff.REGRESSION not in _classes(record) and diff.IMPROVEMENT not in _classes(record)
    divergent = [p for p in record["probes"] if p["class"] == diff.DIVERGENCE]
    assert divergent and any(p["a"]["status"] == 400 and p["b"]["status"] == 200 for p in divergent)
    assert all("both conform" in p["why"] for p in divergent)
    assert f"divergence {len(divergent)}" in run.stdout


def test_a_broken_variant_is_a_regression_on_its_row(recording: Path, tmp_path: Path) -> None:
    """Whitespace trimmed on write: exit 1, x.read-after-write named in the rows, the probes and the terminal."""
    run, record = _diff(str(recording), "mock", "--variant-b", "trims-whitespace", cwd=tmp_path)
    assert run.returncode == 1, run.describe()
    rows = {r["id"]: r for r in record["rows"]}
    assert rows["x.read-after-write"]["class"] == diff.REGRESSION
    assert rows["x.read-after-write"]["a"] == "pass" and rows["x.read-after-write"]["b"] == "fail"
    assert {r["id"] for r in record["rows"] if r["class"] == diff.REGRESSION} == {"x.read-after-write"}
    assert "regression x.read-after-write" in run.stdout
    md = (tmp_path / "diff" / "diff.md").read_text(encoding="utf-8")
    assert "| `x.read-after-write` | pass | fail | regression |" in md


def test_the_reverse_is_an_improvement(tmp_path: Path) -> None:
    """A broken A against the reference as B: the same row, as an improvement; exit 0."""
    first = run_cli("run", "--variant", "trims-whitespace", "--profile", "smoke", "--report-dir",
                    str(tmp_path / "a"), cwd=tmp_path)
    assert first.returncode == 1, first.describe()
    run, record = _diff(str(tmp_path / "a" / HAR_FILE), "mock", cwd=tmp_path)
    assert run.returncode == 0, run.describe()
    assert {r["id"]: r["class"] for r in record["rows"]}["x.read-after-write"] == diff.IMPROVEMENT


# -- a recording against a live service ------------------------------------------------------------

@pytest.mark.parametrize(("variant", "code"), [("trims-whitespace", 1), ("reads-code-points", 0)])
def test_a_recording_against_a_loopback_service(recording: Path, tmp_path: Path, variant: str, code: int) -> None:
    """The recipe of the README: record once, compare a live service with it, its key given only to it."""
    service = VARIANTS[variant].build(live_config(KEY))
    with BackgroundServer(service) as server:
        run, record = _diff(str(recording), "--endpoint-b", server.base_url, "--key-b", KEY, cwd=tmp_path)
        left = [g for g in list_group_ids(server.base_url, KEY) if g.startswith("conformance-")]
    assert run.returncode == code, run.describe()
    assert not left, f"the diff left groups behind: {left}"
    assert record["b"]["mode"] == "live"
    if code:
        assert "regression x.read-after-write" in run.stdout
    else:
        assert record["counts"][diff.DIVERGENCE] > 0 and diff.REGRESSION not in _classes(record)
    assert not find_secret(KEY, run, tmp_path), "the key is in the diff's output or files"


def test_a_live_side_gets_the_face_image_given(recording: Path, tmp_path: Path) -> None:
    """--face-image: the live side's Add Face sends that file (a service that cannot fetch a URL still works)."""
    image = tmp_path / "face.jpg"
    image.write_bytes(b"\xff\xd8\xff\xe0 not really a jpeg, but the reference takes any bytes")
    service = Recording(live_config(KEY))
    with BackgroundServer(service) as server:
        run, record = _diff(str(recording), "--endpoint-b", server.base_url, "--key-b", KEY, "--face-image",
                            str(image), cwd=tmp_path)
    assert run.returncode == 0, run.describe()
    added = [body for method, path, body in service.seen if method == "POST" and path.endswith("/persistedFaces")]
    assert added and set(added) == {image.read_bytes()}


def test_mock_against_a_loopback_service(tmp_path: Path) -> None:
    """Two services, one of them live: the reference on loopback behaves as the embedded one."""
    with BackgroundServer(VARIANTS["chinese-messages"].build(live_config(KEY))) as server:
        run, record = _diff("mock", "--endpoint-b", server.base_url, "--key-b", KEY, cwd=tmp_path)
    assert run.returncode == 0, run.describe()
    languages = {(p["a"]["language"], p["b"]["language"]) for p in record["probes"]
                 if p["class"] == diff.DIVERGENCE and p["a"]}
    assert ("latin", "cjk") in languages


def test_an_unreachable_side_is_inconclusive(recording: Path, tmp_path: Path) -> None:
    """Nothing listens on the port: exit 3, and side B is named as the one that could not reach a verdict."""
    run, record = _diff(str(recording), "--endpoint-b", "http://127.0.0.1:9", "--key-b", KEY, cwd=tmp_path)
    assert run.returncode == 3, run.describe()
    assert record["verdict"] == "inconclusive" and "side B" in record["verdict_reason"]
    assert record["b"]["verdict"] == "inconclusive"


# -- usage ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("args", [["mock"], ["mock", "mock", "mock"], ["--endpoint-b", "http://127.0.0.1:9"],
                                  ["mock", "--endpoint-b", "http://127.0.0.1:9"],
                                  ["nowhere.har", "mock"], ["mock", "other.har", "--variant-b", "x"]])
def test_a_diff_that_cannot_start_gets_exit_2_and_one_line(tmp_path: Path, args: list[str]) -> None:
    """A missing side, a third side, an endpoint without its key, a missing file, a misplaced variant."""
    run, _ = _diff(*args, cwd=tmp_path)
    assert run.returncode == 2, run.describe()
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("face-conformance: error:"), run.describe()


# -- the page, in a browser ------------------------------------------------------------------------

def test_the_diff_page_renders_in_chromium(recording: Path, tmp_path: Path, chromium: str) -> None:  # noqa: F811
    """Headless Chromium renders diff.html: verdict, counts, the rows matrix, the divergences with both sides."""
    run, _ = _diff(str(recording), "mock", "--variant-b", "reads-code-points", cwd=tmp_path)
    assert run.returncode == 0, run.describe()
    page = tmp_path / "diff" / "diff.html"
    done = subprocess.run([chromium, *FLAGS, f"--user-data-dir={tmp_path / 'profile'}", "--dump-dom",
                           page.as_uri()], capture_output=True, text=True, timeout=TIMEOUT_S, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    dom = done.stdout
    assert re.search(r'id="diff-verdict"[^>]*data-verdict="no regression"', dom)
    assert 'data-row-id="400.userdata-too-long"' in dom
    first = dom.index('class="probe"')
    assert dom[first:first + 200].count('data-class="divergence"') == 1
    assert dom.count('class="side"') >= 2


# -- the classes, on hand-built answers ------------------------------------------------------------

def _answer(status: int, **judged: str) -> Answer:
    return Answer(status, judged={row.replace("_", "."): verdict for row, verdict in judged.items()})


@pytest.mark.parametrize(("a", "b", "kind"), [
    (_answer(200, x_read_after_write="pass"), _answer(200, x_read_after_write="fail"), diff.REGRESSION),
    (_answer(200, x_read_after_write="fail"), _answer(200, x_read_after_write="pass"), diff.IMPROVEMENT),
    (_answer(400, x_documented_status="pass"), _answer(200, x_documented_status="pass"), diff.DIVERGENCE),
    (_answer(200), _answer(200), diff.SAME),
])
def test_classify(a: Answer, b: Answer, kind: str) -> None:
    """B breaks what A holds; the reverse; both conform but differ; the same."""
    assert classify(a, b)[0] == kind


def test_a_row_seen_on_one_side_only_is_no_difference() -> None:
    """A 429 met by one side is shown as such; a regression on it is not claimed."""
    a = _answer(200, x_read_after_write="pass")
    b = Answer(200, judged={"x.read-after-write": "pass", "429.rate-limit": "fail"})
    assert classify(a, b) == (diff.ONE_SIDE, "seen on one side only: 429.rate-limit")
    assert classify_row("pass", "not-observed") == diff.ONE_SIDE
    assert classify_row("pass", "fail") == diff.REGRESSION and classify_row("fail", "pass") == diff.IMPROVEMENT


def test_the_envelope_and_media_type_are_compared_too() -> None:
    """Same status and code, but another error object or media type: a divergence that says which."""
    a = Answer(400, code="BadArgument", envelope=("code", "message"), media="application/json")
    b = Answer(400, code="BadArgument", envelope=("code", "innererror", "message"), media="application/json")
    kind, why = classify(a, b)
    assert kind == diff.DIVERGENCE and "envelope" in why
    assert classify(a, Answer(400, code="BadArgument", envelope=("code", "message"), media="text/json"))[0] == \
        diff.DIVERGENCE


def test_without_answers_only_rows_count() -> None:
    """Parallel writes and training: which write won, or when training ended, is no divergence."""
    assert classify(_answer(200), _answer(409), answers=False)[0] == diff.SAME
