"""Launch modes and launch-opened folders at their edges: a strategy named
outright, a fallback past the checks the first choice had, a host's own
help reader that raises, and folders several request folders open."""

from __future__ import annotations

import os
from collections.abc import Mapping

import pytest

from workspace_trust import (
    Code,
    Diagnostic,
    LaunchMode,
    Provider,
    WorkspaceSpec,
    WorkspaceStatus,
    WorkspaceTrustCoordinator,
)
from workspace_trust import WorkspaceTrustRequest as Request
from workspace_trust.ports import IsCancelled
from workspace_trust.testing import (
    FakeBinaryLocator,
    FakeClock,
    FakeHelpReader,
    FakeLocks,
    FakePtySpawner,
    FakeTui,
    all_protected_help,
)


class _Spawns:
    def __init__(self) -> None:
        self.seen: list[object] = []

    def __call__(self, spec: object) -> FakeTui:
        self.seen.append(spec)
        raise AssertionError("a session was started")


def _coordinator(reader: FakeHelpReader, spawns: _Spawns) -> WorkspaceTrustCoordinator:
    clock = FakeClock()
    return WorkspaceTrustCoordinator(
        spawner=FakePtySpawner(spawns, clock),
        clock=clock,
        locks=FakeLocks(),
        help_reader=reader,
        binary_locator=FakeBinaryLocator({"claude", "codex", "gemini", "copilot", "qwen"}),
    )


def _request(sandbox: str, providers: tuple[Provider, ...], *names: str, **fields: object) -> Request:
    home = os.path.join(sandbox, "home")
    os.makedirs(home, exist_ok=True)
    with open(os.path.join(home, ".claude.json"), "w", encoding="utf-8") as handle:
        handle.write('{"hasCompletedOnboarding": true}')
    folders = []
    for name in names or ("proj",):
        folders.append(os.path.join(sandbox, name))
        os.makedirs(folders[-1], exist_ok=True)
    env: Mapping[str, str] = {"HOME": home, "PATH": "/usr/bin"}
    return Request(
        workspaces=tuple(WorkspaceSpec(f) for f in folders),
        providers=providers,
        env=env,
        **fields,  # type: ignore[arg-type]
    )


def test_gemini_none_named_outright_is_not_believed_for_a_cli_that_gates(sandbox: str) -> None:
    """Gemini 0.61.0 stops a prompt-mode launch in an untrusted folder (exit
    55); ``--gemini-mode none`` must not answer that folder ``not_required``."""
    spawns = _Spawns()
    coordinator = _coordinator(FakeHelpReader(all_protected_help(), version="0.61.0"), spawns)
    request = _request(
        sandbox, (Provider.GEMINI,), launch_mode=LaunchMode.PROMPT, strategy_modes={Provider.GEMINI: "none"}
    )
    result = coordinator.execute(coordinator.plan_full(request))
    assert [r.status for r in result.results] != [WorkspaceStatus.NOT_REQUIRED]


def test_copilot_args_named_outright_is_checked_against_its_help(sandbox: str) -> None:
    """A Copilot whose --help lacks --trust-folder (1.0.89 takes it for prompt
    words: "Invalid command format.") gets no --trust-folder from a preflight,
    whether the strategy was picked by the launch mode or named outright."""
    spawns = _Spawns()
    coordinator = _coordinator(FakeHelpReader(all_protected_help()), spawns)
    request = _request(
        sandbox, (Provider.COPILOT,), launch_mode=LaunchMode.PROMPT, strategy_modes={Provider.COPILOT: "args"}
    )
    result = coordinator.execute(coordinator.plan_full(request))
    assert result.patches.arg_patches == ()


def test_a_fallback_to_a_terminal_preflight_keeps_the_ignored_trust_check(sandbox: str) -> None:
    """A Claude launch with --ignore-persisted-trust ignores whatever a
    preflight persists; a fallback from the prompt-mode strategy (its --help
    does not say -p skips the dialog) must not start a session for it."""
    spawns = _Spawns()
    coordinator = _coordinator(FakeHelpReader(all_protected_help()), spawns)
    request = _request(
        sandbox,
        (Provider.CLAUDE,),
        launch_mode=LaunchMode.PROMPT,
        launch_args={Provider.CLAUDE: ("--ignore-persisted-trust",)},
    )
    result = coordinator.execute(coordinator.plan_full(request))
    assert spawns.seen == []
    assert [r.code for r in result.results] == [Code.PROVIDER_IGNORES_PERSISTED_TRUST]


class _RaisingHelpReader(FakeHelpReader):
    def read_help(
        self, binary: str, env: Mapping[str, str], timeout_ms: int, *, is_cancelled: IsCancelled
    ) -> str | None:
        raise RuntimeError("a host's help reader failed")


