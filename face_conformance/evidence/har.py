"""`exchanges.har`: every request of a run and its answer, as HAR 1.2, and reading one back.

Browsers' devtools, Fiddler, Charles, Insomnia and Postman open the file as it is. What the
suite adds lives in `_` fields, which HAR allows: each entry's `_conformance` says which step of
the run it served, what it was for, which key it carried (never the key: `valid`, `missing`,
`wrong` or `near:RULE`) and the rows it was judged on; `log._conformance` holds the run's settings
and its steps, from which `face-conformance judge` re-derives the verdict (`replay`), the operation
and API version the run addressed (`operation`; also the first words of `log.comment`), and the
reason of each row that did not apply (`not_applicable`). A recording made before the family of
operations names no operation: it is PersonGroup Person - Update Face on v1.0 (`Recorded.operation`).
"""

from __future__ import annotations

import datetime as dt
import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from face_conformance import __version__
from face_conformance.cases import catalogue
from face_conformance.cases.outcomes import Outcome
from face_conformance.evidence.record import OperationRecord, RunResult, operation_label, recorded_operation
from face_conformance.evidence.recording import Entry, body_bytes, body_record, probe_from_record
from face_conformance.evidence.redaction import hide_secret_bytes, is_secret_header, redacted_copy
from face_conformance.evidence.run_record import RunRecord

HAR_FILE = "exchanges.har"
PAGE_ID = "run"
#: The version of the `_conformance` fields; a reader refuses what it does not know.
FORMAT = 1
#: A recording bigger than this is refused rather than read into memory.
MAX_HAR_BYTES = 256 * 1024 * 1024
MAX_PARALLEL = 16  # parallel updates a recorded step may ask for
#: The steps a recording may hold: the calls the suite makes of the runner (`run.runner`, `run.scenarios`).
#: A file format: a name never changes meaning, or recordings of an older version stop replaying.
STEP_CALLS = ("setup", "run", "recover_after", "flush", "concurrent_writes", "training", "teardown", "equivalence",
              "isolation")
#: The arguments of each step that are probes.
PROBE_ARGS = {"run": ("probe",), "recover_after": ("probe",), "equivalence": ("plain", "spelled")}


class HarError(Exception):
    """A file that is not a recording of this suite, or a damaged one: exit status 2, one line."""


# -- writing -----------------------------------------------------------------------------------

def write_har(record: RunRecord, settings: dict[str, Any], result: RunResult, report_dir: Path, *,
              interrupted: bool = False) -> Path:
    """Write `exchanges.har` of a finished run into `report_dir`."""
    path = Path(report_dir) / HAR_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    # Compact: json's fast encoder runs only without indent (a default run's HAR is about 1.5 MB).
    text = json.dumps(build_har(record, settings, result, interrupted=interrupted), ensure_ascii=False)
    path.write_text(text, encoding="utf-8")
    return path


def build_har(record: RunRecord, settings: dict[str, Any], result: RunResult, *,
              interrupted: bool = False) -> dict[str, Any]:
    """The HAR 1.2 document of a run, every credential and registered secret masked.

    `record` is what the run sent and what each request was judged on, `settings` the run's
    settings as a replay needs them (`config.settings.settings_record`), `result` its result record.
    """
    steps = list(record.steps)
    entries = [_entry(e, record.judged_on(e), steps) for e in record.entries]
    target = result["target"]
    operation = run_operation(settings, result)
    comment = (f"{operation_label(operation)}; target {target['endpoint']}, mode {target['mode']}, "
               f"profile {target['profile']}, seed {'none' if target['seed'] is None else target['seed']}")
    started = entries[0]["startedDateTime"] if entries else _iso(time.time())
    log = {
        "version": "1.2",
        "creator": {"name": "face-conformance", "version": __version__},
        "comment": comment,
        # One page for the whole run: viewers that group entries by page show them together.
        "pages": [{"startedDateTime": started, "id": PAGE_ID, "title": f"face-conformance run: {comment}",
                   "pageTimings": {"onContentLoad": -1, "onLoad": -1}}],
        "entries": entries,
        "_conformance": {
            "format": FORMAT,
            "operation": operation,
            "target": target,
            "settings": settings,
            "interrupted": interrupted,
            "steps": steps,
            "verdict": result["verdict"],
            "outcomes": {row["id"]: row["outcome"] for row in result["rows"]},
            "not_applicable": {row["id"]: row["summary"] for row in result["rows"]
                               if row["outcome"] == Outcome.NOT_APPLICABLE},
        },
    }
    return redacted_copy({"log": log})


