"""What the run explored of the request space: per relation and per dimension, what was tried and fed.

A pure function of the run record (its steps, entries and the rows each entry was judged on) and of
the document's relations and dimensions, so a replay of the recording reports the same. For each
relation and dimension it lists the classes tried, the requests each cost and the rows they fed,
and what was not tried, with why: a reader sees what the verdict rests on, and what it does not.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from face_conformance.cases import catalogue, relations
from face_conformance.cases.outcomes import severity
from face_conformance.evidence.run_record import RunRecord

ISOLATION = catalogue.check_row("isolation")
#: The isolation states, by the recorded step whose requests tagged x.isolation show them.
ISOLATION_STEPS = {"training": "training", "concurrent_writes": "write-in-flight", "isolation": "error-answered"}


def planned() -> list[tuple[str, str, tuple[str, ...]]]:
    """(section, name, classes) the document declares, in its order."""
    rel = relations.relations()
    out = [("relation", "credentials", tuple(c.id for c in rel["carried"])),
           ("relation", "equivalence", rel["spellings"]),
           ("relation", "history", rel["before"]),
           ("relation", "isolation", rel["states"])]
    by_dimension: dict[str, list[str]] = defaultdict(list)
    for cls in relations.dimensions():
        by_dimension[cls.dimension].append(cls.id)
    return out + [("dimension", name, tuple(ids)) for name, ids in by_dimension.items()]


def explored(record: RunRecord, *, profile: str, mode: str) -> list[dict[str, Any]]:
    """One entry per relation and dimension: classes tried (requests, rows fed), and what was not tried."""
    tried: dict[tuple[str, str], dict[str, dict[str, Any]]] = defaultdict(dict)
    for entry in record.entries:
        step = record.steps[entry.step] if 0 <= entry.step < len(record.steps) else {}
        for section, name, cls in _classes_of(step, entry.purpose):
            seen = tried[(section, name)].setdefault(cls, {"class": cls, "requests": 0, "rows": {}})
            seen["requests"] += 1
            for row, verdict in record.judged_on(entry):
                if row in seen["rows"] and severity(seen["rows"][row]) <= severity(verdict):
                    continue
                seen["rows"][row] = verdict
    out = []
    for section, name, classes in planned():
        got = tried.get((section, name), {})
        covered = _covered(name, got)
        missing = [c for c in classes if c not in covered]
        out.append({
            "section": section, "name": name, "classes": list(got.values()),
            "requests": sum(c["requests"] for c in got.values()),
            "not_tried": missing, "why_not_tried": _why(missing, profile, mode) if missing else None,
        })
    return out


def _classes_of(step: dict[str, Any], purpose: str) -> list[tuple[str, str, str]]:
    call = step.get("call")
    if call in ISOLATION_STEPS and (purpose == ISOLATION or call == "isolation"):
        return [("relation", "isolation", ISOLATION_STEPS[call])]
    probe = next((step[n] for n in ("spelled", "probe") if isinstance(step.get(n), dict)), None)
    found = relations.explored_class(str(probe.get("label", ""))) if probe else None
    return [found] if found else []


def _covered(name: str, got: dict[str, Any]) -> set[str]:
    if name == "equivalence":  # a tried class is a set of spellings: each of them is covered
        return {s for cls in got for s in cls.split("+")}
    return set(got)


def _why(missing: list[str], profile: str, mode: str) -> str:
    if profile == "smoke":
        return "the smoke profile explores relations and dimensions only as far as x.isolation needs"
    if mode == "live":
        return "not reached within the live run's share of requests for this section (mock mode tries every class)"
    return "not reached: the request budget was spent, or the run stopped before"

