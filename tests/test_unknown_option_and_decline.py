"""A recognised trust dialog with no option a rule accepts ends once still,
with no key; a CLI that exits declining trust is recognised by its words, and
the folder's session is run once more."""

from __future__ import annotations

import json

import pytest

from tests.test_engine import TIMING, TRUST_HEADER, TrustFile, drive
from tests.test_fake_execute import HOME, STATE, fake_coordinator
from workspace_trust import Provider, WorkspaceSpec, WorkspaceTrustRequest
from workspace_trust.domain.codes import Code, Key, WaitReason, WorkspaceStatus
from workspace_trust.engine.dialog import DialogEngine, FinishReason
from workspace_trust.engine.snapshot import snapshot_from_text
from workspace_trust.ports import SpawnSpec
from workspace_trust.providers.claude.rules import CLAUDE_RULES
from workspace_trust.session import SessionEnd
from workspace_trust.testing import FakeClock, FakePtySpawner, FakeScreen, FakeStateFiles, FakeTui

DECLINE = "Claude Code didn't start because this folder isn't trusted."


def _trust(state: TrustFile, options: tuple[str, ...]) -> FakeTui:
    screens = {
        "trust": FakeScreen(
            lines=TRUST_HEADER,
            options=options,
            footer=("", " Enter to confirm · Esc to cancel"),
            on_enter={0: "exit:1", 1: "main"},
            effects={1: state.accept},
        ),
        "main": FakeScreen(lines=("> ", "  ? for shortcuts")),
    }
    return FakeTui(screens=screens, current="trust")


def test_a_recognised_dialog_without_one_accepted_option_ends_once_still_with_no_key() -> None:
    """The trust option drawn twice: the rule recognises the dialog, but no
    single option is the one to select. It used to wait for the whole budget
    (target_option_ambiguous until the 45 s timeout); it ends once the screen
    has been still for the bound, with no key."""
    state = TrustFile()
    tui = _trust(state, ("No, exit", "Yes, I trust this folder", "Yes, I trust this folder"))
    outcome = drive(tui, state)
    assert outcome.end is SessionEnd.UNKNOWN_OPTION
    assert tui.keys == [] and not state.trusted
    assert outcome.last_wait_reason is WaitReason.TARGET_AMBIGUOUS
    assert outcome.last_snapshot is not None
    assert outcome.last_snapshot.elapsed_ms < TIMING.unknown_option_settle_ms + 500


def test_a_yes_with_a_new_suffix_ends_early_with_no_key() -> None:
    """A Yes with a suffix no rule knows: no rule takes the screen (a new
    suffix is a new variant to record), so it ends as an unknown trust dialog
    once still, with no key."""
    state = TrustFile()
    tui = _trust(state, ("No, exit", "Yes, I trust this folder and everything next to it"))
    outcome = drive(tui, state)
    assert outcome.end in (SessionEnd.UNKNOWN_DIALOG, SessionEnd.UNKNOWN_OPTION)
    assert tui.keys == [] and not state.trusted


def test_the_option_drawn_late_is_still_selected() -> None:
    """A dialog whose options come after a partial paint shorter than the bound
    is answered as usual (a fake clock: frames are taken, not waited for)."""
    engine = DialogEngine(CLAUDE_RULES, TIMING)
    header = "\n".join(TRUST_HEADER)
    first = engine.observe(snapshot_from_text(header + "\n❯ No, exit\n", frame=1, elapsed_ms=0))
    assert first.key is None and first.finish_reason is None
    later = engine.observe(
        snapshot_from_text(
            header + "\n❯ No, exit\n  Yes, I trust this folder\n",
            frame=2,
            elapsed_ms=TIMING.unknown_option_settle_ms - 1,
        )
    )
    assert later.finish_reason is None


def test_the_decline_words_end_the_session_as_declined() -> None:
    engine = DialogEngine(CLAUDE_RULES, TIMING)
    header = "\n".join(TRUST_HEADER)
    decision = engine.observe(
        snapshot_from_text(
            header + "\n❯ No, exit\n  Yes, I trust this folder\n\n" + DECLINE + "\n", frame=1, elapsed_ms=0
        )
    )
    assert decision.finish_reason is FinishReason.DECLINED and decision.key is None


def _dialog(files: FakeStateFiles, cwd: str, *, declines: bool) -> FakeTui:
    """Claude 2.1.248+'s dialog; with ``declines``, the Enter on Yes lands on
    "No, exit" as a late selection reset makes it: the decline words, no trust."""

    def trust() -> None:
        doc = json.loads(files.files[STATE])
        doc.setdefault("projects", {})[cwd] = {"hasTrustDialogAccepted": True}
        files.put(STATE, json.dumps(doc).encode())

    return FakeTui(
        screens={
            "trust": FakeScreen(
                lines=(" Accessing workspace:", "", f" {cwd}", "", " Quick safety check: Is this a project you trust?"),
                options=("No, exit", "Yes, I trust this folder"),
                footer=("", " Enter to confirm · Esc to cancel"),
                on_enter={0: "exit:1", 1: "declined" if declines else "main"},
                effects={} if declines else {1: trust},
            ),
            "declined": FakeScreen(lines=("", DECLINE)),
            "main": FakeScreen(lines=("> ", "  ? for shortcuts")),
        },
        current="trust",
    )


