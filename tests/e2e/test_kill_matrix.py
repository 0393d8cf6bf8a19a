"""The kill matrix: the suite, run live (`face-conformance run --endpoint …`), gives every zoo variant its verdict.

broken → exit 1 with its named row failed; conformant → exit 0; hostile → exit 1 or 3, all reports
written, no traceback, bounded time. The runs go in parallel once per session (`matrix`), each
variant then gets its own test, so that a miss names the variant and the known suite bugs can be
marked one by one.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from harness import REPORT_FILES, WORKERS, Cell, evidence, format_matrix, run_cells, run_live, show
from zoo_config import MATRIX_KEY

from face_conformance.cases import catalogue
from face_conformance.zoo import VARIANTS, variant_names

#: A hostile run must end within this (3 s answer timeout; the suite stops after 3 silent requests).
HOSTILE_LIMIT_S = 60.0

# Variants the suite does not kill today because of a suite bug; strict, so a fix shows as XPASS.
SUITE_BUGS: dict[str, str] = {}


def _params(kind: str) -> list[pytest.param]:
    return [pytest.param(name, id=name, marks=[pytest.mark.xfail(strict=True, reason=SUITE_BUGS[name])]
                         if name in SUITE_BUGS else []) for name in variant_names(kind)]


def _selected(request: pytest.FixtureRequest) -> list[str]:
    """The variants the selected tests of this module need (all of them when the coverage test runs)."""
    mine = [item for item in request.session.items if item.module is request.module]
    if any(item.name == "test_the_matrix_covers_the_whole_zoo" for item in mine):
        return variant_names()
    wanted = {item.callspec.params["name"] for item in mine if hasattr(item, "callspec")}
    return [name for name in variant_names() if name in wanted]


@pytest.fixture(scope="module")
def matrix(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Cell]:
    """The selected variants served on loopback and run through the suite, a few at a time; the matrix is printed."""
    root = tmp_path_factory.mktemp("kill-matrix")
    names = _selected(request)
    started = time.monotonic()
    cells = run_cells(lambda name: run_live(VARIANTS[name], root / name), names, workers=WORKERS)
    table = format_matrix(cells, time.monotonic() - started, WORKERS)
    show(request.config, "\nkill matrix (live):\n" + table)
    (root / "matrix.txt").write_text(table + "\n", encoding="utf-8")
    return {cell.name: cell for cell in cells}


@pytest.mark.parametrize("name", _params("broken"))
def test_broken_variant_is_killed_on_its_row(matrix: dict[str, Cell], name: str) -> None:
    """A broken variant makes the run non-conformant (exit 1), and the row it breaks is the one failed."""
    cell = matrix[name]
    assert cell.exit_code == 1, evidence(cell)
    assert cell.row_outcome == "fail", evidence(cell)
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
def test_the_recording_of_each_run_is_rejudged_alike(matrix: dict[str, Cell], name: str, tmp_path: Path) -> None:
    """Offline, from its exchanges.har alone, each variant's run gets the same verdict and row outcomes."""
    from face_conformance.evidence.har import HAR_FILE
    from face_conformance.run.replay import judge

    cell = matrix[name]
    text = (cell.report_dir / HAR_FILE).read_text(encoding="utf-8")
    assert MATRIX_KEY not in text, f"{name}: the key is in its recording"
    result = judge(cell.report_dir / HAR_FILE, report_dir=tmp_path)
    assert result["exit_code"] == cell.exit_code, evidence(cell)
    assert {row["id"]: row["outcome"] for row in result["rows"]} == cell.outcomes, evidence(cell)
