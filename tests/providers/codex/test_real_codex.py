"""Real Codex CLI (0.125.0, 0.169.0), installed pinned from npm by ``./dev clis``."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import threading
import time

import pytest

from tests import realcli
from tests.realcli import Doc, assert_nothing_left, require_cli
from workspace_trust.adapters.processes import list_processes, pids_with_path_prefix
from workspace_trust.adapters.pty_process import PtyProcessSpawner
from workspace_trust.classifier import RetryRule, classify_failure, retry_allowed
from workspace_trust.domain.codes import ExecutionStatus, Provider
from workspace_trust.engine.rules import match_rule
from workspace_trust.flags import FeatureFlags
from workspace_trust.ports import SpawnSpec
from workspace_trust.providers.codex.probe import read_trust_levels
from workspace_trust.providers.codex.rules import CODEX_RULES

pytestmark = [pytest.mark.slow]

VERSIONS = ["0.125.0", "0.169.0"]
TRUST_RULES = [r for r in CODEX_RULES.rules if r.id.startswith("codex.workspace_trust")]
#: Awkward folder names: spaces, dots, brackets, quotes, unicode, '=' and a backslash.
AWKWARD = ["my proj.v2 [x]", 'say "hi"', "ünïcødé ✓", "a=b", "back\\slash", "dots...", "it's"]


@pytest.fixture(params=VERSIONS)
def codex(request: pytest.FixtureRequest) -> tuple[str, str]:
    return request.param, require_cli("codex", request.param)


def setup(sandbox: str, *, auth: bool = True, update_offered: str | None = None) -> tuple[dict[str, str], str]:
    _, env = realcli.setup_home(sandbox, "codex", codex_auth=auth, codex_update_offered=update_offered)
    return env, os.path.join(env["CODEX_HOME"], "config.toml")


def pty_preflight(binary: str, env: dict[str, str], path: str) -> tuple[int, Doc]:
    return realcli.preflight("codex", binary, env, path, mode="pty", timeout=120)


def git_folder(sandbox: str, name: str) -> str:
    return realcli.git_init(os.path.join(sandbox, "ws", name))


def plan_override(env: dict[str, str], dirs: list[str]) -> str:
    _, doc = realcli.run_json(env, "plan", *dirs, "--provider", "codex", "--json", timeout=60)
    (value,) = doc["provider_fields"]["codex"]["config_overrides"]
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


@pytest.mark.realcli
def test_without_override_the_dialog_appears(codex: tuple[str, str], sandbox: str) -> None:
    """The control case: the tests below could fail."""
    _, binary = codex
    env, _ = setup(sandbox)
    seen, text = launch_sees_trust_dialog(binary, env, git_folder(sandbox, "plain"), None)
    assert seen, text


@pytest.mark.realcli
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


@pytest.mark.realcli
def test_pty_strategy_persists_trust(codex: tuple[str, str], sandbox: str) -> None:
    _, binary = codex
    env, config = setup(sandbox)
    path = git_folder(sandbox, "pty project")
    code, doc = pty_preflight(binary, env, path)
    (result,) = doc["results"]
    assert (code, result["status"], result["keys"]) == (0, "accepted", ["enter"]), realcli.brief(doc)
    assert read_trust_levels(config) == {path: "trusted"}
    codex_home = env["CODEX_HOME"]
    assert pids_with_path_prefix(os.path.realpath(codex_home)) == ()
    assert_nothing_left(sandbox)


@pytest.mark.realcli
def test_update_prompt_is_skipped_without_a_write_then_trust_is_accepted(codex: tuple[str, str], sandbox: str) -> None:
    """Codex offers an update (its update-check cache names a newer version):
    the preflight picks "Skip" by label (Down, Enter), never "Update now" (npm
    install -g) nor "Skip until next version" (a write to version.json), then
    accepts trust."""
    _, binary = codex
    env, config = setup(sandbox, update_offered="0.999.0")
    version_file = os.path.join(env["CODEX_HOME"], "version.json")
    with open(version_file, encoding="utf-8") as handle:
        before = handle.read()
    path = git_folder(sandbox, "offered an update")
    code, doc = pty_preflight(binary, env, path)
    (result,) = doc["results"]
    assert (code, result["status"], result["keys"]) == (0, "accepted", ["down", "enter", "enter"]), realcli.brief(doc)
    assert "codex.update_prompt" in result["dialogs"]
    assert read_trust_levels(config) == {path: "trusted"}
    with open(version_file, encoding="utf-8") as handle:
        assert handle.read() == before


def test_auth_picker_is_auth_required_with_no_keys(codex: tuple[str, str], sandbox: str) -> None:
    _, binary = codex
    env, _ = setup(sandbox, auth=False)
    path = git_folder(sandbox, "project")
    code, doc = pty_preflight(binary, env, path)
    (result,) = doc["results"]
    assert (code, result["status"], result["code"], result["keys"]) == (
        3,
        "blocked",
        "provider_auth_required",
        [],
    )


def test_args_mode_patches_without_a_process(sandbox: str) -> None:
    env, config = setup(sandbox)
    path = git_folder(sandbox, "args")
    code, doc = realcli.run_json(env, "preflight", path, "--provider", Provider.CODEX.value, "--json", timeout=60)
    (result,) = doc["results"]
    assert (code, result["status"], result["pty_spawned"]) == (0, "patched", False)
    assert read_trust_levels(config) == {}


@pytest.mark.realcli
def test_exec_trust_message_is_a_git_check_that_no_preflight_clears(codex: tuple[str, str], sandbox: str) -> None:
    """``codex exec`` says "Not inside a trusted directory" outside a git repository
    even when the folder is trusted both ways a preflight can arrange: persisted in
    config.toml and passed as the planned ``-c`` override. The classifier reports
    it as a trust failure that a retry after a preflight cannot clear."""
    _, binary = codex
    env, config = setup(sandbox)
    plain = realcli.folder(sandbox, "ws", "plain")
    with open(config, "a", encoding="utf-8") as handle:
        handle.write(f'\n[projects."{plain}"]\ntrust_level = "trusted"\n')
    assert read_trust_levels(config).get(plain) == "trusted"
    override = plan_override(env, [plain])
    proc = subprocess.run(
        [binary, "exec", "-c", override, "say hi"],
        cwd=plain,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    output = proc.stdout + proc.stderr
    assert proc.returncode == 1, output[-2000:]
    found = classify_failure(output, exit_code=proc.returncode)
    assert found is not None, output[-2000:]
    assert (found.provider, found.pattern_id) == (Provider.CODEX, "codex_not_inside_trusted_directory")
    assert found.preflight_fixes is False
    decision = retry_allowed(found, attempt=1, flags=FeatureFlags(retry=True), preflight_status=ExecutionStatus.OK)
    assert decision.rule is RetryRule.PREFLIGHT_CANNOT_FIX
    # The remedy works: in a git repository exec gets past the check and prints
    # its session banner (then it waits for the network; it is stopped there).
    repo = git_folder(sandbox, "repo")
    proc2 = subprocess.Popen(
        [binary, "exec", "say hi"],
        cwd=repo,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    seen: list[str] = []
    # Ends the read below if the banner never comes.
    watchdog = threading.Timer(60, os.killpg, (proc2.pid, signal.SIGKILL))
    watchdog.start()
    try:
        assert proc2.stdout is not None
        for line in proc2.stdout:
            seen.append(line)
            if line.startswith("workdir:"):
                break
    finally:
        watchdog.cancel()
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc2.pid, signal.SIGKILL)
        proc2.wait(timeout=30)
    output = "".join(seen)
    assert f"workdir: {repo}" in output, output[-2000:]
    assert classify_failure(output) is None


@pytest.mark.realcli
def test_without_no_daemon_the_app_server_daemon_still_dies_with_the_session(sandbox: str) -> None:
    """0.169.0 started without --no-daemon leaves an app-server in a session of
    its own, out of reach of the group kill. The session's marker, which it
    inherits, still brings it down with the session."""
    binary = require_cli("codex", "0.169.0")
    env, _ = setup(sandbox)
    codex_home = os.path.realpath(env["CODEX_HOME"])
    session = PtyProcessSpawner().spawn(SpawnSpec(argv=(binary,), cwd=git_folder(sandbox, "daemon"), env=env))
    daemons: set[int] = set()
    try:
        deadline = time.monotonic() + 20
        while not daemons and time.monotonic() < deadline:
            session.read_snapshot(100)
            mine = set(pids_with_path_prefix(codex_home))
            daemons = {p.pid for p in list_processes() if p.pid in mine and p.sid != session.pid}
    finally:
        report = session.kill()
    assert daemons, "the premise: without --no-daemon, 0.169.0 starts a daemon in its own session"
    assert report.survivors == ()
    assert pids_with_path_prefix(codex_home) == ()


@pytest.mark.realcli
def test_the_quit_layout_of_0_166_is_accepted(sandbox: str) -> None:
    """0.156.0 to 0.166.0 (bisected): `Trust this folder?` with `2. Quit` as the
    second option; 0.166.0 is pinned as that family's newest release."""
    binary = require_cli("codex", "0.166.0")
    env, config = setup(sandbox)
    path = git_folder(sandbox, "quit layout")
    code, doc = pty_preflight(binary, env, path)
    (result,) = doc["results"]
    assert (code, result["status"], result["keys"]) == (0, "accepted", ["enter"]), realcli.brief(doc)
    assert "codex.workspace_trust.v0169" in result["dialogs"]
    assert read_trust_levels(config) == {path: "trusted"}
    code2, doc2 = pty_preflight(binary, env, path)
    assert (code2, doc2["results"][0]["status"], doc2["results"][0]["pty_spawned"]) == (0, "already_trusted", False)
    assert pids_with_path_prefix(os.path.realpath(env["CODEX_HOME"])) == ()
    assert_nothing_left(sandbox)


