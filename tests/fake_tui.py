#!/usr/bin/env python3
"""A small fake provider TUI for real-PTY tests. It imitates Claude Code's trust dialog.

Behaviour is chosen with environment variables:
  FAKE_MODE        trust (default) | theme | unknown | unknown-dialog | secrets | env | exit | silent
                   (unknown-dialog: a trust-like question no rule knows, drawn once)
  FAKE_LAYOUT      no-first (default, like 2.1.248+) | yes-first (like 2.1.197)
  FAKE_DELAY_MS    delay before the dialog is drawn (late dialog)
  FAKE_WAIT_FILE   draw nothing until this file exists (at most 60 s): a test changes the
                   folder meanwhile, while the CLI is known to be running
  FAKE_TRUST_GIT_ROOT 1: trust is recorded for the git repository root above the working
                   folder, where there is one (as Claude Code does)
  FAKE_DROP        comma-separated indexes of keys to ignore (dropped keys)
  FAKE_SNAP_BACK   1: redraw once with the cursor back on the first option, FAKE_SNAP_BACK_MS
                   (default 5) after the first move: before the engine can confirm the move
  FAKE_PERSIST_MS  delay before trust is written after Enter on Yes
  FAKE_CHILD       1: start a background child in the same session (group-kill test)
  FAKE_IGNORE_HUP  1: ignore SIGHUP (so does FAKE_CHILD's child): outlive the terminal's hang-up
  FAKE_KEYLOG      file to append every key received to
  FAKE_STARTLOG    file to append a line to when the TUI starts (not for --help/--version)
  FAKE_QUERY       1: ask for the cursor position first and wait for the answer
  FAKE_SECRET      a line drawn on the unknown screen (redaction tests)
  FAKE_UNLOCKED_SAVE 1: save with no lock of its own, reading the file at start and writing
                   it back after FAKE_PERSIST_MS (a stale writer, like Claude Code 2.1.197)
  FAKE_NOISE       1: first write sequences a terminal renderer ignores (an xterm
                   modifyOtherKeys request, a window title), as Claude Code 2.1.330 does
  FAKE_EXIT_SAVE_MS  on SIGTERM, save on the way out the way Claude Code 2.1.330 does:
                   take the proper-lockfile lock (mkdir .claude.json.lock), hold it this
                   long, remove it, exit. SIGKILL inside that window leaves the lock.
  FAKE_ENV_BOX     with FAKE_MODE=env: the width of a box the environment is drawn in
                   (values wrapped inside `│ … │` borders); 0 or unset: plain lines
  FAKE_ENV_NAMES   with FAKE_MODE=env: comma-separated names to draw (default: all)
  FAKE_SECRETS_FILE with FAKE_MODE=secrets: a file whose lines are printed as they
                   are (no clearing; a line wider than the screen wraps), before an
                   unknown trust-like dialog is drawn below them
  FAKE_BODY        lines drawn under the trust question, separated by `|`; `{parent}` is
                   the folder above the working directory (Claude Code 2.1.337's bodies)
  FAKE_YES         the Yes option's label (default `Yes, I trust this folder`)
  FAKE_OPTIONS     every option's label, separated by `|` (overrides FAKE_LAYOUT and FAKE_YES)
  FAKE_NO_SAVE     exit: Enter on Yes exits 0 at once, saving nothing; stay: Enter on Yes
                   draws the main screen, saving nothing (a CLI whose save failed: only
                   the state file can tell it from one that trusted the folder)
FAKE_MODE=env draws the program's own environment as NAME=value lines (a CLI that
echoes its environment, redaction tests) and then waits.
Settings may also come from $HOME/fake_tui.env (NAME=value lines), because a
preflight passes the child only an allowlisted environment.
It writes trust the way Claude does: $CLAUDE_CONFIG_DIR or $HOME /.claude.json,
projects[cwd].hasTrustDialogAccepted = true. Enter on "No, exit" exits with 1.
"""

