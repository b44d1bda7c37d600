"""The probe looks trust up as each real CLI does: a differential test.

For every pinned version of every CLI (``real-clis.txt``), one fresh HOME and one
set of folder layouts: a plain folder, folders under a trusted parent (git and
not), a git root and subfolder, a linked worktree, symbolic links, nested
repositories and, where the CLI has it, a folder the user refused. In each, the
test writes the trust entries as the CLI itself writes them, asks the library's
probe (as ``status`` does, with the version the library reads from the binary),
then starts the real CLI there and watches, never sending a key, whether it
shows its trust dialog. The probe's verdict must be the CLI's: trusted (or
refused by the user, which the library reports with its own code and never
answers) exactly where the CLI does not ask.

A new release that changes its lookup fails here on the day it is pinned.
Set-up is shared per version; the layouts each CLI does not tell apart from
another are left out where its start is slow (see ``LAYOUTS``).
"""

from __future__ import annotations

import json
import os
import subprocess
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import attrs
import pytest

from tests import realcli
from tests.providers.codex import test_real_codex
from tests.providers.copilot import test_real_copilot
from tests.realcli import assert_nothing_left, require_cli
from workspace_trust.adapters.filesystem import LocalFileSystemFacts
from workspace_trust.adapters.help import SubprocessHelpReader
from workspace_trust.adapters.pty_process import PtyProcessSpawner
from workspace_trust.domain.codes import Provider
from workspace_trust.domain.paths import build_workspace
from workspace_trust.domain.results import ProbeResult
from workspace_trust.engine.rules import RuleTable, match_rule
from workspace_trust.ports import SpawnSpec
from workspace_trust.providers.claude.rules import CLAUDE_RULES
from workspace_trust.providers.gemini.rules import GEMINI_RULES
from workspace_trust.providers.pty_strategy import PtyTrustStrategy
from workspace_trust.providers.qwen.rules import QWEN_RULES
from workspace_trust.registry import default_registry

pytestmark = [pytest.mark.realcli, pytest.mark.slow]

REAL_CLIS = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "real-clis.txt")


def pinned(name: str) -> list[str]:
    """The versions of ``name`` pinned in real-clis.txt."""
    with open(REAL_CLIS, encoding="utf-8") as handle:
        rows = [line.split() for line in handle if line.strip() and not line.startswith("#")]
    return [row[2] for row in rows if row[0] == name]


# -- layouts ------------------------------------------------------------------------

#: A trust entry: (folder, "trust" or "refuse").
Entry = tuple[str, str]

_GIT_ENV = {
    "GIT_AUTHOR_NAME": "t",
    "GIT_AUTHOR_EMAIL": "t@example.invalid",
    "GIT_COMMITTER_NAME": "t",
    "GIT_COMMITTER_EMAIL": "t@example.invalid",
    "GIT_CONFIG_NOSYSTEM": "1",
    "HOME": "/nonexistent",
}


def _git(*args: str, cwd: str | None = None) -> None:
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, env={**os.environ, **_GIT_ENV})


def _repo(path: str) -> str:
    """A git repository with one commit (a worktree needs one)."""
    os.makedirs(path, exist_ok=True)
    _git("init", "-q", path)
    _git("commit", "-q", "--allow-empty", "-m", "first", cwd=path)
    return path


def _dir(*parts: str) -> str:
    path = os.path.join(*parts)
    os.makedirs(path, exist_ok=True)
    return path


def _worktree(base: str) -> tuple[str, str]:
    """(main checkout, a linked worktree of it beside it)."""
    main = _repo(os.path.join(base, "main"))
    wt = os.path.join(base, "wt")
    _git("worktree", "add", "-q", wt, cwd=main)
    return main, wt


def _link(base: str, target: str) -> str:
    link = os.path.join(base, "link")
    os.symlink(target, link)
    return link


def _plain(b: str) -> tuple[list[Entry], str]:
    return [], _dir(b, "ws")


def _under_trusted(b: str) -> tuple[list[Entry], str]:
    return [(b, "trust")], _dir(b, "ws")


def _git_root_under_trusted(b: str) -> tuple[list[Entry], str]:
    return [(b, "trust")], _repo(os.path.join(b, "repo"))


def _git_sub_under_trusted(b: str) -> tuple[list[Entry], str]:
    _repo(os.path.join(b, "repo"))
    return [(b, "trust")], _dir(b, "repo", "sub")


def _git_root_trusted(b: str) -> tuple[list[Entry], str]:
    repo = _repo(os.path.join(b, "repo"))
    return [(repo, "trust")], repo


def _git_sub_of_trusted_root(b: str) -> tuple[list[Entry], str]:
    repo = _repo(os.path.join(b, "repo"))
    return [(repo, "trust")], _dir(repo, "sub")


