"""The first Qwen Code version that honours its per-launch trust override."""

from __future__ import annotations

from workspace_trust.providers.override_floors import OverrideFloor
from workspace_trust.providers.qwen.settings import TRUSTED_FOLDERS_ENV

#: ``QWEN_CODE_TRUSTED_FOLDERS_PATH`` naming a private trusted-folders file.
#: 0.10.1 reads ``GEMINI_CLI_TRUSTED_FOLDERS_PATH`` instead (its bundle names
#: no QWEN_CODE_ variable for it) and shows the dialog with the patch; 0.12.0,
#: the next release on npm, reads it and shows none (tests/providers/qwen/test_real_qwen.py).
OVERRIDE_FLOOR = OverrideFloor(
    TRUSTED_FOLDERS_ENV,
    since="0.12.0",
    ignored_by="0.10.1",
    note=(
        "0.10.1 shows the dialog with it set; 0.12.0, 0.15.6 and 0.24.4 do not (tests/providers/qwen/test_real_qwen.py)"
    ),
)
