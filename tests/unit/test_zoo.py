"""The zoo itself, in process: the listing, its coverage of the catalogue, and what each variant changes.

The wire faults the hostile variants use, over a real socket, and `face-conformance serve
--variant` are the end-to-end tier's (`tests/e2e/test_zoo_on_the_wire.py`).
"""

from __future__ import annotations

import contextlib
import io
import json
import re
import threading
import time
from typing import Any

import httpx
import pytest
from zoo_config import MATRIX_KEY, live_config

from face_conformance.cases import catalogue
from face_conformance.cli import main
from face_conformance.reference import ReferenceService
from face_conformance.reference.asgi import ENCODED_BODY, WIRE_FAULT
from face_conformance.zoo import VARIANTS, variant_names
from face_conformance.zoo.registry import register

MINIMUM = {"broken": 38, "conformant": 9, "hostile": 5}
LISTED = re.compile(r"^  (?P<name>\S+)\s+(?P<row>\S+)\s+(?P<description>\S.*)$")


@pytest.fixture(scope="module")
def listing() -> dict[str, dict[str, tuple[str, str]]]:
    """`face-conformance serve --list-variants`, parsed: kind -> name -> (row, description)."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(["serve", "--list-variants"]) == 0
    kinds: dict[str, dict[str, tuple[str, str]]] = {}
    current = None
    for line in out.getvalue().splitlines():
        if header := re.match(r"^(broken|conformant|hostile) \((\d+)\):$", line):
            current = kinds.setdefault(header.group(1), {})
        elif (entry := LISTED.match(line)) and current is not None:
            current[entry["name"]] = (entry["row"], entry["description"])
    return kinds


@pytest.mark.parametrize(("kind", "minimum"), MINIMUM.items())
def test_list_variants_shows_enough_of_each_kind(listing: dict, kind: str, minimum: int) -> None:
    """At least 38 broken, 9 conformant, 5 hostile variants, each listed with a row (or '-') and a description."""
    assert len(listing[kind]) >= minimum, sorted(listing[kind])
    assert sorted(listing[kind]) == sorted(variant_names(kind))
    for name, (row, description) in listing[kind].items():
        assert description.strip(), name
        assert row == (VARIANTS[name].row or "-")


def test_every_must_row_is_broken_by_some_variant() -> None:
    """Each MUST row of the catalogue has at least one broken variant naming it."""
    broken_rows = {VARIANTS[name].row for name in variant_names("broken")}
    must = {row.id for row in catalogue.rows() if row.level == "MUST"}
    assert must - broken_rows == set()


def test_most_must_rows_are_broken_in_more_than_one_way() -> None:
    """Two or more variants per MUST row, for all but a few rows."""
    counts = {row.id: 0 for row in catalogue.rows() if row.level == "MUST"}
    for name in variant_names("broken"):
        counts[VARIANTS[name].row] = counts.get(VARIANTS[name].row, 0) + 1
    assert sum(1 for n in counts.values() if n >= 2) >= len(counts) - 2, counts


def test_every_named_row_exists_in_the_catalogue() -> None:
    """Rows named by variants, and rows they list as failing with them, are catalogue rows."""
    ids = set(catalogue.row_ids())
    for name in variant_names():
        variant = VARIANTS[name]
        assert variant.row is None or variant.row in ids, name
        assert set(variant.also) <= ids, name
        assert variant.row not in variant.also, name
        assert variant.kind == "broken" or not variant.also, name
    assert all(VARIANTS[name].row is None for name in variant_names("hostile"))


def test_every_variant_is_a_documented_reference_subclass() -> None:
    """Each variant builds a service that is a proper subclass of the reference, and has a one-line description."""
    for name in variant_names():
        variant = VARIANTS[name]
        service = variant.build(live_config())
        assert isinstance(service, ReferenceService), name
        assert type(service) is not ReferenceService, name
        assert type(service).__doc__, name
        assert "\n" not in variant.description and len(variant.description) < 120, name


def test_register_refuses_bad_registrations() -> None:
    """Unknown kinds, a broken variant without a row, and duplicate names are refused with a message."""
    with pytest.raises(ValueError, match="kind must be one of"):
        register("x", "weird", None, "d")
    with pytest.raises(ValueError, match="names the row it breaks"):
        register("x", "broken", None, "d")
    with pytest.raises(ValueError, match="registered twice"):
        register(variant_names()[0], "conformant", None, "d")(ReferenceService)
    with pytest.raises(ValueError, match="profile must be one of"):
        register("x", "conformant", None, "d", profile="huge")


def test_the_reference_never_asks_for_a_wire_fault() -> None:
    """Every reference answer goes out as it is (the hook is for the zoo only)."""
    service = ReferenceService(live_config())
    key = {"Ocp-Apim-Subscription-Key": MATRIX_KEY}
    calls = (("PUT", "", b'{"name": "g"}'), ("GET", "", b""), ("PATCH", "/persons/p/persistedFaces/f", b"{}"),
             ("PATCH", "/persons/p/persistedFaces/f", b"["), ("TRACE", "", b""))
    answers = [service.handle(httpx.Request(method, "http://x/face/v1.0/persongroups/g" + tail, headers=key,
                                            content=body)) for method, tail, body in calls]
    assert [a.status_code for a in answers] == [200, 200, 404, 404, 405]
    assert all(WIRE_FAULT not in answer.extensions for answer in answers)


# -- each conformant variant really differs from the reference --------------------------------


class OneFace:
    """A service (built from a variant name, or the reference) holding one face, driven in process."""

    def __init__(self, name: str | None) -> None:
        config = live_config()
        self.service = VARIANTS[name].build(config) if name else ReferenceService(config)
        assert self.call("PUT", "/persongroups/g", {"name": "g"}).status_code == 200
        person = self.call("POST", "/persongroups/g/persons", {"name": "p"}).json()["personId"]
        self.person = f"/persongroups/g/persons/{person}"
        face = self.call("POST", self.person + "/persistedFaces", {"url": "https://x.test/a.jpg"}).json()
        self.face = f"{self.person}/persistedFaces/{face['persistedFaceId']}"

    def call(self, method: str, path: str, payload: object = None, **headers: str) -> httpx.Response:
        """One request with the matrix key; `payload` is sent as JSON unless it is bytes."""
        content = payload if isinstance(payload, bytes) else (b"" if payload is None else json.dumps(payload).encode())
        headers = {"Ocp-Apim-Subscription-Key": MATRIX_KEY, "Content-Type": "application/json", **headers}
        return self.service.handle(httpx.Request(method, "http://zoo.test/face/v1.0" + path, headers=headers,
                                                 content=content))

    def update(self, payload: object = None, path: str | None = None) -> httpx.Response:
        """PATCH the face (or another path) with `payload`."""
        return self.call("PATCH", path or self.face, payload)

    def stored(self) -> object:
        """The face's userData as Get Face shows it."""
        return self.call("GET", self.face).json()["userData"]


