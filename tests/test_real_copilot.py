"""Real GitHub Copilot CLI, installed pinned from npm by ``./dev clis``, in fresh HOMEs.

These run the README's main command (``python -m workspace_trust preflight``)
as a host would, and read the real ``config.json`` afterwards. Offline and
logged out, Copilot shows its trust dialog before anything else.
"""

from __future__ import annotations

import glob
import json
import os
import subprocess
import sys
from collections.abc import Iterator

import pytest

from tests.conftest import in_a_sandbox, require_cli
from workspace_trust.adapters.help import SubprocessHelpReader
from workspace_trust.adapters.processes import pids_with_path_prefix
from workspace_trust.adapters.pty_process import PtyProcessSpawner
from workspace_trust.engine.rules import match_rule
from workspace_trust.ports import SpawnSpec
from workspace_trust.providers.copilot.rules import COPILOT_RULES
from workspace_trust.providers.copilot.strategy import NO_TOOL, build_protected_command, preflight_env
from workspace_trust.testing import base_env, cli_dir, seed_home

pytestmark = [pytest.mark.realcli, pytest.mark.slow]

#: The newest and one three weeks older.
VERSIONS = ["1.0.89", "1.0.102"]
#: Only 1.0.102 lists --disable-client-telemetry (1.0.80, 1.0.89 and 1.0.92 do
#: not): the older one runs only when the caller allows it.
EXTRA = {"1.0.89": ("--allow-unprotected-copilot",), "1.0.102": ()}
#: Where the CLI unpacks its package (235 MB for 1.0.102), shared by every
#: test HOME instead of one copy under each.
PACKAGE_CACHE = "copilot-package-cache"
HEADER = "// User settings belong in settings.json.\n// This file is managed automatically.\n"


def preflight(binary: str, env: dict[str, str], *dirs: str, extra: tuple[str, ...] = ()) -> tuple[int, dict]:  # type: ignore[type-arg]
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "workspace_trust",
            "preflight",
            *dirs,
            "--provider",
            "copilot",
            "--copilot-bin",
            binary,
            "--json",
            *extra,
        ],
        env=env,
        capture_output=True,
        check=False,
        text=True,
        timeout=180,
    )
    assert proc.stdout.count("\n") == 1, proc.stderr[-2000:]
    return proc.returncode, json.loads(proc.stdout)


def status(env: dict[str, str], path: str) -> str:
    proc = subprocess.run(
        [sys.executable, "-m", "workspace_trust", "status", path, "--provider", "copilot", "--json"],
        env=env,
        capture_output=True,
        check=False,
        text=True,
        timeout=60,
    )
    result: str = json.loads(proc.stdout)["results"][0]["status"]
    return result


def config_path(home: str) -> str:
    return os.path.join(home, ".copilot", "config.json")


def trusted_folders(home: str) -> list[str]:
    """The list as the CLI wrote it; the file starts with comment lines."""
    with open(config_path(home), encoding="utf-8") as handle:
        text = handle.read()
    assert text.startswith("//"), text[:80]
    body = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("//"))
    folders: list[str] = json.loads(body).get("trustedFolders", [])
    return folders


def write_config(home: str, text: str, name: str = "config.json") -> None:
    os.makedirs(os.path.join(home, ".copilot"), exist_ok=True)
    with open(os.path.join(home, ".copilot", name), "w", encoding="utf-8") as handle:
        handle.write(text)


def copilot_roots() -> list[str]:
    """Every folder a Copilot process runs from: each pinned install (the node
    loader and the native binary) and the unpacked package (whatever the
    package starts). Other CLIs' folders are left out: other suites on the
    machine may be running them."""
    roots = [*glob.glob(os.path.join(cli_dir(), "copilot-*")), os.path.join(cli_dir(), PACKAGE_CACHE)]
    return sorted({path for root in roots for path in (root, os.path.realpath(root))})