@pytest.mark.realcli
def test_a_hosts_own_trust_of_a_shared_folder_is_not_passed_on(sandbox: str) -> None:
    """The host's own ``projects=`` override trusts a folder every user can
    write to; the value the plan returns keeps the host's other entries and
    drops that one, so real Codex still asks there (and not in the project)."""
    binary = require_cli("codex", "0.169.0")
    env, _ = setup(sandbox)
    shared = git_folder(sandbox, "shared")
    os.chmod(shared, 0o1777)
    project = git_folder(sandbox, "project")
    kept = git_folder(sandbox, "kept")
    host = "projects={" + ", ".join(f'"{f}"={{trust_level="trusted"}}' for f in (shared, kept)) + "}"
    _, doc = realcli.run_json(
        env, "plan", project, "--provider", "codex", "--existing-codex-override", host, "--json", timeout=60
    )
    (value,) = doc["provider_fields"]["codex"]["config_overrides"]
    assert "workspace_trust_not_persistable_world_writable" in {d["code"] for d in doc["diagnostics"]}
    for folder, asks in ((project, False), (kept, False), (shared, True)):
        seen, text = launch_sees_trust_dialog(binary, env, folder, value)
        assert seen is asks, f"{folder}: {text}"


# -- folders outside git (providers/codex/gating.py) ------------------------------------

