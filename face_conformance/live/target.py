"""The one seam between the suite and a server: an httpx.Client over the network or over respx.

Mock mode routes the client, through a strict respx router, to the embedded reference service's
`handle(httpx.Request) -> httpx.Response`; live mode sends over the network. Nothing above this
module knows which, except for `Target.forcer`, which only the in-process reference offers.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import httpx
import respx

from face_conformance.config.settings import MOCK_KEY, ConfigError, Settings
from face_conformance.live.deadline import apply_deadlines
from face_conformance.reference import ReferenceConfig, ReferenceService

MOCK_BASE_URL = "https://embedded-reference.invalid"
# The reference's GUIDs must not come from the same random stream as Hypothesis's `uuids()`
# (both start from small seeds), or an "unknown" generated GUID names a real person.
MOCK_SEED_OFFSET = 7_919


@dataclass
class Target:
    """A configured httpx client plus what the reports say about where it points."""

    client: httpx.Client
    base_url: str
    mode: str
    #: `forcer(kind, count=1)`: the reference's next updates answer or behave as `kind` (mock only).
    forcer: Callable[..., None] | None = None

    @property
    def label(self) -> str:
        """The endpoint as reports show it."""
        return "embedded reference (mock)" if self.mode == "mock" else self.base_url

    def close(self) -> None:
        """Close the client and its connections."""
        self.client.close()


def _timeout(settings: Settings) -> httpx.Timeout:
    return httpx.Timeout(settings.timeout, connect=min(settings.timeout, 10.0))


def _limits(settings: Settings) -> httpx.Limits:
    return httpx.Limits(max_connections=settings.concurrency + 4, max_keepalive_connections=settings.concurrency)


def mock_reference(seed: int | None, variant: str | None = None, key: str | None = None) -> ReferenceService:
    """The reference (or a zoo variant of it) as mock mode runs it: brief training, no write hold
    but for the parallel updates (the runner forces "slow-writes" for them), and 429s that announce
    no wait. It accepts `key` (the run's effective key: a `--key`/FACE_KEY given to a mock run
    must not turn every answer into 401)."""
    # A forced slow write holds the lock 10 ms: the in-process parallel updates then overlap in
    # every trial, even on 2 busy cores (the zoo's conflict variants are caught only through a real
    # conflict), and no other update pays for it (a hold on every write cost about 0.7 s a run).
    config = ReferenceConfig(training_seconds=0.2, write_hold_seconds=0.0, rate_limit_wait_seconds=0,
                             seed=MOCK_SEED_OFFSET + (seed or 0), key=key or MOCK_KEY)
    if variant:
        from face_conformance.zoo import VARIANTS

        check_variant(variant)
        return VARIANTS[variant].build(config)
    return ReferenceService(config)


def check_variant(name: str | None) -> None:
    """Raise ConfigError unless `name` is None or a variant of the zoo (the fronts call this on --variant)."""
    if not name:
        return
    from face_conformance.zoo import variant_names

    if name not in variant_names():
        raise ConfigError(f"unknown --variant {name!r}; `face-conformance serve --list-variants` lists them")


def mock_target(settings: Settings, service: ReferenceService | None = None) -> Target:
    """A client whose every request is answered in process by the reference service."""
    service = service or mock_reference(settings.seed, settings.variant, settings.effective_key)
    router = respx.MockRouter(assert_all_mocked=True, assert_all_called=False, base_url=MOCK_BASE_URL)
    router.route().mock(side_effect=service.handle)
    client = httpx.Client(
        base_url=MOCK_BASE_URL,
        transport=httpx.MockTransport(router.handler),
        timeout=_timeout(settings),
    )
    return Target(client=client, base_url=MOCK_BASE_URL, mode="mock", forcer=service.force)


def live_target(settings: Settings, transport: httpx.BaseTransport | None = None) -> Target:
    """A client for a real endpoint: TLS verified, proxies from the environment, timeouts."""
    assert settings.endpoint, "live_target needs an endpoint"
    client = httpx.Client(
        base_url=settings.endpoint,
        timeout=_timeout(settings),
        limits=_limits(settings),
        trust_env=True,
        follow_redirects=False,
        transport=transport,
    )
    # Each request ends by --timeout in total, however slowly a server drips its answer.
    return Target(client=apply_deadlines(client), base_url=settings.endpoint, mode="live")


def make_target(settings: Settings) -> Target:
    """The target the settings name: live with an endpoint, else the embedded reference."""
    return live_target(settings) if settings.endpoint else mock_target(settings)
