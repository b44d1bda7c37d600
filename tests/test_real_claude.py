"""Real Claude Code, installed pinned from npm by ``./dev clis``, in fresh HOMEs.

These run the README's main command (``python -m workspace_trust preflight``)
as a host would, and read the real ``.claude.json`` afterwards.
"""

from __future__ import annotations

import glob
import json
import os
import signal
import subprocess
import sys
import time

import pytest

from tests.conftest import in_a_sandbox, require_cli
from workspace_trust.adapters.processes import pids_with_path_prefix
from workspace_trust.adapters.pty_process import PtyProcessSpawner
from workspace_trust.domain.codes import Key
from workspace_trust.engine.rules import match_rule
from workspace_trust.fixtures import load_fixture, replay_engine
from workspace_trust.ports import SpawnSpec
from workspace_trust.providers.claude.launch import IGNORE_TRUST_ENV, IGNORE_TRUST_FLAG
from workspace_trust.providers.claude.rules import CLAUDE_RULES
from workspace_trust.testing import base_env, cli_dir, seed_home

pytestmark = [pytest.mark.realcli, pytest.mark.slow]

VERSIONS = ["2.1.119", "2.1.197", "2.1.330"]
#: 2.1.248+ preselects "No, exit": one Down is needed before Enter.
RULE = {
    "2.1.119": "claude.workspace_trust.numbered",
    "2.1.197": "claude.workspace_trust.numbered",
    "2.1.330": "claude.workspace_trust",
}
KEYS = {"2.1.119": ["enter"], "2.1.197": ["enter"], "2.1.330": ["down", "enter"]}


def preflight(binary: str, env: dict[str, str], *dirs: str, extra: tuple[str, ...] = ()) -> tuple[int, dict]:  # type: ignore[type-arg]
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "workspace_trust",
            "preflight",
            *dirs,
            "--json",
            "--claude-bin",
            binary,
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


def projects(home: str) -> dict[str, bool]:
    with open(os.path.join(home, ".claude.json"), encoding="utf-8") as handle:
        doc = json.load(handle)
    return {k: v.get("hasTrustDialogAccepted") for k, v in doc.get("projects", {}).items()}


def assert_nothing_left(sandbox: str) -> None:
    # Only this test's CLIs: other suites (another checkout, a stress run) may
    # run CLIs from the same shared install at the same time.
    mine = [
        pid
        for root in {cli_dir(), os.path.realpath(cli_dir())}
        for pid in pids_with_path_prefix(root)
        if in_a_sandbox(pid, [sandbox])
    ]
    assert mine == [], "a Claude process is still running"
    # Each test's preflight runs with TMPDIR inside its own sandbox (see
    # setup_home), so this sees only this test's scratch folders, never another
    # run's leftovers in the shared temp folder.
    assert not glob.glob(os.path.join(sandbox, "tmp", "workspace-trust-scratch-*"))


@pytest.fixture(params=VERSIONS)
def claude(request: pytest.FixtureRequest) -> tuple[str, str]:
    return request.param, require_cli("claude", request.param)


def setup_home(sandbox: str, seeded: bool = True) -> tuple[str, dict[str, str]]:
    home = os.path.join(sandbox, "home")
    os.makedirs(home)
    if seeded:
        seed_home("claude", home)
    tmp = os.path.join(sandbox, "tmp")
    os.makedirs(tmp, exist_ok=True)
    return home, base_env(home, {"TMPDIR": tmp})


def test_fresh_folder_accepted_then_second_run_is_a_no_op(claude: tuple[str, str], sandbox: str) -> None:
    version, binary = claude
    home, env = setup_home(sandbox)
    ws = os.path.join(sandbox, "project")
    os.makedirs(ws)
    code, doc = preflight(binary, env, ws)
    (result,) = doc["results"]
    assert (code, doc["status"], result["status"]) == (0, "ok", "accepted"), doc
    keys = result["keys"]
    # The first key is the one the layout needs (never a bare Enter on 2.1.330);
    # the closed loop may repeat a move a loaded machine dropped, nothing else.
    assert keys[0] == KEYS[version][0]
    assert keys[-1] == "enter" and keys.count("enter") == 1
    assert set(keys[:-1]) <= set(KEYS[version][:-1])
    assert result["dialogs"][0] == RULE[version]
    assert result["trusted_key"] == ws
    assert projects(home)[ws] is True
    assert_nothing_left(sandbox)

    code2, doc2 = preflight(binary, env, ws)
    (again,) = doc2["results"]
    assert (code2, again["status"], again["pty_spawned"], again["keys"]) == (0, "already_trusted", False, [])


