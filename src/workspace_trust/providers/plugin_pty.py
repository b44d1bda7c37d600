"""The PTY provider base a third party's plug-in subclasses (published as
``workspace_trust.plugin.PtyProvider``).

It is the built-ins' base with one difference: when the CLI shows a trust
dialog that no rule recognises, or a trust option no rule accepts, the result
sends the user to the plug-in that owns the rules, named by its installed
distribution. Those rules, not this package's, need the new screen; a report
to this package could not fix them.
"""

from __future__ import annotations

from collections.abc import Mapping

from workspace_trust.providers import plugin_distribution, pty_strategy
from workspace_trust.session import SessionEnd

__all__ = ["PtyProvider"]


class PtyProvider(pty_strategy.PtyProvider):
    """What a plug-in's CLI contributes to the PTY strategy. Subclass it, set
    ``provider`` and ``flag``, and implement the abstract methods; wrap an
    instance in ``PtyTrustStrategy``."""

    def messages(self) -> Mapping[SessionEnd, str]:
        """The messages of the sessions' ends that differ from the built-ins'.
        A subclass that adds its own keeps these: ``{**super().messages(), ...}``."""
        distribution = plugin_distribution(self.provider)
        owner = f"the {distribution} plug-in" if distribution else f"the plug-in that adds {self.provider.value!r}"
        record = f"Record it with `workspace-trust record --provider {self.provider.value}` and report it to {owner}"
        return {
            SessionEnd.UNKNOWN_DIALOG: (
                f"the CLI shows what looks like a trust dialog that no rule of {owner} recognises; no key was sent. "
                f"{record}, whose dialog rules need the new screen"
            ),
            SessionEnd.UNKNOWN_OPTION: (
                f"the CLI shows a trust dialog whose options no rule of {owner} accepts (a new label, or the trust "
                f"option missing); Enter was not pressed. {record}, whose dialog rules need the new screen"
            ),
        }
