"""report.html in a real browser: headless Chromium renders it, and leaves a screenshot.

The DOM check proves the page works as rendered (the script ran, nothing hostile executed); the
screenshot, `reports/report.png`, is for a human to look at. Without Chromium the test is skipped,
except on CI (`CI=true`), where a missing browser is a broken set-up, not a reason to skip (the
`chromium` fixture of `conftest.py`).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from harness import run_chromium
from sample_result import sample_result

from face_conformance.cases import catalogue
from face_conformance.reporting import write_reports

REPORTS = Path(__file__).parents[2] / "reports"


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Writing the report must not append to a real CI step summary."""
    monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)


@pytest.fixture
def report(tmp_path: Path) -> Path:
    """The sample result's report.html."""
    return write_reports(sample_result(), tmp_path / "reports")["html"]


def test_rendered_dom_shows_verdict_rows_and_failed_evidence(
    chromium: str, report: Path, tmp_path: Path
) -> None:
    done = run_chromium(chromium, tmp_path / "profile", "--dump-dom", report.as_uri())
    assert done.returncode == 0, done.stderr[-2000:]
    dom = done.stdout
    assert re.search(r'id="verdict"[^>]*data-verdict="non-conformant"', dom)
    for row_id in catalogue.row_ids():
        assert f'data-row-id="{row_id}"' in dom
    failed = dom.split('id="row-401.invalid-key"', 1)[1].split("</section>", 1)[0]
    assert "<details open" in failed and 'class="evidence"' in failed
    assert "expected code Unspecified" in failed
    # The inline script ran (it reveals the filter bar), and the hostile body stayed text.
    assert re.search(r'<div id="filters" class="filters">', dom)
    assert "<script>alert" not in dom and "&lt;script&gt;alert" in dom


def test_screenshot_is_left_in_reports(chromium: str, report: Path, tmp_path: Path) -> None:
    REPORTS.mkdir(exist_ok=True)
    shot = REPORTS / "report.png"
    shot.unlink(missing_ok=True)
    done = run_chromium(
        chromium, tmp_path / "profile", f"--screenshot={shot}", "--window-size=1400,2000", report.as_uri()
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert shot.stat().st_size > 20_000  # a blank page compresses to a few KB
