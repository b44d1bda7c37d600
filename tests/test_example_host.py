"""The example host under examples/: its blocked, cancelled, soft-failed and launched paths."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import threading
from collections.abc import Mapping, Sequence
from types import ModuleType
from typing import Any

import pytest

from tests.conftest import require_cli
from workspace_trust import EngineTiming, Provider
from workspace_trust.coordinator import WorkspaceTrustCoordinator
from workspace_trust.installed_clis import base_env, seed_home

FAKE = os.path.join(os.path.dirname(__file__), "fake_tui.py")
EXAMPLE = os.path.join(os.path.dirname(os.path.dirname(__file__)), "examples", "launcher.py")


def load_example() -> ModuleType:
    spec = importlib.util.spec_from_file_location("example_launcher", EXAMPLE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["example_launcher"] = module
    spec.loader.exec_module(module)
    return module


launcher = load_example()


class Recorder:
    """Stands in for the agent: answers each launch with the next scripted
    (exit code, output), then succeeds."""

    def __init__(self, *answers: tuple[int, str]) -> None:
        self.calls: list[tuple[list[str], dict[str, str], str]] = []
        self.answers = list(answers)

    def __call__(self, argv: Sequence[str], env: Mapping[str, str], cwd: str) -> tuple[int, str]:
        self.calls.append((list(argv), dict(env), cwd))
        return self.answers.pop(0) if self.answers else (0, "")


def fake_home(sandbox: str, settings: str = "") -> tuple[str, dict[str, str]]:
    home = os.path.join(sandbox, "home")
    os.makedirs(home, exist_ok=True)
    with open(os.path.join(home, ".claude.json"), "w", encoding="utf-8") as handle:
        json.dump({"hasCompletedOnboarding": True}, handle)
    with open(os.path.join(home, "fake_tui.env"), "w", encoding="utf-8") as handle:
        handle.write(settings)
    return home, {"HOME": home, "PATH": os.environ["PATH"], "TERM": "xterm-256color"}


def project(sandbox: str) -> str:
    path = os.path.join(sandbox, "project")
    os.makedirs(path, exist_ok=True)
    return path


def quiet(_: str) -> None:
    return None


def launch_with_fake(
    folder: str,
    env: dict[str, str],
    run: Recorder,
    lead: Provider = Provider.CLAUDE,
    agent: Sequence[str] = ("agent",),
    **kwargs: Any,
) -> Any:
    """The example's launch, with the fake TUI as Claude and a test-local coordinator."""
    kwargs.setdefault("binaries", {Provider.CLAUDE: FAKE})
    return launcher.launch(
        folder,
        [lead],
        list(agent),
        env=env,
        coordinator=WorkspaceTrustCoordinator(use_file_locks=False),
        run=run,
        log=quiet,
        **kwargs,
    )


def test_home_folder_is_blocked_and_nothing_launches(sandbox: str) -> None:
    home, env = fake_home(sandbox)
    run = Recorder()
    out = launch_with_fake(
        home,
        env,
        run,
    )
    assert (out.exit_code, out.status, out.launched) == (3, "blocked", False)
    assert run.calls == []


def test_cancel_stops_the_preflight_and_nothing_launches(sandbox: str) -> None:
    _, env = fake_home(sandbox, "FAKE_MODE=silent\n")
    stop = threading.Event()
    threading.Timer(0.6, stop.set).start()
    run = Recorder()
    out = launch_with_fake(
        project(sandbox),
        env,
        run,
        is_cancelled=stop.is_set,
    )
    assert (out.exit_code, out.status, out.launched) == (130, "cancelled", False)
    assert run.calls == []


def test_soft_failure_continues_to_the_runtime_gate_which_refuses(sandbox: str) -> None:
    _, env = fake_home(sandbox, "FAKE_MODE=unknown\n")
    env["WORKSPACE_TRUST_CLAUDE_BIN"] = FAKE
    run = Recorder()
    out = launch_with_fake(
        project(sandbox),
        env,
        run,
        binaries={},  # found through WORKSPACE_TRUST_CLAUDE_BIN
        # An unknown screen ends in a timeout; keep it short.
        timing=EngineTiming(total_budget_ms=3000),
    )
    assert (out.exit_code, out.status, out.launched) == (1, "workspace_trust_required", False)
    assert "workspace trust is not accepted" in out.message
    assert run.calls == []


def test_a_launch_that_ignores_persisted_trust_is_a_soft_failure_not_a_block(sandbox: str) -> None:
    started = os.path.join(sandbox, "started.log")
    _, env = fake_home(sandbox, f"FAKE_STARTLOG={started}\n")
    env["CLAUDE_CODE_IGNORE_PERSISTED_TRUST"] = "1"
    run = Recorder()
    out = launch_with_fake(project(sandbox), env, run)
    # Not stopped at the full plan as a blocked folder: the policy decides, and
    # here the runtime gate refuses the untrusted folder as it would anyway.
    assert (out.exit_code, out.status, out.launched) == (1, "workspace_trust_required", False)
    assert not os.path.exists(started)  # the preflight started nothing


