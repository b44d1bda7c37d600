"""GitHub Copilot CLI: the ``config.json`` probe, the dialog rules and the protected
command, without the real CLI (tests/providers/copilot/test_real_copilot.py runs the real one).

Every probe case below is one the real CLI was asked about (1.0.80, 1.0.89 and
1.0.102 were started in the folder with that ``config.json``; "asks" means the
trust dialog came up): docs/providers.md has the table.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable

import attrs
import pytest

from workspace_trust.coordinator import WorkspaceTrustCoordinator
from workspace_trust.domain.codes import Code, Key, Provider, TrustState, WorkspaceStatus
from workspace_trust.domain.paths import HostOs, PathFacts, Workspace, build_workspace
from workspace_trust.domain.results import WorkspaceResult
from workspace_trust.engine.dialog import Action, DialogEngine, FinishReason
from workspace_trust.engine.rules import DialogRule, match_rule
from workspace_trust.engine.snapshot import TerminalSnapshot
from workspace_trust.engine.timing import DEFAULT_TIMING
from workspace_trust.flags import FeatureFlags
from workspace_trust.ports import SpawnSpec
from workspace_trust.providers.copilot import COPILOT, REQUIRED_FLAGS
from workspace_trust.providers.copilot.probe import (
    CopilotStateProbe,
    copilot_config_path,
    decide,
    trusted_folders,
)
from workspace_trust.providers.copilot.rules import COPILOT_RULES, NO, YES_REMEMBER, YES_SESSION
from workspace_trust.providers.copilot.strategy import NO_TOOL, build_protected_command, preflight_env
from workspace_trust.requests import WorkspaceSpec, WorkspaceTrustRequest
from workspace_trust.testing import FakeClock, FakeHelpReader, FakeLocks, FakePtySpawner, FakeScreen, FakeTui

HEADER = "// User settings belong in settings.json.\n// This file is managed automatically.\n"

# ---------------------------------------------------------------------------
# The probe


def workspace(path: str, *, real: str | None = None, host: HostOs = HostOs.LINUX) -> Workspace:
    facts = PathFacts(absolute=path, real=real or path, home="/home/u", exists=True, is_dir=True)
    return build_workspace(path, facts, host)


def same(path: str, host: HostOs) -> str:
    return path


def probe_text(text: str, ws_path: str = "/w/proj", host: HostOs = HostOs.LINUX) -> TrustState:
    entries = trusted_folders(text.encode())
    return decide(workspace(ws_path, host=host), entries, same).state


TRUSTED, UNTRUSTED = TrustState.TRUSTED, TrustState.UNTRUSTED


@pytest.mark.parametrize(
    ("document", "state"),
    [
        # The file as Copilot writes it: two comment lines, then the object.
        (HEADER + '{"firstLaunchAt": "x", "trustedFolders": ["/w/proj"]}', TRUSTED),
        (HEADER + "{}", UNTRUSTED),
        ('/* block */ {"trustedFolders": ["/w/proj"]}', TRUSTED),
        ('{"trustedFolders": ["/w/proj"],}', TRUSTED),
        ('{"trustedFolders": ["/w/proj",]}', TRUSTED),
        ('{"trustedFolders": ["/w/proj" , // why\n ]}', TRUSTED),
        ('\ufeff{"trustedFolders": ["/w/proj"]}', TRUSTED),
        ('{"trustedFolders": ["/w/proj"]}', TRUSTED),
        # The older key, and every other key with the same snake_case form.
        ('{"trusted_folders": ["/w/proj"]}', TRUSTED),
        ('{"TrustedFolders": ["/w/proj"]}', TRUSTED),
        ('{"TRUSTED_FOLDERS": ["/w/proj"]}', TRUSTED),
        ('{"trustedfolders": ["/w/proj"]}', UNTRUSTED),
        # Both keys: the last one in the document wins (1.0.102 asks in the first case).
        ('{"trusted_folders": ["/w/proj"], "trustedFolders": []}', UNTRUSTED),
        ('{"trustedFolders": [], "trusted_folders": ["/w/proj"]}', TRUSTED),
        ('{"trustedFolders": ["/w/proj"], "trustedFolders": []}', UNTRUSTED),
        ('{"trustedFolders": [], "trustedFolders": ["/w/proj"]}', TRUSTED),
        # Only a list of strings counts.
        ('{"trustedFolders": "/w/proj"}', UNTRUSTED),
        ('{"trustedFolders": ["/w/proj", 5]}', UNTRUSTED),
        ('{"trustedFolders": null}', UNTRUSTED),
        # Other keys of an odd type do not matter.
        ('{"trustedFolders": ["/w/proj"], "firstLaunchAt": 5, "loggedInUsers": "x"}', TRUSTED),
        # Parents cover their subfolders; a sibling that shares a prefix does not.
        ('{"trustedFolders": ["/w"]}', TRUSTED),
        ('{"trustedFolders": ["/"]}', TRUSTED),
        ('{"trustedFolders": ["/w/pro"]}', UNTRUSTED),
        ('{"trustedFolders": ["/w/proj/sub"]}', UNTRUSTED),
        # Spelling: trailing slash, doubled slashes and dot-dot do not matter.
        ('{"trustedFolders": ["/w/proj/"]}', TRUSTED),
        ('{"trustedFolders": ["/w//proj"]}', TRUSTED),
        ('{"trustedFolders": ["/w/other/../proj"]}', TRUSTED),
        # A trailing backslash is part of the name on Linux; case counts there.
        ('{"trustedFolders": ["/w/proj\\\\"]}', UNTRUSTED),
        ('{"trustedFolders": ["/w/PROJ"]}', UNTRUSTED),
        # Relative entries cover nothing.
        ('{"trustedFolders": ["proj", ".", "", "~/proj"]}', UNTRUSTED),
        # A path holding "//" inside a string is not a comment.
        ('{"trustedFolders": ["//w/proj"]}', TRUSTED),
    ],
)
def test_the_trust_list_is_read_as_the_cli_reads_it(document: str, state: TrustState) -> None:
    assert probe_text(document) is state


def test_a_subfolder_is_covered_by_its_trusted_folder() -> None:
    assert probe_text('{"trustedFolders": ["/w/proj"]}', "/w/proj/sub/deeper") is TRUSTED


def test_case_is_ignored_where_the_host_ignores_it() -> None:
    assert probe_text('{"trustedFolders": ["/w/PROJ"]}', host=HostOs.MACOS) is TRUSTED


@pytest.mark.parametrize(
    "document",
    [
        '{trustedFolders: ["/w/proj"]}',
        "{\"trustedFolders\": ['/w/proj']}",
        '{"trustedFolders": ["/w/proj"]} garbage',
        '["/w/proj"]',
        '"/w/proj"',
        "[[1]]",
        "{",
    ],
)
def test_a_document_the_cli_cannot_read_is_not_read_as_trust(document: str) -> None:
    with pytest.raises(ValueError):
        trusted_folders(document.encode())


def test_comments_and_trailing_commas_are_read_as_the_cli_reads_them() -> None:
    text = '// header\n{"a": "x // y /* z */, ]", "trustedFolders": ["/w/proj",],} // end'
    assert trusted_folders(text.encode()) == ("/w/proj",)


def write_config(home: str, document: str, name: str = "config.json") -> str:
    folder = os.path.join(home, ".copilot")
    os.makedirs(folder, exist_ok=True)
    path = os.path.join(folder, name)
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(document)
    return path


def real_workspace(path: str) -> Workspace:
    facts = PathFacts(absolute=path, real=os.path.realpath(path), home="/nonexistent-home", exists=True, is_dir=True)
    return build_workspace(path, facts, HostOs.LINUX)


def test_probe_reads_the_real_file_without_changing_it(sandbox: str) -> None:
    home, ws = os.path.join(sandbox, "home"), os.path.join(sandbox, "proj")
    os.makedirs(ws)
    path = write_config(home, HEADER + json.dumps({"trustedFolders": [ws]}))
    before = os.stat(path)
    with open(path, "rb") as handle:
        content = handle.read()
    result = CopilotStateProbe(copilot_config_path({"HOME": home})).read_trust(real_workspace(ws))
    assert (result.state, result.trusted_key, result.source) == (TRUSTED, ws, "exact")
    after = os.stat(path)
    assert (after.st_ino, after.st_mtime_ns, after.st_size) == (before.st_ino, before.st_mtime_ns, before.st_size)
    with open(path, "rb") as handle:
        assert handle.read() == content


def test_symlinks_are_resolved_on_both_sides(sandbox: str) -> None:
    """1.0.80-1.0.102: a trusted link covers its target, and a folder started
    through a link is covered by its real path's entry."""
    home, real = os.path.join(sandbox, "home"), os.path.join(sandbox, "proj")
    link = os.path.join(sandbox, "link")
    os.makedirs(real)
    os.symlink(real, link)
    probe = CopilotStateProbe(copilot_config_path({"HOME": home}))
    write_config(home, json.dumps({"trustedFolders": [link]}))
    through_link = probe.read_trust(real_workspace(real))
    assert (through_link.state, through_link.trusted_key, through_link.source) == (TRUSTED, link, "real")
    write_config(home, json.dumps({"trustedFolders": [real]}))
    via_link = probe.read_trust(real_workspace(link))
    assert (via_link.state, via_link.source) == (TRUSTED, "real")
    write_config(home, json.dumps({"trustedFolders": [sandbox]}))
    parent = probe.read_trust(real_workspace(link))
    assert (parent.state, parent.source) == (TRUSTED, "parent")


