"""Live mode end to end: `face-conformance run --endpoint http://127.0.0.1:PORT` as a subprocess.

Every scenario gets its own loopback server; the module starts them all, runs the CLI against each
(a few at a time: the machine has 2 cores), and the tests then read exit status, reports, output
and what the server holds and saw afterwards.
"""

from __future__ import annotations

import itertools
import re
from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from harness import Run, assert_no_traceback, assert_reports_written, get, live_args, run_cli, run_many
from servers import (
    Recording,
    StoresOnError,
    UnsupportedFeature,
    api,
    conformance_groups,
    list_group_ids,
    model_group_ids,
    reference,
)

from face_conformance.cases import catalogue
from face_conformance.cases.wire import FACE_BASE
from face_conformance.reference import BackgroundServer, ReferenceConfig
from face_conformance.zoo import VARIANTS

KEY = "live-mode-key-7d41"
TRICKY = '  leading and trailing spaces, "quotes", \\back\\slash, é 😀 \u200b\tTab\nnew line, <b>&amp;</b>  '
BULK_LEFTOVERS = 1001  # more than one page (1000) of List Person Groups
RATE_LIMITS = {  # name: (Retry-After header?, seconds the 429 announces)
    "rl-header-1s": (True, 1),
    "rl-message-1s": (False, 1),
    "rl-message-0s": (False, 0),
}
RATE_LIMIT_EVERY = 3


@dataclass
class Live:
    """The module's servers, the runs against them, and what the set-up made by hand."""

    tmp: Path
    servers: dict[str, BackgroundServer] = field(default_factory=dict)
    runs: dict[str, Any] = field(default_factory=dict)
    faces: dict[str, tuple[str, str, str]] = field(default_factory=dict)  # name: (group, person, face)
    log_start: dict[str, int] = field(default_factory=dict)

    def run(self, name: str) -> Run:
        return get(self.runs, name)

    def args(self, name: str, *extra: str, profile: str = "smoke") -> list[str]:
        return live_args(self.servers[name].base_url, KEY, self.tmp / name, *extra, profile=profile)


def make_face(server: BackgroundServer, group: str, user_data: str) -> tuple[str, str, str]:
    """A customer's group, person and face, made by hand, with `user_data` on the face."""
    with api(server.base_url, KEY) as client:
        assert client.put(f"/persongroups/{group}", json={"name": "customer"}).status_code == 200
        person = client.post(f"/persongroups/{group}/persons", json={"name": "p"}).json()["personId"]
        face = client.post(f"/persongroups/{group}/persons/{person}/persistedFaces",
                           json={"url": "https://example.invalid/face.jpg"}).json()["persistedFaceId"]
        answer = client.patch(f"/persongroups/{group}/persons/{person}/persistedFaces/{face}",
                              json={"userData": user_data})
        assert answer.status_code == 200, answer.text
    return group, person, face


def put_in_model(server: BackgroundServer, ids: tuple[str, str, str], user_data: str) -> None:
    """Set a face's userData in the server's model, past whatever its Update Face does to it."""
    group, person, face = ids
    model = server.service.model
    found = model.face(model.person(model.group(group), person), face)
    assert found is not None
    found.user_data = user_data


