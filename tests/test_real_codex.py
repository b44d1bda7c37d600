"""Real Codex CLI (0.125.0, 0.169.0), installed pinned from npm by ``./dev clis``."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import pytest

from tests.conftest import require_cli
from workspace_trust.adapters.processes import pids_with_path_prefix
from workspace_trust.adapters.pty_process import PtyProcessSpawner
from workspace_trust.domain.codes import Provider
from workspace_trust.engine.rules import match_rule
from workspace_trust.ports import SpawnSpec
from workspace_trust.providers.codex.probe import read_trust_levels
from workspace_trust.providers.codex.rules import CODEX_RULES
from workspace_trust.testing import base_env, seed_home

pytestmark = [pytest.mark.realcli, pytest.mark.slow]

VERSIONS = ["0.125.0", "0.169.0"]
TRUST_RULES = [r for r in CODEX_RULES.rules if r.id.startswith("codex.workspace_trust")]
#: Awkward folder names: spaces, dots, brackets, quotes, unicode, '=' and a backslash.
AWKWARD = ["my proj.v2 [x]", 'say "hi"', "ünïcødé ✓", "a=b", "back\\slash", "dots...", "it's"]


@pytest.fixture(params=VERSIONS)
def codex(request: pytest.FixtureRequest) -> tuple[str, str]:
    return request.param, require_cli("codex", request.param)


def setup(sandbox: str, *, auth: bool = True) -> tuple[dict[str, str], str]:
    home = os.path.join(sandbox, "home")
    extra = seed_home("codex", home, codex_auth=auth)
    return base_env(home, extra), os.path.join(extra["CODEX_HOME"], "config.toml")


def git_folder(sandbox: str, name: str) -> str:
    path = os.path.join(sandbox, "ws", name)
    os.makedirs(path)
    subprocess.run(["git", "init", "-q", path], check=True)
    return path


def plan_override(env: dict[str, str], dirs: list[str]) -> str:
    proc = subprocess.run(
        [sys.executable, "-m", "workspace_trust", "plan", *dirs, "--provider", "codex", "--json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    doc = json.loads(proc.stdout)
    (value,) = doc["codex_config_overrides"]
    return str(value)


def launch_sees_trust_dialog(binary: str, env: dict[str, str], cwd: str, override: str | None) -> tuple[bool, str]:
    """Start Codex in ``cwd`` and watch its screen until it settles on its main view."""
    help_text = subprocess.run([binary, "--help"], env=env, capture_output=True, text=True, check=False).stdout
    argv = [binary, *(["--no-daemon"] if "--no-daemon" in help_text else [])]
    if override is not None:
        argv += ["-c", override]
    session = PtyProcessSpawner().spawn(SpawnSpec(argv=tuple(argv), cwd=cwd, env=env))
    try:
        deadline = time.monotonic() + 20
        text = ""
        settled_since = None
        while time.monotonic() < deadline:
            snap = session.read_snapshot(50)
            if any(match_rule(rule, snap) for rule in TRUST_RULES):
                return True, snap.text
            text = snap.text
            if "OpenAI Codex" in text and ("Ask Codex" in text or "Explain this codebase" in text or "›" in text):
                settled_since = settled_since or time.monotonic()
                if time.monotonic() - settled_since > 2.0:
                    return False, text
        return False, text
    finally:
        session.kill()


def test_without_override_the_dialog_appears(codex: tuple[str, str], sandbox: str) -> None:
    """The control case: the tests below could fail."""
    _, binary = codex
    env, _ = setup(sandbox)
    seen, text = launch_sees_trust_dialog(binary, env, git_folder(sandbox, "plain"), None)
    assert seen, text


def test_planned_override_skips_the_dialog_for_awkward_paths_and_persists_nothing(
    codex: tuple[str, str], sandbox: str
) -> None:
    _, binary = codex
    env, config = setup(sandbox)
    dirs = [git_folder(sandbox, name) for name in AWKWARD]
    override = plan_override(env, dirs)
    before = read_trust_levels(config)
    for path in dirs:
        seen, text = launch_sees_trust_dialog(binary, env, path, override)
        assert not seen, f"trust dialog shown for {path!r}:\n{text}"
        assert "OpenAI Codex" in text
    # Codex rewrites [tui] bookkeeping on every start; the trust entries must not change.
    assert read_trust_levels(config) == before


def test_pty_strategy_persists_trust(codex: tuple[str, str], sandbox: str) -> None:
    _, binary = codex
    env, config = setup(sandbox)
    path = git_folder(sandbox, "pty project")
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "workspace_trust",
            "preflight",
            path,
            "--provider",
            "codex",
            "--codex-mode",
            "pty",
            "--codex-bin",
            binary,
            "--json",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    doc = json.loads(proc.stdout)
    (result,) = doc["results"]
    assert (proc.returncode, result["status"], result["keys"]) == (0, "accepted", ["enter"]), doc
    assert read_trust_levels(config) == {path: "trusted"}
    codex_home = env["CODEX_HOME"]
    assert pids_with_path_prefix(os.path.realpath(codex_home)) == ()


def test_auth_picker_is_auth_required_with_no_keys(codex: tuple[str, str], sandbox: str) -> None:
    _, binary = codex
    env, _ = setup(sandbox, auth=False)
    path = git_folder(sandbox, "project")
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "workspace_trust",
            "preflight",
            path,
            "--provider",
            "codex",
            "--codex-mode",
            "pty",
            "--codex-bin",
            binary,
            "--json",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    (result,) = json.loads(proc.stdout)["results"]
    assert (proc.returncode, result["status"], result["code"], result["keys"]) == (
        3,
        "blocked",
        "provider_auth_required",
        [],
    )


def test_args_mode_patches_without_a_process(sandbox: str) -> None:
    env, config = setup(sandbox)
    path = git_folder(sandbox, "args")
    proc = subprocess.run(
        [sys.executable, "-m", "workspace_trust", "preflight", path, "--provider", Provider.CODEX.value, "--json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    (result,) = json.loads(proc.stdout)["results"]
    assert (proc.returncode, result["status"], result["pty_spawned"]) == (0, "patched", False)
    assert read_trust_levels(config) == {}
