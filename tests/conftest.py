"""Shared fixtures: fresh HOMEs, pinned real CLIs, and a leak check after every test."""

from __future__ import annotations

import atexit
import functools
import os
import shutil
import subprocess
import tempfile
import threading
from collections.abc import Generator, Iterator
from typing import TYPE_CHECKING, NoReturn

import pytest

from tests.leaks import TableSnapshot, daemon_sessions_since, take_snapshot
from workspace_trust.adapters.processes import lineage, list_processes, under
from workspace_trust.installed_clis import cli_dir, installed_cli

if TYPE_CHECKING:
    from tests.realcli import ModelStub

REAL_CLIS_ENV = "WORKSPACE_TRUST_REAL_CLIS"

# The CLI facts cache (``adapters/cli_facts.py``) of this run, and of every
# process it starts with this environment: never the user's own.
_TEST_CACHE = tempfile.mkdtemp(prefix="wt-test-cache-")
os.environ["XDG_CACHE_HOME"] = _TEST_CACHE
atexit.register(shutil.rmtree, _TEST_CACHE, True)


def not_run(message: str) -> NoReturn:
    """A test that cannot run here: a failure under ``./dev test``/CI (where
    ``WORKSPACE_TRUST_REAL_CLIS=required`` says the machine has everything),
    else a loud skip."""
    if os.environ.get(REAL_CLIS_ENV) == "required":
        pytest.fail(message)
    pytest.skip(message)


def require_cli(name: str, version: str) -> str:
    """The pinned CLI's binary. Missing: a failure under ``./dev test``/CI, else a loud skip."""
    path = installed_cli(name, version)
    if path is None:
        not_run(f"real CLI {name} {version} is not installed; run `./dev clis` (looked in $WORKSPACE_TRUST_CLI_DIR)")
    return path


#: Every sandbox this run made, so that a process left behind can be told to be
#: this run's (and not a concurrent run's) by its folder, argv or HOME.
_SANDBOXES: list[str] = []


@pytest.fixture
def sandbox() -> Iterator[str]:
    """A fresh folder for HOMEs and workspaces, outside the system temp folder.

    Codex 0.169.0 refuses to start its daemon under the system temp folder, so
    the sandbox lives under /var/tmp where available.
    """
    base = "/var/tmp" if os.path.isdir("/var/tmp") else None
    path = os.path.realpath(tempfile.mkdtemp(prefix="wt-test-", dir=base))
    _SANDBOXES.append(path)
    try:
        yield path
    finally:
        import shutil

        shutil.rmtree(path, ignore_errors=True)


def _own_descendants() -> set[int]:
    me = os.getpid()
    procs = list_processes()
    children: dict[int, list[int]] = {}
    for proc in procs:
        children.setdefault(proc.ppid, []).append(proc.pid)
    alive = {p.pid for p in procs if p.state != "Z"}
    out: set[int] = set()
    stack = [me]
    while stack:
        for child in children.get(stack.pop(), ()):
            if child not in out:
                out.add(child)
                stack.append(child)
    return out & alive


def in_a_sandbox(pid: int, sandboxes: list[str]) -> bool:
    """The process runs in, names, or has its HOME in one of this run's sandboxes."""
    places: list[str] = []
    try:
        # The sandbox is removed before this check runs: a cwd inside it reads
        # "<path> (deleted)".
        places.append(os.readlink(f"/proc/{pid}/cwd").removesuffix(" (deleted)"))
    except OSError:
        pass
    for name in ("cmdline", "environ"):
        try:
            with open(f"/proc/{pid}/{name}", "rb") as handle:
                parts = handle.read().split(b"\x00")
        except OSError:
            continue
        for part in parts:
            text = part.decode("utf-8", "replace")
            places.append(text[5:] if name == "environ" and text.startswith("HOME=") else text)
    return any(under(place, box) for place in places for box in sandboxes if place.startswith("/"))


def daemons_left(before: TableSnapshot) -> set[int]:
    """Processes in sessions made during the test (daemons, double-forked ones
    included, which the descendant walk cannot see) that belong to this run."""
    table = list_processes()
    candidates = {p.pid for p in table} - before.pids
    found = daemon_sessions_since(before, candidates, table, lineage(os.getpid(), table))
    return {pid for pid in found if in_a_sandbox(pid, _SANDBOXES)}


@pytest.fixture(autouse=True)
def own_cli_facts_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """A CLI facts cache of each test's own: the fake CLIs answer ``--help`` by
    their settings, so one test's answer must not be another's."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path_factory.mktemp("cli-facts-cache")))


@pytest.fixture
def stub() -> Iterator[ModelStub]:
    """A local model endpoint that answers every request with HTTP 400
    (``tests.realcli.ModelStub``): a request reaching it shows that a
    headless launch got past its CLI's trust gate."""
    from tests.realcli import ModelStub

    with ModelStub() as server:
        yield server


#: Checks, 100 ms apart, for the processes of a killed group to be gone.
LEFT_WAITS = 50


