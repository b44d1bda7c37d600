"""Workspace-trust failure classification and the retry policy."""

from __future__ import annotations

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from workspace_trust.classifier import (
    MAX_EVIDENCE_CHARS,
    MAX_INPUT_CHARS,
    FailureClassification,
    RetryRule,
    classify_failure,
    retry_allowed,
    trust_failure_patterns,
)
from workspace_trust.domain.codes import Code, ExecutionStatus, Provider
from workspace_trust.flags import FeatureFlags

CODEX_EXEC = "Not inside a trusted directory and --skip-git-repo-check was not specified."
CLAUDE_WARNING = (
    "Ignoring 6 permissions.allow entries from .claude/settings.json: this workspace has not been "
    "trusted. Run Claude Code interactively here once and accept the trust dialog."
)


@pytest.mark.parametrize(
    ("text", "provider", "expected_provider", "pattern_id"),
    [
        ("Error: workspace trust is not accepted for /w", None, Provider.CLAUDE, "orchestrator_trust_not_accepted"),
        ("Error: Workspace Trust is NOT accepted", Provider.CODEX, Provider.CODEX, "orchestrator_trust_not_accepted"),
        (CODEX_EXEC, None, Provider.CODEX, "codex_not_inside_trusted_directory"),
        (CODEX_EXEC, Provider.CODEX, Provider.CODEX, "codex_not_inside_trusted_directory"),
        (
            "error: --skip-git-repo-check was not specified",
            None,
            Provider.CODEX,
            "codex_skip_git_repo_check_hint",
        ),
        (CLAUDE_WARNING, None, Provider.CLAUDE, "claude_workspace_not_trusted"),
        ("Error: workspace has not been trusted", Provider.CLAUDE, Provider.CLAUDE, "claude_workspace_not_trusted"),
    ],
)
def test_recognised_texts(text: str, provider: Provider | None, expected_provider: Provider, pattern_id: str) -> None:
    found = classify_failure(text, exit_code=1, provider=provider)
    assert found is not None
    assert found.code is Code.WORKSPACE_TRUST_REQUIRED
    assert found.provider is expected_provider
    assert found.pattern_id == pattern_id
    assert 0 < len(found.evidence) <= MAX_EVIDENCE_CHARS


def test_a_cli_message_names_its_own_cli_whatever_the_caller_says() -> None:
    found = classify_failure(CODEX_EXEC, provider=Provider.CLAUDE)
    assert found is not None
    assert found.provider is Provider.CODEX


def test_text_wrapped_by_the_terminal_and_coloured_still_matches() -> None:
    text = "\x1b[31mNot inside a\n  trusted\x1b[0m directory\r\n"
    found = classify_failure(text)
    assert found is not None
    assert found.pattern_id == "codex_not_inside_trusted_directory"
    assert "\x1b" not in found.evidence


def test_evidence_is_the_matching_line() -> None:
    text = "starting\nsome noise\nError: " + CODEX_EXEC + "\nbye"
    found = classify_failure(text)
    assert found is not None
    assert found.evidence == "Error: " + CODEX_EXEC


@pytest.mark.parametrize(
    ("text", "exit_code", "provider"),
    [
        (None, 55, Provider.GEMINI),
        ("", 55, Provider.GEMINI),
        ("some output", 55, Provider.GEMINI),
        ("Gemini CLI: folder is not trusted", 55, None),
    ],
)
def test_gemini_exit_code_55(text: str | None, exit_code: int, provider: Provider | None) -> None:
    found = classify_failure(text, exit_code=exit_code, provider=provider)
    assert found is not None
    assert found.provider is Provider.GEMINI
    assert found.pattern_id == "gemini_untrusted_exit_code"
    assert found.evidence.startswith("exit code 55")


@pytest.mark.parametrize(
    ("text", "exit_code", "provider"),
    [
        (None, 55, None),  # 55 alone means nothing
        ("some output", 55, None),
        ("gemini mentioned", 55, Provider.CLAUDE),  # the caller says it was Claude
        ("gemini failed", 54, None),
        (None, 55, Provider.CODEX),
        ("gemini untrusted", None, Provider.GEMINI),
    ],
)
def test_exit_code_55_needs_gemini(text: str | None, exit_code: int | None, provider: Provider | None) -> None:
    assert classify_failure(text, exit_code=exit_code, provider=provider) is None