def test_the_most_specific_entry_is_reported(sandbox: str) -> None:
    home, ws = os.path.join(sandbox, "home"), os.path.join(sandbox, "proj")
    os.makedirs(ws)
    write_config(home, json.dumps({"trustedFolders": ["/", sandbox, ws]}))
    result = CopilotStateProbe(copilot_config_path({"HOME": home})).read_trust(real_workspace(ws))
    assert (result.trusted_key, result.source) == (ws, "exact")


def test_the_key_in_settings_json_is_not_trust(sandbox: str) -> None:
    """1.0.102 asks again when only settings.json lists the folder."""
    home, ws = os.path.join(sandbox, "home"), os.path.join(sandbox, "proj")
    os.makedirs(ws)
    write_config(home, json.dumps({"trustedFolders": [ws]}), name="settings.json")
    write_config(home, HEADER + "{}")
    result = CopilotStateProbe(copilot_config_path({"HOME": home})).read_trust(real_workspace(ws))
    assert result.state is UNTRUSTED


def test_copilot_home_moves_the_file() -> None:
    assert copilot_config_path({"HOME": "/h"}) == "/h/.copilot/config.json"
    assert copilot_config_path({"HOME": "/h", "COPILOT_HOME": "/c"}) == "/c/config.json"
    assert copilot_config_path({"HOME": "/h", "COPILOT_HOME": ""}) == "/h/.copilot/config.json"
    # XDG_CONFIG_HOME is not where 1.0.80-1.0.102 read it.
    assert copilot_config_path({"HOME": "/h", "XDG_CONFIG_HOME": "/x"}) == "/h/.copilot/config.json"
    assert copilot_config_path({}) is None


