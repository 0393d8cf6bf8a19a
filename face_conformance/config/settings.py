"""Run settings: one validated record built from options and the environment.

Precedence: a command-line option, then the environment (`FACE_ENDPOINT`, `FACE_KEY`), then the
default. A bad value raises `ConfigError` naming the option and the fix; the CLI turns it into
exit status 2 with one line, never a traceback.
"""

from __future__ import annotations

import ipaddress
import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from face_conformance.cases import operation as family
from face_conformance.cases.catalogue import PROFILES

SAMPLE_FACE_URL = (
    "https://raw.githubusercontent.com/Microsoft/Cognitive-Face-Windows/master/Data/detection1.jpg"
)
MOCK_KEY = "reference-key"
#: Settings a replay takes from the recording (the rest are about sending, which a replay does not do).
RECORDED_SETTINGS = ("profile", "strict", "strict_messages", "seed", "timeout", "person_group_id", "person_id",
                     "persisted_face_id", "face_url", "variant", "operation", "api_version")
#: Each operation's bring-your-own options: the collection's ID option, then whether it takes --person-id.
BRING_YOUR_OWN = {"persongroup": ("person_group_id", True), "largepersongroup": ("large_person_group_id", True),
                  "largefacelist": ("large_face_list_id", False)}


class ConfigError(Exception):
    """A usage or configuration error: exit status 2."""


class UsageError(ConfigError):
    """A bad command line: exit status 2 with one line."""


@dataclass(frozen=True)
class Settings:
    """Everything a run needs to know, validated."""

    endpoint: str | None = None
    key: str | None = None
    report_dir: Path = Path("reports")
    strict: bool = False
    strict_messages: bool = False
    profile: str = "full"
    max_rps: float | None = None
    max_rpm: float | None = None
    budget: int | None = None
    person_group_id: str | None = None  # the bring-your-own collection's ID, whatever the operation calls it
    person_id: str | None = None
    persisted_face_id: str | None = None
    face_url: str | None = None
    face_image: Path | None = None
    seed: int | None = None
    baseline: Path | None = None
    timeout: float = 30.0
    run_deadline: float = 3600.0
    allow_insecure: bool = False
    concurrency: int = 4
    variant: str | None = None
    operation: str = family.DEFAULT_OPERATION
    api_version: str = family.DEFAULT_VERSION

    @property
    def large_person_group_id(self) -> str | None:
        """--large-person-group-id: the bring-your-own collection of a largepersongroup run."""
        return self.person_group_id if self.operation == "largepersongroup" else None

    @property
    def large_face_list_id(self) -> str | None:
        """--large-face-list-id: the bring-your-own collection of a largefacelist run."""
        return self.person_group_id if self.operation == "largefacelist" else None

    @property
    def target(self) -> family.Operation:
        """The operation of the family this run addresses, on its API version."""
        return family.get(self.operation, self.api_version)

    @property
    def mode(self) -> str:
        """`mock` for the embedded reference, `live` for a real endpoint."""
        return "live" if self.endpoint else "mock"

    @property
    def bring_your_own(self) -> bool:
        """True when the user named an existing face to test against."""
        return self.persisted_face_id is not None

    @property
    def effective_key(self) -> str:
        """The key the suite sends: the user's in live mode, the reference's in mock mode."""
        return self.key if self.endpoint else (self.key or MOCK_KEY)

    @property
    def face_source(self) -> str:
        """What the face image comes from, for reports."""
        if self.face_image:
            return f"file {self.face_image.name}"
        return self.face_url or SAMPLE_FACE_URL


def settings_record(settings: Settings) -> dict[str, Any]:
    """The settings a replay needs, as JSON (a face image file by name only): `exchanges.har` keeps them."""
    out: dict[str, Any] = {name: getattr(settings, name) for name in RECORDED_SETTINGS}
    out["endpoint"] = settings.endpoint
    out["face_image"] = settings.face_image.name if settings.face_image else None
    return out


def _number(name: str, raw: str | None, kind: type, *, minimum: float) -> float | int | None:
    if raw is None or raw == "":
        return None
    what = "a whole number" if kind is int else "a number"
    try:
        value = kind(raw)
    except ValueError:
        raise ConfigError(f"{name} must be {what} (got {raw!r})") from None
    if not math.isfinite(value):
        raise ConfigError(f"{name} must be a finite number (got {raw!r})")
    if value < minimum:
        raise ConfigError(f"{name} must be at least {minimum} (got {raw!r})")
    return value


