"""Self-tests of `face_conformance.reporting`: the four report files, from hand-built results.

The results are built from `sample_result()` (`tests/sample_result.py`, which the baseline and
browser tests use too): it holds every catalogue row, failures with evidence, a hostile body
(`<script>`, control characters, 50,000 characters) and a timeout, so each format is tested against
what a misbehaving server can send.
"""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any

import pytest
from junitparser import Error, Failure, JUnitXml, Skipped
from sample_result import SAMPLE_OUTCOMES, evidence, sample_result

from face_conformance import reporting
from face_conformance.cases import catalogue
from face_conformance.cases.outcomes import MEANING, Outcome
from face_conformance.reporting import html_kit, write_reports
from face_conformance.reporting.common import counts, needs_attention


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests must not append to a real CI step summary, nor depend on the shell's variables."""
    monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)


def passing_result() -> dict[str, Any]:
    """A conformant result: every applicable row passes, 400.name-too-long is not applicable."""
    result = sample_result(
        verdict="conformant", verdict_reason="every MUST row passed", exit_code=0, baseline=None
    )
    for row in result["rows"]:
        row["outcome"] = "not-applicable" if row["level"] == "N/A" else "pass"
        row["evidence"] = [] if row["level"] == "N/A" else [evidence("pass", "as documented", 200, "")]
        row.pop("accepted_reason", None)
    return result


def _ids(outcome: str) -> set[str]:
    return {rid for rid, o in SAMPLE_OUTCOMES.items() if o == outcome}


@pytest.fixture
def written(tmp_path: Path) -> dict[str, Path]:
    """The sample result's reports, written into a directory that does not exist yet."""
    return write_reports(sample_result(), tmp_path / "nested" / "reports")


# ---- the package --------------------------------------------------------------------------------


def test_public_names_are_pinned() -> None:
    assert sorted(reporting.__all__) == [
        "build_junit",
        "render_html",
        "render_json",
        "render_markdown",
        "write_reports",
    ]


def test_write_reports_creates_the_directory_and_all_four_files(written: dict[str, Path]) -> None:
    assert set(written) == {"json", "html", "junit", "markdown"}
    names = {path.name for path in written.values()}
    assert names == {"conformance.json", "report.html", "junit.xml", "summary.md"}
    assert all(path.is_file() and path.stat().st_size > 0 for path in written.values())


def test_minimal_result_without_optional_keys_still_renders(tmp_path: Path) -> None:
    result = {
        "target": {"endpoint": "embedded reference", "mode": "mock"},
        "verdict": "inconclusive",
        "rows": [{"id": rid, "outcome": "not-observed"} for rid in catalogue.row_ids()],
    }
    paths = write_reports(result, tmp_path)
    page = paths["html"].read_text(encoding="utf-8")
    assert 'data-verdict="inconclusive"' in page
    assert "Invalid Face ID" in page  # page text filled in from the catalogue
    assert len(JUnitXml.fromfile(str(paths["junit"]))) == 1


# ---- conformance.json ---------------------------------------------------------------------------


def test_json_round_trips(written: dict[str, Path]) -> None:
    text = written["json"].read_text(encoding="utf-8")
    assert json.loads(text) == sample_result()
    assert "人物组" in text  # ensure_ascii=False: Chinese stays readable
    assert text.startswith('{\n  "suite"')  # indent 2


def test_a_key_that_slipped_through_is_masked_everywhere(tmp_path: Path) -> None:
    secret = "0123456789abcdef0123456789abcdef"
    result = sample_result()
    item = result["rows"][0]["evidence"][0]
    item["request"]["headers"]["Ocp-Apim-Subscription-Key"] = secret
    item["request"]["url"] += f"?subscription-key={secret}"
    item["curl"] = f"curl -H 'Ocp-Apim-Subscription-Key: {secret}' '{item['request']['url']}'"
    paths = write_reports(result, tmp_path)
    for path in paths.values():
        assert secret not in path.read_text(encoding="utf-8"), path.name
    assert result["rows"][0]["evidence"][0]["request"]["headers"]["Ocp-Apim-Subscription-Key"] == secret


# ---- report.html --------------------------------------------------------------------------------


