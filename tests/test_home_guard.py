"""Folders that contain a home folder are refused by every provider and every stage.

Every current CLI's trust covers the folders below a trusted one, so trusting
``/home`` (or ``/tmp`` holding HOME, or a git repository rooted above HOME)
would trust the home folder and everything in it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tomllib
from collections.abc import Mapping

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from workspace_trust.adapters.filesystem import LocalFileSystemFacts
from workspace_trust.coordinator import WorkspaceTrustCoordinator
from workspace_trust.domain.codes import Code, ExecutionStatus, Provider, WorkspaceStatus
from workspace_trust.domain.paths import HostOs
from workspace_trust.flags import FeatureFlags
from workspace_trust.requests import WorkspaceSpec, WorkspaceTrustRequest
from workspace_trust.testing import FakeClock, FakeHelpReader, FakeLocks, FakePtySpawner, FakeTui

ANCESTOR = Code.NOT_PERSISTABLE_HOME_ANCESTOR
ALL_MODES: tuple[dict[Provider, str], ...] = (
    {},  # the defaults: Claude pty, Codex args, Gemini env, Copilot pty
    {Provider.CODEX: "pty", Provider.GEMINI: "pty"},
)


class AccountAt(LocalFileSystemFacts):
    """The local file system, with the account's own home named by the test."""

    def __init__(self, *homes: str) -> None:
        super().__init__(HostOs.LINUX)
        self._homes = homes

    def account_homes(self) -> tuple[str, ...]:
        return self._homes


def coordinator(*account: str) -> WorkspaceTrustCoordinator:
    def never(spec: object) -> FakeTui:
        raise AssertionError(f"spawned {spec}")

    clock = FakeClock()
    return WorkspaceTrustCoordinator(
        spawner=FakePtySpawner(never, clock),
        clock=clock,
        locks=FakeLocks(),
        help_reader=FakeHelpReader(),
        filesystem=AccountAt(*account) if account else None,
    )


def request(dirs: list[str], env: Mapping[str, str], modes: Mapping[Provider, str]) -> WorkspaceTrustRequest:
    return WorkspaceTrustRequest(
        workspaces=tuple(WorkspaceSpec(d) for d in dirs),
        providers=tuple(Provider),
        strategy_modes=dict(modes),
        env={**env, "PATH": os.environ["PATH"]},
        flags=FeatureFlags(codex_pty=True),
    )


def layout(sandbox: str) -> tuple[str, str]:
    """sandbox/users/ana is HOME; returns (users, HOME)."""
    users = os.path.join(sandbox, "users")
    home = os.path.join(users, "ana")
    os.makedirs(os.path.join(home, "x"))
    os.makedirs(os.path.join(home, "proj"))
    return users, home


@pytest.mark.parametrize("modes", ALL_MODES)
def test_every_spelling_of_a_home_ancestor_is_blocked_for_every_provider(
    sandbox: str, modes: Mapping[Provider, str]
) -> None:
    users, home = layout(sandbox)
    link = os.path.join(sandbox, "link-to-users")
    os.symlink(users, link)
    ancestors = [users, sandbox, home + "/..", home + "/x/../..", link, users + "/"]
    coord = coordinator()
    for ancestor in ancestors:
        plan = coord.plan_full(request([ancestor, os.path.join(home, "proj")], {"HOME": home}, modes))
        assert [t.workspace.absolute_path for t in plan.tasks] == [os.path.join(home, "proj")] * len(Provider)
        assert {(r.provider, r.code) for r in plan.settled} == {(p, ANCESTOR) for p in Provider}, ancestor
        for value in plan.patches.launch_values.get(Provider.CODEX, ()):
            assert set(tomllib.loads(f"v = {value.partition('=')[2]}")["v"]) == {os.path.join(home, "proj")}
        for env_patch in plan.patches.env_patches:
            assert env_patch.source_workspace_ids == (os.path.join(home, "proj"),)
        blocked = coord.execute(attrs.evolve(plan, tasks=()))
        assert blocked.status is ExecutionStatus.BLOCKED
        assert all(not r.pty_spawned for r in blocked.results)


