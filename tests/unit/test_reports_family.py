"""Every report names the operation of the family and the API version a run addressed.

A result is built as the other report tests build one (`sample_result()`), with the rows of the
operation selected while it is built (`operation.using`) and the operation record `build_result`
gives it; it is rendered after the block ends, so what a report names comes from the result, not
from the operation selected at render time. Rows the operation makes not applicable go every
report's way as `400.name-too-long` does: `not-applicable`, with the reason.
"""

from __future__ import annotations

import gzip
import io
import json
import re
from pathlib import Path
from typing import Any

import pytest
from junitparser import JUnitXml, Skipped
from rich.console import Console
from sample_result import sample_result

from face_conformance.cases import catalogue, operation
from face_conformance.config.settings import Settings, settings_record
from face_conformance.evidence.har import build_har, read_har
from face_conformance.evidence.record import operation_of, operation_record
from face_conformance.evidence.run_record import RunRecord
from face_conformance.judging.findings import Finding
from face_conformance.judging.ledger import Ledger
from face_conformance.reporting import write_reports
from face_conformance.reporting.diff_report import render_html as render_diff_html
from face_conformance.reporting.diff_report import render_markdown as render_diff_markdown
from face_conformance.reporting.terminal import print_diff, print_summary
from face_conformance.run.replay import rejudge
from face_conformance.run.run_result import build_result

LFL_TITLE, LFL_PATH = ("LargeFaceList - Update Face",
                       "/face/v1.2/largefacelists/{largeFaceListId}/persistedfaces/{persistedFaceId}")
PG_TITLE, PG_PATH = ("PersonGroup Person - Update Face",
                     "/face/v1.0/persongroups/{personGroupId}/persons/{personId}/persistedFaces/{persistedFaceId}")
#: The rows a large face list has no use for, and why (the page's own N/A row among them).
LFL_NOT_APPLICABLE = ("400.name-too-long", "404.person-invalid", "404.person-missing")
RECORDINGS = Path(__file__).resolve().parents[1] / "data" / "recordings"


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)


def family_result(name: str = "largefacelist", version: str = "v1.2") -> dict[str, Any]:
    """A result of a run of `name` on `version`: its rows as a ledger folds them, and its operation record."""
    with operation.using(name, version) as chosen:
        ledger = Ledger()
        ledger.add(Finding(catalogue.success_row(), "pass", "as documented", None))
        result = sample_result(rows=ledger.rows(), operation=operation_record(chosen), verdict="conformant",
                               verdict_reason="every MUST row that was observed passed", exit_code=0)
    assert operation.current().name == operation.DEFAULT_OPERATION  # rendered with the page's operation selected
    return result


def rendered(result: dict[str, Any], where: Path) -> dict[str, str]:
    """Every report of a result as text: the four files, the terminal summary and exchanges.har."""
    paths = write_reports(result, where)
    texts = {kind: path.read_text(encoding="utf-8") for kind, path in paths.items()}
    console = Console(record=True, width=400, force_terminal=False, file=io.StringIO())
    print_summary(result, where, console)  # type: ignore[arg-type]
    texts["terminal"] = console.export_text()
    named = operation_of(result)
    settings = settings_record(Settings(operation=named["name"], api_version=named["version"]))
    har = build_har(RunRecord("embedded reference"), settings, result)  # type: ignore[arg-type]
    texts["har"] = json.dumps(har, ensure_ascii=False)
    return texts


def _properties(junit: Path) -> dict[str, str]:
    suite = next(iter(JUnitXml.fromfile(str(junit))))
    return {p.name: p.value for p in suite.properties()}


# ---- the operation and version, named ----------------------------------------------------------


