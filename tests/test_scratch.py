"""Scratch folders: named for the run that made them, and swept on a later run
once that run is gone (SIGKILL leaves them behind); never a live run's folder,
another user's, another pid namespace's, or anything not named as ours."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest

from workspace_trust.adapters import processes
from workspace_trust.adapters.scratch import SCRATCH_PREFIX, make_scratch_dir, sweep_stale

FAKE = os.path.join(os.path.dirname(__file__), "fake_tui.py")
HANG_GUARD_S = 60


def start_time(pid: int) -> int:
    with open(f"/proc/{pid}/stat", encoding="utf-8") as handle:
        return int(handle.read().rsplit(")", 1)[1].split()[19])


def pid_namespace() -> int:
    return os.stat("/proc/self/ns/pid").st_ino


def folder(base: str, pid: int, start: int, ns: int, tail: str = "k2j3h4") -> str:
    path = os.path.join(base, f"{SCRATCH_PREFIX}{pid}-{start}-{ns}-{tail}")
    os.makedirs(path)
    with open(os.path.join(path, "empty-mcp.json"), "w", encoding="utf-8") as handle:
        handle.write("{}")
    return path


def scratch_folders(base: str) -> list[str]:
    return [name for name in os.listdir(base) if name.startswith(SCRATCH_PREFIX)]


def dead_pid() -> tuple[int, int]:
    """A pid that has ended (and its start time)."""
    proc = subprocess.Popen(["sleep", "60"])
    start = start_time(proc.pid)
    proc.kill()
    proc.wait()
    return proc.pid, start


def test_a_folder_is_named_for_its_run(sandbox: str) -> None:
    path = make_scratch_dir(sandbox)
    name = os.path.basename(path)
    assert os.path.dirname(path) == sandbox and os.path.isdir(path)
    assert name.startswith(f"{SCRATCH_PREFIX}{os.getpid()}-{start_time(os.getpid())}-{pid_namespace()}-")
    assert oct(os.stat(path).st_mode & 0o777) == oct(0o700)


def test_only_folders_of_runs_that_are_gone_are_swept(sandbox: str) -> None:
    ns = pid_namespace()
    me, my_start = os.getpid(), start_time(os.getpid())
    pid, start = dead_pid()
    live = subprocess.Popen(["sleep", "60"])
    try:
        gone = folder(sandbox, pid, start, ns)
        reused = folder(sandbox, me, my_start + 1, ns)  # our number, another process's start
        mine = folder(sandbox, me, my_start, ns)
        other_live_run = folder(sandbox, live.pid, start_time(live.pid), ns)
        other_namespace = folder(sandbox, pid, start, ns + 1)
        old_style = os.path.join(sandbox, f"{SCRATCH_PREFIX}k2j3h4xy")
        os.makedirs(old_style)
        unrelated = os.path.join(sandbox, "workspace-trust-other-1-2-3-x")
        os.makedirs(unrelated)
        removed = sweep_stale(sandbox)
        assert sorted(removed) == sorted([gone, reused])
        assert not os.path.exists(gone) and not os.path.exists(reused)
        for kept in (mine, other_live_run, other_namespace, old_style, unrelated):
            assert os.path.isdir(kept), kept
    finally:
        live.kill()
        live.wait()


def test_a_file_or_a_link_named_like_a_folder_is_never_touched(sandbox: str) -> None:
    ns = pid_namespace()
    pid, start = dead_pid()
    target = os.path.join(sandbox, "target")
    os.makedirs(target)
    with open(os.path.join(target, "precious"), "w", encoding="utf-8") as handle:
        handle.write("x")
    base = os.path.join(sandbox, "tmp")
    os.makedirs(base)
    link = os.path.join(base, f"{SCRATCH_PREFIX}{pid}-{start}-{ns}-aaaaaa")
    os.symlink(target, link)
    plain = os.path.join(base, f"{SCRATCH_PREFIX}{pid}-{start}-{ns}-bbbbbb")
    with open(plain, "w", encoding="utf-8") as handle:
        handle.write("x")
    assert sweep_stale(base) == ()
    assert os.path.islink(link) and os.path.isfile(plain)
    assert os.listdir(target) == ["precious"]


def test_another_users_folder_is_never_swept(sandbox: str, monkeypatch: pytest.MonkeyPatch) -> None:
    pid, start = dead_pid()
    theirs = folder(sandbox, pid, start, pid_namespace())
    uid = os.geteuid()
    monkeypatch.setattr(os, "geteuid", lambda: uid + 1)
    assert sweep_stale(sandbox) == ()
    assert os.path.isdir(theirs)


def test_a_folder_is_kept_when_liveness_cannot_be_told(sandbox: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """A /proc of another pid namespace cannot say whether a pid is alive."""
    pid, start = dead_pid()
    kept = folder(sandbox, pid, start, pid_namespace())
    monkeypatch.setattr(processes, "proc_is_ours", lambda: False)
    assert sweep_stale(sandbox) == ()
    assert os.path.isdir(kept)


def test_a_killed_run_leaves_its_folder_and_the_next_run_sweeps_it(sandbox: str) -> None:
    home = os.path.join(sandbox, "home")
    tmp = os.path.join(sandbox, "tmp")
    ws = os.path.join(sandbox, "project")
    for path in (home, tmp, ws):
        os.makedirs(path)
    with open(os.path.join(home, ".claude.json"), "w", encoding="utf-8") as handle:
        json.dump({"hasCompletedOnboarding": True}, handle)
    startlog = os.path.join(sandbox, "started.log")
    with open(os.path.join(home, "fake_tui.env"), "w", encoding="utf-8") as handle:
        handle.write(f"FAKE_MODE=silent\nFAKE_STARTLOG={startlog}\n")
    env = {"HOME": home, "PATH": os.environ["PATH"], "TERM": "xterm-256color", "TMPDIR": tmp}
    argv = [sys.executable, "-m", "workspace_trust", "preflight", ws, "--json", "--claude-bin", FAKE]
    proc = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stderr is not None
        deadline = time.monotonic() + HANG_GUARD_S
        while not os.path.exists(startlog) and time.monotonic() < deadline:
            time.sleep(0.02)
        proc.send_signal(signal.SIGKILL)
        proc.wait(HANG_GUARD_S)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    with open(startlog, encoding="utf-8") as handle:
        fake_pid = int(handle.read().split()[0])
    # The fake dies of the terminal's hang-up; wait for it before going on.
    deadline = time.monotonic() + HANG_GUARD_S
    while os.path.exists(f"/proc/{fake_pid}") and time.monotonic() < deadline:
        time.sleep(0.02)
    (left,) = scratch_folders(tmp)
    assert left.startswith(f"{SCRATCH_PREFIX}{proc.pid}-")
    with open(os.path.join(home, "fake_tui.env"), "w", encoding="utf-8") as handle:
        handle.write("FAKE_MODE=trust\n")
    again = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=HANG_GUARD_S, check=False)
    assert again.returncode == 0, again.stderr[-2000:]
    assert scratch_folders(tmp) == []
