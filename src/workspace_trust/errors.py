"""The library's one small error family (defined in ``domain.errors``, pure).

``CancelledError`` is the old name of :class:`PreflightCancelled`, kept so
existing ``except`` clauses still work; new code uses ``PreflightCancelled``.
"""

from __future__ import annotations

from workspace_trust.domain.errors import (
    BinaryMissingError,
    LockTimeoutError,
    PathError,
    PreflightCancelled,
    PtyUnavailableError,
    StateFileError,
    WorkspaceTrustError,
)

CancelledError = PreflightCancelled

__all__ = [
    "BinaryMissingError",
    "CancelledError",
    "LockTimeoutError",
    "PathError",
    "PreflightCancelled",
    "PtyUnavailableError",
    "StateFileError",
    "WorkspaceTrustError",
]