def stored_user_data(server: BackgroundServer, ids: tuple[str, str, str]) -> Any:
    group, person, face = ids
    with api(server.base_url, KEY) as client:
        answer = client.get(f"/persongroups/{group}/persons/{person}/persistedFaces/{face}")
        assert answer.status_code == 200, answer.text
        return answer.json()["userData"]


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    tmp = tmp_path_factory.mktemp("live")
    state = Live(tmp)
    with ExitStack() as stack:
        def serve(name: str, config: ReferenceConfig | None = None, cls: type = Recording, **kw: Any) -> None:
            state.servers[name] = stack.enter_context(reference(config or ReferenceConfig(key=KEY), cls, **kw))

        jobs: dict[str, list[str]] = {}
        for name in ("smoke", "full"):
            serve(name)
            jobs[name] = state.args(name, profile=name)
        for name, (header, wait) in RATE_LIMITS.items():
            serve(name, ReferenceConfig(key=KEY, rate_limit_every=RATE_LIMIT_EVERY, rate_limit_retry_after=header,
                                        rate_limit_wait_seconds=wait))
            jobs[name] = state.args(name)
        serve("quota", ReferenceConfig(key=KEY, quota_after=5))
        jobs["quota"] = state.args("quota")
        serve("unsupported", cls=UnsupportedFeature)
        jobs["unsupported"] = state.args("unsupported")
        # Bring-your-own against broken servers, and once with the quota running out mid-run.
        for name, cls, quota in (("byo-stores", StoresOnError, None),
                                 ("byo-trims", VARIANTS["trims-whitespace"].build, None),
                                 ("byo-quota", Recording, 4 + 8)):  # 4 requests by hand, then 7 of the run
            serve(name, ReferenceConfig(key=KEY, quota_after=quota), cls)
            state.faces[name] = make_face(state.servers[name], "customer-group", TRICKY)
            put_in_model(state.servers[name], state.faces[name], TRICKY)  # the trimming server trimmed it
            state.log_start[name] = len(state.servers[name].service.request_log)
            group, person, face = state.faces[name]
            jobs[name] = state.args(name, "--person-group-id", group, "--person-id", person,
                                    "--persisted-face-id", face)
        # Determinism: two seeded servers that hand out the same GUIDs, and the same --seed.
        for name in ("seed-a", "seed-b"):
            serve(name, ReferenceConfig(key=KEY, seed=7, training_seconds=3.0))
            jobs[name] = state.args(name, "--seed", "5", profile="full")
        for name in ("mock-seed-a", "mock-seed-b"):
            jobs[name] = ["run", "--seed", "5", "--report-dir", str(tmp / name), "--profile", "full"]
        # Nothing listens on a port just released; .invalid never resolves (RFC 6761), offline too.
        jobs["closed-port"] = live_args(f"http://127.0.0.1:{free_port()}", KEY, tmp / "closed-port")
        jobs["dns"] = live_args("https://nonexistent.invalid", KEY, tmp / "dns")
        # The runs that mostly wait (announced 1 s rate limits) and the long ones start first.
        first = [*RATE_LIMITS, "seed-a", "seed-b", "full", "mock-seed-a", "mock-seed-b"]
        jobs = {name: jobs[name] for name in first} | jobs
        state.runs = run_many(jobs, cwd=tmp, parallel=3, timeout=240)
        yield state


def free_port() -> int:
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def groups_touched(server: BackgroundServer, since: int = 0) -> Counter[tuple[str, str]]:
    """(method, what) of every supporting call that creates, deletes or trains, from the server's log."""
    touched: Counter[tuple[str, str]] = Counter()
    for entry in server.service.request_log[since:]:
        parts = entry.raw_path.rstrip("/").split("/")
        if entry.method in ("PUT", "DELETE") and len(parts) == 5:
            touched[(entry.method, "persongroup")] += 1
        elif entry.method == "POST":
            touched[("POST", parts[-1])] += 1
    return touched


# -- the reference: conformant, and nothing left behind -----------------------------------------------


@pytest.mark.parametrize("profile", ["smoke", "full"])
def test_reference_is_conformant_and_leaves_nothing(live: Live, profile: str) -> None:
    run = live.run(profile)
    server = live.servers[profile]
    assert run.returncode == 0, run.describe()
    assert_no_traceback(run)
    report = assert_reports_written(run)
    assert report["verdict"] == "conformant", run.describe()
    assert report["target"]["mode"] == "live" and report["target"]["profile"] == profile
    assert report["target"]["endpoint"] == server.base_url
    assert sorted(r["id"] for r in report["rows"]) == sorted(catalogue.row_ids())
    assert not [r for r in report["rows"] if r["outcome"] in ("fail", "error")]
    assert "verdict: conformant" in run.stdout
    # List Person Groups, as a user would check: no conformance-* group is left.
    assert conformance_groups(list_group_ids(server.base_url, KEY)) == []
    # ... and every group the run created was deleted by the run.
    created = {e.raw_path for e in server.service.request_log if e.method == "PUT" and e.status == 200}
    deleted = {e.raw_path for e in server.service.request_log if e.method == "DELETE" and e.status == 200}
    assert created and created == deleted
    assert len(created) == 2  # docs/contract.md: two groups, in every profile