def test_git_subfolder_is_trusted_through_the_git_root(claude: tuple[str, str], sandbox: str) -> None:
    _, binary = claude
    home, env = setup_home(sandbox)
    repo = os.path.join(sandbox, "repo")
    deeper = os.path.join(repo, "sub", "deeper")
    os.makedirs(deeper)
    subprocess.run(["git", "init", "-q", repo], check=True)
    code, doc = preflight(binary, env, deeper)
    (result,) = doc["results"]
    assert (code, result["status"]) == (0, "accepted"), doc
    # Claude writes the repository root's key; the probe finds trust through it.
    assert result["trusted_key"] == repo
    assert projects(home).get(repo) is True
    _, doc2 = preflight(binary, env, os.path.join(repo, "sub"))
    assert doc2["results"][0]["status"] == "already_trusted"
    assert_nothing_left(sandbox)


def test_home_folder_is_blocked_without_a_process(claude: tuple[str, str], sandbox: str) -> None:
    _, binary = claude
    home, env = setup_home(sandbox)
    code, doc = preflight(binary, env, home)
    (result,) = doc["results"]
    assert (code, result["status"], result["code"], result["pty_spawned"]) == (
        3,
        "blocked",
        "workspace_trust_not_persistable_home",
        False,
    )
    with open(os.path.join(home, ".claude.json"), encoding="utf-8") as handle:
        assert "projects" not in json.load(handle)


def test_empty_profile_is_setup_required_with_no_keys(claude: tuple[str, str], sandbox: str) -> None:
    _, binary = claude
    _home, env = setup_home(sandbox, seeded=False)
    ws = os.path.join(sandbox, "project")
    os.makedirs(ws)
    code, doc = preflight(binary, env, ws)
    (result,) = doc["results"]
    assert (code, result["status"], result["code"]) == (3, "blocked", "provider_setup_required"), doc
    assert result["keys"] == []
    assert result["dialogs"] == ["claude.theme_onboarding"]
    assert_nothing_left(sandbox)


def test_two_processes_on_one_fresh_folder_start_one_pty(claude: tuple[str, str], sandbox: str) -> None:
    _, binary = claude
    _home, env = setup_home(sandbox)
    ws = os.path.join(sandbox, "project")
    os.makedirs(ws)
    cmd = [sys.executable, "-m", "workspace_trust", "preflight", ws, "--json", "--claude-bin", binary]
    procs = [
        subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)
    ]
    docs = [json.loads(p.communicate(timeout=180)[0]) for p in procs]
    results = [d["results"][0] for d in docs]
    assert sorted(r["status"] for r in results) == ["accepted", "already_trusted_after_wait"], docs
    assert sum(r["pty_spawned"] for r in results) == 1
    assert_nothing_left(sandbox)