def test_a_home_reached_through_a_symlink_guards_both_sides(sandbox: str) -> None:
    """HOME=/sandbox/link (-> /sandbox/data/ana): the folders above the link and
    above its target are both refused."""
    target = os.path.join(sandbox, "data", "ana")
    os.makedirs(target)
    link_parent = os.path.join(sandbox, "links")
    os.makedirs(link_parent)
    link = os.path.join(link_parent, "ana")
    os.symlink(target, link)
    plan = coordinator().plan_full(
        request([os.path.join(sandbox, "data"), link_parent], {"HOME": link}, {Provider.CODEX: "args"})
    )
    assert plan.tasks == ()
    assert {(r.workspace, r.code) for r in plan.settled} == {
        (os.path.join(sandbox, "data"), ANCESTOR),
        (link_parent, ANCESTOR),
    }


def test_the_accounts_own_home_is_guarded_when_home_points_elsewhere(sandbox: str) -> None:
    users, home = layout(sandbox)
    elsewhere = os.path.join(sandbox, "elsewhere")
    os.makedirs(elsewhere)
    coord = coordinator(home, home)
    req = request([users], {"HOME": elsewhere}, {})
    assert {r.code for r in coord.plan_full(req).settled} == {ANCESTOR}
    args_only = coord.plan_args_only(req)
    assert args_only.patches.launch_values.get(Provider.CODEX, ()) == () and args_only.patches.env_patches == ()
    assert {d.code for d in args_only.diagnostics} == {ANCESTOR}


def test_args_only_plan_leaves_home_ancestors_out_of_every_patch() -> None:
    coord = WorkspaceTrustCoordinator(locks=FakeLocks(), filesystem=AccountAt())
    plan = coord.plan_args_only(
        WorkspaceTrustRequest(
            workspaces=(
                WorkspaceSpec("/home"),
                WorkspaceSpec("/home/ana/.."),
                WorkspaceSpec("/srv/link", real_path="/home"),
                WorkspaceSpec("/home/ana/shop"),
            ),
            providers=(Provider.CODEX, Provider.GEMINI),
            env={"HOME": "/home/ana"},
        )
    )
    (value,) = plan.patches.launch_values.get(Provider.CODEX, ())
    assert tomllib.loads(f"v = {value.partition('=')[2]}")["v"] == {"/home/ana/shop": {"trust_level": "trusted"}}
    assert [p.source_workspace_ids for p in plan.patches.env_patches] == [("/home/ana/shop",)]
    # ``/home/ana/..`` is left out too, as a path this plan cannot resolve.
    assert [d.code for d in plan.diagnostics] == [ANCESTOR, Code.WORKSPACE_PATH_UNRESOLVED, ANCESTOR]


_segment = st.text(alphabet="abc.-_ ", min_size=1, max_size=4).filter(lambda s: s not in (".", ".."))


@settings(max_examples=60, deadline=None)
@given(home=st.lists(_segment, min_size=1, max_size=5), cut=st.integers(min_value=0, max_value=5))
def test_no_patch_of_any_provider_ever_names_a_home_ancestor(home: list[str], cut: int) -> None:
    home_path = "/" + "/".join(home)
    ancestor = "/" + "/".join(home[: min(cut, len(home) - 1)])
    inside = home_path + "/project"
    plan = WorkspaceTrustCoordinator(locks=FakeLocks(), filesystem=AccountAt()).plan_args_only(
        WorkspaceTrustRequest(
            workspaces=(WorkspaceSpec(ancestor), WorkspaceSpec(inside)),
            providers=(Provider.CODEX, Provider.GEMINI),
            env={"HOME": home_path},
        )
    )
    (value,) = plan.patches.launch_values.get(Provider.CODEX, ())
    assert set(tomllib.loads(f"v = {value.partition('=')[2]}")["v"]) == {inside}
    assert {ids for p in plan.patches.env_patches for ids in p.source_workspace_ids} == {inside}


