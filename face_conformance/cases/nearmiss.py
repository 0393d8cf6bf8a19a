"""Near misses: wrong values derived from the run's real ones by small, named edits.

Real bugs sit next to the valid value: a key compared by prefix or without case, an ID looked up
by prefix, a media type matched with `startswith`, a JSON parser that forgives a trailing comma.
The document names which rules apply to which part of the request (`x-near-misses`); this
module is what each rule name does. A rule never decides what its result means: the oracle
reads the resulting request like any other (a shortened group ID is well-formed and names
nothing; a lengthened GUID is malformed).

Every derived value differs from the value it was derived from. A derived key is a secret too:
the client registers it, so that no report shows it (it would show most of the real key).
"""

from __future__ import annotations

import json

from face_conformance.cases import catalogue

HEX = "0123456789abcdef"
LOWER_ALNUM = "abcdefghijklmnopqrstuvwxyz0123456789"
LETTERS = "abcdefghijklmnopqrstuvwxyz"
#: What a changed or added character is drawn from, per part (so a changed ID stays well-formed).
ALPHABETS = {"key": LOWER_ALNUM, "personGroupId": LOWER_ALNUM, "personId": HEX, "persistedFaceId": HEX,
             "content_type": LETTERS}
GROUP_ID_MAX = 64
#: A probe's `key` of the form "near:RULE" carries the real key changed by a near-miss rule.
NEAR_KEY = "near:"
#: Body rules: a body that is almost `{"userData": "<value>"}`, in a syntax lenient parsers take.
BODY_RULES = {
    "trailing-comma": '{{"userData": {v},}}',
    "single-quotes": "{{'userData': '{raw}'}}",
    "unquoted-key": "{{userData: {v}}}",
    "block-comment": '{{"userData": {v} /* a note */}}',
    "trailing-garbage": '{{"userData": {v}}}x',
}


class UnknownRule(KeyError):
    """A near-miss rule name this module does not implement."""


def _other(char: str, alphabet: str) -> str:
    """The next character of the alphabet after `char` (another one whatever `char` is), same case."""
    lower = char.lower()
    index = alphabet.find(lower)
    replacement = alphabet[(index + 1) % len(alphabet)] if index >= 0 else alphabet[0]
    return replacement.upper() if char.isupper() else replacement


def _change_at(value: str, index: int, alphabet: str) -> str:
    if not value:
        return alphabet[0]
    index %= len(value)
    return value[:index] + _other(value[index], alphabet) + value[index + 1:]


def _swap_case(value: str, alphabet: str) -> str:
    swapped = value.swapcase()
    return swapped if swapped != value else value + alphabet[0].upper()


def _text_rule(part: str, rule: str, value: str) -> str:
    alphabet = ALPHABETS[part]
    if rule == "change-last":
        return _change_at(value, -1, alphabet)
    if rule == "change-first":
        return _change_at(value, 0, alphabet)
    if rule.startswith("change@"):
        return _change_at(value, int(rule.partition("@")[2]), alphabet)
    if rule == "drop-last":
        return value[:-1] if len(value) > 1 else value + alphabet[0]
    if rule == "add-one":
        return value + alphabet[0]
    if rule == "swap-case":
        return _swap_case(value, alphabet)
    if rule == "first-half":
        return value[: max(1, len(value) // 2)] if len(value) > 1 else value + alphabet[0]
    if rule == "pad-past-limit":
        return value + "a" * max(1, GROUP_ID_MAX + 1 - len(value))
    if rule == "punctuate":
        return value[:-1] + "." if value else "."
    if rule == "non-hex-last":
        return value[:-1] + "g"
    raise UnknownRule(f"unknown near-miss rule {rule!r} for {part}")


def body(rule: str, user_data: str) -> bytes:
    """A body that is almost `{"userData": user_data}`, by a body rule."""
    try:
        template = BODY_RULES[rule]
    except KeyError:
        raise UnknownRule(f"unknown near-miss rule {rule!r} for body; known: {', '.join(BODY_RULES)}") from None
    return template.format(v=json.dumps(user_data), raw=user_data.replace("'", "")).encode("utf-8")


def derive(part: str, rule: str, value: str) -> str:
    """The near miss of `value` (a part's real value) by `rule`; always differs from `value`."""
    if part == "body":
        return body(rule, value).decode("utf-8")
    if part not in ALPHABETS:
        raise UnknownRule(f"no near-miss rules for part {part!r}")
    derived = _text_rule(part, rule, value)
    return derived if derived != value else value + ALPHABETS[part][0]


def describe(part: str, rule: str) -> str:
    """The rule in words, naming no character of the value (a key's near miss must reveal nothing)."""
    words = {
        "change-last": "its last character changed", "change-first": "its first character changed",
        "drop-last": "its last character dropped", "add-one": "one character added",
        "swap-case": "its letter case swapped", "first-half": "only its first half",
        "pad-past-limit": "lengthened past 64 characters", "punctuate": "its last character made a '.'",
        "non-hex-last": "its last character not a hex digit",
    }
    what = words.get(rule) or (f"the character at {rule.partition('@')[2]} changed" if rule.startswith("change@")
                               else rule.replace("-", " "))
    subject = {"key": "the real key", "content_type": "application/json", "body": "a JSON body"}.get(
        part, f"the real {part}")
    return f"{subject} with {what}" if part != "body" else f"{subject} with a {what}"


def check_catalogue() -> None:
    """Raise UnknownRule when `x-near-misses` names a rule (or part) this module does not implement."""
    sample = {"key": "abcdef0123", "personGroupId": "conformance-0a1b", "content_type": "application/json",
              "personId": "00000000-0000-4000-8000-000000000000",
              "persistedFaceId": "00000000-0000-4000-8000-000000000000", "body": "x"}
    for part in catalogue.REQUEST_PARTS:
        for rule in catalogue.near_miss_rules(part):
            derive(part, rule, sample[part])
