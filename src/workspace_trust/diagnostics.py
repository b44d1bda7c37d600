"""The structured diagnostics manifest a host stores with a launch, and its budget.

Theory of operation
-------------------
A host keeps workspace-trust facts in its launch artifacts (design plan,
"Diagnostics" and "Artifact Flags Need Their Own Size Cap"). Those artifacts are
small and may be shared, so this module guarantees two things:

*What* can be stored is fixed by the types. :class:`StrategyDiagnostic` and
:class:`DiagnosticsManifest` have fields for statuses, rule ids, key names,
timings, codes and short redacted evidence, and nothing else: there is no field
an environment value or a provider config file could go into.

*How much* is stored is fixed by :class:`DiagnosticsBudget`. :func:`apply_budget`
cuts every list and every string to its limit and counts what it cut in
``omitted_counts``, so the JSON of a budgeted manifest has a size bound that
depends only on the budget.

Free text (evidence, raw tails, messages) is redacted before it is cut: cutting
first could leave the end of a key without the prefix that identifies it.
"""

from __future__ import annotations

import enum
import ntpath
import re
import types
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING

import attrs

from workspace_trust.domain.codes import Code, Provider, WorkspaceStatus
from workspace_trust.domain.results import Diagnostic, SessionReport, WorkspaceResult
from workspace_trust.domain.text import RAW_TAIL_LIMIT, Redacted

if TYPE_CHECKING:
    from workspace_trust.redaction import EnvironmentSecrets


__all__ = [
    "DEFAULT_BUDGET",
    "FAILED_STATUSES",
    "DiagnosticsBudget",
    "DiagnosticsManifest",
    "Omission",
    "PathPolicy",
    "StrategyDiagnostic",
    "apply_budget",
    "build_strategy_diagnostic",
    "diagnostic_for_policy",
    "id_for_policy",
]


def _redact(text: str, *, home: str | None = None, secrets: EnvironmentSecrets | None = None) -> str:
    """:func:`workspace_trust.redaction.redact`, imported on first use (its
    patterns are compiled when that module loads)."""
    from workspace_trust.redaction import redact

    return redact(text, home=home, secrets=secrets)


def _redact_tail(
    text: str, *, home: str | None = None, secrets: EnvironmentSecrets | None = None, limit: int | None = RAW_TAIL_LIMIT
) -> Redacted:
    """:func:`workspace_trust.redaction.redact_tail`, imported on first use."""
    from workspace_trust.redaction import redact_tail

    return redact_tail(text, home=home, secrets=secrets, limit=limit)


#: Statuses for which a raw tail may be kept (debug only).
FAILED_STATUSES = frozenset({WorkspaceStatus.SOFT_FAILED, WorkspaceStatus.BLOCKED})
#: Failures whose last screen is what to record and report: a trust dialog no
#: rule recognises, or one whose options no rule accepts. Their redacted,
#: bounded screen tail is kept without ``--debug``.
SCREEN_TAIL_CODES = frozenset({Code.UNKNOWN_TRUST_DIALOG, Code.UNKNOWN_TRUST_OPTION})


def shows_screen_tail(result: WorkspaceResult, *, debug: bool) -> bool:
    """Whether ``result``'s redacted screen tail goes into what is shown: on a
    failure, under ``--debug``, or for a dialog to record (SCREEN_TAIL_CODES)."""
    if result.raw_tail is None or result.status not in FAILED_STATUSES:
        return False
    return debug or result.code in SCREEN_TAIL_CODES


_ELLIPSIS = "…"


class PathPolicy(enum.Enum):
    """How workspace paths appear in diagnostics."""

    #: The path as the caller gave it.
    FULL = "full"
    #: Only the last path component.
    BASENAME = "basename"
    #: No paths at all; workspace ids only.
    HIDDEN = "hidden"