@pytest.mark.parametrize(
    "text",
    [
        None,
        "",
        "Error: invalid API key",
        "permission denied",
        "claude: command not found",
        "model not found: claude-9",
        "cwd unavailable: /w",
        "Usage: codex exec [OPTIONS] --skip-git-repo-check  Allow running outside a Git repository",
        "Yes, I trust this folder",
        "Do you trust the contents of this directory?",
    ],
)
def test_other_failures_are_not_trust_failures(text: str | None) -> None:
    assert classify_failure(text, exit_code=1) is None


def test_evidence_is_redacted() -> None:
    text = f"key sk-ant-api03-SECRET0123456789 {CODEX_EXEC} mail ana@example.com"
    found = classify_failure(text)
    assert found is not None
    assert "SECRET0123456789" not in found.evidence
    assert "ana@example.com" not in found.evidence
    assert "Not inside a trusted directory" in found.evidence


def test_values_of_the_launch_environment_are_redacted_from_the_evidence() -> None:
    # A value with no key shape of its own, echoed on the matching line.
    password = "correct horse battery staple"
    text = f"{CODEX_EXEC} (db password correct horse battery staple)"
    plain = classify_failure(text)
    assert plain is not None and "battery" in plain.evidence  # no shape gives it away
    found = classify_failure(text, env={"DB_PASSWORD": password, "HOME": "/home/ana"})
    assert found is not None and "Not inside a trusted directory" in found.evidence
    assert "battery" not in found.evidence and "horse" not in found.evidence
    assert "[REDACTED_ENV_SECRET]" in found.evidence


def test_long_line_evidence_is_bounded_and_keeps_the_match() -> None:
    text = "x " * 5_000 + CODEX_EXEC + " y" * 5_000
    found = classify_failure(text)
    assert found is not None
    assert len(found.evidence) == MAX_EVIDENCE_CHARS
    assert "Not inside a trusted directory" in found.evidence


def test_long_line_evidence_never_holds_a_cut_key() -> None:
    # The key sits where a 200-character window around the match would cut it.
    key = "sk-ant-api03-" + "Q" * 30 + "7" * 30
    text = "a" * 120 + " " + key + " " + CODEX_EXEC + " " + "b" * 500
    found = classify_failure(text)
    assert found is not None
    assert "QQQQ" not in found.evidence
    assert "7777" not in found.evidence


def test_pattern_ids_are_unique_and_each_row_has_a_condition() -> None:
    ids = [row.id for row in trust_failure_patterns()]
    assert len(ids) == len(set(ids))
    assert all(row.text is not None or row.exit_code is not None for row in trust_failure_patterns())


PHRASES = {
    "orchestrator_trust_not_accepted": "workspace trust is not accepted",
    "codex_not_inside_trusted_directory": "Not inside a trusted directory",
    "codex_skip_git_repo_check_hint": "--skip-git-repo-check was not specified",
    "claude_workspace_not_trusted": "this workspace has not been trusted",
    "copilot_confirm_folder_trust": "This folder is not trusted. Please confirm folder trust to continue.",
    "copilot_working_folder_not_trusted": "Project extensions are excluded because the working folder is not trusted.",
    "copilot_paused_folder_not_trusted": "Interrupted work remains paused because this folder is not trusted.",
}


def test_every_text_row_has_a_sample_phrase() -> None:
    assert set(PHRASES) == {row.id for row in trust_failure_patterns() if row.text is not None}


# Printable noise: a stray ESC could legitimately swallow the phrase's first letter.
_NOISE = st.text(alphabet=st.characters(codec="utf-8").filter(lambda c: c.isprintable() or c == "\n"), max_size=2_000)
#: Noise on the matched line itself, often longer than the evidence bound.
_LINE_NOISE = st.text(alphabet=st.characters(codec="utf-8").filter(str.isprintable), min_size=100, max_size=600)


@settings(max_examples=200, deadline=None)
@given(noise=_NOISE, line_noise=_LINE_NOISE, sample=st.sampled_from(sorted(PHRASES.items())))
def test_evidence_is_always_bounded(noise: str, line_noise: str, sample: tuple[str, str]) -> None:
    _pattern_id, phrase = sample
    found = classify_failure(noise + "\n" + line_noise + " " + phrase + " " + line_noise + "\n" + noise)
    assert found is not None
    assert len(found.evidence) <= MAX_EVIDENCE_CHARS
    assert found.code is Code.WORKSPACE_TRUST_REQUIRED


