"""Fakes for every port, so hosts can test their integration without a real CLI.

* :class:`FakeClock` – time that moves only when something sleeps or reads.
* :class:`FakeTui` / :class:`FakePtySpawner` – a scripted provider screen with
  menus, a cursor, wrap-around, dropped keys and a key log.
* :class:`FakeStateProbe` – a provider state file in memory.
* :class:`FakeLocks` – an in-memory lock port that records what was held.
* :class:`FakeProviderLockFiles` – a provider's own lock files, aged by the fake clock.
* :func:`check_pty_port` – the contract every PTY session keeps, to run on a
  fake and on a real one alike.

The library's own tests use these; they are public API. This package is their
one home: the fakes are kept by port in private modules (``_clock``, ``_pty``,
``_files``, ``_binary``). The real CLIs a test can run instead are found by
:mod:`workspace_trust.installed_clis`.
"""

from workspace_trust.testing._binary import FakeBinaryLocator as FakeBinaryLocator
from workspace_trust.testing._binary import FakeHelpReader as FakeHelpReader
from workspace_trust.testing._binary import all_protected_help as all_protected_help
from workspace_trust.testing._clock import FakeClock as FakeClock
from workspace_trust.testing._files import FakeFileSystemFacts as FakeFileSystemFacts
from workspace_trust.testing._files import FakeLocks as FakeLocks
from workspace_trust.testing._files import FakeProviderLockFiles as FakeProviderLockFiles
from workspace_trust.testing._files import FakeScratchSpace as FakeScratchSpace
from workspace_trust.testing._files import FakeStateFiles as FakeStateFiles
from workspace_trust.testing._files import FakeStateProbe as FakeStateProbe
from workspace_trust.testing._pty import FakePtySession as FakePtySession
from workspace_trust.testing._pty import FakePtySpawner as FakePtySpawner
from workspace_trust.testing._pty import FakeScreen as FakeScreen
from workspace_trust.testing._pty import FakeTui as FakeTui
from workspace_trust.testing._pty import check_pty_port as check_pty_port

__all__ = [
    "FakeBinaryLocator",
    "FakeClock",
    "FakeFileSystemFacts",
    "FakeHelpReader",
    "FakeLocks",
    "FakeProviderLockFiles",
    "FakePtySession",
    "FakePtySpawner",
    "FakeScratchSpace",
    "FakeScreen",
    "FakeStateFiles",
    "FakeStateProbe",
    "FakeTui",
]
