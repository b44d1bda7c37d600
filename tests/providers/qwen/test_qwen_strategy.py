"""Qwen Code's PTY strategy against a scripted TUI drawn like the real dialog
(fixtures/snapshots/qwen/), with Qwen's real settings and trusted-folders files
in a temporary HOME."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path

import pytest

from workspace_trust import (
    Code,
    ExecutionResult,
    ExecutionStatus,
    FeatureFlags,
    Provider,
    WorkspaceResult,
    WorkspaceSpec,
    WorkspaceStatus,
    WorkspaceTrustCoordinator,
    WorkspaceTrustRequest,
)
from workspace_trust.domain.codes import Key
from workspace_trust.engine.dialog import Action, DialogEngine
from workspace_trust.engine.rules import match_rule
from workspace_trust.engine.snapshot import TerminalSnapshot
from workspace_trust.installed_clis import seed_home
from workspace_trust.ports import SpawnSpec
from workspace_trust.providers import spec_for
from workspace_trust.providers.qwen.rules import QWEN_RULES, TRUST_PARENT
from workspace_trust.testing import FakeClock, FakeHelpReader, FakeLocks, FakePtySpawner, FakeScreen, FakeTui

OPTIONS = ("Trust folder (project)", "Trust parent folder (work)", "Don't trust (esc)")


class Sandbox:
    def __init__(self, tmp_path: Path) -> None:
        self.home = tmp_path / "home"
        (self.home / ".qwen").mkdir(parents=True)
        self.project = tmp_path / "work" / "project"
        self.project.mkdir(parents=True)
        self.trusted = self.home / ".qwen" / "trustedFolders.json"
        self.binary = tmp_path / "qwen"
        self.binary.write_text("#!/bin/sh\n")
        self.binary.chmod(0o755)
        self.settings({"security": {"folderTrust": {"enabled": True}}})

    def settings(self, doc: object) -> None:
        text = doc if isinstance(doc, str) else json.dumps(doc)
        (self.home / ".qwen" / "settings.json").write_text(text)

    def write(self, level: str) -> Callable[[], None]:
        def effect() -> None:
            current = json.loads(self.trusted.read_text()) if self.trusted.exists() else {}
            self.trusted.write_text(json.dumps({**current, str(self.project): level}))

        return effect

    def tui(self, cursor: int = 0, glimpse: bool = False) -> FakeTui:
        screens = {
            "connect": FakeScreen(lines=("Connect a Provider",), options=("Alibaba ModelStudio", "Custom Provider")),
            "trust": FakeScreen(
                lines=(
                    "╭──────────────────────────────╮",
                    "│ Do you trust this folder?",
                    "│ Trusting a folder allows Qwen Code to execute commands it suggests.",
                ),
                options=OPTIONS,
                cursor=cursor,
                glyph="›",
                numbered=True,
                on_enter={0: "connect", 1: "connect", 2: "connect"},
                effects={0: self.write("TRUST_FOLDER"), 1: self.write("TRUST_PARENT"), 2: self.write("DO_NOT_TRUST")},
            ),
            # 0.24.4 draws the provider picker for a moment before the dialog.
            "glimpse": FakeScreen(lines=("Connect a Provider",), on_enter={}),
        }
        return FakeTui(screens=screens, current="glimpse" if glimpse else "trust")

    def run(
        self,
        factory: Callable[[SpawnSpec], FakeTui],
        help_text: str | object | None = ...,
        *,
        version: str | None = None,
        mode: str = "pty",
        **env: str,
    ) -> tuple[tuple[ExecutionResult, WorkspaceResult], FakePtySpawner]:
        clock = FakeClock()
        spawner = FakePtySpawner(factory, clock)
        coordinator = WorkspaceTrustCoordinator(
            spawner=spawner, clock=clock, locks=FakeLocks(), help_reader=FakeHelpReader(help_text, version=version)
        )
        request = WorkspaceTrustRequest(
            workspaces=(WorkspaceSpec(str(self.project)),),
            providers=(Provider.QWEN,),
            env={"HOME": str(self.home), "PATH": "/usr/bin:/bin", "OPENAI_API_KEY": "sk-not-for-qwen", **env},
            binaries={Provider.QWEN: str(self.binary)},
            flags=FeatureFlags(provider_flags={"qwen_env": mode == "env"}),
            strategy_modes={Provider.QWEN: mode},
        )
        result = coordinator.execute(coordinator.plan_full(request))
        (row,) = result.results
        return (result, row), spawner


def never(spec: SpawnSpec) -> FakeTui:
    raise AssertionError(f"spawned {spec.argv}")


def test_enter_on_the_preselected_trust_folder_and_the_state_file_decides(tmp_path: Path) -> None:
    box = Sandbox(tmp_path)
    (result, row), spawner = box.run(lambda spec: box.tui())
    assert (result.status, row.status, row.keys) == (ExecutionStatus.OK, WorkspaceStatus.ACCEPTED, (Key.ENTER,))
    assert json.loads(box.trusted.read_text()) == {str(box.project): "TRUST_FOLDER"}
    (session,) = spawner.sessions
    assert session.spec.argv == (str(box.binary), "--safe-mode")
    assert session.spec.cwd == str(box.project)
    assert "OPENAI_API_KEY" not in session.spec.env  # the dialog comes before any login


def test_a_cursor_on_the_parent_moves_up_and_never_confirms_there(tmp_path: Path) -> None:
    box = Sandbox(tmp_path)
    (_, row), _ = box.run(lambda spec: box.tui(cursor=1))
    assert (row.status, row.keys) == (WorkspaceStatus.ACCEPTED, (Key.UP, Key.ENTER))
    assert json.loads(box.trusted.read_text()) == {str(box.project): "TRUST_FOLDER"}


class GlimpseTui(FakeTui):
    """Draws the provider picker for a few frames, then the trust dialog (0.24.4)."""

    renders = 0

    def render(self) -> tuple[str, ...]:
        self.renders += 1
        if self.renders == 5:
            self.current, self.cursor = "trust", 0
        return super().render()


def test_the_provider_picker_before_the_dialog_gets_no_key(tmp_path: Path) -> None:
    box = Sandbox(tmp_path)
    plain = box.tui(glimpse=True)
    tui = GlimpseTui(screens=plain.screens, current=plain.current)
    (_, row), _ = box.run(lambda spec: tui)
    assert (row.status, row.keys) == (WorkspaceStatus.ACCEPTED, (Key.ENTER,))
    assert row.dialogs[:2] == ("qwen.connect_provider", "qwen.workspace_trust")


def test_without_safe_mode_in_help_the_cli_runs_as_it_is(tmp_path: Path) -> None:
    box = Sandbox(tmp_path)
    (_, row), spawner = box.run(lambda spec: box.tui(), help_text="Usage: qwen [options]\n  --yolo")
    assert row.status is WorkspaceStatus.ACCEPTED
    assert spawner.sessions[0].spec.argv == (str(box.binary),)


def test_folder_trust_off_is_not_required_and_starts_nothing(tmp_path: Path) -> None:
    box = Sandbox(tmp_path)
    box.settings({})
    (result, row), _ = box.run(never)
    assert (result.status, row.status, row.code, row.pty_spawned) == (
        ExecutionStatus.OK,
        WorkspaceStatus.NOT_REQUIRED,
        None,
        False,
    )
    assert not box.trusted.exists()


@pytest.mark.parametrize("text", ["", '{"security": {"folderTrust": {"enabled": true}}', "[1]"])
def test_settings_qwen_cannot_start_with_block_and_start_nothing(tmp_path: Path, text: str) -> None:
    box = Sandbox(tmp_path)
    box.settings(text)
    (result, row), _ = box.run(never)
    assert (result.status, row.status, row.code) == (
        ExecutionStatus.BLOCKED,
        WorkspaceStatus.BLOCKED,
        Code.QWEN_SETTINGS_UNREADABLE,
    )
    assert (box.home / ".qwen" / "settings.json").read_text() == text  # read, never touched


def test_a_folder_the_user_refused_is_never_overridden(tmp_path: Path) -> None:
    box = Sandbox(tmp_path)
    box.trusted.write_text(json.dumps({str(box.project.parent): "TRUST_FOLDER", str(box.project): "DO_NOT_TRUST"}))
    (result, row), _ = box.run(never)
    assert (result.status, row.status, row.code) == (
        ExecutionStatus.SOFT_FAILED,
        WorkspaceStatus.SOFT_FAILED,
        Code.QWEN_FOLDER_DISTRUSTED,
    )


@pytest.mark.parametrize(
    ("version", "status"),
    [("0.15.6", WorkspaceStatus.PATCHED), ("0.24.4", WorkspaceStatus.SOFT_FAILED), (None, WorkspaceStatus.SOFT_FAILED)],
)
def test_below_a_refused_folder_the_env_mode_follows_the_version(
    tmp_path: Path, version: str | None, status: WorkspaceStatus
) -> None:
    """Below a DO_NOT_TRUST folder Qwen 0.15.6 asks (its rule counts only on that
    folder) and 0.24.4 refuses without a dialog: the per-launch patch is planned
    for the one and refused (``qwen_folder_distrusted``) for the other, and for
    a version not known."""
    box = Sandbox(tmp_path)
    box.trusted.write_text(json.dumps({str(box.project.parent): "DO_NOT_TRUST"}))
    (_, row), spawner = box.run(never, version=version, mode="env")
    assert row.status is status
    assert spawner.sessions == []


def test_trusted_by_a_folder_above_is_already_trusted(tmp_path: Path) -> None:
    box = Sandbox(tmp_path)
    box.trusted.write_text(json.dumps({str(box.project.parent): "TRUST_FOLDER"}))
    (_, row), _ = box.run(never)
    assert (row.status, row.trusted_key) == (WorkspaceStatus.ALREADY_TRUSTED, str(box.project.parent))


def test_a_corrupt_trusted_folders_file_starts_nothing(tmp_path: Path) -> None:
    """Qwen exits 52 on it; the preflight says so with the generic code."""
    box = Sandbox(tmp_path)
    box.trusted.write_text("{")
    (_, row), _ = box.run(never)
    assert (row.status, row.code) == (WorkspaceStatus.SOFT_FAILED, Code.STATE_FILE_CORRUPT)


def test_the_rule_never_confirms_the_parent_on_any_screen() -> None:
    """On every cursor position the engine moves toward 'Trust folder (...)' and
    presses Enter only there; 'Trust parent folder' is a forbidden option."""
    rule = next(r for r in QWEN_RULES.rules if r.id == "qwen.workspace_trust")
    assert TRUST_PARENT in rule.never_select
    for cursor in range(3):
        rows = ["│ Do you trust this folder?", ""]
        rows += [f"│ {'›' if i == cursor else ' '} {i + 1}. {label}" for i, label in enumerate(OPTIONS)]
        match = match_rule(rule, TerminalSnapshot(lines=tuple(rows), frame=1, elapsed_ms=1000))
        assert match is not None
        assert [r.forbidden for r in match.option_rows] == [False, True, True]
        engine = DialogEngine(QWEN_RULES)
        decision = engine.observe(TerminalSnapshot(lines=tuple(rows), frame=1, elapsed_ms=0))
        decision = engine.observe(TerminalSnapshot(lines=tuple(rows), frame=2, elapsed_ms=1000))
        want = {0: Action.WAIT, 1: Action.PRESS, 2: Action.PRESS}[cursor]
        assert decision.action is want
        if decision.action is Action.PRESS:
            assert decision.key is Key.UP


def test_a_folder_named_like_the_parent_option_is_still_told_apart() -> None:
    rule = next(r for r in QWEN_RULES.rules if r.id == "qwen.workspace_trust")
    rows = (
        "│ Do you trust this folder?",
        "│ › 1. Trust folder (Trust parent folder (x))",
        "│   2. Trust parent folder (Trust folder (y))",
        "│   3. Don't trust (esc)",
    )
    match = match_rule(rule, TerminalSnapshot(lines=rows, frame=1, elapsed_ms=0))
    assert match is not None
    assert [(r.label.text, r.forbidden) for r in match.option_rows] == [
        ("Trust folder (", False),
        ("Trust parent folder", True),
        ("Don't trust", True),
    ]


def test_the_seed_and_the_spec(tmp_path: Path) -> None:
    spec = spec_for(Provider.QWEN)
    assert (spec.default_mode, spec.npm_package, spec.binary_names) == ("pty", "@qwen-code/qwen-code", ("qwen",))
    home = str(tmp_path / "home")
    assert seed_home("qwen", home) == {}
    with open(os.path.join(home, ".qwen", "settings.json"), encoding="utf-8") as handle:
        assert json.load(handle) == {"security": {"folderTrust": {"enabled": True}}}


@pytest.mark.parametrize("provider", ["gemini", "qwen"])
def test_the_preflights_cli_cannot_update_itself_from_npm(provider: str) -> None:
    """Qwen Code 0.15.6 and Gemini CLI 0.45.2, in a preflight, started ``npm
    install -g`` of their newest release once the dialog was answered. The
    child's environment switches update-notifier off and names an npm registry
    that refuses, whatever the host's environment says."""
    from workspace_trust.providers.binaries import NO_SELF_UPDATE_ENV
    from workspace_trust.providers.gemini.strategy import GeminiPty
    from workspace_trust.providers.qwen.strategy import QwenPty

    host = {"HOME": "/home/ana", "PATH": "/usr/bin", "npm_config_registry": "https://registry.npmjs.org/"}
    child = (GeminiPty() if provider == "gemini" else QwenPty()).child_env(host, ())
    assert {k: child.get(k) for k in NO_SELF_UPDATE_ENV} == {
        "NO_UPDATE_NOTIFIER": "1",
        "npm_config_registry": "http://127.0.0.1:9/",
        "npm_config_fetch_retries": "0",
    }
