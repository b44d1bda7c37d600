"""A provider's probe as a pure parse behind the ``StateFiles`` port.

Each provider names its pure probe in its spec (``ProviderSpec.parse_state``):
the state file's bytes (None when it does not exist) in, what they say about a
workspace out, with no I/O. :class:`FileStateProbe` is the I/O around it: it
reads one state file through the port (regular files only, never blocking,
bounded) and hands the bytes over. A provider whose file needs more (a torn-read
retry, a scan in bounded memory) writes its own probe and decides with the same
parse.
"""

from __future__ import annotations

from collections.abc import Callable

from workspace_trust.adapters.statefile import LocalStateFiles
from workspace_trust.domain.codes import Code, Provider, TrustState
from workspace_trust.domain.errors import StateFileError
from workspace_trust.domain.paths import Workspace
from workspace_trust.domain.results import Diagnostic, ProbeResult
from workspace_trust.ports import StateFiles, StateProbe

#: The pure probe: a state file's bytes (None: no such file) -> the workspace's trust.
StateParser = Callable[[bytes | None, Workspace], ProbeResult]


class FileStateProbe(StateProbe):
    """Reads one state file through the ``StateFiles`` port and decides with a pure parse."""

    def __init__(
        self,
        path: str | None,
        *,
        provider: Provider,
        what: str,
        limit: int,
        parse: StateParser,
        files: StateFiles | None = None,
        no_path: str = "no HOME to find the state file",
    ) -> None:
        self.path = path
        self.provider = provider
        self.what = what
        self.limit = limit
        self.parse = parse
        self.no_path = no_path
        self._files = files or LocalStateFiles()

    def read_trust(self, workspace: Workspace) -> ProbeResult:
        if self.path is None:
            return self._unknown(workspace, Code.STATE_FILE_MISSING, self.no_path)
        try:
            data = self._files.read(self.path, self.what, self.limit)
        except StateFileError as exc:
            return self._unknown(workspace, exc.code, str(exc))
        return self.parse(data, workspace)

    def _unknown(self, workspace: Workspace, code: Code, message: str) -> ProbeResult:
        return ProbeResult(TrustState.UNKNOWN, diagnostics=(Diagnostic(code, message, self.provider, workspace.id),))
