"""Real GitHub Copilot CLI, installed pinned from npm by ``./dev clis``, in fresh HOMEs.

These run the README's main command (``python -m workspace_trust preflight``)
as a host would, and read the real ``config.json`` afterwards. Offline and
logged out, Copilot shows its trust dialog before anything else.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator

import pytest

from tests import realcli
from tests.realcli import Doc, assert_nothing_left, require_cli
from workspace_trust.adapters.help import SubprocessHelpReader
from workspace_trust.installed_clis import cli_dir
from workspace_trust.providers.copilot.rules import COPILOT_RULES
from workspace_trust.providers.copilot.strategy import NO_TOOL, build_protected_command, preflight_env

pytestmark = [pytest.mark.realcli, pytest.mark.slow]

#: The newest and one three weeks older.
VERSIONS = ["1.0.89", "1.0.102"]
#: Only 1.0.102 lists --disable-client-telemetry (1.0.80, 1.0.89 and 1.0.92 do
#: not): the older one runs only when the caller allows it.
EXTRA = {"1.0.89": ("--allow-unprotected-copilot",), "1.0.102": ()}
#: Where the CLI unpacks its package (235 MB for 1.0.102), shared by every
#: test HOME instead of one copy under each.
PACKAGE_CACHE = "copilot-package-cache"
HEADER = "// User settings belong in settings.json.\n// This file is managed automatically.\n"


def preflight(binary: str, env: dict[str, str], *dirs: str, extra: tuple[str, ...] = ()) -> tuple[int, Doc]:
    return realcli.preflight("copilot", binary, env, *dirs, extra=extra)


def status(env: dict[str, str], path: str) -> str:
    return realcli.status(env, path, name="copilot")


def config_path(home: str) -> str:
    return os.path.join(home, ".copilot", "config.json")


def trusted_folders(home: str) -> list[str]:
    """The list as the CLI wrote it; the file starts with comment lines."""
    with open(config_path(home), encoding="utf-8") as handle:
        text = handle.read()
    assert text.startswith("//"), text[:80]
    body = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("//"))
    folders: list[str] = json.loads(body).get("trustedFolders", [])
    return folders


def write_config(home: str, text: str, name: str = "config.json") -> None:
    os.makedirs(os.path.join(home, ".copilot"), exist_ok=True)
    with open(os.path.join(home, ".copilot", name), "w", encoding="utf-8") as handle:
        handle.write(text)


@pytest.fixture(params=VERSIONS)
def copilot(request: pytest.FixtureRequest) -> tuple[str, str]:
    return request.param, require_cli("copilot", request.param)


def setup_home(sandbox: str) -> tuple[str, dict[str, str]]:
    return realcli.setup_home(sandbox, "copilot", copilot_package_cache=os.path.join(cli_dir(), PACKAGE_CACHE))


def protected_argv(binary: str, env: dict[str, str]) -> tuple[str, ...]:
    """The preflight's own command for this binary, from its ``--help`` read
    as the preflight reads it (and kills whatever it started)."""
    help_text = SubprocessHelpReader().read_help(binary, preflight_env(env), 60_000, is_cancelled=lambda: False)
    command = build_protected_command(binary, help_text, allow_unprotected=True)
    # On failure, what --help said (a fresh-clone CI run once read a help text
    # that listed none of the flags).
    assert command is not None and f"--available-tools={NO_TOOL}" in command.argv, repr(help_text)[:3000]
    return command.argv


def asks_for_trust(binary: str, ws: str, env: dict[str, str]) -> bool:
    """Start the real CLI in ``ws`` (the preflight's command and environment)
    and watch, never sending a key, until it shows either the trust dialog
    (True) or what follows it: the login line or the main screen (False)."""
    return realcli.shows_trust_dialog(
        protected_argv(binary, env),
        ws,
        preflight_env(env),
        rules=COPILOT_RULES,
        trust_rules=("copilot.workspace_trust",),
        past_it=("Please use /login", "? help"),
    )


#: config.json (or settings.json) contents, and whether the CLI trusts
#: ``{ws}`` with them (it does not ask) as the probe must say.
CASES = {
    "jsonc": (HEADER + '{"trustedFolders": [ /* here */ "{ws}", ], }', "config.json", True),
    "older-key-of-a-parent": ('{"trusted_folders": ["{parent}"]}', "config.json", True),
    "symlink-entry": ('{"trustedFolders": ["{link}"]}', "config.json", True),
    "last-alias-wins": ('{"trustedFolders": ["{ws}"], "trusted_folders": []}', "config.json", False),
    "other-case": ('{"trustedFolders": ["{WS}"]}', "config.json", False),
    "sibling-prefix": ('{"trustedFolders": ["{ws}x", "{ws_prefix}"]}', "config.json", False),
    "settings-json-only": ('{"trustedFolders": ["{ws}"]}', "settings.json", False),
}


@pytest.mark.parametrize(
    ("version", "case"),
    # Every case on the newest; two on the older one, whose reading is the
    # same except for settings.json (it moves the key into config.json: the
    # last test below).
    [("1.0.102", case) for case in sorted(CASES)] + [("1.0.89", "older-key-of-a-parent"), ("1.0.89", "symlink-entry")],
)
def test_the_probe_decides_as_the_cli_decides(version: str, case: str, sandbox: str) -> None:
    """Each case, first read by ``status`` (read-only: the file is left as it
    was), then shown to the real CLI: the probe says trusted exactly when the
    CLI starts without asking."""
    binary = require_cli("copilot", version)
    home, env = setup_home(sandbox)
    parent = os.path.join(sandbox, "work")
    ws = os.path.join(parent, "project")
    link = os.path.join(sandbox, "link")
    os.makedirs(ws)
    os.symlink(ws, link)
    template, name, trusted = CASES[case]
    text = (
        template.replace("{ws}", ws)
        .replace("{WS}", ws.upper())
        .replace("{ws_prefix}", ws[:-1])
        .replace("{parent}", parent)
        .replace("{link}", link)
    )
    write_config(home, text, name)
    with open(os.path.join(home, ".copilot", name), "rb") as handle:
        before = handle.read()
    assert status(env, ws) == ("trusted" if trusted else "untrusted")
    with open(os.path.join(home, ".copilot", name), "rb") as handle:
        assert handle.read() == before
    assert asks_for_trust(binary, ws, env) is not trusted
    assert_nothing_left(sandbox)


@pytest.fixture
def mcp_folder(sandbox: str) -> Iterator[tuple[str, str]]:
    """A folder whose .mcp.json starts a server that would outlive the CLI
    (it writes a mark and sleeps), and whose sessionStart hook would do the same."""
    ws = os.path.join(sandbox, "with-mcp")
    marks = os.path.join(sandbox, "marks")
    os.makedirs(os.path.join(ws, ".github", "hooks"))
    os.makedirs(marks)
    server = f'echo started > "{marks}/mcp"; exec sleep 300'
    with open(os.path.join(ws, ".mcp.json"), "w", encoding="utf-8") as handle:
        json.dump({"mcpServers": {"folder-server": {"type": "stdio", "command": "sh", "args": ["-c", server]}}}, handle)
    hook = {"type": "command", "bash": f'echo ran > "{marks}/hook"; sleep 300', "timeoutSec": 400}
    with open(os.path.join(ws, ".github", "hooks", "start.json"), "w", encoding="utf-8") as handle:
        json.dump({"version": 1, "hooks": {"sessionStart": [hook]}}, handle)
    yield ws, marks


def test_nothing_the_folder_starts_is_left_running(
    copilot: tuple[str, str], sandbox: str, mcp_folder: tuple[str, str]
) -> None:
    """Once trusted, Copilot loads the folder's own MCP servers (a few hundred
    milliseconds after it writes trust, 1.0.102). Whether or not one got to
    start before the kill, nothing of it is left."""
    version, binary = copilot
    home, env = setup_home(sandbox)
    ws, marks = mcp_folder
    code, doc = preflight(binary, env, ws, extra=EXTRA[version])
    assert (code, doc["results"][0]["status"]) == (0, "accepted"), realcli.brief(doc)
    assert trusted_folders(home) == [ws]
    print(f"copilot {version}: started before the kill: {sorted(os.listdir(marks)) or 'nothing'}")
    assert_nothing_left(sandbox)


def test_a_copilot_without_the_telemetry_flag_soft_fails_unless_allowed(sandbox: str) -> None:
    """1.0.89 does not list --disable-client-telemetry: nothing is started
    (not even by the lock wait) unless the caller allows an unprotected run,
    which then still passes every protective flag 1.0.89 has."""
    binary = require_cli("copilot", "1.0.89")
    home, env = setup_home(sandbox)
    ws = realcli.folder(sandbox, "project")
    code, doc = preflight(binary, env, ws)
    (result,) = doc["results"]
    assert (code, result["status"], result["code"], result["pty_spawned"]) == (
        1,
        "soft_failed",
        "preflight_unavailable_or_unprotected",
        False,
    ), realcli.brief(doc)
    assert "--disable-client-telemetry" in json.dumps(doc)
    assert not os.path.exists(config_path(home))

    code, doc = preflight(binary, env, ws, extra=("--allow-unprotected-copilot",))
    (allowed,) = doc["results"]
    assert (code, allowed["status"], allowed["keys"][-1]) == (0, "accepted", "enter"), realcli.brief(doc)
    assert trusted_folders(home) == [ws]
    assert "--disable-client-telemetry" in json.dumps(doc["manifest"]["diagnostics"] + [allowed])
    assert_nothing_left(sandbox)


def test_an_older_copilot_moves_settings_json_trust_and_shows_no_dialog(sandbox: str) -> None:
    """1.0.80 and 1.0.89 move trustedFolders from settings.json into an
    existing config.json when they start (1.0.102 ignores it there; without a
    config.json they ask). The probe reads config.json only, so the preflight
    starts 1.0.89, which asks nothing: accepted without a key, from config.json."""
    binary = require_cli("copilot", "1.0.89")
    home, env = setup_home(sandbox)
    ws = realcli.folder(sandbox, "project")
    write_config(home, HEADER + "{}")
    write_config(home, json.dumps({"trustedFolders": [ws]}), "settings.json")
    assert status(env, ws) == "untrusted"
    code, doc = preflight(binary, env, ws, extra=("--allow-unprotected-copilot",))
    (result,) = doc["results"]
    assert (code, result["status"], result["keys"], result["pty_spawned"]) == (0, "accepted", [], True), realcli.brief(
        doc
    )
    assert trusted_folders(home) == [ws]
    assert_nothing_left(sandbox)
