"""Real Qwen Code 0.15.6 and 0.24.4, installed pinned from npm by ``./dev clis``.

Folder trust is off by default (nothing to do, nothing started); with it on,
Qwen shows its trust dialog before any login and writes TRUST_FOLDER for the
folder it runs in (its real path) to ``~/.qwen/trustedFolders.json``."""

from __future__ import annotations

import json
import os
import time
from typing import Any

import pytest

from tests import realcli
from tests.realcli import assert_nothing_left, require_cli
from workspace_trust import (
    FeatureFlags,
    Provider,
    WorkspaceSpec,
    WorkspaceStatus,
    WorkspaceTrustCoordinator,
    WorkspaceTrustRequest,
)
from workspace_trust.adapters.pty_process import PtyProcessSpawner
from workspace_trust.engine.rules import match_rule
from workspace_trust.launch_files import launch_env
from workspace_trust.ports import SpawnSpec
from workspace_trust.providers.qwen.rules import QWEN_RULES

pytestmark = [pytest.mark.slow]

VERSIONS = ["0.15.6", "0.24.4"]
#: The screen each version shows around the dialog (observed only).
PICKER = {"0.15.6": "qwen.select_auth", "0.24.4": "qwen.connect_provider"}


@pytest.fixture(params=VERSIONS)
def qwen(request: pytest.FixtureRequest) -> tuple[str, str]:
    return request.param, require_cli("qwen", request.param)


def setup_home(sandbox: str, folder_trust: bool | None = True) -> tuple[str, dict[str, str]]:
    """A fresh HOME; ``folder_trust`` None writes no settings at all (Qwen's default)."""
    if folder_trust is None:
        return realcli.setup_home(sandbox, "qwen", seed=False)
    return realcli.setup_home(sandbox, "qwen", folder_trust=folder_trust)


def run(env: dict[str, str], *args: str, timeout: int = 180) -> tuple[int, dict[str, Any]]:
    return realcli.run_json(env, *args, "--provider", "qwen", "--json", timeout=timeout)


def preflight(binary: str, env: dict[str, str], *dirs: str) -> tuple[int, dict[str, Any]]:
    return realcli.preflight("qwen", binary, env, *dirs)


def trusted_folders(home: str) -> dict[str, str]:
    with open(os.path.join(home, ".qwen", "trustedFolders.json"), encoding="utf-8") as handle:
        doc: dict[str, str] = json.load(handle)
    return doc


@pytest.mark.parametrize("folder_trust", [None, False])
def test_folder_trust_off_is_not_required_and_starts_nothing(
    qwen: tuple[str, str], sandbox: str, folder_trust: bool | None
) -> None:
    _, binary = qwen
    home, env = setup_home(sandbox, folder_trust)
    ws = realcli.folder(sandbox, "project")
    code, doc = preflight(binary, env, ws)
    (result,) = doc["results"]
    assert (code, doc["status"], result["status"], result["pty_spawned"]) == (0, "ok", "not_required", False), (
        realcli.brief(doc)
    )
    code, doc = run(env, "status", ws)
    assert (code, doc["status"], doc["results"][0]["status"]) == (0, "trusted", "not_required")
    assert not os.path.exists(os.path.join(home, ".qwen", "trustedFolders.json"))
    assert_nothing_left(sandbox)


@pytest.mark.realcli
def test_off_really_means_no_dialog(qwen: tuple[str, str], sandbox: str) -> None:
    """What not_required rests on: with the setting off, the real CLI in a
    fresh folder shows its login screen and never the trust dialog (recorded
    without sending a key), and persists nothing."""
    version, binary = qwen
    home, env = setup_home(sandbox, folder_trust=False)
    ws = realcli.folder(sandbox, "project")
    out = os.path.join(sandbox, "observed.json")
    realcli.record_observe("qwen", version, binary, env, cwd=ws, out=out, seconds=12)
    with open(out, encoding="utf-8") as handle:
        rules = {c["rule"] for c in json.load(handle)["checkpoints"]}
    assert PICKER[version] in rules and "qwen.workspace_trust" not in rules, rules
    assert not os.path.exists(os.path.join(home, ".qwen", "trustedFolders.json"))
    assert_nothing_left(sandbox)


