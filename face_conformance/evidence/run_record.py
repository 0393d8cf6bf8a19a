"""A finished run as its readers need it: what was sent and recorded, with no live part.

`Runner.run_record()` takes it once the run (or a replay) is over. The result record
(`run_result`), `exchanges.har` (`har`), the replay and `diff` read this, not the runner: the
recording's steps and entries, the rows each entry was judged on, the request counts, whether a
bring-your-own face was restored, and the world the run set up.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from face_conformance.cases.world import World
from face_conformance.evidence.recording import Entry

#: For each entry of exchanges.har, the (row, verdict) pairs judged on it, in the order found.
Judged = Mapping[int, list[tuple[str, str]]]


@dataclass(frozen=True)
class RunRecord:
    """What a run sent and recorded, and what each request was judged on."""

    target: str  # the target as reports name it (never a key)
    steps: tuple[dict[str, Any], ...] = ()  # the recording's steps: the calls the suite made, with their arguments
    entries: tuple[Entry, ...] = ()  # every request, in the order sent
    judged: Judged = field(default_factory=dict)
    requests: int = 0
    requests_by_purpose: Mapping[str, int] = field(default_factory=dict)
    restored: bool | None = None  # a bring-your-own face's userData put back (None: nothing to restore)
    world: World | None = None  # the resources the run set up (None: set-up never finished)

    def judged_on(self, entry: Entry) -> list[tuple[str, str]]:
        """The (row, verdict) pairs one entry was judged on."""
        return list(self.judged.get(entry.exchange.entry if entry.exchange.entry is not None else -1, []))

    def entries_by_step(self, performed: Mapping[int, int]) -> dict[int, list[Entry]]:
        """Each performed source step's entries, in the order sent (`performed`: source step -> own step)."""
        own_to_source = {own: source for source, own in performed.items()}
        out: dict[int, list[Entry]] = {}
        for entry in self.entries:
            source = own_to_source.get(entry.step)
            if source is not None:
                out.setdefault(source, []).append(entry)
        return out