from __future__ import annotations

import json
import os
import select
import signal
import subprocess
import sys
import termios
import time
import tty

HELP = """Usage: claude [options] [command] [prompt]
  --bare                       Minimal mode
  --mcp-config <configs...>    Load MCP servers
  --strict-mcp-config          Only use MCP servers from --mcp-config
  --setting-sources <sources>  Setting sources
  --settings <file-or-json>    Settings
  --tools <tools...>           Tools
"""
OLD_HELP = "Usage: claude [options]\n  --print  Print mode\n"

out = sys.stdout.buffer


def write(text: str) -> None:
    # A folder name that is not UTF-8 is drawn as its own bytes, as a CLI does.
    out.write(text.encode("utf-8", "surrogateescape"))
    out.flush()


def draw(lines: list[str]) -> None:
    write("\x1b[H\x1b[2J" + "\r\n".join(lines))


def trust_screen(options: list[str], cursor: int) -> list[str]:
    rows = [
        "╭────────────────────────────────────────╮",
        "│ Accessing workspace:                    │",
        f"│ {os.getcwd()}",
        "│ Quick safety check: Is this a project you created or one you trust?",
    ]
    body = os.environ.get("FAKE_BODY", "")
    if body:
        parent = os.path.dirname(os.getcwd())
        rows.extend(f"│ {line.replace('{parent}', parent)}" for line in body.split("|"))
    for index, label in enumerate(options):
        lead = "❯" if index == cursor else " "
        rows.append(f"│ {lead} {label}")
    rows.append("│ Enter to confirm · Esc to cancel")
    rows.append("╰────────────────────────────────────────╯")
    return rows


def read_state() -> dict[str, object]:
    base = os.environ.get("CLAUDE_CONFIG_DIR") or os.environ["HOME"]
    try:
        with open(os.path.join(base, ".claude.json"), encoding="utf-8") as handle:
            doc: dict[str, object] = json.load(handle)
    except (OSError, ValueError):
        doc = {}
    return doc


def env_screen(box: int) -> list[str]:
    wanted = [name for name in os.environ.get("FAKE_ENV_NAMES", "").split(",") if name]
    shown = sorted((name, value) for name, value in os.environ.items() if not wanted or name in wanted)
    lines = ["Environment:"] + [f"{name}={value}" for name, value in shown]
    if box <= 0:
        return lines
    rows = ["╭" + "─" * (box + 2) + "╮"]
    for line in lines:
        for start in range(0, max(len(line), 1), box):
            rows.append("│ " + line[start : start + box].ljust(box) + " │")
    rows.append("╰" + "─" * (box + 2) + "╯")
    return rows


def persist(read_at_start: dict[str, object] | None = None) -> None:
    base = os.environ.get("CLAUDE_CONFIG_DIR") or os.environ["HOME"]
    path = os.path.join(base, ".claude.json")
    if read_at_start is not None:
        projects = read_at_start.setdefault("projects", {})
        assert isinstance(projects, dict)
        projects[os.getcwd()] = {"hasTrustDialogAccepted": True}
        with open(path, "w", encoding="utf-8") as handle:
            json.dump(read_at_start, handle)
        return
    # Claude Code locks its config while saving, the proper-lockfile way (a
    # folder made with mkdir); so does the fake, or two parallel sessions
    # would lose each other's update.
    lock = path + ".lock"
    # Claude's JavaScript runs a signal handler only between tasks, never in
    # the middle of one: SIGTERM waits until the save is done.
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM})
    try:
        while True:
            try:
                os.mkdir(lock)
                break
            except FileExistsError:
                time.sleep(0.005)
        try:
            _persist_locked(path)
        finally:
            os.rmdir(lock)
    finally:
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM})


