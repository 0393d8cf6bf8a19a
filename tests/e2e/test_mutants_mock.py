"""Mutants in mock mode: `face-conformance run --variant NAME` fails a broken variant on its row, and only there.

For each row, the first broken variant that a smoke run can reach and whose fault is not on the
wire is run in process (respx, no sockets); the run must exit 1 with the variant's row failed and
no other row failed except those its registration lists in `also` (rows that judge the same
answer). The unbroken reference must pass the same run. One variant a row, not every one: the live
kill matrix (`test_kill_matrix.py`) kills every variant, and mock mode differs from live only in
the transport, which one run a row exercises as well as several.
"""

from __future__ import annotations

import time

import pytest
from harness import MOCK_WORKERS, Cell, evidence, format_matrix, run_cells, run_mock, show

from face_conformance.zoo import VARIANTS, variant_names

# Variants whose mock verdict is wrong today because of a suite bug; strict, so a fix shows as XPASS.
SUITE_BUGS: dict[str, str] = {}


def _smoke_broken() -> list[str]:
    """The first smoke-reachable, mock-visible broken variant of each row (of the default operation)."""
    chosen: dict[str | None, str] = {}
    for name in variant_names("broken"):
        variant = VARIANTS[name]
        if variant.profile == "smoke" and variant.mock and variant.applies_to("persongroup", "v1.0"):
            chosen.setdefault(variant.row, name)
    return list(chosen.values())


@pytest.fixture(scope="module")
def mutants(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Cell]:
    """The reference and every smoke-reachable broken variant, run in mock mode a few at a time."""
    root = tmp_path_factory.mktemp("mutants")
    started = time.monotonic()
    mine = [item for item in request.session.items if item.module is request.module]
    wanted = {item.callspec.params["name"] for item in mine if hasattr(item, "callspec")}
    names = [None, *(name for name in _smoke_broken() if name in wanted)]
    cells = run_cells(lambda n: run_mock(VARIANTS[n] if n else None, root / (n or "reference")), names,
                      workers=MOCK_WORKERS)
    show(request.config, "\nmutants (mock, smoke):\n" + format_matrix(cells, time.monotonic() - started, MOCK_WORKERS))
    return {cell.name: cell for cell in cells}


def test_the_reference_passes_in_mock_mode(mutants: dict[str, Cell]) -> None:
    """The unbroken reference: exit 0, no row failed (so every failure below is the mutant's doing)."""
    cell = mutants["reference"]
    assert cell.exit_code == 0, evidence(cell)
    assert cell.outcomes and not cell.failed_rows, evidence(cell)


@pytest.mark.parametrize("name", [
    pytest.param(name, id=name, marks=[pytest.mark.xfail(strict=True, reason=SUITE_BUGS[name])]
                 if name in SUITE_BUGS else []) for name in _smoke_broken()])
def test_mutant_fails_its_row_and_only_it(mutants: dict[str, Cell], name: str) -> None:
    """Exit 1; the named row fails; any other failed row is one the variant declares as judging the same answer."""
    cell = mutants[name]
    variant = VARIANTS[name]
    assert cell.exit_code == 1, evidence(cell)
    assert cell.row_outcome == "fail", evidence(cell)
    assert cell.failed_rows <= {variant.row, *variant.also}, evidence(cell)
    assert "Traceback" not in cell.output, evidence(cell)