def test_missing_corrupt_and_odd_files(sandbox: str) -> None:
    home, ws = os.path.join(sandbox, "home"), os.path.join(sandbox, "proj")
    os.makedirs(ws)
    probe = CopilotStateProbe(copilot_config_path({"HOME": home}))
    assert probe.read_trust(real_workspace(ws)).state is UNTRUSTED
    write_config(home, HEADER + '{"trustedFolders": ["' + ws + '"]')
    corrupt = probe.read_trust(real_workspace(ws))
    assert corrupt.state is TrustState.UNKNOWN
    assert [d.code for d in corrupt.diagnostics] == [Code.STATE_FILE_CORRUPT]
    assert ws not in corrupt.diagnostics[0].message
    write_config(home, "\xff\xfe")
    assert probe.read_trust(real_workspace(ws)).diagnostics[0].code is Code.STATE_FILE_CORRUPT
    os.unlink(os.path.join(home, ".copilot", "config.json"))
    os.mkfifo(os.path.join(home, ".copilot", "config.json"))
    fifo = probe.read_trust(real_workspace(ws))
    assert [d.code for d in fifo.diagnostics] == [Code.STATE_FILE_UNREADABLE]
    nowhere = CopilotStateProbe(None).read_trust(real_workspace(ws))
    assert [d.code for d in nowhere.diagnostics] == [Code.STATE_FILE_MISSING]