def assert_nothing_left(sandbox: str) -> None:
    for root in copilot_roots():
        # Only this test's CLIs: other suites may run the shared install meanwhile.
        mine = [pid for pid in pids_with_path_prefix(root) if in_a_sandbox(pid, [sandbox])]
        assert mine == [], f"a Copilot CLI process is still running from {root}"
    assert pids_with_path_prefix(sandbox) == (), "a process started from the sandbox is still running"
    assert not glob.glob(os.path.join(sandbox, "tmp", "workspace-trust-scratch-*"))


@pytest.fixture(params=VERSIONS)
def copilot(request: pytest.FixtureRequest) -> tuple[str, str]:
    return request.param, require_cli("copilot", request.param)


def setup_home(sandbox: str) -> tuple[str, dict[str, str]]:
    home = os.path.join(sandbox, "home")
    extra = seed_home("copilot", home, copilot_package_cache=os.path.join(cli_dir(), PACKAGE_CACHE))
    tmp = os.path.join(sandbox, "tmp")
    os.makedirs(tmp, exist_ok=True)
    return home, base_env(home, {"TMPDIR": tmp, **extra})


def marking_wrapper(sandbox: str, binary: str) -> tuple[str, str]:
    """A ``copilot`` that leaves a mark when it is started at all (``--help`` too)."""
    mark = os.path.join(sandbox, "copilot-was-started")
    wrapper = os.path.join(sandbox, "copilot")
    with open(wrapper, "w", encoding="utf-8") as handle:
        handle.write(f'#!/bin/sh\ntouch "{mark}"\nexec "{binary}" "$@"\n')
    os.chmod(wrapper, 0o755)
    return wrapper, mark


def protected_argv(binary: str, env: dict[str, str]) -> tuple[str, ...]:
    """The preflight's own command for this binary, from its ``--help`` read
    as the preflight reads it (and kills whatever it started)."""
    help_text = SubprocessHelpReader().read_help(binary, preflight_env(env), 60_000, is_cancelled=lambda: False)
    command = build_protected_command(binary, help_text, allow_unprotected=True)
    assert command is not None and f"--available-tools={NO_TOOL}" in command.argv
    return command.argv


def asks_for_trust(binary: str, ws: str, env: dict[str, str]) -> bool:
    """Start the real CLI in ``ws`` (the preflight's command and environment)
    and watch, never sending a key, until it shows either the trust dialog
    (True) or what follows it: the login line or the main screen (False)."""
    trust_rule = next(rule for rule in COPILOT_RULES.rules if rule.id == "copilot.workspace_trust")
    argv = protected_argv(binary, env)
    session = PtyProcessSpawner().spawn(SpawnSpec(argv=argv, cwd=ws, env=preflight_env(env)))
    try:
        for _ in range(1200):  # a bound on reads, not a timing assertion
            snapshot = session.read_snapshot(100)
            if match_rule(trust_rule, snapshot) is not None:
                return True
            if "Please use /login" in snapshot.text or "? help" in snapshot.text:
                return False
            assert session.exit_status() is None, snapshot.text
        raise AssertionError(f"neither the trust dialog nor what follows it:\n{snapshot.text}")
    finally:
        session.kill()


def test_fresh_folder_accepted_then_second_run_is_a_no_op(copilot: tuple[str, str], sandbox: str) -> None:
    version, binary = copilot
    home, env = setup_home(sandbox)
    ws = os.path.join(sandbox, "work", "project")
    os.makedirs(ws)
    code, doc = preflight(binary, env, ws, extra=EXTRA[version])
    (result,) = doc["results"]
    assert (code, doc["status"], result["status"]) == (0, "ok", "accepted"), doc
    keys = result["keys"]
    # "1. Yes" (this session only) is preselected: Down first, never a bare
    # Enter; the closed loop may repeat a Down a loaded machine dropped.
    assert keys[0] == "down" and keys[-1] == "enter" and keys.count("enter") == 1, keys
    assert set(keys[:-1]) == {"down"}
    assert result["dialogs"][0] == "copilot.workspace_trust"
    assert result["trusted_key"] == ws
    assert trusted_folders(home) == [ws]
    assert_nothing_left(sandbox)
    # The real CLI agrees: it no longer asks there.
    assert not asks_for_trust(binary, ws, env)
    assert_nothing_left(sandbox)

    code2, doc2 = preflight(binary, env, ws, extra=EXTRA[version])
    (again,) = doc2["results"]
    assert (code2, again["status"], again["pty_spawned"], again["keys"]) == (0, "already_trusted", False, [])


