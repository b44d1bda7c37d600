"""The real-CLI scenarios that are the same for several CLIs apart from data,
written once and run on every pinned version of each CLI that has them.

Per-provider data is the table ``CLIS`` below (built from each provider's own
real-CLI test module) and the provider's spec (its state file). What only one
CLI does stays in its own ``test_real_<name>.py``.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Mapping
from typing import Any

import attrs
import pytest

from tests import realcli
from tests.providers.claude import test_real_claude
from tests.providers.copilot import test_real_copilot
from tests.providers.qwen import test_real_qwen
from tests.realcli import Doc, assert_nothing_left, require_cli
from workspace_trust.domain.codes import Provider
from workspace_trust.providers import spec_for

pytestmark = [pytest.mark.slow]


@attrs.frozen(slots=True)
class Accept:
    """One version's trust dialog and its answer."""

    #: The rule that recognises the dialog.
    rule: str
    #: The keys that accept it: the last one Enter, once; the moves before it
    #: may be repeated by the closed loop when a loaded machine dropped one.
    keys: tuple[str, ...]
    #: The dialog is the first screen a rule recognises.
    first: bool = True
    #: Every other dialog a run may see (None: not checked).
    others: frozenset[str] | None = None


@attrs.frozen(slots=True)
class Cli:
    """What the scenarios need to know of one provider's real CLI."""

    name: str
    versions: tuple[str, ...]
    #: (sandbox) -> (HOME, environment): a fresh HOME seeded for the trust dialog.
    setup: Callable[[str], tuple[str, dict[str, str]]]
    #: (HOME) -> the trust entries as the CLI wrote them.
    trusted: Callable[[str], object]
    #: (folder) -> what ``trusted`` reads when that folder alone is trusted.
    only: Callable[[str], object]
    #: (HOME, folder) -> write an entry that trusts the folder (and what is below it).
    trust_folder: Callable[[str, str], None] | None = None
    #: (binary, folder, env) -> the real CLI, started there and watched, shows the trust dialog.
    asks_for_trust: Callable[[str, str, dict[str, str]], bool] | None = None
    #: Options a version needs on every preflight.
    extra: Mapping[str, tuple[str, ...]] = attrs.field(factory=dict)
    #: Pass ``--provider NAME`` (Claude runs as the README's main command, without it).
    select: bool = True
    #: The CLI writes the git repository's root for a folder inside it.
    keys_git_root: bool = False
    #: How many preflights race for one fresh folder.
    racers: int = 4
    #: Where the symlink is in the symlinked-path scenario: "folder", "parent".
    symlinks: tuple[str, ...] = ()
    #: Per version: how the trust dialog is answered.
    accept: Mapping[str, Accept] = attrs.field(factory=dict)
    #: What ``status`` says proved trust of a folder the preflight accepted.
    trusted_by: str = "exact"

    def preflight(self, version: str, binary: str, env: Mapping[str, str], *dirs: str) -> tuple[int, Doc]:
        return realcli.preflight(self.name, binary, env, *dirs, select=self.select, extra=self.extra.get(version, ()))

    def status(self, env: Mapping[str, str], path: str) -> str:
        return realcli.status(env, path, name=self.name if self.select else None)

    def status_result(self, env: Mapping[str, str], path: str) -> tuple[int, dict[str, Any]]:
        select = ("--provider", self.name) if self.select else ()
        code, doc = realcli.run_json(env, "status", path, *select, "--json", timeout=60)
        return code, doc["results"][0]


def _qwen_trust_folder(home: str, folder: str) -> None:
    with open(os.path.join(home, ".qwen", "trustedFolders.json"), "w", encoding="utf-8") as handle:
        json.dump({folder: "TRUST_FOLDER"}, handle)


def _copilot_trust_folder(home: str, folder: str) -> None:
    # The older key: Copilot still reads it (and the probe must too).
    test_real_copilot.write_config(home, test_real_copilot.HEADER + json.dumps({"trusted_folders": [folder]}))


def _claude_trust_folder(home: str, folder: str) -> None:
    with open(os.path.join(home, ".claude.json"), encoding="utf-8") as handle:
        doc = json.load(handle)
    doc["projects"] = {folder: {"hasTrustDialogAccepted": True}}
    with open(os.path.join(home, ".claude.json"), "w", encoding="utf-8") as handle:
        json.dump(doc, handle)


