"""The variables that move a real CLI's state, and HOMEs where nothing may start.

For each variable of a CLI's table (``STATE_VARIABLES`` in its provider
folder): after a preflight with the variable set, the trust is where the CLI
reads it, ``status`` agrees, and a launch of the real CLI with the same
environment shows no dialog. Below the first version that reads a variable,
the trust is where that version keeps it. A request that strips such a
variable, a CLI never set up, and a HOME that is not a usable folder start
nothing (a wrapper around the binary marks any start) and write nothing.
"""

from __future__ import annotations

import json
import os

import pytest

from tests import realcli
from tests.realcli import assert_nothing_left, require_cli
from workspace_trust.installed_clis import seed_home
from workspace_trust.providers.claude.rules import CLAUDE_RULES
from workspace_trust.providers.gemini.rules import GEMINI_RULES
from workspace_trust.providers.qwen.rules import QWEN_RULES

pytestmark = [pytest.mark.slow]


def listing(root: str) -> list[tuple[str, int]]:
    out: list[tuple[str, int]] = []
    for folder, dirs, files in os.walk(root):
        out.extend((os.path.join(folder, name), 0) for name in dirs)
        out.extend((os.path.join(folder, name), os.lstat(os.path.join(folder, name)).st_size) for name in files)
    return sorted(out)


def read_json(path: str) -> object:
    with open(path, encoding="utf-8") as handle:
        return json.load(handle)


# -- Gemini: GEMINI_CLI_HOME ------------------------------------------------------------------


@pytest.mark.realcli
@pytest.mark.parametrize("version", ["0.45.2", "0.61.0"])
def test_gemini_cli_home_is_where_the_pty_preflight_trusts(sandbox: str, version: str) -> None:
    binary = require_cli("gemini", version)
    home, env = realcli.setup_home(sandbox, "gemini", seed=False)
    moved = os.path.join(sandbox, "gemini-home")
    env = {**env, **seed_home("gemini", moved), "GEMINI_CLI_HOME": moved}
    path = realcli.folder(sandbox, "project")
    code, doc = realcli.preflight("gemini", binary, env, path, mode="pty", timeout=120)
    assert (code, doc["results"][0]["status"]) == (0, "accepted"), realcli.brief(doc)
    assert read_json(os.path.join(moved, ".gemini", "trustedFolders.json")) == {path: "TRUST_FOLDER"}
    assert not os.path.exists(os.path.join(home, ".gemini", "trustedFolders.json"))
    assert realcli.status(env, path, name="gemini") == "trusted"
    # The CLI launched with the same environment does not ask.
    asks = realcli.shows_trust_dialog(
        (binary,),
        path,
        env,
        rules=GEMINI_RULES,
        trust_rules=("gemini.workspace_trust",),
        past_it=("Type your message",),
    )
    assert asks is False
    assert_nothing_left(sandbox)


# -- Claude: CLAUDE_CONFIG_DIR ----------------------------------------------------------------


def claude_asks(binary: str, ws: str, env: dict[str, str]) -> bool:
    return realcli.shows_trust_dialog(
        (binary,),
        ws,
        env,
        rules=CLAUDE_RULES,
        trust_rules=("claude.workspace_trust",),
        past_it=("shift+tab to cycle", "? for shortcuts"),
    )


@pytest.mark.realcli
def test_claude_config_dir_is_where_the_preflight_trusts_and_stripping_it_is_refused(sandbox: str) -> None:
    binary = require_cli("claude", "2.1.330")
    home, env = realcli.setup_home(sandbox, "claude", seed=False)
    config = os.path.join(sandbox, "claude-config")
    seed_home("claude", config)
    env = {**env, "CLAUDE_CONFIG_DIR": config}
    path = realcli.folder(sandbox, "project")
    wrapper, mark = realcli.marking_wrapper(sandbox, binary)
    before = listing(sandbox)
    code, doc = realcli.preflight("claude", wrapper, env, path, extra=("--strip-env", "CLAUDE_CONFIG_DIR"))
    (row,) = doc["results"]
    assert (code, row["status"], row["code"], row["pty_spawned"]) == (
        3,
        "blocked",
        "state_variable_stripped",
        False,
    ), realcli.brief(doc)
    assert not os.path.exists(mark)
    assert listing(sandbox) == before
    code, doc = realcli.preflight("claude", binary, env, path)
    assert (code, doc["results"][0]["status"]) == (0, "accepted"), realcli.brief(doc)
    projects = read_json(os.path.join(config, ".claude.json"))["projects"]  # type: ignore[index]
    assert projects[path]["hasTrustDialogAccepted"] is True
    assert not os.path.exists(os.path.join(home, ".claude.json"))
    assert realcli.status(env, path, name="claude") == "trusted"
    assert claude_asks(binary, path, {**env, **realcli.NO_SELF_UPDATE}) is False
    assert_nothing_left(sandbox)


