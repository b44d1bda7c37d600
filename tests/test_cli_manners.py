"""The command line's manners: progress with counters and heartbeats (text or
JSON lines), -q/-v, --deadline, help with defaults and an epilog, the failing
command's usage, no tracebacks, and text output that names folders and codes."""

from __future__ import annotations

import json
import logging
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from tests.test_cli import FAKE, cli, seeded
from workspace_trust import ExitCode
from workspace_trust.adapters.locks import default_lock_dir
from workspace_trust.cli.output import configure_logging
from workspace_trust.flags import FeatureFlags, flag_variable
from workspace_trust.providers import all_specs

ROOT = Path(__file__).resolve().parent.parent
FIXTURE = str(ROOT / "fixtures/snapshots/claude/2.1.330/trust-accept.json")


def _two(sandbox: str, settings: str = "") -> tuple[str, str, str]:
    home, ws = seeded(sandbox, settings)
    other = os.path.join(sandbox, "other")
    os.makedirs(other)
    return home, ws, other


def test_text_progress_counts_and_says_what_happened(sandbox: str) -> None:
    home, ws, other = _two(sandbox)
    proc = cli(["preflight", ws, other, "--claude-bin", FAKE, "--parallel", "1"], home)
    assert proc.returncode == ExitCode.OK, proc.stderr
    lines = [line for line in proc.stderr.splitlines() if line.startswith("workspace-trust: [")]
    # [done/N]: the folders finished so far, not the ones started.
    assert lines[0] == f"workspace-trust: [0/2] claude {ws}: started"
    assert f"workspace-trust: [1/2] claude {ws}: finished accepted" in lines
    assert f"workspace-trust: [1/2] claude {other}: started" in lines
    assert lines[-1] == f"workspace-trust: [2/2] claude {other}: finished accepted"
    assert any(
        re.fullmatch(r"workspace-trust: \[\d/2\] claude .+: dialog recognised \(claude\.\w+\)", x) for x in lines
    )
    assert any(line.endswith(": key sent (enter)") for line in lines)
    assert not any("waiting_for_lock" in line for line in lines)  # nothing else held the lock


def test_a_silent_screen_gets_a_heartbeat(sandbox: str) -> None:
    home, ws = seeded(sandbox, "FAKE_MODE=silent\n")
    proc = cli(["preflight", ws, "--claude-bin", FAKE, "--timeout", "5"], home)
    assert proc.returncode == ExitCode.SOFT_FAILED
    assert re.search(rf"\[0/1\] claude {re.escape(ws)}: waiting for the trust dialog, \d+\.\d s", proc.stderr)


def test_progress_json_lines(sandbox: str) -> None:
    home, ws, other = _two(sandbox)
    proc = cli(["preflight", ws, other, "--claude-bin", FAKE, "--json", "--progress", "json"], home)
    assert proc.returncode == ExitCode.OK, proc.stderr
    json.loads(proc.stdout)  # stdout still has its one document
    events = [json.loads(line) for line in proc.stderr.splitlines() if line.startswith("{")]
    assert not [line for line in proc.stderr.splitlines() if line.startswith("workspace-trust: [")]
    assert {e["event"] for e in events} == {"progress"}
    assert {e["total"] for e in events} == {2} and {e["index"] for e in events} == {1, 2}
    assert {e["workspace"] for e in events} == {ws, other}
    stages = [e["stage"] for e in events if e["workspace"] == ws]
    assert stages[0] == "started" and stages[-1] == "finished" and "dialog" in stages and "key" in stages
    finished = [e for e in events if e["stage"] == "finished"]
    assert {e["status"] for e in finished} == {"accepted"}
    assert sorted(e["done"] for e in finished) == [1, 2]
    # Every event ties to its argument as given, and has a time.
    assert {(e["input"], e["arg_index"]) for e in events} == {(ws, 0), (other, 1)}
    assert all(isinstance(e["elapsed_ms"], int) and e["elapsed_ms"] >= 0 for e in events)


def test_quiet_writes_no_progress(sandbox: str) -> None:
    home, ws = seeded(sandbox)
    proc = cli(["preflight", ws, "--claude-bin", FAKE, "-q"], home)
    assert proc.returncode == ExitCode.OK, proc.stderr
    assert proc.stderr == ""
    assert "accepted" in proc.stdout


