"""Launch modes: what plan and preflight give a prompt-mode (headless) launch,
checked against the installed CLI's version and ``--help``, and the
fallback to the next strategy where it does not honour the first.

Every CLI here is a fake (binary, ``--help``, version, terminal); the real
CLIs' behaviour behind each answer is measured in
tests/test_real_launch_modes.py.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping

import attrs
import pytest

from workspace_trust import (
    Code,
    LaunchArgPatch,
    LaunchMode,
    Provider,
    WorkspaceSpec,
    WorkspaceStatus,
    WorkspaceTrustCoordinator,
    apply_patches,
)
from workspace_trust import WorkspaceTrustRequest as Request
from workspace_trust.domain.patches import TargetSurface
from workspace_trust.flags import FeatureFlags
from workspace_trust.providers import spec_for
from workspace_trust.providers.copilot.prompt import HELP_SAYS
from workspace_trust.providers.spec import ProviderSpec, StrategyMode
from workspace_trust.registry import StrategyRegistry, default_registry
from workspace_trust.testing import (
    FakeBinaryLocator,
    FakeClock,
    FakeHelpReader,
    FakeLocks,
    FakePtySpawner,
    FakeTui,
    all_protected_help,
)

CLAUDE_HELP = (
    "-p, --print  Print response and exit (useful for pipes). Note: The workspace trust dialog\n"
    "      is skipped when Claude is run in non-interactive mode (via -p, ...)"
)
COPILOT_HELP = (
    "--trust-folder\n          Trust the resolved working directory's configuration for\n"
    "          one new prompt-mode session only (no saved trust or tool,"
)


@attrs.define
class Setup:
    """A coordinator over fakes, and what it saw."""

    sandbox: str
    help_text: str | None = None
    version: str | None = None
    spawned: list[object] = attrs.field(factory=list)

    def coordinator(self) -> tuple[WorkspaceTrustCoordinator, FakeHelpReader]:
        def spawn(spec: object) -> FakeTui:
            self.spawned.append(spec)
            raise AssertionError("a session was started")

        clock = FakeClock()
        reader = FakeHelpReader(self.help_text, version=self.version)
        coordinator = WorkspaceTrustCoordinator(
            spawner=FakePtySpawner(spawn, clock),
            clock=clock,
            locks=FakeLocks(),
            help_reader=reader,
            binary_locator=FakeBinaryLocator({"claude", "codex", "gemini", "copilot", "qwen"}),
        )
        return coordinator, reader

    def request(self, providers: tuple[Provider, ...], **fields: object) -> Request:
        home = os.path.join(self.sandbox, "home")
        folder = os.path.join(self.sandbox, "proj")
        for path in (home, folder):
            os.makedirs(path, exist_ok=True)
        with open(os.path.join(home, ".claude.json"), "w", encoding="utf-8") as handle:
            handle.write('{"hasCompletedOnboarding": true}')
        env: Mapping[str, str] = {"HOME": home, "PATH": "/usr/bin"}
        return Request(
            workspaces=(WorkspaceSpec(folder),),
            providers=providers,
            env=env,
            **fields,  # type: ignore[arg-type]
        )


@pytest.fixture
def setup(sandbox: str) -> Setup:
    return Setup(sandbox, help_text=f"{all_protected_help()}\n{CLAUDE_HELP}\n{COPILOT_HELP}")


def test_the_default_launch_mode_is_interactive_and_changes_nothing(setup: Setup) -> None:
    coordinator, _ = setup.coordinator()
    plan = coordinator.plan_full(setup.request((Provider.CLAUDE, Provider.COPILOT)))
    assert [(t.provider, t.mode, t.launch_mode, t.gated) for t in plan.tasks] == [
        (Provider.CLAUDE, "pty", LaunchMode.INTERACTIVE, True),
        (Provider.COPILOT, "pty", LaunchMode.INTERACTIVE, True),
    ]
    assert not plan.patches.arg_patches
    assert [r.code for r in plan.needing_preflight()] == [Code.PREFLIGHT_REQUIRED] * 2


def test_claude_in_prompt_mode_needs_nothing_and_nothing_is_started(setup: Setup) -> None:
    coordinator, reader = setup.coordinator()
    plan = coordinator.plan_full(setup.request((Provider.CLAUDE,), launch_mode=LaunchMode.PROMPT))
    assert [(t.mode, t.gated, t.fallbacks) for t in plan.tasks] == [("none", False, ("pty",))]
    assert plan.needing_preflight() == ()
    assert [(r.status, r.code) for r in plan.not_gated()] == [(WorkspaceStatus.NOT_REQUIRED, Code.FOLDER_NOT_GATED)]
    result = coordinator.execute(plan)
    assert [(r.status, r.code, r.pty_spawned) for r in result.results] == [
        (WorkspaceStatus.NOT_REQUIRED, Code.FOLDER_NOT_GATED, False)
    ]
    assert result.launch_modes == {Provider.CLAUDE: LaunchMode.PROMPT}
    # Checked against the installed CLI's --help, and only that was run.
    assert reader.calls == ["/fake/bin/claude"]
    assert setup.spawned == []


def test_claude_whose_help_does_not_say_it_skips_the_dialog_is_prepared_in_a_terminal(sandbox: str) -> None:
    setup = Setup(sandbox, help_text=all_protected_help())
    coordinator, _ = setup.coordinator()
    plan = coordinator.plan_full(setup.request((Provider.CLAUDE,), launch_mode=LaunchMode.PROMPT))
    assert plan.tasks[0].mode == "none"  # the plan reads no --help
    result = coordinator.execute(plan)
    (row,) = result.results
    # The PTY strategy ran (the fake terminal refuses to start: the point is
    # that it was asked), and the row says why it served the launch.
    assert setup.spawned, row
    notes = [d for d in row.diagnostics if d.code is Code.OVERRIDE_VERSION_UNSUPPORTED]
    assert len(notes) == 1 and "does not document that -p skips its trust dialog" in notes[0].message
    assert "served by the pty strategy instead" in notes[0].message


def test_copilot_in_prompt_mode_gets_its_trust_folder_argument(setup: Setup) -> None:
    coordinator, reader = setup.coordinator()
    plan = coordinator.plan_full(setup.request((Provider.COPILOT,), launch_mode=LaunchMode.PROMPT))
    (patch,) = plan.patches.arg_patches
    assert (patch.target_provider, patch.values) == (Provider.COPILOT, ("--trust-folder",))
    assert plan.needing_preflight() == () and plan.uncarried() == ()
    result = coordinator.execute(plan)
    assert [(r.status, r.pty_spawned) for r in result.results] == [(WorkspaceStatus.PATCHED, False)]
    assert result.patches.arg_patches == (patch,)
    assert reader.calls == ["/fake/bin/copilot"]
    applied = apply_patches(["-p", "hi", "--", "rest"], result.patches)
    assert applied.args == ("-p", "hi", "--trust-folder", "--", "rest")


@pytest.mark.parametrize("version", ["1.0.89", "1.0.92", "1.0.80"])
def test_copilot_older_than_the_switch_is_prepared_by_the_pty_preflight(sandbox: str, version: str) -> None:
    setup = Setup(sandbox, help_text=f"{all_protected_help()}\n{COPILOT_HELP}", version=version)
    coordinator, _ = setup.coordinator()
    plan = coordinator.plan_full(setup.request((Provider.COPILOT,), launch_mode=LaunchMode.PROMPT))
    assert [(t.mode, t.fallbacks) for t in plan.tasks] == [("pty", ())]
    assert plan.patches.arg_patches == ()
    (row,) = plan.needing_preflight()
    (note,) = row.diagnostics[:1]
    assert note.code is Code.OVERRIDE_VERSION_UNSUPPORTED
    assert f"Copilot CLI {version} does not honour --trust-folder (honoured from 1.0.99" in note.message


def test_copilot_whose_help_lacks_the_switch_gets_no_patch_at_execute(sandbox: str) -> None:
    """A version not known before the start: the plan offers the patch, and
    ``execute`` reads ``--help``, finds no ``--trust-folder``, takes the patch
    back and runs the PTY preflight instead."""
    setup = Setup(sandbox, help_text=all_protected_help())
    coordinator, _ = setup.coordinator()
    plan = coordinator.plan_full(setup.request((Provider.COPILOT,), launch_mode=LaunchMode.PROMPT))
    assert plan.patches.arg_patches
    result = coordinator.execute(plan)
    assert result.patches.arg_patches == ()
    (row,) = result.results
    assert row.status is not WorkspaceStatus.PATCHED
    assert setup.spawned
    assert any("does not document --trust-folder" in d.message for d in row.diagnostics)


def test_a_switched_off_first_choice_gives_way_to_the_next(setup: Setup) -> None:
    coordinator, _ = setup.coordinator()
    request = setup.request(
        (Provider.CLAUDE, Provider.COPILOT),
        launch_mode=LaunchMode.PROMPT,
        flags=FeatureFlags(claude_prompt=False, copilot_args=False),
    )
    plan = coordinator.plan_full(request)
    assert [(t.provider, t.mode, t.note) for t in plan.tasks] == [
        (Provider.CLAUDE, "pty", None),
        (Provider.COPILOT, "pty", None),
    ]


@pytest.mark.parametrize(
    ("provider", "kind", "value"),
    [
        (Provider.GEMINI, "env", ("GEMINI_CLI_TRUST_WORKSPACE", "true")),
        (Provider.CODEX, "args", "projects="),
    ],
)
def test_gemini_and_codex_keep_their_session_patch_in_prompt_mode(
    setup: Setup, provider: Provider, kind: str, value: object
) -> None:
    coordinator, _ = setup.coordinator()
    plan = coordinator.plan_full(setup.request((provider,), launch_mode=LaunchMode.PROMPT))
    if kind == "env":
        (patch,) = plan.patches.env_patches
        assert value in patch.values
    else:
        assert any(str(value) in v for p in plan.patches.arg_patches for v in p.values)
    assert plan.needing_preflight() == ()


def test_qwen_in_prompt_mode_uses_its_file_patch_when_it_is_switched_on(setup: Setup) -> None:
    coordinator, _ = setup.coordinator()
    off = coordinator.plan_full(setup.request((Provider.QWEN,), launch_mode=LaunchMode.PROMPT))
    assert [t.mode for t in off.tasks] == ["pty"]
    on = coordinator.plan_full(
        setup.request((Provider.QWEN,), launch_mode=LaunchMode.PROMPT, flags=FeatureFlags(qwen_env=True))
    )
    assert [t.mode for t in on.tasks] == ["env"] and on.patches.env_patches


def test_launch_mode_per_provider(setup: Setup) -> None:
    coordinator, _ = setup.coordinator()
    request = setup.request((Provider.CLAUDE, Provider.COPILOT), launch_modes={Provider.COPILOT: LaunchMode.PROMPT})
    plan = coordinator.plan_full(request)
    assert [(t.provider, t.mode, t.launch_mode) for t in plan.tasks] == [
        (Provider.CLAUDE, "pty", LaunchMode.INTERACTIVE),
        (Provider.COPILOT, "args", LaunchMode.PROMPT),
    ]


def test_a_named_mode_that_cannot_serve_the_launch_is_a_soft_failure_with_no_patch(setup: Setup) -> None:
    coordinator, _ = setup.coordinator()
    plan = coordinator.plan_full(setup.request((Provider.COPILOT,), strategy_modes={Provider.COPILOT: "args"}))
    assert plan.tasks == () and plan.patches.arg_patches == ()
    assert [(r.status, r.code) for r in plan.soft_settled] == [
        (WorkspaceStatus.SOFT_FAILED, Code.STRATEGY_NOT_FOR_LAUNCH_MODE)
    ]
    args_only = coordinator.plan_args_only(
        setup.request((Provider.COPILOT,), strategy_modes={Provider.COPILOT: "args"})
    )
    assert args_only.patches.arg_patches == ()
    assert [d.code for d in args_only.diagnostics] == [Code.STRATEGY_NOT_FOR_LAUNCH_MODE]


def test_plan_args_only_gives_the_prompt_mode_patches(setup: Setup) -> None:
    coordinator, _ = setup.coordinator()
    plan = coordinator.plan_args_only(setup.request((Provider.COPILOT,), launch_mode=LaunchMode.PROMPT))
    assert [p.values for p in plan.patches.arg_patches] == [("--trust-folder",)]


def test_the_copilot_switch_is_added_once_and_never_after_a_value_flag() -> None:
    from workspace_trust.providers.copilot.switches import apply_switch

    assert default_registry().create(Provider.COPILOT, "args").plan_patches((), ()).arg_patches == ()

    made = _copilot_patch()
    assert apply_switch(["-p", "hi"], made, "") == ["-p", "hi", "--trust-folder"]
    assert apply_switch(["-p", "hi", "--trust-folder"], made, "") == ["-p", "hi", "--trust-folder"]
    refused = apply_switch(["--model", "x", "-p"], made, "")
    assert not isinstance(refused, list) and "end with -p" in refused.message
    # Never into another CLI's argv (Claude's -p is its own flag).
    into_claude = apply_patches(["-p", "hi"], (made,), argv_provider=Provider.CLAUDE)
    assert into_claude.args == ("-p", "hi") and into_claude.diagnostics
    # Idempotent through the public function.
    once = apply_patches(["-p", "hi"], (made,))
    assert apply_patches(once.args, (made,)).args == once.args


def _copilot_patch() -> LaunchArgPatch:
    from workspace_trust.domain.paths import HostOs, PathFacts, build_workspace

    folder = "/srv/proj"
    facts = PathFacts(absolute=folder, real=folder, home="/home/u", exists=True, is_dir=True)
    workspace = build_workspace(folder, facts, HostOs.LINUX)
    (patch,) = default_registry().create(Provider.COPILOT, "args").plan_patches((workspace,), ()).arg_patches
    assert patch.target_surface is TargetSurface.PRIMARY_PROVIDER_ARGS
    return patch


def test_the_help_words_are_compared_with_white_space_folded() -> None:
    from workspace_trust.providers.prompt_mode import _folded

    assert _folded(HELP_SAYS.words) in _folded(COPILOT_HELP)


def test_a_spec_names_only_strategies_that_serve_each_launch_mode() -> None:
    claude = spec_for(Provider.CLAUDE)
    assert claude.strategies_for(LaunchMode.PROMPT) == ("none", "pty")
    assert claude.strategies_for(LaunchMode.INTERACTIVE) == ("pty",)
    only_prompt = StrategyMode("none", lambda: None, flag="claude_pty", launch_modes=frozenset({LaunchMode.PROMPT}))  # type: ignore[arg-type,return-value]
    with pytest.raises(ValueError, match="cannot serve interactive launches"):
        attrs.evolve(claude, modes=(only_prompt,), default_mode="none", launch_strategies={})
    with pytest.raises(ValueError, match="cannot serve interactive launches"):
        attrs.evolve(claude, launch_strategies={LaunchMode.INTERACTIVE: ("none",)})
    with pytest.raises(ValueError, match="no strategy named"):
        attrs.evolve(claude, launch_strategies={LaunchMode.PROMPT: ()})
    registry = StrategyRegistry()
    registry.register(Provider.CLAUDE, "pty", lambda: None, launch_modes=(LaunchMode.INTERACTIVE,))  # type: ignore[arg-type,return-value]
    with pytest.raises(ValueError, match="cannot serve prompt launches"):
        registry.prefer(Provider.CLAUDE, LaunchMode.PROMPT, ("pty",))
    assert isinstance(claude, ProviderSpec)


def _cli(*args: str, env: Mapping[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "workspace_trust", *args],
        capture_output=True,
        text=True,
        env=dict(env),
        timeout=60,
        check=False,
    )


def test_the_command_line_takes_a_launch_mode_for_all_or_one_provider(sandbox: str) -> None:
    folder = os.path.join(sandbox, "proj")
    home = os.path.join(sandbox, "home")
    os.makedirs(folder)
    os.makedirs(home)
    env = {"HOME": home, "PATH": "/nonexistent"}
    import json

    done = _cli("plan", folder, "--provider", "claude,copilot", "--launch-mode", "prompt", "--json", env=env)
    assert done.returncode == 0, done.stderr
    doc = json.loads(done.stdout)
    assert doc["launch_modes"] == {"claude": "prompt", "copilot": "prompt"}
    assert [(r["provider"], r["status"], r["code"]) for r in doc["results"]] == [
        ("claude", "not_required", "folder_not_gated_by_cli")
    ]
    assert [p["values"] for p in doc["patches"]] == [["--trust-folder"]]
    one = _cli("plan", folder, "--provider", "claude,copilot", "--launch-mode", "copilot=prompt", "--json", env=env)
    doc = json.loads(one.stdout)
    assert doc["launch_modes"] == {"claude": "interactive", "copilot": "prompt"}
    for bad, why in [
        (["--launch-mode", "headless"], "MODE one of interactive, prompt"),
        (["--launch-mode", "nobody=prompt"], "nobody"),
        (["--copilot-mode", "args"], "--copilot-mode args cannot serve interactive launches"),
    ]:
        refused = _cli("plan", folder, "--provider", "claude,copilot", *bad, env=env)
        assert refused.returncode == 2 and why in refused.stderr, refused.stderr


def test_gemini_older_than_its_headless_gate_needs_nothing_in_prompt_mode(sandbox: str) -> None:
    setup = Setup(sandbox, help_text=all_protected_help(), version="0.39.0")
    coordinator, _ = setup.coordinator()
    plan = coordinator.plan_full(setup.request((Provider.GEMINI,), launch_mode=LaunchMode.PROMPT))
    assert [(t.mode, t.gated) for t in plan.tasks] == [("none", False)]
    assert plan.patches.env_patches == () and plan.needing_preflight() == () and plan.uncarried() == ()
    result = coordinator.execute(plan)
    (row,) = result.results
    assert (row.status, row.code) == (WorkspaceStatus.NOT_REQUIRED, Code.FOLDER_NOT_GATED)
    assert any("0.39.0 does not honour GEMINI_CLI_TRUST_WORKSPACE" in d.message for d in row.diagnostics)
    # In a terminal the same version is told to update (no fallback there).
    interactive = coordinator.plan_full(setup.request((Provider.GEMINI,)))
    assert [r.code for r in interactive.uncarried()] == [Code.OVERRIDE_VERSION_UNSUPPORTED]