def _git_root_of_trusted_sub(b: str) -> tuple[list[Entry], str]:
    repo = _repo(os.path.join(b, "repo"))
    return [(_dir(repo, "sub"), "trust")], repo


def _nested_in_trusted(b: str) -> tuple[list[Entry], str]:
    outer = _repo(os.path.join(b, "outer"))
    return [(outer, "trust")], _repo(os.path.join(outer, "inner"))


def _worktree_of_trusted(b: str) -> tuple[list[Entry], str]:
    main, wt = _worktree(b)
    return [(main, "trust")], _dir(wt, "sub")


def _main_of_trusted_worktree(b: str) -> tuple[list[Entry], str]:
    main, wt = _worktree(b)
    return [(wt, "trust")], main


def _through_link_to_trusted(b: str) -> tuple[list[Entry], str]:
    real = _dir(b, "real")
    return [(real, "trust")], _link(b, real)


def _link_trusted_real_folder(b: str) -> tuple[list[Entry], str]:
    real = _dir(b, "real")
    return [(_link(b, real), "trust")], real


def _link_trusted_through_link(b: str) -> tuple[list[Entry], str]:
    link = _link(b, _dir(b, "real"))
    return [(link, "trust")], link


def _repo_through_link_trusted(b: str) -> tuple[list[Entry], str]:
    real = _repo(os.path.join(b, "real"))
    return [(_link(b, real), "trust")], os.path.join(b, "link")


def _refused(b: str) -> tuple[list[Entry], str]:
    ws = _dir(b, "ws")
    return [(ws, "refuse")], ws


def _refused_below_trusted(b: str) -> tuple[list[Entry], str]:
    ws = _dir(b, "ws")
    return [(b, "trust"), (ws, "refuse")], _dir(ws, "sub")


def _below_refused(b: str) -> tuple[list[Entry], str]:
    return [(b, "refuse")], _dir(b, "ws")


#: name -> (folder of the layout) -> (trust entries, the folder the CLI runs in).
LAYOUTS: dict[str, Callable[[str], tuple[list[Entry], str]]] = {
    "plain": _plain,
    "under-trusted": _under_trusted,
    "git-root-under-trusted": _git_root_under_trusted,
    "git-sub-under-trusted": _git_sub_under_trusted,
    "git-root-trusted": _git_root_trusted,
    "git-sub-of-trusted-root": _git_sub_of_trusted_root,
    "git-root-of-trusted-sub": _git_root_of_trusted_sub,
    "nested-in-trusted": _nested_in_trusted,
    "worktree-of-trusted": _worktree_of_trusted,
    "main-of-trusted-worktree": _main_of_trusted_worktree,
    "through-link-to-trusted": _through_link_to_trusted,
    "link-trusted-real-folder": _link_trusted_real_folder,
    "link-trusted-through-link": _link_trusted_through_link,
    "repo-through-link-trusted": _repo_through_link_trusted,
    "refused": _refused,
    "refused-below-trusted": _refused_below_trusted,
    "below-refused": _below_refused,
}

#: Outside git (plain folders, links to them, trust from a parent).
NOT_GIT = ("plain", "under-trusted", "through-link-to-trusted", "link-trusted-real-folder", "link-trusted-through-link")
GIT = tuple(
    name
    for name in LAYOUTS
    if name not in NOT_GIT and name not in ("refused", "refused-below-trusted", "below-refused")
)
REFUSALS = ("refused", "refused-below-trusted", "below-refused")


# -- how each CLI is seeded and watched ---------------------------------------------


def _watch(
    argv: Sequence[str],
    cwd: str,
    env: dict[str, str],
    *,
    rules: RuleTable,
    trust_rules: Sequence[str],
    past_text: Sequence[str] = (),
    past_rules: Sequence[str] = (),
    settle_reads: int = 0,
) -> bool:
    """Start the CLI in ``cwd``, send no key, and watch until its trust dialog
    (True) or a screen past it (False). ``settle_reads`` more reads (100 ms
    each) follow a screen past it, for a CLI that draws its main screen
    before its dialog."""
    trust = [rule for rule in rules.rules if rule.id in trust_rules]
    past = [rule for rule in rules.rules if rule.id in past_rules]
    assert len(trust) == len(trust_rules) and len(past) == len(past_rules)
    session = PtyProcessSpawner().spawn(SpawnSpec(argv=tuple(argv), cwd=cwd, env=env))
    try:
        left: int | None = None
        text = ""
        for _ in range(1200):  # a bound on reads, not a timing assertion
            snapshot = session.read_snapshot(100)
            text = snapshot.text
            if any(match_rule(rule, snapshot) is not None for rule in trust):
                return True
            if left is None and (
                any(marker in text for marker in past_text) or any(match_rule(r, snapshot) for r in past)
            ):
                left = settle_reads
            if left is not None:
                if left <= 0:
                    return False
                left -= 1
            assert session.exit_status() is None, text
        raise AssertionError(f"neither the trust dialog nor a screen past it:\n{text}")
    finally:
        session.kill()


