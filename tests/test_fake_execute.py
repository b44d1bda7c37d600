"""A whole ``execute`` on ``workspace_trust.testing``'s fakes alone: no real HOME,
no executable on disk, no monkeypatching of ``open``, ``os`` or ``tempfile``,
and, checked with an audit hook, no file opened, made or removed at all."""

from __future__ import annotations

import json
import os
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import workspace_trust
from workspace_trust import (
    ExecutionStatus,
    Key,
    Provider,
    WorkspaceSpec,
    WorkspaceStatus,
    WorkspaceTrustCoordinator,
    WorkspaceTrustRequest,
)
from workspace_trust.ports import SpawnSpec
from workspace_trust.testing import (
    FakeBinaryLocator,
    FakeClock,
    FakeFileSystemFacts,
    FakeHelpReader,
    FakeLocks,
    FakeProviderLockFiles,
    FakePtySpawner,
    FakeScratchSpace,
    FakeScreen,
    FakeStateFiles,
    FakeTui,
)

HOME = "/home/ana"
STATE = f"{HOME}/.claude.json"
FILE_EVENTS = frozenset(
    {
        "open",
        "os.mkdir",
        "os.remove",
        "os.rename",
        "os.rmdir",
        "os.listdir",
        "os.scandir",
        "os.truncate",
        "shutil.rmtree",
        "shutil.copyfile",
        "tempfile.mkdtemp",
        "tempfile.mkstemp",
        "subprocess.Popen",
        "os.fork",
        "os.forkpty",
        "os.exec",
        "os.posix_spawn",
    }
)

_watching = threading.Event()
_seen: list[tuple[str, str]] = []
#: Where Python reads modules from: the environment, the standard library, and
#: the folder the package itself is imported from (a source checkout).
_MODULE_ROOTS = tuple(
    dict.fromkeys((sys.prefix, sys.base_prefix, os.path.dirname(os.path.dirname(workspace_trust.__file__))))
)


def _hook(event: str, args: tuple[Any, ...]) -> None:
    if not _watching.is_set() or event not in FILE_EVENTS:
        return
    target = str(args[0]) if args else ""
    # Python reading its own modules (a lazy import, which lists the package's
    # folder) is not the library's doing.
    if target.endswith((".py", ".pyc", ".so")) or target.startswith(_MODULE_ROOTS):
        return
    _seen.append((event, target))


sys.addaudithook(_hook)


@contextmanager
def file_system_watched() -> Iterator[list[tuple[str, str]]]:
    _seen.clear()
    _watching.set()
    try:
        yield _seen
    finally:
        _watching.clear()


def claude_dialog(files: FakeStateFiles, cwd: str, written: str | None = None) -> FakeTui:
    """Claude's 2.1.248+ dialog; its trust option records ``written`` (the
    folder it runs in, by default) in ``files``' .claude.json."""

    def trust() -> None:
        doc = json.loads(files.files[STATE])
        doc.setdefault("projects", {})[written or cwd] = {"hasTrustDialogAccepted": True}
        files.put(STATE, json.dumps(doc).encode())

    return FakeTui(
        screens={
            "trust": FakeScreen(
                lines=(" Accessing workspace:", "", f" {cwd}", "", " Quick safety check: Is this a project you trust?"),
                options=("No, exit", "Yes, I trust this folder"),
                footer=("", " Enter to confirm · Esc to cancel"),
                on_enter={0: "exit:1", 1: "main"},
                effects={1: trust},
            ),
            "main": FakeScreen(lines=("> ", "  ? for shortcuts")),
        },
        current="trust",
    )


def fake_coordinator(
    files: FakeStateFiles,
    spawner: FakePtySpawner,
    clock: FakeClock,
    scratch: FakeScratchSpace | None = None,
    filesystem: FakeFileSystemFacts | None = None,
    *,
    help_reader: FakeHelpReader | None = None,
) -> WorkspaceTrustCoordinator:
    """A coordinator on ``workspace_trust.testing``'s fakes alone, with ``claude`` on PATH."""
    return WorkspaceTrustCoordinator(
        spawner=spawner,
        clock=clock,
        locks=FakeLocks(),
        filesystem=filesystem or FakeFileSystemFacts(),
        help_reader=help_reader or FakeHelpReader(),
        provider_locks=FakeProviderLockFiles(clock),
        state_files=files,
        binary_locator=FakeBinaryLocator({"claude"}),
        scratch=scratch or FakeScratchSpace(),
    )


def test_a_whole_execute_runs_on_the_fakes_and_touches_no_file() -> None:
    clock = FakeClock()
    files = FakeStateFiles({STATE: json.dumps({"hasCompletedOnboarding": True}).encode()})
    scratch = FakeScratchSpace()

    def tui(spec: SpawnSpec) -> FakeTui:
        return claude_dialog(files, spec.cwd)

    spawner = FakePtySpawner(tui, clock)
    coordinator = fake_coordinator(files, spawner, clock, scratch)
    request = WorkspaceTrustRequest(
        workspaces=(WorkspaceSpec(f"{HOME}/project"), WorkspaceSpec(HOME)),
        providers=(Provider.CLAUDE,),
        env={"HOME": HOME, "PATH": "/usr/bin"},
        parallelism=1,
    )
    with coordinator, file_system_watched() as touched:
        plan = coordinator.plan_full(request)
        result = coordinator.execute(plan)
    assert touched == []
    assert result.status is ExecutionStatus.BLOCKED  # the home folder, refused up front
    project = next(r for r in result.results if r.workspace == f"{HOME}/project")
    assert (project.status, project.keys) == (WorkspaceStatus.ACCEPTED, (Key.DOWN, Key.ENTER))
    assert json.loads(files.files[STATE])["projects"] == {f"{HOME}/project": {"hasTrustDialogAccepted": True}}
    (session,) = spawner.sessions
    assert session.spec.argv[0] == "/fake/bin/claude" and "--strict-mcp-config" in session.spec.argv
    # The session's empty MCP config went to a scratch folder, removed afterwards.
    assert scratch.folders == {} and len(scratch.removed) == 1


def test_the_watch_sees_a_file_the_library_would_open(tmp_path: Any) -> None:
    """The check above can fail: an open in the watched window is recorded."""
    path = os.path.join(str(tmp_path), "x")
    with file_system_watched() as touched, open(path, "w", encoding="utf-8") as handle:
        handle.write("x")
    assert ("open", path) in touched
