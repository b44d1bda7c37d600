"""The diagnostics manifest: what may be stored, and how much."""

from __future__ import annotations

import json

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from workspace_trust.diagnostics import (
    DiagnosticsBudget,
    DiagnosticsManifest,
    Omission,
    PathPolicy,
    StrategyDiagnostic,
    apply_budget,
    build_strategy_diagnostic,
)
from workspace_trust.documents import flags_to_json, manifest_to_json
from workspace_trust.domain.codes import Code, Key, Provider, WaitReason, WorkspaceStatus
from workspace_trust.domain.results import Diagnostic, SessionReport, WorkspaceResult
from workspace_trust.domain.text import Redacted
from workspace_trust.flags import FeatureFlags

HOME = "/home/ana"
WORKSPACE = "/home/ana/projects/shop"
SECRET_TAIL = (
    "Accessing workspace:\n/home/ana/projects/shop\n"
    "Detected a custom API key in your environment\n"
    "ANTHROPIC_API_KEY: sk-ant-...yz0123456789-ABCDEFG\n"
    "\x1b[1msigned in as ana@example.com\x1b[0m"
)


def result(
    status: WorkspaceStatus = WorkspaceStatus.SOFT_FAILED,
    *,
    raw_tail: str | None = SECRET_TAIL,
    evidence: tuple[str, ...] = (),
) -> WorkspaceResult:
    return WorkspaceResult(
        provider=Provider.CLAUDE,
        workspace_id="ws-1",
        workspace=WORKSPACE,
        real_path="/data/ana/projects/shop",
        status=status,
        code=Code.TIMEOUT if status is WorkspaceStatus.SOFT_FAILED else None,
        dialogs=("claude_trust_numbered",),
        keys=(Key.DOWN, Key.ENTER),
        elapsed_ms=532,
        lock_wait_ms=7,
        diagnostics=(Diagnostic(Code.TIMEOUT, "timed out", Provider.CLAUDE, "ws-1", evidence),),
        # Wrapped by hand, unredacted: the manifest must redact it all the same.
        raw_tail=None if raw_tail is None else Redacted(raw_tail),
    )


# --- build_strategy_diagnostic ----------------------------------------------------


def test_facts_are_copied() -> None:
    item = build_strategy_diagnostic(result(), debug=False, path_policy=PathPolicy.FULL, home=None)
    assert item.provider is Provider.CLAUDE
    assert item.workspace_ids == ("ws-1",)
    assert item.workspace_paths == (WORKSPACE,)
    assert item.status is WorkspaceStatus.SOFT_FAILED
    assert item.matched_rule_ids == ("claude_trust_numbered",)
    assert item.keys_sent == ("down", "enter")
    assert (item.elapsed_ms, item.lock_wait_ms) == (532, 7)
    assert item.error_code is Code.TIMEOUT


@pytest.mark.parametrize(
    ("status", "debug", "kept"),
    [
        (WorkspaceStatus.SOFT_FAILED, True, True),
        (WorkspaceStatus.BLOCKED, True, True),
        (WorkspaceStatus.SOFT_FAILED, False, False),
        (WorkspaceStatus.BLOCKED, False, False),
        (WorkspaceStatus.ACCEPTED, True, False),
        (WorkspaceStatus.ALREADY_TRUSTED, True, False),
        (WorkspaceStatus.PATCHED, True, False),
        (WorkspaceStatus.CANCELLED, True, False),
    ],
)
def test_raw_tail_only_for_failures_under_debug(status: WorkspaceStatus, debug: bool, kept: bool) -> None:
    item = build_strategy_diagnostic(result(status), debug=debug, path_policy=PathPolicy.FULL, home=None)
    assert (item.raw_tail is not None) is kept


def test_raw_tail_is_redacted() -> None:
    item = build_strategy_diagnostic(result(), debug=True, path_policy=PathPolicy.FULL, home=HOME)
    assert item.raw_tail is not None
    assert "yz0123456789" not in item.raw_tail.text
    assert "ana@example.com" not in item.raw_tail.text
    assert "\x1b" not in item.raw_tail.text
    assert "/home/ana" not in item.raw_tail.text
    assert "~/projects/shop" in item.raw_tail.text
    assert "Detected a custom API key" in item.raw_tail.text


def test_evidence_is_redacted() -> None:
    item = build_strategy_diagnostic(
        result(evidence=("key sk-proj-abcdef0123456789", "plain")),
        debug=False,
        path_policy=PathPolicy.FULL,
        home=None,
    )
    assert item.evidence == ("key [REDACTED_API_KEY]", "plain")


