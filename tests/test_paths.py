"""Workspace path canonicalisation: POSIX and Windows rules, tested on Linux."""

from __future__ import annotations

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from workspace_trust.domain.paths import (
    HostOs,
    NotPersistableReason,
    PathError,
    PathFacts,
    PathFlavor,
    build_workspace,
    comparison_key,
    dedupe_workspaces,
    normalize,
    parents,
)
from workspace_trust.providers.claude.keys import claude_config_key
from workspace_trust.providers.codex.keys import codex_config_key
from workspace_trust.providers.gemini.keys import gemini_config_key


def ws(path: str, host: HostOs = HostOs.LINUX, *, real: str | None = None, home: str | None = "/home/u"):  # type: ignore[no-untyped-def]
    facts = PathFacts(absolute=path, real=real or path, home=home, exists=True, is_dir=True)
    return build_workspace(path, facts, host)


@pytest.mark.parametrize(
    ("raw", "flavor", "expected"),
    [
        ("/a/b/", PathFlavor.POSIX, "/a/b"),
        ("//a/./b/../c", PathFlavor.POSIX, "/a/c"),
        ("/", PathFlavor.POSIX, "/"),
        ("C:\\Repo\\", PathFlavor.WINDOWS, "C:\\Repo"),
        ("c:/repo/x/..", PathFlavor.WINDOWS, "C:\\repo"),
        ("\\\\srv\\share\\proj", PathFlavor.WINDOWS, "\\\\srv\\share\\proj"),
    ],
)
def test_normalize(raw: str, flavor: PathFlavor, expected: str) -> None:
    assert normalize(raw, flavor) == expected


@pytest.mark.parametrize("bad", ["", "relative/path", "a\x00b"])
def test_bad_paths_are_refused(bad: str) -> None:
    with pytest.raises(PathError):
        normalize(bad, PathFlavor.POSIX)


def test_windows_drive_case_dedupes_but_config_key_keeps_text() -> None:
    a, b = ws("C:\\Repo", HostOs.WINDOWS), ws("c:/repo", HostOs.WINDOWS)
    assert a.comparison_key == b.comparison_key
    assert claude_config_key("C:\\Repo", HostOs.WINDOWS) == "C:/Repo"
    assert codex_config_key("C:\\Repo", HostOs.WINDOWS) == "C:\\Repo"
    assert gemini_config_key("C:\\Repo", HostOs.WINDOWS) == "c:/repo"
    assert len(dedupe_workspaces([a, b])) == 1


def test_posix_case_is_kept() -> None:
    assert comparison_key("/Work/Repo", HostOs.LINUX) == "/Work/Repo"
    assert gemini_config_key("/Work/Repo", HostOs.LINUX) == "/Work/Repo"
    assert gemini_config_key("/Work/Repo", HostOs.MACOS) == "/work/repo"


def test_macos_var_and_private_var_are_both_kept() -> None:
    w = ws("/var/folders/x/proj", HostOs.MACOS, real="/private/var/folders/x/proj")
    assert tuple(claude_config_key(p, w.host) for p in w.trust_paths) == (
        "/var/folders/x/proj",
        "/private/var/folders/x/proj",
    )
    assert w.trust_paths == ("/var/folders/x/proj", "/private/var/folders/x/proj")


@pytest.mark.parametrize(
    ("path", "host", "reason"),
    [
        ("/", HostOs.LINUX, NotPersistableReason.FILESYSTEM_ROOT),
        ("/home/u", HostOs.LINUX, NotPersistableReason.HOME_DIRECTORY),
        ("/home/u/", HostOs.LINUX, NotPersistableReason.HOME_DIRECTORY),
        ("C:\\", HostOs.WINDOWS, NotPersistableReason.DRIVE_ROOT),
        ("\\\\srv\\share", HostOs.WINDOWS, NotPersistableReason.UNC_SHARE_ROOT),
    ],
)
def test_not_persistable(path: str, host: HostOs, reason: NotPersistableReason) -> None:
    home = "C:\\Users\\u" if host is HostOs.WINDOWS else "/home/u"
    w = ws(path, host, home=home)
    assert not w.persistable
    assert w.not_persistable_reason is reason