def test_codex_exec_git_check_is_classified_but_not_fixable_by_a_preflight() -> None:
    text = "Not inside a trusted directory and --skip-git-repo-check was not specified."
    found = classify_failure(text, exit_code=1)
    assert found is not None
    assert (found.provider, found.code) == (Provider.CODEX, Code.WORKSPACE_TRUST_REQUIRED)
    assert found.preflight_fixes is False
    assert "git repository" in found.remedy and "--skip-git-repo-check" in found.remedy
    decision = retry_allowed(found, attempt=1, flags=RETRY_ON, preflight_status=ExecutionStatus.OK)
    assert (decision.allowed, decision.rule) == (False, RetryRule.PREFLIGHT_CANNOT_FIX)


def test_trust_failures_a_preflight_clears_have_no_remedy_text() -> None:
    found = classify_failure("Error: workspace trust is not accepted for /w")
    assert found is not None
    assert (found.preflight_fixes, found.remedy) == (True, "")


# --- retry policy ----------------------------------------------------------------

TRUST_FAILURE = FailureClassification(Code.WORKSPACE_TRUST_REQUIRED, Provider.CLAUDE, "x", "evidence")
RETRY_ON = attrs.evolve(FeatureFlags(), retry=True)


def test_retry_once_when_everything_allows_it() -> None:
    decision = retry_allowed(TRUST_FAILURE, attempt=1, flags=RETRY_ON, preflight_status=ExecutionStatus.OK)
    assert decision.allowed is True
    assert decision.rule is RetryRule.RETRY_ONCE
    assert decision.reason


@pytest.mark.parametrize("status", [None, ExecutionStatus.OK, ExecutionStatus.SOFT_FAILED])
def test_retry_after_a_preflight_that_did_not_block(status: ExecutionStatus | None) -> None:
    assert retry_allowed(TRUST_FAILURE, attempt=1, flags=RETRY_ON, preflight_status=status).allowed


@pytest.mark.parametrize(
    ("classification", "attempt", "flags", "status", "rule"),
    [
        (None, 1, RETRY_ON, ExecutionStatus.OK, RetryRule.NOT_TRUST_FAILURE),
        (
            attrs.evolve(TRUST_FAILURE, code=Code.PROVIDER_AUTH_REQUIRED),
            1,
            RETRY_ON,
            ExecutionStatus.OK,
            RetryRule.NOT_TRUST_FAILURE,
        ),
        (TRUST_FAILURE, 1, RETRY_ON, ExecutionStatus.CANCELLED, RetryRule.PREFLIGHT_CANCELLED),
        (TRUST_FAILURE, 1, RETRY_ON, ExecutionStatus.BLOCKED, RetryRule.PREFLIGHT_BLOCKED),
        (TRUST_FAILURE, 1, FeatureFlags(), ExecutionStatus.OK, RetryRule.RETRY_FLAG_OFF),
        (TRUST_FAILURE, 1, attrs.evolve(RETRY_ON, enabled=False), None, RetryRule.FEATURE_DISABLED),
        (TRUST_FAILURE, 2, RETRY_ON, ExecutionStatus.OK, RetryRule.ALREADY_RETRIED),
        (TRUST_FAILURE, 7, RETRY_ON, ExecutionStatus.OK, RetryRule.ALREADY_RETRIED),
        (
            attrs.evolve(TRUST_FAILURE, preflight_fixes=False),
            1,
            RETRY_ON,
            ExecutionStatus.OK,
            RetryRule.PREFLIGHT_CANNOT_FIX,
        ),
    ],
)
def test_retry_refused(
    classification: FailureClassification | None,
    attempt: int,
    flags: FeatureFlags,
    status: ExecutionStatus | None,
    rule: RetryRule,
) -> None:
    decision = retry_allowed(classification, attempt=attempt, flags=flags, preflight_status=status)
    assert decision.allowed is False
    assert decision.rule is rule
    assert decision.reason


