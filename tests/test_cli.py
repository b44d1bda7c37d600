"""The command line contract: one JSON object on stdout, logs on stderr, exit codes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading

import pytest

from tests import realcli
from workspace_trust import ExitCode
from workspace_trust.cli import main
from workspace_trust.domain.codes import Code, Key, WorkspaceStatus
from workspace_trust.fixtures import load_fixture

FAKE = os.path.join(os.path.dirname(__file__), "fake_tui.py")
RESULT_KEYS = {
    "input",
    "duplicate_of",
    "provider",
    "workspace_id",
    "workspace",
    "real_path",
    "status",
    "code",
    "trusted_key",
    "pty_spawned",
    "dialogs",
    "keys",
    "opened_by",
    "elapsed_ms",
    "lock_wait_ms",
    "cli_version",
    "retry",
}
#: A status row: a result's identity and trust facts, how trust was proved, no session facts.
STATUS_KEYS = (RESULT_KEYS - {"dialogs", "keys", "elapsed_ms", "lock_wait_ms", "cli_version", "retry"}) | {"trusted_by"}


def cli(args: list[str], home: str, **env: str) -> subprocess.CompletedProcess[str]:
    full_env = {"HOME": home, "PATH": os.environ["PATH"], "TERM": "xterm-256color", **env}
    return subprocess.run(
        [sys.executable, "-m", "workspace_trust", *args],
        env=full_env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def seeded(sandbox: str, fake_settings: str = "") -> tuple[str, str]:
    home = os.path.join(sandbox, "home")
    ws = os.path.join(sandbox, "project")
    os.makedirs(home)
    os.makedirs(ws)
    with open(os.path.join(home, ".claude.json"), "w", encoding="utf-8") as handle:
        json.dump({"hasCompletedOnboarding": True}, handle)
    with open(os.path.join(home, "fake_tui.env"), "w", encoding="utf-8") as handle:
        handle.write(fake_settings)
    return home, ws


def test_exit_codes_are_documented_values() -> None:
    assert {e.name: e.value for e in ExitCode} == {
        "OK": 0,
        "SOFT_FAILED": 1,
        "USAGE": 2,
        "BLOCKED": 3,
        "CANCELLED": 130,
    }


def test_help_and_version(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--version"]) == 0
    assert "workspace-trust" in capsys.readouterr().out
    assert main(["--help"]) == 0
    assert "preflight" in capsys.readouterr().out


@pytest.mark.parametrize(
    "args",
    [
        [],
        ["preflight"],
        ["bogus"],
        ["preflight", "/x", "--provider", "nope"],
        ["preflight", "/x", "--timeout", "-1"],
    ],
)
def test_usage_errors_exit_2(args: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(args) == ExitCode.USAGE
    assert capsys.readouterr().out == ""


@pytest.mark.parametrize("as_json", [True, False])
def test_preflight_accepted_json_contract_and_exit_code(sandbox: str, as_json: bool) -> None:
    home, ws = seeded(sandbox)
    args = ["preflight", ws, "--claude-bin", FAKE] + (["--json"] if as_json else [])
    proc = cli(args, home)
    assert proc.returncode == ExitCode.OK, proc.stderr
    if as_json:
        doc = json.loads(proc.stdout)
        assert proc.stdout.count("\n") == 1
        assert doc["version"] == "1" and doc["command"] == "preflight" and doc["status"] == "ok"
        (result,) = doc["results"]
        assert set(result) == RESULT_KEYS
        assert result["status"] == "accepted" and result["keys"] == ["down", "enter"]
        assert doc["diagnostics"] == []
    else:
        assert "accepted" in proc.stdout
    assert "workspace-trust:" in proc.stderr  # progress goes to stderr


@pytest.mark.parametrize("as_json", [True, False])
def test_blocked_exit_code_is_the_same_with_and_without_json(sandbox: str, as_json: bool) -> None:
    home, _ = seeded(sandbox)
    proc = cli(["preflight", home, "--claude-bin", FAKE] + (["--json"] if as_json else []), home)
    assert proc.returncode == ExitCode.BLOCKED
    if as_json:
        doc = json.loads(proc.stdout)
        assert doc["results"][0]["code"] == "workspace_trust_not_persistable_home"
        assert doc["diagnostics"][0]["code"] == "workspace_trust_not_persistable_home"


def test_soft_failure_exit_1_and_debug_tail(sandbox: str) -> None:
    secret = "sk-ant-api03-AbCdEfGhIjKlMnOpQrStUvWxYz0123456789-ABCDEFG"
    home, ws = seeded(sandbox, f"FAKE_MODE=unknown\nFAKE_SECRET=key {secret} for ana@example.com\n")
    proc = cli(["preflight", ws, "--claude-bin", FAKE, "--json", "--timeout", "2", "--debug"], home)
    assert proc.returncode == ExitCode.SOFT_FAILED
    result = json.loads(proc.stdout)["results"][0]
    assert result["code"] == "unknown_screen" and result["keys"] == []
    assert "Something entirely new" in result["raw_tail"]
    assert secret not in result["raw_tail"] and "sk-ant" not in result["raw_tail"]
    assert "ana@example.com" not in result["raw_tail"]
    assert "[REDACTED" in result["raw_tail"]
    quiet = cli(["preflight", ws, "--claude-bin", FAKE, "--json", "--timeout", "2"], home)
    assert "raw_tail" not in json.loads(quiet.stdout)["results"][0]


def test_status_never_starts_a_process(sandbox: str) -> None:
    log = os.path.join(sandbox, "started.log")
    home, ws = seeded(sandbox, f"FAKE_STARTLOG={log}\n")
    proc = cli(["status", ws, "--json"], home, WORKSPACE_TRUST_CLAUDE_BIN=FAKE)
    doc = json.loads(proc.stdout)
    assert proc.returncode == 1
    assert doc["command"] == "status" and doc["results"][0]["status"] == "untrusted"
    assert doc["results"][0]["pty_spawned"] is False
    assert not os.path.exists(log)
    with open(os.path.join(home, ".claude.json"), encoding="utf-8") as handle:
        assert "projects" not in json.load(handle)
    prepared = cli(["preflight", ws, "--claude-bin", FAKE], home)
    assert prepared.returncode == ExitCode.OK, prepared.stderr[-2000:]
    assert os.path.exists(log)  # the same set-up does start the fake when asked to
    trusted = cli(["status", ws, "--json"], home)
    assert trusted.returncode == 0
    assert json.loads(trusted.stdout)["results"][0]["trusted_key"] == ws


def test_sigint_cancels_with_130_and_leaves_nothing(sandbox: str) -> None:
    home, ws = seeded(sandbox, "FAKE_MODE=silent\n")
    env = {"HOME": home, "PATH": os.environ["PATH"], "TERM": "xterm-256color"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "workspace_trust", "preflight", ws, "--json", "--claude-bin", FAKE],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    # Interrupt once the CLI reports the spawn (its progress goes to stderr),
    # so the signal lands while a provider process is running.
    assert proc.stderr is not None
    watchdog = threading.Timer(60, proc.kill)
    watchdog.start()
    try:
        for line in proc.stderr:
            if line.rstrip().endswith(": spawned"):
                break
    finally:
        watchdog.cancel()
    proc.send_signal(2)
    out, _ = proc.communicate(timeout=30)
    assert proc.returncode == ExitCode.CANCELLED
    assert json.loads(out)["results"][0]["status"] == "cancelled"


def test_docs_name_every_code_and_status() -> None:
    with open(os.path.join(os.path.dirname(os.path.dirname(__file__)), "docs", "cli.md"), encoding="utf-8") as handle:
        doc = handle.read()
    assert [c.value for c in Code if f"`{c.value}`" not in doc] == []
    assert [s.value for s in WorkspaceStatus if f"`{s.value}`" not in doc] == []


@pytest.mark.parametrize("observe", [True, False])
def test_record_writes_a_fixture_that_replays_to_the_same_decisions(sandbox: str, observe: bool) -> None:
    home, ws = seeded(sandbox)
    out = os.path.join(sandbox, "fixture.json")
    args = ["record", "--provider", "claude", "--cli-version", "fake-1", "--scenario", "trust"]
    args += ["--out", out, "--cwd", ws, "--duration", "3"]
    args += ["--observe"] if observe else []
    proc = cli([*args, "--", sys.executable, FAKE], home)
    assert proc.returncode == ExitCode.OK, proc.stderr
    # The engine's decisions are printed alongside the recording.
    assert f"-> {out}" in proc.stdout and "claude.workspace_trust" in proc.stdout
    fixture = load_fixture(out)
    assert (fixture.provider, fixture.cli_version, fixture.scenario) == ("claude", "fake-1", "trust")
    keys = [e.key for e in fixture.events if e.key is not None]
    # Observing never sends a key; driving selects "Yes" by its label and confirms.
    assert keys == ([] if observe else [Key.DOWN, Key.ENTER])
    assert any(c.rule == "claude.workspace_trust" for c in fixture.checkpoints)
    with open(os.path.join(home, ".claude.json"), encoding="utf-8") as handle:
        trusted = json.load(handle).get("projects", {}).get(ws, {}).get("hasTrustDialogAccepted")
    assert trusted is (None if observe else True)
    replay = cli(["replay", out, "--json"], home)
    assert replay.returncode == ExitCode.OK, replay.stderr
    frames = json.loads(replay.stdout)["frames"]
    assert any(f["rule"] == "claude.workspace_trust" for f in frames)


def test_record_warns_when_a_screen_shows_a_secret(sandbox: str) -> None:
    """A fixture keeps the CLI's output unredacted: the recorder says when a
    screen showed something secret-looking (here a key the terminal wrapped)."""
    home, ws = seeded(sandbox)
    printed = os.path.join(sandbox, "printed.txt")
    with open(printed, "w", encoding="utf-8") as handle:
        handle.write("x" * 150 + " token ghp_4mQx7ZrT2bKcW9nVyL3dPfH8sJ6gA1eU0oXi\n")
    out = os.path.join(sandbox, "fixture.json")
    args = ["record", "--provider", "claude", "--cli-version", "fake-1", "--scenario", "secrets", "--observe"]
    args += ["--out", out, "--cwd", ws, "--duration", "2", "--", sys.executable, FAKE]
    proc = cli(args, home, FAKE_MODE="secrets", FAKE_SECRETS_FILE=printed)
    assert proc.returncode == ExitCode.OK, proc.stderr
    assert "screen(s) of the recording show text that looks secret" in proc.stderr
    assert "ghp_4mQx" not in proc.stderr + proc.stdout
    # The ordinary recording above gets no such warning.
    proc = cli([*args[:-3], "--out", out + ".2.json", "--", sys.executable, FAKE], home, FAKE_MODE="unknown-dialog")
    assert proc.returncode == ExitCode.OK, proc.stderr
    assert "looks secret" not in proc.stderr


def test_record_infers_provider_version_and_scenario_from_the_command(sandbox: str) -> None:
    home, ws = seeded(sandbox)
    bin_dir = os.path.join(sandbox, "bin")
    os.makedirs(bin_dir)
    os.symlink(FAKE, os.path.join(bin_dir, "claude"))
    out = os.path.join(sandbox, "fixture.json")
    proc = cli(
        ["record", "--out", out, "--cwd", ws, "--duration", "3", "--", "claude"],
        home,
        PATH=bin_dir + os.pathsep + os.environ["PATH"],
        FAKE_VERSION="9.9.9",
    )
    assert proc.returncode == ExitCode.OK, proc.stderr
    fixture = load_fixture(out)
    assert (fixture.provider, fixture.cli_version, fixture.scenario) == ("claude", "9.9.9", "startup")
    # Success came from the state file: the recording ends once trust is persisted.
    assert [e.key for e in fixture.events if e.key is not None] == [Key.DOWN, Key.ENTER]


def test_record_starts_the_command_in_the_folder_the_system_means(sandbox: str) -> None:
    """``--cwd`` is read as a DIR is: ``~`` is HOME, and ``lnk/../project``
    is the ``project`` beside the link's target, not the one beside the link."""
    home, ws = seeded(sandbox)
    os.makedirs(os.path.join(sandbox, "elsewhere", "project"))
    os.makedirs(os.path.join(sandbox, "sub"))
    os.symlink(os.path.join(sandbox, "sub"), os.path.join(sandbox, "elsewhere", "lnk"))
    out = os.path.join(sandbox, "fixture.json")
    cwd = os.path.join(sandbox, "elsewhere", "lnk", "..", "project")
    args = ["record", "--provider", "claude", "--cli-version", "fake-1", "--out", out, "--duration", "3"]
    proc = cli([*args, "--cwd", cwd, "--", sys.executable, FAKE], home)
    assert proc.returncode == ExitCode.OK, proc.stderr
    with open(os.path.join(home, ".claude.json"), encoding="utf-8") as handle:
        assert set(json.load(handle).get("projects", {})) == {ws}
    os.makedirs(os.path.join(home, "under-home"))
    tilde = cli([*args, "--cwd", "~/under-home", "--", sys.executable, FAKE], home)
    assert tilde.returncode == ExitCode.OK, tilde.stderr
    with open(os.path.join(home, ".claude.json"), encoding="utf-8") as handle:
        assert set(json.load(handle).get("projects", {})) == {ws, os.path.join(home, "under-home")}


