"""The library's one small error family. Pure values.

Every error the library raises inside itself is a :class:`WorkspaceTrustError`
carrying its diagnostic ``code``. Third-party exceptions (ptyprocess, filelock,
tomllib, json, OSError) are translated into these at the adapter edge, and one
handler at the strategy edge turns any of them into a result with that code, so
callers of ``execute`` never see a raise for a trust problem.
"""

from __future__ import annotations

from workspace_trust.domain.codes import Code


class WorkspaceTrustError(Exception):
    code: Code = Code.INTERNAL_ERROR

    def __init__(self, message: str, *, code: Code | None = None) -> None:
        super().__init__(message)
        if code is not None:
            self.code = code


class PathError(WorkspaceTrustError, ValueError):
    """A path that cannot name a workspace (empty, relative without a base, NUL)."""

    code = Code.WORKSPACE_PATH_INVALID


class PtyUnavailableError(WorkspaceTrustError):
    code = Code.PTY_UNAVAILABLE


class BinaryMissingError(WorkspaceTrustError):
    code = Code.PROVIDER_BINARY_MISSING


class LockTimeoutError(WorkspaceTrustError):
    code = Code.LOCK_TIMEOUT


class PreflightCancelled(WorkspaceTrustError):
    """The caller cancelled while the library was waiting (for a lock, a
    command, a provider's lock). Not :class:`asyncio.CancelledError`."""

    code = Code.CANCELLED


class StateFileError(WorkspaceTrustError):
    """A provider state file that cannot be read safely; ``code`` says why."""