def test_retry_rejects_attempt_zero() -> None:
    with pytest.raises(ValueError, match="attempt"):
        retry_allowed(TRUST_FAILURE, attempt=0, flags=RETRY_ON, preflight_status=None)


@settings(max_examples=300, deadline=None)
@given(
    attempt=st.integers(min_value=1, max_value=10),
    retry=st.booleans(),
    enabled=st.booleans(),
    status=st.sampled_from([None, *ExecutionStatus]),
    code=st.sampled_from(list(Code)),
    fixes=st.booleans(),
)
def test_retry_is_allowed_exactly_when_every_rule_agrees(
    *, attempt: int, retry: bool, enabled: bool, status: ExecutionStatus | None, code: Code, fixes: bool
) -> None:
    flags = attrs.evolve(FeatureFlags(), retry=retry, enabled=enabled)
    classification = attrs.evolve(TRUST_FAILURE, code=code, preflight_fixes=fixes)
    decision = retry_allowed(classification, attempt=attempt, flags=flags, preflight_status=status)
    expected = (
        attempt == 1
        and retry
        and enabled
        and code is Code.WORKSPACE_TRUST_REQUIRED
        and fixes
        and status not in (ExecutionStatus.CANCELLED, ExecutionStatus.BLOCKED)
    )
    assert decision.allowed is expected


# --- evidence never carries a key ---------------------------------------------------

KEYS = [
    "AIzaSyA1b2C3d4E5f6G7h8I9j0KlMnOpQrStUvW",
    "ghp_a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8",
    "sk-ant-api03-Zx9...yz0123456789-ABCDEFG",
    "sk-proj-Q9wErTyUiOp-AsDfGhJkL0123456789",
]


@pytest.mark.parametrize("key", KEYS)
@pytest.mark.parametrize(
    ("template", "exit_code", "provider"),
    [
        # A stray ESC SP before the key: stripping first would eat its prefix.
        ("Error: workspace trust is not accepted; key \x1b {key}", None, None),
        ("gemini: bad key \x1b {key}", 55, None),
        ("Not inside a trusted directory (key \x1b {key})", 1, Provider.CODEX),
        # The key wrapped by the terminal onto the line that matches.
        ("Using key {head}\n{tail} workspace trust is not accepted", None, None),
    ],
)
def test_evidence_never_carries_any_part_of_a_key(
    key: str, template: str, exit_code: int | None, provider: Provider | None
) -> None:
    text = template.format(key=key, head=key[:14], tail=key[14:])
    found = classify_failure(text, exit_code=exit_code, provider=provider)
    assert found is not None
    for part in (key, key[1:], key[14:], key[2:20]):
        assert part not in found.evidence, found.evidence


def test_bytes_and_provider_names_are_accepted() -> None:
    found = classify_failure(b"Not inside a trusted directory", provider="codex")
    assert found is not None and found.provider is Provider.CODEX


def test_huge_output_is_bounded_and_still_classified_at_either_end() -> None:
    filler = "x" * (MAX_INPUT_CHARS * 4)
    assert classify_failure("workspace trust is not accepted\n" + filler) is not None
    assert classify_failure(filler + "\nworkspace trust is not accepted") is not None


@pytest.mark.parametrize("name", ["Claude", "openai", "", " gemini "])
def test_any_provider_name_is_accepted_and_unknown_ones_count_as_none(name: str) -> None:
    found = classify_failure("workspace trust is not accepted", provider=name)
    assert found is not None
    expected = {"claude": Provider.CLAUDE, "gemini": Provider.GEMINI}.get(name.strip().lower(), Provider.CLAUDE)
    assert found.provider is expected


def test_the_input_bound_never_keeps_part_of_a_key() -> None:
    key = "sk-ant-api03-" + "Q" * 20 + "tailPART0123456789"
    start = key + " workspace trust is not accepted "
    half = MAX_INPUT_CHARS // 2
    # One long line whose last `half` characters begin inside the key: a plain
    # cut would keep "PART0123456789 workspace trust..." without the key's prefix.
    cut_inside = start.index("tailPART") + 4
    line = start + "z" * (half + cut_inside - len(start) - 1) + "\n"
    text = "x" * (MAX_INPUT_CHARS * 2) + "\n" + line
    assert text[len(text) - half :].startswith("PART0123456789")
    found = classify_failure(text)
    assert found is None or "PART0123456789" not in found.evidence
