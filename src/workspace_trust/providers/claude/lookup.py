"""How each Claude Code version finds a folder's trust in ``.claude.json``:
which project keys count for the folder it runs in. Data per version range,
measured on the real CLIs (docs/providers.md, "Claude Code: the trust lookup";
tests/test_real_lookup.py checks every pinned version against the probe).

Every version looks at the real path of the folder it runs in (a key naming a
symbolic link counts for nothing) and at the folders above it, nearest first;
what differs is where that walk stops and whether a linked worktree counts as
its main checkout:

* up to 2.1.62: every folder above, up to the filesystem root; a linked
  worktree is its own project (2.1.19 and 2.1.62 ask in a worktree of a trusted
  main checkout);
* 2.1.63 to 2.1.231: the same walk, and a linked worktree is also trusted
  through its main checkout's key;
* from 2.1.232: the walk stops at the nearest git repository root (a folder
  holding ``.git``, a directory or a worktree's file): a repository below a
  trusted folder that is not itself in it is asked about, and so is a nested
  repository below a trusted outer one (2.1.232, 2.1.330, 2.1.332, 2.1.337).
  A linked worktree is still trusted through its main checkout.

A version this package does not know (unreadable, or newer than every verified
version) gets the strictest of these: the walk that stops at the git root, and
no trust through a main checkout.
"""

from __future__ import annotations

import attrs

from workspace_trust.providers.versions import VersionRange, by_version


@attrs.frozen(slots=True)
class ClaudeLookup:
    #: The walk up from the folder stops at its nearest git repository root.
    stops_at_git_root: bool
    #: A linked worktree is trusted through its main checkout's key.
    worktree_main_checkout: bool


LOOKUPS: tuple[VersionRange[ClaudeLookup], ...] = (
    VersionRange(None, "2.1.62", ClaudeLookup(stops_at_git_root=False, worktree_main_checkout=False)),
    VersionRange("2.1.63", "2.1.231", ClaudeLookup(stops_at_git_root=False, worktree_main_checkout=True)),
    VersionRange("2.1.232", None, ClaudeLookup(stops_at_git_root=True, worktree_main_checkout=True)),
)

#: For a version this package does not know: what every known version trusts, no more.
STRICTEST = ClaudeLookup(stops_at_git_root=True, worktree_main_checkout=False)


def claude_lookup(version: str | None) -> ClaudeLookup:
    """The lookup of Claude Code ``version`` (None: not known)."""
    from workspace_trust.providers.claude.spec import SPEC

    return by_version(LOOKUPS, version, known_up_to=SPEC.verified_versions, strictest=STRICTEST)