@pytest.mark.parametrize(
    ("policy", "paths", "in_tail"),
    [
        (PathPolicy.FULL, (WORKSPACE,), "~/projects/shop"),
        (PathPolicy.BASENAME, ("shop",), "<…/shop>"),
        (PathPolicy.HIDDEN, (), "<workspace>"),
    ],
)
def test_path_policy(policy: PathPolicy, paths: tuple[str, ...], in_tail: str) -> None:
    item = build_strategy_diagnostic(result(), debug=True, path_policy=policy, home=HOME)
    assert item.workspace_paths == paths
    assert item.raw_tail is not None
    assert in_tail in item.raw_tail.text
    if policy is not PathPolicy.FULL:
        assert "projects/shop" not in item.raw_tail.text


@pytest.mark.parametrize(
    ("path", "name"),
    [("/a/b/", "b"), ("C:\\Repo\\proj", "proj"), ("/", "/"), ("rel", "rel")],
)
def test_basename_policy_on_odd_paths(path: str, name: str) -> None:
    item = build_strategy_diagnostic(
        attrs.evolve(result(), workspace=path), debug=False, path_policy=PathPolicy.BASENAME, home=None
    )
    assert item.workspace_paths == (name,)


def test_types_have_no_place_for_environment_or_file_contents() -> None:
    names = {f.name for f in attrs.fields(StrategyDiagnostic)} | {f.name for f in attrs.fields(DiagnosticsManifest)}
    assert not names & {"env", "environment", "config", "file_contents", "settings"}


# --- apply_budget -------------------------------------------------------------------


def strategy(
    *,
    status: WorkspaceStatus = WorkspaceStatus.BLOCKED,
    workspace_ids: tuple[str, ...] = ("w",),
    workspace_paths: tuple[str, ...] = ("/w",),
    evidence: tuple[str, ...] = (),
    raw_tail: str | None = None,
) -> StrategyDiagnostic:
    return StrategyDiagnostic(
        provider=Provider.CODEX,
        workspace_ids=workspace_ids,
        workspace_paths=workspace_paths,
        status=status,
        evidence=evidence,
        raw_tail=None if raw_tail is None else Redacted(raw_tail),
    )


def test_small_manifest_is_unchanged() -> None:
    manifest = DiagnosticsManifest(
        attempt=1,
        feature_flags=flags_to_json(FeatureFlags()),
        strategy_results=(strategy(raw_tail="tail"),),
        diagnostics=(Diagnostic(Code.TIMEOUT, "timed out"),),
    )
    assert apply_budget(manifest) == manifest
    assert dict(apply_budget(manifest).omitted_counts) == {}


def test_counts_are_cut_and_recorded() -> None:
    manifest = DiagnosticsManifest(
        attempt=1,
        strategy_results=(
            strategy(
                workspace_ids=tuple(f"w{i}" for i in range(32)),
                workspace_paths=tuple(f"/w{i}" for i in range(32)),
                evidence=tuple(f"e{i}" for i in range(9)),
                raw_tail="é" * 5000,  # 10,000 bytes
            ),
            *(strategy() for _ in range(22)),
        ),
    )
    out = apply_budget(manifest)
    assert len(out.strategy_results) == 20
    first = out.strategy_results[0]
    assert first.workspace_ids == tuple(f"w{i}" for i in range(20))
    assert len(first.workspace_paths) == 20
    assert first.evidence == ("e0", "e1", "e2", "e3", "e4")
    assert first.raw_tail is not None
    assert len(first.raw_tail.text.encode()) == 8192
    assert dict(out.omitted_counts) == {
        Omission.STRATEGY_RESULTS: 3,
        Omission.WORKSPACES: 12,
        Omission.EVIDENCE: 4,
        Omission.RAW_TAIL_BYTES: 10_000 - 8192,
    }
    assert manifest_to_json(out)["omitted_counts"] == {
        "strategy_results": 3,
        "workspaces": 12,
        "evidence": 4,
        "raw_tail_bytes": 1808,
    }


def test_raw_tail_keeps_the_end_and_never_splits_a_character() -> None:
    tail = "START" + "€" * 3000 + "END"  # "€" is 3 bytes: 8192 is not a multiple
    out = apply_budget(DiagnosticsManifest(attempt=1, strategy_results=(strategy(raw_tail=tail),)))
    assert out.strategy_results[0].raw_tail is not None
    kept = out.strategy_results[0].raw_tail.text
    assert kept.endswith("END")
    assert not kept.startswith("START")
    assert kept == "€" * len(kept[:-3]) + "END"
    size = len(kept.encode())
    assert 8192 - 3 < size <= 8192
    assert out.omitted_counts[Omission.RAW_TAIL_BYTES] == len(tail.encode()) - size