def test_html_shows_the_verdict_and_every_row(written: dict[str, Path]) -> None:
    page = written["html"].read_text(encoding="utf-8")
    assert re.search(r'id="verdict"[^>]*data-verdict="non-conformant"', page)
    assert "Non-conformant" in page and "3 MUST rows failed" in page
    for row_id in catalogue.row_ids():
        assert f'<tr data-row-id="{row_id}"' in page
        assert f'id="row-{row_id}"' in page
    assert 'data-outcome="fail" data-count="3"' in page
    assert "人物组" in page and "Invalid person group ID" in page


def test_html_has_no_external_resource(written: dict[str, Path]) -> None:
    page = written["html"].read_text(encoding="utf-8")
    assert not re.search(r"""(?i)\b(?:src|href|action|poster|data)\s*=\s*["']?\s*(?:https?:)?//""", page)
    assert not re.search(r"(?i)url\(|@import|<link\b|<iframe\b|<img\b", page)
    assert page.count("<script") == 1  # ours, inline: no src
    assert "<script>" in page and "<script src" not in page


def test_html_escapes_hostile_bodies_and_cuts_huge_ones(written: dict[str, Path]) -> None:
    page = written["html"].read_text(encoding="utf-8")
    assert 'alert("pwned")' not in page
    assert "&lt;script&gt;alert(&quot;pwned&quot;)&lt;/script&gt;" in page
    assert "Body cut: first 2,000 of" in page
    assert "A" * 2500 not in page
    assert len(page) < 200_000


def test_html_evidence_sections_open_for_failures(written: dict[str, Path]) -> None:
    page = written["html"].read_text(encoding="utf-8")
    sections = dict(
        re.findall(r'<section class="row-detail" id="row-([^"]+)"[^>]*>(.*?)</section>', page, re.S)
    )
    assert sections["401.invalid-key"].startswith("<details open>")
    assert sections["x.concurrent-writes"].startswith("<details open>")  # error
    assert sections["200.ok"].startswith("<details>")
    assert 'class="evidence" data-verdict="fail"' in sections["401.invalid-key"]
    assert "Ocp-Apim-Subscription-Key: ***" in sections["401.invalid-key"]  # the curl line
    assert "No answer: timeout after 30 s" in sections["415.media-type"]
    assert "Azure sends code" in sections["429.rate-limit"]  # the accepted reason


def test_html_lists_observations_and_stale_baseline_entries(written: dict[str, Path]) -> None:
    page = written["html"].read_text(encoding="utf-8")
    observations = page.split('id="observations"', 1)[1].split("</section>", 1)[0]
    assert 'data-observation-id="info.userdata-reading"' in observations
    stale = page.split('id="baseline"', 1)[1].split("</section>", 1)[0]
    assert 'data-row-id="403.quota"' in stale and "old quota shape" in stale


def test_every_outcome_has_a_meaning_and_a_colour_in_the_html() -> None:
    assert set(MEANING) == set(Outcome) and all(MEANING.values())
    for outcome in Outcome:
        assert f".o-{outcome}{{" in html_kit.CSS, outcome


def test_every_count_chip_explains_its_outcome(written: dict[str, Path]) -> None:
    page = written["html"].read_text(encoding="utf-8")
    for outcome in Outcome:
        assert re.search(rf'data-outcome="{outcome}" data-count="\d+" title="{re.escape(MEANING[outcome])}"', page)


def test_failed_evidence_is_also_given_as_the_failure_text(written: dict[str, Path]) -> None:
    page = written["html"].read_text(encoding="utf-8")
    sections = dict(
        re.findall(r'<section class="row-detail" id="row-([^"]+)"[^>]*>(.*?)</section>', page, re.S)
    )
    text = re.search(r'<details class="as-text"><summary>As text</summary><pre>(.*?)</pre>',
                     sections["401.invalid-key"], re.S)
    assert text is not None
    assert text.group(1).startswith("FAIL 401.invalid-key (MUST): ")
    assert "  reproduce: curl -X PATCH" in text.group(1)
    assert 'class="as-text"' not in sections["200.ok"]  # only failures: a passing item needs no bug report