@pytest.mark.parametrize("lead", [Provider.CODEX, Provider.GEMINI])
def test_accepted_then_launched_with_patched_args_and_env(sandbox: str, lead: Provider) -> None:
    _, env = fake_home(sandbox)
    folder = project(sandbox)
    run = Recorder()
    out = launch_with_fake(
        folder,
        env,
        run,
        lead=lead,
        agent=[lead.value, "exec"],
    )
    assert (out.exit_code, out.status, out.launched) == (0, "launched", True)
    ((argv, child_env, cwd),) = run.calls
    assert cwd == folder and argv[:2] == [lead.value, "exec"]
    if lead is Provider.CODEX:
        assert argv[2] == "-c" and argv[3].startswith("projects={") and folder in argv[3]
    else:
        assert child_env["GEMINI_CLI_TRUST_WORKSPACE"] == "true" and "-c" not in argv


class CodexRun:
    """Runs the agent command as the example does, its output captured;
    ``breaks`` cuts the last character off the ``-c`` value first (an inline
    table left open: what a broken override looks like to Codex)."""

    def __init__(self, *, breaks: bool = False) -> None:
        self.breaks = breaks
        self.calls: list[tuple[list[str], int, str, str]] = []

    def __call__(self, argv: Sequence[str], env: Mapping[str, str], cwd: str) -> tuple[int, str]:
        words = list(argv)
        if self.breaks:
            index = words.index("-c") + 1
            words[index] = words[index][:-1]
        proc = subprocess.run(
            words, env=dict(env), cwd=cwd, capture_output=True, text=True, errors="replace", timeout=120, check=False
        )
        self.calls.append((words, proc.returncode, proc.stdout, proc.stderr))
        return proc.returncode, proc.stderr[-8192:]


#: A Codex command that loads its configuration, ``-c`` overrides included,
#: and fails on one it cannot parse (``--version`` parses none), with no login
#: and no network.
CODEX_READS_CONFIG = ("features", "list")


@pytest.mark.realcli
def test_real_claude_and_codex_through_the_example(sandbox: str) -> None:
    claude = require_cli("claude", "2.1.330")
    codex = require_cli("codex", "0.169.0")
    home = os.path.join(sandbox, "home")
    seed_home("claude", home)
    env = base_env(home, seed_home("codex", home))
    folder = project(sandbox)
    agent = [codex, *CODEX_READS_CONFIG]
    run = CodexRun()
    out = launcher.launch(
        folder, [Provider.CODEX], agent, env=env, binaries={Provider.CLAUDE: claude}, log=quiet, run=run
    )
    # Claude's trust was accepted in its own TUI, the gate passed, and the real
    # Codex binary parsed the patched arguments (-c projects={...}).
    assert (out.exit_code, out.status, out.launched) == (0, "launched", True), run.calls
    index = out.argv.index("-c")
    assert folder in out.argv[index + 1] and out.argv[index + 1].startswith("projects={")
    ((argv, code, stdout, _),) = run.calls
    assert argv == list(out.argv) and code == 0 and stdout.strip()

    # The negative control: the same launch with the override broken fails,
    # so the command above does read it.
    broken = CodexRun(breaks=True)
    out = launcher.launch(
        folder, [Provider.CODEX], agent, env=env, binaries={Provider.CLAUDE: claude}, log=quiet, run=broken
    )
    assert (out.exit_code, out.status) == (1, "agent_failed"), broken.calls
    assert broken.calls and all(code != 0 and "projects" in stderr for _, code, _, stderr in broken.calls)


TRUST_FAILURE = (1, "Error: workspace trust is not accepted for this folder")


@pytest.mark.parametrize(("retry", "launches", "status"), [("1", 2, "launched"), ("0", 1, "agent_failed")])
def test_a_trust_failure_at_launch_is_retried_once_only_with_the_retry_flag(
    sandbox: str, retry: str, launches: int, status: str
) -> None:
    _, env = fake_home(sandbox)
    env["WORKSPACE_TRUST_RETRY"] = retry
    run = Recorder(TRUST_FAILURE)
    out = launch_with_fake(
        project(sandbox),
        env,
        run,
    )
    assert (out.status, out.attempts, len(run.calls)) == (status, launches, launches)


def test_the_retry_is_never_repeated(sandbox: str) -> None:
    _, env = fake_home(sandbox)
    env["WORKSPACE_TRUST_RETRY"] = "1"
    run = Recorder(TRUST_FAILURE, TRUST_FAILURE, TRUST_FAILURE)
    out = launch_with_fake(
        project(sandbox),
        env,
        run,
    )
    assert (out.exit_code, out.status, out.attempts, len(run.calls)) == (1, "agent_failed", 2, 2)


