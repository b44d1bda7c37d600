"""Shared fixtures: fresh HOMEs, pinned real CLIs, and a leak check after every test."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator

import pytest

from workspace_trust.adapters.processes import list_processes
from workspace_trust.testing import installed_cli

REAL_CLIS_ENV = "WORKSPACE_TRUST_REAL_CLIS"


def require_cli(name: str, version: str) -> str:
    """The pinned CLI's binary. Missing: a failure under ``./dev test``/CI, else a loud skip."""
    path = installed_cli(name, version)
    if path is None:
        message = f"real CLI {name} {version} is not installed; run `./dev clis` (looked in $WORKSPACE_TRUST_CLI_DIR)"
        if os.environ.get(REAL_CLIS_ENV) == "required":
            pytest.fail(message)
        pytest.skip(message)
    return path


@pytest.fixture
def sandbox() -> Iterator[str]:
    """A fresh folder for HOMEs and workspaces, outside the system temp folder.

    Codex 0.169.0 refuses to start its daemon under the system temp folder, so
    the sandbox lives under /var/tmp where available.
    """
    base = "/var/tmp" if os.path.isdir("/var/tmp") else None
    path = tempfile.mkdtemp(prefix="wt-test-", dir=base)
    try:
        yield os.path.realpath(path)
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


@pytest.fixture(autouse=True)
def no_process_left() -> Iterator[None]:
    """Fail any test that leaves a child process of the test runner alive."""
    before = _own_descendants()
    yield
    left = _own_descendants() - before
    if left:
        for pid in left:
            try:
                os.kill(pid, 9)
            except OSError:
                pass
        pytest.fail(f"processes left running after the test: {sorted(left)}")