def test_raw_tail_is_redacted_before_it_is_cut() -> None:
    # Cutting first would leave "api03-AAAA..." without its "sk-ant-" prefix.
    key = "sk-ant-api03-" + "A1" * 60
    tail = key + " " + "x" * 8150
    out = apply_budget(DiagnosticsManifest(attempt=1, strategy_results=(strategy(raw_tail=tail),)))
    assert out.strategy_results[0].raw_tail is not None
    kept = out.strategy_results[0].raw_tail.text
    assert "A1A1" not in kept
    # Redacted as a key (whole), not merely caught afterwards as a long token.
    assert kept.startswith("[REDACTED_API_KEY]")


def test_raw_tail_of_a_success_is_dropped_and_counted() -> None:
    item = strategy(status=WorkspaceStatus.ACCEPTED, raw_tail="abc")
    out = apply_budget(DiagnosticsManifest(attempt=1, strategy_results=(item,)))
    assert out.strategy_results[0].raw_tail is None
    assert out.omitted_counts[Omission.RAW_TAIL_BYTES] == 3


def test_long_evidence_is_cut_to_600_characters() -> None:
    out = apply_budget(DiagnosticsManifest(attempt=1, strategy_results=(strategy(evidence=("z" * 1000,)),)))
    (evidence,) = out.strategy_results[0].evidence
    assert len(evidence) == 600
    assert evidence.endswith("…")
    assert out.omitted_counts[Omission.EVIDENCE_CHARS] == 1000 - 599


def test_existing_omitted_counts_are_added_to() -> None:
    manifest = DiagnosticsManifest(
        attempt=2,
        strategy_results=tuple(strategy() for _ in range(21)),
        omitted_counts={Omission.STRATEGY_RESULTS: 5, Omission.KEYS: 1},
    )
    out = apply_budget(manifest)
    assert dict(out.omitted_counts) == {Omission.STRATEGY_RESULTS: 6, Omission.KEYS: 1}


def test_custom_budget() -> None:
    budget = DiagnosticsBudget(max_strategy_results=1, max_raw_tail_bytes=4)
    out = apply_budget(
        DiagnosticsManifest(attempt=1, strategy_results=(strategy(raw_tail="abcdefgh"), strategy())), budget
    )
    assert len(out.strategy_results) == 1
    assert out.strategy_results[0].raw_tail == Redacted("efgh")


def test_manifest_diagnostics_are_cut_and_redacted() -> None:
    diagnostics = tuple(Diagnostic(Code.TIMEOUT, f"m{i} token=abc") for i in range(25))
    out = apply_budget(DiagnosticsManifest(attempt=1, diagnostics=diagnostics))
    assert len(out.diagnostics) == 20
    assert out.diagnostics[0].message == "m0 token=[REDACTED_SECRET]"
    assert out.omitted_counts[Omission.DIAGNOSTICS] == 5


def test_manifest_is_immutable_and_hashable() -> None:
    manifest = DiagnosticsManifest(attempt=1, feature_flags={"retry": True})
    with pytest.raises(TypeError):
        manifest.feature_flags["retry"] = False  # type: ignore[index]
    assert hash(manifest) == hash(DiagnosticsManifest(attempt=1, feature_flags={"retry": True}))


# --- JSON ------------------------------------------------------------------------------


def test_manifest_to_json_is_plain_json() -> None:
    item = build_strategy_diagnostic(result(), debug=True, path_policy=PathPolicy.BASENAME, home=HOME)
    manifest = apply_budget(
        DiagnosticsManifest(
            attempt=1,
            feature_flags=flags_to_json(FeatureFlags()),
            strategy_results=(item,),
            diagnostics=(Diagnostic(Code.FEATURE_FLAG_INVALID, "bad flag", Provider.GEMINI, "ws-1"),),
        )
    )
    out = manifest_to_json(manifest)
    assert json.loads(json.dumps(out)) == out
    assert out["attempt"] == 1
    assert out["feature_flags"]["claude_pty"] is True
    (first,) = out["strategy_results"]
    assert first["provider"] == "claude"
    assert first["status"] == "soft_failed"
    assert first["error_code"] == "timeout"
    assert first["keys_sent"] == ["down", "enter"]
    assert first["workspace_paths"] == ["shop"]
    assert first["raw_tail_included"] is True
    assert "yz0123456789" not in first["raw_tail"]
    assert out["diagnostics"] == [
        {
            "code": "feature_flag_invalid",
            "message": "bad flag",
            "provider": "gemini",
            "workspace_id": "ws-1",
            "evidence": [],
        }
    ]
    assert out["omitted_counts"] == {}


# --- the size bound -----------------------------------------------------------------------


