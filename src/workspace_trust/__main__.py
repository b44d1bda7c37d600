"""``python -m workspace_trust``."""

from __future__ import annotations

from workspace_trust.cli import run

if __name__ == "__main__":
    run()