CLIS = {
    "claude": Cli(
        name="claude",
        versions=tuple(test_real_claude.VERSIONS),
        setup=test_real_claude.setup_home,
        trusted=test_real_claude.trusted_projects,
        only=lambda folder: {folder: True},
        trust_folder=_claude_trust_folder,
        asks_for_trust=test_real_claude.asks_for_trust,
        select=False,
        keys_git_root=True,
        racers=2,
        accept={version: Accept(rule, keys) for version, (rule, keys) in test_real_claude.ACCEPT.items()},
    ),
    "qwen": Cli(
        name="qwen",
        versions=tuple(test_real_qwen.VERSIONS),
        setup=test_real_qwen.setup_home,
        trusted=test_real_qwen.trusted_folders,
        only=lambda folder: {folder: "TRUST_FOLDER"},
        trust_folder=_qwen_trust_folder,
        symlinks=("parent",),
        # Its login screen is drawn behind the dialog, and may be recognised first.
        accept={
            version: Accept(
                "qwen.workspace_trust",
                ("enter",),
                first=False,
                others=frozenset({"qwen.trust_restarting", test_real_qwen.PICKER[version]}),
            )
            for version in test_real_qwen.VERSIONS
        },
        trusted_by="rule",
    ),
    "copilot": Cli(
        name="copilot",
        versions=tuple(test_real_copilot.VERSIONS),
        setup=test_real_copilot.setup_home,
        trusted=test_real_copilot.trusted_folders,
        only=lambda folder: [folder],
        trust_folder=_copilot_trust_folder,
        asks_for_trust=test_real_copilot.asks_for_trust,
        extra=test_real_copilot.EXTRA,
        symlinks=("folder",),
        # "1. Yes" (this session only) is preselected: Down first, never a bare Enter.
        accept={
            version: Accept("copilot.workspace_trust", ("down", "enter")) for version in test_real_copilot.VERSIONS
        },
    ),
}


def each_version(
    *, having: Callable[[Cli], bool] = lambda cli: True, starts: Callable[[Cli], bool] | None = None
) -> list[object]:
    """Each pinned version of each CLI ``having``; with ``starts``, those of
    a CLI the test starts (``starts``) are marked ``realcli``, the others not."""
    return [
        pytest.param(
            name,
            version,
            id=f"{name}-{version}",
            marks=[pytest.mark.realcli] if starts is not None and starts(cli) else [],
        )
        for name, cli in CLIS.items()
        if having(cli)
        for version in cli.versions
    ]


@pytest.mark.realcli
@pytest.mark.parametrize(
    ("name", "version"),
    [pytest.param(name, version, id=f"{name}-{version}") for name, cli in CLIS.items() for version in cli.accept],
)
def test_a_fresh_folder_is_accepted_for_exactly_itself_then_a_second_run_is_a_no_op(
    name: str, version: str, sandbox: str
) -> None:
    """The trust dialog is answered by label with the keys its layout needs
    (never a bare Enter where another option is preselected), trust of exactly
    the folder (never its parent) is in the state file, the real CLI no longer
    asks there, and the next preflight starts nothing."""
    cli = CLIS[name]
    accept = cli.accept[version]
    binary = require_cli(name, version)
    home, env = cli.setup(sandbox)
    parent = os.path.join(sandbox, "work")
    ws = realcli.folder(parent, "project")
    code, doc = cli.preflight(version, binary, env, ws)
    (result,) = doc["results"]
    assert (code, doc["status"], result["status"]) == (0, "ok", "accepted"), realcli.brief(doc)
    keys = result["keys"]
    assert keys[0] == accept.keys[0], keys
    assert keys[-1] == "enter" and keys.count("enter") == 1, keys
    assert set(keys[:-1]) <= set(accept.keys[:-1]), keys
    dialogs = result["dialogs"]
    if accept.first:
        assert dialogs[0] == accept.rule, dialogs
    else:
        assert accept.rule in dialogs, dialogs
    if accept.others is not None:
        assert set(dialogs) <= {accept.rule} | accept.others, dialogs
    assert result["trusted_key"] == ws
    assert cli.trusted(home) == cli.only(ws)
    assert_nothing_left(sandbox)
    if cli.asks_for_trust is not None:
        assert not cli.asks_for_trust(binary, ws, env)
        assert_nothing_left(sandbox)

    code, doc = cli.preflight(version, binary, env, ws)
    (again,) = doc["results"]
    assert (code, again["status"], again["pty_spawned"], again["keys"]) == (0, "already_trusted", False, []), (
        realcli.brief(doc)
    )
    code, status = cli.status_result(env, ws)
    assert (code, status["status"], status["trusted_by"]) == (0, "trusted", cli.trusted_by), status
    # The parent was not trusted: a sibling still needs its own answer.
    sibling = realcli.folder(parent, "sibling")
    assert cli.status(env, sibling) == "untrusted"
    assert_nothing_left(sandbox)


