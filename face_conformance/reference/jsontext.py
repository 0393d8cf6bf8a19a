"""JSON text (RFC 8259) read by hand for the reference service: no depth limit, numbers of any size.

Python's `json` recurses once per nesting level (a body of 10,000 `[` raises RecursionError) and
turns every integer into an `int` (over 4300 digits, a ValueError). docs/contract.md point 18 wants
whatever a body of at most 64 KiB holds answered with a documented status, and a body within the
contract's SHOULD (unknown members of any depth and any number) accepted; so the reference reads
JSON with this reader instead: iterative (its nesting is limited by memory only), numbers kept as
written (`JsonNumber`), any number of members, a duplicated member read last-wins.

Every decision a reader takes is one small method (a member name, a string value, a number, a
member stored, a depth or member count over a limit), so that a zoo variant overrides one of them.
A text that is not JSON raises `JsonError` (a ValueError).
"""

from __future__ import annotations

import re
from typing import Any, NamedTuple


class JsonError(ValueError):
    """The text is not JSON; `position` is the offset where reading stopped."""

    def __init__(self, reason: str, position: int) -> None:
        super().__init__(f"{reason} at offset {position}")
        self.position = position


class JsonNumber(NamedTuple):
    """A JSON number, kept as written: no size or precision limit, never converted."""

    text: str


