"""End to end: a CLI that prints its own environment leaks no piece of a secret.

The fake TUI (``FAKE_MODE=env``) draws its environment as ``NAME=value`` lines,
plain or wrapped inside a box, and waits; each preflight soft fails on the
unknown screen, and ``--debug`` puts the redacted screen in ``raw_tail``.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import pytest

from workspace_trust.cli import ExitCode
from workspace_trust.testing import seed_home

FAKE = os.path.join(os.path.dirname(__file__), "fake_tui.py")
#: Shapes of real keys (random, made for this test), and values with no key shape.
SECRETS = {
    "ANTHROPIC_API_KEY": "sk-ant-api03-PtYgjmUhBel31iEl2hpChYgCfrL1spNxnyVmihA_2O76UMFxFkM_R5Kjp1vRt-1fjORS_6ilI8ihN5KXSc7Tvo_hBKqFYY_AA",
    "ANTHROPIC_AUTH_TOKEN": "correct-horse-battery-staple-42",
    "OPENAI_API_KEY": "sk-proj-kv5ZJr3J1TWDtkwtDDb-xHKas1VOqg6YYZYn9ZhyiA4uoRgnatmUdjAWtGSU8po-799NksnRH9ucAUsdMlHUvTCQCyEZDz_TddJ8HyS5SUkCnD8zRA9a9SkpXz9w3QlY7Zkuvqdt7s8Stqcbnr3yBdGBLEPH",
    "GEMINI_API_KEY": "AIzaSy1qhT61qtc4xatws8phP9nhFyJfm5di4Pz",
    "GOOGLE_API_KEY": "plain words for a google key",
}
PIECE = 8


def flat(text: str) -> str:
    """What is left when line breaks, spaces and box borders are taken out."""
    return re.sub(r"[\s|\u2500-\u257f]", "", text)


def leaked(secret: str, text: str) -> list[str]:
    value = flat(secret)
    return [value[i : i + PIECE] for i in range(len(value) - PIECE + 1) if value[i : i + PIECE] in text]


@pytest.mark.parametrize("box", [0, 40, 17, 9])
def test_no_piece_of_an_environment_secret_reaches_the_output(sandbox: str, box: int) -> None:
    home = os.path.join(sandbox, "home")
    ws = os.path.join(sandbox, "project")
    os.makedirs(home)
    os.makedirs(ws)
    with open(os.path.join(home, ".claude.json"), "w", encoding="utf-8") as handle:
        json.dump({"hasCompletedOnboarding": True}, handle)
    seed_home("codex", home)  # its credentials: else Codex is never started
    with open(os.path.join(home, "fake_tui.env"), "w", encoding="utf-8") as handle:
        # The secrets and one ordinary variable, so a narrow box still fits the screen.
        handle.write(f"FAKE_MODE=env\nFAKE_ENV_BOX={box}\nFAKE_ENV_NAMES={','.join([*SECRETS, 'TERM'])}\n")
    env = {"HOME": home, "PATH": os.environ["PATH"], "TERM": "xterm-256color", **SECRETS}
    args = ["preflight", ws, "--json", "--debug", "--timeout", "2", "--provider", "claude,codex,gemini"]
    args += ["--codex-mode", "pty", "--gemini-mode", "pty"]
    args += ["--claude-bin", FAKE, "--codex-bin", FAKE, "--gemini-bin", FAKE]
    proc = subprocess.run(
        [sys.executable, "-m", "workspace_trust", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == ExitCode.SOFT_FAILED, proc.stderr[-2000:]
    doc = json.loads(proc.stdout)
    tails = {r["provider"]: r["raw_tail"] for r in doc["results"]}
    assert set(tails) == {"claude", "codex", "gemini"}
    # Each CLI drew its environment, and the screen is still useful.
    for tail in tails.values():
        assert "Environment:" in flat(tail) and "TERM=xterm-256color" in flat(tail)
        assert "[REDACTED_" in tail
    # Each secret reached the CLI that keeps it (so the check below means something).
    assert "ANTHROPIC_AUTH_TOKEN" in flat(tails["claude"]) and "OPENAI_API_KEY" in flat(tails["codex"])
    assert "GEMINI_API_KEY" in flat(tails["gemini"]) and "GOOGLE_API_KEY" in flat(tails["gemini"])
    for name, secret in SECRETS.items():
        for where, text in (("stdout", proc.stdout), ("stderr", proc.stderr)):
            assert not leaked(secret, text), (name, where)
            assert not leaked(secret, flat(text)), (name, where)