def trusted_folder() -> str:
    """The working folder, or with FAKE_TRUST_GIT_ROOT=1 the git root above it."""
    here = os.getcwd()
    if os.environ.get("FAKE_TRUST_GIT_ROOT") == "1":
        current = here
        while True:
            if os.path.exists(os.path.join(current, ".git")):
                return current
            parent = os.path.dirname(current)
            if parent == current:
                break
            current = parent
    return here


def _persist_locked(path: str) -> None:
    try:
        with open(path, encoding="utf-8") as handle:
            doc = json.load(handle)
    except (OSError, ValueError):
        doc = {}
    doc.setdefault("projects", {})[trusted_folder()] = {"hasTrustDialogAccepted": True}
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as handle:
        json.dump(doc, handle)
    os.replace(tmp, path)


EXITING: list[bool] = []


def save_on_exit(hold_ms: int) -> None:
    """SIGTERM handler: a locked save on the way out, then exit. The kill may
    deliver SIGTERM more than once (group, then process); the save runs once."""
    if EXITING:
        return
    EXITING.append(True)
    base = os.environ.get("CLAUDE_CONFIG_DIR") or os.environ["HOME"]
    lock = os.path.join(base, ".claude.json") + ".lock"
    try:
        os.mkdir(lock)
    except OSError:
        os._exit(3)
    time.sleep(hold_ms / 1000)
    os.rmdir(lock)
    os._exit(0)


def read_key(timeout: float) -> bytes | None:
    ready, _, _ = select.select([0], [], [], timeout)
    if not ready:
        return None
    data = os.read(0, 16)
    return data or None


def load_settings() -> None:
    path = os.path.join(os.environ.get("HOME", "/nonexistent"), "fake_tui.env")
    try:
        with open(path, encoding="utf-8") as handle:
            for line in handle:
                name, _, value = line.strip().partition("=")
                if name.startswith("FAKE_"):
                    os.environ.setdefault(name, value)
    except OSError:
        pass