@pytest.mark.parametrize("pty_provider", [Provider.CLAUDE, Provider.CODEX])
def test_a_git_repository_rooted_above_home_is_never_run_by_a_cli_that_trusts_the_root(
    sandbox: str, pty_provider: Provider
) -> None:
    users, home = layout(sandbox)
    subprocess.run(["git", "init", "-q", users], check=True)
    ws = os.path.join(home, "proj")
    coord = coordinator()
    plan = coord.plan_full(
        WorkspaceTrustRequest(
            workspaces=(WorkspaceSpec(ws),),
            providers=(pty_provider,),
            strategy_modes={pty_provider: "pty"},
            env={"HOME": home, "PATH": os.environ["PATH"]},
            flags=FeatureFlags(codex_pty=True),
        )
    )
    assert plan.workspaces[0].git_root == users
    (r,) = coord.execute(plan).results
    assert (r.status, r.code, r.pty_spawned) == (WorkspaceStatus.BLOCKED, ANCESTOR, False)
    assert "repository" in " ".join(d.message for d in r.diagnostics)


def run_cli(*args: str, env: Mapping[str, str]) -> tuple[int, dict]:  # type: ignore[type-arg]
    proc = subprocess.run(
        [sys.executable, "-m", "workspace_trust", *args, "--json"],
        env=dict(env),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.stdout.count("\n") == 1, proc.stderr[-2000:]
    return proc.returncode, json.loads(proc.stdout)


@pytest.mark.parametrize("command", ["preflight", "status", "plan"])
def test_cli_blocks_the_parent_of_home(sandbox: str, command: str) -> None:
    users, home = layout(sandbox)
    with open(os.path.join(home, ".claude.json"), "w", encoding="utf-8") as handle:
        json.dump({"hasCompletedOnboarding": True}, handle)
    env = {"HOME": home, "PATH": os.environ["PATH"], "WORKSPACE_TRUST_CLAUDE_BIN": "/nonexistent/claude"}
    code, doc = run_cli(command, users, "--provider", "claude,codex,gemini,copilot", env=env)
    assert {r["code"] for r in doc["results"]} == {ANCESTOR.value}
    assert all(r["pty_spawned"] is False for r in doc["results"])
    assert code == (1 if command == "status" else 3)


def test_dot_dot_after_a_link_is_the_folder_the_system_means(sandbox: str) -> None:
    """``/s/link/../b`` with ``link -> /s/real/sub`` is ``/s/real/b`` to the
    system (and so to the CLI and the host's launch), not ``/s/b`` as the text
    reads. The plan prepares the folder the system means, never the sibling."""
    real_sub = os.path.join(sandbox, "real", "sub")
    os.makedirs(real_sub)
    meant = os.path.join(sandbox, "real", "b")
    textual = os.path.join(sandbox, "b")
    os.makedirs(meant)
    os.makedirs(textual)
    os.symlink(real_sub, os.path.join(sandbox, "link"))
    given_path = os.path.join(sandbox, "link", "..", "b")
    assert os.path.samefile(given_path, meant)
    home = os.path.join(sandbox, "home")
    os.makedirs(home)
    plan = coordinator().plan_full(request([given_path], {"HOME": home}, {Provider.CODEX: "args"}))
    assert [(t.workspace.absolute_path, t.workspace.real_path) for t in plan.tasks] == [(meant, meant)] * len(
        plan.tasks
    )
    (value,) = plan.patches.launch_values[Provider.CODEX]
    assert set(tomllib.loads(f"v = {value.partition('=')[2]}")["v"]) == {meant}
    # Without a link, ``..`` is plain text: nothing changes.
    plain = os.path.join(sandbox, "real", "sub", "..", "b")
    (task, *_) = coordinator().plan_full(request([plain], {"HOME": home}, {Provider.CODEX: "args"})).tasks
    assert task.workspace.real_path == meant
