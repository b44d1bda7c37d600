"""The first Gemini CLI version that honours its per-launch trust override."""

from __future__ import annotations

from workspace_trust.providers.gemini.probe import TRUST_ENV
from workspace_trust.providers.override_floors import OverrideFloor

#: ``GEMINI_CLI_TRUST_WORKSPACE=true``: the folder is trusted for the session.
#: The variable is in the npm bundle from 0.39.1 on, and not in 0.39.0's (nor
#: 0.38.2's, 0.30.0's, 0.20.0's); the real 0.39.0 shows the dialog with it set
#: and 0.39.1 does not (tests/providers/gemini/test_real_gemini.py).
OVERRIDE_FLOOR = OverrideFloor(
    f"{TRUST_ENV}=true",
    since="0.39.1",
    ignored_by="0.39.0",
    note="in the bundle from 0.39.1; 0.39.0 asks with it set, 0.39.1, 0.45.2 and 0.61.0 do not",
)