@pytest.mark.parametrize("declines", [1, 2], ids=["declined-once", "declined-twice"])
def test_a_declined_session_is_run_once_more_and_the_row_reports_both(declines: int) -> None:
    """Nothing was trusted by a declined session, so the folder is run once
    more under the same lock; declined again, the row is trust_declined (no
    third run). Either way the row shows both runs' keys."""
    clock = FakeClock()
    files = FakeStateFiles({STATE: json.dumps({"hasCompletedOnboarding": True}).encode()})
    started: list[str] = []

    def tui(spec: SpawnSpec) -> FakeTui:
        started.append(spec.cwd)
        return _dialog(files, spec.cwd, declines=len(started) <= declines)

    spawner = FakePtySpawner(tui, clock)
    coordinator = fake_coordinator(files, spawner, clock)
    request = WorkspaceTrustRequest(
        workspaces=(WorkspaceSpec(f"{HOME}/project"),),
        providers=(Provider.CLAUDE,),
        env={"HOME": HOME, "PATH": "/usr/bin"},
    )
    with coordinator:
        (row,) = coordinator.execute(coordinator.plan_full(request)).results
    assert len(started) == 2
    assert row.keys.count(Key.ENTER) == 2
    assert row.dialogs.count("claude.trust_declined") == declines
    if declines == 1:
        assert (row.status, row.code) == (WorkspaceStatus.ACCEPTED, None)
        assert json.loads(files.files[STATE])["projects"] == {f"{HOME}/project": {"hasTrustDialogAccepted": True}}
        (note,) = [d for d in row.diagnostics if d.code is Code.TRUST_DECLINED]
        assert "run once more" in note.message
    else:
        assert (row.status, row.code) == (WorkspaceStatus.SOFT_FAILED, Code.TRUST_DECLINED)
        assert "projects" not in json.loads(files.files[STATE])


def test_the_command_reports_an_unaccepted_option_with_its_screen_and_no_key(sandbox: str) -> None:
    """The whole command on the fake TUI in a real PTY: the trust option drawn
    twice ends soft_failed ``unknown_trust_option`` (exit 1), no key sent,
    nothing trusted, and the row and the manifest carry the redacted screen
    without --debug, since that screen is what to record and report."""
    from tests.test_cli import FAKE, cli, seeded

    home, ws = seeded(sandbox, "FAKE_OPTIONS=No, exit|Yes, I trust this folder|Yes, I trust this folder\n")
    proc = cli(["preflight", ws, "--json", "--claude-bin", FAKE], home)
    assert proc.returncode == 1, proc.stderr
    doc = json.loads(proc.stdout)
    (row,) = doc["results"]
    assert (row["status"], row["code"], row["keys"]) == ("soft_failed", "unknown_trust_option", [])
    assert row["raw_tail"].count("Yes, I trust this folder") == 2
    assert doc["manifest"]["strategy_results"][0]["raw_tail"] == row["raw_tail"]
    with open(f"{home}/.claude.json", encoding="utf-8") as handle:
        assert "projects" not in json.load(handle)


def test_a_cancel_before_the_second_run_keeps_the_first_runs_record() -> None:
    """Cancelled after the declined session, while the second run reads the
    CLI's --help: nothing more starts, and the cancelled row still says a CLI
    ran, with its keys, its dialogs and the decline."""
    from workspace_trust.testing import FakeHelpReader

    clock = FakeClock()
    files = FakeStateFiles({STATE: json.dumps({"hasCompletedOnboarding": True}).encode()})
    started: list[str] = []

    def tui(spec: SpawnSpec) -> FakeTui:
        started.append(spec.cwd)
        return _dialog(files, spec.cwd, declines=True)

    reader = FakeHelpReader()
    coordinator = fake_coordinator(files, FakePtySpawner(tui, clock), clock, help_reader=reader)
    request = WorkspaceTrustRequest(
        workspaces=(WorkspaceSpec(f"{HOME}/project"),),
        providers=(Provider.CLAUDE,),
        env={"HOME": HOME, "PATH": "/usr/bin"},
    )
    with coordinator:
        # The user cancels once the second run has begun (its --help read).
        result = coordinator.execute(coordinator.plan_full(request), is_cancelled=lambda: len(reader.calls) >= 2)
    (row,) = result.results
    assert started == [f"{HOME}/project"] and len(reader.calls) == 2
    assert (row.status, row.code) == (WorkspaceStatus.CANCELLED, Code.CANCELLED)
    assert row.pty_spawned and row.keys[-1] is Key.ENTER and "claude.trust_declined" in row.dialogs
    assert Code.TRUST_DECLINED in {d.code for d in row.diagnostics}
