"""Feature flags: narrow spellings, defaults kept on bad values, values never repeated."""

from __future__ import annotations

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from workspace_trust.documents import flags_to_json
from workspace_trust.domain.codes import Code
from workspace_trust.flags import (
    DEFAULT_PREFIX,
    FeatureFlags,
    flag_variable,
    parse_flags,
)

FLAG_NAMES = FeatureFlags.names()
EXPECTED_DEFAULTS = {
    "enabled": True,
    "claude_pty": True,
    "claude_prompt": True,
    "codex_args": True,
    "codex_pty": False,
    "gemini": True,
    "qwen": True,
    "qwen_env": False,
    "retry": False,
    "file_lock": True,
    "debug": False,
    "allow_unprotected_claude": False,
    "copilot_pty": True,
    "copilot_args": True,
    "allow_unprotected_copilot": False,
}
ENABLE_SPELLINGS = ("1", "true", "on", "TRUE", "True", "ON", "On", " 1 ", "\ttrue\n", " oN")
DISABLE_SPELLINGS = ("0", "false", "off", "FALSE", "False", "OFF", "Off", " 0 ", "\tfalse\n", " oFf")
MALFORMED = ("yes", "no", "2", "-1", "", "   ", "enable", "tru", "1.0", "on!", "sk-ant-api03-SECRETVALUE")


def test_defaults_are_the_v1_rollout_defaults() -> None:
    assert flags_to_json(FeatureFlags()) == EXPECTED_DEFAULTS


def test_every_flag_is_covered_by_these_tests() -> None:
    assert set(FLAG_NAMES) == set(EXPECTED_DEFAULTS)


def test_empty_environment_gives_defaults_and_no_diagnostics() -> None:
    parsed = parse_flags({})
    assert parsed.flags == FeatureFlags()
    assert parsed.diagnostics == ()


@pytest.mark.parametrize(
    ("name", "variable"),
    [
        ("enabled", "WORKSPACE_TRUST_ENABLED"),
        ("claude_pty", "WORKSPACE_TRUST_CLAUDE_PTY"),
        ("claude_prompt", "WORKSPACE_TRUST_CLAUDE_PROMPT"),
        ("codex_args", "WORKSPACE_TRUST_CODEX_ARGS"),
        ("codex_pty", "WORKSPACE_TRUST_CODEX_PTY"),
        ("gemini", "WORKSPACE_TRUST_GEMINI"),
        ("qwen", "WORKSPACE_TRUST_QWEN"),
        ("qwen_env", "WORKSPACE_TRUST_QWEN_ENV"),
        ("retry", "WORKSPACE_TRUST_RETRY"),
        ("file_lock", "WORKSPACE_TRUST_FILE_LOCK"),
        ("debug", "WORKSPACE_TRUST_DEBUG"),
        ("allow_unprotected_claude", "WORKSPACE_TRUST_ALLOW_UNPROTECTED_CLAUDE"),
        ("copilot_pty", "WORKSPACE_TRUST_COPILOT_PTY"),
        ("copilot_args", "WORKSPACE_TRUST_COPILOT_ARGS"),
        ("allow_unprotected_copilot", "WORKSPACE_TRUST_ALLOW_UNPROTECTED_COPILOT"),
    ],
)
def test_variable_names(name: str, variable: str) -> None:
    assert flag_variable(name) == variable
    # And parse_flags really reads that variable.
    default = EXPECTED_DEFAULTS[name]
    parsed = parse_flags({variable: "0" if default else "1"})
    assert flags_to_json(parsed.flags)[name] is (not default)


@pytest.mark.parametrize("name", FLAG_NAMES)
@pytest.mark.parametrize("spelling", ENABLE_SPELLINGS)
def test_each_flag_enables(name: str, spelling: str) -> None:
    parsed = parse_flags({flag_variable(name): spelling})
    assert parsed.diagnostics == ()
    assert flags_to_json(parsed.flags) == {**EXPECTED_DEFAULTS, name: True}


