"""Real Claude Code, installed pinned from npm by ``./dev clis``, in fresh HOMEs.

These run the README's main command (``python -m workspace_trust preflight``)
as a host would, and read the real ``.claude.json`` afterwards.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest

from tests import realcli
from tests.conftest import in_a_sandbox
from tests.realcli import Doc, assert_nothing_left, require_cli
from workspace_trust.adapters.processes import pids_with_path_prefix
from workspace_trust.domain.codes import Key
from workspace_trust.fixtures import load_fixture, replay_engine
from workspace_trust.installed_clis import base_env
from workspace_trust.providers.claude.launch import IGNORE_TRUST_ENV, IGNORE_TRUST_FLAG
from workspace_trust.providers.claude.rules import CLAUDE_RULES

pytestmark = [pytest.mark.slow]

VERSIONS = ["2.1.119", "2.1.197", "2.1.330", "2.1.337"]
#: 2.1.248+ preselects "No, exit": one Down is needed before Enter.
RULE = {
    "2.1.119": "claude.workspace_trust.numbered",
    "2.1.197": "claude.workspace_trust.numbered",
    "2.1.330": "claude.workspace_trust",
    "2.1.337": "claude.workspace_trust",
}
KEYS = {"2.1.119": ["enter"], "2.1.197": ["enter"], "2.1.330": ["down", "enter"], "2.1.337": ["down", "enter"]}
#: 2.1.337's dialog in a folder inside a git repository whose root is another
#: folder (a subfolder, a linked worktree): its Yes trusts the whole repository.
REPOSITORY_RULE = "claude.workspace_trust.repository"
#: The 2.0 dialog, `Do you trust the files in this folder?` / `❯ 1. Yes, proceed`,
#: on 2.0.77 (the one 2.0.x release whose --help offers every protection flag to
#: an interactive session: --tools only works with --print before it) and on
#: 2.1.19 (the last release that draws it; 2.1.20 has `Accessing workspace:`).
LAYOUT_2_0 = ["2.0.77", "2.1.19"]
#: Every version's trust dialog rule and the keys that accept it.
ACCEPT = {
    **{version: (RULE[version], tuple(KEYS[version])) for version in VERSIONS},
    **{version: ("claude.workspace_trust.proceed", ("enter",)) for version in LAYOUT_2_0},
}


def preflight(binary: str, env: dict[str, str], *dirs: str, extra: tuple[str, ...] = ()) -> tuple[int, Doc]:
    """The README's main command: ``preflight DIRS --json --claude-bin BINARY``."""
    return realcli.preflight("claude", binary, env, *dirs, select=False, extra=extra)


def projects(home: str) -> dict[str, bool]:
    with open(os.path.join(home, ".claude.json"), encoding="utf-8") as handle:
        doc = json.load(handle)
    return {k: v.get("hasTrustDialogAccepted") for k, v in doc.get("projects", {}).items()}


def trusted_projects(home: str) -> dict[str, bool]:
    """The projects Claude counts as trusted (its own entries for other
    folders, such as the one it ran in under a git root, are left out)."""
    return {key: True for key, value in projects(home).items() if value is True}


@pytest.fixture(params=VERSIONS)
def claude(request: pytest.FixtureRequest) -> tuple[str, str]:
    return request.param, require_cli("claude", request.param)


def setup_home(sandbox: str, seeded: bool = True) -> tuple[str, dict[str, str]]:
    return realcli.setup_home(sandbox, "claude", seed=seeded)


@pytest.mark.realcli
def test_empty_profile_is_setup_required_with_no_keys(claude: tuple[str, str], sandbox: str) -> None:
    """A .claude.json without hasCompletedOnboarding: Claude starts with its
    theme picker, which ends the session with no key. (With no .claude.json
    at all nothing is started: tests/test_real_state_variables.py.)"""
    _, binary = claude
    home, env = setup_home(sandbox, seeded=False)
    with open(os.path.join(home, ".claude.json"), "w", encoding="utf-8") as handle:
        handle.write("{}")
    ws = realcli.folder(sandbox, "project")
    code, doc = preflight(binary, env, ws)
    (result,) = doc["results"]
    assert (code, result["status"], result["code"]) == (3, "blocked", "provider_setup_required"), realcli.brief(doc)
    assert result["keys"] == []
    assert result["dialogs"] == ["claude.theme_onboarding"]
    assert_nothing_left(sandbox)


