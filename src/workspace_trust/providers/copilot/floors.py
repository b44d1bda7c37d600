"""The first Copilot CLI version that honours its per-launch trust switch."""

from __future__ import annotations

from workspace_trust.providers.copilot.switches import TRUST_FOLDER
from workspace_trust.providers.override_floors import OverrideFloor

#: The changelog has it from 1.0.99 (a 1.0.99-1 prerelease, then 1.0.100); on
#: npm, 1.0.92 is the last release without it and 1.0.102 the next one.
OVERRIDE_FLOOR = OverrideFloor(
    TRUST_FOLDER,
    since="1.0.99",
    note="listed by 1.0.102's --help, not by 1.0.80's, 1.0.89's or 1.0.92's (1.0.89 takes it for prompt words)",
)
