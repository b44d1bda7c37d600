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
from workspace_trust.coordinator import WorkspaceTrustCoordinator
from workspace_trust.domain.codes import Code, Provider, TrustState
from workspace_trust.flags import FeatureFlags
from workspace_trust.requests import WorkspaceSpec, WorkspaceTrustRequest

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
    (value,) = doc["provider_fields"]["codex"]["config_overrides"]
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


# -- folders that are no project folders ---------------------------------------

WORLD = Code.NOT_PERSISTABLE_WORLD_WRITABLE
PSEUDO = Code.NOT_PERSISTABLE_PSEUDO_FILESYSTEM
#: A user id that is neither this account nor root.
STRANGER = 54321


def shared_layout(sandbox: str) -> dict[str, str]:
    """Folders every user can write to, with and without the sticky bit, and
    what sits in them."""
    made = {
        "open": os.path.join(sandbox, "open"),  # 0777
        "open/inner": os.path.join(sandbox, "open", "inner"),  # another user can rename it away
        "open/inner/deep": os.path.join(sandbox, "open", "inner", "deep"),
        "sticky": os.path.join(sandbox, "sticky"),  # 1777, as /tmp
        "sticky/mine": os.path.join(sandbox, "sticky", "mine"),  # allowed: a project folder of one's own
        "sticky/mine/sub": os.path.join(sandbox, "sticky", "mine", "sub"),
        "sticky/theirs": os.path.join(sandbox, "sticky", "theirs"),  # another user's: they can swap it
        "home": os.path.join(sandbox, "home"),
    }
    for path in made.values():
        os.makedirs(path, exist_ok=True)
    os.chmod(made["open"], 0o777)
    os.chmod(made["sticky"], 0o1777)
    os.chown(made["sticky/theirs"], STRANGER, STRANGER)
    return made


def test_the_file_system_says_which_folders_are_no_project_folders(sandbox: str) -> None:
    from workspace_trust.adapters.filesystem import folder_kind
    from workspace_trust.domain.paths import NotPersistableReason as R

    if os.geteuid() != 0 and not hasattr(os, "chown"):  # pragma: no cover - chown of another uid needs root
        pytest.fail("this test needs to give a folder to another user (run as root)")
    made = shared_layout(sandbox)
    expected = {
        "open": R.WORLD_WRITABLE,
        "open/inner": R.WORLD_WRITABLE,
        "open/inner/deep": R.WORLD_WRITABLE,
        "sticky": R.WORLD_WRITABLE,
        "sticky/mine": None,
        "sticky/mine/sub": None,
        "sticky/theirs": R.WORLD_WRITABLE,
        "home": None,
    }
    assert {name: folder_kind(path) for name, path in made.items()} == expected
    # By the file system's type, whatever the name: /proc is "proc" in mountinfo.
    assert folder_kind("/proc/self") is R.PSEUDO_FILESYSTEM
    assert folder_kind("/sys") is R.PSEUDO_FILESYSTEM
    assert folder_kind("/dev/shm") is R.WORLD_WRITABLE
    assert folder_kind(os.path.join(sandbox, "missing")) is None


