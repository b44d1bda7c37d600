"""Real Gemini CLI 0.61.0, installed pinned from npm by ``./dev clis``."""

from __future__ import annotations

import json
import os

import pytest

from tests import realcli
from tests.realcli import Doc, assert_nothing_left, require_cli

pytestmark = [pytest.mark.slow]


def pty_preflight(path: str, binary: str, env: dict[str, str]) -> tuple[int, Doc]:
    """``workspace-trust preflight PATH --provider gemini --gemini-mode pty --json``."""
    return realcli.preflight("gemini", binary, env, path, mode="pty", timeout=120)


@pytest.mark.realcli
@pytest.mark.parametrize("version", ["0.45.2", "0.61.0"])
def test_pty_strategy_writes_trust_folder_for_exactly_the_folder(sandbox: str, version: str) -> None:
    """0.45.2 (the oldest supported release line) and 0.61.0 draw the same dialog."""
    binary = require_cli("gemini", version)
    home, env = realcli.setup_home(sandbox, "gemini")
    parent = os.path.join(sandbox, "work")
    path = realcli.folder(parent, "project")
    code, doc = pty_preflight(path, binary, env)
    (result,) = doc["results"]
    assert (code, result["status"]) == (0, "accepted"), realcli.brief(doc)
    # Preselected "Trust folder (project)": Enter only; never "Trust parent folder".
    assert result["keys"] == ["enter"]
    with open(os.path.join(home, ".gemini", "trustedFolders.json"), encoding="utf-8") as handle:
        assert json.load(handle) == {path: "TRUST_FOLDER"}
    assert realcli.status(env, path, name="gemini") == "trusted"
    assert_nothing_left(sandbox)


def test_env_mode_returns_the_session_only_variable(sandbox: str) -> None:
    home, env = realcli.setup_home(sandbox, "gemini")
    path = realcli.folder(sandbox, "project")
    _, doc = realcli.run_json(env, "plan", path, "--provider", "gemini", "--json", timeout=60)
    assert doc["provider_fields"]["gemini"]["env"] == {"GEMINI_CLI_TRUST_WORKSPACE": "true"}
    assert not os.path.exists(os.path.join(home, ".gemini", "trustedFolders.json"))


@pytest.mark.realcli
def test_gemini_keys_a_backslash_folder_with_slashes_on_linux(sandbox: str) -> None:
    """Gemini 0.61.0 turns backslashes into slashes on every OS: accepting the
    folder `a\\b` writes the key `.../a/b`, and the probe finds it there."""
    binary = require_cli("gemini", "0.61.0")
    home, env = realcli.setup_home(sandbox, "gemini")
    path = realcli.folder(sandbox, "a\\b")
    code, doc = pty_preflight(path, binary, env)
    (result,) = doc["results"]
    assert (code, result["status"], result["keys"]) == (0, "accepted", ["enter"]), realcli.brief(doc)
    with open(os.path.join(home, ".gemini", "trustedFolders.json"), encoding="utf-8") as handle:
        assert json.load(handle) == {os.path.join(sandbox, "a/b"): "TRUST_FOLDER"}
    assert_nothing_left(sandbox)


@pytest.mark.realcli
@pytest.mark.parametrize("version", ["0.45.2", "0.61.0"])
def test_the_pty_preflight_never_lets_gemini_update_itself(sandbox: str, version: str) -> None:
    """Gemini 0.45.2 started ``npm install -g @google/gemini-cli@0.61.0`` once
    its dialog was answered (a preflight would upgrade the user's global
    install, or cut it short). A package manager first on its PATH records
    every call: none may come. The failing mode needs the npm registry."""
    binary = require_cli("gemini", version)
    _, env = realcli.setup_home(sandbox, "gemini")
    env, calls = realcli.npm_trap(sandbox, env)
    code, doc = pty_preflight(realcli.folder(sandbox, "project"), binary, env)
    assert (code, doc["results"][0]["status"]) == (0, "accepted"), realcli.brief(doc)
    assert realcli.npm_changes(calls) == []
    assert_nothing_left(sandbox)


# -- the override's version floor (providers/gemini/floors.py) -------------------------


@pytest.mark.realcli
@pytest.mark.parametrize(("version", "asks"), [("0.39.0", True), ("0.39.1", False), ("0.61.0", False)])
def test_the_session_variable_is_honoured_from_its_floor(sandbox: str, version: str, asks: bool) -> None:
    """GEMINI_CLI_TRUST_WORKSPACE=true: the release below the floor
    (floor-clis.txt) still shows the dialog, the floor and later go to the
    prompt; the plan offers the variable only from the floor on."""
    from workspace_trust.adapters.pty_process import PtyProcessSpawner
    from workspace_trust.engine.rules import match_rule
    from workspace_trust.ports import SpawnSpec
    from workspace_trust.providers.gemini.floors import OVERRIDE_FLOOR
    from workspace_trust.providers.gemini.rules import GEMINI_RULES
    from workspace_trust.providers.versions import at_least

    binary = require_cli("gemini", version)
    assert at_least(version, OVERRIDE_FLOOR.since) is (not asks)
    _, env = realcli.setup_home(sandbox, "gemini")
    path = realcli.folder(sandbox, "project")
    trust = [rule for rule in GEMINI_RULES.rules if rule.id == "gemini.workspace_trust"]
    session = PtyProcessSpawner().spawn(
        SpawnSpec(argv=(binary,), cwd=path, env={**env, "GEMINI_CLI_TRUST_WORKSPACE": "true"})
    )
    asked = False
    try:
        for _ in range(150):  # a bound on reads, not a timing assertion
            snapshot = session.read_snapshot(100)
            if any(match_rule(rule, snapshot) for rule in trust):
                asked = True
                break
    finally:
        session.kill()
    assert asked is asks, snapshot.text
    if not asks:
        assert "Type your message" in snapshot.text, snapshot.text
    _, doc = realcli.run_json(
        {**env, "WORKSPACE_TRUST_GEMINI_BIN": binary}, "plan", path, "--provider", "gemini", "--json", timeout=60
    )
    if asks:
        assert doc["provider_fields"]["gemini"]["env"] == {} and doc["env_patches"] == [], doc
        assert [r["code"] for r in doc["results"]] == ["override_unsupported_by_cli_version"], doc
    else:
        assert doc["provider_fields"]["gemini"]["env"] == {"GEMINI_CLI_TRUST_WORKSPACE": "true"}, doc
    assert_nothing_left(sandbox)