#: Every pinned version, and the two releases at the edge of the gating
#: change (floor-clis.txt), with the data's verdict checked on each.
ALL_PINNED = ["0.125.0", "0.158.0", "0.162.0", "0.166.0", "0.169.0"]


def _asks_within(argv: list[str], cwd: str, env: dict[str, str], *, reads: int) -> bool:
    """Whether Codex shows its trust dialog within ``reads`` screen reads
    (of up to 100 ms each). Its prompt is no sign that no dialog follows:
    0.166.0 draws "Ask Codex to do anything" first and, where it gates the
    folder, the dialog over it about a second later; so every read is
    watched, and no early "past it" ends the watch."""
    session = PtyProcessSpawner().spawn(SpawnSpec(argv=tuple(argv), cwd=cwd, env=env))
    try:
        for _ in range(reads):
            snapshot = session.read_snapshot(100)
            if any(match_rule(rule, snapshot) for rule in TRUST_RULES):
                return True
            assert session.exit_status() is None, snapshot.text
        assert "Ask Codex to do anything" in snapshot.text, snapshot.text
        return False
    finally:
        session.kill()


def _layout(sandbox: str, name: str) -> str:
    """One folder of the matrix, with no trust entry for it anywhere."""
    base = os.path.join(sandbox, "ws", name)
    if name == "plain":
        return realcli.folder(base)
    if name == "plain-with-dot-codex":
        os.makedirs(os.path.join(base, ".codex"))
        return base
    if name == "git-root":
        return git_folder(sandbox, name)
    if name == "git-subfolder":
        realcli.git_init(base)
        return realcli.folder(base, "sub")
    raise AssertionError(name)


