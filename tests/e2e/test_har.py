"""`exchanges.har` and `face-conformance judge`: every run recorded, and re-judged offline alike.

Runs go through the CLI (mock, and live against loopback servers that count what they are sent);
their recordings are checked against HAR 1.2's structure, searched for the key, re-judged, edited
and re-judged again, and damaged in every way a file can be. The zoo's recordings are re-judged
where they are made: every variant's live run by the kill matrix (`test_kill_matrix.py`); mock runs
of the reference, of one broken variant per row and of a few conformant and hostile variants by
`test_mutants_mock.py`.
"""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from harness import Run, assert_no_traceback, live_args, run_cli
from servers import Recording, echo_headers, hostile

from face_conformance.evidence.har import HAR_FILE
from face_conformance.reference import BackgroundServer, ReferenceConfig, ReferenceService

SECRET = "k-HAR-SECRET-77d1e0-NEVER-WRITTEN"
KEY_SENT = {"valid", "missing", "wrong", "empty"}

#: HAR 1.2 (http://www.softwareishard.com/blog/har-12-spec/): the objects and fields it requires, typed.
_NAME_VALUE = {"type": "object", "required": ["name", "value"],
               "properties": {"name": {"type": "string"}, "value": {"type": "string"}}}
HAR_SCHEMA: dict[str, Any] = {
    "type": "object", "required": ["log"],
    "properties": {"log": {
        "type": "object", "required": ["version", "creator", "entries"],
        "properties": {
            "version": {"const": "1.2"},
            "creator": {"type": "object", "required": ["name", "version"],
                        "properties": {"name": {"type": "string"}, "version": {"type": "string"}}},
            "comment": {"type": "string"},
            "pages": {"type": "array", "items": {
                "type": "object", "required": ["startedDateTime", "id", "title", "pageTimings"],
                "properties": {"startedDateTime": {"type": "string"}, "id": {"type": "string"},
                               "title": {"type": "string"}, "pageTimings": {"type": "object"}}}},
            "entries": {"type": "array", "items": {
                "type": "object",
                "required": ["startedDateTime", "time", "request", "response", "cache", "timings"],
                "properties": {
                    "startedDateTime": {"type": "string",
                                        "pattern": r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$"},
                    "time": {"type": "number", "minimum": 0},
                    "request": {
                        "type": "object",
                        "required": ["method", "url", "httpVersion", "cookies", "headers", "queryString",
                                     "headersSize", "bodySize"],
                        "properties": {
                            "method": {"type": "string"}, "url": {"type": "string"},
                            "httpVersion": {"type": "string"}, "cookies": {"type": "array"},
                            "headers": {"type": "array", "items": _NAME_VALUE},
                            "queryString": {"type": "array", "items": _NAME_VALUE},
                            "postData": {"type": "object", "required": ["mimeType", "text"],
                                         "properties": {"mimeType": {"type": "string"}, "text": {"type": "string"},
                                                        "encoding": {"const": "base64"}}},
                            "headersSize": {"type": "integer"}, "bodySize": {"type": "integer"},
                        },
                    },
                    "response": {
                        "type": "object",
                        "required": ["status", "statusText", "httpVersion", "cookies", "headers", "content",
                                     "redirectURL", "headersSize", "bodySize"],
                        "properties": {
                            "status": {"type": "integer"}, "statusText": {"type": "string"},
                            "httpVersion": {"type": "string"}, "cookies": {"type": "array"},
                            "headers": {"type": "array", "items": _NAME_VALUE},
                            "content": {"type": "object", "required": ["size", "mimeType"],
                                        "properties": {"size": {"type": "integer"}, "mimeType": {"type": "string"},
                                                       "text": {"type": "string"},
                                                       "encoding": {"const": "base64"}}},
                            "redirectURL": {"type": "string"},
                            "headersSize": {"type": "integer"}, "bodySize": {"type": "integer"},
                        },
                    },
                    "cache": {"type": "object"},
                    "timings": {"type": "object", "required": ["send", "wait", "receive"],
                                "properties": {k: {"type": "number"} for k in ("send", "wait", "receive")}},
                },
            }},
        },
    }},
}


def _har(report_dir: Path) -> dict[str, Any]:
    return json.loads((report_dir / HAR_FILE).read_text(encoding="utf-8"))


def _judge(har: Path, report_dir: Path, *extra: str, cwd: Path) -> Any:
    return run_cli("judge", str(har), "--report-dir", str(report_dir), *extra, cwd=cwd)


def _outcomes(report: dict[str, Any]) -> dict[str, str]:
    return {row["id"]: row["outcome"] for row in report["rows"]}


def assert_same_verdict(run: Any, replayed: Any) -> None:
    """The replay reaches the run's exit status, verdict and every row's outcome, by itself."""
    assert replayed.returncode == run.returncode, replayed.describe()
    assert replayed.report["verdict"] == run.report["verdict"], replayed.describe()
    assert _outcomes(replayed.report) == _outcomes(run.report)
    assert replayed.report["target"]["mode"] == "replay"
    assert replayed.report["target"]["recorded"]["verdict"] == run.report["verdict"]
    # The INFO observations are judged again too (a replay adds only its own, when it lacked something).
    observed = {o["id"] for o in replayed.report["observations"] if not o["id"].startswith("info.replay")}
    assert observed == {o["id"] for o in run.report["observations"]}


@pytest.fixture(scope="module")
def mock_run(default_run: Run) -> Run:
    """One default mock run (the reference, full profile), with its recording: the tier's shared `default_run`."""
    assert default_run.returncode == 0, default_run.describe()
    return default_run


# -- what a run writes -------------------------------------------------------------------------

def test_a_mock_run_leaves_a_har_of_every_request(mock_run: Any) -> None:
    """HAR 1.2 as devtools read it, one entry per request the run counted, in the order sent."""
    har = _har(mock_run.report_dir)
    jsonschema.validate(har, HAR_SCHEMA)
    log = har["log"]
    assert log["creator"]["name"] == "face-conformance"
    assert "mode mock" in log["comment"] and "profile full" in log["comment"]
    assert len(log["entries"]) == mock_run.report["requests"]
    started = [e["startedDateTime"] for e in log["entries"]]
    assert started == sorted(started)
    pages = {page["id"] for page in log["pages"]}
    assert {e["pageref"] for e in log["entries"]} <= pages
    steps = log["_conformance"]["steps"]
    assert steps[0]["call"] == "setup" and steps[-1]["call"] == "teardown"
    for entry in log["entries"]:
        ours = entry["_conformance"]
        assert 0 <= ours["step"] < len(steps)
        assert ours["key_sent"] in KEY_SENT or ours["key_sent"].startswith("near:")
    purposes = {e["_conformance"]["purpose"] for e in log["entries"]}
    assert {"setup", "read-back", "teardown", "401.invalid-key"} <= purposes


def test_each_entry_names_the_rows_it_was_judged_on(mock_run: Any) -> None:
    """An entry's `judged` and a row's `entries` say the same thing, from both ends."""
    har = _har(mock_run.report_dir)
    by_entry = {i: {j["row"] for j in e["_conformance"]["judged"]} for i, e in enumerate(har["log"]["entries"])}
    for row in mock_run.report["rows"]:
        assert all(row["id"] in by_entry[n] for n in row.get("entries", [])), row["id"]
        for item in row["evidence"]:
            if "entry" in item:
                assert item["request"]["url"] == har["log"]["entries"][item["entry"]]["request"]["url"]
    wrong_key = [e for e in har["log"]["entries"] if e["_conformance"]["key_sent"] == "wrong"
                 and e["request"]["method"] == "PATCH"]
    # With a wrong key, only the key is judged: alone (401.invalid-key) or with another fault (x.auth-first).
    assert wrong_key and all({j["row"] for j in e["_conformance"]["judged"]} & {"401.invalid-key", "x.auth-first"}
                             for e in wrong_key)


def test_the_html_report_links_rows_to_their_entries(mock_run: Any) -> None:
    """Each row's detail lists its entries of exchanges.har, and each evidence item its entry."""
    page = (mock_run.report_dir / "report.html").read_text(encoding="utf-8")
    assert '<a href="exchanges.har">exchanges.har</a>' in page
    assert "HAR entry " in page
    assert "exchanges.har" in mock_run.stdout


# -- re-judged alike -----------------------------------------------------------------------------

def test_judge_reproduces_a_mock_run(mock_run: Any, tmp_path: Path) -> None:
    """Offline, the recording alone gives the same verdict and every row's outcome."""
    replayed = _judge(mock_run.report_dir / HAR_FILE, tmp_path / "r2", cwd=tmp_path)
    assert_same_verdict(mock_run, replayed)
    assert replayed.report["requests"] == mock_run.report["requests"]
    assert not [o for o in replayed.report["observations"] if o["id"].startswith("info.replay")]
    page = (tmp_path / "r2" / "report.html").read_text(encoding="utf-8")
    assert "Recorded" in page and "its verdict then: conformant" in page
    link = replayed.report["target"]["recorded"]["link"]
    assert (tmp_path / "r2" / link).resolve() == (mock_run.report_dir / HAR_FILE).resolve()
    assert f'<a href="{link}">' in page


def _masked(path: str) -> str:
    return re.sub(r"(subscription-key=)[^&]*", r"\1***", path)


def test_a_loopback_run_records_every_request_the_server_saw(tmp_path: Path) -> None:
    """Live: the server's own count of what it was sent is the recording's; the replay agrees."""
    service = Recording(ReferenceConfig(key=SECRET, training_seconds=0.3))
    with BackgroundServer(service) as server:
        run = run_cli(*live_args(server.base_url, SECRET, tmp_path / "run", profile="full"), cwd=tmp_path,
                      timeout=240)
        seen = list(service.seen)
    assert run.returncode == 0, run.describe()
    entries = _har(tmp_path / "run")["log"]["entries"]
    recorded = sorted((e["request"]["method"], e["request"]["url"].split("127.0.0.1", 1)[1].split("/", 1)[1])
                      for e in entries)
    # A query value that looks like a key (the credentials relation's wrong `subscription-key`) is masked.
    assert recorded == sorted((m, _masked(p.lstrip("/"))) for m, p, _ in seen)
    assert_same_verdict(run, _judge(tmp_path / "run" / HAR_FILE, tmp_path / "r2", cwd=tmp_path))


def test_a_recording_never_holds_the_key(tmp_path: Path) -> None:
    """Against a server that echoes every request header into its answers, the key is still not written."""
    with hostile(echo_headers, behind=ReferenceService(ReferenceConfig(key=SECRET)), patch_only=True) as server:
        run = run_cli(*live_args(server.base_url, SECRET, tmp_path / "run"), cwd=tmp_path)
    assert run.returncode == 1, run.describe()
    text = (tmp_path / "run" / HAR_FILE).read_text(encoding="utf-8")
    assert SECRET not in text and SECRET[: len(SECRET) // 2] not in text
    entries = json.loads(text)["log"]["entries"]
    keys = [h["value"] for e in entries for h in e["request"]["headers"]
            if h["name"].lower() == "ocp-apim-subscription-key"]
    assert keys and set(keys) == {"***"}
    assert {e["_conformance"]["key_sent"] for e in entries} >= {"valid", "wrong"}


# -- derived, not copied -------------------------------------------------------------------------

def _edited(mock_run: Any, tmp_path: Path, edit: Any) -> Path:
    har = copy.deepcopy(_har(mock_run.report_dir))
    edit(har["log"]["entries"])
    path = tmp_path / "edited.har"
    path.write_text(json.dumps(har), encoding="utf-8")
    return path


def _first(entries: list[dict[str, Any]], purpose: str, method: str = "PATCH") -> dict[str, Any]:
    return next(e for e in entries if e["_conformance"]["purpose"] == purpose and e["request"]["method"] == method)


def test_an_edited_answer_breaks_its_row(mock_run: Any, tmp_path: Path) -> None:
    """A 401 edited into a 200 fails 401.invalid-key, and the run is non-conformant on that row."""
    def grant(entries: list[dict[str, Any]]) -> None:
        entry = _first(entries, "401.invalid-key")
        entry["response"]["status"] = 200
        entry["response"]["content"] = {"size": 0, "mimeType": ""}

    replayed = _judge(_edited(mock_run, tmp_path, grant), tmp_path / "r2", cwd=tmp_path)
    assert replayed.returncode == 1, replayed.describe()
    assert replayed.outcome("401.invalid-key") == "fail"
    assert "401.invalid-key" in replayed.report["verdict_reason"]


def test_an_edited_read_back_breaks_read_after_write(mock_run: Any, tmp_path: Path) -> None:
    """The stored value a read-back shows is evidence too: edit it, and the write was not stored."""
    def forget(entries: list[dict[str, Any]]) -> None:
        patch = _first(entries, "200.ok")
        index = entries.index(patch)
        read_back = next(e for e in entries[index:] if e["request"]["method"] == "GET")
        data = json.loads(read_back["response"]["content"]["text"])
        data["userData"] = "not what was written"
        read_back["response"]["content"]["text"] = json.dumps(data)

    replayed = _judge(_edited(mock_run, tmp_path, forget), tmp_path / "r2", cwd=tmp_path)
    assert replayed.returncode == 1, replayed.describe()
    assert replayed.outcome("x.read-after-write") == "fail"


def test_a_recording_by_an_older_suite_is_judged_by_todays_rules(mock_run: Any, tmp_path: Path) -> None:
    """The report names the version that recorded; what today's suite asks and the file lacks is said, not faked."""
    har = _har(mock_run.report_dir)
    har["log"]["creator"]["version"] = "0.0.1"
    training = {i for i, s in enumerate(har["log"]["_conformance"]["steps"]) if s["call"] == "training"}
    har["log"]["entries"] = [e for e in har["log"]["entries"] if e["_conformance"]["step"] not in training]
    path = tmp_path / "old.har"
    path.write_text(json.dumps(har), encoding="utf-8")
    replayed = _judge(path, tmp_path / "r2", cwd=tmp_path)
    assert_no_traceback(replayed)
    assert replayed.report["target"]["recorded"]["suite_version"] == "0.0.1"
    assert "0.0.1" in (tmp_path / "r2" / "report.html").read_text(encoding="utf-8")
    notes = {o["id"]: o["summary"] for o in replayed.report["observations"]}
    assert "info.replay-unanswered" in notes
    assert replayed.outcome("409.training") != "pass"


# -- files that are not usable recordings ---------------------------------------------------------
# Every kind of damage, in process, is the unit tier's (tests/unit/test_unusable_recordings.py); here,
# as a user meets it: the process's exit status and stderr, on today's recording cut short, and a file
# that is not there.

@pytest.mark.parametrize("damage", ["truncated", "missing"])
def test_a_damaged_or_missing_har_gets_exit_2_and_one_line(mock_run: Run, tmp_path: Path, damage: str) -> None:
    """Exit 2, one line naming the file's problem, no traceback, no report written."""
    path = tmp_path / "input.har"
    if damage == "truncated":
        text = (mock_run.report_dir / HAR_FILE).read_bytes()
        path.write_bytes(text[: len(text) // 2])
    replayed = _judge(path, tmp_path / "r2", cwd=tmp_path)
    assert replayed.returncode == 2, replayed.describe()
    assert_no_traceback(replayed)
    lines = replayed.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("face-conformance: error:"), replayed.describe()
    assert str(path) in lines[0] or path.name in lines[0], replayed.describe()
    assert not (tmp_path / "r2" / "conformance.json").exists()