def test_ctrl_c_cancels_cleanly(claude: tuple[str, str], sandbox: str) -> None:
    _, binary = claude
    _home, env = setup_home(sandbox)
    ws = os.path.join(sandbox, "project")
    os.makedirs(ws)
    proc = subprocess.Popen(
        [sys.executable, "-m", "workspace_trust", "preflight", ws, "--json", "--claude-bin", binary],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    # Wait until the Claude process exists, then interrupt the preflight.
    install = os.path.realpath(os.path.dirname(os.path.dirname(os.path.dirname(binary))))
    deadline = time.monotonic() + 60
    # Only this test's Claude: another suite may run the same install meanwhile.
    while time.monotonic() < deadline and not {
        pid for pid in pids_with_path_prefix(install) if pid != proc.pid and in_a_sandbox(pid, [sandbox])
    }:
        time.sleep(0.01)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert out.count("\n") == 1, err[-3000:]
    doc = json.loads(out)
    status = doc["results"][0]["status"]
    print("ctrl-c outcome:", proc.returncode, status)
    # The interrupt can land after trust already persisted; both are clean ends.
    assert (proc.returncode, status) in ((130, "cancelled"), (0, "accepted")), doc
    assert_nothing_left(sandbox)


def test_record_names_the_real_cli_and_its_version(sandbox: str) -> None:
    """`workspace-trust record -- claude` infers provider and version from the
    real binary, drives the dialog by its rules, and stops once trust is persisted."""
    binary = require_cli("claude", "2.1.330")
    home, env = setup_home(sandbox)
    ws = os.path.join(sandbox, "project")
    os.makedirs(ws)
    out = os.path.join(sandbox, "fixture.json")
    proc = subprocess.run(
        [sys.executable, "-m", "workspace_trust", "record", "--out", out, "--cwd", ws, "--", binary],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    fixture = load_fixture(out)
    assert (fixture.provider, fixture.cli_version, fixture.scenario) == ("claude", "2.1.330", "startup")
    keys = [e.key for e in fixture.events if e.key is not None]
    # One Down, unless a loaded machine dropped it and the closed loop repeated it.
    assert keys[-1] is Key.ENTER and set(keys[:-1]) == {Key.DOWN}, keys
    assert "claude.workspace_trust" in proc.stdout
    assert projects(home)[ws] is True
    assert_nothing_left(sandbox)


def test_home_as_a_git_repository_is_never_trusted_through_a_subfolder(sandbox: str) -> None:
    """Real 2.1.330 started in HOME/proj, with HOME a git repository, writes the
    key of HOME (seen by hand). The preflight refuses before starting Claude."""
    binary = require_cli("claude", "2.1.330")
    home, env = setup_home(sandbox)
    subprocess.run(["git", "init", "-q", home], check=True)
    ws = os.path.join(home, "proj")
    os.makedirs(ws)
    code, doc = preflight(binary, env, ws)
    (result,) = doc["results"]
    assert (code, result["status"], result["code"]) == (3, "blocked", "workspace_trust_not_persistable_home"), doc
    assert result["pty_spawned"] is False
    assert projects(home) == {}
    assert_nothing_left(sandbox)


@pytest.mark.parametrize("spelling", ["parent", "grandparent", "dotdot", "x-dotdot", "git-root-above-home"])
def test_a_folder_that_contains_home_is_blocked_before_claude_starts(sandbox: str, spelling: str) -> None:
    """Trusting the parent of HOME would trust HOME and everything in it (Claude
    walks up the parents). Blocked before anything runs, even `claude --help`:
    the binary is a wrapper that leaves a mark when started."""
    binary = require_cli("claude", "2.1.330")
    home, env = setup_home(sandbox)
    mark = os.path.join(sandbox, "claude-was-started")
    wrapper = os.path.join(sandbox, "claude")
    with open(wrapper, "w", encoding="utf-8") as handle:
        handle.write(f'#!/bin/sh\ntouch "{mark}"\nexec "{binary}" "$@"\n')
    os.chmod(wrapper, 0o755)
    os.makedirs(os.path.join(home, "proj"))
    workspace = {
        "parent": sandbox,
        "grandparent": os.path.dirname(sandbox),
        "dotdot": home + "/..",
        "x-dotdot": home + "/x/../..",
        "git-root-above-home": os.path.join(home, "proj"),
    }[spelling]
    if spelling == "git-root-above-home":
        subprocess.run(["git", "init", "-q", sandbox], check=True)
    with open(os.path.join(home, ".claude.json"), "rb") as handle:
        before = handle.read()
    code, doc = preflight(wrapper, env, workspace)
    (result,) = doc["results"]
    assert (code, result["status"], result["code"], result["pty_spawned"]) == (
        3,
        "blocked",
        "workspace_trust_not_persistable_home_ancestor",
        False,
    ), doc
    assert not os.path.exists(mark)
    with open(os.path.join(home, ".claude.json"), "rb") as handle:
        assert handle.read() == before
    assert_nothing_left(sandbox)


def test_a_folder_named_with_a_backslash_is_its_own_folder(sandbox: str) -> None:
    """On Linux `a\\b` is one folder whose name holds a backslash. Claude 2.1.330
    keys it `.../a\\b` and asks there even when `.../a/b` is trusted; the preflight
    must not take the one for the other, and must see the key Claude writes."""
    binary = require_cli("claude", "2.1.330")
    home, env = setup_home(sandbox)
    slash = os.path.join(sandbox, "a", "b")
    backslash = os.path.join(sandbox, "a\\b")
    os.makedirs(slash)
    os.makedirs(backslash)
    with open(os.path.join(home, ".claude.json"), "w", encoding="utf-8") as handle:
        json.dump(
            {"hasCompletedOnboarding": True, "theme": "dark", "projects": {slash: {"hasTrustDialogAccepted": True}}},
            handle,
        )
    code, doc = preflight(binary, env, backslash)
    (result,) = doc["results"]
    assert (code, result["status"], result["pty_spawned"]) == (0, "accepted", True), doc
    assert result["trusted_key"] == backslash
    assert projects(home) == {slash: True, backslash: True}
    _, again = preflight(binary, env, backslash)
    assert (again["results"][0]["status"], again["results"][0]["trusted_key"]) == ("already_trusted", backslash)
    assert_nothing_left(sandbox)


@pytest.mark.parametrize(("version", "end"), [("2.1.119", "timeout"), ("2.1.197", "provider_exited")])
def test_older_claude_cannot_start_in_a_folder_named_with_a_backslash(sandbox: str, version: str, end: str) -> None:
    """2.1.197 exits at once ("Can't access working directory ... does not exist"),
    2.1.119 draws nothing; neither gets a key."""
    binary = require_cli("claude", version)
    _home, env = setup_home(sandbox)
    backslash = os.path.join(sandbox, "a\\b")
    os.makedirs(backslash)
    code, doc = preflight(binary, env, backslash, extra=("--timeout", "8"))
    (result,) = doc["results"]
    assert (code, result["status"], result["code"], result["keys"]) == (1, "soft_failed", end, []), doc


def _asks_for_trust(binary: str, ws: str, env: dict[str, str], args: tuple[str, ...] = ()) -> bool:
    """Start the real CLI in ``ws`` and watch (never a key) until it shows either
    the trust dialog (True) or its main screen, ready for input (False)."""
    trust_rule = next(rule for rule in CLAUDE_RULES.rules if rule.id == "claude.workspace_trust")
    session = PtyProcessSpawner().spawn(SpawnSpec(argv=(binary, *args), cwd=ws, env=env))
    try:
        for _ in range(1200):  # a bound on reads, not a timing assertion
            snapshot = session.read_snapshot(100)
            if match_rule(trust_rule, snapshot) is not None:
                return True
            if "shift+tab to cycle" in snapshot.text:
                return False
            assert session.exit_status() is None, snapshot.text
        raise AssertionError(f"neither the trust dialog nor the main screen:\n{snapshot.text}")
    finally:
        session.kill()


def test_ignore_persisted_trust_makes_claude_ask_again_and_the_preflight_says_so(sandbox: str) -> None:
    """The evidence for provider_ignores_persisted_trust: in a folder the real CLI
    itself trusted, a true CLAUDE_CODE_IGNORE_PERSISTED_TRUST (or the flag) brings
    the trust dialog back; "0" does not. A preflight in that environment starts
    nothing and reports the code instead of already_trusted."""
    binary = require_cli("claude", "2.1.330")
    home, env = setup_home(sandbox)
    ws = os.path.join(sandbox, "project")
    os.makedirs(ws)
    code, doc = preflight(binary, env, ws)
    assert (code, doc["results"][0]["status"]) == (0, "accepted"), doc
    assert projects(home) == {ws: True}
    quiet = {**env, "DISABLE_AUTOUPDATER": "1", "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC": "1"}
    assert not _asks_for_trust(binary, ws, quiet)
    assert _asks_for_trust(binary, ws, {**quiet, IGNORE_TRUST_ENV: "1"})
    assert _asks_for_trust(binary, ws, quiet, (IGNORE_TRUST_FLAG,))
    assert not _asks_for_trust(binary, ws, {**quiet, IGNORE_TRUST_ENV: "0"})
    assert projects(home) == {ws: True}  # the record is still there; it is ignored

    code, doc = preflight(binary, {**env, IGNORE_TRUST_ENV: "1"}, ws)
    (result,) = doc["results"]
    assert (code, result["status"], result["code"], result["pty_spawned"]) == (
        1,
        "soft_failed",
        "provider_ignores_persisted_trust",
        False,
    ), doc
    code, doc = preflight(binary, env, ws, extra=(f"--launch-arg=claude={IGNORE_TRUST_FLAG}",))
    assert (code, doc["results"][0]["code"]) == (1, "provider_ignores_persisted_trust"), doc
    code, doc = preflight(binary, {**env, IGNORE_TRUST_ENV: "0"}, ws)
    assert (code, doc["results"][0]["status"]) == (0, "already_trusted"), doc
    assert_nothing_left(sandbox)


def _observed_rules(binary: str, version: str, env: dict[str, str], cwd: str, out: str) -> set[str]:
    """The rules that recognise a screen while Claude runs in ``cwd`` for a few
    seconds, watched only (no key is sent)."""
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "workspace_trust",
            "record",
            "--observe",
            "--provider",
            "claude",
            "--cli-version",
            version,
            "--duration",
            "6",
            "--out",
            out,
            "--cwd",
            cwd,
            "--",
            binary,
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    return {frame.rule for frame in replay_engine(load_fixture(out), CLAUDE_RULES) if frame.rule}


TRUST_VALUES = {
    "2.1.330": ['"true"', '"false"', "0", '""'],
    "2.1.197": ['"true"', '""'],
    "2.1.119": ['"true"', '""'],
}


def test_odd_trust_values_count_exactly_as_claude_counts_them(claude: tuple[str, str], sandbox: str) -> None:
    """Claude tests hasTrustDialogAccepted as a JavaScript condition: "true" and
    even "false" skip the dialog, 0 and "" show it. The probe's verdict must be
    Claude's: trusted exactly when Claude goes past the trust dialog."""
    version, binary = claude
    for index, raw in enumerate(TRUST_VALUES[version]):
        home = os.path.join(sandbox, f"home{index}")
        os.makedirs(home)
        ws = os.path.join(sandbox, f"project{index}")
        os.makedirs(ws)
        seed = {"hasCompletedOnboarding": True, "theme": "dark", "projects": {ws: {"hasTrustDialogAccepted": None}}}
        text = json.dumps(seed).replace("null", raw)
        with open(os.path.join(home, ".claude.json"), "w", encoding="utf-8") as handle:
            handle.write(text)
        env = base_env(home, {"TMPDIR": sandbox})
        status = subprocess.run(
            [sys.executable, "-m", "workspace_trust", "status", ws, "--json"],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        probe_says_trusted = json.loads(status.stdout)["results"][0]["status"] == "trusted"
        rules = _observed_rules(binary, version, env, ws, os.path.join(sandbox, f"fixture{index}.json"))
        asked = bool(rules & {RULE[version]})
        went_past = bool(rules & {"claude.ready", "claude.auto_mode_notice"})
        assert asked != went_past, (raw, rules)  # one or the other was seen, never neither
        assert probe_says_trusted is went_past, (raw, rules)
        with open(os.path.join(home, ".claude.json"), encoding="utf-8") as handle:
            assert json.load(handle)["projects"][ws]["hasTrustDialogAccepted"] == json.loads(raw)
    assert_nothing_left(sandbox)


@pytest.mark.parametrize("version", ["2.0.77", "2.1.19"])
def test_claude_2_0_layout_is_accepted_then_already_trusted(sandbox: str, version: str) -> None:
    """The 2.0 dialog, `Do you trust the files in this folder?` / `❯ 1. Yes, proceed`,
    on 2.0.77 (the one 2.0.x release whose --help offers every protection flag to an
    interactive session: --tools only works with --print before it) and on 2.1.19
    (the last release that draws it; 2.1.20 has `Accessing workspace:`)."""
    binary = require_cli("claude", version)
    home, env = setup_home(sandbox)
    ws = os.path.join(sandbox, "project")
    os.makedirs(ws)
    code, doc = preflight(binary, env, ws)
    (result,) = doc["results"]
    assert (code, result["status"], result["keys"]) == (0, "accepted", ["enter"]), doc
    assert result["dialogs"][0] == "claude.workspace_trust.proceed"
    assert result["trusted_key"] == ws and projects(home)[ws] is True
    assert_nothing_left(sandbox)
    code2, doc2 = preflight(binary, env, ws)
    (again,) = doc2["results"]
    assert (code2, again["status"], again["pty_spawned"], again["keys"]) == (0, "already_trusted", False, [])
    assert_nothing_left(sandbox)