# -- rate limiting ------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", list(RATE_LIMITS))
def test_rate_limiting_is_waited_out_not_failed(live: Live, name: str) -> None:
    run, server = live.run(name), live.servers[name]
    header, wait = RATE_LIMITS[name]
    assert_no_traceback(run)
    report = assert_reports_written(run)
    assert run.returncode == 0, run.describe()
    assert report["verdict"] == "conformant"
    rows = run.rows()
    assert rows["429.rate-limit"]["outcome"] == "pass", rows["429.rate-limit"]
    # No row failed, and no row other than the 429 row (and the envelope check) holds a 429 as evidence.
    assert not [r["id"] for r in report["rows"] if r["outcome"] in ("fail", "error")]
    for row in report["rows"]:
        if row["id"] in ("429.rate-limit", "x.error-envelope"):
            continue
        statuses = [(e.get("response") or {}).get("status") for e in row["evidence"]]
        assert 429 not in statuses, (row["id"], row["summary"])
    # Every 429 was answered by repeating the same request (same body too), after the announced wait.
    log = sorted(server.service.timed)
    limited = [i for i, e in enumerate(log) if e[-1] == 429]
    assert len(limited) >= 5, f"only {len(limited)} 429s were sent"
    for i in limited:
        again = next((e for e in log[i + 1:] if e[1:4] == log[i][1:4]), None)
        assert again is not None, f"{log[i][1:3]} got 429 and was never repeated"
        assert again[0] - log[i][0] >= wait * 0.9, f"{log[i][1:3]} repeated after {again[0] - log[i][0]:.2f} s"
    assert conformance_groups(model_group_ids(server.service)) == []


# -- quota and access: inconclusive, said plainly -----------------------------------------------------


def test_quota_ends_the_run_inconclusive_and_says_what_is_left(live: Live) -> None:
    run, server = live.run("quota"), live.servers["quota"]
    assert run.returncode == 3, run.describe()
    assert_no_traceback(run)
    report = assert_reports_written(run)
    assert report["verdict"] == "inconclusive"
    assert "quota" in report["verdict_reason"].lower()
    assert re.search(r"verdict: inconclusive \(.*quota", run.stdout), run.describe()
    assert run.outcome("403.quota") == "pass"  # the 403 came in the page's shape
    # With the quota gone, teardown cannot delete either: it must have tried, and say what is left.
    left = conformance_groups(model_group_ids(server.service))
    assert left, "the scenario expects a group that could not be deleted"
    assert any(e.method == "DELETE" for e in server.service.request_log), "teardown never tried to delete"
    said = " ".join(o["summary"] for o in report["observations"])
    for group in left:
        assert group in said, f"{group} is left on the endpoint but the report does not name it: {said}"
    assert "cleanup" in said


def test_unsupported_feature_says_limited_access(live: Live) -> None:
    run = live.run("unsupported")
    assert run.returncode == 3, run.describe()
    assert_no_traceback(run)
    report = assert_reports_written(run)
    assert report["verdict"] == "inconclusive"
    assert "Limited Access" in report["verdict_reason"]
    assert "Limited Access" in run.stdout
    assert conformance_groups(model_group_ids(live.servers["unsupported"].service)) == []


# -- endpoints that are not there ---------------------------------------------------------------------


@pytest.mark.parametrize(("name", "cause"), [("closed-port", r"cannot connect.*(refused|Errno 111)"),
                                              ("dns", r"cannot connect.*(Name or service not known|not known|"
                                                      r"resolution|getaddrinfo|nodename)")])