def test_already_trusted_starts_no_process(copilot: tuple[str, str], sandbox: str) -> None:
    """A parent listed under the older key covers the folder: the CLI's verdict
    (it does not ask), and the preflight's without starting anything, not even
    ``copilot --help``."""
    version, binary = copilot
    home, env = setup_home(sandbox)
    parent = os.path.join(sandbox, "work")
    ws = os.path.join(parent, "project")
    os.makedirs(ws)
    write_config(home, HEADER + json.dumps({"trusted_folders": [parent]}))
    wrapper, mark = marking_wrapper(sandbox, binary)
    code, doc = preflight(wrapper, env, ws, extra=EXTRA[version])
    (result,) = doc["results"]
    assert (code, result["status"], result["pty_spawned"], result["trusted_key"]) == (
        0,
        "already_trusted",
        False,
        parent,
    ), doc
    assert not os.path.exists(mark)
    assert not asks_for_trust(binary, ws, env)
    assert_nothing_left(sandbox)


#: config.json (or settings.json) contents, and whether the CLI trusts
#: ``{ws}`` with them (it does not ask) as the probe must say.
CASES = {
    "jsonc": (HEADER + '{"trustedFolders": [ /* here */ "{ws}", ], }', "config.json", True),
    "older-key-of-a-parent": ('{"trusted_folders": ["{parent}"]}', "config.json", True),
    "symlink-entry": ('{"trustedFolders": ["{link}"]}', "config.json", True),
    "last-alias-wins": ('{"trustedFolders": ["{ws}"], "trusted_folders": []}', "config.json", False),
    "other-case": ('{"trustedFolders": ["{WS}"]}', "config.json", False),
    "sibling-prefix": ('{"trustedFolders": ["{ws}x", "{ws_prefix}"]}', "config.json", False),
    "settings-json-only": ('{"trustedFolders": ["{ws}"]}', "settings.json", False),
}


@pytest.mark.parametrize(
    ("version", "case"),
    # Every case on the newest; two on the older one, whose reading is the
    # same except for settings.json (it moves the key into config.json: the
    # last test below).
    [("1.0.102", case) for case in sorted(CASES)] + [("1.0.89", "older-key-of-a-parent"), ("1.0.89", "symlink-entry")],
)
def test_the_probe_decides_as_the_cli_decides(version: str, case: str, sandbox: str) -> None:
    """Each case, first read by ``status`` (read-only: the file is left as it
    was), then shown to the real CLI: the probe says trusted exactly when the
    CLI starts without asking."""
    binary = require_cli("copilot", version)
    home, env = setup_home(sandbox)
    parent = os.path.join(sandbox, "work")
    ws = os.path.join(parent, "project")
    link = os.path.join(sandbox, "link")
    os.makedirs(ws)
    os.symlink(ws, link)
    template, name, trusted = CASES[case]
    text = (
        template.replace("{ws}", ws)
        .replace("{WS}", ws.upper())
        .replace("{ws_prefix}", ws[:-1])
        .replace("{parent}", parent)
        .replace("{link}", link)
    )
    write_config(home, text, name)
    with open(os.path.join(home, ".copilot", name), "rb") as handle:
        before = handle.read()
    assert status(env, ws) == ("trusted" if trusted else "untrusted")
    with open(os.path.join(home, ".copilot", name), "rb") as handle:
        assert handle.read() == before
    assert asks_for_trust(binary, ws, env) is not trusted
    assert_nothing_left(sandbox)


