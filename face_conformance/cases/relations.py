"""Relations and dimensions: the request space as the document declares it (`x-relations`, `x-dimensions`).

A relation is a transformation of a request, or of the run's history, and what must not change:
the same request spelled differently (equivalence), the same write after any history, the run's
other resources while one is in a state (isolation), and no credential but the key (credentials).
A dimension is one part of the request with its classes and edges: the body's bytes, its JSON
structure, its numbers. Both sections are closed data: this module reads them, refuses an unknown
key, kind or name (naming it), and turns each class into probes. Nothing here sends or judges.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, replace
from functools import cache
from typing import Any

from face_conformance.cases import catalogue
from face_conformance.cases.probes import JSON, Probe, from_row_data, json_bytes, marker, on_face
from face_conformance.cases.world import World

RELATION_KINDS = ("equivalence", "history", "isolation", "credentials")
SPELLINGS = ("pretty", "crlf-tabs", "reorder-members", "escape-non-ascii", "escape-all", "escape-member-names",
             "escape-solidus", "header-names-lower", "header-names-upper", "chunked")
HISTORIES = ("same-twice", "over-empty", "over-null", "over-long", "after-error")
STATES = ("training", "write-in-flight", "error-answered")
DIMENSION_KINDS = ("bytes_in_string", "prefix", "charset", "depth", "members", "member_name", "number",
                   "user_data_number", "duplicate", "string_length")
#: What the document's placeholders in a credential stand for: made up, never a real credential.
MADE_UP = {"token": "eyJhbGciOiJub25lIn0.eyJzdWIiOiJmYWtlIn0.", "basic": base64.b64encode(b"face:not-a-key").decode(),
           "wrong_key": "0123456789abcdef0123456789abcdef"}
#: A body of a dimension stays within what docs/contract.md point 18 speaks of.
MAX_BODY_BYTES = 64 * 1024
#: The label of every probe a relation or dimension sends starts so; the rest names its class.
LABEL_PREFIX = "explore "


class RelationError(catalogue.CatalogueError):
    """The document's relations or dimensions break their closed format."""


@dataclass(frozen=True)
class Base:
    """A request an equivalence re-spells: its JSON body (as a value) and an optional path fault."""

    id: str
    body: dict[str, Any]


@dataclass(frozen=True)
class Credential:
    """A credential that is not the key, carried by a request without the valid key."""

    id: str
    key: str
    headers: tuple[tuple[str, str], ...] = ()
    query: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Shape:
    """A request shape the credentials are tried on."""

    id: str
    data: dict[str, Any]


@dataclass(frozen=True)
class DimensionClass:
    """One class or edge of a dimension: its id, its kind and the kind's value."""

    dimension: str
    id: str
    kind: str
    value: Any


def _fail(where: str, message: str) -> RelationError:
    return RelationError(f"{where}: {message}")


def _closed(where: str, data: Any, allowed: frozenset[str]) -> None:
    fault = catalogue.closed_fault(where, data, allowed)
    if fault:
        raise RelationError(fault)


def _names(where: str, given: Any, known: tuple[str, ...]) -> tuple[str, ...]:
    if not isinstance(given, list) or not given:
        raise _fail(where, "expected a non-empty list")
    unknown = [str(g) for g in given if g not in known]
    if unknown:
        raise _fail(where, f"unknown name(s) {', '.join(map(repr, unknown))}; known: {', '.join(known)}")
    return tuple(given)


def user_data_value(where: str, raw: Any) -> Any:
    """A userData as the document writes it: a JSON value, or `{repeat: TEXT, times: N}`."""
    if isinstance(raw, dict):
        _closed(where, raw, frozenset({"repeat", "times"}))
        if not isinstance(raw.get("repeat"), str) or not isinstance(raw.get("times"), int):
            raise _fail(where, "repeat must be a string and times an integer")
        return raw["repeat"] * raw["times"]
    return raw


