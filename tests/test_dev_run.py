"""``./dev preflight`` (scripts/dev_run.py) picks a CLI binary that exists: the
user's own first, else the newest pinned one, and says which on stderr."""

from __future__ import annotations

import importlib.util
import os
import stat
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "scripts" / "dev_run.py"


def _load() -> ModuleType:
    spec = importlib.util.spec_from_file_location("dev_run", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


dev_run = _load()


def _executable(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("#!/bin/sh\nexit 0\n")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


def test_requested_providers_keeps_order_and_defaults() -> None:
    known = ["claude", "codex", "gemini"]
    assert dev_run.requested_providers(["/p"], known, ["claude"]) == ("claude",)
    assert dev_run.requested_providers(["--provider", "gemini,codex", "/p"], known, ["claude"]) == ("gemini", "codex")
    assert dev_run.requested_providers(["--provider=codex", "--provider", "codex"], known, ["claude"]) == ("codex",)
    # After "--" nothing is an option; an unknown name is left to the command.
    assert dev_run.requested_providers(["--", "--provider", "codex"], known, ["claude"]) == ("claude",)
    assert dev_run.requested_providers(["--provider", "cloude"], known, ["claude"]) == ("claude",)


def test_newest_pinned_compares_versions_as_numbers(tmp_path: Path) -> None:
    listing = tmp_path / "real-clis.txt"
    listing.write_text("# NAME PACKAGE VERSION BINARY\nx  @a/x  2.1.99  x\nx  @a/x  2.1.330  x\ny  @a/y  1.0.0  y\n")
    rows = dev_run.pinned_clis(str(listing))
    newest = dev_run.newest_pinned(rows, "x")
    assert newest is not None and newest.version == "2.1.330"
    assert dev_run.newest_pinned(rows, "z") is None


def test_own_cli_on_path_wins_over_the_pinned_one(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    own = _executable(tmp_path / "bin" / "claude")
    env = {"PATH": str(own.parent), "HOME": str(tmp_path / "home"), "WORKSPACE_TRUST_CLI_DIR": str(tmp_path / "clis")}
    dev_run.choose_binaries(["/p"], env)
    assert "WORKSPACE_TRUST_CLAUDE_BIN" not in env
    assert str(own) in capsys.readouterr().err


def test_no_own_cli_takes_the_newest_pinned(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rows = dev_run.pinned_clis(str(ROOT / "real-clis.txt"))
    newest = dev_run.newest_pinned(rows, "claude")
    assert newest is not None
    pinned = _executable(tmp_path / "clis" / f"claude-{newest.version}" / "node_modules" / ".bin" / newest.binary)
    env = {
        "PATH": str(tmp_path / "empty"),
        "HOME": str(tmp_path / "home"),
        "WORKSPACE_TRUST_CLI_DIR": str(tmp_path / "clis"),
    }
    dev_run.choose_binaries(["/p"], env)
    assert env["WORKSPACE_TRUST_CLAUDE_BIN"] == str(pinned)
    err = capsys.readouterr().err
    assert newest.version in err and "none on PATH" in err


def test_explicit_binary_is_left_alone(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    env = {"PATH": str(tmp_path), "HOME": str(tmp_path), "WORKSPACE_TRUST_CLI_DIR": str(tmp_path / "clis")}
    dev_run.choose_binaries(["--claude-bin", "/x/claude", "/p"], env)
    assert "WORKSPACE_TRUST_CLAUDE_BIN" not in env
    assert "--claude-bin" in capsys.readouterr().err
    assert not (tmp_path / "clis").exists()


def test_status_never_installs_a_cli(tmp_path: Path) -> None:
    """``./dev status`` only reads state files: no binary is chosen, nothing is installed."""
    env = {
        **{k: v for k, v in os.environ.items() if k not in ("WORKSPACE_TRUST_CLAUDE_BIN",)},
        "PATH": os.path.dirname(sys.executable),
        "HOME": str(tmp_path),
        "WORKSPACE_TRUST_CLI_DIR": str(tmp_path / "clis"),
    }
    done = subprocess.run(
        [sys.executable, str(SCRIPT), "status", str(tmp_path), "--json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert "dev:" not in done.stderr
    assert done.stdout.startswith("{")
    assert not (tmp_path / "clis").exists()
