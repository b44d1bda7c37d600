"""The command line's exit codes, public so a host can name them.

The same with or without ``--json`` (docs/cli.md, "Exit codes"). A Python host
that runs the library itself can map its own result the same way with
:meth:`ExitCode.for_status`.
"""

from __future__ import annotations

import enum

from workspace_trust.domain.codes import ExecutionStatus

__all__ = ["ExitCode"]


class ExitCode(enum.IntEnum):
    """``workspace-trust``'s exit status."""

    #: Every folder is trusted, needs no trust, or was deliberately skipped.
    OK = 0
    #: Trust could not be prepared; the launch might still work.
    SOFT_FAILED = 1
    #: Bad command-line input; nothing was done.
    USAGE = 2
    #: A deterministic setup problem a retry cannot fix (home or root folder, login, ...).
    BLOCKED = 3
    #: Cancelled by a signal (or the host); what was started has been killed.
    CANCELLED = 130

    @classmethod
    def for_status(cls, status: ExecutionStatus) -> ExitCode:
        """The exit code the command line gives an overall ``status``."""
        return _BY_STATUS[status]


_BY_STATUS = {
    ExecutionStatus.OK: ExitCode.OK,
    ExecutionStatus.SOFT_FAILED: ExitCode.SOFT_FAILED,
    ExecutionStatus.BLOCKED: ExitCode.BLOCKED,
    ExecutionStatus.CANCELLED: ExitCode.CANCELLED,
}
