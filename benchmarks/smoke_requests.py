#!/usr/bin/env python
"""Requests a live smoke run sends, against the floor of `face_conformance.cases.economy`.

    python benchmarks/smoke_requests.py [--operation NAME] [--api-version V]

Serves the reference on loopback (a real socket, live mode), runs
`face-conformance run --endpoint URL --key K --profile smoke` (on the operation and version given,
the page's by default), counts the requests the server saw and prints them by purpose, the
operation's floor term by term, and the ratio (goal: at most 1.5).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from face_conformance.cases import economy, operation
from face_conformance.reference import BackgroundServer, ReferenceConfig, ReferenceService

KEY = "smoke-benchmark-key-0123456789"


def cli() -> list[str]:
    script = Path(sys.executable).with_name("face-conformance")
    return [str(script)] if script.is_file() else [sys.executable, "-m", "face_conformance.cli"]


def smoke_run(report_dir: Path, target: list[str]) -> tuple[list, dict, float]:
    """(the server's request log, conformance.json, wall seconds) of one live smoke run."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("FACE_")}
    env.update({"NO_PROXY": "127.0.0.1,localhost", "no_proxy": "127.0.0.1,localhost"})
    with BackgroundServer(ReferenceService(ReferenceConfig(key=KEY))) as server:
        started = time.monotonic()
        done = subprocess.run([*cli(), "run", "--endpoint", server.base_url, "--key", KEY, "--profile", "smoke",
                               "--report-dir", str(report_dir), *target], capture_output=True, text=True, timeout=300,
                              env=env)
        wall = time.monotonic() - started
        log = server.service.request_log
    if done.returncode != 0:
        sys.stderr.write(done.stdout[-3000:] + done.stderr[-3000:])
    return log, json.loads((report_dir / "conformance.json").read_text(encoding="utf-8")), wall


def main(argv: list[str]) -> int:
    """Run once, print the requests by purpose, the floor term by term, and the ratio."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--operation", choices=operation.operation_names(), default=operation.DEFAULT_OPERATION)
    parser.add_argument("--api-version", choices=operation.version_names(), default=operation.DEFAULT_VERSION)
    args = parser.parse_args(argv)
    name, version = args.operation, args.api_version
    operation.select(name, version)
    with tempfile.TemporaryDirectory(prefix="fc-smoke-") as tmp:
        log, result, wall = smoke_run(Path(tmp), ["--operation", name, "--api-version", version])
    print(f"operation: {operation.current().label}")
    floor = economy.minimum_smoke_requests()
    sent = len(log)
    print(f"live smoke run against the reference on loopback: verdict {result['verdict']}, {wall:.1f} s")
    print(f"sent {sent} requests (the run counted {result['requests']}); by purpose:")
    for purpose, count in sorted(result["requests_by_purpose"].items()):
        print(f"  {purpose:24} {count}")
    print("by method and status: " + ", ".join(f"{k} x{v}" for k, v in
                                             sorted(Counter(f"{e.method} {e.status}" for e in log).items())))
    print(f"floor ({floor} requests):")
    for term in economy.minimum_terms():
        print(f"  {term.name:10} {term.requests:3}  {term.why}")
    outcomes = {row["id"]: row["outcome"] for row in result["rows"]}
    missed = [row for row in economy.at_will_rows() if outcomes.get(row) in ("not-observed", "error", None)]
    print(f"rows provokable at will not observed: {', '.join(missed) or 'none'}")
    ratio = sent / floor
    print(f"RATIO smoke requests / floor: {sent}/{floor} = {ratio:.2f} "
          f"(goal <= {economy.SMOKE_BUDGET_RATIO}: {'met' if ratio <= economy.SMOKE_BUDGET_RATIO else 'MISSED'})")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