def test_symlink_to_home_is_home() -> None:
    w = ws("/data/link-to-home", real="/home/u")
    assert w.not_persistable_reason is NotPersistableReason.HOME_DIRECTORY


def test_project_folder_is_persistable() -> None:
    assert ws("/home/u/project").persistable


def test_parents_walk_to_root() -> None:
    assert parents("/a/b/c", HostOs.LINUX) == ("/a/b", "/a", "/")
    assert parents("C:\\a\\b", HostOs.WINDOWS) == ("C:\\a", "C:\\")


_segment = st.text(
    alphabet=st.characters(blacklist_characters="/\x00", blacklist_categories=["Cs"]), min_size=1, max_size=8
)
_posix = st.lists(st.one_of(_segment, st.just("."), st.just(".."), st.just("")), max_size=8).map(
    lambda p: "/" + "/".join(p)
)


@given(_posix)
def test_normalize_is_idempotent(path: str) -> None:
    once = normalize(path, PathFlavor.POSIX)
    assert normalize(once, PathFlavor.POSIX) == once


@given(st.lists(_segment, min_size=1, max_size=5), st.lists(_segment, min_size=1, max_size=5))
def test_dedupe_never_merges_different_posix_paths(a: list[str], b: list[str]) -> None:
    pa, pb = "/" + "/".join(a), "/" + "/".join(b)
    wa, wb = ws(pa, home=None), ws(pb, home=None)
    merged = dedupe_workspaces([wa, wb])
    if normalize(pa, PathFlavor.POSIX) != normalize(pb, PathFlavor.POSIX):
        assert len(merged) == 2
    else:
        assert len(merged) == 1


_win_segment = st.text(
    alphabet=st.characters(blacklist_characters='\\/:*?"<>|\x00', blacklist_categories=["Cs"]),
    min_size=1,
    max_size=8,
).filter(lambda s: s.strip(". ") == s)


@given(st.sampled_from("CDcd"), st.lists(_win_segment, max_size=5))
def test_windows_canonicalisation_is_idempotent(drive: str, segments: list[str]) -> None:
    path = f"{drive}:\\" + "\\".join(segments)
    once = normalize(path, PathFlavor.WINDOWS)
    assert normalize(once, PathFlavor.WINDOWS) == once
    assert comparison_key(once, HostOs.WINDOWS) == comparison_key(path.swapcase(), HostOs.WINDOWS)


@pytest.mark.parametrize(
    ("git_root", "main_root", "expected"),
    [
        ("/home/ana", None, NotPersistableReason.HOME_DIRECTORY),
        ("/", None, NotPersistableReason.FILESYSTEM_ROOT),
        ("/home/ana/src/repo", "/home/ana", NotPersistableReason.HOME_DIRECTORY),
        ("/home/ana/src/repo", None, None),
        (None, None, None),
    ],
)
def test_repository_root_that_is_home_or_a_root_is_flagged(
    git_root: str | None, main_root: str | None, expected: NotPersistableReason | None
) -> None:
    facts = PathFacts(
        absolute="/home/ana/src/repo/app",
        real="/home/ana/src/repo/app",
        home="/home/ana",
        exists=True,
        is_dir=True,
        git_root=git_root,
        worktree_main_root=main_root,
    )
    ws = build_workspace("/home/ana/src/repo/app", facts, HostOs.LINUX)
    assert ws.persistable and ws.repository_root_reason is expected


def test_the_accounts_own_home_is_guarded_when_home_points_elsewhere() -> None:
    facts = PathFacts(
        absolute="/home/ana", real="/home/ana", home="/tmp/sandbox", exists=True, is_dir=True, account_home="/home/ana"
    )
    ws = build_workspace("/home/ana", facts, HostOs.LINUX)
    assert ws.not_persistable_reason is NotPersistableReason.HOME_DIRECTORY


# -- folders that contain a home folder ------------------------------------------


