"""The state file is the only proof of success, and each of the three layers
that read it proves it on its own: the runner (while the CLI runs and when it
exits), the strategy (once the CLI is stopped) and the coordinator (once every
session of the call has ended).

The CLI here is the fake TUI posing as ``claude`` in a real PTY, set to take
Enter on "Yes" and save nothing (``FAKE_NO_SAVE``): everything it draws says
the folder was trusted, and only ``.claude.json`` says otherwise. Each test
makes the layers in front of the one it pins claim success, so that removing
that one layer's check makes the test fail.
"""

from __future__ import annotations

import json
import os
from typing import Any

import attrs
import pytest

from workspace_trust.adapters.clock import SystemClock
from workspace_trust.adapters.pty_process import PtyProcessSpawner
from workspace_trust.coordinator import WorkspaceTrustCoordinator
from workspace_trust.domain.codes import Code, Key, Provider, TrustState, WorkspaceStatus
from workspace_trust.domain.results import ProbeResult, WorkspaceResult
from workspace_trust.engine.dialog import DialogEngine
from workspace_trust.engine.timing import DEFAULT_TIMING
from workspace_trust.ports import SpawnSpec
from workspace_trust.providers import spec_for
from workspace_trust.requests import WorkspaceSpec, WorkspaceTrustRequest
from workspace_trust.session import SessionEnd, SessionOutcome

FAKE = os.path.join(os.path.dirname(__file__), "fake_tui.py")

#: Long enough for the fake's dialog, short enough that a CLI that never saves
#: ends the run soon (the wait for persistence is bounded by it).
TIMING = attrs.evolve(DEFAULT_TIMING, total_budget_ms=6000, persist_timeout_ms=1500)


def _home(sandbox: str, no_save: str) -> str:
    home = os.path.join(sandbox, "home")
    os.makedirs(home)
    with open(os.path.join(home, ".claude.json"), "w", encoding="utf-8") as handle:
        json.dump({"hasCompletedOnboarding": True}, handle)
    # The preflight passes the CLI an allowlisted environment: the fake reads
    # its settings from this file.
    with open(os.path.join(home, "fake_tui.env"), "w", encoding="utf-8") as handle:
        handle.write(f"FAKE_NO_SAVE={no_save}\n")
    return home


def _project(sandbox: str) -> str:
    path = os.path.join(sandbox, "project")
    os.makedirs(path)
    return path


def _trusted(home: str, folder: str) -> bool:
    with open(os.path.join(home, ".claude.json"), encoding="utf-8") as handle:
        entry = json.load(handle).get("projects", {}).get(folder, {})
    return entry.get("hasTrustDialogAccepted") is True


def _request(home: str, ws: str) -> WorkspaceTrustRequest:
    return WorkspaceTrustRequest(
        workspaces=(WorkspaceSpec(ws),),
        env={"HOME": home, "PATH": os.environ["PATH"], "TERM": "xterm-256color"},
        binaries={Provider.CLAUDE: FAKE},
        timing=TIMING,
    )


def _execute(home: str, ws: str) -> WorkspaceResult:
    coordinator = WorkspaceTrustCoordinator(use_file_locks=False)
    (result,) = coordinator.execute(coordinator.plan_full(_request(home, ws))).results
    return result


def _lost_when(result: WorkspaceResult) -> list[str]:
    """Each trust_lost diagnostic's "when" (its message after "is not")."""
    return [d.message.rpartition(" is not ")[2] for d in result.diagnostics if d.code is Code.TRUST_LOST]


@pytest.mark.parametrize(
    ("no_save", "end"),
    [("exit", SessionEnd.PROVIDER_EXITED), ("stay", SessionEnd.TRUST_NOT_PERSISTED)],
)
def test_the_runner_alone_calls_no_session_a_success_the_state_file_denies(
    sandbox: str, no_save: str, end: SessionEnd
) -> None:
    """The runner with nothing behind it: a CLI that took Enter on "Yes" and
    exited (or went on to its main screen) without saving is no persisted trust."""
    home, ws = _home(sandbox, no_save), _project(sandbox)
    polls: list[bool] = []

    def success() -> ProbeResult:
        trusted = _trusted(home, ws)
        polls.append(trusted)
        return ProbeResult(TrustState.TRUSTED if trusted else TrustState.UNTRUSTED)

    from workspace_trust.runner import run_session

    rules = spec_for(Provider.CLAUDE).rules
    assert rules is not None
    env = {"HOME": home, "PATH": os.environ["PATH"], "TERM": "xterm-256color"}
    session = PtyProcessSpawner().spawn(SpawnSpec(argv=(FAKE,), cwd=ws, env=env))
    try:
        outcome = run_session(
            session,
            DialogEngine(rules, TIMING),
            SystemClock(),
            success=success,
            is_cancelled=lambda: False,
            timing=TIMING,
        )
    finally:
        session.kill()
    # The dialog was answered and the state file read after Enter: the run got
    # as far as the check it pins.
    assert outcome.keys[-1] is Key.ENTER and polls, outcome
    assert outcome.end is end, outcome
    assert outcome.probe is not None and outcome.probe.state is TrustState.UNTRUSTED
    assert not _trusted(home, ws)