def test_deep_nesting_is_corrupt_not_a_crash(sandbox: str) -> None:
    home, ws = os.path.join(sandbox, "home"), os.path.join(sandbox, "proj")
    os.makedirs(ws)
    write_config(home, '{"x": ' + "[" * 100_000 + "]" * 100_000 + "}")
    result = CopilotStateProbe(copilot_config_path({"HOME": home})).read_trust(real_workspace(ws))
    assert [d.code for d in result.diagnostics] == [Code.STATE_FILE_CORRUPT]


# ---------------------------------------------------------------------------
# The rules

#: The dialog as 1.0.102 draws it (fixtures/snapshots/copilot/1.0.102/trust-accept).
DIALOG = (
    " ● Tip: /app",
    "╭────────────────────────────────────────────╮",
    "│ Confirm folder trust                       │",
    "│ ────────────────────────────────────────── │",
    "│ ╭────────────────────────────────────────╮ │",
    "│ │ {path}                                 │ │",
    "│ ╰────────────────────────────────────────╯ │",
    "│ Copilot can read files in this folder and, │",
    "│ Do you trust the files in this folder?     │",
    "│                                            │",
)
OPTIONS = ("Yes", "Yes, and remember this folder for future sessions", "No (Esc)")
FOOTER = ("│ ↑/↓ to navigate · enter to select · esc to cancel │", "╰─────────╯")


def dialog(cursor: int, path: str = "/w/proj", options: tuple[str, ...] = OPTIONS) -> tuple[str, ...]:
    rows = [line.replace("{path}", path) for line in DIALOG]
    for index, label in enumerate(options):
        rows.append(f"│ {'❯' if index == cursor else ' '} {index + 1}. {label}   │")
    return (*rows, *FOOTER)


def trust_rule() -> DialogRule:
    (rule,) = [r for r in COPILOT_RULES.rules if r.id == "copilot.workspace_trust"]
    return rule


def test_the_rule_selects_the_remembering_option_and_never_yes_or_no() -> None:
    rule = trust_rule()
    assert rule.select is YES_REMEMBER
    assert set(rule.never_select) == {YES_SESSION, NO}
    match = match_rule(rule, TerminalSnapshot(lines=dialog(0), frame=1, elapsed_ms=0))
    assert match is not None
    rows = {row.label: row for row in match.option_rows}
    assert rows[YES_SESSION].has_cursor and rows[YES_SESSION].forbidden
    assert not rows[YES_REMEMBER].forbidden
    assert rows[NO].forbidden
    # "Yes" is matched exactly: it never matches the remembering option's row.
    assert not YES_SESSION.matches(OPTIONS[1]) and YES_REMEMBER.matches(OPTIONS[1])