@cache
def relations() -> dict[str, Any]:
    """The document's `x-relations`, checked against the closed format."""
    data = catalogue.load_document().get("x-relations")
    _closed("x-relations", data, frozenset(RELATION_KINDS))
    eq = data.get("equivalence", {})
    _closed("x-relations equivalence", eq, frozenset({"bases", "spellings", "cover"}))
    bases = tuple(_base(f"x-relations equivalence base {i + 1}", b) for i, b in enumerate(eq.get("bases", ())))
    spellings = _names("x-relations equivalence spellings", eq.get("spellings"), SPELLINGS)
    cover = _cover("x-relations equivalence cover", eq.get("cover"), spellings, {b.id: b for b in bases})
    history = data.get("history", {})
    _closed("x-relations history", history, frozenset({"before"}))
    isolation = data.get("isolation", {})
    _closed("x-relations isolation", isolation, frozenset({"states"}))
    creds = data.get("credentials", {})
    _closed("x-relations credentials", creds, frozenset({"carried", "shapes"}))
    return {
        "bases": bases, "spellings": spellings, "cover": cover,
        "before": _names("x-relations history before", history.get("before"), HISTORIES),
        "states": _names("x-relations isolation states", isolation.get("states"), STATES),
        "carried": tuple(_credential(f"x-relations credentials carried {i + 1}", c)
                         for i, c in enumerate(creds.get("carried", ()))),
        "shapes": tuple(_shape(f"x-relations credentials shape {i + 1}", s)
                        for i, s in enumerate(creds.get("shapes", ()))),
    }


def _cover(where: str, raw: Any, spellings: tuple[str, ...], bases: dict[str, Base]) -> tuple[tuple[Base, str], ...]:
    """(base, spelling) for every spelling, in the document's order: what each run tries first."""
    if not isinstance(raw, dict) or set(raw) != set(spellings):
        missing = sorted(set(spellings) - set(raw or {})) if isinstance(raw, dict) else spellings
        raise _fail(where, f"name a base for every spelling (missing: {', '.join(missing) or 'none'}; "
                    f"unknown: {', '.join(sorted(set(raw or {}) - set(spellings))) or 'none'})")
    unknown = [str(b) for b in raw.values() if b not in bases]
    if unknown:
        raise _fail(where, f"unknown base(s) {', '.join(map(repr, unknown))}")
    return tuple((bases[base], spelling) for spelling, base in raw.items())


def _base(where: str, raw: Any) -> Base:
    _closed(where, raw, frozenset({"id", "user_data", "extra"}))
    body = {"userData": user_data_value(where, raw.get("user_data"))}
    extra = raw.get("extra", {})
    if not isinstance(extra, dict):
        raise _fail(where, "extra must be a mapping of unknown members")
    return Base(str(raw.get("id")), {**body, **extra})


def _credential(where: str, raw: Any) -> Credential:
    _closed(where, raw, frozenset({"id", "key", "headers", "query"}))
    if raw.get("key") not in ("missing", "wrong", "empty"):
        raise _fail(where, "key must be missing, wrong or empty: a credential is tried without the valid key")
    pairs = {name: tuple((str(k), str(v).format(**MADE_UP)) for k, v in (raw.get(name) or {}).items())
             for name in ("headers", "query")}
    return Credential(str(raw.get("id")), raw["key"], pairs["headers"], pairs["query"])


def _shape(where: str, raw: Any) -> Shape:
    _closed(where, raw, frozenset({"id", "user_data", "body", "path"}))
    if "path" in raw:
        _closed(f"{where} path", raw["path"], catalogue.PATH_KEYS)
    return Shape(str(raw.get("id")), {k: v for k, v in raw.items() if k != "id"})