def test_a_host_help_reader_that_raises_does_not_crash_execute(sandbox: str) -> None:
    spawns = _Spawns()
    coordinator = _coordinator(_RaisingHelpReader(), spawns)
    request = _request(sandbox, (Provider.COPILOT,), launch_mode=LaunchMode.PROMPT)
    plan = coordinator.plan_full(request)
    result = coordinator.execute(plan)  # raises RuntimeError today
    assert len(result.results) == 1


def test_gemini_include_directories_naming_another_request_folder_is_prepared_by_the_dialog(
    sandbox: str,
) -> None:
    """The launch in A with --include-directories B asks about B:
    GEMINI_CLI_TRUST_WORKSPACE covers the launch's working folder (A) only,
    so B needs the dialog even though B is also a folder of the request."""
    spawns = _Spawns()
    coordinator = _coordinator(FakeHelpReader(), spawns)
    b = os.path.join(sandbox, "b")
    request = _request(
        sandbox, (Provider.GEMINI,), "a", "b", launch_args={Provider.GEMINI: ("--include-directories", b)}
    )
    plan = coordinator.plan_full(request)
    assert any(t.mode == "pty" and t.workspace.real_path == b for t in plan.tasks), [
        (t.mode, t.workspace.real_path) for t in plan.tasks
    ]


def test_a_blocked_opened_folder_gets_one_row_per_provider(sandbox: str) -> None:
    spawns = _Spawns()
    coordinator = _coordinator(FakeHelpReader(), spawns)
    home = os.path.join(sandbox, "home")
    request = _request(
        sandbox,
        (Provider.CLAUDE,),
        "a",
        "b",
        launch_args={Provider.CLAUDE: ("--add-dir", home, "--add-dir", home + "/")},
    )
    plan = coordinator.plan_full(request)
    blocked = [r for r in plan.settled if r.status is WorkspaceStatus.BLOCKED]
    assert len(blocked) == 1, [(r.workspace, r.opened_by) for r in blocked]


@pytest.mark.parametrize("order", [("claude=prompt", "interactive"), ("interactive", "claude=prompt")])
def test_launch_mode_later_value_wins(order: tuple[str, str]) -> None:
    """cli/request.py says of --launch-mode: "a later value wins"."""
    from workspace_trust.cli.request import _launch_modes

    default, per = _launch_modes(list(order))
    effective = per.get(Provider.CLAUDE, default)
    expected = LaunchMode.INTERACTIVE if order[-1] == "interactive" else LaunchMode.PROMPT
    assert effective is expected


def test_copilot_trust_folder_is_not_offered_when_c_names_a_blocked_folder(sandbox: str) -> None:
    """``--trust-folder`` trusts "the resolved working directory", which ``-C``
    makes the folder it names: with ``-C HOME`` the switch would trust the
    home folder's configuration, though HOME's own row is ``blocked``."""
    spawns = _Spawns()
    coordinator = _coordinator(FakeHelpReader(f"{all_protected_help()}\n{_COPILOT_HELP}", version="1.0.102"), spawns)
    home = os.path.join(sandbox, "home")
    request = _request(
        sandbox, (Provider.COPILOT,), launch_mode=LaunchMode.PROMPT, launch_args={Provider.COPILOT: ("-C", home)}
    )
    plan = coordinator.plan_full(request)
    assert [(r.code, r.opened_by) for r in plan.settled] == [(Code.NOT_PERSISTABLE_HOME, f"-C {home}")]
    assert plan.patches.arg_patches == ()
    result = coordinator.execute(plan)
    assert result.patches.arg_patches == ()


_COPILOT_HELP = (
    "--trust-folder\n          Trust the resolved working directory's configuration for\n"
    "          one new prompt-mode session only (no saved trust or tool,"
)


@pytest.mark.parametrize(
    "moved", [("--resume",), ("--resume=abc",), ("-r", "abc"), ("--continue",), ("--worktree", "w")]
)
def test_copilot_gets_no_trust_folder_when_its_working_folder_is_elsewhere(
    sandbox: str, moved: tuple[str, ...]
) -> None:
    spawns = _Spawns()
    coordinator = _coordinator(FakeHelpReader(f"{all_protected_help()}\n{_COPILOT_HELP}", version="1.0.102"), spawns)
    request = _request(
        sandbox, (Provider.COPILOT,), launch_mode=LaunchMode.PROMPT, launch_args={Provider.COPILOT: moved}
    )
    plan = coordinator.plan_full(request)
    assert plan.patches.arg_patches == ()
    (row,) = plan.uncarried()
    assert row.code is not None and row.code.value == "copilot_switch_not_applied"


