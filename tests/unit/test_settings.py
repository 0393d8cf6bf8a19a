"""Self-tests of `face_conformance.config.settings`: precedence, defaults and configuration errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from face_conformance.cli import main
from face_conformance.config.settings import MOCK_KEY, SAMPLE_FACE_URL, ConfigError, Settings, build_settings
from face_conformance.live.target import check_variant

LIVE = {"endpoint": "https://res.cognitiveservices.azure.com", "key": "opt-key"}
ENV = {"FACE_ENDPOINT": "https://env.cognitiveservices.azure.com", "FACE_KEY": "env-key"}


def test_option_wins_over_environment() -> None:
    s = build_settings(dict(LIVE), dict(ENV))
    assert (s.endpoint, s.key) == (LIVE["endpoint"], "opt-key")


def test_environment_wins_over_default() -> None:
    s = build_settings({}, dict(ENV))
    assert (s.endpoint, s.key, s.mode) == (ENV["FACE_ENDPOINT"], "env-key", "live")


def test_endpoint_and_key_can_come_from_different_places() -> None:
    s = build_settings({"key": "opt-key"}, {"FACE_ENDPOINT": ENV["FACE_ENDPOINT"]})
    assert (s.endpoint, s.key) == (ENV["FACE_ENDPOINT"], "opt-key")


def test_defaults_without_options_or_environment() -> None:
    s = build_settings({}, {})
    assert s == Settings()
    assert (s.mode, s.endpoint, s.key, s.effective_key) == ("mock", None, None, MOCK_KEY)
    assert (s.timeout, s.profile, s.report_dir, s.strict) == (30.0, "full", Path("reports"), False)
    assert s.face_source == SAMPLE_FACE_URL and not s.bring_your_own


def test_profile_defaults_to_full_in_either_mode() -> None:
    assert build_settings({}, {}).profile == build_settings(dict(LIVE), {}).profile == "full"


def test_process_environment_is_read_when_none_is_given(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FACE_ENDPOINT", "https://proc.example")
    monkeypatch.setenv("FACE_KEY", "proc-key")
    s = build_settings({})
    assert (s.endpoint, s.key) == ("https://proc.example", "proc-key")


def test_autouse_fixture_cleared_the_face_environment() -> None:
    assert build_settings({}).mode == "mock"


def test_live_mode_sends_the_users_key() -> None:
    assert build_settings(dict(LIVE), {}).effective_key == "opt-key"


@pytest.mark.parametrize("endpoint", ["https://x.example/face/v1.0", "https://x.example/face/v1.0/",
                                      "https://x.example/", "https://x.example"])
def test_trailing_face_path_and_slash_are_stripped(endpoint: str) -> None:
    assert build_settings({"endpoint": endpoint, "key": "k"}, {}).endpoint == "https://x.example"


def test_other_endpoint_paths_are_kept() -> None:
    s = build_settings({"endpoint": "https://gw.example/proxy/face/v1.0", "key": "k"}, {})
    assert s.endpoint == "https://gw.example/proxy"


@pytest.mark.parametrize("endpoint", ["http://127.0.0.1:8080", "http://localhost:8080", "http://[::1]:8080",
                                      "http://127.0.0.2"])
def test_plain_http_to_loopback_is_allowed(endpoint: str) -> None:
    assert build_settings({"endpoint": endpoint, "key": "k"}, {}).endpoint == endpoint


def test_plain_http_to_another_host_needs_allow_insecure() -> None:
    with pytest.raises(ConfigError, match="--allow-insecure") as info:
        build_settings({"endpoint": "http://face.example", "key": "k"}, {})
    assert "--endpoint" in str(info.value)
    s = build_settings({"endpoint": "http://face.example", "key": "k", "allow_insecure": True}, {})
    assert s.endpoint == "http://face.example" and s.allow_insecure


# ---- errors name the option ----------------------------------------------------------------------------

BAD_OPTIONS = [
    ({"endpoint": "ftp://face.example", "key": "k"}, "--endpoint"),
    ({"endpoint": "not a url", "key": "k"}, "--endpoint"),
    ({"endpoint": "https://", "key": "k"}, "--endpoint"),
    ({"endpoint": "https://face.example"}, "--key"),
    ({"seed": "abc"}, "--seed"),
    ({"seed": "-1"}, "--seed"),
    ({"seed": "1.5"}, "--seed"),
    ({"timeout": "soon"}, "--timeout"),
    ({"timeout": "0"}, "--timeout"),
    ({"timeout": "-3"}, "--timeout"),
    ({"profile": "fast"}, "--profile"),
    ({"budget": "0"}, "--budget"),
    ({"budget": "many"}, "--budget"),
    ({"max_rps": "0"}, "--max-rps"),
    ({"max_rpm": "x"}, "--max-rpm"),
    ({**LIVE, "person_group_id": "g"}, "--persisted-face-id"),
    ({**LIVE, "person_group_id": "g", "person_id": "p"}, "--persisted-face-id"),
    ({"person_group_id": "g", "person_id": "p", "persisted_face_id": "f"}, "--endpoint"),
    ({"face_url": "https://x/y.jpg", "face_image": "y.jpg"}, "--face-image"),
    ({"face_image": "/nonexistent/face.jpg"}, "--face-image"),
    ({"baseline": "/nonexistent/baseline.yaml"}, "--baseline"),
    ({**LIVE, "variant": "anything"}, "--variant"),
]


@pytest.mark.parametrize(("options", "option"), BAD_OPTIONS, ids=[f"{o}-{i}" for i, (_, o) in enumerate(BAD_OPTIONS)])
def test_config_error_names_the_option(options: dict[str, object], option: str) -> None:
    with pytest.raises(ConfigError) as info:
        build_settings(options, {})
    assert option in str(info.value)


def test_the_variant_is_checked_by_the_fronts_not_by_the_configuration() -> None:
    """Settings take any variant name (configuration does not know the zoo); the fronts ask the zoo."""
    assert build_settings({"variant": "no-such-variant"}, {}).variant == "no-such-variant"
    with pytest.raises(ConfigError, match="unknown --variant 'no-such-variant'"):
        check_variant("no-such-variant")
    check_variant("chinese-messages")
    check_variant(None)


def test_an_unknown_variant_is_a_usage_error_of_the_command_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", "--variant", "no-such-variant"]) == 2
    assert "unknown --variant 'no-such-variant'" in capsys.readouterr().err


def test_bad_value_is_quoted_in_the_message() -> None:
    with pytest.raises(ConfigError, match="'fast'"):
        build_settings({"profile": "fast"}, {})


def test_unreadable_face_image_says_why(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="--face-image .* cannot be read"):
        build_settings({"face_image": str(tmp_path)}, {})  # a directory


def test_readable_face_image_is_kept(tmp_path: Path) -> None:
    image = tmp_path / "face.jpg"
    image.write_bytes(b"\xff\xd8\xff")
    s = build_settings({"face_image": str(image)}, {})
    assert s.face_image == image and s.face_source == "file face.jpg"


def test_bring_your_own_takes_all_three_ids() -> None:
    s = build_settings({**LIVE, "person_group_id": "g", "person_id": "p", "persisted_face_id": "f"}, {})
    assert s.bring_your_own and (s.person_group_id, s.person_id, s.persisted_face_id) == ("g", "p", "f")


def test_numbers_are_parsed() -> None:
    s = build_settings({"seed": "7", "timeout": "2.5", "budget": "40", "max_rps": "0.5", "max_rpm": "20"}, {})
    assert (s.seed, s.timeout, s.budget, s.max_rps, s.max_rpm) == (7, 2.5, 40, 0.5, 20.0)


def test_flags_are_taken_as_booleans() -> None:
    s = build_settings({"strict": True, "strict_messages": True, "profile": "smoke"}, {})
    assert (s.strict, s.strict_messages, s.profile) == (True, True, "smoke")


@pytest.mark.parametrize("raw", ["nan", "inf"])
@pytest.mark.parametrize(("name", "option"), [("timeout", "--timeout"), ("max_rps", "--max-rps"),
                                              ("max_rpm", "--max-rpm")])
def test_numbers_must_be_finite(name: str, option: str, raw: str) -> None:
    with pytest.raises(ConfigError, match=option):
        build_settings({name: raw}, {})


def test_a_password_in_the_endpoint_is_masked_like_the_key() -> None:
    """https://user:password@host: the password never shows in what the suite prints or writes."""
    from face_conformance.evidence.redaction import hide_secrets, redact_text

    s = build_settings({"endpoint": "https://user:pw-hunter-2917@face.example", "key": "k" * 32}, {})
    assert "pw-hunter-2917" not in hide_secrets(s.endpoint) and "pw-hunter-2917" not in redact_text(s.endpoint)
    assert hide_secrets(s.endpoint) == "https://user:***@face.example"