class Omission(enum.Enum):
    """What :func:`apply_budget` cut; the values are the ``omitted_counts`` keys."""

    #: Whole strategy results beyond the limit.
    STRATEGY_RESULTS = "strategy_results"
    #: Workspaces (id and path) beyond the per-result limit.
    WORKSPACES = "workspaces"
    #: Evidence strings beyond the per-result (or per-diagnostic) limit.
    EVIDENCE = "evidence"
    #: Characters cut from evidence strings that were too long.
    EVIDENCE_CHARS = "evidence_chars"
    #: UTF-8 bytes cut from the start of raw tails (or whole tails not allowed).
    RAW_TAIL_BYTES = "raw_tail_bytes"
    #: Matched rule ids beyond the limit.
    RULE_IDS = "rule_ids"
    #: Key names beyond the limit.
    KEYS = "keys"
    #: Manifest-level diagnostics beyond the limit.
    DIAGNOSTICS = "diagnostics"
    #: Feature flags beyond the limit.
    FEATURE_FLAGS = "feature_flags"
    #: Identifiers, paths, messages and flag names that were shortened.
    SHORTENED_FIELDS = "shortened_fields"


def _frozen_counts(value: Mapping[Omission, int]) -> Mapping[Omission, int]:
    return types.MappingProxyType(dict(value))


def _frozen_flags(value: Mapping[str, bool]) -> Mapping[str, bool]:
    return types.MappingProxyType(dict(value))


@attrs.frozen(slots=True)
class StrategyDiagnostic:
    """What one strategy did, as facts safe to store.

    ``workspace_ids`` and ``workspace_paths`` are parallel, except that
    ``workspace_paths`` is empty under :attr:`PathPolicy.HIDDEN`. ``keys_sent``
    holds key names (``Key`` values such as ``"down"``, ``"enter"``).
    """

    provider: Provider
    workspace_ids: tuple[str, ...]
    workspace_paths: tuple[str, ...]
    status: WorkspaceStatus
    matched_rule_ids: tuple[str, ...] = ()
    keys_sent: tuple[str, ...] = ()
    elapsed_ms: int = 0
    lock_wait_ms: int = 0
    error_code: Code | None = None
    evidence: tuple[str, ...] = ()
    raw_tail: Redacted | None = attrs.field(
        default=None, validator=attrs.validators.optional(attrs.validators.instance_of(Redacted))
    )
    #: What the PTY session measured (counts, codes, a rule id); None without one.
    session: SessionReport | None = None
    #: The CLI version the preflight ran against; None when none was looked at.
    cli_version: str | None = None


@attrs.frozen(slots=True)
class DiagnosticsManifest:
    """``flags.workspaceTrustPreflight`` in a host's artifact: one preflight attempt."""

    attempt: int
    feature_flags: Mapping[str, bool] = attrs.field(factory=dict, converter=_frozen_flags, hash=False)
    strategy_results: tuple[StrategyDiagnostic, ...] = ()
    diagnostics: tuple[Diagnostic, ...] = ()
    omitted_counts: Mapping[Omission, int] = attrs.field(factory=dict, converter=_frozen_counts, hash=False)


@attrs.frozen(slots=True)
class DiagnosticsBudget:
    """Limits from the design plan, plus limits on every other list and string
    so the JSON size has a bound whatever the input."""

    max_strategy_results: int = 20
    max_workspaces_per_result: int = 20
    max_evidence_per_result: int = 5
    max_evidence_chars: int = 600
    max_raw_tail_bytes: int = RAW_TAIL_LIMIT
    max_rule_ids: int = 20
    max_keys: int = 32
    max_diagnostics: int = 20
    max_message_chars: int = 600
    max_feature_flags: int = 32
    max_identifier_chars: int = 128
    max_path_chars: int = 512


DEFAULT_BUDGET = DiagnosticsBudget()

#: Integers beyond this are clamped: JSON readers in JavaScript lose precision
#: above it, and an unbounded integer would unbound the JSON size.
_MAX_SAFE_INT = 2**53 - 1


def _clamp(value: int) -> int:
    return min(max(value, 0), _MAX_SAFE_INT)


def _clamp_signed(value: int | None) -> int | None:
    return None if value is None else min(max(value, -_MAX_SAFE_INT), _MAX_SAFE_INT)


