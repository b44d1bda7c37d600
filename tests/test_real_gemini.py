"""Real Gemini CLI 0.61.0, installed pinned from npm by ``./dev clis``."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tests.conftest import require_cli
from workspace_trust.testing import base_env, seed_home

pytestmark = [pytest.mark.realcli, pytest.mark.slow]


def pty_preflight(path: str, binary: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """``workspace-trust preflight PATH --provider gemini --gemini-mode pty --json``."""
    argv = ["preflight", path, "--provider", "gemini", "--gemini-mode", "pty", "--gemini-bin", binary, "--json"]
    return subprocess.run(
        [sys.executable, "-m", "workspace_trust", *argv],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.parametrize("version", ["0.45.2", "0.61.0"])
def test_pty_strategy_writes_trust_folder_for_exactly_the_folder(sandbox: str, version: str) -> None:
    """0.45.2 (the oldest supported release line) and 0.61.0 draw the same dialog."""
    binary = require_cli("gemini", version)
    home = os.path.join(sandbox, "home")
    env = base_env(home, seed_home("gemini", home))
    parent = os.path.join(sandbox, "work")
    path = os.path.join(parent, "project")
    os.makedirs(path)
    proc = pty_preflight(path, binary, env)
    doc = json.loads(proc.stdout)
    (result,) = doc["results"]
    assert (proc.returncode, result["status"]) == (0, "accepted"), doc
    # Preselected "Trust folder (project)": Enter only; never "Trust parent folder".
    assert result["keys"] == ["enter"]
    with open(os.path.join(home, ".gemini", "trustedFolders.json"), encoding="utf-8") as handle:
        assert json.load(handle) == {path: "TRUST_FOLDER"}
    again = subprocess.run(
        [sys.executable, "-m", "workspace_trust", "status", path, "--provider", "gemini", "--json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert json.loads(again.stdout)["results"][0]["status"] == "trusted"


def test_env_mode_returns_the_session_only_variable(sandbox: str) -> None:
    home = os.path.join(sandbox, "home")
    env = base_env(home, seed_home("gemini", home))
    path = os.path.join(sandbox, "project")
    os.makedirs(path)
    proc = subprocess.run(
        [sys.executable, "-m", "workspace_trust", "plan", path, "--provider", "gemini", "--json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    doc = json.loads(proc.stdout)
    assert doc["gemini_env"] == {"GEMINI_CLI_TRUST_WORKSPACE": "true"}
    assert not os.path.exists(os.path.join(home, ".gemini", "trustedFolders.json"))


def test_gemini_keys_a_backslash_folder_with_slashes_on_linux(sandbox: str) -> None:
    """Gemini 0.61.0 turns backslashes into slashes on every OS: accepting the
    folder `a\\b` writes the key `.../a/b`, and the probe finds it there."""
    binary = require_cli("gemini", "0.61.0")
    home = os.path.join(sandbox, "home")
    env = base_env(home, seed_home("gemini", home))
    path = os.path.join(sandbox, "a\\b")
    os.makedirs(path)
    proc = pty_preflight(path, binary, env)
    (result,) = json.loads(proc.stdout)["results"]
    assert (proc.returncode, result["status"], result["keys"]) == (0, "accepted", ["enter"]), proc.stdout
    with open(os.path.join(home, ".gemini", "trustedFolders.json"), encoding="utf-8") as handle:
        assert json.load(handle) == {os.path.join(sandbox, "a/b"): "TRUST_FOLDER"}
