"""A third party's CLI, added through the ``workspace_trust.providers`` entry
point alone (``tests/plugins/toytrust``), works end to end through the real
command line: ``preflight`` drives its dialog in a PTY and reads its state file,
``status`` reads it, ``plan`` returns its environment patch, and the guards and
the generated options apply to it like to any built-in."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any

import pytest

from tests import realcli

PLUGINS = os.path.join(os.path.dirname(__file__), "plugins")
TOY_CLI = os.path.join(PLUGINS, "toytrust", "toy_cli.py")


@pytest.fixture
def toy_env(sandbox: str) -> dict[str, str]:
    """An environment in which the toy plug-in is installed: its package on the
    path and a distribution that declares the entry point, as pip leaves them."""
    return install_toy(sandbox, "SPEC")


def install_toy(sandbox: str, spec: str) -> dict[str, str]:
    site = os.path.join(sandbox, "site")
    dist = os.path.join(site, "toytrust_example-0.1.dist-info")
    os.makedirs(dist)
    with open(os.path.join(dist, "METADATA"), "w", encoding="utf-8") as handle:
        handle.write("Metadata-Version: 2.1\nName: toytrust-example\nVersion: 0.1\n")
    with open(os.path.join(dist, "entry_points.txt"), "w", encoding="utf-8") as handle:
        handle.write(f"[workspace_trust.providers]\ntoy = toytrust.spec:{spec}\n")
    home = os.path.join(sandbox, "home")
    os.makedirs(home)
    return {
        "HOME": home,
        "PATH": os.environ["PATH"],
        "TERM": "xterm-256color",
        "PYTHONPATH": os.pathsep.join([site, PLUGINS]),
    }


def cli(env: dict[str, str], *args: str) -> tuple[int, dict[str, Any]]:
    proc = subprocess.run(
        [sys.executable, "-m", "workspace_trust", *args, "--json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.stdout.count("\n") == 1, proc.stderr[-2000:]
    return proc.returncode, json.loads(proc.stdout)


def trusted(env: dict[str, str]) -> list[str]:
    with open(os.path.join(env["HOME"], ".toy", "trusted.json"), encoding="utf-8") as handle:
        listed: list[str] = json.load(handle)["workspaces"]
    return listed


def test_preflight_accepts_the_toy_dialog_by_label_and_persists_it(toy_env: dict[str, str], sandbox: str) -> None:
    ws = os.path.join(sandbox, "project")
    os.makedirs(ws)
    code, doc = cli(toy_env, "preflight", ws, "--provider", "toy", "--toy-bin", TOY_CLI)
    (result,) = doc["results"]
    assert (code, result["provider"], result["status"]) == (0, "toy", "accepted"), doc
    # "Allow once" is preselected and persists nothing: one Down to the
    # persistent choice, then Enter.
    assert (result["dialogs"][0], result["keys"]) == ("toy.workspace_trust", ["down", "enter"])
    assert trusted(toy_env) == [ws]

    code, again = cli(toy_env, "preflight", ws, "--provider", "toy", "--toy-bin", TOY_CLI)
    assert (code, again["results"][0]["status"], again["results"][0]["pty_spawned"]) == (0, "already_trusted", False)
    code, status = cli(toy_env, "status", ws, "--provider", "toy")
    assert (code, status["status"], status["results"][0]["trusted_key"]) == (0, "trusted", ws)


def test_plan_returns_the_toy_environment_patch(toy_env: dict[str, str], sandbox: str) -> None:
    ws = os.path.join(sandbox, "project")
    os.makedirs(ws)
    code, doc = cli(toy_env, "plan", ws, "--provider", "toy", "--toy-mode", "env")
    assert code == 0, doc
    assert doc["provider_fields"]["toy"]["env"] == {"TOY_TRUST_WORKSPACES": ws}
    assert doc["toy_env"] == {"TOY_TRUST_WORKSPACES": ws}  # deprecated: <provider>_<field>
    (patch,) = doc["env_patches"]
    assert patch["target_provider"] == "toy"


def test_the_home_guard_and_the_feature_flag_apply_to_the_plugin(toy_env: dict[str, str], sandbox: str) -> None:
    code, doc = cli(toy_env, "preflight", toy_env["HOME"], "--provider", "toy", "--toy-bin", TOY_CLI)
    assert (code, doc["results"][0]["code"], doc["results"][0]["pty_spawned"]) == (
        3,
        "workspace_trust_not_persistable_home",
        False,
    )
    ws = os.path.join(sandbox, "project")
    os.makedirs(ws)
    off = {**toy_env, "WORKSPACE_TRUST_TOY_PTY": "0"}
    code, doc = cli(off, "preflight", ws, "--provider", "toy", "--toy-bin", TOY_CLI)
    assert (doc["results"][0]["status"], doc["results"][0]["code"]) == ("skipped", "feature_disabled")
    assert doc["manifest"]["feature_flags"]["toy_pty"] is False


def test_the_plugins_options_and_codes_are_generated(toy_env: dict[str, str]) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "workspace_trust", "preflight", "--help"],
        env=toy_env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert "--toy-bin" in proc.stdout and "--toy-mode" in proc.stdout
    listed = subprocess.run(
        [
            sys.executable,
            "-c",
            "from workspace_trust import Code, Provider; print(Code('toy_state_file_odd').name,"
            " [p.value for p in Provider])",
        ],
        env=toy_env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout
    assert listed.strip() == "TOY_STATE_FILE_ODD ['claude', 'codex', 'gemini', 'qwen', 'copilot', 'toy']"


def test_without_the_entry_point_the_provider_is_unknown(toy_env: dict[str, str], sandbox: str) -> None:
    """The toy is found through its entry point and nothing else."""
    env = {**toy_env, "PYTHONPATH": PLUGINS}
    proc = subprocess.run(
        [sys.executable, "-m", "workspace_trust", "status", sandbox, "--provider", "toy", "--json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 2
    assert "unknown provider 'toy' (claude, codex, gemini, qwen, copilot)" in proc.stderr + proc.stdout


def test_a_provider_that_gates_no_folder_is_not_required_and_nothing_starts(
    toy_env: dict[str, str], sandbox: str
) -> None:
    """The toy with its gate off shows no dialog: ``trust_required`` says so, and
    preflight, status and the manifest report ``not_required`` (ok, exit 0)
    without probing or starting anything; a binary that is not there proves it.
    (It is named by the environment: an explicit ``--toy-bin`` that names no
    executable is a usage error before anything is planned.)"""
    ws = os.path.join(sandbox, "project")
    os.makedirs(ws)
    missing = os.path.join(sandbox, "no-such-toy")
    off = {**toy_env, "TOY_TRUST_GATE": "off", "TOYTRUST_TOY_BIN": missing}
    for mode in ("pty", "env"):
        code, doc = cli(off, "preflight", ws, "--provider", "toy", "--toy-mode", mode)
        (result,) = doc["results"]
        assert (code, doc["status"], result["status"], result["code"]) == (0, "ok", "not_required", None), doc
        assert result["pty_spawned"] is False
        (entry,) = doc["manifest"]["strategy_results"]
        assert entry["status"] == "not_required"
    code, doc = cli(off, "status", ws, "--provider", "toy")
    (row,) = doc["results"]
    assert (code, doc["status"], row["status"], row["code"], row["pty_spawned"]) == (
        0,
        "trusted",
        "not_required",
        None,
        False,
    ), doc
    assert not os.path.exists(os.path.join(toy_env["HOME"], ".toy"))
    # With the gate on, the same folder is untrusted and the binary is needed.
    code, doc = cli(toy_env, "status", ws, "--provider", "toy")
    assert (code, doc["results"][0]["status"]) == (1, "untrusted")
    code, doc = cli({**toy_env, "TOYTRUST_TOY_BIN": missing}, "preflight", ws, "--provider", "toy")
    assert (code, doc["results"][0]["code"]) == (1, "provider_binary_missing")
    code, doc = cli(toy_env, "preflight", ws, "--provider", "toy", "--toy-bin", missing)
    assert (code, doc["error"]["code"]) == (2, "usage")
    # The home folder is refused whether or not the provider gates folders.
    code, doc = cli(off, "preflight", toy_env["HOME"], "--provider", "toy")
    assert (code, doc["results"][0]["status"]) == (3, "blocked")


def test_a_pty_plugin_without_dialog_rules_is_refused_before_anything_starts(sandbox: str) -> None:
    """A plug-in whose PTY provider names no rule table could recognise no
    screen: the preflight says the preflight is unavailable, and neither the
    CLI's ``--help`` nor the CLI itself is ever started (the binary is a script
    that leaves a mark when run)."""
    env = install_toy(sandbox, "SPEC_WITHOUT_RULES")
    ws = os.path.join(sandbox, "project")
    os.makedirs(ws)
    toy, mark = realcli.marking_wrapper(sandbox, TOY_CLI)
    code, doc = cli(env, "preflight", ws, "--provider", "toy", "--toy-bin", toy)
    (result,) = doc["results"]
    assert (code, result["status"], result["code"], result["pty_spawned"]) == (
        1,
        "soft_failed",
        "preflight_unavailable_or_unprotected",
        False,
    ), doc
    assert "names no dialog rules" in doc["diagnostics"][0]["message"]
    assert not os.path.exists(mark)
    assert not os.path.exists(os.path.join(env["HOME"], ".toy"))


def test_status_text_of_a_probe_that_names_no_source(toy_env: dict[str, str], sandbox: str) -> None:
    """A plug-in's probe may leave the trust source unset: the status line
    names the key that proved trust, never "by None"."""
    ws = os.path.join(sandbox, "project")
    os.makedirs(ws)
    assert cli(toy_env, "preflight", ws, "--provider", "toy", "--toy-bin", TOY_CLI)[0] == 0
    _, doc = cli(toy_env, "status", ws, "--provider", "toy")
    assert doc["results"][0]["trusted_by"] is None
    proc = subprocess.run(
        [sys.executable, "-m", "workspace_trust", "status", ws, "--provider", "toy"],
        env=toy_env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip().endswith(f"{ws} (key {ws})")
    assert "None" not in proc.stdout