def _claude_trust(home: str, env: dict[str, str], entries: list[Entry]) -> None:
    path = os.path.join(home, ".claude.json")
    with open(path, encoding="utf-8") as handle:
        doc = json.load(handle)
    doc["projects"] = {folder: {"hasTrustDialogAccepted": True} for folder, _ in entries}
    with open(path, "w", encoding="utf-8") as handle:
        json.dump(doc, handle)


def _copilot_trust(home: str, env: dict[str, str], entries: list[Entry]) -> None:
    doc = {"trustedFolders": [folder for folder, _ in entries]}
    test_real_copilot.write_config(home, test_real_copilot.HEADER + json.dumps(doc))


def _folders_trust(folder: str) -> Callable[[str, dict[str, str], list[Entry]], None]:
    def write(home: str, env: dict[str, str], entries: list[Entry]) -> None:
        levels = {folder_: "TRUST_FOLDER" if level == "trust" else "DO_NOT_TRUST" for folder_, level in entries}
        with open(os.path.join(home, folder, "trustedFolders.json"), "w", encoding="utf-8") as handle:
            json.dump(levels, handle)

    return write


def _codex_trust(home: str, env: dict[str, str], entries: list[Entry]) -> None:
    path = os.path.join(env["CODEX_HOME"], "config.toml")
    try:
        with open(path, encoding="utf-8") as handle:
            text = handle.read().split("\n[projects.")[0]
    except FileNotFoundError:
        text = ""
    for folder, level in entries:
        text += f'\n[projects.{json.dumps(folder)}]\ntrust_level = "{"trusted" if level == "trust" else "untrusted"}"\n'
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(text)


def _claude_asks(binary: str, ws: str, env: dict[str, str]) -> bool:
    return _watch(
        (binary,),
        ws,
        env,
        rules=CLAUDE_RULES,
        # Every form in which Claude asks to trust the folder (2.1.337 adds
        # the repository variants: a dialog all the same).
        trust_rules=(
            "claude.workspace_trust",
            "claude.workspace_trust.numbered",
            "claude.workspace_trust.proceed",
            "claude.workspace_trust.repository",
            "claude.workspace_trust.repository.narrow",
            "claude.workspace_trust.repository.short",
            "claude.workspace_trust.repository.short_narrow",
            "claude.workspace_trust.repository_holds_home",
            "claude.workspace_trust.repository_holds_home.short",
            "claude.workspace_trust.session_only",
            "claude.workspace_trust.asked_again",
        ),
        past_text=("shift+tab to cycle", "? for shortcuts"),
    )


def _gemini_asks(binary: str, ws: str, env: dict[str, str]) -> bool:
    # 0.61.0 draws its main screen, then the dialog over it.
    return _watch(
        (binary,),
        ws,
        env,
        rules=GEMINI_RULES,
        trust_rules=("gemini.workspace_trust",),
        past_text=("Type your message",),
        settle_reads=30,
    )


def _qwen_asks(binary: str, ws: str, env: dict[str, str]) -> bool:
    # The login picker comes after the dialog, and is glimpsed just before it on 0.24.4.
    return _watch(
        (binary,),
        ws,
        env,
        rules=QWEN_RULES,
        trust_rules=("qwen.workspace_trust",),
        past_rules=("qwen.connect_provider", "qwen.select_auth"),
        settle_reads=30,
    )


def _codex_asks(binary: str, ws: str, env: dict[str, str]) -> bool:
    asks, _ = test_real_codex.launch_sees_trust_dialog(binary, env, ws, None)
    return asks


@attrs.frozen(slots=True)
class Cli:
    name: str
    setup: Callable[[str], tuple[str, dict[str, str]]]
    trust: Callable[[str, dict[str, str], list[Entry]], None]
    asks: Callable[[str, str, dict[str, str]], bool]
    layouts: tuple[str, ...]
    #: How many of its starts may run at once: the layouts' entries are written
    #: together (each covers only its own layout's folders), so a CLI that does
    #: not rewrite its state file when it starts can be watched in several at
    #: once. Claude, Copilot and Codex rewrite theirs: one at a time.
    at_once: int = 1


def _setup(name: str, **options: Any) -> Callable[[str], tuple[str, dict[str, str]]]:
    return lambda sandbox: realcli.setup_home(sandbox, name, **options)


