"""The guards run before the CLI starts; the folder can change while it starts
(a git repository made above it, the folder's path swapped for a link to
somewhere else), and the CLI then trusts what it finds. Whatever the session's
outcome, trust it left on the home folder, a folder above it or a root, which
the state did not hold before, is never a success."""

from __future__ import annotations

import json

import pytest

from tests.test_fake_execute import HOME, STATE, claude_dialog, fake_coordinator
from workspace_trust import (
    ExecutionResult,
    ExecutionStatus,
    Provider,
    WorkspaceSpec,
    WorkspaceStatus,
    WorkspaceTrustRequest,
)
from workspace_trust.domain.codes import Code
from workspace_trust.domain.paths import PathFacts
from workspace_trust.testing import FakeClock, FakeFileSystemFacts, FakePtySpawner, FakeStateFiles

PROJECT = f"{HOME}/project"


def run(written: str, filesystem: FakeFileSystemFacts | None = None) -> tuple[FakeStateFiles, ExecutionResult]:
    """Preflight PROJECT with a Claude whose trust option records ``written``."""
    clock = FakeClock()
    files = FakeStateFiles({STATE: json.dumps({"hasCompletedOnboarding": True}).encode()})
    spawner = FakePtySpawner(lambda spec: claude_dialog(files, spec.cwd, written), clock)
    request = WorkspaceTrustRequest(
        workspaces=(WorkspaceSpec(PROJECT),),
        providers=(Provider.CLAUDE,),
        env={"HOME": HOME, "PATH": "/usr/bin"},
        parallelism=1,
    )
    with fake_coordinator(files, spawner, clock, filesystem=filesystem) as coordinator:
        return files, coordinator.execute(coordinator.plan_full(request))


@pytest.mark.parametrize(
    ("written", "code"),
    [
        ("/home", Code.NOT_PERSISTABLE_HOME_ANCESTOR),
        ("/", Code.NOT_PERSISTABLE_ROOT),
        (HOME, Code.NOT_PERSISTABLE_HOME),
        ("/tmp", Code.NOT_PERSISTABLE_WORLD_WRITABLE),
        ("/dev/shm", Code.NOT_PERSISTABLE_WORLD_WRITABLE),
        ("/proc", Code.NOT_PERSISTABLE_PSEUDO_FILESYSTEM),
    ],
    ids=["above-home", "root", "home", "tmp", "shm", "proc"],
)
def test_trust_left_above_or_on_the_home_folder_is_never_a_success(written: str, code: Code) -> None:
    files, result = run(written)
    assert json.loads(files.files[STATE])["projects"] == {written: {"hasTrustDialogAccepted": True}}
    (row,) = result.results
    assert (row.status, row.code) == (WorkspaceStatus.BLOCKED, code)
    assert result.status is ExecutionStatus.BLOCKED
    assert any(d.code is code and repr(written) in d.message and STATE in d.message for d in row.diagnostics)


def test_a_session_that_trusts_exactly_its_folder_is_not_blamed() -> None:
    files, result = run(PROJECT)
    (row,) = result.results
    assert (row.status, row.code, row.trusted_key) == (WorkspaceStatus.ACCEPTED, None, PROJECT)
    assert set(json.loads(files.files[STATE])["projects"]) == {PROJECT}


#: HOME is a link to this folder.
REAL_HOME = "/data/ana"
LINKED_HOME = FakeFileSystemFacts(
    {HOME: PathFacts(absolute=HOME, real=REAL_HOME, home=HOME, real_home=REAL_HOME, exists=True, is_dir=True)}
)


@pytest.mark.parametrize(
    ("written", "filesystem", "code"),
    [
        (REAL_HOME, LINKED_HOME, Code.NOT_PERSISTABLE_HOME),
        ("/data", LINKED_HOME, Code.NOT_PERSISTABLE_HOME_ANCESTOR),
        ("/srv/ana", FakeFileSystemFacts(account_homes=("/srv/ana",)), Code.NOT_PERSISTABLE_HOME),
        ("/srv", FakeFileSystemFacts(account_homes=("/srv/ana",)), Code.NOT_PERSISTABLE_HOME_ANCESTOR),
    ],
    ids=["resolved-home", "above-resolved-home", "account-home", "above-account-home"],
)
def test_the_resolved_home_and_the_accounts_own_are_guarded_too(
    written: str, filesystem: FakeFileSystemFacts, code: Code
) -> None:
    """HOME reached through a link: the CLI may key trust by the real folder.
    The account's home from the password database is a home as well."""
    files, result = run(written, filesystem)
    assert json.loads(files.files[STATE])["projects"] == {written: {"hasTrustDialogAccepted": True}}
    (row,) = result.results
    assert (row.status, row.code) == (WorkspaceStatus.BLOCKED, code)


def test_a_key_is_compared_with_the_homes_as_a_folder_not_as_text() -> None:
    """Claude keys a Windows folder with '/' (``C:/Users/u``); it is the home
    ``C:\\Users\\u``, and ``c:/users/U`` is too (Windows paths ignore case)."""
    from workspace_trust.domain.outcomes import widened_result
    from workspace_trust.domain.paths import HostOs
    from workspace_trust.domain.policy import same_folder
    from workspace_trust.domain.results import WorkspaceResult

    home = "C:\\Users\\u"
    assert same_folder("C:/Users/u", home, HostOs.WINDOWS)
    assert same_folder("c:/users/U", home, HostOs.WINDOWS)
    assert not same_folder("/home/U", "/home/u", HostOs.LINUX)
    row = WorkspaceResult(Provider.CLAUDE, "w", "C:\\Users\\u\\w", "C:\\Users\\u\\w", WorkspaceStatus.ACCEPTED)
    blocked = widened_result(row, ["C:/Users/u"], {home}, HostOs.WINDOWS, None)
    assert (blocked.status, blocked.code) == (WorkspaceStatus.BLOCKED, Code.NOT_PERSISTABLE_HOME)
    above = widened_result(row, ["C:/Users/u", "C:/Users"], {home}, HostOs.WINDOWS, None)
    assert above.code is Code.NOT_PERSISTABLE_HOME_ANCESTOR