def test_counts_and_attention_follow_the_one_vocabulary() -> None:
    rows = [{"outcome": o} for o in ("pass", "fail", "fail", "later")]
    assert list(counts(rows)) == [*(o.value for o in Outcome), "later"]
    assert counts(rows)["fail"] == 2 and counts(rows)["later"] == 1
    quiet = [{"outcome": o} for o in ("pass", "info", "not-applicable")]
    loud = [{"outcome": o} for o in ("fail", "error", "warn", "accepted", "not-observed", "later")]
    assert needs_attention(quiet + loud) == loud


# ---- junit.xml ----------------------------------------------------------------------------------


def _cases(path: Path) -> dict[str, Any]:
    doc = JUnitXml.fromfile(str(path))
    suites = list(doc)
    assert [suite.name for suite in suites] == ["face-conformance"]
    cases = list(suites[0])
    assert [case.name for case in cases] == list(catalogue.row_ids())
    return {case.name: case for case in cases}


def test_junit_has_one_testcase_per_row_with_the_right_kind(written: dict[str, Path]) -> None:
    cases = _cases(written["junit"])
    kinds = {name: {type(r) for r in case.result} for name, case in cases.items()}
    assert {n for n, k in kinds.items() if Failure in k} == _ids("fail")
    assert {n for n, k in kinds.items() if Error in k} == _ids("error")
    assert {n for n, k in kinds.items() if Skipped in k} == _ids("not-observed") | _ids(
        "not-applicable"
    ) | _ids("accepted")
    assert cases["200.ok"].classname == "MUST" and cases["x.lookup-order"].classname == "SHOULD"


def test_junit_failure_carries_summary_notes_and_curl(written: dict[str, Path]) -> None:
    cases = _cases(written["junit"])
    failure = cases["401.invalid-key"].result[0]
    assert failure.message == "401.invalid-key: fail | with a pipe"
    # The reproduce line is the failure formatter's (the same as the terminal's and pytest's).
    assert "expected code Unspecified" in failure.text and "  reproduce: curl -X PATCH" in failure.text
    # The hostile body's NUL and BEL are XML-illegal: shown escaped, and the file still parsed.
    assert "\\x00\\x07" in cases["400.userdata-too-long"].result[0].text
    assert "Azure sends code" in cases["429.rate-limit"].result[0].message


def test_junit_warn_passes_with_the_warning_unless_strict(tmp_path: Path) -> None:
    lenient = _cases(write_reports(sample_result(), tmp_path / "a")["junit"])
    assert lenient["x.lookup-order"].is_passed
    assert "WARNING" in lenient["x.lookup-order"].system_out
    strict_result = sample_result()
    strict_result["target"]["strict"] = True
    strict = _cases(write_reports(strict_result, tmp_path / "b")["junit"])
    assert strict["x.lookup-order"].is_failure


# ---- summary.md ---------------------------------------------------------------------------------


def test_summary_lists_the_rows_that_did_not_pass(written: dict[str, Path]) -> None:
    text = written["markdown"].read_text(encoding="utf-8")
    assert text.startswith("### [FAIL] Face conformance: non-conformant")
    assert "`http://127.0.0.1:8080`" in text
    table = [line for line in text.splitlines() if line.startswith("| `")]
    listed = {re.match(r"\| `([^`]+)`", line).group(1) for line in table}
    attention = _ids("fail") | _ids("error") | _ids("warn") | _ids("accepted") | _ids("not-observed")
    assert listed == attention
    assert all(line.count(" | ") == 3 for line in table)  # the summaries' pipes are escaped
    assert "Stale baseline entries" in text and "403.quota" in text


def test_summary_says_all_passed_when_nothing_failed(tmp_path: Path) -> None:
    text = write_reports(passing_result(), tmp_path)["markdown"].read_text(encoding="utf-8")
    assert text.startswith("### [PASS] Face conformance: conformant")
    assert f"All {len(catalogue.row_ids())} rows passed." in text
    assert "| Row |" not in text


def test_step_summary_is_appended(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    step = tmp_path / "step-summary.md"
    step.write_text("earlier step\n", encoding="utf-8")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(step))
    paths = write_reports(copy.deepcopy(sample_result()), tmp_path / "reports")
    text = step.read_text(encoding="utf-8")
    assert text.startswith("earlier step\n")
    assert text.endswith(paths["markdown"].read_text(encoding="utf-8"))