def drive(screens: Callable[[list[Key]], tuple[str, ...]], frames: int = 200) -> tuple[list[Key], DialogEngine]:
    """Feed the engine the screen that follows from the keys sent so far."""
    engine = DialogEngine(COPILOT_RULES)
    keys: list[Key] = []
    for frame in range(1, frames):
        decision = engine.observe(TerminalSnapshot(lines=screens(keys), frame=frame, elapsed_ms=frame * 20))
        if decision.key is not None:
            keys.append(decision.key)
        if decision.action is Action.FINISH or Key.ENTER in keys:
            break
    return keys, engine


def moving(keys: list[Key], options: tuple[str, ...] = OPTIONS, start: int = 0) -> tuple[str, ...]:
    cursor = start
    for key in keys:
        cursor += {Key.DOWN: 1, Key.UP: -1}.get(key, 0)
        cursor = min(max(cursor, 0), len(options) - 1)
    return dialog(cursor, options=options)


def test_one_down_then_enter_on_the_remembering_option() -> None:
    keys, _ = drive(moving)
    assert keys == [Key.DOWN, Key.ENTER]


def test_a_cursor_that_never_leaves_yes_never_gets_enter() -> None:
    """Every Down is dropped: the cursor stays on '1. Yes' (this session only).
    The engine gives up without pressing Enter (after the echo timeout, one
    more Down per grace: unseen moves may be queued, not dropped)."""
    keys, engine = drive(lambda keys: dialog(0), frames=600)
    assert Key.ENTER not in keys and keys and set(keys) == {Key.DOWN}
    assert engine.finished is not None and engine.finished.finish_reason is FinishReason.SELECTION_FAILED


def test_a_layout_with_the_remembering_option_preselected_needs_only_enter() -> None:
    options = ("Yes, and remember this folder for future sessions", "Yes", "No (Esc)")
    keys, _ = drive(lambda keys: moving(keys, options))
    assert keys == [Key.ENTER]


def test_a_dialog_without_the_remembering_option_gets_no_key() -> None:
    """A session-only dialog (no option that persists) is not the trust dialog."""
    keys, engine = drive(lambda keys: dialog(0, options=("Yes", "No (Esc)")), frames=60)
    assert keys == []
    assert "copilot.workspace_trust" not in engine.matched_rule_ids


def test_a_folder_named_like_an_option_adds_no_option_row() -> None:
    """The folder is drawn above the question the rule is anchored on, so even
    drawn without its inner box (one frame stripped), a name shaped like the
    remembering option with the cursor on it adds no option row."""
    hostile = "❯ 2. Yes, and remember this folder for future sessions"
    keys, _ = drive(lambda keys: (*moving(keys)[:5], f"│ {hostile} │", *moving(keys)[6:]))
    assert keys == [Key.DOWN, Key.ENTER]


@pytest.mark.parametrize(
    ("lines", "rule_id"),
    [
        ((" ● Folder /w/proj has been added to trusted folders.",), "copilot.trust_added"),
        (("Please use /login to sign in to use Copilot", " /w/proj", "❯"), "copilot.login_prompt"),
        ((" ● Tip: /app", "   └ Prefer a visual workspace?"), "copilot.tip"),
        ((" ● Update available: 1.0.200",), "copilot.update_notice"),
        ((" ● Error auto updating: Failed to fetch latest release",), "copilot.auto_update_failed"),
        (("❯", "─────", " ← open sidebar · / commands · ? help · tab next tab"), "copilot.ready"),
    ],
)
def test_screens_around_the_dialog_are_observed_without_a_key(lines: tuple[str, ...], rule_id: str) -> None:
    engine = DialogEngine(COPILOT_RULES)
    for frame in range(1, 30):
        decision = engine.observe(TerminalSnapshot(lines=lines, frame=frame, elapsed_ms=frame * 50))
        assert decision.key is None and decision.action is Action.WAIT
    assert engine.last_rule_id == rule_id
    assert engine.awaiting_success


def test_the_dialog_wins_over_the_notices_drawn_with_it() -> None:
    screen = (" ● Error auto updating: x", "Please use /login to sign in", *dialog(0))
    engine = DialogEngine(COPILOT_RULES)
    engine.observe(TerminalSnapshot(lines=screen, frame=1, elapsed_ms=0))
    assert engine.last_rule_id == "copilot.workspace_trust"


