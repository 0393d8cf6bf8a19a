"""`face-conformance diff`: two services side by side, through the CLI, mock and loopback.

One recording of the reference (a default mock run) is compared with the reference again, with
conformant variants that differ only where the page leaves room, and with broken ones, in
process and served on loopback. The classes of `diff` on hand-built answers are the unit tier's
(`tests/unit/test_diff.py`).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from harness import Run, assert_no_traceback, find_secret, run_chromium, run_cli
from servers import Recording, list_group_ids
from zoo_config import live_config

from face_conformance.cases.outcomes import DiffClass
from face_conformance.evidence.har import HAR_FILE
from face_conformance.reference import BackgroundServer
from face_conformance.zoo import VARIANTS

KEY = "k-DIFF-SECRET-41c9-NEVER-SHOWN"


@pytest.fixture(scope="module")
def recording(default_run: Run) -> Path:
    """exchanges.har of one default mock run of the reference (the tier's shared `default_run`)."""
    assert default_run.returncode == 0, default_run.describe()
    assert default_run.report_dir is not None
    return default_run.report_dir / HAR_FILE


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
    assert _classes(record) <= {DiffClass.SAME, DiffClass.ONE_SIDE}, [
        p for p in record["probes"] if p["class"] != "same"]
    assert record["counts"][DiffClass.SAME] > 400
    assert {"diff.json", "diff.md", "diff.html"} <= {p.name for p in (tmp_path / "diff").iterdir()}


def test_two_recordings_are_lined_up_where_they_took_the_same_steps(recording: Path, tmp_path: Path) -> None:
    """A recording against itself: all same. Against a smoke run's: its other steps are one-side, not differences."""
    run, record = _diff(str(recording), str(recording), cwd=tmp_path)
    assert run.returncode == 0 and _classes(record) == {DiffClass.SAME}, run.describe()
    smoke = run_cli("run", "--profile", "smoke", "--report-dir", str(tmp_path / "smoke"), cwd=tmp_path)
    assert smoke.returncode == 0, smoke.describe()
    run, record = _diff(str(recording), str(tmp_path / "smoke" / HAR_FILE), cwd=tmp_path)
    assert run.returncode == 0, run.describe()
    assert record["counts"][DiffClass.ONE_SIDE] > 0
    assert not _classes(record) & {DiffClass.REGRESSION, DiffClass.IMPROVEMENT}


def test_two_services_get_the_same_seeded_probes(tmp_path: Path) -> None:
    """mock against mock: A runs the suite, B is sent A's steps; nothing differs."""
    run, record = _diff("mock", "mock", cwd=tmp_path)
    assert run.returncode == 0, run.describe()
    assert _classes(record) <= {DiffClass.SAME, DiffClass.ONE_SIDE}
    assert "run through the suite first" in record["a"]["label"]


@pytest.fixture(scope="module")
def code_points_diff(recording: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Any, dict[str, Any], Path]:
    """The recording against a conformant variant in process (1KB read as code points): run, diff.json, directory."""
    cwd = tmp_path_factory.mktemp("diff-code-points")
    run, record = _diff(str(recording), "mock", "--variant-b", "reads-code-points", cwd=cwd)
    return run, record, cwd / "diff"


def test_a_conformant_variant_differs_only_where_the_page_allows(code_points_diff: tuple[Any, dict[str, Any], Path]
                                                                 ) -> None:
    """1KB read as code points: divergences at the boundary (400 against 200), no regression, exit 0."""
    run, record, _ = code_points_diff
    assert run.returncode == 0, run.describe()
    assert DiffClass.REGRESSION not in _classes(record) and DiffClass.IMPROVEMENT not in _classes(record)
    divergent = [p for p in record["probes"] if p["class"] == DiffClass.DIVERGENCE]
    assert divergent and any(p["a"]["status"] == 400 and p["b"]["status"] == 200 for p in divergent)
    assert all("both conform" in p["why"] for p in divergent)
    assert f"divergence {len(divergent)}" in run.stdout


def test_a_broken_variant_is_a_regression_on_its_row(recording: Path, tmp_path: Path) -> None:
    """Whitespace trimmed on write: exit 1, x.read-after-write named in the rows, the probes and the terminal."""
    run, record = _diff(str(recording), "mock", "--variant-b", "trims-whitespace", cwd=tmp_path)
    assert run.returncode == 1, run.describe()
    rows = {r["id"]: r for r in record["rows"]}
    assert rows["x.read-after-write"]["class"] == DiffClass.REGRESSION
    assert rows["x.read-after-write"]["a"] == "pass" and rows["x.read-after-write"]["b"] == "fail"
    assert {r["id"] for r in record["rows"] if r["class"] == DiffClass.REGRESSION} == {"x.read-after-write"}
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
    assert {r["id"]: r["class"] for r in record["rows"]}["x.read-after-write"] == DiffClass.IMPROVEMENT


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
        assert record["counts"][DiffClass.DIVERGENCE] > 0 and DiffClass.REGRESSION not in _classes(record)
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
                 if p["class"] == DiffClass.DIVERGENCE and p["a"]}
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

def test_the_diff_page_renders_in_chromium(code_points_diff: tuple[Any, dict[str, Any], Path], tmp_path: Path,
                                          chromium: str) -> None:
    """Headless Chromium renders diff.html: verdict, counts, the rows matrix, the divergences with both sides."""
    run, _, report_dir = code_points_diff
    assert run.returncode == 0, run.describe()
    page = report_dir / "diff.html"
    done = run_chromium(chromium, tmp_path / "profile", "--dump-dom", page.as_uri())
    assert done.returncode == 0, done.stderr[-2000:]
    dom = done.stdout
    assert re.search(r'id="diff-verdict"[^>]*data-verdict="no regression"', dom)
    assert 'data-row-id="400.userdata-too-long"' in dom
    first = dom.index('class="probe"')
    assert dom[first:first + 200].count('data-class="divergence"') == 1
    assert dom.count('class="side"') >= 2
