"""Every document the code, the tests and the docs cite is in the clone, and every cited point exists.

A citation such as "docs/contract.md point 9" must resolve inside a fresh clone: no file names a
document kept somewhere else (a shared folder beside the checkout, a review, notes).
"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SKIP = {".git", ".venv", "reports", "__pycache__", ".ruff_cache", ".hypothesis", "build", "dist"}
TEXT = {".py", ".md", ".yaml", ".yml", ".toml", ".ini", ".cfg", ".txt"}
DOC = re.compile(r"(?<![\w./-])((?:\.\./)*[\w./-]*[\w-]+\.md)\b")
POINT = re.compile(r"docs/contract\.md,? points? (\d+)(?:\s*(?:-|to|and)\s*(\d+))?")
#: Files the suite writes into a report directory: named, not cited.
WRITTEN = frozenset({"summary.md", "diff.md", "step-summary.md"})
OUTSIDE = re.compile(r"\.\./shared|CONTRACT\.md|FIELD-NOTES|STYLE\.md|architecture-[\w-]+\.md")


def project_files() -> list[Path]:
    """The clone's own text files."""
    return [p for p in ROOT.rglob("*") if p.is_file() and p.suffix in TEXT
            and not SKIP.intersection(p.relative_to(ROOT).parts)]


def _resolves(cited: str, where: Path) -> bool:
    cited = cited.lstrip("./") if not cited.startswith("..") else cited
    candidates = [ROOT / cited, where.parent / cited]
    if "/" not in cited:  # a bare file name: anywhere in the clone
        candidates += list(ROOT.rglob(cited))
    return any(c.is_file() and ROOT in c.resolve().parents for c in candidates)


def test_no_file_cites_a_document_outside_the_clone() -> None:
    this = Path(__file__).resolve()
    found = [f"{p.relative_to(ROOT)}:{n}: {m.group(0)}" for p in project_files() if p.resolve() != this
             for n, line in enumerate(p.read_text(encoding="utf-8", errors="replace").splitlines(), 1)
             for m in OUTSIDE.finditer(line)]
    assert found == []


def test_every_cited_markdown_document_exists() -> None:
    missing = [f"{p.relative_to(ROOT)}:{n}: {m.group(1)}" for p in project_files()
               for n, line in enumerate(p.read_text(encoding="utf-8", errors="replace").splitlines(), 1)
               for m in DOC.finditer(line) if m.group(1) not in WRITTEN and not _resolves(m.group(1), p)]
    assert missing == []


def test_every_cited_point_of_the_contract_exists() -> None:
    contract = (ROOT / "docs" / "contract.md").read_text(encoding="utf-8")
    points = {int(n) for n in re.findall(r"^(\d+)\. \*\*", contract, re.MULTILINE)}
    assert points == set(range(1, max(points) + 1))
    cited = {int(n) for p in project_files() for m in POINT.finditer(p.read_text(encoding="utf-8", errors="replace"))
             for n in m.groups() if n}
    assert cited and cited <= points