def test_a_login_before_the_dialog_is_auth_required_with_no_key() -> None:
    screen = ("What account do you want to log into?", "❯ 1. GitHub.com", "  2. GitHub Enterprise Cloud")
    decision = DialogEngine(COPILOT_RULES).observe(TerminalSnapshot(lines=screen, frame=1, elapsed_ms=0))
    assert (decision.action, decision.finish_reason, decision.key) == (
        Action.FINISH,
        FinishReason.AUTH_REQUIRED,
        None,
    )


# ---------------------------------------------------------------------------
# The protected command and the environment

HELP_1_0_102 = (
    "--no-auto-update --disable-builtin-mcps --no-custom-instructions "
    "--available-tools [<tools>...] --disable-client-telemetry --allow-all --yolo -p, --prompt"
)
#: 1.0.80 lists everything but --disable-client-telemetry.
HELP_1_0_80 = HELP_1_0_102.replace("--disable-client-telemetry ", "")


def test_protected_command_shape() -> None:
    cmd = build_protected_command("/bin/copilot", HELP_1_0_102, allow_unprotected=False)
    assert cmd is not None and cmd.protected
    assert cmd.argv == (
        "/bin/copilot",
        "--no-auto-update",
        "--disable-builtin-mcps",
        "--no-custom-instructions",
        f"--available-tools={NO_TOOL}",
        "--disable-client-telemetry",
    )
    for forbidden in ("-p", "--prompt", "--allow-all", "--allow-all-tools", "--yolo", "--trust-folder", "-i"):
        assert forbidden not in cmd.argv


def test_a_missing_flag_refuses_unless_allowed() -> None:
    assert build_protected_command("/bin/copilot", HELP_1_0_80, allow_unprotected=False) is None
    assert build_protected_command("/bin/copilot", None, allow_unprotected=False) is None
    allowed = build_protected_command("/bin/copilot", HELP_1_0_80, allow_unprotected=True)
    assert allowed is not None and not allowed.protected
    assert allowed.missing_flags == ("--disable-client-telemetry",)
    # Every protective flag the CLI does list is still passed.
    assert allowed.argv[1:] == (
        "--no-auto-update",
        "--disable-builtin-mcps",
        "--no-custom-instructions",
        f"--available-tools={NO_TOOL}",
    )


def test_a_flag_is_listed_only_as_a_whole_word() -> None:
    """A longer flag that starts like a needed one does not stand in for it."""
    text = HELP_1_0_102.replace("--no-auto-update", "--no-auto-update-check")
    assert build_protected_command("/bin/copilot", text, allow_unprotected=False) is None


def test_preflight_env_keeps_no_token_and_never_allows_all() -> None:
    host = {
        "HOME": "/h",
        "PATH": "/bin",
        "COPILOT_HOME": "/c",
        "XDG_CACHE_HOME": "/cache",
        "COPILOT_ALLOW_ALL": "true",
        "COPILOT_GITHUB_TOKEN": "github_pat_secret",
        "GH_TOKEN": "gho_secret",
        "GITHUB_TOKEN": "ghs_secret",
        "COPILOT_AUTO_UPDATE": "true",
        "OTHER": "x",
    }
    env = preflight_env(host)
    assert env == {
        "HOME": "/h",
        "PATH": "/bin",
        "COPILOT_HOME": "/c",
        "XDG_CACHE_HOME": "/cache",
        "TERM": "xterm-256color",
        "COPILOT_AUTO_UPDATE": "false",
    }


# ---------------------------------------------------------------------------
# The whole strategy through the coordinator, with a scripted Copilot TUI


