"""Claude Code 2.1.337's trust-dialog variants, each by its rule.

Screens here are of two kinds, and each test says which:

* recorded: ``fixtures/snapshots/claude/2.1.337/*`` (the real CLI, offline);
* synthetic: built from the strings of 2.1.337's bundled code, for variants
  that cannot be brought about offline (settings read from a parent folder, a
  folder already trusted whose settings declare grants, the asked-again
  sentence, the window-too-small notice, the /cd dialogs).
"""

from __future__ import annotations

import os
import subprocess

import attrs
import pytest

from tests.providers.claude.test_claude_strategy import project, request, run, seeded_home
from workspace_trust.domain.codes import Code, Key, WorkspaceStatus
from workspace_trust.domain.paths import HostOs, PathFacts, Workspace, build_workspace
from workspace_trust.domain.policy import repository_scope_check
from workspace_trust.engine.dialog import Action, DialogEngine, FinishReason, best_match
from workspace_trust.engine.rules import read_scope
from workspace_trust.engine.snapshot import TerminalSnapshot, snapshot_from_text
from workspace_trust.engine.timing import EngineTiming
from workspace_trust.fixtures import load_fixture, replay_session
from workspace_trust.providers.claude.rules import CLAUDE_RULES

FIXTURES = os.path.join(
    os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))),
    "fixtures",
    "snapshots",
    "claude",
    "2.1.337",
)
TIMING = EngineTiming()
ROOT = "/work/repo"
QUESTION = (
    "Quick safety check: Is this a project you created or one you trust? (Like your own code, a well-known "
    "open source project, or work from your team). If not, take a moment to review what's in this folder first."
)
SAYING_YES = (
    "Saying yes trusts that whole repository, including anything added there later, and its settings can run commands."
)
HOLDS_HOME = (
    "This repository holds your home folder. Saying yes trusts every folder in it, including anything added "
    "later, but not other repositories. This repository's settings can run commands."
)


def screen(body: list[str], yes: str = "Yes, I trust this folder", no: str = "No, exit", cursor: int = 0) -> list[str]:
    """A synthetic 2.1.337 trust dialog: its question, ``body``, its two options
    (the decline first and preselected, as drawn), its footer."""
    options = [no, yes]
    rows = [f"{'❯' if i == cursor else ' '} {label}" for i, label in enumerate(options)]
    return [
        "Accessing workspace:",
        "",
        "/work/repo/sub",
        "",
        QUESTION,
        "",
        "Claude Code'll be able to read, edit, and execute files here.",
        "",
        "Security guide",
        "",
        *body,
        "",
        *rows,
        "",
        "Enter to confirm · Esc to cancel",
    ]