def run_operation(settings: dict[str, Any], result: RunResult) -> OperationRecord:
    """The operation a run addressed: the result's, else the settings' (`operation`, `api_version`), else default."""
    named = result.get("operation")
    if isinstance(named, dict):
        return recorded_operation(named.get("name"), named.get("version"))
    return recorded_operation(settings.get("operation"), settings.get("api_version"))


def _entry(entry: Entry, judged: list[tuple[str, str]], steps: list[dict[str, Any]]) -> dict[str, Any]:
    exchange = entry.exchange
    step = steps[entry.step] if 0 <= entry.step < len(steps) else {}
    probe = next((step[n] for n in ("probe", "spelled") if isinstance(step.get(n), dict)), {})
    answer = exchange.answer
    wait_ms = round(answer.elapsed_s * 1000, 3) if answer else 0
    out: dict[str, Any] = {
        "pageref": PAGE_ID,
        "startedDateTime": _iso(entry.started),
        "time": wait_ms,
        "request": _request(entry),
        "response": _response(entry),
        "cache": {},
        "timings": {"send": 0, "wait": wait_ms, "receive": 0},
        "_conformance": {
            "step": entry.step, "call": step.get("call"), "probe": probe.get("label"),
            "purpose": entry.purpose, "key_sent": entry.key,
            "error": exchange.error, "truncated": bool(answer and answer.truncated),
            "judged": [{"row": row, "verdict": verdict} for row, verdict in judged],
        },
    }
    if exchange.error:
        out["comment"] = exchange.error
    return out


