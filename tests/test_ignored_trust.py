"""A launch that will ignore every persisted trust record is reported, not prepared.

Claude Code counts no trust record when CLAUDE_CODE_IGNORE_PERSISTED_TRUST is
true or --ignore-persisted-trust is passed (tests/providers/claude/test_real_claude.py shows it
on the real CLI). A preflight for such a launch says so with
``provider_ignores_persisted_trust`` (soft failure) and starts nothing.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from workspace_trust import (
    Code,
    ExecutionStatus,
    ExitCode,
    FeatureFlags,
    Provider,
    WorkspaceSpec,
    WorkspaceStatus,
    WorkspaceTrustCoordinator,
    WorkspaceTrustRequest,
)
from workspace_trust.providers.claude.launch import IGNORE_TRUST_ENV, IGNORE_TRUST_FLAG, ignores_persisted_trust
from workspace_trust.registry import default_registry
from workspace_trust.testing import FakeClock, FakeHelpReader, FakeLocks, FakePtySpawner, FakeTui

FAKE = os.path.join(os.path.dirname(__file__), "fake_tui.py")
#: What Claude Code 2.1.330 did with each value, run by hand in a trusted folder
#: (tests/providers/claude/test_real_claude.py checks "1", "0" and the flag on every run).
ASKS_AGAIN = ["1", "true", "TRUE", "True", "yes", "Yes", "on", "ON", " 1", "1 "]
TRUST_COUNTS = ["", "0", "false", "no", "off", "2", "y", "t"]


@pytest.mark.parametrize("value", ASKS_AGAIN)
def test_true_values_of_the_variable_count(value: str) -> None:
    reason = ignores_persisted_trust({IGNORE_TRUST_ENV: value}, ())
    assert reason == f"{IGNORE_TRUST_ENV} is set in the launch environment"  # never the value


@pytest.mark.parametrize("value", TRUST_COUNTS)
def test_other_values_do_not(value: str) -> None:
    assert ignores_persisted_trust({IGNORE_TRUST_ENV: value}, ()) is None


def test_the_flag_counts_anywhere_and_only_whole() -> None:
    assert ignores_persisted_trust({}, ("--model", "x", IGNORE_TRUST_FLAG)) is not None
    assert ignores_persisted_trust({}, (f"{IGNORE_TRUST_FLAG}=1",)) is None
    assert ignores_persisted_trust({}, ("--ignore-persisted",)) is None
    assert ignores_persisted_trust({}, ()) is None


def test_only_the_claude_strategy_knows_the_switch() -> None:
    registry = default_registry()
    env = {IGNORE_TRUST_ENV: "1"}
    args = (IGNORE_TRUST_FLAG,)
    assert registry.create(Provider.CLAUDE).ignores_persisted_trust(env, args) is not None
    for provider in (Provider.CODEX, Provider.GEMINI):
        for mode in registry.modes(provider):
            assert registry.create(provider, mode).ignores_persisted_trust(env, args) is None


def never(spec: object) -> FakeTui:
    raise AssertionError(f"spawned {spec}")


def coordinator() -> tuple[WorkspaceTrustCoordinator, FakePtySpawner]:
    clock = FakeClock()
    spawner = FakePtySpawner(never, clock)
    return (
        WorkspaceTrustCoordinator(spawner=spawner, clock=clock, locks=FakeLocks(), help_reader=FakeHelpReader()),
        spawner,
    )


def make_request(dirs: list[str], env: dict[str, str], **kw: object) -> WorkspaceTrustRequest:
    return WorkspaceTrustRequest(
        workspaces=tuple(WorkspaceSpec(d) for d in dirs),
        providers=(Provider.CLAUDE, Provider.CODEX, Provider.GEMINI),
        env={"PATH": os.environ["PATH"], **env},
        **kw,  # type: ignore[arg-type]
    )


@pytest.mark.parametrize(
    ("env", "launch_args"),
    [({IGNORE_TRUST_ENV: "1"}, {}), ({}, {Provider.CLAUDE: ("--model", "opus", IGNORE_TRUST_FLAG)})],
    ids=["variable", "flag"],
)
def test_claude_is_settled_as_a_soft_failure_and_nothing_starts(
    sandbox: str, env: dict[str, str], launch_args: dict[Provider, tuple[str, ...]]
) -> None:
    home = os.path.join(sandbox, "home")
    ws = os.path.join(sandbox, "project")
    os.makedirs(home)
    os.makedirs(ws)
    with open(os.path.join(home, ".claude.json"), "w", encoding="utf-8") as handle:
        # Already trusted: the launch ignores that too.
        json.dump({"hasCompletedOnboarding": True, "projects": {ws: {"hasTrustDialogAccepted": True}}}, handle)
    coord, spawner = coordinator()
    req = make_request([ws, home], {"HOME": home, **env}, launch_args=launch_args)
    early = coord.plan_args_only(req)
    assert [d.code for d in early.diagnostics if d.provider is Provider.CLAUDE] == [
        Code.PROVIDER_IGNORES_PERSISTED_TRUST
    ]
    plan = coord.plan_full(req)
    assert [t.provider for t in plan.tasks] == [Provider.CODEX, Provider.GEMINI]
    # Kept apart from the blocked folders a host stops on.
    assert [(r.provider, r.code) for r in plan.soft_settled] == [
        (Provider.CLAUDE, Code.PROVIDER_IGNORES_PERSISTED_TRUST)
    ]
    assert {r.code for r in plan.settled} == {Code.NOT_PERSISTABLE_HOME}
    result = coord.execute(plan)
    by = {(r.provider, r.workspace): r for r in result.results}
    claude = by[(Provider.CLAUDE, ws)]
    assert (claude.status, claude.code, claude.pty_spawned, claude.trusted_key) == (
        WorkspaceStatus.SOFT_FAILED,
        Code.PROVIDER_IGNORES_PERSISTED_TRUST,
        False,
        None,
    )
    (diag,) = claude.diagnostics
    assert diag.code is Code.PROVIDER_IGNORES_PERSISTED_TRUST and "ask for trust again" in diag.message
    # The home folder stays blocked: the guard comes first.
    assert by[(Provider.CLAUDE, home)].code is Code.NOT_PERSISTABLE_HOME
    # Other providers are prepared as usual.
    assert by[(Provider.CODEX, ws)].status is WorkspaceStatus.PATCHED
    assert by[(Provider.GEMINI, ws)].status is WorkspaceStatus.PATCHED
    assert result.status is ExecutionStatus.BLOCKED  # because of the home folder
    assert spawner.sessions == []
    only_ws = coord.execute(coord.plan_full(make_request([ws], {"HOME": home, **env}, launch_args=launch_args)))
    assert only_ws.status is ExecutionStatus.SOFT_FAILED and only_ws.proceed  # default policy: launch anyway


def test_a_variable_that_does_not_count_changes_nothing(sandbox: str) -> None:
    ws = os.path.join(sandbox, "project")
    os.makedirs(ws)
    coord, _ = coordinator()
    plan = coord.plan_full(make_request([ws], {"HOME": sandbox, IGNORE_TRUST_ENV: "0"}))
    assert [t.provider for t in plan.tasks] == [Provider.CLAUDE, Provider.CODEX, Provider.GEMINI]
    assert plan.settled == ()


def test_a_switched_off_strategy_is_skipped_not_reported(sandbox: str) -> None:
    ws = os.path.join(sandbox, "project")
    os.makedirs(ws)
    coord, _ = coordinator()
    req = make_request([ws], {"HOME": sandbox, IGNORE_TRUST_ENV: "1"}, flags=FeatureFlags(claude_pty=False))
    result = coord.execute(coord.plan_full(req))
    (claude,) = result.for_provider(Provider.CLAUDE)
    assert (claude.status, claude.code) == (WorkspaceStatus.SKIPPED, Code.FEATURE_DISABLED)


# --- the command line --------------------------------------------------------------


def cli(args: list[str], home: str, **env: str) -> subprocess.CompletedProcess[str]:
    full_env = {"HOME": home, "PATH": os.environ["PATH"], "TERM": "xterm-256color", **env}
    return subprocess.run(
        [sys.executable, "-m", "workspace_trust", *args],
        env=full_env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def seeded(sandbox: str) -> tuple[str, str, str]:
    home = os.path.join(sandbox, "home")
    ws = os.path.join(sandbox, "project")
    os.makedirs(home)
    os.makedirs(ws)
    with open(os.path.join(home, ".claude.json"), "w", encoding="utf-8") as handle:
        json.dump({"hasCompletedOnboarding": True}, handle)
    log = os.path.join(sandbox, "started.log")
    with open(os.path.join(home, "fake_tui.env"), "w", encoding="utf-8") as handle:
        handle.write(f"FAKE_STARTLOG={log}\n")
    return home, ws, log


@pytest.mark.parametrize("how", ["variable", "flag"])
def test_preflight_says_so_and_starts_nothing(sandbox: str, how: str) -> None:
    home, ws, log = seeded(sandbox)
    env = {IGNORE_TRUST_ENV: "true"} if how == "variable" else {}
    extra = [f"--launch-arg=claude={IGNORE_TRUST_FLAG}"] if how == "flag" else []
    for json_flag in (["--json"], []):
        proc = cli(["preflight", ws, "--claude-bin", FAKE, *extra, *json_flag], home, **env)
        assert proc.returncode == ExitCode.SOFT_FAILED, proc.stderr
        if json_flag:
            doc = json.loads(proc.stdout)
            (result,) = doc["results"]
            assert (result["status"], result["code"], result["pty_spawned"]) == (
                "soft_failed",
                "provider_ignores_persisted_trust",
                False,
            )
            assert doc["status"] == "soft_failed"
            assert [d["code"] for d in doc["diagnostics"]] == ["provider_ignores_persisted_trust"]
            assert doc["manifest"]["strategy_results"][0]["error_code"] == "provider_ignores_persisted_trust"
        else:
            assert "provider_ignores_persisted_trust" in proc.stdout
    assert not os.path.exists(log)  # the CLI was never started
    with open(os.path.join(home, ".claude.json"), encoding="utf-8") as handle:
        assert "projects" not in json.load(handle)
    # The same set-up without the switch does start it and accepts.
    plain = cli(["preflight", ws, "--claude-bin", FAKE, "--json"], home)
    assert plain.returncode == ExitCode.OK and json.loads(plain.stdout)["results"][0]["status"] == "accepted"
    assert os.path.exists(log)


def test_plan_and_status_say_so_too(sandbox: str) -> None:
    home, ws, _ = seeded(sandbox)
    proc = cli(["plan", ws, "--provider", "claude,codex", "--json", f"--launch-arg=claude={IGNORE_TRUST_FLAG}"], home)
    assert proc.returncode == ExitCode.SOFT_FAILED, proc.stderr
    doc = json.loads(proc.stdout)
    assert doc["status"] == "soft_failed"
    assert [(r["provider"], r["code"]) for r in doc["results"]] == [("claude", "provider_ignores_persisted_trust")]
    assert doc["provider_fields"]["codex"]["config_overrides"]  # Codex still gets its patch
    text = cli(["plan", ws, f"--launch-arg=claude={IGNORE_TRUST_FLAG}"], home)
    assert f"soft_failed {ws} [provider_ignores_persisted_trust]" in text.stdout
    status = cli(["status", ws, "--json"], home, **{IGNORE_TRUST_ENV: "1"})
    assert status.returncode == ExitCode.SOFT_FAILED
    (row,) = json.loads(status.stdout)["results"]
    assert (row["status"], row["code"]) == ("unknown", "provider_ignores_persisted_trust")


@pytest.mark.parametrize("value", ["claude", "=--x", "nope=--x", "claude,codex=--x"])
def test_a_malformed_launch_arg_is_a_usage_error(sandbox: str, value: str) -> None:
    home, ws, _ = seeded(sandbox)
    proc = cli(["plan", ws, f"--launch-arg={value}"], home)
    assert proc.returncode == ExitCode.USAGE and proc.stdout == ""
