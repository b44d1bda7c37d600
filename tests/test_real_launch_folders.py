"""The folders a launch's arguments open, prepared by the real preflight and
checked on the real launch: after ``preflight W --launch-arg=...``, the
launch with those arguments asks nothing about the other folder, where the
same launch without the preflight does (tests/test_real_launch_modes.py pins
the raw behaviour)."""

from __future__ import annotations

import os
import shlex

import pytest

from tests import realcli
from tests.realcli import ModelStub, assert_nothing_left, require_cli
from tests.test_real_launch_modes import (
    CLAUDE_ADD_DIR,
    claude_projects,
    codex_trust_table,
    copilot_home,
    gemini_home,
    trust_in_claude,
    watch_screen,
    workspace,
)

pytestmark = [pytest.mark.realcli, pytest.mark.slow]


def rows(doc: realcli.Doc) -> list[tuple[str | None, str, str, str | None]]:
    return [(r["input"], r["workspace"], r["status"], r["opened_by"]) for r in doc["results"]]


@pytest.mark.parametrize("version", ["2.1.330", "2.1.337"])
@pytest.mark.parametrize("spelling", ["--add-dir B", "--add-dir=B"])
def test_claude_add_dir_folder_is_prepared_and_the_launch_asks_nothing(
    sandbox: str, version: str, spelling: str
) -> None:
    binary = require_cli("claude", version)
    home, env = realcli.setup_home(sandbox, "claude")
    path, extra = workspace(sandbox), workspace(sandbox, "extra")
    trust_in_claude(home, path)
    flag = ["--add-dir", extra] if spelling == "--add-dir B" else [f"--add-dir={extra}"]
    code, doc = realcli.preflight("claude", binary, env, path, extra=tuple(f"--launch-arg=claude={a}" for a in flag))
    assert code == 0, realcli.brief(doc)
    given = " ".join(flag)
    assert rows(doc) == [(path, path, "already_trusted", None), (None, extra, "accepted", given)], realcli.brief(doc)
    seen, screen = watch_screen([binary, *flag], path, env, CLAUDE_ADD_DIR)
    assert seen == "prompt", screen
    assert_nothing_left(sandbox)


def test_claude_add_dir_of_the_home_folder_is_blocked_and_nothing_starts(sandbox: str) -> None:
    binary = require_cli("claude", "2.1.337")
    home, env = realcli.setup_home(sandbox, "claude")
    path = workspace(sandbox)
    code, doc = realcli.preflight("claude", binary, env, path, extra=(f"--launch-arg=claude=--add-dir={home}",))
    assert code == 3, realcli.brief(doc)
    (blocked,) = [r for r in doc["results"] if r["opened_by"] is not None]
    assert (blocked["status"], blocked["code"], blocked["pty_spawned"]) == (
        "blocked",
        "workspace_trust_not_persistable_home",
        False,
    ), realcli.brief(doc)
    assert doc["status"] == "blocked"
    assert home not in (claude_projects(home) or {})
    assert_nothing_left(sandbox)


def test_codex_cd_folder_is_carried_by_the_override_and_the_launch_asks_nothing(sandbox: str) -> None:
    binary = require_cli("codex", "0.169.0")
    _, env = realcli.setup_home(sandbox, "codex")
    path = realcli.git_init(os.path.join(sandbox, "work", "repo"))
    extra = realcli.git_init(os.path.join(sandbox, "work", "extra"))
    code, doc = realcli.preflight(
        "codex", binary, env, path, extra=("--launch-arg=codex=-C", f"--launch-arg=codex={extra}")
    )
    assert code == 0, realcli.brief(doc)
    assert rows(doc) == [(path, path, "patched", None), (None, extra, "patched", f"-C {extra}")], realcli.brief(doc)
    (value,) = doc["provider_fields"]["codex"]["config_overrides"]
    outcomes = {"trust dialog": "Trust this folder?", "prompt": "Ask Codex to do anything"}
    seen, screen = watch_screen([binary, "--no-daemon", "-c", value, "-C", extra], path, env, outcomes)
    assert seen == "prompt", screen
    # The request's folder alone would not have done: the dialog asks about B.
    seen, screen = watch_screen(
        [binary, "--no-daemon", "-c", codex_trust_table(path), "-C", extra], path, env, outcomes
    )
    assert seen == "trust dialog", screen
    assert_nothing_left(sandbox)


def test_copilot_c_folder_is_prepared_and_the_launch_asks_nothing(sandbox: str) -> None:
    binary = require_cli("copilot", "1.0.102")
    _, env = copilot_home(sandbox)
    path, extra = workspace(sandbox), workspace(sandbox, "extra")
    code, doc = realcli.preflight(
        "copilot", binary, env, path, extra=("--launch-arg=copilot=-C", f"--launch-arg=copilot={extra}")
    )
    assert code == 0, realcli.brief(doc)
    assert rows(doc) == [(path, path, "accepted", None), (None, extra, "accepted", f"-C {extra}")], realcli.brief(doc)
    outcomes = {"trust dialog": "Confirm folder trust", "prompt": "Please use /login"}
    seen, screen = watch_screen([binary, "-C", extra], path, env, outcomes)
    assert seen == "prompt", screen
    assert_nothing_left(sandbox)


@pytest.mark.parametrize("spelling", ["--include-directories A B", "--include-directories=A,B"])
def test_gemini_include_directories_are_prepared_in_a_terminal_and_the_launch_asks_nothing(
    sandbox: str, stub: ModelStub, spelling: str
) -> None:
    """0.61.0: the working folder gets the session variable; each folder of
    ``--include-directories`` (which that variable does not cover) is trusted
    by the dialog; the launch with the variable then asks nothing."""
    binary = require_cli("gemini", "0.61.0")
    _, env = gemini_home(sandbox, stub)
    path, one, two = workspace(sandbox), workspace(sandbox, "one"), workspace(sandbox, "two")
    flag = ["--include-directories", one, two] if " A B" in spelling else [f"--include-directories={one},{two}"]
    code, doc = realcli.preflight("gemini", binary, env, path, extra=tuple(f"--launch-arg=gemini={a}" for a in flag))
    assert code == 0, realcli.brief(doc)
    given = shlex.join(flag)
    assert rows(doc) == [
        (path, path, "patched", None),
        (None, one, "accepted", given),
        (None, two, "accepted", given),
    ], realcli.brief(doc)
    patched = {**env, **{k: v for p in doc["env_patches"] for k, v in p["values"].items()}}
    outcomes = {
        "include dialog": "Do you trust the following folders being added to this workspace?",
        "prompt": "Type your message",
    }
    seen, screen = watch_screen([binary, *flag], path, patched, outcomes)
    assert seen == "prompt", screen
    assert_nothing_left(sandbox)
