"""Fakes of the ports that find and ask the provider's binary: where it is,
its ``--help`` and its version."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from workspace_trust.errors import PreflightCancelled
from workspace_trust.ports import BinaryLocator, HelpReader, IsCancelled
from workspace_trust.providers import all_specs
from workspace_trust.testing._clock import FakeClock


class FakeBinaryLocator(BinaryLocator):
    """Executables that exist only here: ``FakeBinaryLocator({"mycli"})`` finds
    ``mycli`` on any PATH as ``/fake/bin/mycli``, and that path is executable."""

    def __init__(self, names: Iterable[str] = (), *, folder: str = "/fake/bin") -> None:
        self.folder = folder
        self.names = set(names)

    def is_executable(self, path: str) -> bool:
        return path.startswith(self.folder + "/") and path.rsplit("/", 1)[1] in self.names

    def which(self, name: str, search_path: str) -> str | None:
        return f"{self.folder}/{name}" if name in self.names else None


def all_protected_help() -> str:
    """A ``--help`` text naming every flag a registered provider's protected command needs."""
    return " ".join(spec.protected_help for spec in all_specs() if spec.protected_help)


class FakeHelpReader(HelpReader):
    """Returns a fixed ``--help`` text (by default one that lists every flag any
    registered provider's protected command needs: ``ProviderSpec.protected_help``).

    With a ``clock``, each read takes ``takes_ms`` of it; a read that would take
    longer than its ``timeout_ms`` stops there and returns None, as a command
    cut short by its deadline does. A cancelled read raises ``PreflightCancelled``.
    """

    def __init__(
        self,
        text: str | object | None = ...,
        *,
        clock: FakeClock | None = None,
        takes_ms: int = 0,
        version: str | None = None,
    ) -> None:
        self.text: str | None = all_protected_help() if text is ... else text  # type: ignore[assignment]
        #: What ``read_version`` answers (None: the version cannot be told).
        self.version = version
        self.version_calls: list[str] = []
        self.clock = clock
        self.takes_ms = takes_ms
        self.calls: list[str] = []
        #: The ``timeout_ms`` of each read.
        self.timeouts: list[int] = []

    def read_help(
        self, binary: str, env: Mapping[str, str], timeout_ms: int, *, is_cancelled: IsCancelled
    ) -> str | None:
        self.calls.append(binary)
        self.timeouts.append(timeout_ms)
        if is_cancelled():
            raise PreflightCancelled("cancelled while reading --help")
        if self.clock is not None:
            self.clock.advance(max(0, min(self.takes_ms, timeout_ms)))
        if self.takes_ms > timeout_ms:
            return None
        return self.text

    def read_version(
        self, binary: str, env: Mapping[str, str], timeout_ms: int, *, is_cancelled: IsCancelled
    ) -> str | None:
        self.version_calls.append(binary)
        if is_cancelled():
            raise PreflightCancelled("cancelled while reading the version")
        return self.version

    def known_version(self, binary: str) -> str | None:
        self.version_calls.append(binary)
        return self.version