@pytest.mark.parametrize(
    ("path", "real", "home"),
    [
        ("/home", None, "/home/u"),  # the parent
        ("/", None, "/home/u"),  # the root stays a root
        ("/var/tmp", None, "/var/tmp/sandbox/home"),  # the grandparent
        ("/tmp", None, "/tmp/h"),  # a temp folder that holds HOME
        ("/home/u/..", None, "/home/u"),  # spelled with ..
        ("/home/u/x/../..", None, "/home/u"),
        ("/data/link", "/home", "/home/u"),  # a symlink to the parent
        ("/home", None, "/home/u/"),  # HOME with a trailing slash
        ("/home", None, "/home/./u"),
    ],
)
def test_a_folder_that_contains_home_is_not_persistable(path: str, real: str | None, home: str) -> None:
    w = ws(path, real=real, home=home)
    assert not w.persistable
    expected = NotPersistableReason.FILESYSTEM_ROOT if path == "/" else NotPersistableReason.HOME_ANCESTOR
    assert w.not_persistable_reason is expected


@pytest.mark.parametrize("path", ["/home/uber", "/home/u2", "/home/u/project", "/srv/home", "/home-u"])
def test_neighbours_and_subfolders_of_home_stay_persistable(path: str) -> None:
    assert ws(path, home="/home/u").persistable


def test_every_home_is_guarded_the_env_home_resolved_and_the_accounts() -> None:
    def reason(path: str, **facts: str | None) -> NotPersistableReason | None:
        base: dict[str, str | None] = {"home": None, "real_home": None, "account_home": None, "account_home_raw": None}
        base.update(facts)
        got = PathFacts(
            absolute=path,
            real=path,
            exists=True,
            is_dir=True,
            home=base["home"],
            real_home=base["real_home"],
            account_home=base["account_home"],
            account_home_raw=base["account_home_raw"],
        )
        return build_workspace(path, got, HostOs.LINUX).not_persistable_reason

    ancestor = NotPersistableReason.HOME_ANCESTOR
    # HOME=/tmp/link-home -> /data/u: both /tmp and /data contain a home.
    assert reason("/tmp", home="/tmp/link-home", real_home="/data/u") is ancestor
    assert reason("/data", home="/tmp/link-home", real_home="/data/u") is ancestor
    # The environment points elsewhere: the account's own home still counts,
    # as the password database spells it and resolved.
    assert reason("/home", home="/tmp/sandbox", account_home="/var/home/ana", account_home_raw="/home/ana") is ancestor
    assert reason("/var", home="/tmp/sandbox", account_home="/var/home/ana", account_home_raw="/home/ana") is ancestor
    assert reason("/var/lib", home="/tmp/sandbox", account_home="/var/home/ana") is None


@pytest.mark.parametrize(
    ("path", "home", "host", "expected"),
    [
        ("C:\\Users", "C:\\Users\\ana", HostOs.WINDOWS, NotPersistableReason.HOME_ANCESTOR),
        ("c:/users", "C:\\Users\\ana", HostOs.WINDOWS, NotPersistableReason.HOME_ANCESTOR),
        ("C:\\USERS\\ANA", "C:\\Users\\ana", HostOs.WINDOWS, NotPersistableReason.HOME_DIRECTORY),
        ("C:\\Users\\ana\\src", "C:\\Users\\ana", HostOs.WINDOWS, None),
        ("\\\\srv\\share\\homes", "\\\\srv\\share\\homes\\ana", HostOs.WINDOWS, NotPersistableReason.HOME_ANCESTOR),
        # macOS volumes ignore case: /users is /Users.
        ("/users", "/Users/ana", HostOs.MACOS, NotPersistableReason.HOME_ANCESTOR),
        ("/USERS/ANA", "/Users/ana", HostOs.MACOS, NotPersistableReason.HOME_DIRECTORY),
        # Linux does not: /Home is another folder.
        ("/Home", "/home/ana", HostOs.LINUX, None),
    ],
)
def test_home_ancestors_on_each_os(path: str, home: str, host: HostOs, expected: NotPersistableReason | None) -> None:
    assert ws(path, host, home=home).not_persistable_reason is expected


