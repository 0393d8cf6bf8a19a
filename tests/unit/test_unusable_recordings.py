"""`face-conformance judge` refuses a file that is not a usable recording: exit 2, one line, no report.

Every kind of damage a file can have, in process (`cli.main`), on copies of a recording the project
keeps (`tests/data/recordings/0b53136-mock.har.gz`, a full mock run). The same refusal as a user
meets it, a process's exit status and stderr on today's recording, is the end-to-end tier's
(`tests/e2e/test_har.py`).
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from face_conformance.cli import main

RECORDING = Path(__file__).resolve().parents[1] / "data" / "recordings" / "0b53136-mock.har.gz"


def _first(har: dict[str, Any], call: str) -> dict[str, Any]:
    return next(s for s in har["log"]["_conformance"]["steps"] if s["call"] == call)


#: Damage done to the parsed recording, one kind each.
EDITS: dict[str, Callable[[dict[str, Any]], Any]] = {
    "other-creator": lambda har: har["log"].update(creator={"name": "WebInspector", "version": "537.36"}),
    "future-format": lambda har: har["log"]["_conformance"].update(format=99),
    "status-as-text": lambda har: har["log"]["entries"][3]["response"].update(status="200"),
    "unknown-step": lambda har: har["log"]["_conformance"]["steps"][1].update(call="rm -rf"),
    "probe-body-number": lambda har: _first(har, "run")["probe"].update(body=7),
    "unknown-key-kind": lambda har: _first(har, "run")["probe"].update(key_sent="near:bogus"),
    "unknown-force": lambda har: _first(har, "run")["probe"].update(force="teapot"),
    "a-million-parallel-writes": lambda har: _first(har, "concurrent_writes").update(n=10**9),
    "bad-base64": lambda har: har["log"]["entries"][2]["response"]["content"].update(text="@@@", encoding="base64"),
}
#: Files that are no recording at all.
RAW = {"empty": b"", "not-json": b"<html>502</html>", "json-array": b"[]", "no-log": b'{"entries": []}',
       "not-utf8": b"\xff\xfe\x00garbage", "deeply-nested": b"[" * 100_000 + b"]" * 100_000}


@cache
def _good() -> bytes:
    return gzip.decompress(RECORDING.read_bytes())


def _damaged(damage: str) -> bytes:
    if damage in RAW:
        return RAW[damage]
    if damage == "truncated":
        return _good()[: len(_good()) // 2]
    har = json.loads(_good())
    EDITS[damage](har)
    return json.dumps(har).encode()


@pytest.mark.parametrize("damage", ["empty", "truncated", "not-json", "json-array", "no-log", "not-utf8",
                                    "deeply-nested", "other-creator", "future-format", "status-as-text",
                                    "unknown-step", "probe-body-number", "bad-base64", "unknown-key-kind",
                                    "unknown-force", "a-million-parallel-writes", "missing", "directory"])
def test_a_damaged_or_foreign_har_gets_exit_2_and_one_line(tmp_path: Path, damage: str,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    """Exit 2, one line naming the file's problem, no traceback (an exception would fail here), no report."""
    path = tmp_path / "input.har"
    if damage == "directory":
        path.mkdir()
    elif damage != "missing":
        path.write_bytes(_damaged(damage))
    code = main(["judge", str(path), "--report-dir", str(tmp_path / "r2")])
    out, err = capsys.readouterr()
    assert code == 2, out + err
    assert "Traceback" not in out + err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("face-conformance: error:"), err
    assert not (tmp_path / "r2" / "conformance.json").exists()
