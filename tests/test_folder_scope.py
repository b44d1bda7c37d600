"""The folder a command line names is the folder the system means, under any
spelling: the command line only joins a relative folder to the current one,
and the library alone resolves it (a ``..`` after a symlink is the parent of
the link's target, not of the link)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tomllib
from collections.abc import Mapping, Sequence

import pytest

from workspace_trust.adapters.filesystem import LocalFileSystemFacts
from workspace_trust.coordinator import WorkspaceSpec, WorkspaceTrustCoordinator, WorkspaceTrustRequest
from workspace_trust.domain.codes import Code, Provider
from workspace_trust.flags import FeatureFlags

HOME_CODE = Code.NOT_PERSISTABLE_HOME.value
NOT_DIRECTORY = Code.WORKSPACE_NOT_DIRECTORY.value


def run_cli(*args: str, env: Mapping[str, str], cwd: str | None = None) -> tuple[int, dict]:  # type: ignore[type-arg]
    proc = subprocess.run(
        [sys.executable, "-m", "workspace_trust", *args, "--json"],
        env=dict(env),
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.stdout.count("\n") == 1, proc.stderr[-2000:]
    return proc.returncode, json.loads(proc.stdout)


def linked_home(sandbox: str) -> tuple[str, str, str]:
    """sandbox/home is HOME (Claude set up there); sandbox/ws/lnk -> sandbox/sub,
    so ``ws/lnk/../home`` is HOME to the system, and ``ws/home`` is the
    folder the text reads. Returns (HOME, ws, the state file's bytes)."""
    home = os.path.join(sandbox, "home")
    ws = os.path.join(sandbox, "ws")
    for folder in (home, os.path.join(sandbox, "sub"), os.path.join(ws, "home")):
        os.makedirs(folder)
    os.symlink(os.path.join(sandbox, "sub"), os.path.join(ws, "lnk"))
    state = json.dumps({"hasCompletedOnboarding": True, "theme": "dark"})
    with open(os.path.join(home, ".claude.json"), "w", encoding="utf-8") as handle:
        handle.write(state)
    assert os.path.samefile(os.path.join(ws, "lnk", "..", "home"), home)
    return home, ws, state


def host_env(home: str, sandbox: str) -> dict[str, str]:
    # A binary that could run, so that a preflight that is not blocked starts it.
    fake = os.path.join(sandbox, "claude")
    with open(fake, "w", encoding="utf-8") as handle:
        handle.write(f"#!/bin/sh\ntouch {sandbox}/started\nsleep 1\n")
    os.chmod(fake, 0o755)
    return {"HOME": home, "PATH": os.environ["PATH"], "TERM": "xterm-256color", "WORKSPACE_TRUST_CLAUDE_BIN": fake}


@pytest.mark.parametrize("command", ["preflight", "status", "plan"])
@pytest.mark.parametrize("relative", [False, True], ids=["absolute", "relative"])
def test_dot_dot_after_a_link_that_reaches_home_is_blocked_on_the_command_line(
    sandbox: str, command: str, relative: bool
) -> None:
    home, ws, state = linked_home(sandbox)
    env = host_env(home, sandbox)
    given = os.path.join("lnk", "..", "home") if relative else os.path.join(ws, "lnk", "..", "home")
    code, doc = run_cli(command, given, "--provider", "claude", env=env, cwd=ws)
    (row,) = doc["results"]
    assert (row["code"], row["workspace"], row["real_path"]) == (HOME_CODE, home, home), doc
    assert row["input"] == given
    assert row["pty_spawned"] is False
    assert row["status"] == ("unknown" if command == "status" else "blocked")
    assert code == (1 if command == "status" else 3)
    assert not os.path.exists(os.path.join(sandbox, "started"))
    with open(os.path.join(home, ".claude.json"), encoding="utf-8") as handle:
        assert handle.read() == state
    if command == "plan":
        (workspace,) = doc["workspaces"]
        assert (workspace["workspace"], workspace["inputs"]) == (home, [given])


def test_the_codex_value_is_built_for_the_folder_the_system_means(sandbox: str) -> None:
    home = os.path.join(sandbox, "home")
    meant = os.path.join(sandbox, "real", "b")
    for folder in (home, meant, os.path.join(sandbox, "real", "sub"), os.path.join(sandbox, "ws", "b")):
        os.makedirs(folder)
    os.symlink(os.path.join(sandbox, "real", "sub"), os.path.join(sandbox, "ws", "lnk"))
    env = {"HOME": home, "PATH": os.environ["PATH"]}
    _, doc = run_cli("plan", "lnk/../b", "--provider", "codex", env=env, cwd=os.path.join(sandbox, "ws"))
    (value,) = doc["codex_config_overrides"]
    assert json.dumps(meant) in value and "ws/b" not in value
    assert doc["workspaces"][0]["workspace"] == meant


@pytest.mark.parametrize("names", ["", ",", " , "])
def test_a_provider_option_that_names_none_is_a_usage_error(sandbox: str, names: str) -> None:
    os.makedirs(os.path.join(sandbox, "home", "p"))
    env = {"HOME": os.path.join(sandbox, "home"), "PATH": os.environ["PATH"]}
    code, doc = run_cli("status", os.path.join(sandbox, "home", "p"), "--provider", names, env=env)
    assert code == 2
    assert doc["error"]["code"] == "usage"


@pytest.mark.parametrize("spelling", ["{f}/..", "{f}/../p", "{missing}/..", "{f}/"])
def test_a_path_the_system_refuses_is_never_its_textual_parent(sandbox: str, spelling: str) -> None:
    """``file/..`` is ENOTDIR to the system, ``missing/..`` ENOENT; resolving
    them as text would prepare the parent folder."""
    home = os.path.join(sandbox, "home")
    os.makedirs(os.path.join(sandbox, "p"))
    os.makedirs(home)
    f = os.path.join(sandbox, "file")
    with open(f, "w", encoding="utf-8"):
        pass
    path = spelling.format(f=f, missing=os.path.join(sandbox, "missing"))
    coordinator = WorkspaceTrustCoordinator(filesystem=LocalFileSystemFacts())
    plan = coordinator.plan_full(
        WorkspaceTrustRequest(workspaces=(WorkspaceSpec(path),), providers=(Provider.CLAUDE,), env={"HOME": home})
    )
    assert plan.tasks == ()
    (row,) = plan.settled
    assert row.code in (Code.WORKSPACE_NOT_DIRECTORY, Code.WORKSPACE_MISSING)


def test_hostile_spellings_of_one_project_folder_are_that_folder(sandbox: str) -> None:
    home = os.path.join(sandbox, "home")
    project = os.path.join(sandbox, "p")
    os.makedirs(home)
    os.makedirs(project)
    os.symlink(project, os.path.join(sandbox, "to-p"))
    spellings: Sequence[str] = (
        project + "/",
        project + "//",
        "/" + project,
        project + "/.",
        project.replace("/", "//"),
        os.path.join(sandbox, ".", "p", "."),
        os.path.join(sandbox, "to-p", ".", ""),
    )
    coordinator = WorkspaceTrustCoordinator(filesystem=LocalFileSystemFacts())
    plan = coordinator.plan_full(
        WorkspaceTrustRequest(
            workspaces=tuple(WorkspaceSpec(s) for s in spellings), providers=(Provider.CLAUDE,), env={"HOME": home}
        )
    )
    assert [t.workspace.real_path for t in plan.tasks] == [project]
    assert set(plan.spec_workspace_ids) == {plan.tasks[0].workspace.id}


@pytest.mark.parametrize(
    ("path", "real"),
    [
        ("{ws}/lnk/../home", None),
        ("{ws}/lnk/../b", None),
        ("{ws}/b/..", None),
        ("~/../b", None),
        ("{ws}/b", "{ws}/lnk/../b"),
    ],
)
def test_the_pure_plan_gives_no_patch_for_a_path_with_dot_dot(sandbox: str, path: str, real: str | None) -> None:
    """``plan_args_only`` reads no file, so it cannot tell what ``..`` after a
    symlink means: it names the path with a code and patches nothing for it;
    the other folders keep their patches, and ``plan_full`` resolves it."""
    home, ws, _ = linked_home(sandbox)
    os.makedirs(os.path.join(sandbox, "b"))
    os.makedirs(os.path.join(ws, "b"))
    other = os.path.join(sandbox, "other")
    os.makedirs(other)
    spec = WorkspaceSpec(path.format(ws=ws), real_path=real.format(ws=ws) if real else None)
    request = WorkspaceTrustRequest(
        workspaces=(spec, WorkspaceSpec(other)),
        providers=(Provider.CODEX, Provider.GEMINI, Provider.QWEN),
        strategy_modes={Provider.QWEN: "env"},
        env={"HOME": home},
        flags=FeatureFlags(qwen_env=True),
    )
    coordinator = WorkspaceTrustCoordinator(filesystem=LocalFileSystemFacts())
    early = coordinator.plan_args_only(request)
    assert [(d.code, d.workspace_id) for d in early.diagnostics] == [(Code.WORKSPACE_PATH_UNRESOLVED, spec.path)]
    ids = [p.source_workspace_ids for p in early.patches.arg_patches] + [
        p.source_workspace_ids for p in early.patches.env_patches
    ]
    assert ids and all(found == (other,) for found in ids)
    (value,) = early.patches.launch_values[Provider.CODEX]
    assert set(tomllib.loads(f"v = {value.partition('=')[2]}")["v"]) == {other}