@pytest.mark.parametrize(
    ("answer", "remedy"),
    [
        ((2, "Error: model not found"), "model not found"),
        ((1, "Not inside a trusted directory and --skip-git-repo-check was not specified."), "git repository"),
    ],
)
def test_failures_a_preflight_cannot_clear_are_not_retried(sandbox: str, answer: tuple[int, str], remedy: str) -> None:
    _, env = fake_home(sandbox)
    env["WORKSPACE_TRUST_RETRY"] = "1"
    run = Recorder(answer)
    out = launch_with_fake(
        project(sandbox),
        env,
        run,
        lead=Provider.CODEX,
        agent=["codex", "exec", "hi"],
    )
    assert (out.status, out.attempts, len(run.calls)) == ("agent_failed", 1, 1)
    # The remedy where a preflight cannot help, else the agent's own last line.
    assert remedy in out.message


class CountingCoordinator(WorkspaceTrustCoordinator):
    def __init__(self) -> None:
        super().__init__(use_file_locks=False)
        self.executes = 0
        self.disposes = 0

    def execute(self, *args: Any, **kwargs: Any) -> Any:
        self.executes += 1
        return super().execute(*args, **kwargs)

    def dispose(self) -> int:
        self.disposes += 1
        return super().dispose()


def test_an_injected_coordinator_serves_every_attempt_and_stays_the_callers(sandbox: str) -> None:
    _, env = fake_home(sandbox)
    env["WORKSPACE_TRUST_RETRY"] = "1"
    coordinator = CountingCoordinator()
    common: dict[str, Any] = {"env": env, "binaries": {Provider.CLAUDE: FAKE}, "coordinator": coordinator, "log": quiet}
    out = launcher.launch(project(sandbox), [Provider.CLAUDE], ["agent"], run=Recorder(TRUST_FAILURE), **common)
    assert (out.status, out.attempts) == ("launched", 2)
    assert (coordinator.executes, coordinator.disposes) == (2, 0)
    # Still usable: a second launch with the same coordinator is not cancelled.
    again = launcher.launch(project(sandbox), [Provider.CLAUDE], ["agent"], run=Recorder(), **common)
    assert again.status == "launched"


def test_an_agent_that_cannot_start_is_a_failed_launch_not_a_crash(sandbox: str) -> None:
    _, env = fake_home(sandbox)
    real = launcher.launch(
        project(sandbox),
        [Provider.CLAUDE],
        [os.path.join(sandbox, "no-such-agent")],
        env=env,
        binaries={Provider.CLAUDE: FAKE},
        coordinator=WorkspaceTrustCoordinator(use_file_locks=False),
        log=quiet,
    )
    assert (real.exit_code, real.status) == (1, "agent_failed") and "cannot start" in real.message


@pytest.mark.parametrize(
    ("words", "expected"),
    [
        (["--", "codex", "exec", "--", "--help-me"], ["codex", "exec", "--", "--help-me"]),
        (["codex", "exec"], ["codex", "exec"]),
        ([], ["/bin/codex", "--version"]),
        (["--"], ["/bin/codex", "--version"]),
    ],
)
def test_only_the_leading_separator_is_the_launchers(words: list[str], expected: list[str]) -> None:
    assert launcher.agent_command(words, Provider.CODEX, {Provider.CODEX: "/bin/codex"}) == expected


def test_a_malformed_bin_option_is_a_usage_error(sandbox: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        launcher.main(["--bin", "foo=/x", project(sandbox)])
    assert exit_info.value.code == 2 and "--bin" in capsys.readouterr().err


def test_agent_output_that_is_not_utf8_or_holds_a_key_is_reported_safely(sandbox: str) -> None:
    _, env = fake_home(sandbox)
    agent = ["sh", "-c", "printf '\\377 bad key sk-ant-api03-abcdefghijklmnop0123\\n' >&2; exit 3"]
    out = launcher.launch(
        project(sandbox),
        [Provider.CLAUDE],
        agent,
        env=env,
        binaries={Provider.CLAUDE: FAKE},
        coordinator=WorkspaceTrustCoordinator(use_file_locks=False),
        log=quiet,
    )
    assert (out.exit_code, out.status) == (1, "agent_failed")
    assert "bad key" in out.message and "abcdefghijklmnop" not in out.message


def test_a_retry_cancelled_after_a_failed_launch_still_says_the_agent_was_launched(sandbox: str) -> None:
    _, env = fake_home(sandbox)
    env["WORKSPACE_TRUST_RETRY"] = "1"
    run = Recorder(TRUST_FAILURE)
    out = launch_with_fake(project(sandbox), env, run, is_cancelled=lambda: bool(run.calls))
    assert (out.exit_code, out.status, out.launched, out.attempts, len(run.calls)) == (130, "cancelled", True, 1, 1)