@cache
def dimensions() -> tuple[DimensionClass, ...]:
    """The document's `x-dimensions`: every class of every dimension, checked against the closed format."""
    data = catalogue.load_document().get("x-dimensions")
    if not isinstance(data, dict):
        raise _fail("x-dimensions", "expected a mapping of dimension -> classes")
    out = []
    for dimension, classes in data.items():
        for i, raw in enumerate(classes if isinstance(classes, list) else [classes]):
            where = f"x-dimensions {dimension} class {i + 1}"
            _closed(where, raw, frozenset({"id", *DIMENSION_KINDS}))
            kinds = [k for k in raw if k != "id"]
            if len(kinds) != 1 or "id" not in raw:
                raise _fail(where, f"a class has an id and exactly one kind of {', '.join(DIMENSION_KINDS)}")
            cls = DimensionClass(dimension, str(raw["id"]), kinds[0], raw[kinds[0]])
            if len(dimension_body(cls, "x")) > MAX_BODY_BYTES:
                raise _fail(where, f"its body is over {MAX_BODY_BYTES} bytes")
            out.append(cls)
    ids = [f"{c.dimension}/{c.id}" for c in out]
    if len(set(ids)) != len(ids):
        raise _fail("x-dimensions", "class ids repeat within a dimension")
    return tuple(out)


def check_document() -> None:
    """Raise RelationError when either section breaks the closed format (the catalogue's tests call this)."""
    relations()
    dimensions()


# -- spelling JSON another way -------------------------------------------------------------------


def spell(value: Any, spellings: frozenset[str] | set[str] | tuple[str, ...]) -> bytes:
    """JSON text of `value`, written with the given spellings (all of them decode to the same value)."""
    out = _write(value, frozenset(spellings), 0)
    return out.encode("utf-8", errors="surrogatepass")


def _write(value: Any, how: frozenset[str], level: int) -> str:
    pretty, crlf = "pretty" in how, "crlf-tabs" in how
    gap = "\r\n\t" if crlf else ("\n" + "  " * (level + 1) if pretty else "")
    end = "\r\n" if crlf else ("\n" + "  " * level if pretty else "")
    colon = " :\t" if crlf else (": " if pretty else ":")
    if isinstance(value, dict):
        items = list(value.items())
        if "reorder-members" in how:
            items.reverse()
        names = "escape-member-names" in how or "escape-all" in how
        inner = ("," + gap).join(f"{_string(str(k), how, force=names)}{colon}{_write(v, how, level + 1)}"
                                 for k, v in items)
        return "{" + gap + inner + end + "}" if items else "{}"
    if isinstance(value, list):
        return "[" + gap + ("," + gap).join(_write(v, how, level + 1) for v in value) + end + "]"
    if isinstance(value, str):
        return _string(value, how)
    return json.dumps(value)


def _string(text: str, how: frozenset[str], *, force: bool = False) -> str:
    every = force or "escape-all" in how
    out = []
    for ch in text:
        code = ord(ch)
        if every or (code > 0x7F and "escape-non-ascii" in how):
            out.append(_escape(code))
        elif ch == "/" and "escape-solidus" in how:
            out.append("\\/")
        else:
            out.append(json.dumps(ch, ensure_ascii=False)[1:-1])
    return '"' + "".join(out) + '"'


def _escape(code: int) -> str:
    if code > 0xFFFF:  # an astral character: a surrogate pair, as two escapes
        code -= 0x10000
        return f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}"
    return f"\\u{code:04x}"


def equivalent(world: World, base: Base, spellings: tuple[str, ...]) -> Probe:
    """The base request re-spelled; with no spellings, the base as the suite writes JSON."""
    label = f"{LABEL_PREFIX}relation equivalence/{'+'.join(spellings) or 'as-written'} @ {base.id}"
    if isinstance(base.body.get("userData"), str):  # a distinct value each: a write that did not land shows
        base = replace(base, body={**base.body, "userData": f"{base.body['userData']} {marker()}"})
    body_spellings = [s for s in spellings if s not in ("header-names-lower", "header-names-upper", "chunked")]
    body = spell(base.body, body_spellings) if body_spellings else json_bytes(base.body)
    case = next((s.rsplit("-", 1)[1] for s in spellings if s.startswith("header-names-")), None)
    return on_face(world, label, body=body, header_case=case, framing="chunked" if "chunked" in spellings else None,
                   rows=())


# -- credentials -----------------------------------------------------------------------------------