@pytest.mark.realcli
def test_ctrl_c_cancels_cleanly(claude: tuple[str, str], sandbox: str) -> None:
    _, binary = claude
    _home, env = setup_home(sandbox)
    ws = realcli.folder(sandbox, "project")
    proc = subprocess.Popen(
        [sys.executable, "-m", "workspace_trust", *realcli.preflight_argv("claude", binary, ws, select=False)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    # Wait until the session's Claude exists (not the `--help` the preflight
    # reads first), then interrupt the preflight.
    install = os.path.realpath(os.path.dirname(os.path.dirname(os.path.dirname(binary))))
    deadline = time.monotonic() + 60
    started: set[int] = set()
    # Only this test's Claude: another suite may run the same install meanwhile.
    while time.monotonic() < deadline and not started:
        started = {
            pid
            for pid in pids_with_path_prefix(install)
            if pid != proc.pid and in_a_sandbox(pid, [sandbox]) and _session_cli(pid, install)
        }
        time.sleep(0.01)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    # An interrupt before Claude started would prove nothing about the session's end.
    assert started, f"Claude's session never started within 60 s: {err[-3000:]}"
    assert out.count("\n") == 1, err[-3000:]
    doc = json.loads(out)
    (result,) = doc["results"]
    print("ctrl-c outcome:", proc.returncode, result["status"])
    # The interrupt can land after trust already persisted; both are clean ends.
    assert (proc.returncode, result["status"]) in ((130, "cancelled"), (0, "accepted")), realcli.brief(doc)
    assert result["pty_spawned"] is True, realcli.brief(doc)
    assert_nothing_left(sandbox)


def _session_cli(pid: int, install: str) -> bool:
    """The process runs Claude from ``install`` as the session does: its
    program or script lies there (not a child the preflight forked that has not
    yet started its own program, whose arguments name the binary too), and it
    is not asked for its ``--help`` or ``--version`` (gone already: no)."""
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as handle:
            argv = [part.decode("utf-8", "replace") for part in handle.read().split(b"\x00") if part]
    except OSError:
        return False
    if "--help" in argv or "--version" in argv:
        return False
    return any(os.path.realpath(arg).startswith(install + os.sep) for arg in argv[:2])


@pytest.mark.realcli
def test_record_names_the_real_cli_and_its_version(sandbox: str) -> None:
    """`workspace-trust record -- claude` infers provider and version from the
    real binary, drives the dialog by its rules, and stops once trust is persisted."""
    binary = require_cli("claude", "2.1.330")
    home, env = setup_home(sandbox)
    ws = realcli.folder(sandbox, "project")
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
    realcli.git_init(home)
    ws = realcli.folder(home, "proj")
    code, doc = preflight(binary, env, ws)
    (result,) = doc["results"]
    assert (code, result["status"], result["code"]) == (3, "blocked", "workspace_trust_not_persistable_home"), (
        realcli.brief(doc)
    )
    assert result["pty_spawned"] is False
    assert projects(home) == {}
    assert_nothing_left(sandbox)


@pytest.mark.realcli
def test_dot_dot_after_a_link_is_the_folder_the_system_means_for_real_claude(sandbox: str) -> None:
    """``ws/lnk/../b`` with ``lnk -> sub``: the system (and so Claude, started
    there) means the ``b`` beside ``sub``, not ``ws/b``. Given relative to the
    current folder, as a shell user types it. A spelling that reaches HOME this
    way is blocked before Claude starts, and status does not call it trusted."""
    binary = require_cli("claude", "2.1.330")
    home, env = setup_home(sandbox)
    ws = realcli.folder(sandbox, "ws")
    realcli.folder(sandbox, "sub")
    meant = realcli.folder(sandbox, "b")
    realcli.folder(ws, "b")
    realcli.folder(ws, "home")
    os.symlink(os.path.join(sandbox, "sub"), os.path.join(ws, "lnk"))
    argv = realcli.preflight_argv("claude", binary, "lnk/../b", select=False)
    proc = subprocess.run(
        [sys.executable, "-m", "workspace_trust", *argv],
        env=env,
        cwd=ws,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    doc = json.loads(proc.stdout)
    (result,) = doc["results"]
    assert (proc.returncode, result["status"], result["workspace"]) == (0, "accepted", meant), realcli.brief(doc)
    assert trusted_projects(home) == {meant: True}
    to_home = os.path.join(ws, "lnk", "..", "home")
    code, doc = preflight(binary, env, to_home)
    (result,) = doc["results"]
    assert (code, result["code"], result["workspace"], result["pty_spawned"]) == (
        3,
        "workspace_trust_not_persistable_home",
        home,
        False,
    ), realcli.brief(doc)
    assert trusted_projects(home) == {meant: True}
    assert realcli.status(env, to_home) == "unknown"
    assert_nothing_left(sandbox)


@pytest.mark.realcli
def test_a_world_writable_folder_is_refused_and_a_project_of_ones_own_in_one_is_not(sandbox: str) -> None:
    """Claude's trust covers the folders below a trusted one: a folder every
    user can write to (sticky or not, as /tmp) is refused before Claude starts,
    and so is a repository rooted there; a project folder of one's own inside a
    sticky one (as /tmp/proj) is trusted by the real CLI as usual."""
    binary = require_cli("claude", "2.1.330")
    home, env = setup_home(sandbox)
    shared = realcli.folder(sandbox, "shared")
    os.chmod(shared, 0o1777)
    own = realcli.folder(shared, "proj")
    code, doc = preflight(binary, env, shared)
    (result,) = doc["results"]
    assert (code, result["code"], result["pty_spawned"]) == (
        3,
        "workspace_trust_not_persistable_world_writable",
        False,
    ), realcli.brief(doc)
    assert projects(home) == {}
    code, doc = preflight(binary, env, own)
    (result,) = doc["results"]
    assert (code, result["status"]) == (0, "accepted"), realcli.brief(doc)
    assert trusted_projects(home) == {own: True}
    realcli.git_init(shared)
    os.chmod(shared, 0o1777)
    other = realcli.folder(shared, "other")
    code, doc = preflight(binary, env, other)
    (result,) = doc["results"]
    assert (code, result["code"], result["pty_spawned"]) == (
        3,
        "workspace_trust_not_persistable_world_writable",
        False,
    ), realcli.brief(doc)
    assert trusted_projects(home) == {own: True}
    assert_nothing_left(sandbox)


@pytest.mark.realcli
def test_a_state_file_holding_bytes_that_are_not_utf8_is_read_as_claude_reads_it(sandbox: str) -> None:
    """Claude 2.1.330 reads such bytes as U+FFFD, starts, shows its dialog and
    writes U+FFFD back. The preflight reads the file the same way: the folder
    is accepted, and a folder the file trusts is found trusted, not a
    corrupt state file."""
    binary = require_cli("claude", "2.1.330")
    home, env = setup_home(sandbox)
    trusted = realcli.folder(sandbox, "trusted")
    ws = realcli.folder(sandbox, "project")
    state = os.path.join(home, ".claude.json")
    with open(state, encoding="utf-8") as handle:
        doc = json.load(handle)
    doc["projects"] = {trusted: {"hasTrustDialogAccepted": True}}
    raw = json.dumps(doc, ensure_ascii=False).encode("utf-8").replace(b'"projects"', b'"note": "caf\xe9", "projects"')
    with open(state, "wb") as handle:
        handle.write(raw)
    code, doc = preflight(binary, env, trusted, ws)
    by_folder = {r["workspace"]: r for r in doc["results"]}
    assert (code, by_folder[trusted]["status"], by_folder[ws]["status"]) == (0, "already_trusted", "accepted"), (
        realcli.brief(doc)
    )
    assert projects(home) == {trusted: True, ws: True}
    with open(state, "rb") as handle:
        assert b'"caf\xef\xbf\xbd"' in handle.read()
    assert_nothing_left(sandbox)


@pytest.mark.realcli
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
    assert (code, result["status"], result["pty_spawned"]) == (0, "accepted", True), realcli.brief(doc)
    assert result["trusted_key"] == backslash
    assert projects(home) == {slash: True, backslash: True}
    _, again = preflight(binary, env, backslash)
    assert (again["results"][0]["status"], again["results"][0]["trusted_key"]) == ("already_trusted", backslash)
    assert_nothing_left(sandbox)


@pytest.mark.realcli
@pytest.mark.parametrize(("version", "end"), [("2.1.119", "timeout"), ("2.1.197", "provider_exited")])
def test_older_claude_cannot_start_in_a_folder_named_with_a_backslash(sandbox: str, version: str, end: str) -> None:
    """2.1.197 exits at once ("Can't access working directory ... does not exist"),
    2.1.119 draws nothing; neither gets a key."""
    binary = require_cli("claude", version)
    _home, env = setup_home(sandbox)
    backslash = realcli.folder(sandbox, "a\\b")
    code, doc = preflight(binary, env, backslash, extra=("--timeout", "8"))
    (result,) = doc["results"]
    assert (code, result["status"], result["code"], result["keys"]) == (1, "soft_failed", end, []), realcli.brief(doc)


def asks_for_trust(binary: str, ws: str, env: dict[str, str], args: tuple[str, ...] = ()) -> bool:
    """Start the real CLI in ``ws`` and watch (never a key) until it shows either
    the trust dialog (True) or its main screen, ready for input (False): on
    2.1.330 its footer says "shift+tab to cycle", on 2.1.119 and 2.1.197 "? for
    shortcuts" (the claude.ready rule)."""
    return realcli.shows_trust_dialog(
        (binary, *args),
        ws,
        env,
        rules=CLAUDE_RULES,
        trust_rules={rule for rule, _ in ACCEPT.values()} | {REPOSITORY_RULE},
        past_it=("shift+tab to cycle", "? for shortcuts"),
    )


@pytest.mark.realcli
def test_ignore_persisted_trust_makes_claude_ask_again_and_the_preflight_says_so(sandbox: str) -> None:
    """The evidence for provider_ignores_persisted_trust: in a folder the real CLI
    itself trusted, a true CLAUDE_CODE_IGNORE_PERSISTED_TRUST (or the flag) brings
    the trust dialog back; "0" does not. A preflight in that environment starts
    nothing and reports the code instead of already_trusted."""
    binary = require_cli("claude", "2.1.330")
    home, env = setup_home(sandbox)
    ws = realcli.folder(sandbox, "project")
    code, doc = preflight(binary, env, ws)
    assert (code, doc["results"][0]["status"]) == (0, "accepted"), realcli.brief(doc)
    assert projects(home) == {ws: True}
    quiet = {**env, "DISABLE_AUTOUPDATER": "1", "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC": "1"}
    assert not asks_for_trust(binary, ws, quiet)
    assert asks_for_trust(binary, ws, {**quiet, IGNORE_TRUST_ENV: "1"})
    assert asks_for_trust(binary, ws, quiet, (IGNORE_TRUST_FLAG,))
    assert not asks_for_trust(binary, ws, {**quiet, IGNORE_TRUST_ENV: "0"})
    assert projects(home) == {ws: True}  # the record is still there; it is ignored

    code, doc = preflight(binary, {**env, IGNORE_TRUST_ENV: "1"}, ws)
    (result,) = doc["results"]
    assert (code, result["status"], result["code"], result["pty_spawned"]) == (
        1,
        "soft_failed",
        "provider_ignores_persisted_trust",
        False,
    ), realcli.brief(doc)
    code, doc = preflight(binary, env, ws, extra=(f"--launch-arg=claude={IGNORE_TRUST_FLAG}",))
    assert (code, doc["results"][0]["code"]) == (1, "provider_ignores_persisted_trust"), realcli.brief(doc)
    code, doc = preflight(binary, {**env, IGNORE_TRUST_ENV: "0"}, ws)
    assert (code, doc["results"][0]["status"]) == (0, "already_trusted"), realcli.brief(doc)
    assert_nothing_left(sandbox)


def _observed_rules(binary: str, version: str, env: dict[str, str], cwd: str, out: str) -> set[str]:
    """The rules that recognise a screen while Claude runs in ``cwd`` for a few
    seconds, watched only (no key is sent)."""
    realcli.record_observe("claude", version, binary, env, cwd=cwd, out=out, seconds=6)
    return {frame.rule for frame in replay_engine(load_fixture(out), CLAUDE_RULES) if frame.rule}


TRUST_VALUES = {
    "2.1.337": ['"true"', '"false"', "0", '""'],
    "2.1.330": ['"true"', '"false"', "0", '""'],
    "2.1.197": ['"true"', '""'],
    "2.1.119": ['"true"', '""'],
}


@pytest.mark.realcli
def test_odd_trust_values_count_exactly_as_claude_counts_them(claude: tuple[str, str], sandbox: str) -> None:
    """Claude tests hasTrustDialogAccepted as a JavaScript condition: "true" and
    even "false" skip the dialog, 0 and "" show it. The probe's verdict must be
    Claude's: trusted exactly when Claude goes past the trust dialog."""
    version, binary = claude
    for index, raw in enumerate(TRUST_VALUES[version]):
        home = realcli.folder(sandbox, f"home{index}")
        ws = realcli.folder(sandbox, f"project{index}")
        seed = {"hasCompletedOnboarding": True, "theme": "dark", "projects": {ws: {"hasTrustDialogAccepted": None}}}
        text = json.dumps(seed).replace("null", raw)
        with open(os.path.join(home, ".claude.json"), "w", encoding="utf-8") as handle:
            handle.write(text)
        env = base_env(home, {"TMPDIR": sandbox, **realcli.NO_SELF_UPDATE})
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


@pytest.mark.realcli
@pytest.mark.parametrize("swap", ["link-above-home", "git-init-home"])
def test_a_folder_swapped_while_claude_starts_gets_no_enter(sandbox: str, swap: str) -> None:
    """Real 2.1.330 takes over a second to draw its trust dialog. The folder
    is changed as soon as the preflight says Claude was spawned: swapped for a
    link to the folder that holds HOME, or HOME made a git repository (Claude
    then keys trust by HOME). Right before Enter the folder no longer resolves
    as guarded: no Enter, no trust entry, ``workspace_changed``."""
    binary = require_cli("claude", "2.1.330")
    home, env = setup_home(sandbox)
    ws = realcli.folder(home, "proj")
    argv = [sys.executable, "-m", "workspace_trust", *realcli.preflight_argv("claude", binary, ws)]
    proc = subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stderr is not None
        seen = ""
        while "spawned" not in seen:
            line = proc.stderr.readline()
            assert line, f"the preflight ended before Claude was spawned: {seen[-2000:]}"
            seen += line
        if swap == "link-above-home":
            os.rename(ws, ws + ".old")
            os.symlink(os.path.dirname(home), ws)
        else:
            realcli.git_init(home)
        out, err = proc.communicate(timeout=180)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    (result,) = json.loads(out)["results"]
    assert (result["status"], result["code"]) == ("blocked", "workspace_changed"), (realcli.brief(json.loads(out)), err)
    # The cursor was brought onto the trust option; Enter was never sent.
    assert result["keys"] and "enter" not in result["keys"]
    assert projects(home) == {}


# -- 2.1.337: plain folder, git root, git subfolder, linked worktree ------------------


def _scope_diagnostics(doc: Doc) -> list[str]:
    return [d["message"] for d in doc["diagnostics"] if d["code"] == "trust_scope_repository"]


@pytest.mark.realcli
@pytest.mark.parametrize("layout", ["plain", "git-root"])
def test_337_a_plain_folder_and_a_git_root_are_trusted_as_themselves(layout: str, sandbox: str) -> None:
    """2.1.337 draws the plain dialog there: the folder's own key, no repository scope."""
    binary = require_cli("claude", "2.1.337")
    home, env = setup_home(sandbox)
    ws = realcli.folder(sandbox, "project")
    if layout == "git-root":
        realcli.git_init(ws)
    code, doc = preflight(binary, env, ws)
    (result,) = doc["results"]
    assert (code, result["status"], result["trusted_key"]) == (0, "accepted", ws), realcli.brief(doc)
    assert (result["dialogs"], result["keys"]) == (["claude.workspace_trust"], ["down", "enter"]), realcli.brief(doc)
    assert result["cli_version"] == "2.1.337"
    assert trusted_projects(home) == {ws: True}
    assert _scope_diagnostics(doc) == []
    assert_nothing_left(sandbox)


@pytest.mark.realcli
def test_337_a_git_subfolder_trusts_the_repository_root_and_says_so(sandbox: str) -> None:
    """2.1.337 in REPO/sub/deeper shows the repository variant naming REPO; the
    preflight checks that root and accepts it by its full label: trusted_key is
    REPO and a diagnostic says the whole repository was trusted."""
    binary = require_cli("claude", "2.1.337")
    home, env = setup_home(sandbox)
    repo = realcli.folder(sandbox, "repo")
    realcli.git_init(repo)
    deeper = realcli.folder(repo, "sub", "deeper")
    code, doc = preflight(binary, env, deeper)
    (result,) = doc["results"]
    assert (code, result["status"], result["trusted_key"]) == (0, "accepted", repo), realcli.brief(doc)
    assert (result["dialogs"], result["keys"]) == ([REPOSITORY_RULE], ["down", "enter"]), realcli.brief(doc)
    assert trusted_projects(home) == {repo: True}
    (message,) = _scope_diagnostics(doc)
    assert repo in message
    assert_nothing_left(sandbox)


@pytest.mark.realcli
def test_337_a_linked_worktree_trusts_its_main_checkout(sandbox: str) -> None:
    """2.1.337 in a linked worktree of an untrusted repository names the main
    checkout as the repository; the preflight approves it (the guard checked
    it before the start) and Claude writes the main checkout's key, through
    which the worktree is trusted, as Claude reads it."""
    binary = require_cli("claude", "2.1.337")
    home, env = setup_home(sandbox)
    repo = realcli.folder(sandbox, "repo")
    realcli.git_init(repo)
    subprocess.run(
        [
            "git",
            "-C",
            repo,
            "-c",
            "user.email=t@example.invalid",
            "-c",
            "user.name=t",
            "commit",
            "-q",
            "--allow-empty",
            "-m",
            "start",
        ],
        check=True,
        capture_output=True,
    )
    worktree = os.path.join(sandbox, "worktree")
    subprocess.run(["git", "-C", repo, "worktree", "add", "-q", worktree], check=True, capture_output=True)
    code, doc = preflight(binary, env, worktree)
    (result,) = doc["results"]
    assert (code, result["status"], result["trusted_key"]) == (0, "accepted", repo), realcli.brief(doc)
    assert result["dialogs"] == [REPOSITORY_RULE], realcli.brief(doc)
    assert trusted_projects(home) == {repo: True}
    assert _scope_diagnostics(doc)
    quiet = {**env, "DISABLE_AUTOUPDATER": "1", "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC": "1"}
    assert not asks_for_trust(binary, worktree, quiet)
    assert_nothing_left(sandbox)


@pytest.mark.realcli
def test_330_a_git_subfolder_trusted_by_its_root_says_the_whole_repository_was_trusted(sandbox: str) -> None:
    """2.1.330's plain dialog does not say so, but its Yes in REPO/sub writes
    REPO's key: the result says the whole repository was trusted all the same."""
    binary = require_cli("claude", "2.1.330")
    home, env = setup_home(sandbox)
    repo = realcli.folder(sandbox, "repo")
    realcli.git_init(repo)
    sub = realcli.folder(repo, "sub")
    code, doc = preflight(binary, env, sub)
    (result,) = doc["results"]
    assert (code, result["status"], result["trusted_key"]) == (0, "accepted", repo), realcli.brief(doc)
    assert result["dialogs"] == ["claude.workspace_trust"], realcli.brief(doc)
    assert trusted_projects(home) == {repo: True}
    (message,) = _scope_diagnostics(doc)
    assert repo in message
    assert_nothing_left(sandbox)
