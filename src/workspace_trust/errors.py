"""The library's one small error family (defined in ``domain.errors``, pure)."""

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

__all__ = [
    "BinaryMissingError",
    "LockTimeoutError",
    "PathError",
    "PreflightCancelled",
    "PtyUnavailableError",
    "StateFileError",
    "WorkspaceTrustError",
]
