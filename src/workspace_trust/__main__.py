"""``python -m workspace_trust``."""

from __future__ import annotations

import sys

from workspace_trust.cli import main

if __name__ == "__main__":
    sys.exit(main())
