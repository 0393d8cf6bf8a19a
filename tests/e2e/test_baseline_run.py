"""Baselines end to end: today's Azure drift fails a run without a baseline and passes with one."""

from __future__ import annotations

import json
from pathlib import Path

import yaml
from harness import run_cli

AZURE = Path(__file__).parents[2] / "baselines" / "azure-current.yaml"



def rows(report_dir: Path) -> dict[str, dict]:
    """The rows of a written conformance.json, by ID."""
    result = json.loads((report_dir / "conformance.json").read_text(encoding="utf-8"))
    return {r["id"]: r for r in result["rows"]}


def test_azure_401_code_fails_without_a_baseline_and_is_accepted_with_it(tmp_path: Path) -> None:
    """A server answering 401 with code "401" (Azure today) is non-conformant, unless the baseline accepts it."""
    bare = run_cli("run", "--variant", "key-code-401", "--profile", "smoke", "--report-dir", "bare", cwd=tmp_path)
    assert bare.returncode == 1, bare.stdout[-2000:] + bare.stderr[-2000:]
    assert rows(tmp_path / "bare")["401.invalid-key"]["outcome"] == "fail"

    based = run_cli("run", "--variant", "key-code-401", "--profile", "smoke", "--report-dir", "based",
                    "--baseline", str(AZURE), cwd=tmp_path)
    assert based.returncode == 0, based.stdout[-2000:] + based.stderr[-2000:]
    row = rows(tmp_path / "based")["401.invalid-key"]
    assert row["outcome"] == "accepted"
    assert row.get("accepted_reason"), row
    assert "accepted" in based.stdout
    result = json.loads((tmp_path / "based" / "conformance.json").read_text(encoding="utf-8"))
    stale = {entry["row"] for entry in result["baseline"]["stale"]}
    assert "401.invalid-key" not in stale and "429.rate-limit" in stale  # 429 never came: reported stale


def test_baseline_command_writes_a_baseline_that_accepts_the_run(tmp_path: Path) -> None:
    """`face-conformance baseline --from` turns a failed run into a starting baseline that accepts it."""
    run_cli("run", "--variant", "key-code-401", "--profile", "smoke", "--report-dir", "first", cwd=tmp_path)
    made = run_cli("baseline", "--from", "first/conformance.json", "--out", "mine.yaml", cwd=tmp_path)
    assert made.returncode == 0, made.stderr
    entries = yaml.safe_load((tmp_path / "mine.yaml").read_text(encoding="utf-8"))["entries"]
    assert {e["row"] for e in entries} == {"401.invalid-key"}
    again = run_cli("run", "--variant", "key-code-401", "--profile", "smoke", "--report-dir", "again",
                    "--baseline", "mine.yaml", cwd=tmp_path)
    assert again.returncode == 0, again.stdout[-2000:]
    assert rows(tmp_path / "again")["401.invalid-key"]["outcome"] == "accepted"