def _endpoint(raw: str | None, allow_insecure: bool) -> str | None:
    if not raw:
        return None
    parts = urlsplit(raw.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(
            f"--endpoint must be an http(s) URL such as https://<name>.cognitiveservices.azure.com (got {raw!r})"
        )
    if parts.scheme == "http" and not allow_insecure and not _is_loopback(parts.hostname):
        raise ConfigError(
            f"--endpoint {parts.scheme}://{parts.hostname} is plain http to a non-loopback host: the key would "
            "cross the network in clear text; use https or pass --allow-insecure"
        )
    if parts.password:
        from face_conformance.evidence.redaction import register_secret

        register_secret(parts.password)  # a password in the URL is masked like the key, everywhere
    # The client adds /face/v1.x itself, so a pasted "…/face/v1.0/" is the same endpoint.
    path = parts.path.rstrip("/")
    for version in family.version_names():
        path = path.removesuffix(family.get(family.DEFAULT_OPERATION, version).base)
    return f"{parts.scheme}://{parts.netloc}{path}"


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def build_settings(options: dict[str, object], environ: dict[str, str] | None = None) -> Settings:
    """Validate raw option values (strings or None) into Settings; raises ConfigError."""
    env = os.environ if environ is None else environ
    get = options.get
    allow_insecure = bool(get("allow_insecure"))
    endpoint = _endpoint(_str(get("endpoint")) or env.get("FACE_ENDPOINT"), allow_insecure)
    key = _str(get("key")) or env.get("FACE_KEY") or None
    if endpoint and not key:
        raise ConfigError("--key (or FACE_KEY) is required with --endpoint")
    profile = _str(get("profile")) or "full"
    if profile not in PROFILES:
        raise ConfigError(f"--profile must be one of {', '.join(PROFILES)} (got {profile!r})")
    target = _target(_str(get("operation")) or env.get("FACE_OPERATION"),
                     _str(get("api_version")) or env.get("FACE_API_VERSION"))
    byo = _bring_your_own(get, target.name, endpoint)
    face_url, face_image = _str(get("face_url")), _str(get("face_image"))
    if face_url and face_image:
        raise ConfigError("give --face-url or --face-image, not both")
    image = _readable_file("--face-image", face_image)
    baseline = _readable_file("--baseline", _str(get("baseline")))
    timeout = _number("--timeout", _str(get("timeout")), float, minimum=0.1)
    return Settings(
        endpoint=endpoint,
        key=key,
        report_dir=Path(_str(get("report_dir")) or "reports"),
        strict=bool(get("strict")),
        strict_messages=bool(get("strict_messages")),
        profile=profile,
        max_rps=_number("--max-rps", _str(get("max_rps")), float, minimum=0.01),
        max_rpm=_number("--max-rpm", _str(get("max_rpm")), float, minimum=0.01),
        budget=_number("--budget", _str(get("budget")), int, minimum=1),
        person_group_id=byo[0],
        person_id=byo[1],
        persisted_face_id=byo[2],
        face_url=face_url,
        face_image=image,
        seed=_number("--seed", _str(get("seed")), int, minimum=0),
        baseline=baseline,
        timeout=30.0 if timeout is None else float(timeout),
        run_deadline=float(_number("--run-deadline", _str(get("run_deadline")), float, minimum=1.0) or 3600.0),
        allow_insecure=allow_insecure,
        variant=_variant(_str(get("variant")), endpoint),
        operation=target.name,
        api_version=target.version,
    )


def _target(name: str | None, version: str | None) -> family.Operation:
    """The operation and version asked for, selected for the whole process (every path and row is then theirs)."""
    name, version = name or family.DEFAULT_OPERATION, version or family.DEFAULT_VERSION
    if name not in family.operation_names():
        raise ConfigError(f"--operation must be one of {'|'.join(family.operation_names())} (got {name!r})")
    if version not in family.version_names():
        raise ConfigError(f"--api-version must be one of {'|'.join(family.version_names())} (got {version!r})")
    return family.select(name, version)


def _flag(key: str) -> str:
    return "--" + key.replace("_", "-")


def _bring_your_own(get: Any, name: str, endpoint: str | None) -> list[str | None]:
    """[collection ID, person ID, face ID] of a bring-your-own run, checked against the operation's options."""
    collection_key, has_person = BRING_YOUR_OWN[name]
    for other, _ in BRING_YOUR_OWN.values():
        if other != collection_key and _str(get(other)):
            raise ConfigError(f"{_flag(other)} does not go with --operation {name}: use {_flag(collection_key)}")
    if not has_person and _str(get("person_id")):
        raise ConfigError(f"--person-id does not go with --operation {name}: its faces belong to no person")
    keys = (collection_key, "person_id", "persisted_face_id") if has_person else (collection_key, "persisted_face_id")
    given = [_str(get(k)) for k in keys]
    together = ", ".join(_flag(k) for k in keys)
    if any(given) and not all(given):
        raise ConfigError(f"{together} go together: give all {len(keys)}")
    if all(given) and not endpoint:
        raise ConfigError(f"{together} need --endpoint (a live target)")
    if not has_person:
        given.insert(1, "" if all(given) else None)
    return given


def _variant(name: str | None, endpoint: str | None) -> str | None:
    if not name:
        return None
    if endpoint:
        raise ConfigError("--variant picks a zoo variant of the embedded reference: it does not go with --endpoint")
    # Which names exist is the zoo's to say: the fronts check it (`live.target.check_variant`).
    return name


def _str(value: object) -> str | None:
    if value is None or value is False:
        return None
    return str(value)


def _readable_file(option: str, raw: str | None) -> Path | None:
    if not raw:
        return None
    path = Path(raw)
    try:
        with path.open("rb") as fh:
            fh.read(1)
    except OSError as exc:
        raise ConfigError(f"{option} {raw!r} cannot be read: {exc.strerror or exc}") from None
    return path