#: Folders that are HOME or contain it, and the code that refuses each.
REFUSED = {
    "home": "workspace_trust_not_persistable_home",
    "parent": "workspace_trust_not_persistable_home_ancestor",
    "grandparent": "workspace_trust_not_persistable_home_ancestor",
    "dotdot": "workspace_trust_not_persistable_home_ancestor",
    "x-dotdot": "workspace_trust_not_persistable_home_ancestor",
    # HOME/proj inside a repository whose root is above HOME: a CLI that keys
    # the root would trust HOME's parent.
    "git-root-above-home": "workspace_trust_not_persistable_home_ancestor",
    "root": "workspace_trust_not_persistable_root",
}


def _refused_cases() -> list[object]:
    return [
        pytest.param(name, version, where, id=f"{name}-{version}-{where}")
        for name, cli in CLIS.items()
        for version in cli.versions
        for where in REFUSED
        if where != "git-root-above-home" or cli.keys_git_root
    ]


def _read(path: str) -> bytes | None:
    try:
        with open(path, "rb") as handle:
            return handle.read()
    except FileNotFoundError:
        return None


@pytest.mark.parametrize(("name", "version", "where"), _refused_cases())
def test_home_and_what_contains_it_are_refused_before_the_cli_starts(
    name: str, version: str, where: str, sandbox: str
) -> None:
    """Trusting HOME, or a folder that contains it, would trust HOME and
    everything in it. Refused before anything runs, even ``--help``: the binary
    is a wrapper that leaves a mark when started. The state file is untouched."""
    cli = CLIS[name]
    binary = require_cli(name, version)
    home, env = cli.setup(sandbox)
    wrapper, mark = realcli.marking_wrapper(sandbox, binary)
    os.makedirs(os.path.join(home, "proj"))
    # ``x`` must exist for ``x/../..`` to name a folder at all: the system
    # refuses ``missing/..`` (ENOENT), and so does the library.
    os.makedirs(os.path.join(home, "x"))
    if where == "git-root-above-home":
        realcli.git_init(sandbox)
    target = {
        "home": home,
        "parent": sandbox,
        "grandparent": os.path.dirname(sandbox),
        "dotdot": home + "/..",
        "x-dotdot": home + "/x/../..",
        "git-root-above-home": os.path.join(home, "proj"),
        "root": "/",
    }[where]
    state_file = spec_for(Provider(name)).state_file(env)
    assert state_file is not None and state_file.startswith(home + os.sep), state_file
    before = _read(state_file)
    code, doc = cli.preflight(version, wrapper, env, target)
    (result,) = doc["results"]
    assert (code, result["status"], result["code"], result["pty_spawned"]) == (
        3,
        "blocked",
        REFUSED[where],
        False,
    ), realcli.brief(doc)
    assert not os.path.exists(mark)
    assert _read(state_file) == before
    assert_nothing_left(sandbox)


@pytest.mark.realcli
@pytest.mark.parametrize(("name", "version"), each_version())
def test_the_cli_never_updates_or_installs_itself_during_a_preflight(name: str, version: str, sandbox: str) -> None:
    """Once its dialog was answered, Qwen Code 0.15.6 started ``npm install -g``
    of its newest release (and a preflight then upgraded the user's global
    install, or cut it short with the kill). A package manager first on the
    CLI's PATH records every call: none may come. Its failing mode needs the
    npm registry to be reachable, and a newer release than the pin."""
    cli = CLIS[name]
    binary = require_cli(name, version)
    _, env = cli.setup(sandbox)
    env, calls = realcli.npm_trap(sandbox, env)
    ws = realcli.folder(sandbox, "project")
    code, doc = cli.preflight(version, binary, env, ws)
    assert (code, doc["results"][0]["status"]) == (0, "accepted"), realcli.brief(doc)
    assert realcli.npm_changes(calls) == []
    assert_nothing_left(sandbox)


@pytest.mark.realcli
@pytest.mark.parametrize(("name", "version"), each_version())
def test_racing_preflights_on_one_fresh_folder_start_one_cli(name: str, version: str, sandbox: str) -> None:
    cli = CLIS[name]
    binary = require_cli(name, version)
    home, env = cli.setup(sandbox)
    ws = realcli.folder(sandbox, "project")
    argv = realcli.preflight_argv(name, binary, ws, select=cli.select, extra=cli.extra.get(version, ()))
    runs = realcli.concurrent_preflights(argv, env, cli.racers)
    docs = [doc for _, doc in runs]
    results = [doc["results"][0] for doc in docs]
    assert sorted(r["status"] for r in results) == ["accepted"] + ["already_trusted_after_wait"] * (cli.racers - 1), (
        realcli.brief(*docs)
    )
    assert sum(r["pty_spawned"] for r in results) == 1, realcli.brief(*docs)
    assert [code for code, _ in runs] == [0] * cli.racers, realcli.brief(*docs)
    assert cli.trusted(home) == cli.only(ws)
    assert_nothing_left(sandbox)


