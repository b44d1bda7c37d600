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

from workspace_trust import ExitCode
from workspace_trust.installed_clis import seed_home

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


#: Secrets a CLI read from its own files (not from its environment), each of a
#: shape the redactor knows by its looks; random, made for this test.
PRINTED = {
    "aws_temporary_key_id": "ASIAQ7RZ3KD5LWXN2PJT",
    "github_token": "ghp_4mQx7ZrT2bKcW9nVyL3dPfH8sJ6gA1eU0oXi",
    "anthropic_key": "sk-ant-api03-Vq8Lr2Zx7TnKc4Wm9Ys3Bd6Hf1Jp5Gt0Qe-Ru_Ni2Mo8Ak4Lc7Xz3Wv9Ty6Ub1Dn5Fs0Gh_AA",
    "jwt": (
        "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9"
        ".eyJzdWIiOiJ1c2VyLTQyIiwibmFtZSI6IkFuYSBMb3BleiIsInNjb3BlIjoicmVwbzpyZWFkIHJlcG86d3JpdGUiLCJpYXQiOjE3MDAwMDAwMDAsImV4cCI6MTcwMDAwMzYwMCwianRpIjoiOGY3YjJjOWUtNGQxYS00YzZlLWIzZjAtMmE1ZDdlOWMxYjNmIn0"
        ".Pq3Xv8Lm2Zr7Tk4Wc9Ns1Hd6Fb5Jy0Ga-Ok6yJV_adQssw5c"
    ),
    "bearer": "Zx8Qm3Lr7Tv2Kw9Nc4Yp6Hs1Bd5Gf0Ja",
}
#: The screen the PTY strategy spawns the CLI in is this wide.
SCREEN_COLUMNS = 160


def _printed_lines() -> list[str]:
    """The issue's line (an AWS key id and a JWT longer than the screen is
    wide), padded so that the JWT's last row holds only its last 15
    characters; then keys that each wrap a short tail onto the next row."""
    head = f"aws_access_key_id={PRINTED['aws_temporary_key_id']} jwt="
    pad = (15 - 1 - len(head) - len(PRINTED["jwt"])) % SCREEN_COLUMNS or SCREEN_COLUMNS
    lines = ["x" * pad + " " + head + PRINTED["jwt"]]
    for name in ("github_token", "anthropic_key"):
        lead = "token: " if name == "github_token" else "key "
        value = PRINTED[name]
        filler = "y" * (SCREEN_COLUMNS - len(lead) - len(value) + 9 - 1)
        lines.append(f"{filler} {lead}{value}")
    bearer = "Authorization header was Bearer " + PRINTED["bearer"]
    lines.append("z" * (SCREEN_COLUMNS - len(bearer) + 10 - 1) + " " + bearer)
    return lines


def test_secrets_a_cli_prints_are_redacted_where_the_screen_wraps_them(sandbox: str) -> None:
    """The issue's scenario: a CLI prints secret shapes it read from its own
    files, each wrapped by the terminal, then a dialog no rule knows;
    ``preflight --debug --json`` keeps the redacted screen in ``raw_tail``."""
    lines = _printed_lines()
    # Each line is wider than the screen: the terminal wraps every one.
    assert all(len(line) > SCREEN_COLUMNS for line in lines)
    assert len(lines[0]) % SCREEN_COLUMNS == 15
    home = os.path.join(sandbox, "home")
    ws = os.path.join(sandbox, "project")
    os.makedirs(home)
    os.makedirs(ws)
    with open(os.path.join(home, ".claude.json"), "w", encoding="utf-8") as handle:
        json.dump({"hasCompletedOnboarding": True}, handle)
    printed = os.path.join(sandbox, "printed.txt")
    with open(printed, "w", encoding="utf-8") as handle:
        handle.write("\n".join(lines) + "\n")
    with open(os.path.join(home, "fake_tui.env"), "w", encoding="utf-8") as handle:
        handle.write(f"FAKE_MODE=secrets\nFAKE_SECRETS_FILE={printed}\n")
    env = {"HOME": home, "PATH": os.environ["PATH"], "TERM": "xterm-256color"}
    CLAUDE = ["--provider", "claude", "--claude-bin", FAKE]
    for debug_json in (["--json"], []):
        # A budget the unknown dialog never needs (it ends 1.5 s after the
        # screen stops changing), so a loaded machine does not end it first.
        args = ["preflight", ws, "--debug", "--timeout", "20", *CLAUDE, *debug_json]
        proc = subprocess.run(
            [sys.executable, "-m", "workspace_trust", *args],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert proc.returncode == ExitCode.SOFT_FAILED, proc.stderr[-2000:]
        for name, secret in PRINTED.items():
            for where, text in (("stdout", proc.stdout), ("stderr", proc.stderr)):
                assert not leaked(secret, text), (name, where, leaked(secret, text))
                assert not leaked(secret, flat(text)), (name, where)
        if debug_json:
            (result,) = json.loads(proc.stdout)["results"]
            assert result["code"] == "unknown_trust_dialog", result
            tail = result["raw_tail"]
            # The screen is there, and each secret left its marker.
            assert "Allow this tool to work in the workspace below?" in tail
            assert "aws_access_key_id=[REDACTED_API_KEY] jwt=[REDACTED_JWT]" in tail
            assert tail.count("[REDACTED_API_KEY]") >= 3 and "Bearer [REDACTED_TOKEN]" in tail
        else:
            assert "the last screen (redacted)" in proc.stderr