def test_a_repository_root_that_contains_home_is_flagged() -> None:
    for git_root, main_root in (("/home", None), ("/home/ana/src/repo", "/home")):
        facts = PathFacts(
            absolute="/home/ana/src/repo/app",
            real="/home/ana/src/repo/app",
            home="/home/ana",
            exists=True,
            is_dir=True,
            git_root=git_root,
            worktree_main_root=main_root,
        )
        w = build_workspace("/home/ana/src/repo/app", facts, HostOs.LINUX)
        assert w.persistable and w.repository_root_reason is NotPersistableReason.HOME_ANCESTOR


_name = st.text(alphabet="abcxyz.-_ \\", min_size=1, max_size=4).filter(lambda s: s not in (".", ".."))


@given(
    home=st.lists(_name, min_size=1, max_size=5),
    depth=st.integers(min_value=0, max_value=5),
    tail=st.lists(_name, max_size=3),
    noise=st.lists(st.sampled_from([".", "", "x/.."]), max_size=3),
)
def test_a_folder_is_refused_exactly_when_it_is_home_or_contains_it(
    home: list[str], depth: int, tail: list[str], noise: list[str]
) -> None:
    """Take a prefix of HOME (an ancestor, HOME itself or a root), add spelling
    noise (., empty segments, x/..) and maybe other segments: the workspace is
    refused exactly when, normalised, it is HOME, a folder above it, or the root."""
    home_path = "/" + "/".join(home)
    kept = home[: min(depth, len(home))]
    raw = "/" + "/".join([*kept[:1], *noise, *kept[1:], *tail])
    w = ws(raw, home=home_path)
    norm, home_norm = normalize(raw, PathFlavor.POSIX), normalize(home_path, PathFlavor.POSIX)
    if norm == "/":
        assert w.not_persistable_reason is NotPersistableReason.FILESYSTEM_ROOT
    elif norm == home_norm:
        assert w.not_persistable_reason is NotPersistableReason.HOME_DIRECTORY
    elif home_norm.startswith(norm + "/"):
        assert w.not_persistable_reason is NotPersistableReason.HOME_ANCESTOR
    else:
        assert w.persistable
    # And the guard looks at the real path too: a symlink to the same place is
    # refused for the same reason.
    via_link = ws("/elsewhere/link", real=raw, home=home_path)
    assert via_link.not_persistable_reason is w.not_persistable_reason


@given(
    home=st.lists(_name, min_size=1, max_size=4),
    depth=st.integers(min_value=0, max_value=4),
    case_swap=st.booleans(),
)
def test_windows_and_macos_refuse_any_case_spelling_of_a_home_ancestor(
    home: list[str], depth: int, case_swap: bool
) -> None:
    mac_home = "/" + "/".join(home)
    win_home = "C:\\" + "\\".join(h.replace("\\", "_") for h in home)
    for host, home_path, sep, root in ((HostOs.MACOS, mac_home, "/", "/"), (HostOs.WINDOWS, win_home, "\\", "C:\\")):
        parts = home_path[len(root) :].split(sep)
        ancestor = root + sep.join(parts[: min(depth, len(parts) - 1)])
        spelled = ancestor.swapcase() if case_swap else ancestor
        assert not ws(spelled, host, home=home_path).persistable, (host, spelled, home_path)


# -- backslashes in folder names ----------------------------------------------------

_with_backslash = st.lists(
    st.text(alphabet="ab\\ .", min_size=1, max_size=5).filter(lambda s: s not in (".", "..")), min_size=1, max_size=4
).filter(lambda parts: any("\\" in p for p in parts))


@given(_with_backslash)
def test_a_backslash_is_part_of_a_posix_name_for_claude_and_codex(parts: list[str]) -> None:
    """Claude (2.1.330) and Codex turn separators into slashes on Windows only: on
    Linux and macOS the folder a\\b is keyed .../a\\b, never .../a/b."""
    path = "/base/" + "/".join(parts)
    for host in (HostOs.LINUX, HostOs.MACOS):
        key = claude_config_key(path, host)
        assert key == normalize(path, PathFlavor.POSIX) and "\\" in key
        assert codex_config_key(path, host) == key
        assert claude_config_key(path.replace("\\", "/"), host) != key  # a/b is another folder
        assert comparison_key(path, host) != comparison_key(path.replace("\\", "/"), host)


