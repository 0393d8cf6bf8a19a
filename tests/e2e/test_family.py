"""The whole family, end to end: each operation on each API version, on the reference and on `serve`.

For each operation of the family (LargePersonGroup and LargeFaceList on v1.0 and v1.2, and the
page's PersonGroup on v1.2; v1.0's PersonGroup is every other test's):
- mock mode exits 0 with every applicable row `pass` and every other row `not-applicable`, and the
  reports name the operation and version;
- a live smoke run against the reference on loopback exits 0, stays within 1.5 times its own
  request floor and leaves no collection behind; so does a live full run stopped by SIGINT;
- `judge` re-derives each mock recording's verdict, and `diff` compares two of them.
- the family's kill test: on each operation, a representative of each row (see `representatives`)
  and the family's own variants, each judged as its kind.
"""

from __future__ import annotations

import json
import signal
import time
from pathlib import Path

import httpx
import pytest
from cells import Cell, CellSpec, evidence, replay_differences, wait_cells
from harness import Run, assert_no_traceback, finish, live_args, run_cli, start_cli
from servers import SlowReference, reference

from face_conformance.cases import catalogue, economy, operation
from face_conformance.reference import ReferenceConfig
from face_conformance.zoo import VARIANTS, Variant
from face_conformance.zoo.family import FAMILY_VARIANTS

KEY = "family-key-5d0c2a"
FAMILY = [("largepersongroup", "v1.0"), ("largefacelist", "v1.0"), ("largepersongroup", "v1.2"),
          ("largefacelist", "v1.2"), ("persongroup", "v1.2")]
IDS = [f"{name}-{version}" for name, version in FAMILY]


def _target(name: str, version: str) -> list[str]:
    return ["--operation", name, "--api-version", version]


#: The rows whose answers API v1.2 changes: on v1.2 the kill test runs their representatives only.
V1_2_ROWS = ("401.invalid-key", "429.rate-limit", "x.error-envelope")


def _applies(variant: Variant, name: str, version: str) -> bool:
    """Whether the variant's difference exists in this operation (its row applies, its operations name it)."""
    if not variant.applies_to(name, version):
        return False
    return variant.row is None or catalogue.row(catalogue.current_id(variant.row)).level != "N/A"


def representatives(name: str, version: str) -> list[str]:
    """The servers the family's kill test runs on one operation (docs: README, "Proving the verdicts").

    Broken: the family's own variants, and the first smoke-reachable broken variant of each row the
    operation has (on v1.2, of the rows v1.2 changes only). Conformant: the family's own, and the
    first conformant variant of each row whose latitude one takes (on v1.2, of the rows v1.2 changes).
    """
    chosen: list[str] = []
    covered: set[tuple[str, str | None]] = set()
    with operation.using(name, version):
        for variant in VARIANTS.values():
            if variant.kind == "hostile" or not variant.mock or not _applies(variant, name, version):
                continue
            own = variant.name in FAMILY_VARIANTS
            wanted = version == "v1.0" or variant.row in V1_2_ROWS
            if own or (wanted and variant.profile == "smoke" and (variant.kind, variant.row) not in covered):
                chosen.append(variant.name)
                covered.add((variant.kind, variant.row))
    return chosen


def _specs(target: str) -> list[CellSpec]:
    """A target's mock runs: the reference under the full profile (its recording re-judged), then a smoke
    run of each representative."""
    name, version = FAMILY[IDS.index(target)]
    return [CellSpec("mock", "reference", "full", name, version),
            *(CellSpec("mock", each, "smoke", name, version, judge=False) for each in representatives(name, version))]


def background_cells(items: list[pytest.Item]) -> list[CellSpec]:
    """The mock runs this module's tests read, made in the background from the session's start
    (`cells.CellPool`), forked, beside the rest of the tier: every target's, if any test reads them."""
    readers = {"test_mock_run_passes_every_applicable_row", "test_each_representative_is_judged_as_its_kind",
               "test_judge_rederives_every_operations_recording", "test_diff_compares_two_operations_recordings"}
    if not any(item.originalname in readers for item in items):
        return []
    return [spec for target in IDS for spec in _specs(target)]


@pytest.fixture(scope="module")
def batches(zoo_root: Path) -> dict[str, dict[str, Cell]]:
    """Per operation and version: its mock runs (`_specs`) by name, once made."""
    return {target: {cell.name: cell for cell in wait_cells(zoo_root, _specs(target))} for target in IDS}


