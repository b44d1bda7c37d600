"""What ``preflight --launch-mode prompt`` returns for each real CLI, and
that it serves the real headless launch, offline: the launch as the host
makes it (the document's patches applied with the library's own functions)
gets past each CLI's gate or loads what trust loads, where the launch without
them stops or leaves it out; a patch that promises to write nothing writes
nothing; and a version older than a switch falls back.

The CLIs' raw behaviour behind each answer is pinned in
tests/test_real_launch_modes.py, whose helpers (the model stub, headless
runs) are used here.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator

import pytest

from tests import realcli
from tests.realcli import Doc, ModelStub, assert_nothing_left, require_cli
from tests.test_real_launch_modes import (
    CLAUDE_NO_LOGIN,
    GEMINI_GATE,
    GEMINI_PAST_GATE,
    copilot_home,
    copilot_trusted_folders,
    gemini_home,
    qwen_home,
    repo_hook,
    run_headless,
    run_until,
    workspace,
    write_json,
)

pytestmark = [pytest.mark.realcli, pytest.mark.slow]


def prompt_preflight(name: str, binary: str, env: dict[str, str], path: str) -> tuple[int, Doc]:
    code, doc = realcli.preflight(name, binary, env, path, extra=("--launch-mode", "prompt"))
    assert doc["launch_modes"] == {name: "prompt"}, realcli.brief(doc)
    return code, doc


# -- the host's side, from the JSON document alone (as a host in any language) ----------


def launch_argv(doc: Doc, name: str, argv: list[str]) -> list[str]:
    """``argv`` with the document's argument patches for ``name``: Codex's
    ``-c`` values (``provider_fields.codex.config_overrides``), another CLI's
    patch values added once."""
    if name == "codex":
        values = doc["provider_fields"]["codex"]["config_overrides"]
        return [argv[0], *(a for value in values for a in ("-c", value)), *argv[1:]]
    added = [v for p in doc["patches"] if p["target_provider"] == name for v in p["values"] if v not in argv]
    return [*argv, *added]


@contextlib.contextmanager
def launch_environment(doc: Doc, name: str, env: dict[str, str], folder: str) -> Iterator[dict[str, str]]:
    """``env`` with the document's environment patches for ``name``; each file
    a patch names is written to ``folder`` for the launch and removed after."""
    out = dict(env)
    made: list[str] = []
    try:
        for patch in doc["env_patches"]:
            if patch["target_provider"] != name:
                continue
            out.update(patch["values"])
            for item in patch["files"]:
                path = os.path.join(folder, item["name"])
                with open(path, "w", encoding="utf-8") as handle:
                    handle.write(item["content"])
                made.append(path)
                out[item["variable"]] = path
        yield out
    finally:
        for path in made:
            os.remove(path)


def state_bytes(path: str) -> bytes | None:
    if not os.path.exists(path):
        return None
    with open(path, "rb") as handle:
        return handle.read()


@pytest.mark.parametrize("version", ["2.0.77", "2.1.197", "2.1.337"])
def test_claude_prompt_mode_needs_nothing_and_its_headless_launch_asks_nothing(sandbox: str, version: str) -> None:
    binary = require_cli("claude", version)
    home, env = realcli.setup_home(sandbox, "claude")
    path = workspace(sandbox)
    state = os.path.join(home, ".claude.json")
    before = state_bytes(state)
    code, doc = prompt_preflight("claude", binary, env, path)
    assert code == 0, realcli.brief(doc)
    (row,) = doc["results"]
    assert (row["status"], row["code"], row["pty_spawned"]) == ("not_required", "folder_not_gated_by_cli", False)
    assert (doc["patches"], doc["env_patches"]) == ([], [])
    assert state_bytes(state) == before
    # Past any gate, at the login (2.0.77 words it "Invalid API key").
    ran = run_headless([binary, "-p", "hi"], path, env)
    assert ran.code == 1 and ran.out.strip() in {CLAUDE_NO_LOGIN, "Invalid API key · Please run /login"}, ran
    assert state_bytes(state) == before or "projects" not in (state_bytes(state) or b"").decode()
    assert_nothing_left(sandbox)


def test_copilot_prompt_mode_gets_trust_folder_and_the_launch_loads_the_repo_config(
    sandbox: str, stub: ModelStub
) -> None:
    binary = require_cli("copilot", "1.0.102")
    home, env = copilot_home(sandbox, stub)
    path = workspace(sandbox)
    mark = repo_hook(path)
    code, doc = prompt_preflight("copilot", binary, env, path)
    assert code == 0, realcli.brief(doc)
    assert [(r["status"], r["pty_spawned"]) for r in doc["results"]] == [("patched", False)]
    # Without the patch the launch leaves the folder's hooks out.
    ran = run_headless([binary, "-p", "hi"], path, env)
    assert ran.code == 1 and "offline test stub" in ran.err, ran
    assert not os.path.exists(mark)
    # With it (applied as a host applies it) they run, and nothing is saved.
    argv = launch_argv(doc, "copilot", ["-p", "hi"])
    assert argv == ["-p", "hi", "--trust-folder"]
    ran = run_headless([binary, *argv], path, env)
    assert ran.code == 1 and "offline test stub" in ran.err, ran
    assert os.path.exists(mark)
    assert copilot_trusted_folders(home) is None
    assert_nothing_left(sandbox)


def test_copilot_before_the_switch_is_prepared_in_a_terminal_with_the_reason(sandbox: str) -> None:
    """1.0.89 has no ``--trust-folder``: no patch (it would break the launch),
    the PTY preflight instead; 1.0.89 also lacks a protective flag, so that is
    refused as for an interactive launch, and the row says both."""
    binary = require_cli("copilot", "1.0.89")
    home, env = copilot_home(sandbox)
    path = workspace(sandbox)
    code, doc = prompt_preflight("copilot", binary, env, path)
    assert code == 1, realcli.brief(doc)
    (row,) = doc["results"]
    assert (row["status"], row["code"]) == ("soft_failed", "preflight_unavailable_or_unprotected"), realcli.brief(doc)
    assert doc["patches"] == []
    notes = [d["message"] for d in doc["diagnostics"] if d["code"] == "override_unsupported_by_cli_version"]
    assert notes and "Copilot CLI 1.0.89 does not honour --trust-folder" in notes[0], realcli.brief(doc)
    assert "served by the pty strategy instead" in notes[0]
    assert not os.path.exists(os.path.join(home, ".copilot", "config.json")) or copilot_trusted_folders(home) is None
    # Why no patch: this CLI takes the switch for words of the prompt and stops.
    ran = run_headless([binary, "-p", "hi", "--trust-folder"], path, env)
    assert ran.code == 1 and "Invalid command format." in ran.err, ran
    assert_nothing_left(sandbox)


@pytest.mark.parametrize("version", ["0.45.2", "0.61.0"])
def test_gemini_prompt_mode_patch_gets_the_headless_launch_past_the_gate(
    sandbox: str, stub: ModelStub, version: str
) -> None:
    binary = require_cli("gemini", version)
    home, env = gemini_home(sandbox, stub)
    path = workspace(sandbox)
    code, doc = prompt_preflight("gemini", binary, env, path)
    assert code == 0, realcli.brief(doc)
    assert [(r["status"], r["pty_spawned"]) for r in doc["results"]] == [("patched", False)]
    ran = run_headless([binary, "-p", "hi"], path, env)
    assert ran.code == 55 and GEMINI_GATE in ran.err, ran
    assert stub.requests == []
    with launch_environment(doc, "gemini", env, sandbox) as patched:
        ran = run_headless([binary, "-p", "hi"], path, patched)
    assert ran.code == 1 and GEMINI_PAST_GATE in ran.err and GEMINI_GATE not in ran.err, ran
    assert stub.requests
    assert not os.path.exists(os.path.join(home, ".gemini", "trustedFolders.json"))
    assert_nothing_left(sandbox)


def test_codex_prompt_mode_value_gives_exec_the_trusted_sandbox(sandbox: str) -> None:
    binary = require_cli("codex", "0.169.0")
    home, env = realcli.setup_home(sandbox, "codex")
    path = realcli.git_init(os.path.join(sandbox, "work", "repo"))
    code, doc = prompt_preflight("codex", binary, env, path)
    assert code == 0, realcli.brief(doc)
    assert [(r["status"], r["pty_spawned"]) for r in doc["results"]] == [("patched", False)]
    untrusted = run_until([binary, "exec", "hi"], path, env, "\nuser\nhi\n")
    assert "sandbox: read-only" in untrusted
    argv = launch_argv(doc, "codex", [binary, "exec", "hi"])
    trusted = run_until(argv, path, env, "\nuser\nhi\n")
    assert "sandbox: workspace-write" in trusted, argv
    assert not os.path.exists(os.path.join(home, ".codex", "config.toml"))
    assert_nothing_left(sandbox)


def test_qwen_prompt_mode_file_patch_makes_the_folder_settings_count(sandbox: str, stub: ModelStub) -> None:
    """0.24.4 leaves an untrusted folder's ``.qwen/settings.json`` out of a
    ``-p`` run; with ``qwen_env`` on, prompt mode returns the private
    trusted-folders file, and the launch made with it reads them."""
    binary = require_cli("qwen", "0.24.4")
    home, env = qwen_home(sandbox, stub)
    path = workspace(sandbox)
    write_json(os.path.join(path, ".qwen", "settings.json"), {"model": {"name": "project-model-marker"}})
    flagged = {**env, "WORKSPACE_TRUST_QWEN_ENV": "1"}
    code, doc = prompt_preflight("qwen", binary, flagged, path)
    assert code == 0, realcli.brief(doc)
    assert [(r["status"], r["pty_spawned"]) for r in doc["results"]] == [("patched", False)]
    argv = [binary, "-p", "hi", "--auth-type", "openai"]
    ran = run_headless(argv, path, env)
    assert ran.code == 1 and '"model":"project-model-marker"' not in stub.bodies(), ran
    stub.requests.clear()
    with launch_environment(doc, "qwen", env, sandbox) as patched:
        ran = run_headless(argv, path, patched)
    assert ran.code == 1 and '"model":"project-model-marker"' in stub.bodies(), ran
    assert not os.path.exists(os.path.join(home, ".qwen", "trustedFolders.json"))
    assert_nothing_left(sandbox)


def test_qwen_before_its_variable_is_prepared_in_a_terminal_with_the_reason(sandbox: str) -> None:
    """0.10.1 ignores QWEN_CODE_TRUSTED_FOLDERS_PATH: with ``qwen_env`` on, a
    prompt-mode preflight gives no file patch and accepts the dialog instead,
    the row saying why."""
    binary = require_cli("qwen", "0.10.1")
    _, env = realcli.setup_home(sandbox, "qwen")
    path = workspace(sandbox)
    code, doc = prompt_preflight("qwen", binary, {**env, "WORKSPACE_TRUST_QWEN_ENV": "1"}, path)
    (row,) = doc["results"]
    assert (code, row["status"], row["pty_spawned"]) == (0, "accepted", True), realcli.brief(doc)
    assert doc["env_patches"] == []
    notes = [d["message"] for d in doc["diagnostics"] if d["code"] == "override_unsupported_by_cli_version"]
    assert notes and "Qwen Code 0.10.1 does not honour QWEN_CODE_TRUSTED_FOLDERS_PATH" in notes[0], realcli.brief(doc)
    assert realcli.status(env, path, name="qwen") == "trusted"
    assert_nothing_left(sandbox)


def test_gemini_before_its_headless_gate_needs_nothing_and_says_why(sandbox: str, stub: ModelStub) -> None:
    """0.39.0 ignores the session variable, and has no headless gate: no
    patch, ``not_required`` with the reason, and its launch runs."""
    binary = require_cli("gemini", "0.39.0")
    home, env = gemini_home(sandbox, stub)
    path = workspace(sandbox)
    code, doc = prompt_preflight("gemini", binary, env, path)
    (row,) = doc["results"]
    assert (code, row["status"], row["code"], row["pty_spawned"]) == (
        0,
        "not_required",
        "folder_not_gated_by_cli",
        False,
    ), realcli.brief(doc)
    assert doc["env_patches"] == []
    notes = [d["message"] for d in doc["diagnostics"] if d["code"] == "override_unsupported_by_cli_version"]
    assert notes and "Gemini CLI 0.39.0 does not honour GEMINI_CLI_TRUST_WORKSPACE=true" in notes[0]
    ran = run_headless([binary, "-p", "hi"], path, env)
    assert ran.code == 1 and GEMINI_PAST_GATE in ran.err, ran
    assert not os.path.exists(os.path.join(home, ".gemini", "trustedFolders.json"))
    assert_nothing_left(sandbox)
