"""Hypothesis recipes for the suite's generated cases, each named for the values it makes."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

from hypothesis import strategies as st

from face_conformance.cases import catalogue, nearmiss

# Characters by UTF-8 width: they make userData whose byte, code point and UTF-16 counts differ.
WIDE_CHARACTERS = ("é", "€", "界", "😀", "\u0301")
# Characters that would change a path's structure rather than a segment's value.
PATH_STRUCTURE = set("/\\?#%")

SHOULD_ACCEPT_MEDIA_TYPES = ("application/json", "application/json; charset=utf-8", "Application/JSON",
                             "application/json;charset=UTF-8")
MUST_REJECT_MEDIA_TYPES = ("text/plain", "application/xml", "application/x-www-form-urlencoded",
                           "multipart/form-data", "application/octet-stream")
EITHER_MEDIA_TYPES = ("text/json", "application/merge-patch+json")


def user_data_near_limit(*, spread: int = 8) -> st.SearchStrategy[str]:
    """Strings whose UTF-8 bytes, code points or UTF-16 units sit within `spread` of the 1KB limit."""
    if spread < 1:
        raise ValueError("spread must be at least 1; use spread=8 for a tight band around the limit")
    limit = catalogue.user_data_limit()

    @st.composite
    def build(draw: st.DrawFn) -> str:
        wide = draw(st.sampled_from(WIDE_CHARACTERS))
        count = draw(st.integers(0, limit // len(wide.encode())))
        measure = draw(st.sampled_from(("bytes", "points", "utf16")))
        target = limit + draw(st.integers(-spread, spread))
        unit = {"bytes": len(wide.encode()), "points": 1, "utf16": len(wide.encode("utf-16-le")) // 2}[measure]
        padding = max(0, target - count * unit)
        text = draw(st.sampled_from(("a", " ", "0"))) * padding + wide * count
        return text if draw(st.booleans()) else text[::-1]

    return build()


def real_user_data_text(*, max_fragments: int = 4) -> st.SearchStrategy[str]:
    """userData as real data holds it: the catalogue's fragments (line ends, quotes, markup, ...) joined."""
    fragments = catalogue.real_user_data()
    if max_fragments < 1 or not fragments:
        raise ValueError("max_fragments must be at least 1, and the catalogue must name x-real-userdata")
    return st.builds(lambda parts, glue: glue.join(parts), st.lists(st.sampled_from(fragments), min_size=1,
                                                                  max_size=max_fragments),
                     st.sampled_from(("", " ", "\n", "\r\n", " | ")))


def real_user_data_near_limit(*, spread: int = 2) -> st.SearchStrategy[str]:
    """Real-looking userData cut to the 1KB boundary in UTF-8 bytes or code points (within `spread`)."""
    if spread < 0:
        raise ValueError("spread must be 0 or more")
    limit = catalogue.user_data_limit()
    source = " | ".join(catalogue.real_user_data()) * 8

    @st.composite
    def build(draw: st.DrawFn) -> str:
        start = draw(st.integers(0, 200))
        size = limit + draw(st.integers(-spread, spread))
        text = source[start:]
        if draw(st.booleans()):  # in code points
            return text[:size]
        out, used = [], 0
        for char in text:  # in UTF-8 bytes, cut at a character boundary
            width = len(char.encode("utf-8"))
            if used + width > size:
                break
            out.append(char)
            used += width
        return "".join(out)

    return build()


def near_miss_ids() -> st.SearchStrategy[tuple[str, str]]:
    """(path slot, near-miss rule): the catalogue's rules for each ID, and one character changed anywhere."""
    parts = {"group": "personGroupId", "person": "personId", "face": "persistedFaceId"}

    def rules(slot: str) -> st.SearchStrategy[tuple[str, str]]:
        named = st.sampled_from(catalogue.near_miss_rules(parts[slot]))
        anywhere = st.integers(0, 63).map(lambda i: f"change@{i}")
        return st.tuples(st.just(slot), st.one_of(named, anywhere))

    return st.sampled_from(tuple(parts)).flatmap(rules)


def near_miss_rules(part: str) -> st.SearchStrategy[str]:
    """A near-miss rule for a part of the request: one the catalogue names, or one character changed anywhere."""
    anywhere = st.integers(0, 40).map(lambda i: f"change@{i}")
    return st.one_of(st.sampled_from(catalogue.near_miss_rules(part)), anywhere)


