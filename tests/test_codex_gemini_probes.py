"""Read-only probes of Codex config.toml and Gemini trustedFolders.json."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from workspace_trust.domain.codes import Code, TrustState
from workspace_trust.domain.paths import HostOs, PathFacts, Workspace, build_workspace
from workspace_trust.providers.codex.probe import CodexConfigSentinel, CodexStateProbe, codex_config_path
from workspace_trust.providers.gemini.probe import (
    GeminiStateProbe,
    gemini_env_patch,
    trusted_folders_path,
)


def ws(path: str, host: HostOs = HostOs.LINUX, git_root: str | None = None, main_root: str | None = None) -> Workspace:
    facts = PathFacts(
        absolute=path,
        real=path,
        home="/home/u",
        exists=True,
        is_dir=True,
        git_root=git_root,
        worktree_main_root=main_root,
    )
    return build_workspace(path, facts, host)


def codex(tmp_path: Path, text: str | None) -> CodexStateProbe:
    config = tmp_path / "config.toml"
    if text is not None:
        config.write_text(text)
    return CodexStateProbe(str(config))


def test_codex_paths() -> None:
    assert codex_config_path({"CODEX_HOME": "/c"}) == "/c/config.toml"
    assert codex_config_path({"HOME": "/h"}) == "/h/.codex/config.toml"


@pytest.mark.parametrize(
    ("toml", "workspace", "state", "source"),
    [
        ('[projects."/r/a"]\ntrust_level = "trusted"\n', ws("/r/a"), TrustState.TRUSTED, "exact"),
        ('[projects."/r"]\ntrust_level = "trusted"\n', ws("/r/a", git_root="/r"), TrustState.TRUSTED, "git_root"),
        (
            '[projects."/m"]\ntrust_level = "trusted"\n',
            ws("/w", git_root="/w", main_root="/m"),
            TrustState.TRUSTED,
            "worktree_main_root",
        ),
        # The exact folder decides before the root: untrusted is a decision.
        (
            '[projects."/r/a"]\ntrust_level = "untrusted"\n[projects."/r"]\ntrust_level = "trusted"\n',
            ws("/r/a", git_root="/r"),
            TrustState.UNTRUSTED,
            "exact",
        ),
        ("[tui]\nx = 1\n", ws("/r/a"), TrustState.UNTRUSTED, None),
    ],
)
def test_codex_resolution_order(
    tmp_path: Path, toml: str, workspace: Workspace, state: TrustState, source: str | None
) -> None:
    result = codex(tmp_path, toml).read_trust(workspace)
    assert (result.state, result.source) == (state, source)


def test_codex_missing_file_is_untrusted_and_corrupt_is_unknown(tmp_path: Path) -> None:
    assert codex(tmp_path, None).read_trust(ws("/a")).state is TrustState.UNTRUSTED
    broken = codex(tmp_path, "[projects\nsecret_token = 'abc'").read_trust(ws("/a"))
    assert broken.state is TrustState.UNKNOWN
    assert [d.code for d in broken.diagnostics] == [Code.STATE_FILE_CORRUPT]
    assert "abc" not in repr(broken)


def test_codex_sentinel_ignores_ui_bookkeeping_and_flags_new_trust(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text("[tui]\nscreen_reader_detection_done = true\n")
    sentinel = CodexConfigSentinel(str(config))
    before = sentinel.capture()
    config.write_text('[tui]\nscreen_reader_detection_done = false\n[tui.model_availability_nux]\n"m" = 2\n')
    assert sentinel.compare(before, sentinel.capture()) == ()
    config.write_text('[projects."/a"]\ntrust_level = "trusted"\n')
    assert [d.code for d in sentinel.compare(before, sentinel.capture())] == [Code.CODEX_CONFIG_CHANGED]


def gemini(tmp_path: Path, text: str | None) -> GeminiStateProbe:
    path = tmp_path / "trustedFolders.json"
    if text is not None:
        path.write_text(text)
    return GeminiStateProbe(str(path))


@pytest.mark.parametrize(
    ("text", "path", "state"),
    [
        ('{"/w/p": "TRUST_FOLDER"}', "/w/p", TrustState.TRUSTED),
        ('{"/w/p": "TRUST_FOLDER"}', "/w/p/sub", TrustState.TRUSTED),
        ('{"/w/p": "TRUST_FOLDER"}', "/w/pp", TrustState.UNTRUSTED),
        ('{"/w/p/x": "TRUST_PARENT"}', "/w/p/other", TrustState.TRUSTED),
        ('{"/w": "TRUST_FOLDER", "/w/p": "DO_NOT_TRUST"}', "/w/p/a", TrustState.UNTRUSTED),
        ('{"/w": "DO_NOT_TRUST", "/w/p": "TRUST_FOLDER"}', "/w/p/a", TrustState.TRUSTED),
        ('// comment\n{"/w/p": /* inline */ "TRUST_FOLDER", "/x//y": "TRUST_FOLDER"}', "/w/p", TrustState.TRUSTED),
        ("", "/w/p", TrustState.UNTRUSTED),
    ],
)
def test_gemini_longest_rule_wins(tmp_path: Path, text: str, path: str, state: TrustState) -> None:
    assert gemini(tmp_path, text).read_trust(ws(path)).state is state


def test_gemini_keys_are_case_insensitive_on_macos(tmp_path: Path) -> None:
    probe = gemini(tmp_path, '{"/Users/U/Proj": "TRUST_FOLDER"}')
    assert probe.read_trust(ws("/users/u/proj/x", HostOs.MACOS)).state is TrustState.TRUSTED
    assert probe.read_trust(ws("/users/u/proj/x", HostOs.LINUX)).state is TrustState.UNTRUSTED


def test_gemini_corrupt_file_is_unknown(tmp_path: Path) -> None:
    result = gemini(tmp_path, "{nope").read_trust(ws("/w"))
    assert result.state is TrustState.UNKNOWN and result.diagnostics[0].code is Code.STATE_FILE_CORRUPT


def test_gemini_reads_comments_but_no_trailing_comma(tmp_path: Path) -> None:
    # strip-json-comments and then JSON.parse (0.61.0): comments are read,
    # a trailing comma is not.
    commented = gemini(tmp_path, '// x\n{"/w": "TRUST_FOLDER" /* y */}').read_trust(ws("/w"))
    assert commented.state is TrustState.TRUSTED
    # A trailing comma stays, and JSON.parse then fails: Gemini reads no trust
    # from such a file.
    result = gemini(tmp_path, '{"/w": "TRUST_FOLDER",}').read_trust(ws("/w"))
    assert result.state is TrustState.UNKNOWN and result.diagnostics[0].code is Code.STATE_FILE_CORRUPT
    # A comment left open runs to the end and is blanked: the list before it
    # is read (Gemini 0.61.0 goes to its prompt in such a folder).
    assert gemini(tmp_path, '{"/w": "TRUST_FOLDER"} /* open').read_trust(ws("/w")).state is TrustState.TRUSTED


def test_gemini_file_location_and_env_patch() -> None:
    assert trusted_folders_path({"GEMINI_CLI_TRUSTED_FOLDERS_PATH": "/t.json", "HOME": "/h"}) == "/t.json"
    assert trusted_folders_path({"HOME": "/h"}) == os.path.join("/h", ".gemini", "trustedFolders.json")
    patch = gemini_env_patch([ws("/w")])
    assert patch.values == (("GEMINI_CLI_TRUST_WORKSPACE", "true"),) and patch.session_only


@pytest.mark.parametrize(
    ("text", "path", "state"),
    [
        # Gemini keys the folder a\b as a/b on Linux too: they share trust.
        ('{"/w/a/b": "TRUST_FOLDER"}', "/w/a\\b", TrustState.TRUSTED),
        ('{"/w/a\\\\b": "TRUST_FOLDER"}', "/w/a/b/c", TrustState.TRUSTED),
        # TRUST_PARENT takes the parent of the rule as written: of /w/a\b that is /w.
        ('{"/w/a\\\\b": "TRUST_PARENT"}', "/w/other", TrustState.TRUSTED),
        ('{"/w/a/b": "TRUST_PARENT"}', "/w/other", TrustState.UNTRUSTED),
        # The longest rule as written wins.
        ('{"/w/p": "TRUST_FOLDER", "/w/p/": "DO_NOT_TRUST"}', "/w/p", TrustState.UNTRUSTED),
    ],
)
def test_gemini_backslashes_and_rules_as_written(tmp_path: Path, text: str, path: str, state: TrustState) -> None:
    assert gemini(tmp_path, text).read_trust(ws(path)).state is state


def test_codex_keeps_a_backslash_on_posix(tmp_path: Path) -> None:
    probe = codex(tmp_path, '[projects."/w/a/b"]\ntrust_level = "trusted"\n')
    assert probe.read_trust(ws("/w/a\\b")).state is TrustState.UNTRUSTED
    probe = codex(tmp_path, "[projects.'/w/a\\b']\ntrust_level = \"trusted\"\n")
    assert probe.read_trust(ws("/w/a\\b")).trusted_key == "/w/a\\b"


@pytest.mark.parametrize(
    ("text", "path", "verdict"),
    [
        ('{"/w/p": "DO_NOT_TRUST"}', "/w/p", "distrusted"),
        ('{"/w": "DO_NOT_TRUST"}', "/w/p", "distrusted"),
        ('{"/w": "TRUST_FOLDER", "/w/p": "DO_NOT_TRUST"}', "/w/p/a", "distrusted"),
        ('{"/w": "DO_NOT_TRUST", "/w/p": "TRUST_FOLDER"}', "/w/p/a", "trusted"),
        ('{"/w/q": "DO_NOT_TRUST"}', "/w/p", "untrusted"),
        ("{}", "/w/p", "untrusted"),
    ],
)
def test_gemini_a_folder_the_user_refused_is_reported_as_such(
    tmp_path: Path, text: str, path: str, verdict: str
) -> None:
    """Gemini CLI 0.61.0 shows no dialog where a DO_NOT_TRUST rule wins (it opens
    the folder restricted): the probe says so with its own code, which the
    strategies refuse with, instead of a plain "untrusted" a preflight would
    wait on for a dialog that never comes."""
    result = gemini(tmp_path, text).read_trust(ws(path))
    assert result.trusted is (verdict == "trusted")
    codes = [d.code.value for d in result.diagnostics]
    assert codes == (["gemini_folder_distrusted"] if verdict == "distrusted" else [])


@pytest.mark.parametrize("mode", ["env", "pty"])
def test_gemini_a_refused_folder_is_neither_patched_nor_started(tmp_path: Path, mode: str) -> None:
    from workspace_trust.coordinator import WorkspaceTrustCoordinator
    from workspace_trust.domain.codes import Provider, WorkspaceStatus
    from workspace_trust.ports import PtySession, PtySpawner, SpawnSpec
    from workspace_trust.requests import WorkspaceSpec, WorkspaceTrustRequest
    from workspace_trust.testing import FakeHelpReader, FakeLocks

    class NoSpawner(PtySpawner):
        def __init__(self) -> None:
            self.spawned: list[SpawnSpec] = []

        def spawn(self, spec: SpawnSpec) -> PtySession:
            self.spawned.append(spec)
            raise AssertionError("nothing may be started for a folder the user refused")

    home = tmp_path / "home"
    (home / ".gemini").mkdir(parents=True)
    project = tmp_path / "project"
    project.mkdir()
    (home / ".gemini" / "trustedFolders.json").write_text(f'{{"{project}": "DO_NOT_TRUST"}}')
    spawner = NoSpawner()
    coordinator = WorkspaceTrustCoordinator(
        spawner=spawner, locks=FakeLocks(), help_reader=FakeHelpReader(), use_file_locks=False
    )
    request = WorkspaceTrustRequest(
        workspaces=(WorkspaceSpec(str(project)),),
        env={"HOME": str(home), "PATH": os.environ["PATH"]},
        providers=(Provider.GEMINI,),
        strategy_modes={Provider.GEMINI: mode},
        binaries={Provider.GEMINI: "/bin/true"},
    )
    (result,) = coordinator.execute(coordinator.plan_full(request)).results
    assert (result.status, result.code and result.code.value) == (
        WorkspaceStatus.SOFT_FAILED,
        "gemini_folder_distrusted",
    )
    assert not result.pty_spawned and spawner.spawned == []


def test_gemini_a_rule_naming_a_link_covers_the_folder_it_leads_to(tmp_path: Path) -> None:
    """Gemini CLI 0.45.2 and 0.61.0 resolve a rule's folder (``realpathSync``
    when it exists) before comparing: a trusted link to the folder, or to a
    folder above it, covers it; a refused one refuses it
    (tests/test_real_lookup.py watches the real CLIs)."""
    real = tmp_path / "real"
    (real / "sub").mkdir(parents=True)
    link = tmp_path / "link"
    link.symlink_to(real)
    folder = str(real / "sub")
    assert gemini(tmp_path, f'{{"{link}": "TRUST_FOLDER"}}').read_trust(ws(folder)).state is TrustState.TRUSTED
    assert gemini(tmp_path, f'{{"{link}/sub": "TRUST_FOLDER"}}').read_trust(ws(folder)).state is TrustState.TRUSTED
    refused = gemini(tmp_path, f'{{"{real}": "TRUST_FOLDER", "{link}/sub": "DO_NOT_TRUST"}}').read_trust(ws(folder))
    assert [d.code.value for d in refused.diagnostics] == ["gemini_folder_distrusted"]
    # A rule that names nothing on disk is compared as written.
    assert gemini(tmp_path, '{"/nowhere": "TRUST_FOLDER"}').read_trust(ws("/nowhere/x")).trusted