def test_unreachable_endpoint_is_inconclusive_in_one_clear_line(live: Live, name: str, cause: str) -> None:
    run = live.run(name)
    assert run.returncode == 3, run.describe()
    assert_no_traceback(run)
    assert run.elapsed < 60, run.describe()
    report = assert_reports_written(run)
    assert report["verdict"] == "inconclusive"
    assert re.search(cause, report["verdict_reason"]), report["verdict_reason"]
    verdicts = [line for line in run.stdout.splitlines() if line.startswith("verdict:")]
    assert len(verdicts) == 1 and re.search(cause, verdicts[0]), run.describe()
    assert report["requests_by_purpose"].get("setup", 0) <= 1  # it stopped at the first call


# -- bring-your-own: the face is put back, nothing is created or deleted ------------------------------


def test_bring_your_own_restores_exactly_after_failing_rows(live: Live) -> None:
    name = "byo-stores"
    run, server = live.run(name), live.servers[name]
    assert run.returncode == 1, run.describe()
    assert_no_traceback(run)
    report = assert_reports_written(run)
    assert report["target"]["run"] == "bring-your-own"
    assert run.outcome("x.no-change-on-error") == "fail"
    assert report["restored"] is True
    assert stored_user_data(server, live.faces[name]) == TRICKY
    assert groups_touched(server, live.log_start[name]) == Counter(), "a bring-your-own run created or deleted"
    assert model_group_ids(server.service) == ["customer-group"]


def test_bring_your_own_says_so_when_it_cannot_restore(live: Live) -> None:
    """A server that trims cannot get the original back: the run must say so, with the value."""
    name = "byo-trims"
    run, server = live.run(name), live.servers[name]
    assert run.returncode == 1, run.describe()
    assert_no_traceback(run)
    report = assert_reports_written(run)
    assert run.outcome("x.read-after-write") == "fail"
    assert report["restored"] is False
    said = " ".join(o["summary"] for o in report["observations"])
    assert "COULD NOT RESTORE" in said and repr(TRICKY) in said, said
    assert "COULD NOT RESTORE" in run.stdout
    assert stored_user_data(server, live.faces[name]) == TRICKY.strip()  # what the broken server can hold
    assert groups_touched(server, live.log_start[name]) == Counter()


def test_bring_your_own_quota_mid_run_says_the_face_was_not_restored(live: Live) -> None:
    name = "byo-quota"
    run, server = live.run(name), live.servers[name]
    assert run.returncode == 3, run.describe()
    assert_no_traceback(run)
    report = assert_reports_written(run)
    assert report["verdict"] == "inconclusive" and "quota" in report["verdict_reason"]
    now = server.service.model.group("customer-group")
    face = next(iter(next(iter(now.persons.values())).faces.values()))
    assert face.user_data != TRICKY, "the scenario expects the quota to end the run after an update got 200"
    assert report["restored"] is False
    said = " ".join(o["summary"] for o in report["observations"])
    assert "COULD NOT RESTORE" in said and repr(TRICKY) in said, said
    assert "COULD NOT RESTORE" in run.stdout
    assert groups_touched(server, live.log_start[name]) == Counter()


# -- determinism -----------------------------------------------------------------------------------


def _normalised(seen: list[tuple[str, str, bytes]]) -> list[tuple[str, str, bytes]]:
    """The requests in order, except: the parallel updates (order is up to threads) sorted among
    themselves, and repeated Training Status polls (their count is up to the clock) collapsed."""
    parallel = sorted(r for r in seen if r[0] == "PATCH" and b'"concurrent-' in r[2])
    out = [r if not (r[0] == "PATCH" and b'"concurrent-' in r[2]) else ("PARALLEL", "", b"") for r in seen]
    out = [k for k, _ in itertools.groupby(out)]
    return out + parallel