# --- building from a result --------------------------------------------------


def _basename(path: str) -> str:
    # ntpath splits on both separators, so Windows paths work on any host.
    trimmed = path.rstrip("/\\")
    if not trimmed:
        return path[:1]
    name = ntpath.basename(trimmed)
    return name or trimmed


def _path_for_policy(path: str, policy: PathPolicy) -> str | None:
    if policy is PathPolicy.FULL:
        return path
    if policy is PathPolicy.BASENAME:
        return _basename(path)
    return None


def _fold(path: str) -> str:
    return path.replace("\\", "/").rstrip("/").casefold()


def id_for_policy(workspace_id: str, policy: PathPolicy, paths: Iterable[str] = ()) -> str:
    """A workspace id as the policy lets it be shown. An id that is one of the
    workspace's ``paths`` (ids default to the comparison key, which is the real
    path, lower-cased on Windows) follows the policy: its base name, or under
    HIDDEN a stable digest, so one folder has one id across reports. An id the
    host chose is its own and is kept as it is."""
    if policy is PathPolicy.FULL:
        return workspace_id
    folded = _fold(workspace_id)
    if not any(folded == _fold(path) for path in paths if path):
        return workspace_id
    if policy is PathPolicy.BASENAME:
        return _basename(workspace_id)
    import hashlib  # here: it loads the system's crypto library

    return "ws-" + hashlib.sha256(workspace_id.encode("utf-8", "surrogatepass")).hexdigest()[:12]


def diagnostic_for_policy(
    item: Diagnostic, *, paths: Iterable[str], policy: PathPolicy, home: str | None = None
) -> Diagnostic:
    """``item`` with its message redacted and its workspace id and paths shown
    as the policy allows."""
    paths = tuple(paths)
    return attrs.evolve(
        item,
        message=_clean_text(item.message, paths=paths, policy=policy, home=home),
        workspace_id=None if item.workspace_id is None else id_for_policy(item.workspace_id, policy, paths),
        evidence=tuple(_clean_text(e, paths=paths, policy=policy, home=home) for e in item.evidence),
    )


def _hide_workspace_paths(text: str, paths: Iterable[str], policy: PathPolicy) -> str:
    """Best effort: the workspace's own paths, where they appear whole in free
    text, follow the path policy too. A path the terminal wrapped is not found."""
    if policy is PathPolicy.FULL:
        return text
    for path in sorted({p for p in paths if len(p.rstrip("/\\")) > 1}, key=len, reverse=True):
        shown = _path_for_policy(path, policy)
        pattern = re.compile(re.escape(path) + r"(?![A-Za-z0-9_.\-])")
        text = pattern.sub("<workspace>" if shown is None else f"<…/{shown}>", text)
    return text


def _clean_text(text: str, *, paths: Iterable[str], policy: PathPolicy, home: str | None) -> str:
    # Secrets first (paths can then be matched without escape codes in them),
    # then the workspace paths, then the home folder, which would otherwise
    # have changed the paths' spelling before they were looked for.
    return _redact(_hide_workspace_paths(_redact(text), paths, policy), home=home)