@pytest.mark.parametrize(
    ("where", "code"),
    [
        ("home", Code.NOT_PERSISTABLE_HOME),
        ("tilde", Code.NOT_PERSISTABLE_HOME),
        ("link to home", Code.NOT_PERSISTABLE_HOME),
        ("above home", Code.NOT_PERSISTABLE_HOME_ANCESTOR),
        ("root", Code.NOT_PERSISTABLE_ROOT),
        ("world-writable", Code.NOT_PERSISTABLE_WORLD_WRITABLE),
        ("missing", Code.WORKSPACE_MISSING),
    ],
)
def test_record_refuses_a_folder_the_preflight_blocks_and_starts_nothing(sandbox: str, where: str, code: Code) -> None:
    """``record`` drives a CLI to accept trust: the folder guard of a preflight
    applies, resolved as the planner resolves it, before anything is started
    (``COMMAND --version`` included): exit 3, one line naming the code."""
    home, _ = seeded(sandbox)
    os.symlink(home, os.path.join(sandbox, "to-home"))
    open_folder = os.path.join(sandbox, "open")
    os.makedirs(open_folder)
    os.chmod(open_folder, 0o777)
    cwd = {
        "home": home,
        "tilde": "~",
        "link to home": os.path.join(sandbox, "to-home"),
        "above home": sandbox,
        "root": "/",
        "world-writable": open_folder,
        "missing": os.path.join(sandbox, "nowhere"),
    }[where]
    started = os.path.join(sandbox, "started")
    # Any start of the command (its --version too) leaves this file.
    command = [sys.executable, "-c", f"open({started!r}, 'w').close()"]
    out = os.path.join(sandbox, "fixture.json")
    proc = cli(["record", "--provider", "claude", "--out", out, "--cwd", cwd, "--", *command], home)
    assert proc.returncode == ExitCode.BLOCKED, proc.stderr
    lines = proc.stderr.splitlines()
    assert len(lines) == 1 and f"[{code.value}]" in lines[0] and "nothing started" in lines[0], proc.stderr
    assert proc.stdout == ""
    assert not os.path.exists(started) and not os.path.exists(out)
    with open(os.path.join(home, ".claude.json"), encoding="utf-8") as handle:
        assert "projects" not in json.load(handle)