def test_every_report_of_a_large_face_list_run_names_it_and_v1_2(tmp_path: Path) -> None:
    texts = rendered(family_result(), tmp_path)
    for kind, text in texts.items():
        assert LFL_TITLE in text and "v1.2" in text, kind
        assert PG_TITLE not in text, kind
    assert json.loads(texts["json"])["operation"] == {"name": "largefacelist", "version": "v1.2",
                                                      "title": LFL_TITLE, "patch_path": LFL_PATH}
    assert f'class="eyebrow">Conformance report · Azure Face API v1.2 · {LFL_TITLE}</p>' in texts["html"]
    assert f"Operation: **{LFL_TITLE}, API v1.2** (`PATCH {LFL_PATH}`)" in texts["markdown"]
    assert f"face-conformance: {LFL_TITLE}, API v1.2 on " in texts["terminal"]
    expected = {"operation": "largefacelist", "operation-title": LFL_TITLE, "api-version": "v1.2",
                "patch-path": LFL_PATH}
    assert _properties(tmp_path / "junit.xml").items() >= expected.items()


def test_a_person_group_run_still_names_person_group_person_on_v1_0(tmp_path: Path) -> None:
    texts = rendered(family_result(operation.DEFAULT_OPERATION, operation.DEFAULT_VERSION), tmp_path / "new")
    old = rendered(sample_result(), tmp_path / "old")  # a result written before operations were named
    for kind in texts:
        assert PG_TITLE in texts[kind] and "v1.0" in texts[kind], kind
        assert kind == "json" or PG_TITLE in old[kind] and "v1.0" in old[kind], kind
        assert LFL_TITLE not in texts[kind] + old[kind], kind
    eyebrow = f'class="eyebrow">Conformance report · Azure Face API v1.0 · {PG_TITLE}</p>'
    assert eyebrow in texts["html"] and eyebrow in old["html"]
    assert "operation" not in json.loads(old["json"])  # conformance.json is the result as it was given
    assert _properties(tmp_path / "old" / "junit.xml")["operation"] == "persongroup"


def test_the_har_records_the_operation_and_version(tmp_path: Path) -> None:
    har = json.loads(rendered(family_result(), tmp_path)["har"])["log"]
    ours = har["_conformance"]
    assert ours["operation"] == {"name": "largefacelist", "version": "v1.2", "title": LFL_TITLE,
                                 "patch_path": LFL_PATH}
    assert (ours["settings"]["operation"], ours["settings"]["api_version"]) == ("largefacelist", "v1.2")
    assert har["comment"].startswith(f"{LFL_TITLE}, API v1.2; target ")
    assert LFL_TITLE in har["pages"][0]["title"]
    path = tmp_path / "exchanges.har"
    path.write_text(json.dumps({"log": har}), encoding="utf-8")
    assert read_har(path).operation["name"] == "largefacelist"


def test_an_old_recording_is_read_as_person_group_v1_0(tmp_path: Path) -> None:
    path = tmp_path / "old.har"
    path.write_bytes(gzip.decompress((RECORDINGS / "0b53136-mock.har.gz").read_bytes()))
    recorded = read_har(path)
    assert "operation" not in recorded.settings and "api_version" not in recorded.settings
    assert recorded.operation == {"name": "persongroup", "version": "v1.0", "title": PG_TITLE, "patch_path": PG_PATH}
    assert operation_of({}) == recorded.operation
    assert operation_of({"operation": {"name": "largefacelist"}})["version"] == "v1.0"


def test_a_result_built_from_the_settings_names_their_operation() -> None:
    """`build_result` takes the operation from the run's settings (a replay's are the recording's)."""
    settings = Settings(operation="largefacelist", api_version="v1.2")
    with operation.using("largefacelist", "v1.2"):
        result = build_result(settings, RunRecord("embedded reference"), Ledger(), started="2026-01-01T00:00:00Z",
                              duration_s=0.0)
    assert result["operation"] == {"name": "largefacelist", "version": "v1.2", "title": LFL_TITLE,
                                   "patch_path": LFL_PATH}
    assert list(result)[:2] == ["suite", "operation"]


@pytest.mark.parametrize(("named", "expected"), [(("largefacelist", "v1.2"), ("largefacelist", "v1.2")),
                                               ((None, None), ("persongroup", "v1.0"))])
