"""How each Qwen Code version decides a folder's trust from its
``trustedFolders.json`` rules: data per version range, read from each
version's bundle and checked on the real CLIs (tests/test_real_lookup.py).

* up to 0.15.10 (``isPathTrusted``, seen on 0.15.6 and 0.15.10): a TRUST_FOLDER
  or TRUST_PARENT rule covering the folder trusts it, whatever else says; a
  DO_NOT_TRUST rule counts only on the exact folder (below it Qwen asks); rule
  paths are compared as written (a rule naming a link to the folder does not
  cover it: Qwen asks).
* 0.21.2 (``isPathTrusted`` with ``getPathComparisonVariants``, seen on 0.21.2):
  the same, but a rule counts by its real path too (a rule naming a link covers
  the target).
* from 0.21.10 (``resolveTrustRule``, seen on 0.21.10 and 0.24.4): every rule
  covering the folder counts at its depth, its path as written and its real
  path (a rule naming a link covers the target); the deepest wins, and at
  equal depth DO_NOT_TRUST, which also covers the folders below it.

A version this package does not know (unreadable, or newer than every
verified version) trusts only where every known version trusts, and is refused
wherever the newer rules refuse.
"""

from __future__ import annotations

import attrs

from workspace_trust.providers.versions import VersionRange, by_version


@attrs.frozen(slots=True)
class QwenLookup:
    #: ``resolveTrustRule`` (0.21.10+); False: ``isPathTrusted`` (0.15.x, 0.21.2).
    deepest_rule_wins: bool
    #: A rule counts by its real path too (0.21.2+).
    resolves_links: bool = True
    #: A version not known: trusted only where every lookup above trusts.
    every_known: bool = False


LOOKUPS: tuple[VersionRange[QwenLookup], ...] = (
    VersionRange(None, "0.15.10", QwenLookup(deepest_rule_wins=False, resolves_links=False)),
    VersionRange("0.21.2", "0.21.9", QwenLookup(deepest_rule_wins=False)),
    VersionRange("0.21.10", None, QwenLookup(deepest_rule_wins=True)),
)

#: For a version this package does not know.
STRICTEST = QwenLookup(deepest_rule_wins=True, every_known=True)


def qwen_lookup(version: str | None) -> QwenLookup:
    """The lookup of Qwen Code ``version`` (None: not known)."""
    from workspace_trust.providers.qwen.spec import SPEC

    return by_version(LOOKUPS, version, known_up_to=SPEC.verified_versions, strictest=STRICTEST)
