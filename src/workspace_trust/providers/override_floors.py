"""The first CLI version that honours each per-launch override.

Each provider folder with a per-launch patch keeps its own ``OVERRIDE_FLOOR``
(an :class:`OverrideFloor`, found on the real CLI), named by its strategy's
``override_floor``. Below that version the CLI ignores the override (the
launch would meet the trust dialog anyway), so the plan does not offer the
patch and each folder's row says why (``override_unsupported_by_cli_version``).
A version that cannot be told without starting anything is no verdict: the
patch is offered, as a launch of an unknown version is taken to be new.
"""

from __future__ import annotations

import attrs

from workspace_trust.domain.codes import Code, Provider
from workspace_trust.domain.results import Diagnostic
from workspace_trust.providers.versions import at_least

__all__ = ["OverrideFloor", "below_floor"]


@attrs.frozen(slots=True)
class OverrideFloor:
    """One per-launch override and the versions known to honour it."""

    #: The override as a host passes it (a flag, a variable).
    override: str
    #: The first version that honours it, of the versions run.
    since: str
    #: The newest version seen ignoring it, below ``since`` (documentation).
    ignored_by: str | None = None
    #: How it was established, in a line (docs/providers.md).
    note: str = ""


def below_floor(
    floor: OverrideFloor, version: str | None, provider: Provider, display_name: str, workspace_id: str | None = None
) -> Diagnostic | None:
    """The ``override_unsupported_by_cli_version`` diagnostic where ``version``
    is older than ``floor.since``; None where it is not, or is unknown."""
    if at_least(version, floor.since) is not False:
        return None
    ignored = f"; {floor.ignored_by} ignores it" if floor.ignored_by else ""
    return Diagnostic(
        Code.OVERRIDE_VERSION_UNSUPPORTED,
        f"{display_name} {version} does not honour {floor.override} (honoured from {floor.since}{ignored}): "
        "no patch is offered for this folder; update the CLI, or prepare the folder with a preflight",
        provider,
        workspace_id,
    )
