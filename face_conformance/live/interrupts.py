"""SIGTERM as Ctrl-C: a run, a replay or a diff that is told to stop still deletes what it created."""

from __future__ import annotations

import signal


def terminate_as_interrupt() -> None:
    """Make SIGTERM raise KeyboardInterrupt, so that finalisers and `finally` blocks run (the teardown)."""
    def handler(signum: int, frame: object) -> None:
        raise KeyboardInterrupt(f"signal {signum}")

    try:
        signal.signal(signal.SIGTERM, handler)
    except ValueError:  # not the main thread (e.g. pytest run from a thread): leave it alone
        pass
