"""Whether Qwen Code's folder trust is on, read from its settings as Qwen reads
them (seen on the real CLIs: off by default, ``"yes"`` counts, a settings file
that does not parse stops 0.24.4), and where its files are."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from workspace_trust.providers.qwen.settings import (
    FolderTrust,
    PathStyle,
    folder_trust,
    parse_dotenv,
    qwen_dir,
    trusted_folders_path,
)
from workspace_trust.providers.qwen.strategy import qwen_trust_required

OFF = object()
TRUTHY: tuple[Any, ...] = (True, "yes", 1, {}, [], "false")
FALSY: tuple[Any, ...] = (False, 0, "", None, 0.0)


def env_with(tmp_path: Path, user: Any = OFF, system: Any = OFF, defaults: Any = OFF) -> dict[str, str]:
    home = tmp_path / "home"
    (home / ".qwen").mkdir(parents=True, exist_ok=True)
    etc = tmp_path / "etc"
    etc.mkdir(exist_ok=True)
    for path, doc in (
        (home / ".qwen" / "settings.json", user),
        (etc / "settings.json", system),
        (etc / "system-defaults.json", defaults),
    ):
        if doc is not OFF:
            path.write_text(doc if isinstance(doc, str) else json.dumps(doc))
    return {"HOME": str(home), "QWEN_CODE_SYSTEM_SETTINGS_PATH": str(etc / "settings.json")}


def trust(value: Any) -> dict[str, Any]:
    return {"security": {"folderTrust": {"enabled": value}}}


def test_off_by_default(tmp_path: Path) -> None:
    env = env_with(tmp_path)
    assert folder_trust(env).trust is FolderTrust.OFF
    assert qwen_trust_required(env) is False


@pytest.mark.parametrize(
    ("value", "on"),
    [*((value, True) for value in TRUTHY), *((value, False) for value in FALSY)],
)
def test_javascript_truthiness(tmp_path: Path, value: Any, on: bool) -> None:
    state = folder_trust(env_with(tmp_path, user=trust(value)))
    assert state.trust is (FolderTrust.ON if on else FolderTrust.OFF)


def test_environment_references_in_the_value(tmp_path: Path) -> None:
    env = env_with(tmp_path, user=trust("$QWEN_TRUST_ON"))
    assert folder_trust({**env, "QWEN_TRUST_ON": ""}).trust is FolderTrust.OFF
    assert folder_trust({**env, "QWEN_TRUST_ON": "1"}).trust is FolderTrust.ON
    assert folder_trust(env).trust is FolderTrust.ON  # left as "$QWEN_TRUST_ON": truthy


def test_merge_orders_of_both_versions(tmp_path: Path) -> None:
    """0.24.4: defaults < user < system. 0.15.6: system < user. Off only when both say off."""
    assert folder_trust(env_with(tmp_path / "a", user=trust(False), defaults=trust(True))).trust is FolderTrust.OFF
    assert folder_trust(env_with(tmp_path / "b", system=trust(True))).trust is FolderTrust.ON
    # The system turns it off for 0.24.4, the user's wins for 0.15.6: on.
    assert folder_trust(env_with(tmp_path / "c", user=trust(True), system=trust(False))).trust is FolderTrust.ON
    # A deep merge: the system's other keys do not remove the user's value.
    both = env_with(tmp_path / "d", user=trust(True), system={"security": {"folderTrust": {}, "x": 1}})
    assert folder_trust(both).trust is FolderTrust.ON
    # A non-object replaces the subtree.
    assert folder_trust(env_with(tmp_path / "e", defaults=trust(True), user={"security": 3})).trust is FolderTrust.OFF


def test_the_old_flat_form_counts(tmp_path: Path) -> None:
    assert folder_trust(env_with(tmp_path, user={"folderTrust": True})).trust is FolderTrust.ON


def test_comments_and_a_byte_order_mark_are_fine(tmp_path: Path) -> None:
    text = '\ufeff// mine\n{"security": /* x */ {"folderTrust": {"enabled": true}}}'
    assert folder_trust(env_with(tmp_path, user=text)).trust is FolderTrust.ON


@pytest.mark.parametrize("text", ["", "{", "[]", "null", '{"a": 1,}', '{"a": Infinity}', "\xff"])
def test_a_settings_file_qwen_cannot_start_with(tmp_path: Path, text: str) -> None:
    """Seen on 0.24.4: an empty or broken settings.json ends Qwen at once (exit 1);
    0.15.6 moves it aside. Neither may be started: the state is unreadable,
    never "off", and the message names the file's role, not its contents."""
    for role, env in (
        ("user", env_with(tmp_path / "u", user=text)),
        ("system", env_with(tmp_path / "s", system=text)),
        ("defaults", env_with(tmp_path / "d", defaults=text)),
    ):
        state = folder_trust(env)
        assert state.trust is FolderTrust.UNREADABLE, role
        assert qwen_trust_required(env) is True
        assert "does not parse" in state.problem
    secret = env_with(tmp_path / "k", user='{"env": {"OPENAI_API_KEY": "sk-not-shown-123"')
    assert "sk-not-shown" not in folder_trust(secret).problem


