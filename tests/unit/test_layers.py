"""The package's layers: one rule per folder, held by walking every import (lazy ones too).

Each folder of `face_conformance/` is a stage, and may import only the stages below it (`RULES`).
The fronts (`cli`, `serve_cli`, `plugin`, `progress`, `__main__`) may import anything, and nothing
imports them. A failure names the importing module, the imported one and the rule it breaks. The
README's "Layout" states the same rules and names every module; `test_the_readme_layout_names_every_module`
holds it to the tree.
"""

from __future__ import annotations

import ast
import re
import shutil
from collections.abc import Iterable
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "face_conformance"
FRONTS = frozenset({"cli", "serve_cli", "plugin", "progress", "__main__"})
#: The stages each stage may import, besides itself and the package root (`__version__`).
RULES: dict[str, frozenset[str]] = {
    "cases": frozenset(),
    "evidence": frozenset({"cases"}),
    "reference": frozenset({"cases"}),
    "zoo": frozenset({"cases", "reference"}),
    "judging": frozenset({"cases", "evidence"}),
    "config": frozenset({"cases", "evidence"}),
    "live": frozenset({"cases", "evidence", "config"}),
    "reporting": frozenset({"cases", "evidence", "judging.findings"}),
    "run": frozenset({"cases", "evidence", "reference", "judging", "config", "live", "reporting"}),
    "suite": frozenset({"cases", "evidence", "judging", "config", "live", "reporting", "run"}),
}
#: Single modules a stage's rule lets through on top of it, each with the reason.
EXCEPTIONS: dict[str, frozenset[str]] = {
    # The mock target is the one seam's other side: it builds the reference (or a zoo variant) in process.
    "live.target": frozenset({"reference", "zoo"}),
}


def module_name(path: Path, package: Path) -> str:
    """`cases.catalogue` for face_conformance/cases/catalogue.py, `zoo` for zoo/__init__.py."""
    parts = list(path.relative_to(package).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports_of(path: Path, package: Path) -> set[str]:
    """The package modules (or packages) one file imports, at any depth of its code, as names relative to it."""
    name = module_name(path, package)
    is_package = path.name == "__init__.py"
    here = name.split(".") if is_package else name.split(".")[:-1]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = here[: len(here) - node.level + 1] if node.level > 1 else here
                target = ".".join([*base, *(node.module.split(".") if node.module else [])])
            elif node.module and (node.module == package.name or node.module.startswith(package.name + ".")):
                target = node.module[len(package.name) + 1:]
            else:
                continue
            for alias in node.names:
                found.add(f"{target}.{alias.name}".strip(".") if _is_module(package, target, alias.name) else target)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith(package.name + "."):
                    found.add(alias.name[len(package.name) + 1:])
    found.discard(name)
    return found


def _is_module(package: Path, target: str, leaf: str) -> bool:
    base = package.joinpath(*target.split(".")) if target else package
    return (base / f"{leaf}.py").is_file() or (base / leaf / "__init__.py").is_file()


def import_graph(package: Path = PACKAGE) -> dict[str, set[str]]:
    """Every module of the package and what it imports of the package."""
    return {module_name(p, package): imports_of(p, package) for p in sorted(package.rglob("*.py"))}


@cache
def _today() -> dict[str, frozenset[str]]:
    return {name: frozenset(found) for name, found in import_graph().items()}


def today() -> dict[str, set[str]]:
    """Today's graph, read once per session; each caller gets its own copy to change."""
    return {name: set(found) for name, found in _today().items()}


def stage(module: str) -> str:
    """The stage a module belongs to: its folder, or the module itself for a top-level file."""
    return module.split(".")[0]


def _allowed(importer: str, imported: str) -> bool:
    own, other = stage(importer), stage(imported)
    if imported == "" or own == other or own in FRONTS:
        return True
    if other in FRONTS:
        return False
    granted = RULES.get(own, frozenset()) | next(
        (extra for prefix, extra in EXCEPTIONS.items() if importer == prefix), frozenset())
    return other in granted or any(imported == g or imported.startswith(g + ".") for g in granted)


def violations(graph: dict[str, set[str]]) -> list[str]:
    """One line per import that breaks its folder's rule, naming both ends and the rule."""
    out = []
    for importer, targets in sorted(graph.items()):
        for imported in sorted(targets):
            if not _allowed(importer, imported):
                rule = "nothing of the package" if not RULES.get(stage(importer)) else ", ".join(
                    sorted(RULES[stage(importer)]))
                out.append(f"face_conformance.{importer} imports face_conformance.{imported}: "
                           f"{stage(importer)}/ may import only {rule}")
    return out


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The import circles between modules (strongly connected components of more than one module)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in _resolved(graph, graph.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def _resolved(graph: dict[str, set[str]], targets: Iterable[str]) -> list[str]:
    # An import of a package runs its __init__ only: the edge goes to the package's own module.
    return [t for t in targets if t in graph and t != ""]


# -- the rules hold on today's tree ------------------------------------------------------------------


def test_every_import_keeps_its_folders_rule() -> None:
    assert violations(today()) == []


def test_the_package_has_no_import_circle() -> None:
    assert cycles(today()) == []


def test_every_module_lives_in_a_folder_with_a_rule_or_is_a_front() -> None:
    stray = [m for m in today() if m and stage(m) not in RULES and stage(m) not in FRONTS]
    assert stray == []


def test_the_readme_layout_names_every_module() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    layout = readme.split("## Layout", 1)[1]
    names = {p.stem for p in PACKAGE.rglob("*.py") if p.name != "__init__.py"}
    missing = sorted(n for n in names if not re.search(rf"\b{re.escape(n)}\b", layout))
    assert missing == []
    for folder in RULES:
        assert re.search(rf"^\s+{folder}/", layout, re.MULTILINE), f"the layout does not show {folder}/"


# -- the checks fail when a rule is broken -----------------------------------------------------------


@pytest.mark.parametrize(("importer", "imported", "named"), [
    ("cases.catalogue", "run.runner", "cases/ may import only nothing of the package"),
    ("evidence.har", "run.runner", "evidence/ may import only cases"),
    ("judging.oracle", "live.client", "judging/ may import only cases, evidence"),
    ("reporting.html_report", "run.diff", "reporting/ may import only cases, evidence, judging.findings"),
    ("reporting.failures", "judging.oracle", "reporting/ may import only"),
    ("config.settings", "zoo.registry", "config/ may import only cases, evidence"),
    ("run.compare", "cli", "run/ may import only"),
    ("live.client", "reference.service", "live/ may import only"),
])
def test_a_forbidden_import_is_named(importer: str, imported: str, named: str) -> None:
    graph = today()
    graph[importer] = graph[importer] | {imported}
    found = violations(graph)
    assert len(found) == 1 and found[0].startswith(f"face_conformance.{importer} imports face_conformance.{imported}")
    assert named in found[0]


def test_an_import_written_into_a_file_is_found(tmp_path: Path) -> None:
    """The walk reads the files themselves: a lazy import added inside a function is caught."""
    copy = tmp_path / "face_conformance"
    shutil.copytree(PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__"))
    with (copy / "cases" / "world.py").open("a", encoding="utf-8") as fh:
        fh.write("\n\ndef _sneaky():\n    from ..run import runner\n    return runner\n")
    assert violations(import_graph(copy)) == ["face_conformance.cases.world imports face_conformance.run.runner: "
                                              "cases/ may import only nothing of the package"]


def test_a_circle_is_found() -> None:
    graph = today()
    graph["cases.world"] = graph["cases.world"] | {"cases.probes"}
    assert ["cases.probes", "cases.world"] in cycles(graph)