@pytest.mark.realcli
@pytest.mark.parametrize("version", ALL_PINNED)
@pytest.mark.parametrize("layout", ["plain", "plain-with-dot-codex", "git-root", "git-subfolder"])
def test_the_gating_data_says_where_the_real_cli_asks(sandbox: str, version: str, layout: str) -> None:
    """The data's verdict (gated or not) equals whether the real Codex shows
    its trust dialog there, and status answers accordingly."""
    from workspace_trust.adapters.filesystem import LocalFileSystemFacts
    from workspace_trust.domain.codes import TrustState
    from workspace_trust.domain.paths import build_workspace
    from workspace_trust.domain.results import ProbeResult
    from workspace_trust.providers.codex.gating import gates_folder
    from workspace_trust.providers.codex.strategy import has_project_config

    binary = require_cli("codex", version)
    env, _ = setup(sandbox)
    path = _layout(sandbox, layout)
    facts = LocalFileSystemFacts()
    workspace = build_workspace(path, facts.gather(path, env=env), facts.host)
    expected = gates_folder(
        version, workspace, has_project_config=has_project_config(workspace), probe=ProbeResult(TrustState.UNTRUSTED)
    )
    help_text = subprocess.run([binary, "--help"], env=env, capture_output=True, text=True, check=False).stdout
    argv = [binary, *(["--no-daemon"] if "--no-daemon" in help_text else [])]
    asked = _asks_within(argv, path, env, reads=80)
    assert asked is expected, f"Codex {version} in {layout}: asked={asked}, data says gated={expected}"
    answer = realcli.status({**env, "WORKSPACE_TRUST_CODEX_BIN": binary}, path, name="codex")
    assert answer == ("untrusted" if expected else "not_required")
    assert_nothing_left(sandbox)


@pytest.mark.parametrize("version", ["0.166.0", "0.169.0"])
def test_a_pty_preflight_outside_git_is_not_required_at_once(sandbox: str, version: str) -> None:
    """Where this Codex shows no dialog, the PTY preflight says so and starts
    nothing (it used to wait for a dialog and end trust_not_persisted)."""
    binary = require_cli("codex", version)
    env, config = setup(sandbox)
    path = realcli.folder(sandbox, "ws", "plain folder")
    code, doc = pty_preflight(binary, env, path)
    (result,) = doc["results"]
    assert (code, result["status"], result["code"], result["pty_spawned"], result["cli_version"]) == (
        0,
        "not_required",
        "folder_not_gated_by_cli",
        False,
        version,
    ), realcli.brief(doc)
    assert not os.path.exists(config) or read_trust_levels(config) == {}
    assert_nothing_left(sandbox)