def test_a_symlinked_path_is_trusted_as_its_real_folder(copilot: tuple[str, str], sandbox: str) -> None:
    """The CLI runs in the real folder and writes its real path; the folder is
    then trusted whichever way it is reached."""
    version, binary = copilot
    home, env = setup_home(sandbox)
    real = os.path.join(sandbox, "real-project")
    link = os.path.join(sandbox, "link-project")
    os.makedirs(real)
    os.symlink(real, link)
    code, doc = preflight(binary, env, link, extra=EXTRA[version])
    (result,) = doc["results"]
    assert (code, result["status"], result["real_path"], result["trusted_key"]) == (0, "accepted", real, real), doc
    assert trusted_folders(home) == [real]
    assert (status(env, link), status(env, real)) == ("trusted", "trusted")
    _, again = preflight(binary, env, link, extra=EXTRA[version])
    assert (again["results"][0]["status"], again["results"][0]["pty_spawned"]) == ("already_trusted", False)
    assert_nothing_left(sandbox)


def test_a_git_subfolder_is_trusted_itself_not_its_repository(copilot: tuple[str, str], sandbox: str) -> None:
    """Unlike Claude Code and Codex, Copilot writes the folder it was started
    in: REPO/sub/deeper, never REPO. Folders below it are covered; REPO and
    REPO/sub are not."""
    version, binary = copilot
    home, env = setup_home(sandbox)
    repo = os.path.join(sandbox, "repo")
    deeper = os.path.join(repo, "sub", "deeper")
    os.makedirs(os.path.join(deeper, "below"))
    subprocess.run(["git", "init", "-q", repo], check=True)
    code, doc = preflight(binary, env, deeper, extra=EXTRA[version])
    (result,) = doc["results"]
    assert (code, result["status"], result["trusted_key"]) == (0, "accepted", deeper), doc
    assert trusted_folders(home) == [deeper]
    assert status(env, os.path.join(deeper, "below")) == "trusted"
    assert (status(env, repo), status(env, os.path.join(repo, "sub"))) == ("untrusted", "untrusted")
    assert_nothing_left(sandbox)


@pytest.mark.parametrize("where", ["home", "parent-of-home", "root"])
def test_home_and_what_contains_it_are_refused_before_copilot_starts(sandbox: str, where: str) -> None:
    binary = require_cli("copilot", VERSIONS[-1])
    home, env = setup_home(sandbox)
    wrapper, mark = marking_wrapper(sandbox, binary)
    target, code_name = {
        "home": (home, "workspace_trust_not_persistable_home"),
        "parent-of-home": (sandbox, "workspace_trust_not_persistable_home_ancestor"),
        "root": ("/", "workspace_trust_not_persistable_root"),
    }[where]
    code, doc = preflight(wrapper, env, target)
    (result,) = doc["results"]
    assert (code, result["status"], result["code"], result["pty_spawned"]) == (3, "blocked", code_name, False), doc
    assert not os.path.exists(mark)
    assert not os.path.exists(config_path(home))
    assert_nothing_left(sandbox)


def test_four_concurrent_runs_on_one_folder_start_one_pty(copilot: tuple[str, str], sandbox: str) -> None:
    version, binary = copilot
    home, env = setup_home(sandbox)
    ws = os.path.join(sandbox, "project")
    os.makedirs(ws)
    cmd = [sys.executable, "-m", "workspace_trust", "preflight", ws, "--provider", "copilot"]
    cmd += ["--copilot-bin", binary, "--json", *EXTRA[version]]
    procs = [
        subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(4)
    ]
    docs = [json.loads(p.communicate(timeout=300)[0]) for p in procs]
    results = [d["results"][0] for d in docs]
    assert sorted(r["status"] for r in results) == ["accepted"] + ["already_trusted_after_wait"] * 3, docs
    assert sum(r["pty_spawned"] for r in results) == 1
    assert trusted_folders(home) == [ws]
    assert_nothing_left(sandbox)