@pytest.fixture(scope="module")
def live_runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Run, list, list[str]]]:
    """A live smoke run of each operation and version against its own reference on loopback.

    Each: the run, the server's request log, and every `conformance-*` collection the server still
    holds afterwards, of every kind, listed through the API as a user would.
    """
    work = tmp_path_factory.mktemp("family-live")
    out = {}
    for name, version in FAMILY:
        with reference(ReferenceConfig(key=KEY)) as server:
            report = work / f"{name}-{version}"
            run = run_cli(*live_args(server.base_url, KEY, report, *_target(name, version)), cwd=work, timeout=180)
            out[f"{name}-{version}"] = (run, list(server.service.request_log), leftovers(server.base_url, version))
    return out


def leftovers(base_url: str, version: str) -> list[str]:
    """Every `conformance-*` collection of every kind the server lists on this version."""
    found = []
    with httpx.Client(base_url=f"{base_url}/face/{version}", headers={"Ocp-Apim-Subscription-Key": KEY},
                      trust_env=False, timeout=10) as client:
        for name in operation.operation_names():
            kind = operation.get(name, version)
            answer = client.get(f"/{kind.collection}")
            answer.raise_for_status()
            found += [f"{kind.noun} {c[kind.container]}" for c in answer.json()
                      if str(c.get(kind.container, "")).startswith("conformance-")]
    return found


def _batch(batches: dict, target: str, name: str) -> Cell:
    cell = batches[target][name]
    assert "Traceback" not in cell.output, evidence(cell)
    return cell


@pytest.mark.parametrize("target", IDS)
def test_mock_run_passes_every_applicable_row(batches: dict, target: str) -> None:
    name, version = FAMILY[IDS.index(target)]
    cell = _batch(batches, target, "reference")
    assert cell.exit_code == 0, evidence(cell)
    with operation.using(name, version):
        expected = {r.id: ("not-applicable" if r.level == "N/A" else "pass") for r in catalogue.rows()}
    assert cell.outcomes == expected, evidence(cell)
    report = cell.report
    assert (report["operation"]["name"], report["operation"]["version"]) == (name, version)
    op = operation.get(name, version)
    for file in ("report.html", "summary.md", "junit.xml", "exchanges.har"):
        text = (cell.report_dir / file).read_text(encoding="utf-8")
        assert op.title in text and version in text, file


@pytest.mark.parametrize("target", IDS)
def test_each_representative_is_judged_as_its_kind(batches: dict, target: str) -> None:
    """Broken: exit 1, its row (as the operation names it) fails, and only rows it declares. Conformant: exit 0."""
    name, version = FAMILY[IDS.index(target)]
    chosen = [spec.name for spec in _specs(target)[1:]]
    assert set(FAMILY_VARIANTS) & set(chosen) or version == "v1.0", chosen
    with operation.using(name, version):
        for variant_name in chosen:
            variant, cell = VARIANTS[variant_name], _batch(batches, target, variant_name)
            failed = {row for row, outcome in cell.outcomes.items() if outcome in ("fail", "error")}
            if variant.kind == "conformant":
                assert cell.exit_code == 0 and not failed, evidence(cell)
                continue
            row = catalogue.current_id(variant.row)
            assert cell.exit_code == 1 and row in failed, evidence(cell)
            assert failed <= {row, *map(catalogue.current_id, variant.also)}, evidence(cell)


@pytest.mark.parametrize("target", IDS)
def test_live_smoke_run_passes_within_its_floor_and_leaves_nothing(live_runs: dict, target: str) -> None:
    name, version = FAMILY[IDS.index(target)]
    run, log, left = live_runs[target]
    assert run.returncode == 0, run.describe()
    outcomes = {row["id"]: row["outcome"] for row in run.report["rows"]}
    assert "fail" not in outcomes.values(), outcomes
    with operation.using(name, version):
        floor = economy.minimum_smoke_requests()
        assert all(outcomes[row] == "pass" for row in economy.at_will_rows()), outcomes
    assert len(log) <= economy.SMOKE_BUDGET_RATIO * floor, f"{len(log)} requests, floor {floor}"
    base = operation.get(name, version).base
    assert all(entry.raw_path.startswith(base) for entry in log), "a request left the operation's version"
    assert left == [], f"collections left behind: {left}"


