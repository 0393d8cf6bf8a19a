"""Baselines: deviations from the page a user has accepted (docs/contract.md point 13).

A baseline file is YAML with a closed schema::

    entries:
      - row: 401.invalid-key          # a catalogue row ID
        seen:                         # what the service sends; every key optional, a present key must match
          status: 401                 # the HTTP status
          code: "401"                 # error.code of the JSON body (a string: quote it)
          message: "^Access denied"   # a regex searched in error.message
        why: the reason this deviation is accepted
        source: where the deviation is documented   # optional

A failing row becomes `accepted` when every failing answer in its evidence is matched by an entry
for that row. An entry that matches no failing row is stale, and reported, so baselines do not rot.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from face_conformance.cases import catalogue

ACCEPTED_PREFIX = "accepted deviation: "
_TOP_KEYS = frozenset({"entries"})
_ENTRY_KEYS = frozenset({"row", "seen", "why", "source"})
_SEEN_KEYS = frozenset({"status", "code", "message"})


class BaselineError(ValueError):
    """A baseline file that cannot be used; the message names the file and the problem."""


@dataclass(frozen=True)
class Observed:
    """What an entry expects the service to send; `None` means "any"."""

    status: int | None = None
    code: str | None = None
    message: re.Pattern[str] | None = None

    def matches(self, status: Any, code: Any, message: Any) -> bool:
        """True when every key this entry sets agrees with the answer."""
        if self.status is not None and status != self.status:
            return False
        if self.code is not None and (code is None or str(code) != self.code):
            return False
        if self.message is not None and not (isinstance(message, str) and self.message.search(message)):
            return False
        return True

    def as_dict(self) -> dict[str, Any]:
        """The keys that were set, as written in the file (the regex as its source text)."""
        out: dict[str, Any] = {}
        if self.status is not None:
            out["status"] = self.status
        if self.code is not None:
            out["code"] = self.code
        if self.message is not None:
            out["message"] = self.message.pattern
        return out


@dataclass(frozen=True)
class BaselineEntry:
    """One accepted deviation: a row, what is seen, why it is accepted, where it is documented."""

    row: str
    seen: Observed
    why: str
    source: str | None = None

    def as_dict(self) -> dict[str, Any]:
        """The entry in the shape of the file (and of the report's stale list)."""
        out: dict[str, Any] = {"row": self.row, "seen": self.seen.as_dict(), "why": self.why}
        if self.source:
            out["source"] = self.source
        return out


@dataclass(frozen=True)
class Baseline:
    """A loaded baseline file."""

    entries: tuple[BaselineEntry, ...]
    path: Path | None = None

    def for_row(self, row_id: str) -> tuple[BaselineEntry, ...]:
        """The entries about one row, in file order."""
        return tuple(entry for entry in self.entries if entry.row == row_id)


# ---- loading ------------------------------------------------------------------------------------


def load_baseline(path: str | Path) -> Baseline:
    """Read and check a baseline file; a `BaselineError` names the file and what is wrong."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise BaselineError(f"{path}: cannot read the baseline file: {exc}") from exc
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise BaselineError(f"{path}: not valid YAML: {exc}") from exc
    return parse_baseline(data, path)


def parse_baseline(data: Any, path: str | Path | None = None) -> Baseline:
    """Check already-parsed baseline data (what `yaml.safe_load` gives) and build a `Baseline`."""
    where = str(path) if path is not None else "<baseline>"
    if not isinstance(data, Mapping):
        raise BaselineError(f"{where}: expected a mapping with an 'entries' list, got {_kind(data)}")
    _closed(data, _TOP_KEYS, where)
    entries = data.get("entries")
    if not isinstance(entries, list):
        raise BaselineError(f"{where}: 'entries' must be a list, got {_kind(entries)}")
    parsed = tuple(_entry(item, f"{where}: entries[{i}]") for i, item in enumerate(entries))
    return Baseline(entries=parsed, path=Path(path) if path is not None else None)


def _entry(item: Any, where: str) -> BaselineEntry:
    if not isinstance(item, Mapping):
        raise BaselineError(f"{where}: expected a mapping with row, seen, why, got {_kind(item)}")
    _closed(item, _ENTRY_KEYS, where)
    row_id = item.get("row")
    if not isinstance(row_id, str):
        raise BaselineError(f"{where}.row: expected a row ID string, got {_kind(row_id)}")
    if row_id not in catalogue.by_id():
        raise BaselineError(
            f"{where}.row: unknown row ID {row_id!r} (known: {', '.join(catalogue.row_ids())})"
        )
    why = item.get("why")
    if not isinstance(why, str) or not why.strip():
        raise BaselineError(f"{where}.why: say why this deviation is accepted (a non-empty string)")
    source = item.get("source")
    if source is not None and not isinstance(source, str):
        raise BaselineError(f"{where}.source: expected a string, got {_kind(source)}")
    return BaselineEntry(
        row=row_id, seen=_seen(item.get("seen"), f"{where}.seen"), why=why.strip(), source=source
    )


def _seen(seen: Any, where: str) -> Observed:
    if seen is None:
        return Observed()
    if not isinstance(seen, Mapping):
        raise BaselineError(f"{where}: expected a mapping of status, code, message, got {_kind(seen)}")
    _closed(seen, _SEEN_KEYS, where)
    status, code, message = seen.get("status"), seen.get("code"), seen.get("message")
    # bool is an int in Python; `status: yes` is a typo, not a status.
    if status is not None and (isinstance(status, bool) or not isinstance(status, int)):
        raise BaselineError(f"{where}.status: expected an integer HTTP status, got {_kind(status)}")
    if code is not None and not isinstance(code, str):
        raise BaselineError(
            f'{where}.code: expected a string (quote numbers: code: "{code}"), got {_kind(code)}'
        )
    if message is not None and not isinstance(message, str):
        raise BaselineError(f"{where}.message: expected a regex string, got {_kind(message)}")
    try:
        pattern = re.compile(message) if message is not None else None
    except re.error as exc:
        raise BaselineError(f"{where}.message: invalid regex {message!r}: {exc}") from exc
    return Observed(status=status, code=code, message=pattern)


def _closed(data: Mapping[str, Any], allowed: frozenset[str], where: str) -> None:
    fault = catalogue.closed_fault(where, data, allowed)
    if fault:
        raise BaselineError(fault)


def _kind(value: Any) -> str:
    return "nothing" if value is None else f"{type(value).__name__} {value!r}"[:120]


# ---- applying -----------------------------------------------------------------------------------


def apply_baseline(
    rows: list[dict[str, Any]], baseline: Baseline | None
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Turn failing rows the baseline explains into `accepted` ones; also return the stale entries.

    A `fail` row is accepted when it has at least one failing evidence item, every failing item has
    an answer (a timeout is not a documented drift), and every such answer is matched by an entry
    for the row. `accepted_reason` is the matching entries' `why`, and the summary is prefixed.
    The input rows are not modified. Stale entries (those matching no failing row) come back as
    `{"row", "seen", "why"[, "source"]}` dicts, ready for the report's `baseline.stale`.
    """
    if baseline is None:
        return [dict(row) for row in rows], []
    used: set[int] = set()
    out = []
    for row in rows:
        new_row = dict(row)
        if row.get("outcome") == "fail":
            matched = _explaining_entries(row, baseline)
            used.update(id(entry) for entry in matched)
            if matched:
                _accept(new_row, matched)
        out.append(new_row)
    stale = [entry.as_dict() for entry in baseline.entries if id(entry) not in used]
    return out, stale


def _explaining_entries(row: Mapping[str, Any], baseline: Baseline) -> list[BaselineEntry]:
    """The entries matching the row's failing answers, or [] unless every failing answer is matched."""
    entries = baseline.for_row(str(row.get("id")))
    failing = [item for item in row.get("evidence") or [] if item.get("verdict") == "fail"]
    if not entries or not failing:
        return []
    matched: list[BaselineEntry] = []
    for item in failing:
        answer = _answer(item)
        if answer is None:
            return []
        hits = [entry for entry in entries if entry.seen.matches(*answer)]
        if not hits:
            return []
        matched.extend(hit for hit in hits if hit not in matched)
    return matched


def _answer(item: Mapping[str, Any]) -> tuple[Any, Any, Any] | None:
    """(status, error.code, error.message) of an evidence item's response, or None without one."""
    response = item.get("response")
    if not isinstance(response, Mapping):
        return None
    error = _error_object(response.get("body"))
    return response.get("status"), error.get("code"), error.get("message")


def _error_object(body: Any) -> dict[str, Any]:
    if isinstance(body, str | bytes):
        try:
            body = json.loads(body)
        except ValueError:
            return {}  # not JSON (or cut short): only `status` can match
    error = body.get("error") if isinstance(body, Mapping) else None
    return dict(error) if isinstance(error, Mapping) else {}


def _accept(row: dict[str, Any], entries: list[BaselineEntry]) -> None:
    row["outcome"] = "accepted"
    row["accepted_reason"] = "; ".join(dict.fromkeys(entry.why for entry in entries))
    sources = [entry.source for entry in entries if entry.source]
    if sources:
        row["accepted_source"] = "; ".join(dict.fromkeys(sources))
    row["summary"] = ACCEPTED_PREFIX + str(row.get("summary") or "")


# ---- writing a starting baseline ----------------------------------------------------------------

_HEADER = """\
# face-conformance baseline: deviations from the documentation page that you accept.
# Generated from a run's failed rows. Check every entry, say why it is accepted, and name where
# the deviation is documented (source). Rows listed here are reported as `accepted`, not failed.
"""


def baseline_from_result(result: Mapping[str, Any]) -> str:
    """A starting baseline (YAML text) from a result's failed rows.

    Each failed row gets an entry whose `seen` is the status and error code of its first failing
    answer, and `why` a TODO; a row whose failing answers differ gets one entry per distinct
    (status, code), so that the baseline, once filled in, accepts the row. Failed rows with a
    failing item that got no answer (a timeout) are listed in a comment: a baseline cannot accept them.
    """
    entries, unanswered = [], []
    for row in result.get("rows") or []:
        if row.get("outcome") != "fail":
            continue
        seens = _failing_seens(row)
        if not seens:
            unanswered.append(str(row.get("id")))
        for seen in seens:
            entries.append(
                {"row": row.get("id"), "seen": seen, "why": "TODO: say why this deviation is accepted"}
            )
    text = _HEADER + yaml.safe_dump({"entries": entries}, sort_keys=False, allow_unicode=True, width=100)
    if unanswered:
        text += "# Failed without an answer to match (not baselinable): " + ", ".join(unanswered) + "\n"
    return text


def _failing_seens(row: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The distinct `seen` of a row's failing answers, first first; [] if one failing item has no answer."""
    seens: list[dict[str, Any]] = []
    for item in row.get("evidence") or []:
        if item.get("verdict") != "fail":
            continue
        answer = _answer(item)
        if answer is None:
            return []
        status, code, _ = answer
        seen: dict[str, Any] = {}
        if isinstance(status, int) and not isinstance(status, bool):
            seen["status"] = status
        if code is not None:
            seen["code"] = str(code)
        if seen not in seens:
            seens.append(seen)
    return seens