@pytest.mark.parametrize("provider", ["claude", "codex"])
def test_record_refuses_a_subfolder_of_a_repository_rooted_above_home(sandbox: str, provider: str) -> None:
    """Claude and Codex trust the repository root when they accept a
    subfolder: as in a preflight, they are not started under a repository
    whose root contains the home folder."""
    home, _ = seeded(sandbox)
    subprocess.run(["git", "init", "-q", sandbox], check=True)
    inside = os.path.join(home, "proj")
    os.makedirs(inside)
    started = os.path.join(sandbox, "started")
    command = [sys.executable, "-c", f"open({started!r}, 'w').close()"]
    proc = cli(["record", "--provider", provider, "--cwd", inside, "--", *command], home)
    assert proc.returncode == ExitCode.BLOCKED, proc.stderr
    assert f"[{Code.NOT_PERSISTABLE_HOME_ANCESTOR.value}]" in proc.stderr and "repository" in proc.stderr
    assert not os.path.exists(started)


def test_record_through_a_link_to_a_project_runs_in_the_project(sandbox: str) -> None:
    """A link to an ordinary folder is guarded as the folder it resolves to,
    and the CLI is started there, as a preflight starts it."""
    home, ws = seeded(sandbox)
    link = os.path.join(sandbox, "to-project")
    os.symlink(ws, link)
    out = os.path.join(sandbox, "fixture.json")
    args = ["record", "--provider", "claude", "--cli-version", "fake-1", "--out", out, "--duration", "3"]
    proc = cli([*args, "--cwd", link, "--", sys.executable, FAKE], home)
    assert proc.returncode == ExitCode.OK, proc.stderr
    assert [e.key for e in load_fixture(out).events if e.key is not None] == [Key.DOWN, Key.ENTER]
    with open(os.path.join(home, ".claude.json"), encoding="utf-8") as handle:
        assert set(json.load(handle).get("projects", {})) == {ws}


