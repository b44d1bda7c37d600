"""workspace-trust: prepare exactly the selected folders for headless AI coding CLIs."""

from __future__ import annotations

__version__ = "0.1.0"