@pytest.mark.parametrize("name", ["largepersongroup", "largefacelist"])
def test_sigint_mid_run_leaves_no_collection(tmp_path: Path, name: str) -> None:
    with reference(ReferenceConfig(key=KEY), SlowReference, delay=0.05) as server:
        args = live_args(server.base_url, KEY, tmp_path / "reports", *_target(name, "v1.0"), profile="full")
        started = time.monotonic()
        proc = start_cli(*args, cwd=tmp_path)
        try:
            while len(server.service.request_log) < 15:
                assert proc.poll() is None, "the run ended before it could be interrupted"
                assert time.monotonic() < started + 60, "the run sent too few requests within 60 s"
                time.sleep(0.01)
            assert leftovers(server.base_url, "v1.0"), "nothing was created before the signal"
            proc.send_signal(signal.SIGINT)
        finally:
            run = finish(proc, args, started, 60, tmp_path / "reports")
        assert run.returncode == 3, run.describe()
        assert_no_traceback(run)
        assert leftovers(server.base_url, "v1.0") == []


@pytest.mark.parametrize("target", IDS)
def test_judge_rederives_every_operations_recording(batches: dict, target: str) -> None:
    """`face-conformance judge` on each operation's full mock run: the same exit status, verdict, rows,
    observations and operation."""
    cell = _batch(batches, target, "reference")
    assert cell.replay_exit is not None, evidence(cell)
    assert "Traceback" not in cell.replay_output, cell.replay_output[-3000:]
    problems = replay_differences(cell.report, cell.exit_code, cell.replay, cell.replay_exit)
    assert not problems, f"{problems}\n{evidence(cell)}"
    assert cell.replay["operation"] == cell.report["operation"]


def test_diff_compares_two_operations_recordings(batches: dict, tmp_path: Path) -> None:
    a, b = (_batch(batches, t, "reference").report_dir / "exchanges.har"
            for t in ("largefacelist-v1.0", "largefacelist-v1.2"))
    run = run_cli("diff", str(a), str(b), "--report-dir", str(tmp_path / "diff"), cwd=tmp_path, timeout=300)
    assert run.returncode in (0, 1), run.describe()
    assert_no_traceback(run)
    diff = json.loads((tmp_path / "diff" / "diff.json").read_text(encoding="utf-8"))
    assert diff["rows"], diff


@pytest.mark.parametrize("name", ["largepersongroup", "largefacelist"])
def test_bring_your_own_face_is_restored(tmp_path: Path, name: str) -> None:
    """A face the user lends (no persons in a face list) gets its userData back; nothing is created."""
    kind = operation.get(name, "v1.0")
    with reference(ReferenceConfig(key=KEY)) as server, httpx.Client(
            base_url=f"{server.base_url}{kind.base}", headers={"Ocp-Apim-Subscription-Key": KEY},
            trust_env=False, timeout=10) as client:
        assert client.put(kind.path("mine").removeprefix(kind.base), json={"name": "mine"}).status_code == 200
        person = client.post("/largepersongroups/mine/persons", json={"name": "p"}).json()["personId"] \
            if kind.has_person else None
        faces = kind.faces_path("mine", person).removeprefix(kind.base)
        face = client.post(faces, json={"url": "https://example.invalid/a.jpg"}).json()["persistedFaceId"]
        face_path = kind.path("mine", person, face).removeprefix(kind.base)
        assert client.patch(face_path, json={"userData": "the user's own"}).status_code == 200
        option = {"largepersongroup": "--large-person-group-id", "largefacelist": "--large-face-list-id"}[name]
        ids = [option, "mine", "--persisted-face-id", face] + (["--person-id", person] if person else [])
        run = run_cli(*live_args(server.base_url, KEY, tmp_path / "reports", "--operation", name, *ids),
                      cwd=tmp_path, timeout=180)
        assert run.returncode == 0, run.describe()
        assert client.get(face_path).json()["userData"] == "the user's own"
        assert leftovers(server.base_url, "v1.0") == []


def test_cleanup_deletes_leftovers_of_every_kind(tmp_path: Path) -> None:
    """`cleanup` lists person groups, large person groups and large face lists, and deletes only `conformance-*`."""
    with reference(ReferenceConfig(key=KEY)) as server, httpx.Client(
            base_url=f"{server.base_url}/face/v1.0", headers={"Ocp-Apim-Subscription-Key": KEY},
            trust_env=False, timeout=10) as client:
        for name in operation.operation_names():
            kind = operation.get(name)
            for collection in ("conformance-left", "keep-mine"):
                assert client.put(f"/{kind.collection}/{collection}", json={"name": collection}).status_code == 200
        run = run_cli("cleanup", "--endpoint", server.base_url, "--key", KEY, cwd=tmp_path, timeout=60)
        assert run.returncode == 0, run.describe()
        assert leftovers(server.base_url, "v1.0") == []
        for name in operation.operation_names():
            kind = operation.get(name)
            assert f"deleted {kind.noun} conformance-left" in run.stdout
            assert client.get(f"/{kind.collection}/keep-mine").status_code == 200
