"""examples/node-host.mjs, a host written from docs/cli.md and the schemas
alone, handles every documented outcome: launched, patched, not required,
soft failures (a screen it does not know, a strategy switched off), blocked,
duplicates, cancelled, a usage error and an internal error.

Node is required (CI installs it for the real CLIs): a missing ``node`` fails
here, it never skips. The fake TUI stands in for Claude."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import threading
from typing import Any

import pytest

from workspace_trust import __version__

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
HOST = os.path.join(ROOT, "examples", "node-host.mjs")
FAKE = os.path.join(ROOT, "tests", "fake_tui.py")


def node() -> str:
    found = shutil.which("node")
    assert found, "node is required for the Node.js example host (install Node.js 18 or later)"
    return found


def env_for(home: str, command: list[str] | None = None, extra: dict[str, str] | None = None) -> dict[str, str]:
    return {
        "HOME": home,
        "PATH": os.environ["PATH"],
        "TERM": "xterm-256color",
        "WORKSPACE_TRUST_CMD": json.dumps(command or [sys.executable, "-m", "workspace_trust"]),
        **(extra or {}),
    }


def host(args: list[str], home: str, cwd: str | None = None, **extra: str) -> tuple[int, dict[str, Any]]:
    proc = subprocess.run(
        [node(), HOST, *args],
        env=env_for(home, extra=extra),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=cwd,
    )
    assert proc.stdout.count("\n") == 1, (proc.stdout, proc.stderr[-2000:])
    out: dict[str, Any] = json.loads(proc.stdout)
    return proc.returncode, out


@pytest.fixture
def seeded(sandbox: str) -> tuple[str, str]:
    home = os.path.join(sandbox, "home")
    ws = os.path.join(sandbox, "ws", "p")
    os.makedirs(home)
    os.makedirs(ws)
    with open(os.path.join(home, ".claude.json"), "w", encoding="utf-8") as handle:
        json.dump({"hasCompletedOnboarding": True}, handle)
    with open(os.path.join(home, "fake_tui.env"), "w", encoding="utf-8") as handle:
        handle.write("")
    return home, ws


def decisions(out: dict[str, Any]) -> list[tuple[str, str, str]]:
    return [(i["input"], i["provider"], i["decision"]) for i in out["inputs"]]


def test_accepted_duplicate_and_blocked_inputs(sandbox: str, seeded: tuple[str, str]) -> None:
    home, _ = seeded
    code, out = host(["ws/p", "home", "ws/p/", "--", "--claude-bin", FAKE], home, cwd=sandbox)
    assert (code, out["outcome"], out["status"]) == (3, "refuse_blocked", "blocked")
    assert decisions(out) == [("ws/p", "claude", "launch"), ("home", "claude", "refuse"), ("ws/p/", "claude", "launch")]
    assert out["inputs"][0]["status"] == "accepted" and out["inputs"][2]["same_as"] == "ws/p"
    assert out["inputs"][1]["code"] == "workspace_trust_not_persistable_home"
    (accepted,) = [entry for entry in out["manifest"] if entry["status"] == "accepted"]
    assert accepted["keys"] == ["down", "enter"] and accepted["dialogs"][0] == "claude.workspace_trust"


def test_patched_and_not_required_launches_carry_their_patches(seeded: tuple[str, str]) -> None:
    home, ws = seeded
    code, out = host([ws, "--", "--provider", "codex,gemini,qwen"], home)
    assert (code, out["outcome"]) == (0, "launch")
    assert out["workspace_trust_version"] == __version__
    by_provider = {i["provider"]: i for i in out["inputs"]}
    assert by_provider["codex"]["decision"] == "launch_with_patches"
    assert by_provider["codex"]["launch"]["args"] == ["-c", f'projects={{"{ws}" = {{trust_level = "trusted"}}}}']
    assert by_provider["gemini"]["launch"]["env"] == {"GEMINI_CLI_TRUST_WORKSPACE": "true"}
    assert (by_provider["qwen"]["status"], by_provider["qwen"]["decision"]) == ("not_required", "launch")
    # Qwen with its folder trust on and its private trusted-folders file
    # (opt-in): a file the host makes for the launch.
    os.makedirs(os.path.join(home, ".qwen"))
    with open(os.path.join(home, ".qwen", "settings.json"), "w", encoding="utf-8") as handle:
        json.dump({"security": {"folderTrust": {"enabled": True}}}, handle)
    code, out = host([ws, "--", "--provider", "qwen", "--qwen-mode", "env"], home)
    (qwen,) = out["inputs"]
    assert (code, qwen["status"], qwen["decision"]) == (0, "patched", "launch_with_patches")
    (made,) = qwen["launch"]["files"]
    assert made["variable"] == "QWEN_CODE_TRUSTED_FOLDERS_PATH" and ws in made["content"]


def test_soft_failures_launch_knowing_the_cli_may_ask(seeded: tuple[str, str]) -> None:
    home, ws = seeded
    code, out = host([ws, "--", "--claude-bin", FAKE], home, WORKSPACE_TRUST_CLAUDE_PTY="0")
    assert (code, out["outcome"]) == (1, "launch_may_prompt")
    assert [(i["status"], i["code"], i["decision"]) for i in out["inputs"]] == [
        ("skipped", "feature_disabled", "launch_may_prompt")
    ]
    with open(os.path.join(home, "fake_tui.env"), "w", encoding="utf-8") as handle:
        handle.write("FAKE_MODE=unknown\n")
    code, out = host([ws, "--", "--claude-bin", FAKE, "--timeout", "2"], home)
    assert (code, out["outcome"]) == (1, "launch_may_prompt")
    assert [(i["code"], i["decision"]) for i in out["inputs"]] == [("unknown_screen", "launch_may_prompt")]


@pytest.mark.parametrize(
    "options",
    [["--provider", "cloude"], ["--timeout", "-1"], ["--claude-bin", "/nope"], ["--bogus"]],
)
def test_usage_errors_reach_the_host_as_one_document(seeded: tuple[str, str], options: list[str]) -> None:
    home, ws = seeded
    code, out = host([ws, "--", *options], home)
    assert (code, out["outcome"], out["command"]) == (2, "usage_error", "preflight")
    assert out["message"]
    code, out = host(["--", "--claude-bin", FAKE], home)  # no DIR at all
    assert (code, out["outcome"]) == (2, "usage_error")


def test_an_internal_error_document_launches_unprepared(sandbox: str, seeded: tuple[str, str]) -> None:
    """workspace-trust never fails on purpose, so a stand-in prints the
    documented internal_error document (docs/cli.md, "Errors") and exits 1."""
    home, ws = seeded
    stand_in = os.path.join(sandbox, "broken.py")
    doc = {
        "version": "1",
        "workspace_trust_version": "0.1.0",
        "command": "preflight",
        "error": {"code": "internal_error", "message": "internal error: X"},
    }
    with open(stand_in, "w", encoding="utf-8") as handle:
        handle.write(f"import sys\nprint({json.dumps(json.dumps(doc))})\nsys.exit(1)\n")
    proc = subprocess.run(
        [node(), HOST, ws],
        env=env_for(home, [sys.executable, stand_in]),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 1
    assert json.loads(proc.stdout)["outcome"] == "launch_unprepared"


def test_an_interrupt_is_cancelled_and_the_host_stops(seeded: tuple[str, str]) -> None:
    home, ws = seeded
    with open(os.path.join(home, "fake_tui.env"), "w", encoding="utf-8") as handle:
        handle.write("FAKE_MODE=silent\n")
    proc = subprocess.Popen(
        [node(), HOST, ws, "--", "--claude-bin", FAKE],
        env=env_for(home),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    assert proc.stderr is not None and proc.stdout is not None
    watchdog = threading.Timer(60, proc.kill)
    watchdog.start()
    try:
        for line in proc.stderr:
            if line.rstrip().endswith(": spawned"):
                break
    finally:
        watchdog.cancel()
    # Ctrl-C at a terminal: the whole foreground group, the host and workspace-trust.
    os.killpg(proc.pid, signal.SIGINT)
    out, _ = proc.communicate(timeout=60)
    assert proc.returncode == 130
    decided = json.loads(out)
    assert (decided["outcome"], decided["status"]) == ("stopped", "cancelled")
    assert [i["decision"] for i in decided["inputs"]] == ["stop"]