def json_size_bound(budget: DiagnosticsBudget) -> int:
    """Characters of ``json.dumps`` output, worst case: every character escaped
    as ``\\uXXXX`` (6) and every string quoted with a separator."""

    def s(chars: int) -> int:
        return 6 * chars + 4

    strategy_size = (
        300
        + budget.max_workspaces_per_result * (s(budget.max_identifier_chars) + s(budget.max_path_chars))
        + budget.max_rule_ids * s(budget.max_identifier_chars)
        + budget.max_keys * s(budget.max_identifier_chars)
        + budget.max_evidence_per_result * s(budget.max_evidence_chars)
        + s(budget.max_raw_tail_bytes)
        + 2 * 20
        # session: seven keys, five integers of at most 17 characters, a wait reason, a rule id
        + 250
        + s(budget.max_identifier_chars)
    )
    diagnostic_size = (
        150
        + s(budget.max_message_chars)
        + s(budget.max_identifier_chars)
        + budget.max_evidence_per_result * s(budget.max_evidence_chars)
    )
    flags_size = budget.max_feature_flags * (s(budget.max_identifier_chars) + 8)
    return (
        200
        + budget.max_strategy_results * strategy_size
        + budget.max_diagnostics * diagnostic_size
        + flags_size
        + len(Omission) * 60
    )


_texts = st.text(max_size=40) | st.builds(lambda c, n: c * n, st.characters(), st.integers(0, 3000))
_strings = st.lists(_texts, max_size=40).map(tuple)
#: Bigger than any budget: a random piece repeated.
_large_texts = st.builds(lambda piece, n: piece * n, st.text(min_size=1, max_size=20), st.integers(500, 2000))


_sessions = st.builds(
    SessionReport,
    frames=st.integers(),
    first_dialog_ms=st.none() | st.integers(),
    last_rule_id=st.none() | _texts | _large_texts,
    wait_reason=st.none() | st.sampled_from(list(WaitReason)),
    render_faults=st.integers(),
    dropped_sequences=st.integers(),
    exit_status=st.none() | st.integers(),
)


@st.composite
def strategy_items(draw: st.DrawFn) -> StrategyDiagnostic:
    return StrategyDiagnostic(
        provider=draw(st.sampled_from(list(Provider))),
        workspace_ids=draw(_strings),
        workspace_paths=draw(_strings),
        status=draw(st.sampled_from(list(WorkspaceStatus))),
        matched_rule_ids=draw(_strings),
        keys_sent=draw(_strings),
        elapsed_ms=draw(st.integers()),
        lock_wait_ms=draw(st.integers()),
        error_code=draw(st.none() | st.sampled_from(list(Code))),
        evidence=draw(_strings),
        raw_tail=draw(st.none() | (_texts | _large_texts).map(Redacted)),
        session=draw(st.none() | _sessions),
    )


_diagnostics = st.builds(
    Diagnostic,
    code=st.sampled_from(list(Code)),
    message=_texts,
    provider=st.none() | st.sampled_from(list(Provider)),
    workspace_id=st.none() | _texts,
    evidence=_strings,
)


@settings(max_examples=60, deadline=None)
@given(
    attempt=st.integers(),
    flags=st.dictionaries(_texts, st.booleans(), max_size=50),
    items=st.lists(strategy_items(), max_size=30),
    diagnostics=st.lists(_diagnostics, max_size=30),
    small=st.booleans(),
)
def test_budgeted_json_size_is_bounded_whatever_the_input(
    attempt: int,
    flags: dict[str, bool],
    items: list[StrategyDiagnostic],
    diagnostics: list[Diagnostic],
    small: bool,
) -> None:
    budget = (
        DiagnosticsBudget(
            max_strategy_results=2,
            max_workspaces_per_result=1,
            max_evidence_per_result=1,
            max_evidence_chars=10,
            max_raw_tail_bytes=16,
            max_rule_ids=1,
            max_keys=1,
            max_diagnostics=1,
            max_message_chars=10,
            max_feature_flags=1,
            max_identifier_chars=5,
            max_path_chars=5,
        )
        if small
        else DiagnosticsBudget()
    )
    manifest = DiagnosticsManifest(
        attempt=attempt, feature_flags=flags, strategy_results=tuple(items), diagnostics=tuple(diagnostics)
    )
    out = apply_budget(manifest, budget)
    size = len(json.dumps(manifest_to_json(out)))
    assert size <= json_size_bound(budget)
    assert len(out.strategy_results) <= budget.max_strategy_results
    for item in out.strategy_results:
        if item.raw_tail is not None:
            assert item.status in (WorkspaceStatus.SOFT_FAILED, WorkspaceStatus.BLOCKED)
            assert item.raw_tail.utf8_size() <= budget.max_raw_tail_bytes
        assert all(len(e) <= budget.max_evidence_chars for e in item.evidence)