def _iso(seconds: float) -> str:
    return dt.datetime.fromtimestamp(seconds, dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _headers(headers: tuple[tuple[str, str], ...]) -> list[dict[str, str]]:
    return [{"name": k, "value": "***" if is_secret_header(k) else v} for k, v in headers]


def _text(body: bytes) -> dict[str, str]:
    return body_record(hide_secret_bytes(body)) or {}


def _request(entry: Entry) -> dict[str, Any]:
    request = entry.exchange.request
    out: dict[str, Any] = {
        "method": request.method, "url": request.url, "httpVersion": "HTTP/1.1", "cookies": [],
        "headers": _headers(request.headers),
        "queryString": [{"name": k, "value": v} for k, v in parse_qsl(urlsplit(request.url).query,
                                                                      keep_blank_values=True)],
        "headersSize": -1, "bodySize": entry.request_size,
    }
    if request.body:
        out["postData"] = {"mimeType": request.header("content-type") or "", "params": [], **_text(request.body)}
    return out


def _response(entry: Entry) -> dict[str, Any]:
    answer = entry.exchange.answer
    base = {"httpVersion": "HTTP/1.1", "cookies": [], "redirectURL": "", "headersSize": -1, "bodySize": -1}
    if answer is None:  # as browsers record a request that got no answer
        return {"status": 0, "statusText": "", "headers": [], "content": {"size": 0, "mimeType": ""},
                "_error": entry.exchange.error, **base}
    content = {"size": entry.answer_size if entry.answer_size is not None else len(answer.body),
               "mimeType": answer.header("content-type") or "", **_text(answer.body)}
    if len(answer.body) < content["size"]:
        content["comment"] = f"the first {len(answer.body)} of {content['size']} bytes"
    return {"status": answer.status, "statusText": "", "headers": _headers(answer.headers), "content": content,
            **base}


# -- reading -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class RecordedExchange:
    """One entry of a recording, as a replay needs it."""

    index: int
    step: int
    method: str
    path: str  # path and query, as sent
    body: bytes
    status: int | None  # None: no answer came
    headers: tuple[tuple[str, str], ...]
    answer_body: bytes
    error: str | None


@dataclass(frozen=True)
class Recorded:
    """A recording of this suite, checked: its run's settings and steps, and its exchanges."""

    log: dict[str, Any]
    settings: dict[str, Any]
    steps: list[dict[str, Any]]
    exchanges: list[RecordedExchange]
    origin: str | None  # scheme and host the run sent to (the replay's curl lines name it)

    @property
    def version(self) -> str:
        """The suite version that recorded it."""
        return str(self.log["creator"].get("version", "unknown"))

    @property
    def operation(self) -> OperationRecord:
        """The operation and API version the recorded run addressed, from its settings.

        A recording made before the family of operations has neither: PersonGroup Person on v1.0.
        """
        return recorded_operation(self.settings.get("operation"), self.settings.get("api_version"))


def read_har(path: Path) -> Recorded:
    """Read and check a recording; HarError with a one-line reason when it is not a usable one."""
    data = _load(Path(path))
    log = _field(data, "log", dict, "the file")
    creator = _field(log, "creator", dict, "log")
    if creator.get("name") != "face-conformance":
        raise HarError(f"{path}: a HAR file, but not one recorded by face-conformance "
                       f"(creator {creator.get('name')!r})")
    ours = _field(log, "_conformance", dict, "log")
    if ours.get("format") != FORMAT:
        raise HarError(f"{path}: recorded in format {ours.get('format')!r}; this suite reads format {FORMAT}")
    steps = _field(ours, "steps", list, "log._conformance")
    for number, step in enumerate(steps):
        _check_step(path, number, step)
    entries = _field(log, "entries", list, "log")
    try:
        exchanges = [_exchange(i, entry) for i, entry in enumerate(entries)]
    except (HarError, ValueError, TypeError) as exc:
        raise HarError(f"{path}: {exc}") from None
    first = urlsplit(entries[0]["request"]["url"]) if entries else None
    origin = f"{first.scheme}://{first.netloc}" if first and first.scheme and first.netloc else None
    return Recorded(log, _field(ours, "settings", dict, "log._conformance"), steps, exchanges, origin)


def _check_step(path: Path, number: int, step: Any) -> None:
    if not isinstance(step, dict) or step.get("call") not in STEP_CALLS:
        raise HarError(f"{path}: step {number} is not one of the suite's steps ({', '.join(STEP_CALLS)})")
    for name in PROBE_ARGS.get(step["call"], ()):
        try:
            probe = probe_from_record(step.get(name))
        except ValueError as exc:
            raise HarError(f"{path}: step {number} ({step['call']}): {exc}") from None
        if probe.force is not None and probe.force not in catalogue.FORCE_KINDS:
            raise HarError(f"{path}: step {number} forces {probe.force!r}, a state the suite never forces")
    if step["call"] == "equivalence" and not isinstance(step.get("base"), str):
        raise HarError(f"{path}: step {number} (equivalence) names no base")
    n = step.get("n", 4)
    if not isinstance(step.get("training", False), bool) or not isinstance(n, int) or not 1 <= n <= MAX_PARALLEL:
        raise HarError(f"{path}: step {number} ({step['call']}) has arguments of the wrong type or size")


def _load(path: Path) -> Any:
    try:
        size = path.stat().st_size
        if size > MAX_HAR_BYTES:
            raise HarError(f"{path}: {size} bytes, more than the {MAX_HAR_BYTES} a recording may have")
        text = path.read_bytes().decode("utf-8")
    except OSError as exc:
        raise HarError(f"cannot read {path}: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise HarError(f"{path}: not UTF-8 text, so not a HAR file") from None
    try:
        return json.loads(text)
    except RecursionError:
        raise HarError(f"{path}: nested too deeply to be a HAR file") from None
    except ValueError as exc:
        raise HarError(f"{path}: not JSON (truncated or damaged?): {exc}") from None


def _field(holder: Any, name: str, kind: type, where: str) -> Any:
    value = holder.get(name) if isinstance(holder, dict) else None
    if not isinstance(value, kind) or isinstance(value, bool) and kind is not bool:
        raise HarError(f"{where} has no {name!r} {kind.__name__}: not a recording of this suite")
    return value


def _exchange(index: int, entry: Any) -> RecordedExchange:
    where = f"entry {index}"
    request = _field(entry, "request", dict, where)
    response = _field(entry, "response", dict, where)
    ours = _field(entry, "_conformance", dict, where)
    status = _field(response, "status", int, f"{where}'s response")
    url = urlsplit(_field(request, "url", str, f"{where}'s request"))
    return RecordedExchange(
        index=index,
        step=_field(ours, "step", int, f"{where}'s _conformance"),
        method=_field(request, "method", str, f"{where}'s request").upper(),
        path=url.path + (f"?{url.query}" if url.query else ""),
        body=_body(request.get("postData"), where),
        status=status or None,
        headers=_header_pairs(response.get("headers", []), where),
        answer_body=_body(_field(response, "content", dict, f"{where}'s response"), where),
        error=ours.get("error") if isinstance(ours.get("error"), str) else None,
    )


def _header_pairs(headers: Any, where: str) -> tuple[tuple[str, str], ...]:
    if not isinstance(headers, list) or not all(
            isinstance(h, dict) and isinstance(h.get("name"), str) and isinstance(h.get("value"), str)
            for h in headers):
        raise HarError(f"{where}'s response headers are not a list of {{name, value}}")
    return tuple((h["name"], h["value"]) for h in headers)


def _body(holder: Any, where: str) -> bytes:
    try:
        return body_bytes(holder) or b""
    except ValueError as exc:
        raise HarError(f"{where}: {exc}") from None
