#!/usr/bin/env python
"""Wall time of `.ci/run` from a clean clone, for this commit and a baseline, one after the other.

    python benchmarks/ci_wall.py [--baseline REF] [--ref REF] [--goal RATIO]

Clones the repository twice into fresh temporary folders (REF, `HEAD` by default, and the baseline,
`0b53136` by default: the layout issue's "today"), runs `bash .ci/run` in each with `CI=true`, as CI
does, one after the other so that neither slows the other, and prints each wall time, its exit
status and the ratio REF / baseline against the goal (0.6). Each run installs its own venv; run it
on an otherwise idle machine, since the tiers use both cores. About 15 minutes here.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def timed_ci(ref: str) -> tuple[float, int, str]:
    """Clone the repository at `ref` into a fresh folder and time `bash .ci/run` there: wall s, exit, log tail."""
    with tempfile.TemporaryDirectory(prefix="ci-wall-") as tmp:
        clone = Path(tmp) / "clone"
        subprocess.run(["git", "clone", "-q", str(ROOT), str(clone)], check=True)
        subprocess.run(["git", "-C", str(clone), "checkout", "-q", ref], check=True)
        # As CI starts it: no venv of the caller's on the path, CI set.
        venv = os.environ.get("VIRTUAL_ENV")
        env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH")}
        env["PATH"] = os.pathsep.join(p for p in env.get("PATH", "").split(os.pathsep)
                                      if not venv or not p.startswith(venv))
        env["CI"] = "true"
        started = time.monotonic()
        done = subprocess.run(["bash", ".ci/run"], cwd=clone, env=env, stdin=subprocess.DEVNULL,
                              capture_output=True, text=True, check=False)
        wall = time.monotonic() - started
        return wall, done.returncode, (done.stdout + done.stderr)[-1500:]


def main() -> int:
    """Time both runs and print the ratio; exit 1 if either `.ci/run` failed."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ref", default="HEAD", help="the commit to time (default: HEAD)")
    parser.add_argument("--baseline", default="0b53136", help="the commit to compare with (default: 0b53136)")
    parser.add_argument("--goal", type=float, default=0.6, help="the ratio to stay within (default: 0.6)")
    args = parser.parse_args()
    results = {}
    for ref in (args.ref, args.baseline):
        commit = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", ref], capture_output=True,
                                text=True, check=True).stdout.strip()
        wall, code, tail = timed_ci(ref)
        results[ref] = wall
        print(f"{ref} ({commit}): .ci/run exit {code}, {wall:.0f} s wall", flush=True)
        if code != 0:
            print(tail, file=sys.stderr)
            return 1
    ratio = results[args.ref] / results[args.baseline]
    met = "met" if ratio <= args.goal else "missed"
    print(f"ratio {results[args.ref]:.0f} / {results[args.baseline]:.0f} s = {ratio:.2f} (goal <= {args.goal}: {met})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