def _runner_claims_success(monkeypatch: pytest.MonkeyPatch) -> list[SessionOutcome]:
    """The runner, made to report every session that got as far as Enter as
    persisted trust (what a runner without its check would report). Returns
    the outcomes it really had."""
    from workspace_trust import runner

    real = runner.run_session
    seen: list[SessionOutcome] = []

    def claiming(*args: Any, **kwargs: Any) -> SessionOutcome:
        outcome = real(*args, **kwargs)
        seen.append(outcome)
        if Key.ENTER in outcome.keys:
            return attrs.evolve(outcome, end=SessionEnd.TRUST_PERSISTED)
        return outcome

    monkeypatch.setattr(runner, "run_session", claiming)
    return seen


def test_the_strategy_alone_proves_trust_after_the_kill(sandbox: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """The runner claims success and the coordinator's final proof is taken
    away: the strategy's own read of the state file after the kill is what
    turns the claim into trust_lost."""
    from workspace_trust import coordinator

    seen = _runner_claims_success(monkeypatch)
    monkeypatch.setattr(
        coordinator.WorkspaceTrustCoordinator, "_reprove", staticmethod(lambda task, result, **_: result)
    )
    home, ws = _home(sandbox, "exit"), _project(sandbox)
    result = _execute(home, ws)
    assert [o.end for o in seen] == [SessionEnd.PROVIDER_EXITED], seen
    assert (result.status, result.code) == (WorkspaceStatus.SOFT_FAILED, Code.TRUST_LOST), result
    assert _lost_when(result) == ["after the CLI was stopped"]
    assert result.pty_spawned and result.keys[-1] is Key.ENTER
    assert not _trusted(home, ws)


def test_the_coordinator_alone_proves_trust_when_the_call_ends(sandbox: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """The session's own layers (runner and strategy) both claim success: the
    coordinator's proof once every session ended finds no trust, runs the
    folder once more, finds none again, and reports trust_lost."""
    from workspace_trust.providers import pty_strategy

    real = pty_strategy.PtyTrustStrategy._run_pty
    claimed: list[WorkspaceResult] = []

    def claiming(self: Any, *args: Any, **kwargs: Any) -> WorkspaceResult:
        result: WorkspaceResult = real(self, *args, **kwargs)
        claimed.append(result)
        return attrs.evolve(result, status=WorkspaceStatus.ACCEPTED, code=None, trusted_key=args[0].absolute_path)

    monkeypatch.setattr(pty_strategy.PtyTrustStrategy, "_run_pty", claiming)
    home, ws = _home(sandbox, "exit"), _project(sandbox)
    result = _execute(home, ws)
    # Both runs really started the CLI and really failed; both claims were false.
    assert [(r.status, r.code, r.pty_spawned) for r in claimed] == [
        (WorkspaceStatus.SOFT_FAILED, Code.PROVIDER_EXITED, True)
    ] * 2
    assert (result.status, result.code) == (WorkspaceStatus.SOFT_FAILED, Code.TRUST_LOST), result
    assert _lost_when(result) == ["when the retry ended"]
    assert not _trusted(home, ws)


@pytest.mark.parametrize("no_save", ["exit", "stay"])
def test_a_cli_that_saves_nothing_is_never_accepted(sandbox: str, no_save: str) -> None:
    """All layers in place, end to end: the dialog answered, nothing saved, no success."""
    home, ws = _home(sandbox, no_save), _project(sandbox)
    result = _execute(home, ws)
    expected = Code.PROVIDER_EXITED if no_save == "exit" else Code.TRUST_NOT_PERSISTED
    assert (result.status, result.code) == (WorkspaceStatus.SOFT_FAILED, expected), result
    assert result.pty_spawned and result.keys[-1] is Key.ENTER
    assert not _trusted(home, ws)