def test_settings_qwen_cannot_start_with_block_and_are_left_alone(qwen: tuple[str, str], sandbox: str) -> None:
    """0.24.4 exits at once on such a file, and 0.15.6 moves it aside: neither
    is started, and the user's file stays exactly as it was."""
    _, binary = qwen
    home, env = setup_home(sandbox, folder_trust=None)
    settings = os.path.join(home, ".qwen", "settings.json")
    os.makedirs(os.path.dirname(settings))
    broken = '{"security": {"folderTrust": {"enabled": true}}'
    with open(settings, "w", encoding="utf-8") as handle:
        handle.write(broken)
    ws = realcli.folder(sandbox, "project")
    code, doc = preflight(binary, env, ws)
    (result,) = doc["results"]
    assert (code, result["status"], result["code"], result["pty_spawned"]) == (
        3,
        "blocked",
        "qwen_settings_unreadable",
        False,
    ), realcli.brief(doc)
    assert sorted(os.listdir(os.path.dirname(settings))) == ["settings.json"]
    with open(settings, encoding="utf-8") as handle:
        assert handle.read() == broken
    assert run(env, "status", ws)[1]["results"][0]["code"] == "qwen_settings_unreadable"
    assert_nothing_left(sandbox)


def test_a_folder_the_user_refused_is_left_refused(qwen: tuple[str, str], sandbox: str) -> None:
    _, binary = qwen
    home, env = setup_home(sandbox)
    ws = realcli.folder(sandbox, "project")
    rules = {ws: "DO_NOT_TRUST"}
    with open(os.path.join(home, ".qwen", "trustedFolders.json"), "w", encoding="utf-8") as handle:
        json.dump(rules, handle)
    code, doc = preflight(binary, env, ws)
    (result,) = doc["results"]
    assert (code, result["status"], result["code"], result["pty_spawned"]) == (
        1,
        "soft_failed",
        "qwen_folder_distrusted",
        False,
    )
    assert trusted_folders(home) == rules
    assert_nothing_left(sandbox)


def assert_drew_its_login_screen(seen: set[str]) -> None:
    """No trust dialog means something only if Qwen drew the screen that comes
    after it (its login picker): a CLI that drew nothing, or exited, shows no
    dialog either."""
    assert seen & set(PICKER.values()), f"Qwen drew neither its trust dialog nor its login screen: {sorted(seen)}"


def watch(binary: str, env: dict[str, str], cwd: str, after_picker_ms: int = 5000) -> set[str]:
    """Run the real CLI in a PTY, send nothing, and return the Qwen rules that
    recognised a screen, until the login picker has been on for a while."""
    tables = QWEN_RULES.rules
    seen: set[str] = set()
    session = PtyProcessSpawner().spawn(SpawnSpec(argv=(binary,), cwd=cwd, env=env))
    try:
        picker_at: float | None = None
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and session.exit_status() is None:
            snapshot = session.read_snapshot(100)
            for rule in tables:
                if match_rule(rule, snapshot) is not None:
                    seen.add(rule.id)
            if picker_at is None and seen & set(PICKER.values()):
                picker_at = time.monotonic()
            if picker_at is not None and time.monotonic() - picker_at > after_picker_ms / 1000:
                break
            if "qwen.workspace_trust" in seen:
                break
    finally:
        session.kill()
    return seen