@pytest.mark.parametrize("name", FLAG_NAMES)
@pytest.mark.parametrize("spelling", DISABLE_SPELLINGS)
def test_each_flag_disables(name: str, spelling: str) -> None:
    parsed = parse_flags({flag_variable(name): spelling})
    assert parsed.diagnostics == ()
    assert flags_to_json(parsed.flags) == {**EXPECTED_DEFAULTS, name: False}


@pytest.mark.parametrize("name", FLAG_NAMES)
@pytest.mark.parametrize("value", MALFORMED)
def test_malformed_value_keeps_default_and_yields_one_diagnostic(name: str, value: str) -> None:
    variable = flag_variable(name)
    parsed = parse_flags({variable: value})
    assert parsed.flags == FeatureFlags()
    assert len(parsed.diagnostics) == 1
    (diagnostic,) = parsed.diagnostics
    assert diagnostic.code is Code.FEATURE_FLAG_INVALID
    assert variable in diagnostic.message
    assert diagnostic.evidence == ()
    # The value is never repeated: the message is the same for any bad value.
    assert diagnostic.message == parse_flags({variable: "bogus"}).diagnostics[0].message
    assert "bogus" not in diagnostic.message


def test_a_secret_pasted_into_a_flag_is_not_repeated() -> None:
    parsed = parse_flags({"WORKSPACE_TRUST_DEBUG": "sk-ant-api03-SECRETVALUE"})
    assert "SECRETVALUE" not in parsed.diagnostics[0].message


def test_one_diagnostic_per_bad_variable_and_good_ones_still_apply() -> None:
    env = {
        "WORKSPACE_TRUST_RETRY": "yes",
        "WORKSPACE_TRUST_DEBUG": "maybe",
        "WORKSPACE_TRUST_CODEX_PTY": "on",
        "WORKSPACE_TRUST_GEMINI": "0",
    }
    parsed = parse_flags(env)
    assert flags_to_json(parsed.flags) == {**EXPECTED_DEFAULTS, "codex_pty": True, "gemini": False}
    messages = [d.message for d in parsed.diagnostics]
    assert len(messages) == 2
    assert any("WORKSPACE_TRUST_RETRY" in m for m in messages)
    assert any("WORKSPACE_TRUST_DEBUG" in m for m in messages)


def test_unrelated_and_wrongly_cased_variables_are_ignored() -> None:
    env = {"workspace_trust_retry": "1", "WORKSPACE_TRUST_REAL_CLIS": "required", "RETRY": "1"}
    parsed = parse_flags(env)
    assert parsed.flags == FeatureFlags()
    assert parsed.diagnostics == ()


def test_custom_prefix() -> None:
    env = {"AGENT_TEAMS_WORKSPACE_TRUST_RETRY": "1", "WORKSPACE_TRUST_DEBUG": "1"}
    parsed = parse_flags(env, prefix="AGENT_TEAMS_WORKSPACE_TRUST_")
    assert parsed.flags.retry is True
    assert parsed.flags.debug is False
    assert DEFAULT_PREFIX == "WORKSPACE_TRUST_"


def test_flags_to_json_is_plain_bools_by_name() -> None:
    flags = attrs.evolve(FeatureFlags(), retry=True, enabled=False)
    out = flags_to_json(flags)
    assert list(out) == list(FLAG_NAMES)
    assert out["retry"] is True
    assert out["enabled"] is False
    assert all(type(v) is bool for v in out.values())


@settings(max_examples=300, deadline=None)
@given(value=st.text(max_size=30), name=st.sampled_from(FLAG_NAMES))
def test_any_value_never_appears_in_messages(value: str, name: str) -> None:
    parsed = parse_flags({flag_variable(name): value})
    spelling = value.strip().casefold()
    accepted = spelling in {"1", "true", "on", "0", "false", "off"}
    assert len(parsed.diagnostics) == (0 if accepted else 1)
    if not accepted:
        # The message does not depend on the value at all.
        reference = parse_flags({flag_variable(name): "bogus"}).diagnostics[0].message
        assert parsed.diagnostics[0].message == reference