_SPACE = re.compile(r"[ \t\n\r]*")
_SPACE_CHARACTERS = frozenset(" \t\n\r")
_NUMBER = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?")
# The inside of a string: characters other than `"`, `\` and C0 controls, or a valid escape. The
# alternatives are disjoint, so a string that never ends fails in linear time.
_STRING_INSIDE = re.compile(r'(?:[^"\\\x00-\x1f]|\\["\\/bfnrt]|\\u[0-9a-fA-F]{4})*')
_ESCAPE = re.compile(
    r"\\u([dD][89abAB][0-9a-fA-F]{2})\\u([dD][c-fC-F][0-9a-fA-F]{2})"  # a surrogate pair: one character
    r"|\\u([0-9a-fA-F]{4})"  # any other \u escape, a lone surrogate included
    r"|\\(.)"  # a one-character escape
)
_SIMPLE_ESCAPES = {'"': '"', "\\": "\\", "/": "/", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t"}
_LITERALS = (("true", True), ("false", False), ("null", None))


def unescape(raw: str) -> str:
    """The string a JSON string's inside (as written, already checked) stands for."""
    if "\\" not in raw:
        return raw
    return _ESCAPE.sub(_unescape_one, raw)


def _unescape_one(match: re.Match[str]) -> str:
    high, low, unit, simple = match.groups()
    if high is not None:
        return chr(0x10000 + ((int(high, 16) - 0xD800) << 10) + (int(low, 16) - 0xDC00))
    if unit is not None:
        return chr(int(unit, 16))
    return _SIMPLE_ESCAPES[simple]


class _Open:
    """A container being read: the object or array, the member name awaiting its value, its member count."""

    __slots__ = ("container", "name", "members")

    def __init__(self, container: dict[str, Any] | list[Any]) -> None:
        self.container = container
        self.name: str | None = None
        self.members = 0


class JsonReader:
    """Reads one JSON text into dicts, lists, strings, `JsonNumber`s, True, False and None.

    `MAX_DEPTH` and `MAX_MEMBERS` (per object) are off in the reference; a variant with a parser
    limit sets them, and `too_deep` / `too_many_members` say what going past one does.
    """

    MAX_DEPTH: int | None = None
    MAX_MEMBERS: int | None = None

    # -- the decisions ---------------------------------------------------------------------

    def member_name(self, raw: str) -> str:
        """A member name, from its inside as written: escapes decoded (`\\u0075serData` is userData)."""
        return unescape(raw)

    def string_value(self, raw: str) -> Any:
        """A string value, from its inside as written: escapes decoded, a surrogate pair as one character."""
        return unescape(raw)

    def number(self, text: str) -> Any:
        """A number, as written."""
        return JsonNumber(text)

    def set_member(self, obj: dict[str, Any], name: str, value: Any) -> None:
        """Store a member; a duplicated name replaces the earlier value (last wins)."""
        obj[name] = value

    def too_deep(self, depth: int, position: int) -> None:
        """A container opened at `depth` when MAX_DEPTH is set lower: not read."""
        raise JsonError(f"nesting deeper than {self.MAX_DEPTH}", position)

    def too_many_members(self, count: int, position: int) -> None:
        """An object's `count`-th member when MAX_MEMBERS is set lower: not read."""
        raise JsonError(f"more than {self.MAX_MEMBERS} members", position)

    # -- reading -----------------------------------------------------------------------------

    def read(self, text: str) -> Any:
        """The value of a JSON text: one value with optional whitespace around it, nothing else."""
        stack: list[_Open] = []
        pos = self._space(text, 0)
        while True:
            value, pos, opened = self._value(text, pos, len(stack))
            if opened is not None:  # a container with members: read its first value next
                stack.append(opened)
                continue
            # A value is complete: put it into its container, closing containers as they end.
            while stack:
                top = stack[-1]
                self._put(top, value, pos)
                pos = self._space(text, pos)
                here = text[pos : pos + 1]
                if here == ",":
                    pos = self._space(text, pos + 1)
                    if isinstance(top.container, dict):
                        pos = self._name_and_colon(text, pos, top)
                    break
                if here != ("}" if isinstance(top.container, dict) else "]"):
                    raise JsonError("expected ',' or the end of the container", pos)
                pos += 1
                value = stack.pop().container
            else:
                pos = self._space(text, pos)
                if pos != len(text):
                    raise JsonError("data after the JSON value", pos)
                return value

    def _value(self, text: str, pos: int, depth: int) -> tuple[Any, int, _Open | None]:
        """The value starting at `pos`: (value, end, None) if complete (a scalar or an empty container),
        or (None, where its first value starts, the container) for a container with members."""
        here = text[pos : pos + 1]
        if here in ("{", "["):
            if self.MAX_DEPTH is not None and depth + 1 > self.MAX_DEPTH:
                self.too_deep(depth + 1, pos)
            opened = _Open({} if here == "{" else [])
            pos = self._space(text, pos + 1)
            if text.startswith("}" if here == "{" else "]", pos):
                return opened.container, pos + 1, None
            if here == "{":
                pos = self._name_and_colon(text, pos, opened)
            return None, pos, opened
        if here == '"':
            raw, end = self._string(text, pos)
            return self.string_value(raw), end, None
        number = _NUMBER.match(text, pos)
        if number is not None:
            return self.number(number.group()), number.end(), None
        for word, value in _LITERALS:
            if text.startswith(word, pos):
                return value, pos + len(word), None
        raise JsonError("expected a JSON value", pos)

    def _name_and_colon(self, text: str, pos: int, top: _Open) -> int:
        """A member name and the colon after it; the name waits in `top` for its value."""
        if not text.startswith('"', pos):
            raise JsonError("expected a member name", pos)
        raw, pos = self._string(text, pos)
        top.name = self.member_name(raw)
        pos = self._space(text, pos)
        if not text.startswith(":", pos):
            raise JsonError("expected ':'", pos)
        return self._space(text, pos + 1)

    def _put(self, top: _Open, value: Any, pos: int) -> None:
        if isinstance(top.container, list):
            top.container.append(value)
            return
        top.members += 1
        if self.MAX_MEMBERS is not None and top.members > self.MAX_MEMBERS:
            self.too_many_members(top.members, pos)
        assert top.name is not None
        self.set_member(top.container, top.name, value)
        top.name = None

    @staticmethod
    def _string(text: str, pos: int) -> tuple[str, int]:
        """The inside of the string opening at `pos` (as written) and the offset after its closing quote."""
        end = _STRING_INSIDE.match(text, pos + 1).end()  # type: ignore[union-attr]  # matches "" at least
        if not text.startswith('"', end):
            raise JsonError("unterminated string, or a control character or bad escape in it", end)
        return text[pos + 1 : end], end + 1

    @staticmethod
    def _space(text: str, pos: int) -> int:
        if text[pos : pos + 1] not in _SPACE_CHARACTERS:  # most tokens follow each other directly
            return pos
        return _SPACE.match(text, pos).end()  # type: ignore[union-attr]  # matches "" at least