def frames(lines: list[str], until_ms: int = 1500) -> list[TerminalSnapshot]:
    return [snapshot_from_text("\n".join(lines), frame=n, elapsed_ms=n * 10) for n in range(1, until_ms // 10)]


def drive(lines: list[str], approve: tuple[str, ...] = (ROOT,)) -> tuple[list[Key], DialogEngine]:
    """Feed a still screen for 1.5 s; the keys the engine sends (none may land
    on a still screen but a first move: a key's effect is never drawn here)."""
    engine = DialogEngine(CLAUDE_RULES, TIMING, scope_check=lambda shown: shown in approve)
    keys: list[Key] = []
    for snapshot in frames(lines):
        decision = engine.observe(snapshot)
        if decision.key is not None:
            keys.append(decision.key)
        if decision.action is Action.FINISH:
            break
    return keys, engine


def rule_of(lines: list[str]) -> str | None:
    match = best_match(CLAUDE_RULES.rules, snapshot_from_text("\n".join(lines)))
    return match.rule.id if match else None


# -- the repository variant --------------------------------------------------------


REPOSITORY_BODY = ["This folder is part of the repository at:", ROOT, SAYING_YES]
YES_REPOSITORY = "Yes, I trust this folder and its repository"


def test_the_repository_variant_is_its_own_rule_and_reads_the_root_off_the_body() -> None:
    """Synthetic (the recorded one is replayed below)."""
    lines = screen(REPOSITORY_BODY, yes=YES_REPOSITORY)
    assert rule_of(lines) == "claude.workspace_trust.repository"
    match = best_match(CLAUDE_RULES.rules, snapshot_from_text("\n".join(lines)))
    assert match is not None
    assert read_scope(match, snapshot_from_text("\n".join(lines))) == ROOT


def test_a_root_that_wraps_is_read_whole() -> None:
    """Synthetic: a long root drawn on two lines."""
    lines = screen(
        ["This folder is part of the repository at:", "/work/a-very-long", "/repo", SAYING_YES], yes=YES_REPOSITORY
    )
    snapshot = snapshot_from_text("\n".join(lines))
    match = best_match(CLAUDE_RULES.rules, snapshot)
    assert match is not None and read_scope(match, snapshot) == "/work/a-very-long/repo"


@pytest.mark.parametrize("approve", [(), ("/work/other",), ("/work",), ("/work/repo/sub",)])
def test_a_root_that_is_not_the_approved_one_gets_no_key(approve: tuple[str, ...]) -> None:
    """Synthetic: the root printed is not the one approved before the start (or
    none is approved): the session ends at once, before any key."""
    keys, engine = drive(screen(REPOSITORY_BODY, yes=YES_REPOSITORY), approve)
    assert keys == []
    assert engine.finished is not None and engine.finished.finish_reason is FinishReason.SCOPE_REFUSED


def test_without_a_scope_check_no_repository_dialog_is_answered() -> None:
    engine = DialogEngine(CLAUDE_RULES, TIMING)
    for snapshot in frames(screen(REPOSITORY_BODY, yes=YES_REPOSITORY)):
        decision = engine.observe(snapshot)
        assert decision.key is None
        if decision.action is Action.FINISH:
            break
    assert engine.finished is not None and engine.finished.finish_reason is FinishReason.SCOPE_REFUSED


def test_the_approved_root_gets_a_move_after_the_refusal_window() -> None:
    """Synthetic: the root is approved, so the engine moves toward the full
    repository label, never inside the CLI's 150 ms refusal window."""
    engine = DialogEngine(CLAUDE_RULES, TIMING, scope_check=lambda shown: shown == ROOT)
    first = None
    for snapshot in frames(screen(REPOSITORY_BODY, yes=YES_REPOSITORY)):
        decision = engine.observe(snapshot)
        if decision.key is not None:
            first = (snapshot.elapsed_ms, decision.key)
            break
    assert first is not None
    assert first[1] is Key.DOWN and first[0] - 10 >= 150


def test_a_new_suffix_is_never_taken_for_the_repository_label() -> None:
    """Synthetic: "Yes, I trust this folder and <something new>" is a new
    variant: no rule accepts it, by prefix or otherwise, with or without the
    repository body; no key."""
    for body in (REPOSITORY_BODY, []):
        lines = screen(body, yes="Yes, I trust this folder and its parent folders")
        keys, _ = drive(lines)
        assert keys == [], body
    # Without the body, the screen is no rule's at all (an unknown trust dialog).
    assert rule_of(screen([], yes="Yes, I trust this folder and its parent folders")) is None


def test_the_narrow_form_is_read_from_the_body() -> None:
    """Synthetic: under 47 columns the Yes reads plain while the body names the
    repository: the repository rule for narrow screens takes it, with its scope
    check; the plain rule never does."""
    lines = screen(REPOSITORY_BODY)
    assert rule_of(lines) == "claude.workspace_trust.repository.narrow"
    keys, engine = drive(lines, approve=())
    assert keys == [] and engine.finished is not None
    assert engine.finished.finish_reason is FinishReason.SCOPE_REFUSED


def test_the_short_form_is_read_from_its_heading() -> None:
    """Synthetic (recorded at 14 rows too, replayed below)."""
    lines = screen(["Trust the whole repository:", ROOT], yes=YES_REPOSITORY)
    snapshot = snapshot_from_text("\n".join(lines))
    match = best_match(CLAUDE_RULES.rules, snapshot)
    assert match is not None and match.rule.id == "claude.workspace_trust.repository.short"
    assert read_scope(match, snapshot) == ROOT
    truncated = screen(["Trust the whole repository:", "[+12 chars] /long/repo"], yes=YES_REPOSITORY)
    keys, engine = drive(truncated)
    assert keys == [] and engine.finished is not None
    assert engine.finished.finish_reason is FinishReason.SCOPE_REFUSED


@pytest.mark.parametrize(
    "body",
    [
        ["This folder is part of the repository at:", "/home/me", HOLDS_HOME],
        ["Trust repo and home folder:", "/home/me"],
    ],
)
def test_a_repository_that_holds_home_is_never_accepted(body: list[str]) -> None:
    """Synthetic (both recorded too): even with that root approved, no key."""
    lines = screen(body, yes=YES_REPOSITORY)
    assert rule_of(lines) in (
        "claude.workspace_trust.repository_holds_home",
        "claude.workspace_trust.repository_holds_home.short",
    )
    keys, engine = drive(lines, approve=("/home/me",))
    assert keys == []
    assert engine.finished is not None and engine.finished.finish_reason is FinishReason.ABORTED


# -- the other 2.1.337 variants ------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "rule"),
    [
        (
            [
                "Claude Code'll be able to read, edit, and execute files here. This is your home folder, so Yes lasts "
                "for this session only."
            ],
            "claude.workspace_trust.session_only",
        ),
        (
            [
                "Project settings come from /work, so anything listed here belongs to that folder, not to the one you "
                "launched from. Yes lasts for this session only."
            ],
            "claude.workspace_trust.session_only",
        ),
        (
            ["An earlier Yes doesn't cover this folder, so Claude Code is asking again."],
            "claude.workspace_trust.asked_again",
        ),
        (["To trust this folder, first make the window taller"], "claude.window_too_small"),
    ],
)
def test_each_variant_that_is_never_answered_has_its_rule_and_gets_no_key(body: list[str], rule: str) -> None:
    """Synthetic (the home folder's is recorded too)."""
    lines = screen(body)
    assert rule_of(lines) == rule
    keys, engine = drive(lines)
    assert keys == []
    assert engine.finished is not None and engine.finished.finish_reason is FinishReason.ABORTED


def test_asked_again_with_the_repository_body_is_the_repository_rule() -> None:
    """Synthetic: the sentence beside the repository body: the root is checked as ever."""
    lines = screen(
        [*REPOSITORY_BODY, "An earlier Yes doesn't cover this folder, so Claude Code is asking again."],
        yes=YES_REPOSITORY,
    )
    assert rule_of(lines) == "claude.workspace_trust.repository"


@pytest.mark.parametrize(
    "no",
    ["No, continue without these permissions", "No, continue without this folder's plugins and agent hooks"],
)
def test_the_grants_declines_are_recognised_and_never_chosen(no: str) -> None:
    """Synthetic: a trusted folder whose settings declare grants."""
    lines = screen(["This folder pre-approves 2 tool permissions in .claude/settings.json:"], no=no)
    assert rule_of(lines) == "claude.workspace_trust.grants"
    keys, _ = drive(lines)
    assert keys == []


@pytest.mark.parametrize(
    ("heading", "yes", "no", "rule"),
    [
        ("Adding a new directory:", "Yes, add it", "No, start without it", "claude.directory_trust.adding"),
        ("Moving to a new directory:", "Yes, move here", "No, stay put", "claude.directory_trust.moving"),
        (
            "Now in a new directory:",
            "Yes, trust it and apply them",
            "No, keep them off",
            "claude.directory_trust.moved",
        ),
    ],
)
def test_the_directory_dialogs_are_recognised_and_never_answered(heading: str, yes: str, no: str, rule: str) -> None:
    """Synthetic (the first is recorded too, with --add-dir)."""
    lines = [
        heading,
        "",
        "/work/other",
        "",
        "This session hasn't worked here before.",
        "",
        "Security guide",
        "",
        f"❯ {no}",
        f"  {yes}",
        "",
        "Enter to confirm · Esc to exit",
    ]
    assert rule_of(lines) == rule
    keys, _ = drive(lines)
    assert keys == []


# -- recorded screens (fixtures/snapshots/claude/2.1.337) ----------------------------


@pytest.mark.parametrize(
    ("scenario", "rule", "keys", "end"),
    [
        ("trust-accept", "claude.workspace_trust", ["down", "enter"], None),
        ("git-root", "claude.workspace_trust", ["down", "enter"], None),
        ("git-subfolder", "claude.workspace_trust.repository", ["down", "enter"], None),
        ("linked-worktree", "claude.workspace_trust.repository", ["down", "enter"], None),
        ("git-subfolder-narrow", "claude.workspace_trust.repository.narrow", ["down", "enter"], None),
        ("git-subfolder-short", "claude.workspace_trust.repository.short", ["down", "enter"], None),
        ("home-repo-subfolder", "claude.workspace_trust.repository_holds_home", [], FinishReason.ABORTED),
        ("home-repo-subfolder-short", "claude.workspace_trust.repository_holds_home.short", [], FinishReason.ABORTED),
        ("home-folder", "claude.workspace_trust.session_only", [], FinishReason.ABORTED),
        ("add-dir", "claude.directory_trust.adding", [], FinishReason.ABORTED),
    ],
)
def test_each_recorded_variant_replays_under_its_rule(
    scenario: str, rule: str, keys: list[str], end: FinishReason | None
) -> None:
    """Recorded."""
    fixture = load_fixture(os.path.join(FIXTURES, f"{scenario}.json"))
    assert fixture.cli_version == "2.1.337"
    replay = replay_session(fixture, CLAUDE_RULES)
    assert [k.key.value for k in replay.keys] == keys
    assert rule in replay.outcome.matched_rule_ids
    if keys and "repository" in rule:
        # The root on the screen is the one the recording approved, and the replay approves.
        assert fixture.approved_scopes


def test_a_recorded_repository_dialog_gets_no_key_when_its_root_is_not_approved() -> None:
    """Recorded git-subfolder, replayed with no root approved: no key at all."""
    fixture = attrs.evolve(load_fixture(os.path.join(FIXTURES, "git-subfolder.json")), approved_scopes=())
    replay = replay_session(fixture, CLAUDE_RULES)
    assert replay.keys == ()


# -- the preflight's scope check and codes (fake TUI drawing 2.1.337's bodies) --------


def _workspace(path: str, git_root: str | None, main: str | None = None, home: str = "/home/me") -> Workspace:
    facts = PathFacts(
        absolute=path, real=path, home=home, exists=True, is_dir=True, git_root=git_root, worktree_main_root=main
    )
    return build_workspace(path, facts, HostOs.LINUX)


def test_the_scope_check_approves_only_the_guarded_roots() -> None:
    check = repository_scope_check(_workspace("/work/repo/sub", "/work/repo"))
    assert check("/work/repo") and check("/work/repo/")
    assert not check("/work") and not check("/work/repo/sub") and not check("~/repo") and not check("")
    worktree = repository_scope_check(_workspace("/work/wt", "/work/wt", main="/work/repo"))
    assert worktree("/work/repo") and worktree("/work/wt")
    # A root the guard refused approves nothing, itself included.
    in_home = repository_scope_check(_workspace("/home/me/proj", "/home/me"))
    assert not in_home("/home/me")
    assert not repository_scope_check(_workspace("/work/plain", None))("/work/plain")


def _git(*args: str) -> None:
    subprocess.run(["git", *args], check=True, capture_output=True)


def test_the_repository_variant_accepted_says_the_whole_repository_was_trusted(sandbox: str) -> None:
    home = seeded_home(sandbox)
    repo = project(sandbox, "repo")
    _git("init", "-q", repo)
    ws = project(sandbox, os.path.join("repo", "sub"))
    body = f"This folder is part of the repository at:|{{parent}}|{SAYING_YES}"
    (r,) = run(request(home, [ws], FAKE_BODY=body, FAKE_YES=YES_REPOSITORY)).results
    assert r.status is WorkspaceStatus.ACCEPTED, r
    assert [k for k in r.keys] == [Key.DOWN, Key.ENTER]
    assert Code.TRUST_SCOPE_REPOSITORY in {d.code for d in r.diagnostics}


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        # The fake is started in a plain folder: no root is approved there.
        (
            f"This folder is part of the repository at:|{{parent}}|{SAYING_YES}",
            WorkspaceStatus.SOFT_FAILED,
            Code.TRUST_SCOPE_REFUSED,
        ),
        (
            f"This folder is part of the repository at:|{{parent}}|{HOLDS_HOME}",
            WorkspaceStatus.BLOCKED,
            Code.TRUST_SCOPE_HOME,
        ),
        (
            "Claude Code'll be able to read, edit, and execute files here. Yes lasts for this session only.",
            WorkspaceStatus.SOFT_FAILED,
            Code.TRUST_SESSION_ONLY,
        ),
    ],
)
def test_a_variant_never_answered_ends_with_its_own_code_and_no_key(
    sandbox: str, body: str, status: WorkspaceStatus, code: Code
) -> None:
    home, ws = seeded_home(sandbox), project(sandbox)
    log = os.path.join(sandbox, "keys.log")
    (r,) = run(request(home, [ws], budget_ms=8000, FAKE_BODY=body, FAKE_YES=YES_REPOSITORY, FAKE_KEYLOG=log)).results
    assert (r.status, r.code) == (status, code)
    assert r.keys == ()
    assert not os.path.exists(log)
