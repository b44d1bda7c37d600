"""Recognise a launch that failed because a folder was not trusted, and decide
whether the host may retry it.

Theory of operation
-------------------
A host launches a provider CLI after the preflight. If the launch still fails,
the host hands the failure text and exit code to :func:`classify_failure`,
which walks :data:`TRUST_FAILURE_PATTERNS` in order and returns the first
match as a :class:`FailureClassification` with code
``workspace_trust_required``. Anything else returns None, and the host keeps its
own failure path (auth, missing binary, model errors are never reclassified).

Each pattern is data, and each provider lists its own in its spec
(``ProviderSpec.failure_patterns``): the text it needs, the exit code it needs,
which CLI the evidence belongs to, and whether the evidence alone names that
CLI. An exit code by itself is weak evidence (one CLI's "untrusted folder" code
means nothing from other programs), so such a row also needs the caller to name
its provider, or the text to mention it.

:func:`retry_allowed` is the design plan's "Retry Policy": one retry at most,
only with the retry flag on, only for ``workspace_trust_required``, never after
a cancelled or blocked preflight, and never for a failure that no preflight
can clear (a pattern with ``preflight_fixes=False`` says what does).
"""

from __future__ import annotations

import enum
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING

import attrs

from workspace_trust.domain.codes import Code, ExecutionStatus, Provider
from workspace_trust.failure_patterns import Phrase, TrustFailurePattern, words
from workspace_trust.flags import FeatureFlags
from workspace_trust.providers import all_specs

if TYPE_CHECKING:
    from workspace_trust.redaction import EnvironmentSecrets

__all__ = [
    "MAX_EVIDENCE_CHARS",
    "MAX_INPUT_CHARS",
    "FailureClassification",
    "Phrase",
    "RetryDecision",
    "RetryRule",
    "TrustFailurePattern",
    "classify_failure",
    "retry_allowed",
    "trust_failure_patterns",
    "words",
]

MAX_EVIDENCE_CHARS = 200
#: Longer failure output is classified by its first and last halves of this.
MAX_INPUT_CHARS = 256 * 1024
#: Characters of context kept before the match when a line must be shortened.
_LEAD_CHARS = 40


def _redact(text: str, *, secrets: EnvironmentSecrets | None = None) -> str:
    """:func:`workspace_trust.redaction.redact`, loaded on first use."""
    from workspace_trust.redaction import redact

    return redact(text, secrets=secrets)


def trust_failure_patterns() -> tuple[TrustFailurePattern, ...]:
    """Every registered provider's patterns, in precedence order (``priority``,
    then the order of the providers and of their own lists)."""
    rows = [row for spec in all_specs() for row in spec.failure_patterns]
    return tuple(sorted(rows, key=lambda row: row.priority))


def __getattr__(name: str) -> tuple[TrustFailurePattern, ...]:
    # ``TRUST_FAILURE_PATTERNS`` is computed from the provider specs on first use.
    if name == "TRUST_FAILURE_PATTERNS":
        return trust_failure_patterns()
    raise AttributeError(name)


def _provider_hint(provider: Provider) -> re.Pattern[str]:
    """Text that names a provider, for rows with ``needs_provider``."""
    return re.compile(rf"\b{re.escape(provider.value)}\b", re.IGNORECASE)


@attrs.frozen(slots=True)
class FailureClassification:
    code: Code
    provider: Provider
    #: The :class:`TrustFailurePattern` id that matched.
    pattern_id: str
    #: Redacted, at most :data:`MAX_EVIDENCE_CHARS` characters.
    evidence: str
    #: False when a trust preflight cannot clear this failure (see ``remedy``).
    preflight_fixes: bool = True
    #: What clears the failure when a preflight cannot; empty otherwise.
    remedy: str = ""


def _line_around(text: str, start: int, end: int) -> str:
    first = text.rfind("\n", 0, start) + 1
    last = text.find("\n", end)
    return text[first : len(text) if last < 0 else last]


def _evidence(line: str, pattern: Phrase | re.Pattern[str] | None) -> str:
    # Redact the whole line before shortening it: a cut could leave part of a
    # key without the prefix that identifies it.
    clean = " ".join(_redact(line).split())
    if len(clean) <= MAX_EVIDENCE_CHARS:
        return clean
    found = pattern.search(clean) if pattern is not None else None
    start = 0 if found is None else max(0, found.start() - _LEAD_CHARS)
    start = min(start, len(clean) - MAX_EVIDENCE_CHARS)
    return clean[start : start + MAX_EVIDENCE_CHARS]


def _match(
    row: TrustFailurePattern, text: str, exit_code: int | None, provider: Provider | None
) -> FailureClassification | None:
    if row.exit_code is not None and exit_code != row.exit_code:
        return None
    line = ""
    if row.text is not None:
        found = row.text.search(text)
        if found is None:
            return None
        line = _line_around(text, found.start(), found.end())
    if row.needs_provider and provider is not row.provider:
        if provider is not None:
            return None
        hint = _provider_hint(row.provider).search(text)
        if hint is None:
            return None
        line = line or _line_around(text, hint.start(), hint.end())
    evidence = _evidence(line, row.text) if line else ""
    if row.exit_code is not None:
        evidence = _evidence(" ".join(filter(None, (f"exit code {row.exit_code}:", evidence))), None)
    reported = provider if row.caller_names_provider and provider is not None else row.provider
    return FailureClassification(
        Code.WORKSPACE_TRUST_REQUIRED, reported, row.id, evidence, row.preflight_fixes, row.remedy
    )


