#!/usr/bin/env python3
"""A toy coding CLI with a folder-trust gate, for the plug-in example (the
``toy`` command once the package is installed; also runnable as a script).

It asks "Allow this workspace?" (or ``$TOY_QUESTION``, so that a test can show
a dialog the plug-in's rules do not know) with the options "Allow once", "Always allow
this workspace" and "Leave", the first preselected (a session-only yes, like
some real CLIs). "Always allow" appends the folder to ``$TOY_HOME/trusted.json``
(default ``$HOME/.toy``) and shows a prompt; "Allow once" shows the prompt and
persists nothing; "Leave" exits 1. Up/Down move, Enter chooses. With
``TOY_TRUST_GATE=off`` it gates no folder: straight to the prompt.
"""

from __future__ import annotations

import json
import os
import select
import sys
import termios
import tty

OPTIONS = ["Allow once", "Always allow this workspace", "Leave"]


def state_path() -> str:
    base = os.environ.get("TOY_HOME") or os.path.join(os.environ["HOME"], ".toy")
    return os.path.join(base, "trusted.json")


def trusted() -> list[str]:
    try:
        with open(state_path(), encoding="utf-8") as handle:
            return list(json.load(handle).get("workspaces", []))
    except (OSError, ValueError):
        return []


def draw(lines: list[str]) -> None:
    sys.stdout.buffer.write(("\x1b[H\x1b[2J" + "\r\n".join(lines)).encode())
    sys.stdout.buffer.flush()


def main() -> int:
    if "--help" in sys.argv:
        print("Usage: toy [--no-plugins]\n  --no-plugins  start with no plug-ins")
        return 0
    if "--version" in sys.argv:
        print("0.3.0")
        return 0
    cwd = os.getcwd()
    old = termios.tcgetattr(0)
    tty.setraw(0)
    try:
        if cwd in trusted() or os.environ.get("TOY_TRUST_GATE") == "off":
            draw(["toy> ready"])
        else:
            cursor = 0
            while True:
                rows = [os.environ.get("TOY_QUESTION") or "Allow this workspace?", cwd, ""]
                rows += [("> " if i == cursor else "  ") + label for i, label in enumerate(OPTIONS)]
                draw(rows)
                ready, _, _ = select.select([0], [], [], 60)
                if not ready:
                    return 2
                key = os.read(0, 16)
                if key in (b"\x1b[A", b"\x1bOA"):
                    cursor = max(0, cursor - 1)
                elif key in (b"\x1b[B", b"\x1bOB"):
                    cursor = min(len(OPTIONS) - 1, cursor + 1)
                elif key == b"\r":
                    if OPTIONS[cursor] == "Leave":
                        return 1
                    if OPTIONS[cursor] == "Always allow this workspace":
                        os.makedirs(os.path.dirname(state_path()), exist_ok=True)
                        with open(state_path() + ".tmp", "w", encoding="utf-8") as handle:
                            json.dump({"workspaces": [*trusted(), cwd]}, handle)
                        os.replace(state_path() + ".tmp", state_path())
                    draw(["toy> ready"])
                    break
        while True:
            select.select([0], [], [], 60)
            if os.read(0, 16) == b"":
                return 0
    finally:
        termios.tcsetattr(0, termios.TCSADRAIN, old)


if __name__ == "__main__":
    sys.exit(main())