@pytest.fixture
def mcp_folder(sandbox: str) -> Iterator[tuple[str, str]]:
    """A folder whose .mcp.json starts a server that would outlive the CLI
    (it writes a mark and sleeps), and whose sessionStart hook would do the same."""
    ws = os.path.join(sandbox, "with-mcp")
    marks = os.path.join(sandbox, "marks")
    os.makedirs(os.path.join(ws, ".github", "hooks"))
    os.makedirs(marks)
    server = f'echo started > "{marks}/mcp"; exec sleep 300'
    with open(os.path.join(ws, ".mcp.json"), "w", encoding="utf-8") as handle:
        json.dump({"mcpServers": {"folder-server": {"type": "stdio", "command": "sh", "args": ["-c", server]}}}, handle)
    hook = {"type": "command", "bash": f'echo ran > "{marks}/hook"; sleep 300', "timeoutSec": 400}
    with open(os.path.join(ws, ".github", "hooks", "start.json"), "w", encoding="utf-8") as handle:
        json.dump({"version": 1, "hooks": {"sessionStart": [hook]}}, handle)
    yield ws, marks


def test_nothing_the_folder_starts_is_left_running(
    copilot: tuple[str, str], sandbox: str, mcp_folder: tuple[str, str]
) -> None:
    """Once trusted, Copilot loads the folder's own MCP servers (a few hundred
    milliseconds after it writes trust, 1.0.102). Whether or not one got to
    start before the kill, nothing of it is left."""
    version, binary = copilot
    home, env = setup_home(sandbox)
    ws, marks = mcp_folder
    code, doc = preflight(binary, env, ws, extra=EXTRA[version])
    assert (code, doc["results"][0]["status"]) == (0, "accepted"), doc
    assert trusted_folders(home) == [ws]
    print(f"copilot {version}: started before the kill: {sorted(os.listdir(marks)) or 'nothing'}")
    assert_nothing_left(sandbox)


def test_a_copilot_without_the_telemetry_flag_soft_fails_unless_allowed(sandbox: str) -> None:
    """1.0.89 does not list --disable-client-telemetry: nothing is started
    (not even by the lock wait) unless the caller allows an unprotected run,
    which then still passes every protective flag 1.0.89 has."""
    binary = require_cli("copilot", "1.0.89")
    home, env = setup_home(sandbox)
    ws = os.path.join(sandbox, "project")
    os.makedirs(ws)
    code, doc = preflight(binary, env, ws)
    (result,) = doc["results"]
    assert (code, result["status"], result["code"], result["pty_spawned"]) == (
        1,
        "soft_failed",
        "preflight_unavailable_or_unprotected",
        False,
    ), doc
    assert "--disable-client-telemetry" in json.dumps(doc)
    assert not os.path.exists(config_path(home))

    code, doc = preflight(binary, env, ws, extra=("--allow-unprotected-copilot",))
    (allowed,) = doc["results"]
    assert (code, allowed["status"], allowed["keys"][-1]) == (0, "accepted", "enter"), doc
    assert trusted_folders(home) == [ws]
    assert "--disable-client-telemetry" in json.dumps(doc["manifest"]["diagnostics"] + [allowed])
    assert_nothing_left(sandbox)


def test_an_older_copilot_moves_settings_json_trust_and_shows_no_dialog(sandbox: str) -> None:
    """1.0.80 and 1.0.89 move trustedFolders from settings.json into an
    existing config.json when they start (1.0.102 ignores it there; without a
    config.json they ask). The probe reads config.json only, so the preflight
    starts 1.0.89, which asks nothing: accepted without a key, from config.json."""
    binary = require_cli("copilot", "1.0.89")
    home, env = setup_home(sandbox)
    ws = os.path.join(sandbox, "project")
    os.makedirs(ws)
    write_config(home, HEADER + "{}")
    write_config(home, json.dumps({"trustedFolders": [ws]}), "settings.json")
    assert status(env, ws) == "untrusted"
    code, doc = preflight(binary, env, ws, extra=("--allow-unprotected-copilot",))
    (result,) = doc["results"]
    assert (code, result["status"], result["keys"], result["pty_spawned"]) == (0, "accepted", [], True), doc
    assert trusted_folders(home) == [ws]
    assert_nothing_left(sandbox)