def test_mountinfo_gives_each_devices_file_system_type(sandbox: str) -> None:
    from workspace_trust.adapters.filesystem import _read_mount_types

    source = os.path.join(sandbox, "mountinfo")
    with open(source, "w", encoding="utf-8") as handle:
        handle.write(
            "22 1 0:21 / /proc rw,nosuid shared:5 - proc proc rw\n"
            "23 1 0:22 / /mnt/a\\040b rw shared:6 master:1 - sysfs sysfs rw\n"
            "24 1 8:1 / / rw - ext4 /dev/sda1 rw\n"
            "garbage\n"
            "25 1 0:30 / /x rw\n"
        )
    assert _read_mount_types(source) == {"0:21": "proc", "0:22": "sysfs", "8:1": "ext4"}
    assert _read_mount_types(os.path.join(sandbox, "absent")) == {}


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("open", WORLD),
        ("open/inner", WORLD),
        ("sticky", WORLD),
        ("sticky/theirs", WORLD),
        ("/dev/shm", WORLD),
        ("/tmp", WORLD),
        ("/proc", PSEUDO),
        ("/proc/self", PSEUDO),
        ("/sys/kernel", PSEUDO),
        ("/dev", PSEUDO),
        ("/dev/pts", PSEUDO),
        ("sticky/mine", None),
    ],
)
@pytest.mark.parametrize("command", ["preflight", "status", "plan"])
def test_the_command_line_refuses_folders_that_are_no_project_folders(
    sandbox: str, command: str, name: str, code: Code | None
) -> None:
    made = shared_layout(sandbox)
    path = name if name.startswith("/") else made[name]
    home = os.path.join(sandbox, "home")
    env = {**host_env(home, sandbox), "WORKSPACE_TRUST_CODEX_BIN": os.path.join(sandbox, "claude")}
    with open(os.path.join(home, ".claude.json"), "w", encoding="utf-8") as handle:
        json.dump({"hasCompletedOnboarding": True}, handle)
    rc, doc = run_cli(command, path, "--provider", "claude,codex,gemini", env=env)
    if code is None:
        assert all(r["code"] not in (WORLD.value, PSEUDO.value) for r in doc["results"]), doc
        if command == "plan":
            (value,) = doc["provider_fields"]["codex"]["config_overrides"]
            assert json.dumps(path) in value
        return
    assert {r["code"] for r in doc["results"]} == {code.value}, doc
    assert all(r["pty_spawned"] is False for r in doc["results"])
    assert rc == (1 if command == "status" else 3)
    assert not os.path.exists(os.path.join(sandbox, "started"))
    if command != "status":
        assert (
            doc["provider_fields"]["codex"]["config_overrides"] == [] and doc["provider_fields"]["gemini"]["env"] == {}
        )


def test_the_pure_plan_refuses_the_named_ones() -> None:
    coordinator = WorkspaceTrustCoordinator(filesystem=LocalFileSystemFacts())
    plan = coordinator.plan_args_only(
        WorkspaceTrustRequest(
            workspaces=tuple(WorkspaceSpec(p) for p in ("/tmp", "/var/tmp/", "/dev/shm", "/proc/1", "/sys", "/srv/p")),
            providers=(Provider.CODEX, Provider.GEMINI),
            env={"HOME": "/home/ana"},
        )
    )
    assert [d.code for d in plan.diagnostics] == [WORLD, WORLD, WORLD, PSEUDO, PSEUDO]
    (value,) = plan.patches.launch_values[Provider.CODEX]
    assert set(tomllib.loads(f"v = {value.partition('=')[2]}")["v"]) == {"/srv/p"}


def test_a_world_writable_git_root_stops_a_cli_that_trusts_the_root(sandbox: str) -> None:
    """Claude trusts the repository root: a repository made in a sticky shared
    folder (``git init /tmp``) would have it trust that folder."""
    made = shared_layout(sandbox)
    subprocess.run(["git", "init", "-q", made["sticky"]], check=True)
    os.chmod(made["sticky"], 0o1777)
    home = made["home"]
    coordinator = WorkspaceTrustCoordinator(filesystem=LocalFileSystemFacts())
    request = WorkspaceTrustRequest(
        workspaces=(WorkspaceSpec(made["sticky/mine"]),),
        providers=(Provider.CLAUDE, Provider.CODEX),
        env={"HOME": home, "PATH": os.environ["PATH"]},
    )
    plan = coordinator.plan_full(request)
    (workspace,) = plan.workspaces
    assert (workspace.persistable, workspace.git_root) == (True, made["sticky"])
    with open(os.path.join(home, ".claude.json"), "w", encoding="utf-8") as handle:
        json.dump({"hasCompletedOnboarding": True}, handle)
    results = {r.provider: r for r in coordinator.execute(plan).results}
    claude = results[Provider.CLAUDE]
    assert (claude.code, claude.pty_spawned) == (WORLD, False)
    assert "repository" in " ".join(d.message for d in claude.diagnostics)
    assert results[Provider.CODEX].code is None  # Codex args trusts the folder itself