def test_a_replay_names_the_recording_s_operation(named: tuple[str | None, str | None], expected: tuple[str, str],
                                                   tmp_path: Path) -> None:
    """A recording's settings name its operation (one made before they did has none: PersonGroup Person, v1.0)."""
    har = json.loads(rendered(family_result(), tmp_path / "run")["har"])
    settings = har["log"]["_conformance"]["settings"]
    settings.update({"operation": named[0], "api_version": named[1]})
    if named[0] is None:
        del settings["operation"], settings["api_version"], har["log"]["_conformance"]["operation"]
    path = tmp_path / "exchanges.har"
    path.write_text(json.dumps(har), encoding="utf-8")
    with operation.using("largepersongroup", "v1.0"):  # whatever is selected, the recording's is judged
        result = rejudge(path, report_dir=tmp_path / "replay").result
    assert (result["operation"]["name"], result["operation"]["version"]) == expected
    text = rendered(result, tmp_path / "replay")["markdown"]
    assert f"{operation.get(*expected).title}, API {expected[1]}" in text


# ---- rows not applicable to the operation -----------------------------------------------------


def test_rows_the_operation_makes_not_applicable_are_reported_with_their_reason(tmp_path: Path) -> None:
    result = family_result()
    reasons = {row["id"]: row["summary"] for row in result["rows"] if row["outcome"] == "not-applicable"}
    assert tuple(reasons) == LFL_NOT_APPLICABLE
    assert reasons["404.person-invalid"] == "A large face list has no person: its path has no personId."
    texts = rendered(result, tmp_path)
    for row_id, reason in reasons.items():
        assert re.search(rf'<tr data-row-id="{re.escape(row_id)}" data-outcome="not-applicable" data-level="N/A">',
                         texts["html"]), row_id
        assert f"`{row_id}` ({reason})" in texts["markdown"], row_id
        cells = rf"{re.escape(row_id)} *│ N/A *│ not-applicable *│ \d+ *│ {re.escape(reason)}"
        assert re.search(cells, texts["terminal"]), row_id
    cases = {case.name: case for suite in JUnitXml.fromfile(str(tmp_path / "junit.xml")) for case in suite}
    for row_id, reason in reasons.items():
        skipped = cases[row_id].result[0]
        assert isinstance(skipped, Skipped) and skipped.message == f"not-applicable: {reason}"
    assert json.loads(texts["har"])["log"]["_conformance"]["not_applicable"] == reasons


def test_the_markdown_lists_the_page_s_own_not_applicable_row_too(tmp_path: Path) -> None:
    text = rendered(family_result("persongroup", "v1.0"), tmp_path)["markdown"]
    line = next(line for line in text.splitlines() if line.startswith("Not applicable: "))
    assert re.findall(r"`([^`]+)`", line) == ["400.name-too-long"]


# ---- the diff's reports ------------------------------------------------------------------------


def _diff_record(a: dict[str, Any] | None, b: dict[str, Any] | None) -> dict[str, Any]:
    def side(label: str, named: dict[str, Any] | None) -> dict[str, Any]:
        out = {"label": label, "mode": "replay", "verdict": "conformant", "verdict_reason": "-", "requests": 3}
        return out | ({"operation": named} if named else {})

    return {"a": side("recording a.har", a), "b": side("embedded reference (mock)", b), "verdict": "no-regression",
            "verdict_reason": "no regression", "counts": {}, "rows": [], "probes": []}


def test_the_diff_names_the_operation_of_its_sides(capsys: pytest.CaptureFixture[str]) -> None:
    lfl = operation_record(operation.get("largefacelist", "v1.2"))
    record = _diff_record(lfl, lfl)
    assert f'class="eyebrow">Conformance diff · Azure Face API v1.2 · {LFL_TITLE}</p>' in render_diff_html(record)
    assert f"{LFL_TITLE}, API v1.2" in render_diff_markdown(record)
    print_diff(record, Path("diff"))
    assert f"operation: {LFL_TITLE}, API v1.2" in capsys.readouterr().out
    old = _diff_record(None, None)
    assert f"Conformance diff · Azure Face API v1.0 · {PG_TITLE}</p>" in render_diff_html(old)
    mixed = render_diff_markdown(_diff_record(None, lfl))
    assert f"A: {PG_TITLE}, API v1.0; B: {LFL_TITLE}, API v1.2" in mixed
