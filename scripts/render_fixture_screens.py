"""Rewrite the golden screens of recorded fixtures from their ``.input`` bytes.

Usage: .venv/bin/python scripts/render_fixture_screens.py [FIXTURE.json ...]

Without arguments, every fixture under fixtures/snapshots/ is rendered. Each
``<scenario>.screens.txt`` holds the screen after every checkpoint's event, as
the renderer draws it now (``workspace_trust.fixtures.render_screens``);
``tests/test_fixture_replay.py`` fails with a diff when the rendering changes.
Run this after a deliberate renderer change and review the diff it leaves.
"""

from __future__ import annotations

import glob
import os
import sys

from workspace_trust.fixtures import load_fixture, render_screens, screens_path

ROOT = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "fixtures", "snapshots")


def main(argv: list[str]) -> int:
    paths = argv or sorted(glob.glob(os.path.join(ROOT, "*", "*", "*.json")))
    for path in paths:
        target = screens_path(path)
        text = render_screens(load_fixture(path))
        try:
            with open(target, encoding="utf-8") as handle:
                old = handle.read()
        except FileNotFoundError:
            old = None
        if old == text:
            continue
        with open(target, "w", encoding="utf-8") as handle:
            handle.write(text)
        print(f"{'wrote' if old is None else 'updated'} {os.path.relpath(target)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
