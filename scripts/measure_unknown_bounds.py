"""Measure, over every recorded fixture, what bounds the early end on an unknown screen.

Usage: .venv/bin/python scripts/measure_unknown_bounds.py [FIXTURE.json ...]

For each fixture the recorded output is rendered event by event, as recorded
(no keys are replayed: the recording's own keys are in it). It prints:

* the longest time a frame that no rule recognises, and that looks like a trust
  question (``engine/candidate.py``), stayed unchanged before the screen changed
  (``EngineTiming.unknown_dialog_settle_ms`` must stay above it);
* the longest time any other non-blank unrecognised frame stayed unchanged
  before a recognised screen came, and the spawn-to-first-recognised time
  (``EngineTiming.unknown_screen_after_ms`` must stay above them).

Frames at the very end of a recording (nothing came after them) are listed
apart: they are where a session would end anyway.
"""

from __future__ import annotations

import glob
import os
import sys

from workspace_trust.adapters.screen import ScreenRenderer
from workspace_trust.domain.codes import Provider
from workspace_trust.engine.candidate import is_candidate_dialog
from workspace_trust.engine.dialog import best_match
from workspace_trust.engine.snapshot import TerminalSnapshot
from workspace_trust.fixtures import load_fixture
from workspace_trust.providers import rule_tables

ROOT = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "fixtures", "snapshots")


def measure(path: str) -> dict[str, int | None]:
    fixture = load_fixture(path)
    table = rule_tables()[Provider(fixture.provider)]
    renderer = ScreenRenderer(columns=fixture.columns, lines=fixture.rows)
    # (since_ms, lines, recognised, candidate)
    current: tuple[int, tuple[str, ...], bool, bool] | None = None
    out: dict[str, int | None] = {"candidate_still_ms": 0, "other_still_ms": 0, "first_recognised_ms": None}
    end_ms = fixture.events[-1].t if fixture.events else 0
    tail: tuple[int, bool, bool] | None = None

    def close(at: int) -> None:
        if current is None:
            return
        since, lines, recognised, candidate = current
        if recognised or not any(line.strip() for line in lines):
            return
        key = "candidate_still_ms" if candidate else "other_still_ms"
        out[key] = max(out[key] or 0, at - since)

    for event in fixture.events:
        if event.key is not None:
            close(event.t)
            if current is not None:
                current = (event.t, *current[1:])
            continue
        if event.out is None:
            continue
        renderer.feed(fixture.chunk(event))
        renderer.take_replies()
        lines = tuple(renderer.lines())
        if current is not None and lines == current[1]:
            continue
        close(event.t)
        snapshot = TerminalSnapshot(lines=lines, frame=1, elapsed_ms=event.t)
        recognised = best_match(table.rules, snapshot) is not None
        if recognised and out["first_recognised_ms"] is None:
            out["first_recognised_ms"] = event.t
        current = (event.t, lines, recognised, is_candidate_dialog(snapshot))
    if current is not None and not current[2]:
        tail = (end_ms - current[0], current[3], any(line.strip() for line in current[1]))
    out["tail_still_ms"] = tail[0] if tail else None
    out["tail_candidate"] = int(tail[1]) if tail else None
    return out


def main(argv: list[str]) -> int:
    paths = argv or sorted(glob.glob(os.path.join(ROOT, "*", "*", "*.json")))
    worst = {"candidate_still_ms": 0, "other_still_ms": 0, "first_recognised_ms": 0}
    for path in paths:
        found = measure(path)
        name = os.path.relpath(path, ROOT).removesuffix(".json")
        print(f"{name:45} " + " ".join(f"{k}={v}" for k, v in found.items()))
        for key, value in worst.items():
            worst[key] = max(value, found[key] or 0)
    print("worst: " + " ".join(f"{k}={v}" for k, v in worst.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
