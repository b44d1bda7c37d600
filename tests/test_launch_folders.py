"""Folders a launch opens besides its working folder (``--add-dir``, ``-C``):
read from the host's launch arguments as each CLI reads them, each given its
own row under the same guards, and carried by the provider's patches.

The CLIs' behaviour behind each ``FolderArg`` is measured in
tests/test_real_launch_modes.py; tests/test_real_launch_folders.py runs the
whole preflight on the real CLIs.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import attrs
import pytest

from workspace_trust import Code, LaunchMode, Provider, WorkspaceSpec, WorkspaceStatus, WorkspaceTrustCoordinator
from workspace_trust import WorkspaceTrustRequest as Request
from workspace_trust.domain.paths import WorkspaceSource
from workspace_trust.providers import spec_for
from workspace_trust.providers.launch_folders import FolderArg, OpenedFolder, opened_folders
from workspace_trust.testing import FakeBinaryLocator, FakeClock, FakeHelpReader, FakeLocks, FakePtySpawner, FakeTui

ADD_DIR = FolderArg(("--add-dir",), variadic=True, launch_modes=frozenset({LaunchMode.INTERACTIVE}), what="asks")
CD = FolderArg(("-C", "--cd"), what="works in it")
LIST = FolderArg(("--include-directories",), separator=",", what="adds it")


@pytest.mark.parametrize(
    ("args", "paths"),
    [
        (["--add-dir", "b"], ["b"]),
        (["--add-dir=b"], ["b"]),
        (["--add-dir", "a", "b", "--model", "x"], ["a", "b"]),
        (["--model", "x", "--add-dir=/abs/b", "hi"], ["/abs/b"]),
        (["-C", "b"], ["b"]),
        (["-Cb"], ["b"]),
        (["-C=b"], ["b"]),
        (["--cd", "b", "--cd=c"], ["b", "c"]),
        (["--include-directories", "a,b,,c"], ["a", "b", "c"]),
        # A flag's value is not read as a flag, and nothing after -- is read.
        (["--settings", "--add-dir", "x"], []),
        (["--", "--add-dir", "x"], []),
        (["--add-dir"], []),
        (["--add-dirs", "x", "-Cx"], ["x"]),
    ],
)
def test_opened_folders_are_read_as_the_cli_reads_them(args: list[str], paths: list[str]) -> None:
    found = opened_folders(args, (ADD_DIR, CD, LIST), LaunchMode.INTERACTIVE, frozenset({"--settings"}))
    assert [f.path for f in found] == paths


def test_each_folder_says_which_argument_opened_it_and_only_in_its_launch_modes() -> None:
    args = ["--add-dir", "a b", "-C", "c"]
    found = opened_folders(args, (ADD_DIR, CD), LaunchMode.INTERACTIVE)
    assert found == (
        OpenedFolder("a b", "--add-dir 'a b'", "asks"),
        OpenedFolder("c", "-C c", "works in it"),
    )
    assert [f.path for f in opened_folders(args, (ADD_DIR, CD), LaunchMode.PROMPT)] == ["c"]


def _coordinator() -> WorkspaceTrustCoordinator:
    def never(spec: object) -> FakeTui:
        raise AssertionError("a session was started")

    clock = FakeClock()
    return WorkspaceTrustCoordinator(
        spawner=FakePtySpawner(never, clock),
        clock=clock,
        locks=FakeLocks(),
        help_reader=FakeHelpReader(),
        binary_locator=FakeBinaryLocator({"claude", "codex", "copilot"}),
    )


def _folders(sandbox: str, *names: str) -> list[str]:
    out = []
    for name in names:
        path = os.path.join(sandbox, name)
        os.makedirs(path, exist_ok=True)
        out.append(path)
    return out


def test_a_claude_add_dir_folder_is_planned_as_its_own_task(sandbox: str) -> None:
    home, work, extra = _folders(sandbox, "home", "work", "extra")
    request = Request(
        workspaces=(WorkspaceSpec(work),),
        providers=(Provider.CLAUDE, Provider.CODEX),
        env={"HOME": home, "PATH": "/usr/bin"},
        launch_args={Provider.CLAUDE: ("--add-dir", "../extra")},
    )
    plan = _coordinator().plan_full(request)
    rows = [(t.provider, t.workspace.absolute_path, t.workspace.opened_by, t.workspace.source) for t in plan.tasks]
    assert rows == [
        (Provider.CLAUDE, work, None, WorkspaceSource.REQUEST),
        (Provider.CLAUDE, extra, "--add-dir ../extra", WorkspaceSource.LAUNCH_ARG),
        (Provider.CODEX, work, None, WorkspaceSource.REQUEST),
    ]
    needing = plan.needing_preflight()
    assert [(r.workspace, r.opened_by) for r in needing] == [(work, None), (extra, "--add-dir ../extra")]


def test_a_prompt_mode_claude_launch_opens_no_folder_it_asks_about(sandbox: str) -> None:
    home, work, _ = _folders(sandbox, "home", "work", "extra")
    request = Request(
        workspaces=(WorkspaceSpec(work),),
        providers=(Provider.CLAUDE,),
        env={"HOME": home, "PATH": "/usr/bin"},
        launch_args={Provider.CLAUDE: ("-p", "hi", "--add-dir", "../extra")},
        launch_mode=LaunchMode.PROMPT,
    )
    plan = _coordinator().plan_full(request)
    assert [t.workspace.absolute_path for t in plan.tasks] == [work]


@pytest.mark.parametrize("where", ["home", "root", "above home"])
def test_an_opened_folder_gets_the_same_guards(sandbox: str, where: str) -> None:
    home, work = _folders(sandbox, "home", "work")
    target = {"home": home, "root": "/", "above home": sandbox}[where]
    request = Request(
        workspaces=(WorkspaceSpec(work),),
        providers=(Provider.CLAUDE, Provider.CODEX),
        env={"HOME": home, "PATH": "/usr/bin"},
        launch_args={Provider.CLAUDE: (f"--add-dir={target}",), Provider.CODEX: ("--cd", target)},
    )
    plan = _coordinator().plan_full(request)
    assert [t.workspace.absolute_path for t in plan.tasks] == [work, work]
    blocked = [(r.provider, r.status, r.opened_by) for r in plan.settled]
    assert blocked == [
        (Provider.CLAUDE, WorkspaceStatus.BLOCKED, f"--add-dir={target}"),
        (Provider.CODEX, WorkspaceStatus.BLOCKED, f"--cd {target}"),
    ]
    assert all(r.code is not None and r.code.value.startswith("workspace_trust_not_persistable") for r in plan.settled)
    # Nothing of Codex's trusts the refused folder.
    (value,) = plan.patches.launch_values[Provider.CODEX]
    assert f'"{work}"' in value and f'"{target}"' not in value


def test_codex_cd_folder_joins_the_override_and_a_requested_folder_is_not_repeated(sandbox: str) -> None:
    home, work, extra = _folders(sandbox, "home", "work", "extra")
    request = Request(
        workspaces=(WorkspaceSpec(work), WorkspaceSpec(extra)),
        providers=(Provider.CODEX,),
        env={"HOME": home, "PATH": "/usr/bin"},
        launch_args={Provider.CODEX: ("-C", extra, "--cd", work)},
    )
    plan = _coordinator().plan_full(request)
    assert [t.workspace.absolute_path for t in plan.tasks] == [work, extra]
    request = Request(
        workspaces=(WorkspaceSpec(work),),
        providers=(Provider.CODEX,),
        env={"HOME": home, "PATH": "/usr/bin"},
        launch_args={Provider.CODEX: ("exec", "-C", "../extra", "hi")},
    )
    plan = _coordinator().plan_full(request)
    assert [(t.workspace.absolute_path, t.workspace.opened_by) for t in plan.tasks] == [
        (work, None),
        (extra, "-C ../extra"),
    ]
    (value,) = plan.patches.launch_values[Provider.CODEX]
    assert work in value and extra in value
    result = _coordinator().execute(plan)
    assert [(r.workspace, r.status, r.opened_by) for r in result.results] == [
        (work, WorkspaceStatus.PATCHED, None),
        (extra, WorkspaceStatus.PATCHED, "-C ../extra"),
    ]


def test_a_missing_opened_folder_is_blocked_as_a_missing_requested_one(sandbox: str) -> None:
    home, work = _folders(sandbox, "home", "work")
    request = Request(
        workspaces=(WorkspaceSpec(work),),
        providers=(Provider.COPILOT,),
        env={"HOME": home, "PATH": "/usr/bin"},
        launch_args={Provider.COPILOT: ("-C", "gone")},
    )
    plan = _coordinator().plan_full(request)
    assert [(r.status, r.code, r.opened_by) for r in plan.settled] == [
        (WorkspaceStatus.BLOCKED, Code.WORKSPACE_MISSING, "-C gone")
    ]


def test_every_builtin_folder_argument_is_a_real_flag_of_its_cli() -> None:
    """The measured ones: Claude's --add-dir, Codex's -C/--cd, Copilot's -C,
    Gemini's --include-directories; Qwen asks about none."""
    named = {spec.id: [flag for arg in spec.folder_args for flag in arg.flags] for spec in map(spec_for, Provider)}
    assert named[Provider.CLAUDE] == ["--add-dir"]
    assert named[Provider.CODEX] == ["-C", "--cd"]
    assert named[Provider.COPILOT] == ["-C"]
    assert named[Provider.GEMINI] == ["--include-directories"]
    assert named[Provider.QWEN] == []