def test_a_folder_or_fifo_as_settings_is_unreadable(tmp_path: Path) -> None:
    env = env_with(tmp_path)
    os.mkdir(os.path.join(env["HOME"], ".qwen", "settings.json"))
    assert folder_trust(env).trust is FolderTrust.UNREADABLE
    env = env_with(tmp_path / "f")
    os.mkfifo(os.path.join(env["HOME"], ".qwen", "settings.json"))
    assert folder_trust(env).trust is FolderTrust.UNREADABLE


def test_qwen_home_moves_the_settings(tmp_path: Path) -> None:
    env = env_with(tmp_path, user=trust(False))
    moved = tmp_path / "moved"
    moved.mkdir()
    (moved / "settings.json").write_text(json.dumps(trust(True)))
    assert folder_trust({**env, "QWEN_HOME": str(moved)}).trust is FolderTrust.ON
    # "~" is the environment's HOME; a relative one needs the folder Qwen runs in.
    assert qwen_dir({"HOME": "/h", "QWEN_HOME": "~/q"}, style=PathStyle.POSIX) == "/h/q"
    assert qwen_dir({"HOME": "/h", "QWEN_HOME": "q"}, style=PathStyle.POSIX) is None
    assert qwen_dir({"HOME": "/h", "QWEN_HOME": "q"}, "/w", PathStyle.POSIX) == "/w/q"
    assert folder_trust({**env, "QWEN_HOME": "rel"}).trust is FolderTrust.UNKNOWN
    assert qwen_trust_required({**env, "QWEN_HOME": "rel"}) is True


def test_trusted_folders_path() -> None:
    style = PathStyle.POSIX
    assert trusted_folders_path({"HOME": "/h"}, style=style) == "/h/.qwen/trustedFolders.json"
    assert trusted_folders_path({"HOME": "/h", "QWEN_HOME": "/q"}, style=style) == "/q/trustedFolders.json"
    named = {"HOME": "/h", "QWEN_HOME": "/q", "QWEN_CODE_TRUSTED_FOLDERS_PATH": "/t.json"}
    assert trusted_folders_path(named, style=style) == "/t.json"
    assert trusted_folders_path({}, style=style) is None


@pytest.mark.parametrize(
    ("text", "want"),
    [
        ("A=1\nB = two words # note\n", {"A": "1", "B": "two words"}),
        ("export QWEN_HOME='/q # not a comment'\n", {"QWEN_HOME": "/q # not a comment"}),
        ('X="a\\nb"\r\nY=`c`\n', {"X": "a\nb", "Y": "c"}),
        ("\ufeffA=1\nA=2\n", {"A": "2"}),
        ("# only a comment\nnot a line\nK:  v\n", {"K": "v"}),
    ],
)
def test_dotenv_lines(text: str, want: dict[str, str]) -> None:
    assert parse_dotenv(text) == want
