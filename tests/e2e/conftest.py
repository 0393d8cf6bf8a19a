"""The end-to-end tier: fixtures its modules share. The harness itself is `harness.py` and `servers.py`."""

from __future__ import annotations

import dataclasses
import os
import shutil

import pytest
from harness import Run, run_cli


@pytest.fixture(scope="session")
def default_run(tmp_path_factory: pytest.TempPathFactory) -> Run:
    """`face-conformance run` with no options, in an empty directory: mock mode, full profile, `./reports`.

    The run a new user makes first. Its report, terminal output and recording are read by
    test_suite_on_reference, test_har and test_diff_cli, so it is run once (once per xdist worker).
    Nothing may write into its directory.
    """
    cwd = tmp_path_factory.mktemp("default-run")
    run = run_cli("run", cwd=cwd, timeout=180)
    return dataclasses.replace(run, report_dir=cwd / "reports")


@pytest.fixture(scope="session")
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