def classify_failure(
    text: str | bytes | bytearray | None = None,
    exit_code: int | None = None,
    provider: Provider | str | None = None,
    *,
    env: Mapping[str, str] | None = None,
) -> FailureClassification | None:
    """The workspace-trust failure in a launch's output, or None.

    ``text`` is the failure output (stderr, a PTY tail, an error message; escape
    codes are fine). ``env`` is the launched process's environment, when known:
    its secret-looking values are redacted from the evidence wherever they
    appear (see ``redaction.environment_secrets``); nothing of it is kept.
    ``provider`` is the CLI that was launched, when known. A
    CLI's own message reports that CLI even if ``provider`` says otherwise; the
    orchestrator's gate message reports ``provider`` (the pattern's own when
    unknown). A row that needs its provider named (an exit code alone) needs
    ``provider`` to be that CLI, or, with ``provider`` unknown, the text to
    mention it.
    """
    if isinstance(text, (bytes, bytearray)):
        text = bytes(text).decode("utf-8", "replace")
    if provider is not None and not isinstance(provider, Provider):
        # An unknown name is as good as no name: this is a failure path.
        try:
            provider = Provider(str(provider).strip().lower())
        except ValueError:
            provider = None
    raw = text or ""
    if len(raw) > MAX_INPUT_CHARS:
        # Cut at line ends, so no line (and no key in it) is kept in part.
        half = MAX_INPUT_CHARS // 2
        head = raw[:half].rpartition("\n")[0]
        tail = raw[-half:].partition("\n")[2]
        raw = head + "\n" + tail
    # Redact the whole text before anything else: stripping controls first can
    # eat a key's identifying prefix, and a key wrapped onto the matched line
    # is only recognisable together with the line before it.
    from workspace_trust.redaction import environment_secrets

    clean = _redact(raw, secrets=environment_secrets(env) if env else None)
    for row in trust_failure_patterns():
        result = _match(row, clean, exit_code, provider)
        if result is not None:
            return result
    return None


# --- retry policy ----------------------------------------------------------------


class RetryRule(enum.Enum):
    """Which rule of the retry policy decided."""

    RETRY_ONCE = "retry_once"
    NOT_TRUST_FAILURE = "not_workspace_trust_failure"
    PREFLIGHT_CANNOT_FIX = "preflight_cannot_fix"
    PREFLIGHT_CANCELLED = "preflight_cancelled"
    PREFLIGHT_BLOCKED = "preflight_blocked"
    FEATURE_DISABLED = "feature_disabled"
    RETRY_FLAG_OFF = "retry_flag_off"
    ALREADY_RETRIED = "already_retried"


@attrs.frozen(slots=True)
class RetryDecision:
    allowed: bool
    #: For people: one sentence.
    reason: str
    #: For programs: the rule that decided.
    rule: RetryRule


_REASONS: dict[RetryRule, str] = {
    RetryRule.RETRY_ONCE: "workspace trust failure on the first attempt; retry once",
    RetryRule.NOT_TRUST_FAILURE: "not a workspace trust failure; keep the original failure",
    RetryRule.PREFLIGHT_CANNOT_FIX: "a trust preflight cannot clear this failure; see the classification's remedy",
    RetryRule.PREFLIGHT_CANCELLED: "the preflight was cancelled; never retry after cancellation",
    RetryRule.PREFLIGHT_BLOCKED: "the preflight was blocked; a retry would be blocked again",
    RetryRule.FEATURE_DISABLED: "workspace trust preflight is disabled",
    RetryRule.RETRY_FLAG_OFF: "automatic retry is off (retry flag)",
    RetryRule.ALREADY_RETRIED: "already retried once; retry at most once",
}


def _decision(rule: RetryRule) -> RetryDecision:
    return RetryDecision(rule is RetryRule.RETRY_ONCE, _REASONS[rule], rule)


def retry_allowed(
    classification: FailureClassification | None,
    *,
    attempt: int,
    flags: FeatureFlags,
    preflight_status: ExecutionStatus | None,
) -> RetryDecision:
    """May the host clean up the failed launch and launch once more?

    ``attempt`` is the 1-based number of the launch that just failed;
    ``preflight_status`` is the outcome of that launch's preflight (None when
    none ran). Raises ValueError for an ``attempt`` below 1.
    """
    if attempt < 1:
        raise ValueError(f"attempt counts from 1, got {attempt}")
    if classification is None or classification.code is not Code.WORKSPACE_TRUST_REQUIRED:
        return _decision(RetryRule.NOT_TRUST_FAILURE)
    if not classification.preflight_fixes:
        return _decision(RetryRule.PREFLIGHT_CANNOT_FIX)
    if preflight_status is ExecutionStatus.CANCELLED:
        return _decision(RetryRule.PREFLIGHT_CANCELLED)
    if preflight_status is ExecutionStatus.BLOCKED:
        return _decision(RetryRule.PREFLIGHT_BLOCKED)
    if not flags.enabled:
        return _decision(RetryRule.FEATURE_DISABLED)
    if not flags.retry:
        return _decision(RetryRule.RETRY_FLAG_OFF)
    if attempt > 1:
        return _decision(RetryRule.ALREADY_RETRIED)
    return _decision(RetryRule.RETRY_ONCE)


def retry_hint(
    provider: Provider, *, attempt: int, flags: FeatureFlags, preflight_status: ExecutionStatus
) -> RetryDecision:
    """What :func:`retry_allowed` would decide if the launch that follows this
    preflight then failed for workspace trust, with a failure a preflight can
    clear: the per-row ``retry`` of the ``preflight`` document, so that a host
    in another language gets the decision without Python. A failure that a
    preflight cannot clear (found only by :func:`classify_failure` on the
    launch's own output) is never retried, whatever this says."""
    assumed = FailureClassification(Code.WORKSPACE_TRUST_REQUIRED, provider, "assumed_trust_failure", "")
    return retry_allowed(assumed, attempt=attempt, flags=flags, preflight_status=preflight_status)
