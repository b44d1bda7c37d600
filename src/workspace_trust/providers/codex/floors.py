"""The first Codex version that honours its per-launch trust override."""

from __future__ import annotations

from workspace_trust.providers.override_floors import OverrideFloor

#: ``-c projects={"<path>"={trust_level="trusted"}}``: no dialog, nothing
#: persisted, on every version run (0.125.0, 0.166.0, 0.169.0 in the suite;
#: 0.171.0 too). 0.125.0 is also the oldest supported Codex: an older one is
#: refused before any patch matters.
OVERRIDE_FLOOR = OverrideFloor(
    "-c projects={...}",
    since="0.125.0",
    note=(
        "honoured on 0.125.0, 0.166.0, 0.169.0 and 0.171.0 (tests/providers/codex/test_real_codex.py); "
        "older ones were not run"
    ),
)