# -- a host's own Codex trust values ---------------------------------------------


def host_table(home: str, sandbox: str) -> str:
    """A host ``projects=`` override that trusts what no CLI may be left
    trusting, next to entries of its own that must be kept."""
    entries = {
        "/": "trusted",
        home: "trusted",
        home + "/": "trusted",
        os.path.dirname(home): "trusted",
        "/tmp": "trusted",
        "/proc": "trusted",
        os.path.join(sandbox, "kept"): "trusted",
        "/untrusted/by/the/host": "untrusted",
        os.path.dirname(home) + "/": "untrusted",
    }
    inner = ", ".join(f"{json.dumps(k)}={{trust_level={json.dumps(v)}}}" for k, v in entries.items())
    return "projects={" + inner + "}"


def table_of(value: str) -> dict[str, str]:
    return {k: v["trust_level"] for k, v in tomllib.loads(value)["projects"].items()}


REFUSED_CODES = {
    Code.NOT_PERSISTABLE_ROOT,
    Code.NOT_PERSISTABLE_HOME,
    Code.NOT_PERSISTABLE_HOME_ANCESTOR,
    WORLD,
    PSEUDO,
}


@pytest.mark.parametrize("stage", ["plan_args_only", "plan_full", "no_folder_of_ours"])
def test_the_hosts_own_codex_trust_of_a_refused_folder_is_never_passed_on(sandbox: str, stage: str) -> None:
    home = os.path.join(sandbox, "users", "ana")
    project = os.path.join(home, "p")
    os.makedirs(project)
    os.makedirs(os.path.join(sandbox, "kept"))
    host = host_table(home, sandbox)
    request = WorkspaceTrustRequest(
        workspaces=(WorkspaceSpec(home if stage == "no_folder_of_ours" else project),),
        providers=(Provider.CODEX,),
        env={"HOME": home},
        launch_args={Provider.CODEX: ("-c", 'model="o3"', "-c", host)},
    )
    coordinator = WorkspaceTrustCoordinator(filesystem=LocalFileSystemFacts())
    plan = coordinator.plan_args_only(request) if stage == "plan_args_only" else coordinator.plan_full(request)
    patches = plan.patches
    (model, value) = patches.launch_values[Provider.CODEX]
    assert model == 'model="o3"'
    got = table_of(value)
    expected = {
        os.path.join(sandbox, "kept"): "trusted",
        "/untrusted/by/the/host": "untrusted",
        os.path.dirname(home) + "/": "untrusted",
    }
    if stage != "no_folder_of_ours":
        expected[project] = "trusted"
    assert got == expected
    refused = [d.code for d in patches.diagnostics if d.code in REFUSED_CODES]
    assert sorted(c.value for c in refused) == sorted(
        c.value
        for c in (
            Code.NOT_PERSISTABLE_ROOT,
            Code.NOT_PERSISTABLE_HOME,
            Code.NOT_PERSISTABLE_HOME,
            Code.NOT_PERSISTABLE_HOME_ANCESTOR,
            WORLD,
            PSEUDO,
        )
    )
    if stage == "plan_full":
        (row,) = coordinator.execute(plan).results  # type: ignore[arg-type]
        assert row.status.value == "patched", row
        assert {d.code for d in row.diagnostics} >= {Code.NOT_PERSISTABLE_ROOT, Code.NOT_PERSISTABLE_HOME}
    # Applying the patch to the host's own arguments does not bring them back.
    from workspace_trust.domain.patches import TargetSurface
    from workspace_trust.patching import apply_patches

    if patches.arg_patches:
        out = apply_patches(
            ["-c", host, "-c", 'model="o3"'],
            patches,
            argv_provider=Provider.CODEX,
            surface=TargetSurface.PRIMARY_PROVIDER_ARGS,
        )
        (applied,) = [arg for arg in out.args if arg.startswith("projects=")]
        assert table_of(applied) == expected


