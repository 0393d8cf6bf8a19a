"""Recordings made by an earlier version still replay, with the verdict and row outcomes they recorded.

The files are copies the project keeps (`tests/data/recordings/`), gzipped: a user's `exchanges.har`
is a file format, and `face-conformance judge` must read today what earlier versions wrote.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from face_conformance.cli import main

RECORDINGS = Path(__file__).resolve().parents[1] / "data" / "recordings"


@pytest.mark.parametrize("name", ["0b53136-mock", "0b53136-loopback"])
def test_an_old_recording_replays_with_its_verdict(name: str, tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    har = tmp_path / f"{name}.har"
    har.write_bytes(gzip.decompress((RECORDINGS / f"{name}.har.gz").read_bytes()))
    recorded = json.loads(har.read_text(encoding="utf-8"))["log"]["_conformance"]
    assert recorded["verdict"] == "conformant"

    code = main(["judge", str(har), "--report-dir", str(tmp_path / "replay")])

    result = json.loads((tmp_path / "replay" / "conformance.json").read_text(encoding="utf-8"))
    assert (code, result["verdict"]) == (0, "conformant"), capsys.readouterr().err
    outcomes = {row["id"]: row["outcome"] for row in result["rows"]}
    assert {row: outcomes.get(row) for row in recorded["outcomes"]} == recorded["outcomes"]
    assert result["target"]["mode"] == "replay"
