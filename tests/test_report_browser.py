"""report.html in a real browser: headless Chromium renders it, and leaves a screenshot.

The DOM check proves the page works as rendered (the script ran, nothing hostile executed); the
screenshot, `reports/report.png`, is for a human to look at. Without Chromium the test is skipped,
except on CI (`CI=true`), where a missing browser is a broken set-up, not a reason to skip.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from test_reporting import sample_result

from face_conformance.cases import catalogue
from face_conformance.reporting import write_reports

REPORTS = Path(__file__).parents[1] / "reports"
TIMEOUT_S = 90  # a cold Chromium start on a slow CI runner takes a few seconds; never hang the suite
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Writing the report must not append to a real CI step summary."""
    monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)


@pytest.fixture(scope="module")
def chromium() -> str:
    """The Chromium binary; skipped locally when missing, a failure on CI."""
    found = next(
        (p for p in ("/usr/bin/chromium", shutil.which("chromium")) if p and os.access(p, os.X_OK)), None
    )
    if found is None:
        message = "chromium not installed (apt-get install -y chromium)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    return found


@pytest.fixture
def report(tmp_path: Path) -> Path:
    """The sample result's report.html."""
    return write_reports(sample_result(), tmp_path / "reports")["html"]


def _run(chromium: str, profile: Path, *args: str) -> subprocess.CompletedProcess[str]:
    cmd = [chromium, *FLAGS, f"--user-data-dir={profile}", *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=TIMEOUT_S, check=False)


def test_rendered_dom_shows_verdict_rows_and_failed_evidence(
    chromium: str, report: Path, tmp_path: Path
) -> None:
    done = _run(chromium, tmp_path / "profile", "--dump-dom", report.as_uri())
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
    done = _run(
        chromium, tmp_path / "profile", f"--screenshot={shot}", "--window-size=1400,2000", report.as_uri()
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert shot.stat().st_size > 20_000  # a blank page compresses to a few KB