def test_the_command_line_plan_never_passes_the_hosts_trust_of_home_on(sandbox: str) -> None:
    home = os.path.join(sandbox, "users", "ana")
    project = os.path.join(home, "p")
    os.makedirs(project)
    os.makedirs(os.path.join(sandbox, "kept"))
    env = {"HOME": home, "PATH": os.environ["PATH"]}
    _, doc = run_cli(
        "plan", project, "--provider", "codex", "--existing-codex-override", host_table(home, sandbox), env=env
    )
    (value,) = doc["provider_fields"]["codex"]["config_overrides"]
    assert set(table_of(value)) == {
        project,
        os.path.join(sandbox, "kept"),
        "/untrusted/by/the/host",
        os.path.dirname(home) + "/",
    }
    codes = {d["code"] for d in doc["diagnostics"]}
    assert {Code.NOT_PERSISTABLE_ROOT.value, HOME_CODE, WORLD.value, PSEUDO.value} <= codes


def test_a_host_key_with_dot_dot_is_judged_as_the_system_means_it(sandbox: str) -> None:
    home, ws, _ = linked_home(sandbox)
    project = os.path.join(sandbox, "p")
    os.makedirs(project)
    sneaky = os.path.join(ws, "lnk", "..", "home")  # HOME to the system
    request = WorkspaceTrustRequest(
        workspaces=(WorkspaceSpec(project),),
        providers=(Provider.CODEX,),
        env={"HOME": home},
        launch_args={Provider.CODEX: ("-c", "projects={" + json.dumps(sneaky) + '={trust_level="trusted"}}')},
    )
    coordinator = WorkspaceTrustCoordinator(filesystem=LocalFileSystemFacts())
    full = coordinator.plan_full(request).patches
    assert set(table_of(full.launch_values[Provider.CODEX][-1])) == {project}
    assert Code.NOT_PERSISTABLE_HOME in {d.code for d in full.diagnostics}
    early = coordinator.plan_args_only(request).patches
    assert set(table_of(early.launch_values[Provider.CODEX][-1])) == {project}
    assert Code.WORKSPACE_PATH_UNRESOLVED in {d.code for d in early.diagnostics}


def test_the_library_blocks_a_dot_dot_that_reaches_home_and_reports_the_folder_meant(sandbox: str) -> None:
    """The issue's layout through the library alone: every stage that can read
    the file system sees HOME, and the pure stage patches nothing for it."""
    home, ws, _ = linked_home(sandbox)
    given = os.path.join(ws, "lnk", "..", "home")
    request = WorkspaceTrustRequest(
        workspaces=(WorkspaceSpec(given),), providers=(Provider.CLAUDE, Provider.CODEX), env={"HOME": home}
    )
    coordinator = WorkspaceTrustCoordinator(filesystem=LocalFileSystemFacts())
    plan = coordinator.plan_full(request)
    assert plan.tasks == ()
    assert {(r.provider, r.code, r.workspace) for r in plan.settled} == {
        (Provider.CLAUDE, Code.NOT_PERSISTABLE_HOME, home),
        (Provider.CODEX, Code.NOT_PERSISTABLE_HOME, home),
    }
    assert Provider.CODEX not in plan.patches.launch_values
    assert [task for task, _ in coordinator.status(plan)] == []
    # The status report still has a row for each: unknown, with the guard's code.
    report = coordinator.status_report(plan)
    assert {(r.provider, r.status, r.code) for r in report.rows} == {
        (Provider.CLAUDE, TrustState.UNKNOWN, Code.NOT_PERSISTABLE_HOME),
        (Provider.CODEX, TrustState.UNKNOWN, Code.NOT_PERSISTABLE_HOME),
    }
    assert not report.all_trusted and report.diagnostics
    early = coordinator.plan_args_only(request)
    assert early.patches.launch_values == {} and early.patches.arg_patches == ()