def build_strategy_diagnostic(
    result: WorkspaceResult,
    *,
    debug: bool,
    path_policy: PathPolicy = PathPolicy.FULL,
    home: str | None = None,
) -> StrategyDiagnostic:
    """The storable facts of one workspace result.

    Evidence comes from the result's diagnostics. The raw tail is kept only
    for a failed result (soft_failed or blocked) with ``debug`` on. Evidence and
    raw tail are redacted (secrets; ``home`` becomes ``~``; with a policy other
    than FULL the workspace's paths are replaced). Nothing is cut here: call
    :func:`apply_budget` on the manifest.
    """
    paths = (result.workspace, result.real_path)
    evidence = tuple(
        _clean_text(item, paths=paths, policy=path_policy, home=home)
        for diagnostic in result.diagnostics
        for item in diagnostic.evidence
    )
    raw_tail = None
    if result.raw_tail is not None and shows_screen_tail(result, debug=debug):
        raw_tail = _redact_tail(
            _clean_text(result.raw_tail.text, paths=paths, policy=path_policy, home=home), limit=None
        )
    shown = _path_for_policy(result.workspace, path_policy)
    return StrategyDiagnostic(
        provider=result.provider,
        workspace_ids=(id_for_policy(result.workspace_id, path_policy, paths),),
        workspace_paths=() if shown is None else (shown,),
        status=result.status,
        matched_rule_ids=tuple(result.dialogs),
        keys_sent=tuple(key.value for key in result.keys),
        elapsed_ms=result.elapsed_ms,
        lock_wait_ms=result.lock_wait_ms,
        error_code=result.code,
        evidence=evidence,
        raw_tail=raw_tail,
        session=result.session,
        cli_version=result.cli_version,
    )


# --- the budget ----------------------------------------------------------------


class _Tally:
    """Counts of what was cut, merged into ``omitted_counts`` at the end."""

    __slots__ = ("counts",)

    def __init__(self, start: Mapping[Omission, int]) -> None:
        self.counts: dict[Omission, int] = {k: v for k, v in start.items() if v > 0}

    def add(self, what: Omission, amount: int) -> None:
        if amount > 0:
            self.counts[what] = self.counts.get(what, 0) + amount

    def items(self, values: tuple[str, ...], limit: int, what: Omission) -> tuple[str, ...]:
        self.add(what, len(values) - limit)
        return values[:limit]

    def head(self, text: str, limit: int) -> str:
        """``text`` cut to ``limit`` characters, keeping the start."""
        if len(text) <= limit:
            return text
        self.add(Omission.SHORTENED_FIELDS, 1)
        return text[: max(limit - 1, 0)] + _ELLIPSIS if limit > 0 else ""

    def tail(self, text: str, limit: int) -> str:
        """``text`` cut to ``limit`` characters, keeping the end (paths)."""
        if len(text) <= limit:
            return text
        self.add(Omission.SHORTENED_FIELDS, 1)
        return _ELLIPSIS + text[len(text) - limit + 1 :] if limit > 0 else ""

    def evidence(self, items: tuple[str, ...], budget: DiagnosticsBudget) -> tuple[str, ...]:
        kept = self.items(items, budget.max_evidence_per_result, Omission.EVIDENCE)
        out = []
        for item in kept:
            clean = _redact(item)
            if len(clean) > budget.max_evidence_chars:
                limit = budget.max_evidence_chars
                self.add(Omission.EVIDENCE_CHARS, len(clean) - max(limit - 1, 0))
                clean = clean[: max(limit - 1, 0)] + _ELLIPSIS if limit > 0 else ""
            out.append(clean)
        return tuple(out)

    def raw_tail(self, tail: Redacted, limit: int) -> Redacted:
        """The last ``limit`` UTF-8 bytes of ``tail``, never half a character."""
        kept, cut = tail.tail(limit)
        self.add(Omission.RAW_TAIL_BYTES, cut)
        return kept