def _message(answer: httpx.Response) -> str:
    return answer.json()["error"]["message"]


def _braced_person(f: OneFace) -> str:
    guid = f.person.rsplit("/", 1)[1]
    return f.face.replace(guid, "%7B00000000-0000-4000-8000-000000000000%7D")


def _first_429(f: OneFace) -> httpx.Response:
    return next(a for a in (f.call("GET", "/persongroups/g") for _ in range(12)) if a.status_code == 429)


def _train_then(f: OneFace, payload: object) -> httpx.Response:
    assert f.call("POST", "/persongroups/g/train").status_code == 202
    return f.update(payload)


def _overlapping_updates(f: OneFace) -> list[int]:
    results: list[int] = []
    threads = [threading.Thread(target=lambda v=v: results.append(f.update({"userData": v}).status_code))
               for v in ("a", "b", "c")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sorted(results)


SKIP = object()  # the reference's side needs no check (it has no such behaviour to show)
# (The reference's {} clears userData: `absent-keeps-userdata` expects None from it.)

# name -> (what to do to a one-face service, what the variant's answer shows, and the reference's)
DIFFERENCES: dict[str, Any] = {
    "chinese-messages": (lambda f: _message(f.update({"userData": "x"}, f.person + "/persistedFaces/nope")),
                         lambda got: "无效" in got or "未找到" in got, lambda got: got == "Invalid Face ID."),
    "reads-code-points": (lambda f: f.update({"userData": "é" * 600}).status_code, 200, 400),
    "reads-utf16-units": (lambda f: f.update({"userData": "é" * 600}).status_code, 200, 400),
    "rate-limit-retry-after": (lambda f: _first_429(f).headers.get("Retry-After"), "1", SKIP),
    "rate-limit-message-only": (lambda f: ("Retry-After" in _first_429(f).headers, "1 second" in
                                           _message(_first_429(f))), (False, True), SKIP),
    "training-ends-at-once": (lambda f: _train_then(f, {"userData": "x"}).status_code, 200, 409),
    "slow-answers": (lambda f: _timed(lambda: f.call("GET", f.face)), lambda s: s >= 0.02, SKIP),
    "extra-headers": (lambda f: f.update(b"[").headers["Content-Type"], lambda ct: "odata" in ct,
                      lambda ct: "odata" not in ct),
    "exact-path-casing": (lambda f: f.call("GET", f.face.replace("persistedFaces", "PersistedFaces")).status_code,
                          404, 200),
    "training-409-before-body": (lambda f: _train_then(f, b"not json").status_code, 409, 400),
    "absent-keeps-userdata": (lambda f: (f.update({"userData": "kept"}), f.update({}), f.stored())[2], "kept", None),
    "braced-guid-not-found": (lambda f: _message(f.update({"userData": "x"}, _braced_person(f))),
                              "Person ID not found.", "Invalid Person ID."),
    "no-write-lock": (lambda f: _overlapping_updates(f), [200, 200, 200], lambda codes: 409 in codes),
    "body-before-path": (lambda f: f.update(b"", f.person + "/persistedFaces/nope").status_code, 400, 404),
    "echoes-key": (lambda f: _message(f.call("PATCH", f.face, {"userData": "x"},
                                             **{"Ocp-Apim-Subscription-Key": "wrong-key-1"})),
                   lambda got: "wrong-key-1" in got, lambda got: "wrong-key-1" not in got),
    "escaped-json-answers": (lambda f: b"\\/" in (f.update({"userData": "a/b"}), f.call("GET", f.face))[1].content,
                             True, False),
    "conflict-clears-late": (lambda f: (_overlapping_updates(f), f.update({"userData": "after"}).status_code)[1],
                             409, 200),
    "training-lock-lingers": (lambda f: _after_training(f), 409, 200),
    "compresses": (lambda f: ENCODED_BODY in f.call("GET", f.face, **{"Accept-Encoding": "gzip"}).extensions,
                   True, False),
    "closes-connections": (lambda f: f.call("GET", f.face).headers.get("Connection"), "close", None),
    "resets-during-setup": (lambda f: f.call("GET", f.face).status_code, 500, 200),
    "parser-depth-limit-400": (lambda f: (f.update(_nested_note(63)).status_code,
                                          f.update(_nested_note(64)).status_code), (200, 400), (200, 200)),
    "member-limit-400": (lambda f: (f.update(_members(999)).status_code, f.update(_members(1000)).status_code),
                         (200, 400), (200, 200)),
    "bom-rejected": (lambda f: f.update(b'\xef\xbb\xbf{"userData": "bom"}').status_code, 400, 200),
    "duplicates-first-wins": (lambda f: (f.update(b'{"userData": "a", "userData": "b"}'), f.stored())[1], "a", "b"),
    "member-names-case-insensitive": (lambda f: [(f.update({name: name}), f.stored())[1]
                                                 for name in ("UserData", "USERDATA", "userdata")],
                                      ["UserData", "USERDATA", "userdata"], [None, None, None]),
    "utf16-charset-decoded": (lambda f: [(_utf16_update(f, codec, charset), f.stored())
                                         for codec, charset in UTF16_BODIES],
                              [(200, "é 16")] * 3, [(400, None)] * 3),
}

def _on(f: OneFace, method: str, path: str, payload: object = None, version: str = "v1.0",
        key: str = MATRIX_KEY) -> httpx.Response:
    """One request to the service under any version's path (OneFace.call is v1.0's person groups)."""
    content = b"" if payload is None else json.dumps(payload).encode()
    headers = {"Ocp-Apim-Subscription-Key": key, "Content-Type": "application/json"}
    return f.service.handle(httpx.Request(method, f"http://zoo.test/face/{version}{path}", headers=headers,
                                          content=content))


def _face_lists(f: OneFace) -> tuple[str, str]:
    """Two large face lists with a face each: the faces' paths, each through its own list."""
    paths = []
    for name in ("l1", "l2"):
        assert _on(f, "PUT", f"/largefacelists/{name}", {"name": name}).status_code == 200
        face = _on(f, "POST", f"/largefacelists/{name}/persistedfaces", {"url": "https://x.test/a.jpg"}).json()
        paths.append(f"/largefacelists/{name}/persistedfaces/{face['persistedFaceId']}")
    return paths[0], paths[1]


def _list_update_while_training(f: OneFace) -> tuple[int, object]:
    """A large face list's update during its training: the status and the error code (None for a 200)."""
    first, _ = _face_lists(f)
    assert _on(f, "POST", "/largefacelists/l1/train").status_code == 202
    answer = _on(f, "PATCH", first, {"userData": "x"})
    return answer.status_code, (answer.json()["error"]["code"] if answer.content else None)


def _other_lists_face_through_the_first(f: OneFace) -> int:
    first, second = _face_lists(f)
    return _on(f, "PATCH", first.rsplit("/", 1)[0] + "/" + second.rsplit("/", 1)[1], {"userData": "x"}).status_code


def _missing_list_code(f: OneFace) -> str:
    answer = _on(f, "PATCH", "/largefacelists/nope/persistedfaces/00000000-0000-4000-8000-000000000000",
                 {"userData": "x"})
    return answer.json()["error"]["code"]


def _wrong_key_code_on_v1_2(f: OneFace) -> str:
    return _on(f, "PATCH", f.face, {"userData": "x"}, version="v1.2", key="wrong").json()["error"]["code"]


DIFFERENCES.update({
    "large-training-conflicts": (_list_update_while_training, (409, "LargeFaceListTrainingNotFinished"), (200, None)),
    "v1.2-with-page-shapes": (_wrong_key_code_on_v1_2, "Unspecified", "401"),
})


UTF16_BODIES = (("utf-16", "utf-16"), ("utf-16-le", "UTF-16LE"), ("utf-16-be", '"utf-16"'))


def _utf16_update(f: OneFace, codec: str, charset: str) -> int:
    """An update encoded in `codec`, its Content-Type saying `charset` (without a BOM, utf-16 is big-endian)."""
    body = '{"userData": "é 16"}'.encode(codec)
    return f.call("PATCH", f.face, body, **{"Content-Type": f"application/json; charset={charset}"}).status_code


def _nested_note(depth: int) -> bytes:
    """An update whose unknown member is nested `depth` arrays deep (the body one level more)."""
    return b'{"note": ' + b"[" * depth + b"]" * depth + b', "userData": "deep"}'


def _members(unknown: int) -> bytes:
    """An update with this many unknown members beside userData."""
    return ("{" + "".join(f'"m{i}": {i}, ' for i in range(unknown)) + '"userData": "many"}').encode()


def _after_training(f: OneFace) -> int:
    """The status of an update sent just after Training Status first says the training ended."""
    assert f.call("POST", "/persongroups/g/train").status_code == 202
    while f.call("GET", "/persongroups/g/training").json()["status"] == "running":
        time.sleep(0.05)
    return f.update({"userData": "x"}).status_code


def _timed(call: Any) -> float:
    started = time.monotonic()
    call()
    return time.monotonic() - started


def _holds(expected: Any, got: Any) -> bool:
    return expected(got) if callable(expected) else got == expected


def test_every_conformant_variant_has_a_difference_test() -> None:
    """A conformant variant the reference cannot be told from would prove nothing: each has one below."""
    assert sorted(DIFFERENCES) == sorted(variant_names("conformant"))


@pytest.mark.parametrize("name", sorted(DIFFERENCES))
def test_conformant_variant_differs_from_the_reference(name: str) -> None:
    """The same requests show the variant's latitude, and the reference's own answer, apart."""
    act, variant_shows, reference_shows = DIFFERENCES[name]
    got = act(OneFace(name))
    assert _holds(variant_shows, got), (name, got)
    if reference_shows is not SKIP:
        ref = act(OneFace(None))
        assert _holds(reference_shows, ref), (name, ref)


# -- each new broken variant breaks the reference exactly where it says -------------------------------


def _without_key(f: OneFace, headers: dict[str, str] | None = None, params: dict[str, str] | None = None,
                 key: str | None = None) -> int:
    """The status of a valid update sent with no key header (or `key`), with these headers and query."""
    sent = {"Content-Type": "application/json", **(headers or {})}
    if key is not None:
        sent["Ocp-Apim-Subscription-Key"] = key
    request = httpx.Request("PATCH", "http://zoo.test/face/v1.0" + f.face, headers=sent, params=params,
                            content=b'{"userData": "through"}')
    return f.service.handle(request).status_code


def _face_elsewhere(f: OneFace, group: str) -> str:
    """A new face of a new person in `group` (made if need be)."""
    f.call("PUT", f"/persongroups/{group}", {"name": group})
    person = f.call("POST", f"/persongroups/{group}/persons", {"name": "q"}).json()["personId"]
    face = f.call("POST", f"/persongroups/{group}/persons/{person}/persistedFaces", {"url": "https://x.test/b.jpg"})
    return f"/persongroups/{group}/persons/{person}/persistedFaces/{face.json()['persistedFaceId']}"


def _written_and_stored(f: OneFace, *bodies: bytes) -> list[tuple[int, object]]:
    return [(f.update(body).status_code, f.stored()) for body in bodies]


def _while_other_group_trains(f: OneFace) -> tuple[int, int]:
    other = _face_elsewhere(f, "h")
    assert f.call("POST", "/persongroups/g/train").status_code == 202
    return f.update({"userData": "x"}, other).status_code, f.update({"userData": "x"}).status_code


def _sibling_after_updates(f: OneFace, counts: tuple[int, ...]) -> list[object]:
    """What another face of the group holds after each run of `counts` updates of the one face."""
    sibling, seen, written = _face_elsewhere(f, "g"), [], 0
    for count in counts:
        for _ in range(count):
            written += 1
            assert f.update({"userData": f"v{written}"}).status_code == 200
        seen.append(f.call("GET", sibling).json()["userData"])
    return seen


ESCAPED_A = ("{\"userData\": \"" + "\\u0061" * 1000 + "\"}").encode()

# name -> (what to do to a one-face service, what the variant shows, what the reference shows)
BROKEN_DIFFERENCES: dict[str, Any] = {
    "stores-escapes-raw": (lambda f: _written_and_stored(f, b'{"userData": "caf\xc3\xa9 \\n"}',
                                                         b'{"userData": "caf\\u00e9"}'),
                           [(200, "caf\u00e9 \n"), (200, "caf\\u00e9")], [(200, "caf\u00e9 \n"), (200, "caf\u00e9")]),
    "splits-surrogate-escapes": (lambda f: _written_and_stored(f, '{"userData": "\U0001f600"}'.encode(),
                                                               b'{"userData": "\\ud83d\\ude00"}'),
                                 [(200, "\U0001f600"), (200, "\ufffd\ufffd")], [(200, "\U0001f600")] * 2),
    "escaped-member-name-ignored": (lambda f: _written_and_stored(f, b'{"userData": "old"}',
                                                                  b'{"\\u0075serData": "new"}'),
                                    [(200, "old"), (200, "old")], [(200, "old"), (200, "new")]),
    "length-of-raw-json": (lambda f: (f.update({"userData": "a" * 1000}).status_code, f.update(ESCAPED_A).status_code),
                           (200, 400), (200, 200)),
    "accepts-invalid-utf8": (lambda f: _written_and_stored(f, b'{"userData": "ok"}', b'{"userData": "a\xffb"}'),
                             [(200, "ok"), (200, "a\ufffdb")], [(200, "ok"), (400, "ok")]),
    "deep-nesting-500": (lambda f: (f.update(_nested_note(510)).status_code, f.update(_nested_note(600)).status_code),
                         (200, 500), (200, 200)),
    "big-number-500": (lambda f: [f.update(b'{"n": ' + n + b', "userData": "x"}').status_code
                                  for n in (b"9223372036854775807", b"9223372036854775808", b"-1e309", b"1e-400")],
                       [200, 500, 500, 200], [200] * 4),
    "bearer-accepted": (lambda f: (_without_key(f), _without_key(f, {"Authorization": "Bearer anything"}),
                                   _without_key(f, {"Authorization": "Basic dTpw"})), (401, 200, 401), (401, 401, 401)),
    "empty-key-accepted": (lambda f: (_without_key(f, key="wrong"), _without_key(f, key="")), (401, 200), (401, 401)),
    "query-key-wins": (lambda f: (_without_key(f), _without_key(f, params={"subscription-key": "wrong"})),
                       (401, 200), (401, 401)),
    "training-blocks-every-group": (lambda f: _while_other_group_trains(f), (409, 409), (200, 409)),
    "write-leaks-to-sibling": (lambda f: _sibling_after_updates(f, (4, 1, 4, 1)), [None, "v5", "v5", "v10"],
                               [None] * 4),
    "same-value-twice-conflicts": (lambda f: _written_and_stored(f, b'{"userData": "v"}', b'{"userData": "v"}'),
                                   [(200, "v"), (409, "v")], [(200, "v"), (200, "v")]),
    # The family's own (face_conformance/zoo/family.py), each on a large face list.
    "large-404-says-person-group": (_missing_list_code, "PersonGroupNotFound", "LargeFaceListNotFound"),
    "large-training-409-says-person-group": (_list_update_while_training, (409, "PersonGroupTrainingNotFinished"),
                                             (200, None)),
    "face-list-finds-faces-anywhere": (_other_lists_face_through_the_first, 200, 404),
}


def test_the_broken_difference_table_names_broken_variants() -> None:
    """Every entry is a registered broken variant (the older ones are proven by the kill matrix alone)."""
    assert set(BROKEN_DIFFERENCES) <= set(variant_names("broken"))


@pytest.mark.parametrize("name", sorted(BROKEN_DIFFERENCES))
def test_broken_variant_differs_from_the_reference_where_it_says(name: str) -> None:
    """The same requests give the variant's fault, and the reference's conformant answer, side by side."""
    act, variant_shows, reference_shows = BROKEN_DIFFERENCES[name]
    got = act(OneFace(name))
    assert _holds(variant_shows, got), (name, got)
    ref = act(OneFace(None))
    assert _holds(reference_shows, ref), (name, ref)