@pytest.mark.realcli
def test_env_override_skips_the_dialog_and_writes_nothing_of_the_users(qwen: tuple[str, str], sandbox: str) -> None:
    """The opt-in per-launch patch: QWEN_CODE_TRUSTED_FOLDERS_PATH names a private
    file (made by launch_env) that trusts exactly the planned folder. The real
    CLI shows no dialog there, the user's trustedFolders.json is not touched,
    and the private folder is gone after the launch. The same launch with the
    file trusting another folder does show the dialog."""
    _, binary = qwen
    home, env = setup_home(sandbox)
    user_file = os.path.join(home, ".qwen", "trustedFolders.json")
    with open(user_file, "w", encoding="utf-8") as handle:
        json.dump({os.path.join(sandbox, "elsewhere"): "TRUST_FOLDER"}, handle)
    with open(user_file, "rb") as handle:
        before = handle.read()
    ws = os.path.join(sandbox, "project")
    other = os.path.join(sandbox, "other")
    os.makedirs(ws)
    os.makedirs(other)
    tmp = env["TMPDIR"]
    coordinator = WorkspaceTrustCoordinator()
    flags = FeatureFlags(qwen_env=True)
    for folder, dialog in ((ws, False), (other, True)):
        request = WorkspaceTrustRequest(
            workspaces=(WorkspaceSpec(ws),),
            providers=(Provider.QWEN,),
            strategy_modes={Provider.QWEN: "env"},
            env=env,
            flags=flags,
        )
        plan = coordinator.plan_full(request)
        result = coordinator.execute(plan)
        assert [r.status for r in result.results] == [WorkspaceStatus.PATCHED]
        with launch_env(result.patches.env_patches, provider=Provider.QWEN, temp_dir=tmp) as extra:
            private = extra["QWEN_CODE_TRUSTED_FOLDERS_PATH"]
            assert oct(os.stat(os.path.dirname(private)).st_mode & 0o777) == "0o700"
            assert oct(os.stat(private).st_mode & 0o777) == "0o600"
            seen = watch(binary, {**env, **extra}, folder)
        assert ("qwen.workspace_trust" in seen) is dialog, (folder, seen)
        if not dialog:
            assert_drew_its_login_screen(seen)
        assert not os.path.exists(os.path.dirname(private))
        with open(user_file, "rb") as handle:
            assert handle.read() == before
    assert_nothing_left(sandbox)


# -- the override's version floor (providers/qwen/floors.py) ---------------------------

#: Installed by ``./dev clis`` from floor-clis.txt: the release just below the
#: floor and the floor itself.
FLOOR_VERSIONS = {"0.10.1": True, "0.12.0": False}


@pytest.mark.realcli
@pytest.mark.parametrize(("version", "asks"), sorted(FLOOR_VERSIONS.items()))
def test_the_env_override_is_honoured_from_its_floor(sandbox: str, version: str, asks: bool) -> None:
    """The same private trusted-folders file, trusting the folder: the release
    below the floor still asks (it reads another variable), the floor does not.
    The plan offers the patch only from the floor on, and says why below it."""
    from workspace_trust.providers.qwen.floors import OVERRIDE_FLOOR
    from workspace_trust.providers.versions import at_least

    binary = require_cli("qwen", version)
    assert at_least(version, OVERRIDE_FLOOR.since) is (not asks)
    _, env = setup_home(sandbox)
    ws = realcli.folder(sandbox, "project")
    private = os.path.join(sandbox, "private-trusted.json")
    with open(private, "w", encoding="utf-8") as handle:
        json.dump({ws: "TRUST_FOLDER"}, handle)
    seen = watch(binary, {**env, "QWEN_CODE_TRUSTED_FOLDERS_PATH": private}, ws)
    assert ("qwen.workspace_trust" in seen) is asks, seen
    if not asks:
        assert_drew_its_login_screen(seen)
    host_env = {**env, "WORKSPACE_TRUST_QWEN_BIN": binary, "WORKSPACE_TRUST_QWEN_ENV": "1"}
    _, doc = realcli.run_json(host_env, "plan", ws, "--provider", "qwen", "--qwen-mode", "env", "--json")
    if asks:
        assert doc["env_patches"] == [], doc
        assert [r["code"] for r in doc["results"]] == ["override_unsupported_by_cli_version"], doc
    else:
        assert [p["id"] for p in doc["env_patches"]] == ["qwen.trusted_folders_file"], doc
        assert doc["results"] == [], doc
    assert_nothing_left(sandbox)