def test_a_help_text_that_cannot_be_read_is_no_yes(sandbox: str) -> None:
    """``--help`` gave nothing (a timeout, a failure): Copilot gets no
    ``--trust-folder``; Claude is prepared in a terminal rather than called
    ``not_required``."""
    spawns = _Spawns()
    coordinator = _coordinator(FakeHelpReader(None), spawns)
    request = _request(sandbox, (Provider.CLAUDE, Provider.COPILOT), launch_mode=LaunchMode.PROMPT)
    checked = coordinator.check_installed(coordinator.plan_full(request))
    assert checked.patches.arg_patches == ()
    assert [(t.provider, t.mode) for t in checked.tasks] == [(Provider.CLAUDE, "pty"), (Provider.COPILOT, "pty")]
    assert all(t.note is not None and "gave no --help text" in t.note.message for t in checked.tasks)
    assert spawns.seen == []


def test_a_named_claude_prompt_strategy_is_still_checked(sandbox: str) -> None:
    spawns = _Spawns()
    coordinator = _coordinator(FakeHelpReader(all_protected_help()), spawns)
    request = _request(
        sandbox, (Provider.CLAUDE,), launch_mode=LaunchMode.PROMPT, strategy_modes={Provider.CLAUDE: "none"}
    )
    result = coordinator.execute(coordinator.plan_full(request))
    assert [(r.status, r.code) for r in result.results] == [
        (WorkspaceStatus.SOFT_FAILED, Code.OVERRIDE_VERSION_UNSUPPORTED)
    ]
    assert spawns.seen == []


def test_each_strategy_of_a_provider_is_checked_against_the_installed_version(sandbox: str) -> None:
    """A Gemini request folder that a launch argument also opens is prepared
    by the dialog; the other folder still gets the session variable, which
    Gemini 0.39.0 ignores: whatever the order, that patch is not offered."""
    spawns = _Spawns()
    coordinator = _coordinator(FakeHelpReader(version="0.39.0"), spawns)
    b = os.path.join(sandbox, "b")
    request = _request(
        sandbox, (Provider.GEMINI,), "b", "a", launch_args={Provider.GEMINI: ("--include-directories", b)}
    )
    plan = coordinator.plan_full(request)
    assert [(os.path.basename(t.workspace.real_path), t.mode) for t in plan.tasks] == [("b", "pty"), ("a", "env")]
    assert plan.patches.env_patches == ()
    assert [r.code for r in plan.uncarried()] == [Code.OVERRIDE_VERSION_UNSUPPORTED]


def test_a_fallback_plans_under_the_same_working_folder_refusal(sandbox: str) -> None:
    """``-C HOME`` withholds every patch that trusts the launch's working
    folder; a strategy that takes over after a fallback gives none either."""
    from workspace_trust.providers.copilot.prompt import CopilotPromptStrategy
    from workspace_trust.registry import StrategyRegistry
    from workspace_trust.strategy import ExecutionContext

    class Refused(CopilotPromptStrategy):
        mode = "first"

        def __init__(self) -> None:
            self.flag = "copilot_args"

        def launch_unsupported(self, ctx: ExecutionContext) -> Diagnostic | None:
            return Diagnostic(Code.OVERRIDE_VERSION_UNSUPPORTED, "not honoured here", Provider.COPILOT)

    class Taking(CopilotPromptStrategy):
        mode = "second"

        def __init__(self) -> None:
            self.flag = "copilot_args"

        def launch_unsupported(self, ctx: ExecutionContext) -> Diagnostic | None:
            return None

    registry = StrategyRegistry()
    registry.register(Provider.COPILOT, "first", Refused, launch_modes=(LaunchMode.PROMPT,))
    registry.register(Provider.COPILOT, "second", Taking, launch_modes=(LaunchMode.PROMPT,))
    registry.register(Provider.COPILOT, "pty", Taking, default=True)
    registry.prefer(Provider.COPILOT, LaunchMode.PROMPT, ("first", "second"))
    clock = FakeClock()
    coordinator = WorkspaceTrustCoordinator(
        spawner=FakePtySpawner(_Spawns(), clock),
        clock=clock,
        locks=FakeLocks(),
        help_reader=FakeHelpReader(version="1.0.102"),
        binary_locator=FakeBinaryLocator({"copilot"}),
        registry=registry,
    )
    home = os.path.join(sandbox, "home")
    request = _request(
        sandbox, (Provider.COPILOT,), launch_mode=LaunchMode.PROMPT, launch_args={Provider.COPILOT: ("-C", home)}
    )
    plan = coordinator.plan_full(request)
    assert plan.patches.arg_patches == () and Provider.COPILOT in plan.working_folder_refused
    checked = coordinator.check_installed(plan)
    assert [t.mode for t in checked.tasks] == ["second"]
    assert checked.patches.arg_patches == ()
