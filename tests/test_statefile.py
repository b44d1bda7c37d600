"""Provider state files are read safely: a FIFO, device, socket or folder is
refused at once, never opened for a blocking read; sizes are bounded; hostile
contents (deep nesting, odd values) give a code, never a hang or a traceback."""

from __future__ import annotations

import json
import os
import socket
import stat
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from workspace_trust.adapters import statefile
from workspace_trust.adapters.filesystem import find_git_roots
from workspace_trust.adapters.statefile import StateFileError, open_state_file, read_state_file
from workspace_trust.coordinator import WorkspaceTrustCoordinator
from workspace_trust.domain.codes import Code, Provider, TrustState, WorkspaceStatus
from workspace_trust.domain.paths import HostOs, PathFacts, Workspace, build_workspace
from workspace_trust.flags import FeatureFlags
from workspace_trust.providers.claude.probe import ClaudeStateProbe
from workspace_trust.providers.codex.overrides import build_trust_override, parse_projects_override
from workspace_trust.providers.codex.probe import CodexConfigSentinel, CodexStateProbe, read_trust_levels
from workspace_trust.providers.gemini.probe import GeminiStateProbe
from workspace_trust.requests import WorkspaceSpec, WorkspaceTrustRequest
from workspace_trust.testing import FakeClock, FakeHelpReader, FakeLocks, FakePtySpawner, FakeTui

#: How long a read that should fail at once may take before the test calls it a hang.
PROMPT_S = 10


def promptly(call: Callable[[], Any], fifo: str | None = None) -> Any:
    """Run ``call`` in a thread; fail (and unblock it) if it does not return promptly."""
    box: dict[str, Any] = {}

    def run() -> None:
        try:
            box["value"] = call()
        except BaseException as exc:
            box["error"] = exc

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(PROMPT_S)
    if thread.is_alive():
        if fifo is not None:  # a reader blocked in open(): let it through so the thread ends
            fd = os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)
            os.close(fd)
            thread.join(PROMPT_S)
        pytest.fail(f"{call} blocked on a state file")
    if "error" in box:
        raise box["error"]
    return box.get("value")


def ws(path: str) -> Workspace:
    return build_workspace(path, PathFacts(absolute=path, real=path, home="/h", exists=True, is_dir=True), HostOs.LINUX)


@pytest.fixture
def fifo(tmp_path: Path) -> Iterator[str]:
    path = str(tmp_path / "fifo")
    os.mkfifo(path)
    yield path


# -- the helper ---------------------------------------------------------------------


def test_a_fifo_is_refused_at_once_directly_or_through_a_symlink(fifo: str, tmp_path: Path) -> None:
    link = str(tmp_path / "link")
    os.symlink(fifo, link)
    for path in (fifo, link):
        with pytest.raises(StateFileError) as caught:
            promptly(lambda p=path: read_state_file(p, "x.json", 1000), fifo)  # type: ignore[misc]
        assert caught.value.code is Code.STATE_FILE_UNREADABLE
        assert "not a regular file" in str(caught.value)