def test_same_seed_sends_the_same_requests_live(live: Live) -> None:
    for name in ("seed-a", "seed-b"):
        assert live.run(name).returncode == 0, live.run(name).describe()
    a, b = live.servers["seed-a"].service.seen, live.servers["seed-b"].service.seen
    assert len(a) > 100
    assert Counter(a) == Counter(b), "the two runs sent different requests"
    assert _normalised(a) == _normalised(b), "the two runs sent the same requests in a different order"
    # Group names come from the seed too: the paths match byte for byte, not only after normalising.
    assert {p for _, p, _ in a if p.startswith(f"{FACE_BASE}/persongroups/conformance-")}


def _evidence(run: Run) -> list[tuple[Any, ...]]:
    """Every evidence item but those of the parallel updates: which of them wins the race, and so
    which conflict and what Get Face shows after them, is up to the threads (as in the live test)."""
    items = [(row["id"], e["request"]["method"], e["request"]["url"], e["request"]["body"],
              (e.get("response") or {}).get("status"), (e.get("response") or {}).get("body"))
             for row in run.report["rows"] for e in row["evidence"] if e.get("request")]
    return [item for item in items if not any('"concurrent-' in str(part) for part in item)]


def test_same_seed_sends_the_same_requests_mock(live: Live) -> None:
    a, b = live.run("mock-seed-a"), live.run("mock-seed-b")
    for run in (a, b):
        assert run.returncode == 0, run.describe()
        assert run.report["target"]["mode"] == "mock"
    assert a.report["requests"] == b.report["requests"] > 100
    assert a.report["requests_by_purpose"] == b.report["requests_by_purpose"]
    assert _evidence(a) and _evidence(a) == _evidence(b)
    assert a.report["observations"] == b.report["observations"]


# -- cleanup ----------------------------------------------------------------------------------------


def test_cleanup_deletes_leftover_conformance_groups_only(tmp_path: Path) -> None:
    keep = ["customer-group", "conformance", "my-conformance-1", "conformance_old"]
    with reference(ReferenceConfig(key=KEY)) as server:
        with api(server.base_url, KEY) as client:
            for group in ["conformance-old1", *keep]:
                assert client.put(f"/persongroups/{group}", json={"name": group}).status_code == 200
        now = datetime.now(UTC)
        for i in range(BULK_LEFTOVERS):  # more than one page, made in the model directly (fast)
            server.service.model.create_group(f"conformance-bulk-{i:05d}", "left over", None, now)
        run = run_cli("cleanup", "--endpoint", server.base_url, "--key", KEY, cwd=tmp_path, timeout=120)
        assert run.returncode == 0, run.describe()
        assert_no_traceback(run)
        assert sorted(list_group_ids(server.base_url, KEY)) == sorted(keep)
        assert "deleted person group conformance-old1" in run.stdout
        assert f"{BULK_LEFTOVERS + 1} leftover conformance-* group(s) deleted" in run.stdout
        deletes = [e for e in server.service.request_log if e.method == "DELETE"]
        assert len(deletes) == BULK_LEFTOVERS + 1
        assert all("/conformance-" in e.raw_path for e in deletes)
        # Run again: nothing left to do.
        again = run_cli("cleanup", "--endpoint", server.base_url, "--key", KEY, cwd=tmp_path, timeout=60)
        assert again.returncode == 0 and "0 leftover conformance-* group(s) deleted" in again.stdout


def test_cleanup_with_a_wrong_key_is_inconclusive_in_one_line(tmp_path: Path) -> None:
    with reference(ReferenceConfig(key=KEY)) as server:
        server.service.model.create_group("conformance-old1", "left over", None, datetime.now(UTC))
        run = run_cli("cleanup", "--endpoint", server.base_url, "--key", "wrong", cwd=tmp_path, timeout=60)
        assert run.returncode == 3, run.describe()
        assert_no_traceback(run)
        assert len(run.stderr.strip().splitlines()) == 1 and "401" in run.stderr, run.describe()
        assert model_group_ids(server.service) == ["conformance-old1"]