def test_deadline_stops_the_whole_run(sandbox: str) -> None:
    home, ws, other = _two(sandbox, "FAKE_MODE=silent\n")
    args = ["preflight", ws, other, "--claude-bin", FAKE, "--json", "--parallel", "1", "--timeout", "60"]
    proc = cli([*args, "--deadline", "2"], home)
    assert proc.returncode == ExitCode.SOFT_FAILED, proc.stderr
    doc = json.loads(proc.stdout)
    assert doc["status"] == "soft_failed"
    rows = {r["workspace"]: r for r in doc["results"]}
    assert {r["code"] for r in rows.values()} == {"deadline_exceeded"}
    assert {r["status"] for r in rows.values()} == {"soft_failed"}
    # The first was running (and was killed); the second never started.
    assert rows[ws]["pty_spawned"] is True and rows[other]["pty_spawned"] is False
    assert "deadline" in json.dumps(doc["diagnostics"])
    bad = cli([*args, "--deadline", "0"], home)
    assert bad.returncode == ExitCode.USAGE and "--deadline" in bad.stderr


def test_help_shows_defaults_exit_codes_variables_and_locks() -> None:
    proc = cli(["preflight", "--help"], os.environ["HOME"])
    assert proc.returncode == 0
    text = " ".join(proc.stdout.split())
    assert "(default: 45.0)" in text and "(default: text)" in text
    for code in ExitCode:
        assert f"{int(code)} {code.name.lower()}" in text
    for spec in all_specs():
        assert spec.binary_env in text
    for name in FeatureFlags.names():
        assert flag_variable(name) in text
    assert default_lock_dir() in text
    # The top-level help has the same epilog (it is written only when help is shown).
    top = " ".join(cli(["--help"], os.environ["HOME"]).stdout.split())
    assert default_lock_dir() in top and all(spec.binary_env in top for spec in all_specs())
    replay = " ".join(cli(["replay", "--help"], os.environ["HOME"]).stdout.split())
    assert "--json one JSON object on stdout" in replay
    # The other commands show the exit codes and point to the top-level help
    # for the environment list instead of repeating it.
    for command in ("status", "plan", "replay", "schema"):
        short = " ".join(cli([command, "--help"], os.environ["HOME"]).stdout.split())
        assert all(f"{int(code)} {code.name.lower()}" in short for code in ExitCode), command
        assert "environment variables and lock files: workspace-trust --help" in short, command
        assert not any(spec.binary_env in short for spec in all_specs()), command
        assert "docs: https://" in short, command
    record = " ".join(cli(["record", "--help"], os.environ["HOME"]).stdout.split())
    assert "--duration SECONDS stop recording after this long at most (default: 20.0)" in record


def test_a_usage_error_is_the_error_and_where_its_commands_help_is(sandbox: str) -> None:
    """Two lines: the error, and the failing command's help to read (the
    whole usage block used to bury the error under 17 lines)."""
    proc = cli(["preflight", sandbox, "--parallel", "0"], sandbox)
    assert proc.returncode == ExitCode.USAGE
    assert proc.stderr.splitlines() == [
        "workspace-trust: --parallel must be at least 1",
        "  see: workspace-trust preflight --help",
    ]
    proc = cli(["replay"], sandbox)
    assert proc.returncode == ExitCode.USAGE
    assert proc.stderr.splitlines()[1:] == ["  see: workspace-trust replay --help"]
    proc = cli(["status", sandbox, "--nope"], sandbox)
    assert proc.stderr.splitlines()[1:] == ["  see: workspace-trust status --help"]
    proc = cli(["--nope"], sandbox)
    assert proc.returncode == ExitCode.USAGE and len(proc.stderr.splitlines()) == 2, proc.stderr


def test_a_misspelt_provider_gets_the_nearest_name(sandbox: str) -> None:
    proc = cli(["preflight", sandbox, "--provider", "cloude"], sandbox)
    assert proc.returncode == ExitCode.USAGE
    assert "unknown provider 'cloude'" in proc.stderr and "did you mean 'claude'?" in proc.stderr
    proc = cli(["preflight", sandbox, "--provider", "xyz"], sandbox)
    assert "unknown provider 'xyz'" in proc.stderr and "did you mean" not in proc.stderr


@pytest.mark.parametrize("args", [["replay", FIXTURE], ["preflight", "--help"]], ids=["replay", "help"])
def test_output_into_a_closed_pipe_is_quiet(sandbox: str, args: list[str]) -> None:
    # ``replay ... | head -1``, made certain: the reader is gone before the
    # command writes its first line (it is still importing then).
    proc = subprocess.Popen(
        [sys.executable, "-m", "workspace_trust", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ, "HOME": sandbox},
    )
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()
    err = proc.stderr.read().decode()
    proc.wait(timeout=120)
    assert "Traceback" not in err and "BrokenPipe" not in err, err
    assert proc.returncode == ExitCode.OK


