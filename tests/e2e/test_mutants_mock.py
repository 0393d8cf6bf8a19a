"""The zoo in mock mode: `face-conformance run --variant NAME` fails a broken variant on its row, and only there.

For each row a smoke run reaches, the first broken variant whose fault is not on the wire (of the
default operation) is run in process (respx, no sockets); the run must exit 1 with the variant's row
failed and no other row failed except those its registration lists in `also` (rows that judge the
same answer). The unbroken reference must pass the same run. One variant a row, not every one: the
live kill matrix (`test_kill_matrix.py`) kills every variant, under the same rule for those a smoke
run reaches, and mock mode differs from live only in the transport, which one run a row exercises as
well as several.

A few conformant and hostile variants are run in mock mode too (`OTHER_KINDS`), and every mock
run's recording is re-judged by `face-conformance judge`, which must reach the run's verdict (the
live runs' recordings are the kill matrix's). The runs are made in the background from the start of
the session (`cells.CellPool`), beside the rest of the tier.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from cells import Cell, CellSpec, evidence, format_matrix, replay_differences, wait_cells
from harness import show

from face_conformance.zoo import VARIANTS, variant_names

# Variants whose mock verdict is wrong today because of a suite bug; strict, so a fix shows as XPASS.
SUITE_BUGS: dict[str, str] = {}

#: Conformant and hostile variants run in mock mode too: name -> (profile, the exit status the run must end with).
OTHER_KINDS = {
    "reads-code-points": ("full", 0),
    "rate-limit-retry-after": ("smoke", 0),
    "conflict-clears-late": ("smoke", 0),
    "bad-gateway-on-update": ("smoke", 1),
}


def _one_per_row() -> list[str]:
    """The first smoke-reachable, mock-visible broken variant of each row (of the default operation)."""
    chosen: dict[str | None, str] = {}
    for name in variant_names("broken"):
        variant = VARIANTS[name]
        if variant.profile == "smoke" and variant.mock and variant.applies_to("persongroup", "v1.0"):
            chosen.setdefault(variant.row, name)
    return list(chosen.values())


def _spec(name: str) -> CellSpec:
    return CellSpec("mock", name, OTHER_KINDS[name][0] if name in OTHER_KINDS else "smoke")


def background_cells(items: list[pytest.Item]) -> list[CellSpec]:
    """The reference and the variants the selected tests of this module read, each a mock run."""
    wanted = {item.callspec.params["name"] for item in items if hasattr(item, "callspec")}
    return [_spec(name) for name in ["reference", *_one_per_row(), *OTHER_KINDS] if name in wanted | {"reference"}]


@pytest.fixture(scope="module")
def mocked(request: pytest.FixtureRequest, zoo_root: Path) -> dict[str, Cell]:
    """The mock runs the selected tests read, once made; printed."""
    mine = [item for item in request.session.items if item.module is request.module]
    cells = wait_cells(zoo_root, background_cells(mine))
    show(request.config, "\nthe zoo in mock mode:\n" + format_matrix(cells))
    return {cell.name: cell for cell in cells}


def test_the_reference_passes_in_mock_mode(mocked: dict[str, Cell]) -> None:
    """The unbroken reference: exit 0, no row failed (so every failure below is the mutant's doing)."""
    cell = mocked["reference"]
    assert cell.exit_code == 0, evidence(cell)
    assert cell.outcomes and not cell.failed_rows, evidence(cell)


@pytest.mark.parametrize("name", [
    pytest.param(name, id=name, marks=[pytest.mark.xfail(strict=True, reason=SUITE_BUGS[name])]
                 if name in SUITE_BUGS else []) for name in _one_per_row()])
def test_mutant_fails_its_row_and_only_it(mocked: dict[str, Cell], name: str) -> None:
    """Exit 1; the named row fails; any other failed row is one the variant declares as judging the same answer."""
    cell = mocked[name]
    variant = VARIANTS[name]
    assert cell.exit_code == 1, evidence(cell)
    assert cell.row_outcome == "fail", evidence(cell)
    assert cell.failed_rows <= {variant.row, *variant.also}, evidence(cell)
    assert "Traceback" not in cell.output, evidence(cell)


@pytest.mark.parametrize("name", list(OTHER_KINDS))
def test_other_kinds_end_as_they_must_in_mock_mode(mocked: dict[str, Cell], name: str) -> None:
    """A conformant variant passes in mock mode, the hostile one ends non-conformant, without a traceback."""
    cell = mocked[name]
    assert cell.exit_code == OTHER_KINDS[name][1], evidence(cell)
    assert "Traceback" not in cell.output, evidence(cell)


@pytest.mark.parametrize("name", ["reference", *_one_per_row(), *OTHER_KINDS])
def test_a_mock_recording_is_rejudged_alike(mocked: dict[str, Cell], name: str) -> None:
    """`face-conformance judge` on a mock run's exchanges.har: the same exit status, verdict, row outcomes
    and observations."""
    cell = mocked[name]
    assert cell.replay_exit is not None, evidence(cell)
    assert "Traceback" not in cell.replay_output, cell.replay_output[-3000:]
    problems = replay_differences(cell.report, cell.exit_code, cell.replay, cell.replay_exit)
    assert not problems, f"{problems}\n{evidence(cell)}\n--- judge's output (tail) ---\n{cell.replay_output[-2000:]}"