def credential_probe(world: World, credential: Credential, shape: Shape) -> Probe:
    """A request of this shape, without the valid key, carrying this other credential."""
    data = dict(shape.data)
    if "user_data" in data:
        data["user_data"] = user_data_value(f"credentials shape {shape.id}", data["user_data"])
    label = f"{LABEL_PREFIX}relation credentials/{credential.id} @ {shape.id}"
    row = catalogue.row(catalogue.provoked_by("key", "wrong-with-other-faults"))
    probe = from_row_data(row, 0, data, world) if data else on_face(world, label)
    assert probe is not None
    return replace(probe, label=label, key=credential.key, extra_headers=credential.headers, query=credential.query,
                   rows=(row.id,))


def credential_pairs() -> list[tuple[Credential, Shape]]:
    """Every credential on every shape: first each credential on the first shape (a valid update, where a
    credential a server takes shows as a 200), then the shapes with other faults."""
    rel = relations()
    carried, shapes = rel["carried"], rel["shapes"]
    return [(c, s) for s in shapes for c in carried]


# -- dimensions ------------------------------------------------------------------------------------


def dimension_body(cls: DimensionClass, value: str) -> bytes:
    """The body of one class: a valid update whose userData is `value`, changed in that class's way."""
    start = json_bytes({"userData": value})[:-1]  # the object without its closing brace
    kind, arg = cls.kind, cls.value
    if kind == "bytes_in_string":
        return b'{"userData": "' + value.encode() + bytes.fromhex(arg) + b'z"}'
    if kind == "prefix":
        return bytes.fromhex(arg) + json_bytes({"userData": value})
    if kind == "charset":
        return json.dumps({"userData": value + " é"}, ensure_ascii=False).encode(arg)
    if kind == "depth":
        return start + b', "nested": ' + b'{"a": ' * int(arg) + b"1" + b"}" * int(arg) + b"}"
    if kind == "members":
        return start + b"".join(b', "m%05d": %d' % (i, i) for i in range(int(arg))) + b"}"
    if kind == "member_name":
        return start + b', "' + b"n" * int(arg) + b'": 1}'
    if kind == "string_length":
        return start + b', "long": "' + b"s" * int(arg) + b'"}'
    if kind == "number":
        return start + b', "n": ' + _number(arg) + b"}"
    if kind == "user_data_number":
        return b'{"userData": ' + _number(arg) + b"}"
    if kind == "duplicate":
        other = json.dumps(f"{value}-again").encode()
        if arg == "userData":
            return start + b', "userData": ' + other + b"}"
        return start + b', "' + arg.encode() + b'": 1, "' + arg.encode() + b'": 2}'
    raise _fail(f"x-dimensions {cls.dimension}/{cls.id}", f"unknown kind {kind!r}")


def _number(text: str) -> bytes:
    if text.startswith("{digits:") and text.endswith("}"):
        return b"9" * int(text[len("{digits:"):-1])
    return text.encode("ascii")


def dimension_probe(world: World, cls: DimensionClass) -> Probe:
    """One class of a dimension as a probe on the face under test (a distinct userData each)."""
    content_type = f"{JSON}; charset={cls.value}" if cls.kind == "charset" else JSON
    return on_face(world, f"{LABEL_PREFIX}dimension {cls.dimension}/{cls.id}", body=dimension_body(cls, marker()),
                   content_type=content_type, rows=())


def interleaved(classes: tuple[DimensionClass, ...]) -> tuple[DimensionClass, ...]:
    """The classes taken in turn from each dimension, so that a cut share still reaches every dimension."""
    by_dimension: dict[str, list[DimensionClass]] = {}
    for cls in classes:
        by_dimension.setdefault(cls.dimension, []).append(cls)
    columns = list(by_dimension.values())
    return tuple(c[i] for i in range(max(map(len, columns), default=0)) for c in columns if i < len(c))


def explored_class(label: str) -> tuple[str, str, str] | None:
    """(section, kind or dimension, class) a probe's label names, or None for a probe of no relation."""
    if not label.startswith(LABEL_PREFIX):
        return None
    section, _, rest = label[len(LABEL_PREFIX):].partition(" ")
    name, _, cls = rest.partition("/")
    return section, name, cls.split(" @ ")[0]