def test_replay_names_the_file_it_could_not_use(sandbox: str) -> None:
    plain = os.path.join(sandbox, "passwd")
    Path(plain).write_text("root:x:0:0::/root:/bin/sh\n")
    proc = cli(["replay", plain], sandbox)
    assert proc.returncode == ExitCode.USAGE
    assert f"{plain} is not a fixture" in proc.stderr and "passwd.json" not in proc.stderr
    base = FIXTURE.removesuffix(".json")
    odd = os.path.join(sandbox, "odd")
    Path(odd + ".input").write_bytes(Path(base + ".input").read_bytes())
    Path(odd + ".json").write_text(Path(FIXTURE).read_text().replace('"provider": "claude"', '"provider": "nobody"'))
    proc = cli(["replay", odd + ".json"], sandbox)
    assert proc.returncode == ExitCode.USAGE
    assert "Traceback" not in proc.stderr and "'nobody' is not registered" in proc.stderr


def test_text_output_names_folders_and_codes(sandbox: str) -> None:
    home, _ = seeded(sandbox)
    proc = cli(["preflight", home, "--claude-bin", FAKE], home)
    assert proc.returncode == ExitCode.BLOCKED
    assert f"workspace_trust_not_persistable_home: claude {home}:" in proc.stderr
    status = cli(["status", home], home)
    assert f"{home} [workspace_trust_not_persistable_home]" in status.stdout


def test_debug_text_shows_decisions_and_the_last_screen(sandbox: str) -> None:
    home, ws = seeded(sandbox, "FAKE_MODE=unknown\n")
    proc = cli(["preflight", ws, "--claude-bin", FAKE, "--timeout", "2", "--debug"], home)
    assert proc.returncode == ExitCode.SOFT_FAILED
    assert re.search(r"claude .+: frame \d+: wait rule=- wait=unrecognised_screen", proc.stderr)
    assert f"--- claude {ws}: the last screen (redacted) ---" in proc.stderr
    assert "Something entirely new" in proc.stderr


def test_plan_text_can_be_pasted_into_a_shell(sandbox: str) -> None:
    odd = os.path.join(sandbox, "it's a $folder")
    os.makedirs(odd)
    text = cli(["plan", odd, "--provider", "codex"], sandbox)
    doc = json.loads(cli(["plan", odd, "--provider", "codex", "--json"], sandbox).stdout)
    (line,) = [x for x in text.stdout.splitlines() if x.startswith("codex -c")]
    assert shlex.split(line) == ["codex", "-c", *doc["provider_fields"]["codex"]["config_overrides"]]


def test_logging_levels() -> None:
    filelock, ours = logging.getLogger("filelock"), logging.getLogger("workspace_trust")
    try:
        configure_logging(0, debug=True, quiet=False)
        assert (ours.level, filelock.level) == (logging.DEBUG, logging.WARNING)
        configure_logging(1, debug=False, quiet=False)
        assert (ours.level, filelock.level) == (logging.INFO, logging.WARNING)
        configure_logging(2, debug=False, quiet=False)
        assert (ours.level, filelock.level) == (logging.DEBUG, logging.DEBUG)
        configure_logging(0, debug=False, quiet=True)
        assert ours.level == logging.ERROR
    finally:
        root = logging.getLogger()
        for handler in list(root.handlers):
            if getattr(handler, "_workspace_trust_cli", False):
                root.removeHandler(handler)
        root.setLevel(logging.WARNING)
        ours.setLevel(logging.NOTSET)
        filelock.setLevel(logging.NOTSET)