def main() -> int:
    load_settings()
    if "--help" in sys.argv:
        write(OLD_HELP if os.environ.get("FAKE_HELP") == "old" else HELP)
        return 0
    if "--version" in sys.argv:
        # No X.Y.Z unless a test names one: a fake is no verified version.
        write(f"{os.environ.get('FAKE_VERSION', 'development build')} (Fake Code)\n")
        return 0
    startlog = os.environ.get("FAKE_STARTLOG")
    if startlog:
        with open(startlog, "a", encoding="utf-8") as handle:
            handle.write(f"{os.getpid()}\n")
    mode = os.environ.get("FAKE_MODE", "trust")
    read_at_start = read_state() if os.environ.get("FAKE_UNLOCKED_SAVE") == "1" else None
    exit_save = os.environ.get("FAKE_EXIT_SAVE_MS")
    if exit_save:
        signal.signal(signal.SIGTERM, lambda *_: save_on_exit(int(exit_save)))
    keylog = os.environ.get("FAKE_KEYLOG")
    drop = {int(x) for x in os.environ.get("FAKE_DROP", "").split(",") if x}
    if os.environ.get("FAKE_IGNORE_HUP") == "1":
        signal.signal(signal.SIGHUP, signal.SIG_IGN)
    if os.environ.get("FAKE_CHILD") == "1":
        subprocess.Popen(["sleep", "300"])
    old = termios.tcgetattr(0)
    tty.setraw(0)
    try:
        if os.environ.get("FAKE_QUERY") == "1":
            write("\x1b[6n")
            if read_key(5) is None:
                draw(["no answer to the cursor query"])
                time.sleep(60)
                return 2
        write("\x1b[?1049h")
        if os.environ.get("FAKE_NOISE") == "1":
            write("\x1b[>4m\x1b]0;claude\x07")
        if mode == "exit":
            write("--dangerously-skip-permissions cannot be used with root/sudo privileges\r\n")
            return 1
        if mode == "silent":
            time.sleep(600)
            return 0
        time.sleep(int(os.environ.get("FAKE_DELAY_MS", "0")) / 1000)
        wait_file = os.environ.get("FAKE_WAIT_FILE")
        waited_until = time.monotonic() + 60
        while wait_file and not os.path.exists(wait_file) and time.monotonic() < waited_until:
            time.sleep(0.01)
        if mode == "theme":
            draw(
                [
                    "Let's get started.",
                    "Choose the text style that looks best with your terminal",
                    "❯ 1. Dark mode",
                    "  2. Light mode",
                ]
            )
        elif mode == "unknown-dialog":
            draw(
                [
                    "Allow this tool to work in the workspace below?",
                    f"  {os.getcwd()}",
                    "❯ 1. Allow and remember",
                    "  2. Deny",
                    os.environ.get("FAKE_SECRET", ""),
                ]
            )
        elif mode == "secrets":
            # What a CLI prints that it read from its own files (not from its
            # environment), then a dialog no rule knows.
            with open(os.environ["FAKE_SECRETS_FILE"], encoding="utf-8") as handle:
                printed = handle.read().splitlines()
            write("\x1b[H\x1b[2J" + "".join(line + "\r\n" for line in printed))
            write("\r\n".join(["Allow this tool to work in the workspace below?", f"  {os.getcwd()}"]))
            write("\r\n❯ 1. Allow and remember\r\n  2. Deny")
        elif mode == "env":
            draw(env_screen(int(os.environ.get("FAKE_ENV_BOX", "0") or 0)))
        elif mode == "unknown":
            draw(["Something entirely new", "❯ 1. Do the thing", "  2. Do not", os.environ.get("FAKE_SECRET", "")])
        yes_first = os.environ.get("FAKE_LAYOUT") == "yes-first"
        yes = os.environ.get("FAKE_YES", "Yes, I trust this folder")
        options = [yes, "No, exit"] if yes_first else ["No, exit", yes]
        if os.environ.get("FAKE_OPTIONS"):
            options = os.environ["FAKE_OPTIONS"].split("|")
        cursor = 0
        if mode == "trust":
            draw(trust_screen(options, cursor))
        snap_at: float | None = None
        snapped = False
        count = 0
        while True:
            if snap_at is not None and not snapped and time.monotonic() >= snap_at:
                # Once only: a re-render puts the cursor back on the first option.
                cursor, snapped = 0, True
                if mode == "trust":
                    draw(trust_screen(options, cursor))
            key = read_key(0.002 if snap_at is not None and not snapped else 0.02)
            if key is None:
                continue
            index = count
            count += 1
            if keylog:
                with open(keylog, "a", encoding="utf-8") as handle:
                    handle.write(key.hex() + "\n")
            if mode != "trust" or index in drop:
                continue
            if key in (b"\x1b[A", b"\x1bOA"):
                cursor = (cursor - 1) % len(options)
            elif key in (b"\x1b[B", b"\x1bOB"):
                cursor = (cursor + 1) % len(options)
                if os.environ.get("FAKE_SNAP_BACK") == "1" and snap_at is None:
                    snap_at = time.monotonic() + int(os.environ.get("FAKE_SNAP_BACK_MS", "5")) / 1000
            elif key == b"\r":
                if options[cursor] == "No, exit":
                    return 1
                no_save = os.environ.get("FAKE_NO_SAVE")
                if no_save == "exit":
                    return 0
                if no_save == "stay":
                    draw(["> ", "  ? for shortcuts"])
                    mode = "main"
                    continue
                time.sleep(int(os.environ.get("FAKE_PERSIST_MS", "0")) / 1000)
                persist(read_at_start)
                draw(["> ", "  ? for shortcuts"])
                mode = "main"
                continue
            else:
                continue
            draw(trust_screen(options, cursor))
    finally:
        termios.tcsetattr(0, termios.TCSADRAIN, old)
        write("\x1b[?1049l")


if __name__ == "__main__":
    sys.exit(main())