def _budget_strategy(item: StrategyDiagnostic, budget: DiagnosticsBudget, tally: _Tally) -> StrategyDiagnostic:
    limit = budget.max_workspaces_per_result
    tally.add(Omission.WORKSPACES, len(item.workspace_ids) - limit)
    ids = tuple(tally.head(i, budget.max_identifier_chars) for i in item.workspace_ids[:limit])
    paths = tuple(tally.tail(p, budget.max_path_chars) for p in item.workspace_paths[:limit])
    rule_ids = tuple(
        tally.head(r, budget.max_identifier_chars)
        for r in tally.items(item.matched_rule_ids, budget.max_rule_ids, Omission.RULE_IDS)
    )
    keys = tuple(
        tally.head(k, budget.max_identifier_chars) for k in tally.items(item.keys_sent, budget.max_keys, Omission.KEYS)
    )
    raw_tail = item.raw_tail
    if raw_tail is not None:
        if item.status in FAILED_STATUSES:
            # Redacted again although build_strategy_diagnostic did it: a
            # manifest can be put together by hand.
            raw_tail = tally.raw_tail(_redact_tail(raw_tail.text, limit=None), budget.max_raw_tail_bytes)
        else:
            tally.add(Omission.RAW_TAIL_BYTES, raw_tail.utf8_size())
            raw_tail = None
    return StrategyDiagnostic(
        provider=item.provider,
        workspace_ids=ids,
        workspace_paths=paths,
        status=item.status,
        matched_rule_ids=rule_ids,
        keys_sent=keys,
        elapsed_ms=_clamp(item.elapsed_ms),
        lock_wait_ms=_clamp(item.lock_wait_ms),
        error_code=item.error_code,
        evidence=tally.evidence(item.evidence, budget),
        raw_tail=raw_tail,
        session=_budget_session(item.session, budget, tally),
        cli_version=item.cli_version,
    )


def _budget_session(item: SessionReport | None, budget: DiagnosticsBudget, tally: _Tally) -> SessionReport | None:
    if item is None:
        return None
    return SessionReport(
        frames=_clamp(item.frames),
        first_dialog_ms=None if item.first_dialog_ms is None else _clamp(item.first_dialog_ms),
        last_rule_id=None if item.last_rule_id is None else tally.head(item.last_rule_id, budget.max_identifier_chars),
        wait_reason=item.wait_reason,
        render_faults=_clamp(item.render_faults),
        dropped_sequences=_clamp(item.dropped_sequences),
        exit_status=_clamp_signed(item.exit_status),
    )


def _budget_diagnostic(item: Diagnostic, budget: DiagnosticsBudget, tally: _Tally) -> Diagnostic:
    return Diagnostic(
        code=item.code,
        message=tally.head(_redact(item.message), budget.max_message_chars),
        provider=item.provider,
        workspace_id=(
            None if item.workspace_id is None else tally.head(item.workspace_id, budget.max_identifier_chars)
        ),
        evidence=tally.evidence(item.evidence, budget),
    )


def apply_budget(manifest: DiagnosticsManifest, budget: DiagnosticsBudget = DEFAULT_BUDGET) -> DiagnosticsManifest:
    """``manifest`` cut to ``budget``, with what was cut added to ``omitted_counts``.

    Lists keep their first items; strings keep their start, except paths and
    raw tails, which keep their end. Raw tails of results that did not fail
    are dropped. Evidence, messages and raw tails are redacted again before
    they are cut (idempotent, so harmless for text that already was).
    Timings and the attempt number are clamped to ``0 .. 2**53 - 1``.
    """
    tally = _Tally(manifest.omitted_counts)
    results = manifest.strategy_results
    tally.add(Omission.STRATEGY_RESULTS, len(results) - budget.max_strategy_results)
    strategy_results = tuple(_budget_strategy(item, budget, tally) for item in results[: budget.max_strategy_results])
    diagnostics = manifest.diagnostics
    tally.add(Omission.DIAGNOSTICS, len(diagnostics) - budget.max_diagnostics)
    kept_diagnostics = tuple(_budget_diagnostic(item, budget, tally) for item in diagnostics[: budget.max_diagnostics])
    flags = list(manifest.feature_flags.items())
    tally.add(Omission.FEATURE_FLAGS, len(flags) - budget.max_feature_flags)
    feature_flags = {
        tally.head(name, budget.max_identifier_chars): bool(value) for name, value in flags[: budget.max_feature_flags]
    }
    return DiagnosticsManifest(
        attempt=_clamp(manifest.attempt),
        feature_flags=feature_flags,
        strategy_results=strategy_results,
        diagnostics=kept_diagnostics,
        omitted_counts=tally.counts,
    )


def unique_diagnostics(*groups: Iterable[Diagnostic]) -> tuple[Diagnostic, ...]:
    """Every diagnostic of ``groups`` once, in the order first seen."""
    return tuple(dict.fromkeys(item for group in groups for item in group))