@pytest.mark.realcli
@pytest.mark.parametrize(("name", "version"), each_version())
def test_a_git_subfolder_is_trusted_where_the_cli_keys_it(name: str, version: str, sandbox: str) -> None:
    """Claude Code writes the repository root's key (the probe finds trust
    through it); Qwen and Copilot write the folder they run in, REPO/sub/deeper,
    never REPO. Folders below the key are covered; above it they are not."""
    cli = CLIS[name]
    binary = require_cli(name, version)
    home, env = cli.setup(sandbox)
    repo = os.path.join(sandbox, "repo")
    deeper = os.path.join(repo, "sub", "deeper")
    os.makedirs(os.path.join(deeper, "below"))
    realcli.git_init(repo)
    key = repo if cli.keys_git_root else deeper
    code, doc = cli.preflight(version, binary, env, deeper)
    (result,) = doc["results"]
    assert (code, result["status"], result["trusted_key"]) == (0, "accepted", key), realcli.brief(doc)
    assert cli.trusted(home) == cli.only(key)
    assert cli.status(env, os.path.join(deeper, "below")) == "trusted"
    if cli.keys_git_root:
        _, again = cli.preflight(version, binary, env, os.path.join(repo, "sub"))
        assert again["results"][0]["status"] == "already_trusted", again
    else:
        assert (cli.status(env, repo), cli.status(env, os.path.join(repo, "sub"))) == ("untrusted", "untrusted")
    assert_nothing_left(sandbox)


def _symlink_cases() -> list[object]:
    return [
        pytest.param(name, version, where, id=f"{name}-{version}-link-to-{where}")
        for name, cli in CLIS.items()
        for version in cli.versions
        for where in cli.symlinks
    ]


@pytest.mark.realcli
@pytest.mark.parametrize(("name", "version", "where"), _symlink_cases())
def test_a_symlinked_path_is_trusted_as_its_real_folder(name: str, version: str, where: str, sandbox: str) -> None:
    """The CLI runs in the real folder and writes its real path (process.cwd()):
    the folder is then trusted whichever way it is reached."""
    cli = CLIS[name]
    binary = require_cli(name, version)
    home, env = cli.setup(sandbox)
    if where == "parent":
        real = realcli.folder(sandbox, "real", "project")
        os.symlink(os.path.join(sandbox, "real"), os.path.join(sandbox, "link"))
        given = os.path.join(sandbox, "link", "project")
    else:
        real = os.path.join(sandbox, "real-project")
        given = os.path.join(sandbox, "link-project")
        os.makedirs(real)
        os.symlink(real, given)
    code, doc = cli.preflight(version, binary, env, given)
    (result,) = doc["results"]
    assert (code, result["status"], result["workspace"], result["real_path"], result["trusted_key"]) == (
        0,
        "accepted",
        given,
        real,
        real,
    ), realcli.brief(doc)
    assert cli.trusted(home) == cli.only(real)
    assert (cli.status(env, given), cli.status(env, real)) == ("trusted", "trusted")
    _, again = cli.preflight(version, binary, env, given)
    assert (again["results"][0]["status"], again["results"][0]["pty_spawned"]) == ("already_trusted", False), again
    assert_nothing_left(sandbox)


@pytest.mark.parametrize(
    ("name", "version"),
    # The real CLI is started, to see that it does not ask, where the suite can watch it.
    each_version(having=lambda cli: cli.trust_folder is not None, starts=lambda cli: cli.asks_for_trust is not None),
)
def test_a_folder_trusted_from_above_starts_nothing(name: str, version: str, sandbox: str) -> None:
    """A parent folder's trust entry covers the folder: the preflight says
    already_trusted without starting anything, not even ``--help`` (the binary
    is a wrapper that leaves a mark), and the real CLI agrees: it does not ask."""
    cli = CLIS[name]
    assert cli.trust_folder is not None
    binary = require_cli(name, version)
    home, env = cli.setup(sandbox)
    parent = os.path.join(sandbox, "work")
    ws = realcli.folder(parent, "project")
    cli.trust_folder(home, parent)
    wrapper, mark = realcli.marking_wrapper(sandbox, binary)
    code, doc = cli.preflight(version, wrapper, env, ws)
    (result,) = doc["results"]
    assert (code, result["status"], result["pty_spawned"], result["trusted_key"]) == (
        0,
        "already_trusted",
        False,
        parent,
    ), realcli.brief(doc)
    assert not os.path.exists(mark)
    if cli.asks_for_trust is not None:
        assert not cli.asks_for_trust(binary, ws, env)
    assert_nothing_left(sandbox)