CLIS = {
    "claude": Cli("claude", _setup("claude"), _claude_trust, _claude_asks, (*NOT_GIT, *GIT)),
    # Each start takes seconds: the layouts that tell its lookup apart.
    "copilot": Cli(
        "copilot",
        _setup("copilot"),
        _copilot_trust,
        test_real_copilot.asks_for_trust,
        (
            "plain",
            "git-root-under-trusted",
            "git-root-of-trusted-sub",
            "worktree-of-trusted",
            "main-of-trusted-worktree",
            "link-trusted-through-link",
        ),
    ),
    "gemini": Cli(
        "gemini",
        _setup("gemini"),
        _folders_trust(".gemini"),
        _gemini_asks,
        ("plain", "git-root-under-trusted", "worktree-of-trusted", "link-trusted-real-folder", *REFUSALS),
        at_once=3,
    ),
    "qwen": Cli(
        "qwen",
        _setup("qwen", folder_trust=True),
        _folders_trust(".qwen"),
        _qwen_asks,
        ("plain", "git-root-under-trusted", "worktree-of-trusted", "link-trusted-real-folder", *REFUSALS),
        at_once=3,
    ),
    # Outside git Codex decides otherwise (its own tests): the git layouts.
    "codex": Cli(
        "codex",
        _setup("codex"),
        _codex_trust,
        _codex_asks,
        ("git-sub-of-trusted-root", "git-root-under-trusted", "nested-in-trusted", "worktree-of-trusted"),
    ),
}


def _probe(name: str, binary: str, env: dict[str, str], ws: str) -> tuple[str | None, ProbeResult, set[str]]:
    """What ``status`` says of ``ws``: the version read from the binary as a
    preflight reads it, the probe's result under that version's lookup, and
    the codes with which a preflight refuses to start the CLI."""
    strategy = default_registry().create(Provider(name), "pty")
    assert isinstance(strategy, PtyTrustStrategy)
    version = SubprocessHelpReader().read_version(binary, env, 20000, is_cancelled=lambda: False)
    facts = LocalFileSystemFacts()
    workspace = build_workspace(ws, facts.gather(ws, env=env), facts.host)
    result = strategy.probe_version(workspace, env, None, version)
    return version, result, {code.value for code, _ in strategy.spec.refusing_codes}


#: More versions to run the matrix on, installed beside the pinned ones, as
#: ``NAME-VERSION`` words (say, npm's newest before pinning it). A version newer
#: than every verified one is looked up the strictest way, so a difference
#: there shows what pinning it would have to settle.
EXTRA_ENV = "WORKSPACE_TRUST_LOOKUP_EXTRA"


def _cases() -> list[object]:
    extra = [tuple(word.split("-", 1)) for word in os.environ.get(EXTRA_ENV, "").split() if "-" in word]
    cases = [(name, version) for name in CLIS for version in pinned(name)]
    cases += [(name, version) for name, version in extra if name in CLIS and (name, version) not in cases]
    return [pytest.param(name, version, id=f"{name}-{version}") for name, version in cases]


@pytest.mark.parametrize(("name", "version"), _cases())
def test_the_probe_says_trusted_exactly_where_the_real_cli_does_not_ask(name: str, version: str, sandbox: str) -> None:
    cli = CLIS[name]
    binary = require_cli(name, version)
    home, env = cli.setup(sandbox)
    started = time.monotonic()
    # Every layout's entries at once: each covers only its own layout's folders.
    built = {layout: LAYOUTS[layout](_dir(sandbox, "layouts", layout)) for layout in cli.layouts}
    cli.trust(home, env, [entry for entries, _ in built.values() for entry in entries])
    verdicts: dict[str, str] = {}
    for layout, (_, ws) in built.items():
        read, result, refusing = _probe(name, binary, env, ws)
        assert read == version
        refused = sorted(d.code.value for d in result.diagnostics if d.code.value in refusing)
        verdicts[layout] = "trusted" if result.trusted else (refused[0] if refused else result.state.value)
    with ThreadPoolExecutor(max_workers=cli.at_once) as pool:
        asked = dict(zip(built, pool.map(lambda item: cli.asks(binary, item[1], env), built.values()), strict=True))
    assert_nothing_left(sandbox)
    seen = {layout: (asked[layout], verdicts[layout]) for layout in built}
    mismatched = {
        layout: f"CLI {'asks' if asks else 'does not ask'}, probe says {verdict}"
        for layout, (asks, verdict) in seen.items()
        if asks != (verdict == "untrusted")
    }
    print(f"{name} {version}: {len(seen)} layouts in {time.monotonic() - started:.1f} s")
    assert mismatched == {}, json.dumps(mismatched, indent=1)