def apply_near_miss(probe: Any, slot: str, rule: str, known: frozenset[str] = frozenset()) -> Any:
    """The probe with one path ID replaced by its near miss (derived again while it names a known ID)."""
    part = {"group": "personGroupId", "person": "personId", "face": "persistedFaceId"}[slot]
    value = nearmiss.derive(part, rule, getattr(probe, slot))
    for _ in range(8):
        if value.lower() not in known:
            break
        value = nearmiss.derive(part, rule, value)
    return dataclasses.replace(probe, **{slot: value})


def round_trip_text(*, max_size: int = 120) -> st.SearchStrategy[str]:
    """Any Unicode text a face may store (no lone surrogates), whitespace at the ends included."""
    if max_size < 1:
        raise ValueError("max_size must be at least 1")
    core = st.text(st.characters(exclude_categories=("Cs",)), max_size=max_size)
    return st.builds(lambda pre, text, post: pre + text + post,
                     st.sampled_from(("", " ", "\t", "\n ")), core, st.sampled_from(("", " ", "\r\n", "\u3000")))


def safe_segment(value: str) -> bool:
    """True when a value keeps the path's structure: not empty, not a dot segment, no '/', '?', '#' (PATH_STRUCTURE)."""
    return bool(value) and value not in (".", "..") and not (set(value) & PATH_STRUCTURE)


def malformed_group_ids() -> st.SearchStrategy[str]:
    """personGroupIds that break the documented format: upper case, too long, punctuation, encoded."""
    documented = st.sampled_from(catalogue.parameter("personGroupId")["x-malformed"])
    pattern = catalogue.parameter_pattern("personGroupId")
    too_long = st.integers(65, 80).map(lambda n: "g" * n)
    upper = st.from_regex(r"[a-z0-9]{0,10}[A-Z][a-zA-Z0-9]{0,10}", fullmatch=True)
    punctuated = st.builds(lambda a, p, b: a + p + b, st.from_regex(r"[a-z0-9]{1,8}", fullmatch=True),
                           st.sampled_from("!$&'()*+,;=:@ .~é"), st.from_regex(r"[a-z0-9]{0,8}", fullmatch=True))
    generated = st.one_of(too_long, upper, punctuated).filter(
        lambda v: safe_segment(v) and not pattern.fullmatch(v))
    return st.one_of(documented, generated)


def malformed_guids() -> st.SearchStrategy[str]:
    """IDs that are not canonical GUIDs: words, numbers, bad hex, wrong grouping, braces, encoded braces."""
    documented = st.sampled_from(catalogue.parameter("personId")["x-malformed"])
    guids = st.uuids(version=4).map(str)
    variants = st.one_of(
        guids.map(lambda g: "{" + g + "}"),
        guids.map(lambda g: "%7B" + g + "%7D"),
        guids.map(lambda g: g.replace("-", "")[:31]),
        guids.map(lambda g: g[:-1] + "z"),
        guids.map(lambda g: g + "0"),
        st.from_regex(r"[a-z]{1,12}", fullmatch=True),
        st.integers(0, 10**9).map(str),
    )
    return st.one_of(documented, variants)


def unknown_guids() -> st.SearchStrategy[str]:
    """Well-formed GUIDs that name nothing (lower or upper case)."""
    return st.builds(lambda g, upper: g.upper() if upper else g, st.uuids(version=4).map(str), st.booleans())


def non_object_bodies() -> st.SearchStrategy[bytes]:
    """Bodies that are not a JSON object: broken JSON text, or JSON arrays, scalars and null."""
    broken = st.sampled_from((b'{"userData": ', b"{userData: 'x'}", b'{"userData": "x",}', b"<xml/>",
                              b"userData=x", b'{"userData": "x"'))
    scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=20),
                        st.lists(st.integers(), max_size=3))
    return st.one_of(broken, scalars.map(lambda v: json.dumps(v).encode()))


def non_string_user_data() -> st.SearchStrategy[object]:
    """userData values of the wrong JSON type (the page's 'wrong JSON body')."""
    return st.one_of(st.integers(), st.floats(allow_nan=False, allow_infinity=False), st.booleans(),
                     st.lists(st.integers(), max_size=3), st.dictionaries(st.text(max_size=5), st.integers(),
                                                                            max_size=2))


def media_types() -> st.SearchStrategy[str]:
    """Every media type docs/contract.md point 4 names: accepted, rejected and either-way."""
    return st.sampled_from(SHOULD_ACCEPT_MEDIA_TYPES + MUST_REJECT_MEDIA_TYPES + EITHER_MEDIA_TYPES)