def copilot_tui(home: str, ws: str) -> Callable[[SpawnSpec], FakeTui]:
    """1.0.102's dialog: "Yes" preselected; Enter on the remembering option
    writes config.json as the CLI does; "Yes" writes nothing."""

    def remember() -> None:
        write_config(home, HEADER + json.dumps({"firstLaunchAt": "x", "trustedFolders": [ws]}))

    def make(spec: SpawnSpec) -> FakeTui:
        main = FakeScreen(lines=("Please use /login to sign in to use Copilot",), footer=(" / commands · ? help",))
        trust = FakeScreen(
            lines=dialog(-1, ws, options=())[: len(DIALOG)],
            options=OPTIONS,
            numbered=True,
            wrap=False,
            on_enter={0: "main", 1: "main", 2: "exit:0"},
            effects={1: remember},
        )
        return FakeTui(screens={"trust": trust, "main": main}, current="trust", first_paint_ms=300)

    return make


def run(
    sandbox: str, help_text: str = HELP_1_0_102, flags: FeatureFlags | None = None, env: dict[str, str] | None = None
) -> tuple[WorkspaceResult, FakePtySpawner, str, str]:
    home, ws = os.path.join(sandbox, "home"), os.path.join(sandbox, "proj")
    os.makedirs(ws, exist_ok=True)
    os.makedirs(home, exist_ok=True)
    clock = FakeClock()
    spawner = FakePtySpawner(copilot_tui(home, ws), clock)
    coordinator = WorkspaceTrustCoordinator(
        spawner=spawner, clock=clock, locks=FakeLocks(), help_reader=FakeHelpReader(help_text)
    )
    request = WorkspaceTrustRequest(
        workspaces=(WorkspaceSpec(ws),),
        providers=(Provider.COPILOT,),
        binaries={Provider.COPILOT: "/bin/true"},
        env={"HOME": home, "PATH": os.environ["PATH"], **(env or {})},
        flags=flags or FeatureFlags(),
        timing=attrs.evolve(DEFAULT_TIMING, total_budget_ms=20000),
    )
    (result,) = coordinator.execute(coordinator.plan_full(request)).results
    return result, spawner, home, ws


def test_accepts_with_one_down_and_enter_then_starts_nothing(sandbox: str) -> None:
    result, spawner, _, ws = run(sandbox, env={"COPILOT_ALLOW_ALL": "true", "GH_TOKEN": "gho_x"})
    assert (result.status, result.keys, result.trusted_key) == (
        WorkspaceStatus.ACCEPTED,
        (Key.DOWN, Key.ENTER),
        ws,
    )
    assert result.dialogs[0] == "copilot.workspace_trust"
    (session,) = spawner.sessions
    assert session.killed and session.term_graces == [0]
    assert session.spec.cwd == ws
    assert "COPILOT_ALLOW_ALL" not in session.spec.env and "GH_TOKEN" not in session.spec.env
    assert session.spec.argv[1:] == tuple(
        f"--available-tools={NO_TOOL}" if flag == "--available-tools" else flag for flag, _ in REQUIRED_FLAGS
    )
    again, spawner2, _, _ = run(sandbox)
    assert (again.status, again.pty_spawned, spawner2.sessions) == (WorkspaceStatus.ALREADY_TRUSTED, False, [])


def test_a_trusted_parent_starts_nothing(sandbox: str) -> None:
    write_config(os.path.join(sandbox, "home"), HEADER + json.dumps({"trusted_folders": [sandbox]}))
    result, spawner, _, _ = run(sandbox)
    assert (result.status, result.pty_spawned, spawner.sessions) == (WorkspaceStatus.ALREADY_TRUSTED, False, [])


def test_a_corrupt_config_starts_nothing(sandbox: str) -> None:
    write_config(os.path.join(sandbox, "home"), HEADER + "{trustedFolders: []}")
    result, spawner, _, _ = run(sandbox)
    assert (result.status, result.code, spawner.sessions) == (
        WorkspaceStatus.SOFT_FAILED,
        Code.STATE_FILE_CORRUPT,
        [],
    )