# -- Qwen: QWEN_HOME, honoured from 0.15.10 ---------------------------------------------------


@pytest.mark.realcli
@pytest.mark.parametrize(("version", "reads_qwen_home"), [("0.15.6", False), ("0.24.4", True)])
def test_qwen_home_is_honoured_only_by_the_versions_that_read_it(
    sandbox: str, version: str, reads_qwen_home: bool
) -> None:
    binary = require_cli("qwen", version)
    home, env = realcli.setup_home(sandbox, "qwen")
    moved = os.path.join(sandbox, "qwen-home")
    os.makedirs(moved)
    with open(os.path.join(moved, "settings.json"), "w", encoding="utf-8") as handle:
        json.dump({"security": {"folderTrust": {"enabled": True}}}, handle)
    env = {**env, "QWEN_HOME": moved}
    path = realcli.folder(sandbox, "project")
    code, doc = realcli.preflight("qwen", binary, env, path)
    assert (code, doc["results"][0]["status"]) == (0, "accepted"), realcli.brief(doc)
    where = moved if reads_qwen_home else os.path.join(home, ".qwen")
    other = os.path.join(home, ".qwen") if reads_qwen_home else moved
    assert read_json(os.path.join(where, "trustedFolders.json")) == {path: "TRUST_FOLDER"}
    assert not os.path.exists(os.path.join(other, "trustedFolders.json"))
    # status asks the binary the host names (its variable) for its version.
    assert realcli.status({**env, "WORKSPACE_TRUST_QWEN_BIN": binary}, path, name="qwen") == "trusted"
    asks = realcli.shows_trust_dialog(
        (binary,),
        path,
        {**env, **realcli.NO_SELF_UPDATE},
        rules=QWEN_RULES,
        trust_rules=("qwen.workspace_trust",),
        past_it=("Connect a Provider", "Select Authentication Method"),
    )
    assert asks is False
    assert_nothing_left(sandbox)


# -- never set up, and HOMEs where nothing may start ----------------------------------------


def test_claude_never_set_up_starts_nothing_and_writes_nothing(sandbox: str) -> None:
    binary = require_cli("claude", "2.1.330")
    home, env = realcli.setup_home(sandbox, "claude", seed=False)
    wrapper, mark = realcli.marking_wrapper(sandbox, binary)
    path = realcli.folder(sandbox, "project")
    before = listing(sandbox)
    code, doc = realcli.preflight("claude", wrapper, env, path)
    (row,) = doc["results"]
    assert (row["status"], row["code"], row["pty_spawned"]) == ("blocked", "provider_setup_required", False), (
        realcli.brief(doc)
    )
    assert code != 0
    assert not os.path.exists(mark)
    assert listing(sandbox) == before
    assert os.listdir(home) == []


def test_codex_without_credentials_starts_nothing_and_writes_nothing(sandbox: str) -> None:
    binary = require_cli("codex", "0.169.0")
    _home, env = realcli.setup_home(sandbox, "codex", codex_auth=False)
    env = {**env, "OPENAI_API_KEY": "sk-test-not-a-real-key"}
    wrapper, mark = realcli.marking_wrapper(sandbox, binary)
    path = realcli.git_init(os.path.join(sandbox, "repo"))
    before = listing(sandbox)
    code, doc = realcli.preflight("codex", wrapper, env, path, mode="pty")
    (row,) = doc["results"]
    assert (row["status"], row["code"], row["pty_spawned"]) == ("blocked", "provider_auth_required", False), (
        realcli.brief(doc)
    )
    assert code != 0
    assert not os.path.exists(mark)
    assert listing(sandbox) == before