@given(_with_backslash)
def test_on_windows_every_key_uses_one_separator(parts: list[str]) -> None:
    path = "C:\\base\\" + "\\".join(p.strip(". ") or "x" for p in parts)
    assert "\\" not in claude_config_key(path, HostOs.WINDOWS)
    assert "/" not in codex_config_key(path, HostOs.WINDOWS)
    assert claude_config_key(path, HostOs.WINDOWS) == claude_config_key(path.replace("\\", "/"), HostOs.WINDOWS)


@given(_with_backslash)
def test_gemini_turns_backslashes_into_slashes_on_every_os(parts: list[str]) -> None:
    """Gemini 0.61.0 does (normalizePath), so its a\\b and a/b share one key."""
    path = "/base/" + "/".join(parts)
    assert "\\" not in gemini_config_key(path, HostOs.LINUX)
    assert gemini_config_key(path, HostOs.LINUX) == normalize(path, PathFlavor.POSIX).replace("\\", "/")


def test_backslash_examples() -> None:
    assert claude_config_key("/b/a\\b", HostOs.LINUX) == "/b/a\\b"
    assert claude_config_key("/b/a\\b", HostOs.MACOS) == "/b/a\\b"
    assert claude_config_key("C:\\b\\a", HostOs.WINDOWS) == "C:/b/a"
    assert gemini_config_key("/b/a\\b", HostOs.LINUX) == "/b/a/b"
    assert claude_config_key(ws("/b/a\\b").absolute_path, HostOs.LINUX) == "/b/a\\b"
    assert parents("/b/a\\b", HostOs.LINUX) == ("/b", "/")


@pytest.mark.parametrize(
    ("path", "host", "expected"),
    [
        ("/tmp", HostOs.LINUX, NotPersistableReason.WORLD_WRITABLE),
        ("/tmp/", HostOs.LINUX, NotPersistableReason.WORLD_WRITABLE),
        ("/private/tmp", HostOs.MACOS, NotPersistableReason.WORLD_WRITABLE),
        ("/tmp/project", HostOs.LINUX, None),
        ("/dev/shm", HostOs.LINUX, NotPersistableReason.WORLD_WRITABLE),
        ("/dev/shm/project", HostOs.LINUX, None),
        ("/dev", HostOs.LINUX, NotPersistableReason.PSEUDO_FILESYSTEM),
        ("/dev/pts", HostOs.LINUX, NotPersistableReason.PSEUDO_FILESYSTEM),
        ("/proc/1/cwd", HostOs.LINUX, NotPersistableReason.PSEUDO_FILESYSTEM),
        ("/sys", HostOs.LINUX, NotPersistableReason.PSEUDO_FILESYSTEM),
        ("/system", HostOs.LINUX, None),
        ("/devices", HostOs.LINUX, None),
        ("C:\\tmp", HostOs.WINDOWS, None),
    ],
)
def test_folders_that_are_no_project_folders_by_name(path: str, host: HostOs, expected: object) -> None:
    workspace = ws(path, host, home="/home/u" if host is not HostOs.WINDOWS else "C:\\Users\\u")
    assert workspace.not_persistable_reason is expected
    assert workspace.persistable is (expected is None)


def test_what_the_file_system_says_of_a_folder_and_of_its_repository_root() -> None:
    reason = NotPersistableReason.WORLD_WRITABLE
    said = PathFacts(absolute="/srv/p", real="/srv/p", home="/home/u", exists=True, is_dir=True, folder_reason=reason)
    assert build_workspace("/srv/p", said, HostOs.LINUX).not_persistable_reason is reason
    of_root = PathFacts(
        absolute="/srv/p/x",
        real="/srv/p/x",
        home="/home/u",
        exists=True,
        is_dir=True,
        git_root="/srv/p",
        repository_folder_reason=NotPersistableReason.PSEUDO_FILESYSTEM,
    )
    workspace = build_workspace("/srv/p/x", of_root, HostOs.LINUX)
    assert (workspace.persistable, workspace.repository_root_reason) == (True, NotPersistableReason.PSEUDO_FILESYSTEM)
    no_root = attrs.evolve(of_root, git_root=None)
    assert build_workspace("/srv/p/x", no_root, HostOs.LINUX).repository_root_reason is None