def test_record_without_a_recognisable_provider_is_a_usage_error(sandbox: str) -> None:
    home, ws = seeded(sandbox)
    out = os.path.join(sandbox, "fixture.json")
    proc = cli(["record", "--out", out, "--cwd", ws, "--", sys.executable, FAKE], home)
    assert proc.returncode == ExitCode.USAGE
    assert "--provider" in proc.stderr
    assert not os.path.exists(out)


def test_relative_folders_are_resolved_here_and_an_empty_one_is_a_usage_error(sandbox: str) -> None:
    home, ws = seeded(sandbox)
    env = {"HOME": home, "PATH": os.environ["PATH"]}
    proc = subprocess.run(
        [sys.executable, "-m", "workspace_trust", "status", os.path.basename(ws), "--json"],
        cwd=os.path.dirname(ws),
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert json.loads(proc.stdout)["results"][0]["workspace"] == ws
    empty = cli(["plan", "", "--provider", "codex", "--json"], home)
    assert empty.returncode == ExitCode.USAGE and "empty" in empty.stderr
    assert json.loads(empty.stdout)["error"]["code"] == "usage"


def test_a_bad_binary_from_the_environment_is_reported_without_its_value(sandbox: str) -> None:
    home, ws = seeded(sandbox)
    secretish = os.path.join(sandbox, "opt-s3cr3t-value")
    proc = cli(["preflight", ws, "--json"], home, WORKSPACE_TRUST_CLAUDE_BIN=secretish)
    assert proc.returncode == ExitCode.SOFT_FAILED
    assert "s3cr3t" not in proc.stdout and "s3cr3t" not in proc.stderr
    (result,) = json.loads(proc.stdout)["results"]
    assert result["code"] == "provider_binary_missing"
    assert "$WORKSPACE_TRUST_CLAUDE_BIN" in json.dumps(json.loads(proc.stdout)["diagnostics"])


def test_status_rows_have_one_shape_and_blocked_folders_say_why(sandbox: str) -> None:
    home, ws = seeded(sandbox)
    proc = cli(["status", ws, home, "--json"], home)
    doc = json.loads(proc.stdout)
    assert proc.returncode == ExitCode.SOFT_FAILED
    assert [set(row) for row in doc["results"]] == [STATUS_KEYS, STATUS_KEYS]
    (blocked,) = [row for row in doc["results"] if row["workspace"] == home]
    assert (blocked["status"], blocked["code"]) == ("unknown", "workspace_trust_not_persistable_home")
    assert "workspace_trust_not_persistable_home" in [d["code"] for d in doc["diagnostics"]]


def test_attempt_is_recorded_in_the_manifest(sandbox: str) -> None:
    home, ws = seeded(sandbox)
    proc = cli(["preflight", ws, "--claude-bin", FAKE, "--json", "--attempt", "2"], home)
    assert json.loads(proc.stdout)["manifest"]["attempt"] == 2
    assert cli(["preflight", ws, "--attempt", "0"], home).returncode == ExitCode.USAGE


@pytest.mark.parametrize(
    "meta",
    ['{"format": 1}', '{"format": 1, "events": [{"t": "x"}]}', "[]", '{"format": 1, "events": [], "rows": null}'],
)
def test_a_malformed_fixture_is_a_usage_error_not_a_crash(sandbox: str, meta: str) -> None:
    base = os.path.join(sandbox, "bad")
    with open(base + ".json", "w", encoding="utf-8") as handle:
        handle.write(meta)
    open(base + ".input", "wb").close()
    proc = cli(["replay", base + ".json", "--json"], sandbox)
    assert proc.returncode == ExitCode.USAGE and "Traceback" not in proc.stderr
    assert "fixture" in proc.stderr


def test_plan_text_lists_each_blocked_folder_once(sandbox: str) -> None:
    home, _ = seeded(sandbox)
    proc = cli(["plan", home, "--provider", "codex,gemini"], home)
    assert proc.returncode == ExitCode.BLOCKED
    assert proc.stdout.count(f"blocked {home} ") == 1


@pytest.mark.parametrize(
    "option",
    [
        ("--deadline", "inf"),
        ("--deadline", "1e12"),
        ("--deadline", "nan"),
        ("--timeout", "1e308"),
        ("--timeout", "inf"),
        ("--timeout", "0"),
    ],
)
def test_an_unbounded_time_is_a_usage_error_not_a_traceback(sandbox: str, option: tuple[str, str]) -> None:
    """A timer cannot take an unbounded time: a usage error (2) and one JSON
    document, never a traceback, before anything is started."""
    home, ws = seeded(sandbox)
    proc = cli(["preflight", ws, *option, "--json"], home)
    assert proc.returncode == ExitCode.USAGE, proc.stderr
    assert json.loads(proc.stdout)["error"]["code"] == "usage"
    assert "Traceback" not in proc.stderr and "at most 604800" in proc.stderr


@pytest.mark.parametrize("command", ["status", "preflight"])
def test_with_standard_output_closed_nothing_is_done_and_nothing_crashes(sandbox: str, command: str) -> None:
    """No result could reach the caller: a usage error (2), one line on
    standard error, no traceback, and the preflight starts nothing."""
    home, ws = seeded(sandbox)
    before = os.listdir(home)
    proc = subprocess.run(
        ["sh", "-c", 'exec "$@" >&-', "sh", sys.executable, "-m", "workspace_trust", command, ws, "--json"],
        env={"HOME": home, "PATH": os.environ["PATH"]},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == ExitCode.USAGE
    assert proc.stderr == "workspace-trust: standard output is closed; nothing was done\n"
    assert os.listdir(home) == before


@pytest.mark.parametrize("home", [None, "", "relative-home"], ids=["unset", "empty", "relative"])
def test_without_an_absolute_home_the_cli_is_never_started(sandbox: str, home: str | None) -> None:
    """The CLI would write trust where the run cannot check it (the account's
    own home, or inside the folder it runs in): soft_failed with
    state_file_missing, and the binary is never run."""
    ws = os.path.join(sandbox, "project")
    os.makedirs(ws)
    binary, mark = realcli.marking_wrapper(sandbox, "/bin/true")
    env = {"PATH": os.environ["PATH"], "TERM": "xterm-256color"}
    if home is not None:
        env["HOME"] = home
    proc = subprocess.run(
        [sys.executable, "-m", "workspace_trust", "preflight", ws, "--claude-bin", binary, "--json"],
        env=env,
        cwd=sandbox,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    (row,) = json.loads(proc.stdout)["results"]
    assert (proc.returncode, row["status"], row["code"], row["pty_spawned"]) == (
        ExitCode.SOFT_FAILED,
        "soft_failed",
        "state_file_missing",
        False,
    ), proc.stdout
    assert not os.path.exists(mark)
    assert os.listdir(ws) == []


def test_a_usage_error_does_not_echo_a_secret_it_refused(sandbox: str) -> None:
    """argparse quotes the value it refused; a key pasted there is redacted in
    both the message and the JSON document."""
    home, ws = seeded(sandbox)
    secret = "sk-ant-api03-" + "Zq9vLm2Kx8Wt" * 4
    for args in (["preflight", ws, "--timeout", secret], ["status", ws, "--provider", secret]):
        proc = cli([*args, "--json"], home)
        assert proc.returncode == ExitCode.USAGE
        assert json.loads(proc.stdout)["error"]["code"] == "usage"
        assert secret.lower() not in (proc.stdout + proc.stderr).lower(), proc.stderr


def test_a_host_codex_override_that_cannot_be_merged_leaves_the_row_not_patched(sandbox: str) -> None:
    """The plan refuses to replace a host's projects= override it cannot parse,
    so nothing is patched: the row says so (soft_failed with the code), as
    the empty list of overrides does, instead of ``patched`` with no patch."""
    home, ws = seeded(sandbox)
    proc = cli(["preflight", ws, "--provider", "codex", "--existing-codex-override", "projects={", "--json"], home)
    doc = json.loads(proc.stdout)
    (row,) = doc["results"]
    assert (proc.returncode, row["status"], row["code"]) == (1, "soft_failed", "codex_existing_override_invalid")
    # The host's own value is given back as it came: nothing replaces it.
    assert doc["provider_fields"]["codex"]["config_overrides"] == ["projects={"] and doc["patches"] == []


def test_the_plan_names_a_host_codex_override_it_cannot_merge(sandbox: str) -> None:
    """``plan`` refuses as ``preflight`` does, and says so in its status and
    rows: a host launching with the (empty) patches would meet the dialog."""
    home, ws = seeded(sandbox)
    given = ["--existing-codex-override", 'model="o3"', "--existing-codex-override", "projects={"]
    proc = cli(["plan", ws, "--provider", "codex", *given, "--json"], home)
    doc = json.loads(proc.stdout)
    (row,) = doc["results"]
    assert (proc.returncode, doc["status"]) == (1, "soft_failed")
    assert (row["provider"], row["status"], row["code"]) == ("codex", "soft_failed", "codex_existing_override_invalid")
    # The host's own values come back as they came, its model setting included.
    assert doc["provider_fields"]["codex"]["config_overrides"] == ['model="o3"', "projects={"] and doc["patches"] == []


def test_folders_whose_codex_override_outgrows_an_argument_are_not_reported_patched(sandbox: str) -> None:
    """Each folder alone fits in a -c value; all of them together would be
    longer than Linux lets one argument be (E2BIG at the host's launch). No
    row says patched and no patch is given, in ``plan`` and in ``preflight``."""
    home, _ = seeded(sandbox)
    # ~275 bytes per entry: 480 folders make a value of about 132,000 bytes.
    folders = [os.path.join(sandbox, f"{i:03d}" + "d" * 240) for i in range(480)]
    for folder in folders:
        os.makedirs(folder)
    # And a folder Codex cannot spell: its row keeps its own reason.
    unspellable = os.fsdecode(os.path.join(os.fsencode(sandbox), b"caf\xe9"))
    os.makedirs(unspellable)
    for command in ("plan", "preflight"):
        proc = cli([command, *folders, unspellable, "--provider", "codex", "--json"], home)
        doc = json.loads(proc.stdout)
        assert (proc.returncode, doc["status"]) == (1, "soft_failed"), (command, proc.stderr[-500:])
        codes = {r["workspace"]: (r["status"], r["code"]) for r in doc["results"]}
        assert codes.pop(unspellable) == ("soft_failed", "codex_trust_path_unrepresentable")
        assert len(codes) == len(folders)
        assert set(codes.values()) == {("soft_failed", "codex_override_too_long")}
        assert doc["provider_fields"]["codex"]["config_overrides"] == [] and doc["patches"] == []
        messages = [d["message"] for d in doc["diagnostics"] if d["code"] == "codex_override_too_long"]
        assert messages and "more than one argument can carry on linux (131071)" in messages[0]
    # Fewer folders fit in one argument and are patched as before.
    proc = cli(["preflight", *folders[:300], "--provider", "codex", "--json"], home)
    doc = json.loads(proc.stdout)
    assert (proc.returncode, doc["status"]) == (0, "ok")
    assert {r["status"] for r in doc["results"]} == {"patched"}
    assert len(doc["provider_fields"]["codex"]["config_overrides"]) == 1


def test_a_folder_codex_cannot_spell_is_named_in_the_plan_beside_one_it_patches(sandbox: str) -> None:
    """The patch trusts the folder it can spell and lists only that one; the
    other is a soft_failed row with its reason, in ``plan`` as in ``preflight``."""
    home, ws = seeded(sandbox)
    unspellable = os.fsdecode(os.path.join(os.fsencode(sandbox), b"caf\xe9"))
    os.makedirs(unspellable)
    for command in ("plan", "preflight"):
        proc = cli([command, ws, unspellable, "--provider", "codex", "--json"], home)
        doc = json.loads(proc.stdout)
        assert (proc.returncode, doc["status"]) == (1, "soft_failed"), command
        rows = {r["workspace"]: (r["status"], r["code"]) for r in doc["results"]}
        assert rows[unspellable] == ("soft_failed", "codex_trust_path_unrepresentable")
        assert rows.get(ws, ("patched", None)) == ("patched", None)
        (patch, *_) = doc["patches"]
        assert patch["source_workspace_ids"] == [ws]


def test_plan_says_what_to_do_for_a_provider_without_a_launch_override(sandbox: str) -> None:
    """``plan DIR`` with the default provider used to print nothing and exit 0:
    each provider that offers no per-launch override gets a row (and a line)
    naming the preflight that prepares the folder; the exit code stays 0."""
    home, ws = seeded(sandbox)
    proc = cli(["plan", ws], home)
    assert proc.returncode == ExitCode.OK, proc.stderr
    assert proc.stdout.splitlines() == [
        f"claude: no per-launch trust override for {ws}; prepare it with:"
        f" workspace-trust preflight {ws} --provider claude"
    ]
    proc = cli(["plan", ws, "--provider", "claude,codex", "--json"], home)
    assert proc.returncode == ExitCode.OK, proc.stderr
    doc = json.loads(proc.stdout)
    assert doc["status"] == "ok"
    assert [(r["provider"], r["status"], r["code"]) for r in doc["results"]] == [
        ("claude", "skipped", "preflight_required")
    ]
    assert doc["provider_fields"]["codex"]["config_overrides"]  # codex is carried by its patch: no row


def test_an_accepted_session_waits_for_nothing(sandbox: str) -> None:
    """Trust proven is a finish: the session's ``wait_reason`` is null, even
    when the CLI took a while to save after Enter and the engine was waiting
    for the state file (it used to say ``confirmed_waiting`` or ``observing``)."""
    home, ws = seeded(sandbox, "FAKE_PERSIST_MS=400\n")
    proc = cli(["preflight", ws, "--json", "--claude-bin", FAKE], home)
    doc = json.loads(proc.stdout)
    assert (proc.returncode, doc["results"][0]["status"]) == (0, "accepted"), proc.stderr
    session = doc["manifest"]["strategy_results"][0]["session"]
    assert session["frames"] > 0 and session["wait_reason"] is None