@pytest.mark.parametrize("kind", ["file", "missing", "root"])
def test_a_home_that_is_no_usable_folder_starts_and_writes_nothing(sandbox: str, kind: str) -> None:
    binary = require_cli("claude", "2.1.330")
    _, env = realcli.setup_home(sandbox, "claude")
    wrapper, mark = realcli.marking_wrapper(sandbox, binary)
    path = realcli.folder(sandbox, "project")
    if kind == "file":
        home = os.path.join(sandbox, "home-file")
        with open(home, "w", encoding="utf-8"):
            pass
    else:
        home = "/" if kind == "root" else os.path.join(sandbox, "no-such-home")
    before, top = listing(sandbox), sorted(os.listdir("/"))
    # The command's own environment too: its cache would go under $HOME/.cache.
    env = {**env, "HOME": home}
    env.pop("XDG_CACHE_HOME", None)
    code, doc = realcli.preflight("claude", wrapper, env, path)
    (row,) = doc["results"]
    expected = {"file": "home_not_a_folder", "missing": "home_not_a_folder", "root": "home_is_root"}[kind]
    assert (row["status"], row["code"], row["pty_spawned"]) == ("blocked", expected, False), realcli.brief(doc)
    assert code != 0
    assert not os.path.exists(mark)
    assert listing(sandbox) == before
    assert sorted(os.listdir("/")) == top


# -- Copilot: COPILOT_HOME ----------------------------------------------------------------------


@pytest.mark.realcli
@pytest.mark.parametrize("version", ["1.0.80", "1.0.102"])
def test_copilot_home_is_where_the_preflight_trusts(sandbox: str, version: str) -> None:
    from tests.providers.copilot.test_real_copilot import asks_for_trust
    from tests.providers.copilot.test_real_copilot import setup_home as copilot_home

    binary = require_cli("copilot", version)
    home, env = copilot_home(sandbox)
    moved = os.path.join(sandbox, "copilot-home")
    os.makedirs(moved)
    env = {**env, "COPILOT_HOME": moved}
    path = realcli.folder(sandbox, "project")
    # Before 1.0.102 one protection flag is missing: allowed by hand, as a host would.
    extra = ("--allow-unprotected-copilot",) if version != "1.0.102" else ()
    code, doc = realcli.preflight("copilot", binary, env, path, extra=extra)
    assert (code, doc["results"][0]["status"]) == (0, "accepted"), realcli.brief(doc)
    with open(os.path.join(moved, "config.json"), encoding="utf-8") as handle:
        assert path in handle.read()
    assert not os.path.exists(os.path.join(home, ".copilot", "config.json"))
    assert realcli.status(env, path, name="copilot") == "trusted"
    assert asks_for_trust(binary, path, env) is False
    assert_nothing_left(sandbox)


@pytest.mark.realcli
def test_gemini_trusted_folders_path_is_where_the_pty_preflight_trusts(sandbox: str) -> None:
    binary = require_cli("gemini", "0.61.0")
    home, env = realcli.setup_home(sandbox, "gemini")
    private = os.path.join(sandbox, "elsewhere", "trusted.json")
    os.makedirs(os.path.dirname(private))
    env = {**env, "GEMINI_CLI_TRUSTED_FOLDERS_PATH": private}
    path = realcli.folder(sandbox, "project")
    code, doc = realcli.preflight("gemini", binary, env, path, mode="pty", timeout=120)
    assert (code, doc["results"][0]["status"]) == (0, "accepted"), realcli.brief(doc)
    assert read_json(private) == {path: "TRUST_FOLDER"}
    assert not os.path.exists(os.path.join(home, ".gemini", "trustedFolders.json"))
    assert realcli.status(env, path, name="gemini") == "trusted"
    assert_nothing_left(sandbox)


@pytest.mark.realcli
@pytest.mark.parametrize("version", ["2.1.197", "2.1.330"])
def test_claude_legacy_config_json_is_read_as_claude_reads_it(sandbox: str, version: str) -> None:
    """Trust recorded only in a non-empty ~/.claude/.config.json: the real CLI
    shows no dialog, and status and preflight say trusted (nothing started)."""
    binary = require_cli("claude", version)
    home, env = realcli.setup_home(sandbox, "claude")
    path = realcli.folder(sandbox, "project")
    os.makedirs(os.path.join(home, ".claude"), exist_ok=True)
    with open(os.path.join(home, ".claude", ".config.json"), "w", encoding="utf-8") as handle:
        json.dump(
            {"hasCompletedOnboarding": True, "theme": "dark", "projects": {path: {"hasTrustDialogAccepted": True}}},
            handle,
        )
    assert claude_asks(binary, path, env) is False
    assert realcli.status(env, path, name="claude") == "trusted"
    code, doc = realcli.preflight("claude", binary, env, path)
    (row,) = doc["results"]
    assert (code, row["status"], row["pty_spawned"]) == (0, "already_trusted", False), realcli.brief(doc)
    assert_nothing_left(sandbox)
