"""The library's one small error family.

Third-party exceptions (ptyprocess, filelock, tomllib, json, OSError) are
translated into these at the adapter edge; the coordinator turns them into
results with diagnostic codes, so callers of ``execute`` never see a raise for
a trust problem.
"""

from __future__ import annotations

from workspace_trust.domain.codes import Code


class WorkspaceTrustError(Exception):
    code: Code = Code.INTERNAL_ERROR

    def __init__(self, message: str, *, code: Code | None = None) -> None:
        super().__init__(message)
        if code is not None:
            self.code = code


class PtyUnavailableError(WorkspaceTrustError):
    code = Code.PTY_UNAVAILABLE


class BinaryMissingError(WorkspaceTrustError):
    code = Code.PROVIDER_BINARY_MISSING


class LockTimeoutError(WorkspaceTrustError):
    code = Code.LOCK_TIMEOUT


class CancelledError(WorkspaceTrustError):
    code = Code.CANCELLED