@pytest.mark.realcli
def test_a_pty_preflight_never_installs_or_starts_the_packaged_daemon(sandbox: str) -> None:
    """0.169.0 started bare installs an app-server daemon under
    $CODEX_HOME/packages and starts it in a session of its own; the preflight
    passes --no-daemon, so neither happens, and nothing is left running."""
    binary = require_cli("codex", "0.169.0")
    env, _ = setup(sandbox)
    path = git_folder(sandbox, "daemon check")
    code, doc = pty_preflight(binary, env, path)
    assert (code, doc["results"][0]["status"]) == (0, "accepted"), realcli.brief(doc)
    assert not os.path.exists(os.path.join(env["CODEX_HOME"], "packages"))
    assert not os.path.exists(os.path.join(env["CODEX_HOME"], "app-server-daemon"))
    assert pids_with_path_prefix(os.path.realpath(env["CODEX_HOME"])) == ()
    assert_nothing_left(sandbox)


_DAEMON_HOST = r"""
import json, os, sys, time
from workspace_trust.adapters.processes import list_processes, pids_with_path_prefix
from workspace_trust.adapters.pty_process import PtyProcessSpawner
from workspace_trust.ports import SpawnSpec
binary, cwd, env_json, codex_home = sys.argv[1:5]
session = PtyProcessSpawner().spawn(SpawnSpec(argv=(binary,), cwd=cwd, env=json.loads(env_json)))
for _ in range(400):  # a bound on reads
    session.read_snapshot(100)
    mine = set(pids_with_path_prefix(codex_home))
    daemons = sorted(p.pid for p in list_processes() if p.pid in mine and p.sid != session.pid)
    packaged = os.path.isdir(os.path.join(codex_home, "packages", "app-server-daemon", "releases"))
    if daemons and packaged:
        print(json.dumps(daemons), flush=True)
        break
time.sleep(300)
"""


@pytest.mark.realcli
def test_a_dead_preflight_still_takes_the_packaged_daemon_down(sandbox: str) -> None:
    """0.169.0 started bare (as a host's launch might be) installs its
    app-server daemon under $CODEX_HOME/packages and starts it in a session
    of its own. The process that started it is SIGKILLed (no kill of its own
    runs): the watchdog still ends the daemon, by the session's marker it
    inherited (or its cgroup)."""
    import json
    import sys

    from workspace_trust.adapters.processes import start_time

    binary = require_cli("codex", "0.169.0")
    env, _ = setup(sandbox)
    codex_home = os.path.realpath(env["CODEX_HOME"])
    cwd = git_folder(sandbox, "dead host")
    host = subprocess.Popen(
        [sys.executable, "-c", _DAEMON_HOST, binary, cwd, json.dumps(env), codex_home],
        stdout=subprocess.PIPE,
        text=True,
    )
    daemons: list[int] = []
    try:
        assert host.stdout is not None
        daemons = json.loads(host.stdout.readline() or "[]")
        assert daemons, "the premise: 0.169.0 without --no-daemon starts a daemon in its own session"
        assert os.path.isdir(os.path.join(codex_home, "packages", "app-server-daemon"))
        host.kill()
        host.wait(60)
        for _ in range(600):  # a bound on polls, not a timing assertion
            gone = all(start_time(pid) is None for pid in daemons) and pids_with_path_prefix(codex_home) == ()
            if gone and realcli.sandbox_cli_pids(sandbox) == []:  # the session's own CLI is ended too
                break
            time.sleep(0.1)
        assert [pid for pid in daemons if start_time(pid) is not None] == []
        assert pids_with_path_prefix(codex_home) == ()
    finally:
        if host.poll() is None:
            host.kill()
            host.wait()
        for pid in daemons:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
    assert_nothing_left(sandbox)