def test_a_fifo_swapped_in_after_the_check_is_opened_without_blocking(
    fifo: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The path looked like a regular file when checked, and is a FIFO when
    opened: O_NONBLOCK keeps the open from waiting for a writer, fstat refuses."""
    regular = os.stat(__file__)
    monkeypatch.setattr(statefile, "stat_state_file", lambda path, what: statefile.info_of(regular))
    with pytest.raises(StateFileError) as caught:
        promptly(lambda: open_state_file(fifo, "x.json"), fifo)
    assert caught.value.code is Code.STATE_FILE_UNREADABLE


def test_other_non_regular_files_are_refused(tmp_path: Path) -> None:
    folder = tmp_path / "folder"
    folder.mkdir()
    device = tmp_path / "null"
    os.symlink("/dev/null", device)
    sock_path = str(tmp_path / "sock")
    sock = socket.socket(socket.AF_UNIX)
    try:
        sock.bind(sock_path)
        for path in (str(folder), str(device), sock_path):
            with pytest.raises(StateFileError) as caught:
                read_state_file(path, "x.json", 1000)
            assert caught.value.code is Code.STATE_FILE_UNREADABLE, path
    finally:
        sock.close()


def test_regular_files_symlinks_missing_and_limits(tmp_path: Path) -> None:
    real = tmp_path / "real.json"
    real.write_bytes(b"0123456789")
    link = tmp_path / "dotfiles-link.json"
    os.symlink(real, link)
    dangling = tmp_path / "dangling.json"
    os.symlink(tmp_path / "nowhere", dangling)
    assert read_state_file(str(link), "x", 10) == b"0123456789"
    assert read_state_file(str(tmp_path / "missing"), "x", 10) is None
    assert read_state_file(str(dangling), "x", 10) is None
    with pytest.raises(StateFileError) as caught:
        read_state_file(str(real), "x", 9)
    assert caught.value.code is Code.STATE_FILE_TOO_LARGE
    handle = open_state_file(str(real), "x")
    assert handle is not None
    with handle:
        assert handle.read_at_most(4) == b"0123"
        assert list(handle.chunks(3, 100)) == [b"456", b"789"]
        assert not handle.changed()
        real.write_bytes(b"rewritten")
        assert handle.changed()


def test_a_path_through_a_file_is_unreadable(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x")
    with pytest.raises(StateFileError) as caught:
        read_state_file(str(tmp_path / "file" / "config.toml"), "x", 10)
    assert caught.value.code is Code.STATE_FILE_UNREADABLE


def test_a_fifo_named_git_does_not_hang_the_plan_stage(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    (repo / "sub").mkdir(parents=True)
    os.mkfifo(repo / ".git")
    assert stat.S_ISFIFO(os.stat(repo / ".git").st_mode)
    assert promptly(lambda: find_git_roots(str(repo / "sub")), str(repo / ".git")) == (None, None)


# -- every provider's probe -----------------------------------------------------------


def probes(path: str) -> list[tuple[str, Callable[[], object]]]:
    w = ws("/w/p")
    return [
        ("claude", lambda: ClaudeStateProbe(path, FakeClock()).read_trust(w)),
        ("codex", lambda: CodexStateProbe(path).read_trust(w)),
        ("gemini", lambda: GeminiStateProbe(path).read_trust(w)),
    ]


@pytest.mark.parametrize("name", ["claude", "codex", "gemini"])
def test_every_probe_refuses_a_fifo_at_once(fifo: str, name: str) -> None:
    call = dict(probes(fifo))[name]
    result = promptly(call, fifo)
    assert result.state is TrustState.UNKNOWN
    assert [d.code for d in result.diagnostics] == [Code.STATE_FILE_UNREADABLE]


def test_codex_config_readers_refuse_a_fifo_at_once(fifo: str) -> None:
    with pytest.raises(Exception) as caught:
        promptly(lambda: read_trust_levels(fifo), fifo)
    assert getattr(caught.value, "code", None) is Code.STATE_FILE_UNREADABLE
    assert promptly(lambda: CodexConfigSentinel(fifo).capture(), fifo) is None


# Deeper than any supported Python's json parser goes (3.11 gives up near
# 1,000 levels, 3.13 parses those): a RecursionError on every one.
DEEP_JSON = "[" * 100_000 + "]" * 100_000
DEEP_CLAUDE = '{"projects": {"/w/p": {"hasTrustDialogAccepted": true}}, "x": ' + DEEP_JSON + "}"
DEEP_GEMINI = '{"/w/p": "TRUST_FOLDER", "x": ' + DEEP_JSON + "}"
DEEP_TOML = '[projects."/w/p"]\ntrust_level = "trusted"\n[other]\nx = ' + "[" * 500 + "]" * 500 + "\n"


@pytest.mark.parametrize(("name", "text"), [("claude", DEEP_CLAUDE), ("codex", DEEP_TOML), ("gemini", DEEP_GEMINI)])
def test_deep_nesting_is_a_corrupt_state_file_never_a_recursion_error(tmp_path: Path, name: str, text: str) -> None:
    path = tmp_path / "state"
    path.write_text(text)
    result = dict(probes(str(path)))[name]()
    assert result.state is TrustState.UNKNOWN  # type: ignore[attr-defined]
    assert [d.code for d in result.diagnostics] == [Code.STATE_FILE_CORRUPT]  # type: ignore[attr-defined]


def test_a_deeply_nested_host_override_is_refused_not_raised() -> None:
    deep = 'projects={"/x"={trust_level="trusted", deep=' + "[" * 600 + "]" * 600 + "}}"
    with pytest.raises(ValueError):
        parse_projects_override(deep)
    build = build_trust_override(["/w"], [deep])
    assert build.value is None
    assert [d.code for d in build.diagnostics] == [Code.CODEX_OVERRIDE_INVALID]


def test_codex_args_preflight_with_a_fifo_config_does_not_hang(sandbox: str) -> None:
    home = os.path.join(sandbox, "home")
    os.makedirs(os.path.join(home, ".codex"))
    os.mkfifo(os.path.join(home, ".codex", "config.toml"))
    ws_path = os.path.join(sandbox, "proj")
    os.makedirs(ws_path)

    def never(spec: object) -> FakeTui:
        raise AssertionError(f"spawned {spec}")

    clock = FakeClock()
    coordinator = WorkspaceTrustCoordinator(
        spawner=FakePtySpawner(never, clock), clock=clock, locks=FakeLocks(), help_reader=FakeHelpReader()
    )
    request = WorkspaceTrustRequest(
        workspaces=(WorkspaceSpec(ws_path),),
        providers=(Provider.CODEX,),
        env={"HOME": home, "PATH": os.environ["PATH"]},
        flags=FeatureFlags(),
    )
    result = promptly(
        lambda: coordinator.execute(coordinator.plan_full(request)), os.path.join(home, ".codex", "config.toml")
    )
    (r,) = result.results
    # The override needs no state file: it still goes out.
    assert r.status is WorkspaceStatus.PATCHED


# -- through the command line -----------------------------------------------------------


def cli(args: list[str], env: dict[str, str]) -> tuple[int, dict[str, Any]]:
    """Run the CLI with a hard timeout: a hang fails the test instead of the suite."""
    proc = subprocess.run(
        [sys.executable, "-m", "workspace_trust", *args, "--json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert "Traceback" not in proc.stderr, proc.stderr[-3000:]
    assert proc.stdout.count("\n") == 1, (proc.stdout[-2000:], proc.stderr[-2000:])
    return proc.returncode, json.loads(proc.stdout)


STATE_FILES = {
    "claude": (".claude.json",),
    "codex": (".codex", "config.toml"),
    "gemini": (".gemini", "trustedFolders.json"),
}


def home_with(sandbox: str, provider: str, make: Callable[[str], None]) -> tuple[str, dict[str, str]]:
    home = os.path.join(sandbox, "home")
    path = os.path.join(home, *STATE_FILES[provider])
    os.makedirs(os.path.dirname(path), exist_ok=True)
    make(path)
    ws_path = os.path.join(sandbox, "proj")
    os.makedirs(ws_path)
    env = {
        "HOME": home,
        "PATH": os.environ["PATH"],
        # A binary that must never run: the state file decides before any spawn.
        "WORKSPACE_TRUST_CLAUDE_BIN": "/nonexistent/claude",
        "WORKSPACE_TRUST_CODEX_BIN": "/nonexistent/codex",
        "WORKSPACE_TRUST_GEMINI_BIN": "/nonexistent/gemini",
    }
    return ws_path, env


@pytest.mark.parametrize("provider", ["claude", "codex", "gemini"])
def test_cli_status_and_preflight_return_at_once_on_a_fifo(sandbox: str, provider: str) -> None:
    ws_path, env = home_with(sandbox, provider, os.mkfifo)
    mode = [f"--{provider}-mode", "pty"] if provider != "claude" else []
    code, doc = cli(["status", ws_path, "--provider", provider, *mode], env)
    assert (code, [r["code"] for r in doc["results"]]) == (1, ["state_file_unreadable"])
    code, doc = cli(["preflight", ws_path, "--provider", provider, *mode, "--timeout", "5"], env)
    (result,) = doc["results"]
    assert (code, result["status"], result["code"], result["pty_spawned"]) == (
        1,
        "soft_failed",
        "state_file_unreadable",
        False,
    )


def test_cli_codex_args_mode_returns_at_once_on_a_fifo(sandbox: str) -> None:
    ws_path, env = home_with(sandbox, "codex", os.mkfifo)
    code, doc = cli(["preflight", ws_path, "--provider", "codex"], env)
    assert (code, doc["results"][0]["status"]) == (0, "patched")
    code, doc = cli(["status", ws_path, "--provider", "codex"], env)
    assert [r["code"] for r in doc["results"]] == ["state_file_unreadable"]


DEEP = {"claude": DEEP_CLAUDE, "codex": DEEP_TOML, "gemini": DEEP_GEMINI}


@pytest.mark.parametrize("provider", ["claude", "codex", "gemini"])
def test_cli_deep_nesting_is_one_json_document_with_state_file_corrupt(sandbox: str, provider: str) -> None:
    def write(path: str) -> None:
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(DEEP[provider])

    ws_path, env = home_with(sandbox, provider, write)
    mode = [f"--{provider}-mode", "pty"] if provider != "claude" else []
    code, doc = cli(["status", ws_path, "--provider", provider, *mode], env)
    assert (code, [r["code"] for r in doc["results"]]) == (1, ["state_file_corrupt"])
    code, doc = cli(["preflight", ws_path, "--provider", provider, *mode, "--timeout", "5"], env)
    assert [(r["status"], r["code"]) for r in doc["results"]] == [("soft_failed", "state_file_corrupt")]