def test_a_missing_flag_soft_fails_naming_it_and_starts_nothing(sandbox: str) -> None:
    result, spawner, home, _ = run(sandbox, help_text=HELP_1_0_80)
    assert (result.status, result.code, result.pty_spawned) == (
        WorkspaceStatus.SOFT_FAILED,
        Code.PREFLIGHT_UNPROTECTED,
        False,
    )
    message = " ".join(d.message for d in result.diagnostics if d.code is Code.PREFLIGHT_UNPROTECTED)
    assert "--disable-client-telemetry" in message and "allow_unprotected_copilot" in message
    # The first release that lists it, so that the user knows what to update to.
    assert "--disable-client-telemetry (listed from 1.0.102 on)" in message
    assert spawner.sessions == []
    assert not os.path.exists(os.path.join(home, ".copilot", "config.json"))


def test_an_allowed_unprotected_run_says_what_it_lacked(sandbox: str) -> None:
    result, spawner, _, _ = run(sandbox, help_text=HELP_1_0_80, flags=FeatureFlags(allow_unprotected_copilot=True))
    assert result.status is WorkspaceStatus.ACCEPTED
    (unprotected,) = [d for d in result.diagnostics if d.code is Code.PREFLIGHT_UNPROTECTED]
    assert "--disable-client-telemetry (listed from 1.0.102 on)" in unprotected.message
    assert "--disable-client-telemetry" not in spawner.sessions[0].spec.argv


def test_the_copilot_flag_switches_it_off(sandbox: str) -> None:
    result, spawner, _, _ = run(sandbox, flags=FeatureFlags(copilot_pty=False))
    assert (result.status, result.code, spawner.sessions) == (WorkspaceStatus.SKIPPED, Code.FEATURE_DISABLED, [])


def test_the_provider_is_registered_with_its_id() -> None:
    assert Provider("copilot") is COPILOT is Provider.COPILOT


def test_an_enter_the_cli_lost_is_sent_once_more_on_the_remembering_option() -> None:
    """The dialog stays, cursor on "Yes, and remember", after the first Enter:
    that Enter was lost. One more Enter, confirmed on fresh frames as before;
    never a third, and never a key elsewhere."""
    engine = DialogEngine(COPILOT_RULES)
    keys: list[Key] = []
    for frame in range(1, 400):
        cursor = 1 if Key.DOWN in keys else 0
        decision = engine.observe(TerminalSnapshot(lines=dialog(cursor), frame=frame, elapsed_ms=frame * 20))
        if decision.key is not None:
            keys.append(decision.key)
    assert keys == [Key.DOWN, Key.ENTER, Key.ENTER]


@pytest.mark.parametrize(
    ("entries", "path", "main", "source"),
    [
        # Asked on 1.0.80, 1.0.89 and 1.0.102 in each layout: a linked worktree (or
        # a folder in it) of a listed repository, or of one below a listed folder,
        # starts without asking; of a repository that is not listed, it asks.
        (["/r/main"], "/r/wt", "/r/main", "worktree_main_root"),
        (["/r/main"], "/r/wt/sub", "/r/main", "worktree_main_root"),
        (["/r"], "/x/wt", "/r/main", "worktree_main_root"),
        (["/r/wt"], "/r/wt/sub", "/r/main", "parent"),
        (["/r/other"], "/r/wt", "/r/main", None),
        (["/r/main/sub"], "/r/wt", "/r/main", None),
        # A listed worktree does not make its main checkout trusted.
        (["/r/wt"], "/r/main", None, None),
    ],
)
def test_a_linked_worktree_takes_its_main_checkouts_trust(
    entries: list[str], path: str, main: str | None, source: str | None
) -> None:
    facts = PathFacts(absolute=path, real=path, home="/home/u", exists=True, is_dir=True, worktree_main_root=main)
    found = decide(build_workspace(path, facts, HostOs.LINUX), entries, same)
    assert (found.trusted, found.source) == (source is not None, source)