def test_the_library_only_adds_a_null_handler() -> None:
    code = (
        "import logging, workspace_trust\n"
        "print([type(h).__name__ for h in logging.getLogger('workspace_trust').handlers])\n"
        "print(logging.getLogger().handlers)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False)
    assert proc.stdout.split("\n")[:2] == ["['NullHandler']", "[]"], proc.stderr


# --- the command's exit (cli.run) ------------------------------------------------------


def _run_with(script: str, tmp: str) -> subprocess.CompletedProcess[str]:
    """``cli.run`` in a fresh interpreter, after ``script`` (which may replace ``cli.main``)."""
    code = f"import sys, atexit, threading, time\nfrom workspace_trust.cli import app as cli\n{script}\ncli.run()\n"
    return subprocess.run(
        [sys.executable, "-c", code], cwd=tmp, capture_output=True, text=True, timeout=60, check=False
    )


def test_the_command_exits_with_its_code_and_all_of_its_output(sandbox: str) -> None:
    home, ws = seeded(sandbox)
    # The largest document the CLI prints, through a pipe: nothing of it is lost
    # by the exit that skips the interpreter's teardown.
    proc = cli(["schema"], home)
    assert proc.returncode == ExitCode.OK, proc.stderr
    assert proc.stdout.endswith("\n")
    assert isinstance(json.loads(proc.stdout), dict)
    assert len(proc.stdout) > 10_000
    status = cli(["status", ws, "--json"], home)
    assert status.returncode == ExitCode.SOFT_FAILED, status.stderr
    assert json.loads(status.stdout)["status"] == "not_trusted"


def test_the_command_skips_the_interpreters_teardown(tmp_path: Path) -> None:
    # An exit hook stands for the teardown: it does not run, and the code and
    # the output written before the exit do reach the reader.
    proc = _run_with(
        "atexit.register(lambda: print('teardown ran'))\n"
        "def fake_main():\n    print('the document', end='')\n    return 3\n"
        "cli.main = fake_main",
        str(tmp_path),
    )
    assert proc.returncode == 3
    assert proc.stdout == "the document"


def test_a_thread_still_running_gets_the_interpreters_own_exit(tmp_path: Path) -> None:
    # Should anything still run, the exit waits for it as Python's own does.
    done = tmp_path / "done"
    proc = _run_with(
        f"def late():\n    time.sleep(0.3)\n    open({str(done)!r}, 'w').close()\n"
        "def fake_main():\n    threading.Thread(target=late).start()\n    return 5\n"
        "cli.main = fake_main",
        str(tmp_path),
    )
    assert proc.returncode == 5
    assert done.exists()


@pytest.mark.parametrize(
    "args",
    [
        ["preflight", "{ws}", "--json"],
        ["preflight", "{ws}"],
        ["status", "{ws}", "--json"],
        ["status", "{ws}"],
        ["plan", "{ws}", "--json"],
        ["preflight", "--no-such-option", "--json"],
        ["schema", "preflight"],
    ],
    ids=" ".join,
)
def test_a_failed_output_write_exits_non_zero_with_one_line(sandbox: str, args: list[str]) -> None:
    """Standard output on a full device: the document never reached its reader,
    so the command says so on stderr, in one line, and exits 1, never 0 and
    never with a traceback."""
    home, ws = seeded(sandbox)
    with open(os.path.join(home, ".claude.json"), "w", encoding="utf-8") as handle:
        json.dump({"hasCompletedOnboarding": True, "projects": {ws: {"hasTrustDialogAccepted": True}}}, handle)
    with open("/dev/full", "w", encoding="utf-8") as full:
        proc = subprocess.run(
            [sys.executable, "-m", "workspace_trust", *(a.format(ws=ws) for a in args)],
            env={"HOME": home, "PATH": os.environ["PATH"], "TERM": "xterm-256color"},
            stdout=full,
            stderr=subprocess.PIPE,
            text=True,
            timeout=120,
            check=False,
        )
    assert proc.returncode == ExitCode.SOFT_FAILED, proc.stderr
    failures = [line for line in proc.stderr.splitlines() if "could not write to standard output" in line]
    assert failures == ["workspace-trust: could not write to standard output: No space left on device"]
    assert "Traceback" not in proc.stderr and "internal error" not in proc.stderr


def test_verbose_says_what_happens(sandbox: str) -> None:
    """-v logs at INFO: which binary and version, the state file and its lock,
    the command line (redacted), and why the session ended."""
    home, ws = seeded(sandbox)
    proc = cli(["preflight", ws, "--claude-bin", FAKE, "-v"], home)
    assert proc.returncode == ExitCode.OK, proc.stderr
    info = [line for line in proc.stderr.splitlines() if " INFO " in line]
    text = "\n".join(info)
    assert f"state file {os.path.join(home, '.claude.json')}; taking the lock for " in text
    assert f"binary {FAKE}, version " in text
    assert "command line " in text and "--strict-mcp-config" in text
    assert "session ended trust_persisted (accepted; keys " in text
    quiet = cli(["preflight", ws, "--claude-bin", FAKE], home)
    assert " INFO " not in quiet.stderr


def test_a_cli_that_cannot_start_is_reported_as_such(sandbox: str) -> None:
    """A CLI whose ``--help`` fails (node aborting under a memory limit, say)
    was reported as one without the protected flags, to be updated. It is a
    CLI that did not start: the row says so, with the exit status and the
    redacted tail of what it printed, and the CLI itself is never started
    (only its ``--version`` and ``--help``, which fail the same way)."""
    home, ws = seeded(sandbox)
    broken = os.path.join(sandbox, "claude")
    mark = os.path.join(sandbox, "started-without-help")
    secret = "sk-ant-api03-" + "Q" * 40
    with open(broken, "w", encoding="utf-8") as handle:
        handle.write(
            "#!/bin/sh\n"
            'case "$1" in --help|--version)\n'
            f'  echo "FATAL ERROR: Reached heap limit Allocation failed - JavaScript heap out of memory {secret}" >&2\n'
            "  exit 134 ;;\n"
            "esac\n"
            f'touch "{mark}"\n'
        )
    os.chmod(broken, 0o755)
    proc = cli(["preflight", ws, "--json", "--claude-bin", broken], home)
    assert proc.returncode == ExitCode.SOFT_FAILED, proc.stderr
    doc = json.loads(proc.stdout)
    (row,) = doc["results"]
    assert (row["status"], row["code"], row["pty_spawned"]) == ("soft_failed", "provider_start_failed", False)
    (diagnostic,) = [d for d in doc["diagnostics"] if d["code"] == "provider_start_failed"]
    message = diagnostic["message"]
    assert "did not start" in message and "exit status 134" in message and "heap out of memory" in message
    assert secret not in proc.stdout and secret not in proc.stderr
    assert "update" not in message
    assert not os.path.exists(mark)


def test_reading_the_cli_beats_and_closing_is_said(sandbox: str) -> None:
    """A slow ``--help`` (a cold start of the CLI) is no silence: a ``waiting``
    event names it (``the_cli_help``) about every 2 s; the end of the session
    is said (``closing``) before the row finishes."""
    home, ws = seeded(sandbox)
    slow = os.path.join(sandbox, "claude")
    with open(slow, "w", encoding="utf-8") as handle:
        handle.write(f'#!/bin/sh\n[ "$1" = --help ] && sleep 2.3\nexec "{sys.executable}" "{FAKE}" "$@"\n')
    os.chmod(slow, 0o755)
    proc = cli(["preflight", ws, "--json", "--progress", "json", "--claude-bin", slow], home)
    assert proc.returncode == ExitCode.OK, proc.stderr
    events = [json.loads(line) for line in proc.stderr.splitlines() if line.startswith('{"event": "progress"')]
    stages = [event["stage"] for event in events]
    reads = [event for event in events if event["stage"] == "waiting" and event["detail"] == "the_cli_help"]
    assert len(reads) == 1 and reads[0]["elapsed_ms"] >= 2000, events
    assert stages.index("waiting") < stages.index("spawned") < stages.index("closing") < stages.index("finished")


@pytest.mark.parametrize("command", ["status", "plan"])
def test_a_read_only_commands_help_promises_no_sessions(command: str) -> None:
    """status and plan start nothing: their help promises no progress lines,
    engine decisions or screen tails (preflight's help does)."""
    helps = {
        name: subprocess.run(
            [sys.executable, "-m", "workspace_trust", name, "--help"], capture_output=True, text=True, check=True
        ).stdout
        for name in (command, "preflight")
    }
    flat = {name: " ".join(text.split()) for name, text in helps.items()}
    for promise in ("no progress lines", "the engine's decisions", "redacted screen tail"):
        assert promise in flat["preflight"]
        assert promise not in flat[command], promise


def test_a_failed_helps_output_is_redacted_before_it_is_cut(sandbox: str) -> None:
    """The message keeps the end of what the failing ``--help`` printed. A
    key printed just before that end must not leave its tail there: the whole
    output is redacted first, then cut."""
    home, ws = seeded(sandbox)
    broken = os.path.join(sandbox, "claude")
    key = "sk-ant-api03-" + "Kq7Zp2Lm9Xw4Rt8Vb3Nc6Hj1" * 2
    with open(broken, "w", encoding="utf-8") as handle:
        # The key, then enough text that a cut of the last 600 characters
        # would start inside it.
        handle.write(f'#!/bin/sh\necho "token {key} {"x" * 585}" >&2\nexit 3\n')
    os.chmod(broken, 0o755)
    proc = cli(["preflight", ws, "--json", "--claude-bin", broken], home)
    doc = json.loads(proc.stdout)
    (diagnostic,) = [d for d in doc["diagnostics"] if d["code"] == "provider_start_failed"]
    assert "exit status 3" in diagnostic["message"]
    for piece in (key, key[-12:], key[-20:-8]):
        assert piece not in proc.stdout and piece not in proc.stderr, piece
