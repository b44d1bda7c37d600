"""The read-only Claude state probe."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from workspace_trust.adapters.filesystem import LocalFileSystemFacts
from workspace_trust.domain.codes import Code, TrustState
from workspace_trust.domain.paths import HostOs, PathFacts, Workspace, build_workspace
from workspace_trust.providers.claude.probe import (
    MAX_STATE_BYTES,
    WHOLE_DECODE_BYTES,
    ClaudeStateProbe,
    claude_state_path,
    parse_claude_state,
)


def write(path: str, projects: dict[str, dict[str, object]]) -> None:
    with open(path, "w", encoding="utf-8") as handle:
        json.dump({"oauthAccount": {"emailAddress": "secret@example.com"}, "projects": projects}, handle)


def workspace(path: str, git_root: str | None = None, real: str | None = None, main: str | None = None) -> Workspace:
    facts = PathFacts(
        absolute=path,
        real=real or path,
        home="/home/u",
        exists=True,
        is_dir=True,
        git_root=git_root,
        worktree_main_root=main,
    )
    return build_workspace(path, facts, HostOs.LINUX)


def test_state_path_prefers_config_dir() -> None:
    assert claude_state_path({"CLAUDE_CONFIG_DIR": "/c"}, "/h") == "/c/.claude.json"
    assert claude_state_path({}, "/h") == "/h/.claude.json"


@pytest.mark.parametrize(
    ("key", "source", "kwargs"),
    [
        ("/w/p", "exact", {}),
        ("/real/p", "real", {"real": "/real/p"}),
        ("/repo", "git_root", {"git_root": "/repo"}),
        ("/w", "parent", {}),
    ],
)
def test_trust_found_through_each_candidate(tmp_path: Path, key: str, source: str, kwargs: dict[str, str]) -> None:
    state = tmp_path / ".claude.json"
    write(str(state), {key: {"hasTrustDialogAccepted": True}})
    result = ClaudeStateProbe(str(state)).read_trust(workspace("/w/p", **kwargs))
    assert result.state is TrustState.TRUSTED
    assert result.trusted_key == key
    assert result.source == source


def test_false_means_shown_not_accepted(tmp_path: Path) -> None:
    state = tmp_path / ".claude.json"
    write(str(state), {"/w/p": {"hasTrustDialogAccepted": False}})
    assert ClaudeStateProbe(str(state)).read_trust(workspace("/w/p")).state is TrustState.UNTRUSTED


@pytest.mark.parametrize(
    ("content", "code"),
    [
        (None, Code.STATE_FILE_MISSING),
        (b'{"projects": {', Code.STATE_FILE_CORRUPT),
        (b"[1,2]", Code.STATE_FILE_CORRUPT),
        (b"\xff\xfe", Code.STATE_FILE_CORRUPT),
    ],
)
def test_bad_state_files_are_unknown_never_a_crash(tmp_path: Path, content: bytes | None, code: Code) -> None:
    state = tmp_path / ".claude.json"
    if content is not None:
        state.write_bytes(content)
    result = ClaudeStateProbe(str(state)).read_trust(workspace("/w/p"))
    assert result.state is TrustState.UNKNOWN
    assert [d.code for d in result.diagnostics] == [code]
    assert "secret" not in repr(result)


@pytest.mark.parametrize("pad", [0, 3 * WHOLE_DECODE_BYTES], ids=["read-whole", "scanned"])
def test_bytes_that_are_not_utf8_are_read_as_claude_reads_them(tmp_path: Path, pad: int) -> None:
    """Claude decodes them as U+FFFD and starts; so a key holding one is
    spelt with U+FFFD, and the rest of the file is read, not refused."""
    state = tmp_path / ".claude.json"
    filler = b'"pad": "' + b"x" * pad + b'", ' if pad else b""
    state.write_bytes(
        b'{"note": "caf\xe9\xff", '
        + filler
        + b'"projects": {"/w/p": {"hasTrustDialogAccepted": true}, "/w/caf\xe9": {"hasTrustDialogAccepted": true}}}'
    )
    probe = ClaudeStateProbe(str(state))
    assert probe.read_trust(workspace("/w/p")).state is TrustState.TRUSTED
    assert probe.read_trust(workspace("/w/caf\ufffd")).state is TrustState.TRUSTED
    assert probe.read_trust(workspace("/w/q")).state is TrustState.UNTRUSTED


def test_huge_state_file_is_refused(tmp_path: Path) -> None:
    state = tmp_path / ".claude.json"
    with open(state, "wb") as handle:
        handle.truncate(MAX_STATE_BYTES + 1)
    result = ClaudeStateProbe(str(state)).read_trust(workspace("/w/p"))
    assert result.diagnostics[0].code is Code.STATE_FILE_TOO_LARGE


def test_probe_sees_rewrites(tmp_path: Path) -> None:
    state = tmp_path / ".claude.json"
    write(str(state), {})
    probe = ClaudeStateProbe(str(state))
    assert probe.read_trust(workspace("/w/p")).state is TrustState.UNTRUSTED
    write(str(state), {"/w/p": {"hasTrustDialogAccepted": True}})
    os.utime(state, ns=(1, 10**18))
    assert probe.read_trust(workspace("/w/p")).state is TrustState.TRUSTED


def test_git_worktree_main_root_is_a_candidate(tmp_path: Path) -> None:
    main = tmp_path / "main"
    (main / ".git" / "worktrees" / "wt").mkdir(parents=True)
    wt = tmp_path / "wt"
    wt.mkdir()
    (wt / ".git").write_text(f"gitdir: {main}/.git/worktrees/wt\n")
    facts = LocalFileSystemFacts(HostOs.LINUX).gather(str(wt), env={"HOME": "/nonexistent"})
    assert facts.git_root == str(wt)
    assert facts.worktree_main_root == str(main)
    state = tmp_path / ".claude.json"
    write(str(state), {str(main): {"hasTrustDialogAccepted": True}})
    w = build_workspace(str(wt), facts, HostOs.LINUX)
    result = ClaudeStateProbe(str(state), version="2.1.330").read_trust(w)
    assert result.state is TrustState.TRUSTED and result.source == "worktree_main_root"
    # 2.1.62 and older ask there, and so does a version not known (the strictest lookup).
    for version in ("2.1.62", None):
        assert ClaudeStateProbe(str(state), version=version).read_trust(w).state is TrustState.UNTRUSTED


def test_a_trusted_a_slash_b_does_not_make_a_backslash_b_trusted(tmp_path: Path) -> None:
    """On Linux a\\b is one folder named "a\\b", not a/b: Claude keys it with the
    backslash and shows the dialog there even when a/b is trusted."""
    state = tmp_path / ".claude.json"
    write(str(state), {"/w/a/b": {"hasTrustDialogAccepted": True}})
    probe = ClaudeStateProbe(str(state))
    assert probe.read_trust(workspace("/w/a\\b")).state is TrustState.UNTRUSTED
    write(str(state), {"/w/a\\b": {"hasTrustDialogAccepted": True}})
    result = ClaudeStateProbe(str(state)).read_trust(workspace("/w/a\\b"))
    assert (result.state, result.trusted_key, result.source) == (TrustState.TRUSTED, "/w/a\\b", "exact")
    assert ClaudeStateProbe(str(state)).read_trust(workspace("/w/a/b")).state is TrustState.UNTRUSTED


@pytest.mark.parametrize(
    ("value", "state"),
    [("true", TrustState.TRUSTED), (1, TrustState.TRUSTED), ({}, TrustState.TRUSTED), ("", TrustState.UNTRUSTED)],
)
def test_odd_trust_values_are_read_as_claude_reads_them(tmp_path: Path, value: object, state: TrustState) -> None:
    """Claude skips the dialog for any JavaScript-truthy value (seen on 2.1.119,
    2.1.197 and 2.1.330); the probe must not wait for a `true` that never comes."""
    path = tmp_path / ".claude.json"
    write(str(path), {"/w/p": {"hasTrustDialogAccepted": value}})
    assert ClaudeStateProbe(str(path)).read_trust(workspace("/w/p")).state is state


#: (trusted key, workspace, its git root, its worktree's main checkout, its real
#: path) -> whether each version's lookup finds trust there, as the real CLIs
#: do (measured on 2.0.77, 2.1.19, 2.1.62, 2.1.63, 2.1.119, 2.1.197, 2.1.231,
#: 2.1.232, 2.1.330, 2.1.332 and 2.1.337; tests/test_real_lookup.py checks the
#: pinned ones). None: a version not known.
LOOKUP_CASES = {
    "under a trusted folder": ("/p", "/p/ws", None, None, None),
    "git root under a trusted folder": ("/p", "/p/repo", "/p/repo", None, None),
    "git subfolder under a trusted folder": ("/p", "/p/repo/sub", "/p/repo", None, None),
    "nested repository under a trusted one": ("/outer", "/outer/inner", "/outer/inner", None, None),
    "git subfolder of a trusted root": ("/repo", "/repo/a/b", "/repo", None, None),
    "git subfolder under a trusted subfolder": ("/repo/a", "/repo/a/b", "/repo", None, None),
    "worktree of a trusted main checkout": ("/main", "/wt/sub", "/wt", "/main", None),
    "trusted key names a link to the folder": ("/link", "/link", None, None, "/real"),
    "trusted key names a link above the folder": ("/link", "/link/ws", None, None, "/real/ws"),
}
WALKS_ALL = {"under a trusted folder", "git root under a trusted folder", "git subfolder under a trusted folder"}
EVERYWHERE = {"under a trusted folder", "git subfolder of a trusted root", "git subfolder under a trusted subfolder"}
TRUSTED_BY_VERSION: dict[str | None, set[str]] = {
    "2.0.77": WALKS_ALL | EVERYWHERE | {"nested repository under a trusted one"},
    "2.1.62": WALKS_ALL | EVERYWHERE | {"nested repository under a trusted one"},
    "2.1.63": WALKS_ALL | EVERYWHERE | {"nested repository under a trusted one", "worktree of a trusted main checkout"},
    "2.1.231": WALKS_ALL
    | EVERYWHERE
    | {"nested repository under a trusted one", "worktree of a trusted main checkout"},
    "2.1.232": EVERYWHERE | {"worktree of a trusted main checkout"},
    "2.1.330": EVERYWHERE | {"worktree of a trusted main checkout"},
    # Not known: newer than every verified version, or not readable at all.
    "999.0.0": EVERYWHERE,
    "not-a-version": EVERYWHERE,
    None: EVERYWHERE,
}


@pytest.mark.parametrize("version", list(TRUSTED_BY_VERSION))
@pytest.mark.parametrize("case", list(LOOKUP_CASES))
def test_each_version_looks_trust_up_as_that_version_of_claude_does(
    tmp_path: Path, case: str, version: str | None
) -> None:
    key, path, git_root, main, real = LOOKUP_CASES[case]
    state = tmp_path / ".claude.json"
    write(str(state), {key: {"hasTrustDialogAccepted": True}})
    ws = workspace(path, git_root=git_root, real=real, main=main)
    result = ClaudeStateProbe(str(state), version=version).read_trust(ws)
    assert result.trusted is (case in TRUSTED_BY_VERSION[version]), result
    if result.trusted:
        assert result.trusted_key == key
    data = state.read_bytes()
    assert parse_claude_state(data, ws, version).trusted is result.trusted
