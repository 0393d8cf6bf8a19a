"""The kill matrix: the suite, run live (`face-conformance run --endpoint …`), gives every zoo variant its verdict.

broken → exit 1 with its named row failed (and, for a variant a smoke run reaches, no other row but
those it declares as judging the same answer); conformant → exit 0; hostile → exit 1 or 3, all
reports written, no traceback, bounded time. Every run's recording is then re-judged offline by
`face-conformance judge`, which must reach the same verdict. The runs are made in the background
from the start of the session (`cells.CellPool`, started by tests/e2e/conftest.py from
`background_cells`), while the rest of the tier runs; each variant then gets its own test, so that
a miss names the variant and the known suite bugs can be marked one by one.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from cells import Cell, CellSpec, evidence, format_matrix, note_differences, replay_differences, wait_cells
from harness import REPORT_FILES, show
from zoo_config import MATRIX_KEY

from face_conformance.cases import catalogue
from face_conformance.evidence.har import HAR_FILE
from face_conformance.zoo import VARIANTS, variant_names

#: A hostile run must end within this (3 s answer timeout; the suite stops after 3 silent requests).
HOSTILE_LIMIT_S = 60.0

# Variants the suite does not kill today because of a suite bug; strict, so a fix shows as XPASS.
SUITE_BUGS: dict[str, str] = {}
# Variants whose run's notes a replay does not note alike, because of a suite bug; strict, as above.
REPLAY_NOTE_BUGS: dict[str, str] = {}


def _params(kind: str) -> list[pytest.param]:
    return [pytest.param(name, id=name, marks=[pytest.mark.xfail(strict=True, reason=SUITE_BUGS[name])]
                         if name in SUITE_BUGS else []) for name in variant_names(kind)]


def background_cells(items: list[pytest.Item]) -> list[CellSpec]:
    """The live runs the selected tests of this module read (every variant when the coverage test is selected)."""
    if any(item.name == "test_the_matrix_covers_the_whole_zoo" for item in items):
        return [CellSpec("live", name) for name in variant_names()]
    wanted = {item.callspec.params["name"] for item in items if hasattr(item, "callspec")}
    return [CellSpec("live", name) for name in variant_names() if name in wanted]


@pytest.fixture(scope="module")
def matrix(request: pytest.FixtureRequest, zoo_root: Path) -> dict[str, Cell]:
    """The selected variants' live runs, once made; the matrix is printed."""
    mine = [item for item in request.session.items if item.module is request.module]
    cells = wait_cells(zoo_root, background_cells(mine))
    table = format_matrix(cells)
    show(request.config, "\nkill matrix (live):\n" + table)
    (zoo_root / "matrix.txt").write_text(table + "\n", encoding="utf-8")
    return {cell.name: cell for cell in cells}


@pytest.mark.parametrize("name", _params("broken"))
def test_broken_variant_is_killed_on_its_row(matrix: dict[str, Cell], name: str) -> None:
    """A broken variant makes the run non-conformant (exit 1), and the row it breaks is the one failed.

    A variant a smoke run reaches fails no other row but those its registration lists in `also`
    (rows that judge the same answer), the rule `test_mutants_mock` holds one variant per row to in
    mock mode. Under the full profile a few variants also fail a row they do not list (three fail
    x.documented-status today), so the rule is not asserted there, as it never was.
    """
    cell = matrix[name]
    assert cell.exit_code == 1, evidence(cell)
    assert cell.row_outcome == "fail", evidence(cell)
    if VARIANTS[name].profile == "smoke":
        assert cell.failed_rows <= {VARIANTS[name].row, *VARIANTS[name].also}, evidence(cell)
    assert "Traceback" not in cell.output, evidence(cell)


@pytest.mark.parametrize("name", _params("conformant"))
def test_conformant_variant_passes(matrix: dict[str, Cell], name: str) -> None:
    """A variant that only takes the page's latitude is conformant, and the row it exercises did not fail."""
    cell = matrix[name]
    assert cell.exit_code == 0, evidence(cell)
    assert not cell.failed_rows, evidence(cell)
    if cell.row is not None and catalogue.row(cell.row).observe == "when-seen":
        # 429s come only when the server makes them: the variant's must have been seen and judged.
        assert cell.row_outcome == "pass", evidence(cell)


@pytest.mark.parametrize("name", _params("hostile"))
def test_hostile_variant_leaves_the_suite_in_control(matrix: dict[str, Cell], name: str) -> None:
    """Against a hostile server the run still ends in a verdict (1 or 3), with every report, no traceback, in time."""
    cell = matrix[name]
    assert cell.exit_code in (1, 3), evidence(cell)
    assert cell.reports == list(REPORT_FILES), evidence(cell)
    assert "Traceback" not in cell.output, evidence(cell)
    assert cell.seconds < HOSTILE_LIMIT_S, evidence(cell)


def test_the_matrix_covers_the_whole_zoo(matrix: dict[str, Cell]) -> None:
    """Every registered variant got exactly one live run, and each wrote its report where it was told."""
    assert sorted(matrix) == sorted(variant_names())
    assert all(isinstance(cell.report_dir, Path) and cell.mode == "live" for cell in matrix.values())
    written = [name for name, cell in matrix.items() if "conformance.json" in cell.reports]
    assert len(written) == len(matrix), sorted(set(matrix) - set(written))


@pytest.mark.parametrize("name", variant_names())
def test_the_recording_of_each_run_is_rejudged_alike(matrix: dict[str, Cell], name: str) -> None:
    """Offline, from its exchanges.har alone, `face-conformance judge` gives each variant's run the same
    exit status, verdict and row outcomes; the recording holds no key."""
    cell = matrix[name]
    text = (cell.report_dir / HAR_FILE).read_text(encoding="utf-8")
    assert MATRIX_KEY not in text, f"{name}: the key is in its recording"
    assert cell.replay_exit is not None, evidence(cell)
    assert "Traceback" not in cell.replay_output, cell.replay_output[-3000:]
    problems = replay_differences(cell.report, cell.exit_code, cell.replay, cell.replay_exit, observations=False)
    assert not problems, f"{problems}\n{evidence(cell)}\n--- judge's output (tail) ---\n{cell.replay_output[-2000:]}"


@pytest.mark.parametrize("name", [
    pytest.param(name, id=name, marks=[pytest.mark.xfail(strict=True, reason=REPLAY_NOTE_BUGS[name])]
                 if name in REPLAY_NOTE_BUGS else []) for name in variant_names()])
def test_the_replay_notes_what_the_run_noted(matrix: dict[str, Cell], name: str) -> None:
    """The replay's observations are the run's (but for the replay's own `info.replay*` notes)."""
    cell = matrix[name]
    assert cell.replay_exit is not None, evidence(cell)
    problems = note_differences(cell.report, cell.replay)
    assert not problems, f"{problems}\n{evidence(cell)}\n--- judge's output (tail) ---\n{cell.replay_output[-2000:]}"
