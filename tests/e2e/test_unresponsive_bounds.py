"""Two bounds of a live run against a loopback server that misbehaves on the wire (the CLI in a subprocess).

- A server whose every PATCH stalls while its supporting calls answer: the run stops at the third
  stall, within three --timeouts of the first (the Get Face read-backs between the stalls once reset
  the count, and the run went on stall after stall); teardown still runs, every report is written.
- A server that resets the very first connection: Create Person Group (a PUT) is retried like any
  supporting call, and the run goes on to its verdict instead of ending inconclusive at once.
"""

from __future__ import annotations

import json
import time
from datetime import datetime
from pathlib import Path
from typing import Any

from harness import assert_no_traceback, assert_reports_written, live_args, run_cli
from servers import HostileServer, conformance_groups, first_requests, model_group_ids, reset_connection
from zoo_config import live_config

from face_conformance.live.client import MAX_SILENT_IN_A_ROW
from face_conformance.reference import BackgroundServer, ReferenceService
from face_conformance.zoo import VARIANTS

KEY = "bounds-key-4e1d"
TIMEOUT_S = 1.0
#: From the first stall to the end of the process, beyond the stalls themselves: the read-backs
#: between them, the teardown's DELETEs, the reports and the interpreter's exit (about 1 s here).
AFTER_STALLS_SLACK_S = 5.0


def _entries(report_dir: Path) -> list[dict[str, Any]]:
    return json.loads((report_dir / "exchanges.har").read_text(encoding="utf-8"))["log"]["entries"]


def _started(entry: dict[str, Any]) -> float:
    return datetime.fromisoformat(entry["startedDateTime"].replace("Z", "+00:00")).timestamp()


def test_every_patch_stalling_stops_the_run_within_three_timeouts_of_the_first_stall(tmp_path: Path) -> None:
    variant = VARIANTS["hangs-on-update"]  # every PATCH hangs; every other call gets the reference's answer
    with BackgroundServer(variant.build(live_config(KEY))) as server:
        args = live_args(server.base_url, KEY, tmp_path / "reports", "--timeout", f"{TIMEOUT_S:g}", profile="full")
        run = run_cli(*args, cwd=tmp_path, timeout=120)
        ended = time.time()
        left_behind = conformance_groups(model_group_ids(server.service))
    assert_no_traceback(run)
    report = assert_reports_written(run)
    entries = _entries(tmp_path / "reports")
    stalls = [e for e in entries
              if e["request"]["method"] == "PATCH" and "timeout" in (e["response"].get("_error") or "")]
    assert len(stalls) == MAX_SILENT_IN_A_ROW == 3, [e["_conformance"]["purpose"] for e in stalls]
    # Supporting calls answered between the stalls (the read-backs that once reset the count).
    first = _started(stalls[0])
    between = [e for e in entries if first < _started(e) < _started(stalls[-1]) and e["request"]["method"] == "GET"]
    assert between and all(e["response"]["status"] == 200 for e in between)
    teardown = [e for e in entries if e["_conformance"]["purpose"] == "teardown"]
    assert teardown and all(e["response"]["status"] == 200 for e in teardown), "teardown must still run"
    assert left_behind == []
    assert _started(teardown[0]) - first < 3 * TIMEOUT_S + 1.0, run.describe()
    assert ended - first < 3 * TIMEOUT_S + AFTER_STALLS_SLACK_S, f"{ended - first:.1f} s after the first stall"
    # A stalled update fails its row (a silent server is not conformant): exit 1, with the stop named.
    assert run.returncode == 1 and report["verdict"] == "non-conformant", run.describe()
    assert "the run stopped: the server did not answer 3 of its last 3 PATCH requests" in report["verdict_reason"]
    assert run.rows()["200.ok"]["outcome"] == "fail"


def test_a_reset_of_the_very_first_connection_is_retried(tmp_path: Path) -> None:
    backend = ReferenceService(live_config(KEY))
    with HostileServer(reset_connection, backend=backend, sabotage=first_requests(1)) as server:
        run = run_cli(*live_args(server.base_url, KEY, tmp_path / "reports", "--timeout", f"{TIMEOUT_S:g}"),
                      cwd=tmp_path, timeout=120)
        requests = [(r.method, r.target) for r in server.requests[:2]]
        resets = server.resets
    assert_no_traceback(run)
    report = assert_reports_written(run)
    assert resets == 1 and requests[0] == requests[1] and requests[0][0] == "PUT", requests
    first = _entries(tmp_path / "reports")[0]
    assert first["response"]["status"] == 0 and first["response"].get("_error"), first["response"]
    retried = [o for o in report["observations"] if o["id"] == "info.supporting-call-retries"]
    assert retried and "PUT" in retried[0]["summary"], report["observations"]
    # The reset cost one pause, and the run went on to the verdict of the reference behind it.
    assert run.returncode == 0 and report["verdict"] == "conformant", run.describe()
    assert conformance_groups(model_group_ids(backend)) == []
    assert run.elapsed < 60, run.describe()