@pytest.fixture(autouse=True)
def no_process_left() -> Iterator[None]:
    """Fail any test that leaves a process alive: a child of the test runner, or
    a daemon in a session made during the test that runs in, names, or has its
    HOME in a sandbox of this run."""
    before = _own_descendants()
    sessions_before = take_snapshot(p.pid for p in list_processes())
    yield
    left = (_own_descendants() - before) | daemons_left(sessions_before)
    # A process group the test killed on its way out may take a moment to
    # go: what is still there after a bounded wait was left running.
    for _ in range(LEFT_WAITS):
        if not left:
            break
        threading.Event().wait(0.1)
        left = (_own_descendants() - before) | daemons_left(sessions_before)
    if left:
        for pid in left:
            try:
                os.kill(pid, 9)
            except OSError:
                pass
        pytest.fail(f"processes left running after the test: {sorted(left)}")


# -- a realcli test starts a real CLI ------------------------------------------------------


def _children(pid: int) -> list[int]:
    """The children of ``pid``, of every one of its threads."""
    out: list[int] = []
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return out
    for tid in tasks:
        try:
            with open(f"/proc/{pid}/task/{tid}/children", encoding="ascii") as handle:
                out.extend(int(word) for word in handle.read().split())
        except OSError:
            continue
    return out


def cli_roots() -> list[str]:
    """The shared install folder of the pinned CLIs, as spelt and as resolved,
    and every folder its entries resolve to: every place a real CLI runs from."""
    base = cli_dir()
    roots = {base, os.path.realpath(base)}
    try:
        entries = os.listdir(base)
    except OSError:
        entries = []
    for entry in entries:
        real = os.path.realpath(os.path.join(base, entry))
        if not any(under(real, root) for root in roots):
            roots.add(real)
    return sorted(roots)


def runs_a_real_cli(pid: int, roots: list[str]) -> bool:
    """The process's program lies in a CLI install: its executable (a native
    CLI), or its first or second argument (a script run by node). A child
    forked by Python that has not yet started its own program does not count,
    though its arguments may name a CLI."""
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as handle:
            argv = [part.decode("utf-8", "replace") for part in handle.read().split(b"\x00")[:2] if part]
    except OSError:
        return False
    try:
        argv.append(os.readlink(f"/proc/{pid}/exe"))
    except OSError:
        pass
    return any(arg.startswith("/") and under(arg, root) for arg in argv for root in roots)


class RealCliWatch:
    """Watches, in a thread, the processes this test runner starts (children
    and their descendants) until one of them runs a real CLI. Sampled every
    few milliseconds: a CLI, node's start-up alone, lives far longer."""

    def __init__(self) -> None:
        self.roots = cli_roots()
        self.seen: str | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="real-cli-watch", daemon=True)

    def _run(self) -> None:
        me = os.getpid()
        while not self._stop.is_set():
            stack, looked = [me], set()
            while stack and self.seen is None:
                pid = stack.pop()
                for child in _children(pid):
                    if child in looked:
                        continue
                    looked.add(child)
                    if runs_a_real_cli(child, self.roots):
                        try:
                            with open(f"/proc/{child}/cmdline", "rb") as handle:
                                self.seen = handle.read().replace(b"\x00", b" ").decode("utf-8", "replace")
                        except OSError:
                            self.seen = str(child)
                    stack.append(child)
            if self.seen is not None:
                return
            self._stop.wait(0.005)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> str | None:
        self._stop.set()
        self._thread.join()
        return self.seen


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """Keeps whether the test's own call passed, for the fixture below."""
    report = yield
    if call.when == "call":
        item.stash[_CALL_PASSED] = report.passed
    return report


_CALL_PASSED = pytest.StashKey[bool]()


@pytest.fixture(autouse=True)
def realcli_started_a_real_cli(request: pytest.FixtureRequest) -> Iterator[None]:
    """A test marked ``realcli`` is counted as a test of a real CLI: it must
    start one (a pinned binary from the shared install, run by this test or
    by anything it starts). One that passed without doing so fails here."""
    if request.node.get_closest_marker("realcli") is None:
        yield
        return
    watch = RealCliWatch()
    before = _global_packages_stamp()
    watch.start()
    yield
    seen = watch.stop()
    if seen is None and request.node.stash.get(_CALL_PASSED, False):
        pytest.fail(f"marked realcli, but started no real CLI from {watch.roots}")
    after = _global_packages_stamp()
    if after != before:
        # A real CLI updated itself (or installed something) into the machine's
        # own npm packages: the suite must never change the machine it runs on.
        pytest.fail(f"the machine's global npm packages changed during the test: {before} -> {after}")


@functools.cache
def _global_npm_root() -> str | None:
    """The machine's global npm package folder (``npm root -g``), once."""
    try:
        done = subprocess.run(["npm", "root", "-g"], capture_output=True, text=True, timeout=30, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None
    root = done.stdout.strip()
    return root if done.returncode == 0 and os.path.isdir(root) else None


def _global_packages_stamp() -> tuple[tuple[str, int], ...]:
    """What is installed there, each package folder with its change time."""
    root = _global_npm_root()
    if root is None:
        return ()
    stamp = []
    for entry in sorted(os.listdir(root)):
        folders = [os.path.join(root, entry)]
        if entry.startswith("@"):
            folders = [os.path.join(root, entry, name) for name in sorted(os.listdir(folders[0]))]
        for folder in folders:
            try:
                stamp.append((folder, os.stat(folder).st_mtime_ns))
            except OSError:
                continue
    return tuple(stamp)