def test_the_documents_say_which_argument_opened_a_folder(sandbox: str) -> None:
    home, work, extra = _folders(sandbox, "home", "work", "extra")
    proc = subprocess.run(
        [
            *(sys.executable, "-m", "workspace_trust", "plan", work, "--provider", "claude", "--json"),
            f"--launch-arg=claude=--add-dir={extra}",
        ],
        capture_output=True,
        text=True,
        env={"HOME": home, "PATH": "/nonexistent"},
        timeout=60,
        check=False,
    )
    doc = json.loads(proc.stdout)
    assert [(r["input"], r["workspace"], r["opened_by"]) for r in doc["results"]] == [
        (work, work, None),
        (None, extra, f"--add-dir={extra}"),
    ]


def test_a_gemini_include_directory_is_prepared_by_the_dialog_not_the_session_variable(sandbox: str) -> None:
    """The variable trusts the working folder only: each folder of
    ``--include-directories`` gets the PTY strategy, in a terminal launch."""
    home, work, one, two = _folders(sandbox, "home", "work", "one", "two")
    request = Request(
        workspaces=(WorkspaceSpec(work),),
        providers=(Provider.GEMINI,),
        env={"HOME": home, "PATH": "/usr/bin"},
        launch_args={Provider.GEMINI: ("--include-directories", f"{one},{two}")},
    )
    plan = _coordinator().plan_full(request)
    assert [(t.workspace.absolute_path, t.mode) for t in plan.tasks] == [(work, "env"), (one, "pty"), (two, "pty")]
    (patch,) = plan.patches.env_patches
    assert patch.source_workspace_ids == (work,)
    assert [r.workspace for r in plan.needing_preflight()] == [one, two]
    headless = attrs.evolve(request, launch_mode=LaunchMode.PROMPT)
    assert [t.workspace.absolute_path for t in _coordinator().plan_full(headless).tasks] == [work]
