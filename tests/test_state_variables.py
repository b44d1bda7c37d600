"""The variables that move a CLI's state, and a HOME where nothing may start.

* Every provider's table of state variables is honoured by the probe, and only
  from the first version that reads each variable.
* A request that strips such a variable from the preflight child is refused up
  front (``state_variable_stripped``): the child would write trust where the
  host's launch does not read it.
* A HOME where the CLI was never set up (no ``.claude.json``, no Codex
  ``auth.json``) gets a set-up code, and a HOME that is a root, not a folder or
  another account's gets its own code: no process, nothing written.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping

import pytest

from workspace_trust.coordinator import WorkspaceTrustCoordinator
from workspace_trust.domain.codes import Code, Provider, WorkspaceStatus
from workspace_trust.domain.results import WorkspaceResult
from workspace_trust.flags import FeatureFlags
from workspace_trust.installed_clis import cli_dir, seed_home
from workspace_trust.providers import all_specs
from workspace_trust.providers.gemini.probe import trusted_folders_path
from workspace_trust.providers.state_vars import StateVariable, honoured_env, stripped_state_variables
from workspace_trust.requests import WorkspaceSpec, WorkspaceTrustRequest
from workspace_trust.testing import FakeClock, FakeHelpReader, FakeLocks, FakePtySpawner, FakeTui

FLOORED = (StateVariable("A_HOME", "home"), StateVariable("B_PATH", "trust file", since="0.15.10"))


def listing(root: str) -> list[tuple[str, int]]:
    """Every path under ``root`` with its size (0 for folders), sorted."""
    out = []
    for folder, dirs, files in os.walk(root):
        for name in dirs:
            out.append((os.path.join(folder, name), 0))
        for name in files:
            path = os.path.join(folder, name)
            out.append((path, os.lstat(path).st_size))
    return sorted(out)


def never_spawned() -> WorkspaceTrustCoordinator:
    def never(spec: object) -> FakeTui:
        raise AssertionError(f"spawned {spec}")

    clock = FakeClock()
    return WorkspaceTrustCoordinator(
        spawner=FakePtySpawner(never, clock), clock=clock, locks=FakeLocks(), help_reader=FakeHelpReader()
    )


def run(
    provider: Provider, ws: str, env: Mapping[str, str], *, strip: tuple[str, ...] = (), mode: str = "pty"
) -> WorkspaceResult:
    coord = never_spawned()
    plan = coord.plan_full(
        WorkspaceTrustRequest(
            workspaces=(WorkspaceSpec(ws),),
            providers=(provider,),
            strategy_modes={provider: mode},
            env={"PATH": os.environ["PATH"], **env},
            strip_env=strip,
            flags=FeatureFlags(codex_pty=True),
        )
    )
    (result,) = coord.execute(plan).results
    return result


# -- the tables ----------------------------------------------------------------------------


def test_every_provider_names_its_state_variables_and_keeps_them_in_the_child() -> None:
    for spec in all_specs():
        names = [variable.name for variable in spec.state_variables]
        assert "HOME" in names, spec.id
        assert len(names) == len(set(names)), spec.id
        if spec.id.value in ("claude", "codex", "gemini", "copilot", "qwen"):
            from workspace_trust.providers.pty_strategy import PtyTrustStrategy

            strategy = spec.mode("pty").factory()
            assert isinstance(strategy, PtyTrustStrategy)
            host = {name: f"/x/{name.lower()}" for name in names}
            child = strategy.spec.child_env(host, ())
            # The preflight child reads its state where the host's launch does.
            assert {name: child.get(name) for name in names} == host, spec.id


def test_a_variable_is_honoured_only_from_its_first_version() -> None:
    env = {"A_HOME": "/a", "B_PATH": "/b", "OTHER": "1"}
    assert honoured_env(env, FLOORED, "0.15.6") == {"A_HOME": "/a", "OTHER": "1"}
    assert honoured_env(env, FLOORED, "0.15.10") == env
    assert honoured_env(env, FLOORED, "1.0.0-beta.1") == env
    # A version nothing tells is taken to be a new one.
    assert honoured_env(env, FLOORED, None) == env


def test_only_a_set_variable_that_is_stripped_is_named() -> None:
    assert stripped_state_variables({"A_HOME": "/a"}, ("A_HOME", "X"), FLOORED) == ("A_HOME",)
    assert stripped_state_variables({"A_HOME": ""}, ("A_HOME",), FLOORED) == ()
    assert stripped_state_variables({"A_HOME": "/a"}, ("B_PATH",), FLOORED) == ()


def test_gemini_trust_file_follows_its_home_variables() -> None:
    home = {"HOME": "/h"}
    assert trusted_folders_path(home) == "/h/.gemini/trustedFolders.json"
    assert trusted_folders_path({**home, "GEMINI_CLI_HOME": "/g"}) == "/g/.gemini/trustedFolders.json"
    assert trusted_folders_path({**home, "SANDBOX": "sandbox-exec"}) == "/h/.cache/.gemini/trustedFolders.json"
    assert trusted_folders_path({**home, "SANDBOX": "docker"}) == "/h/.gemini/trustedFolders.json"
    moved = {**home, "GEMINI_CLI_HOME": "/g", "GEMINI_CLI_TRUSTED_FOLDERS_PATH": "/t.json"}
    assert trusted_folders_path(moved) == "/t.json"


def test_gemini_status_reads_the_trust_file_under_gemini_cli_home(sandbox: str) -> None:
    home, moved, ws = (os.path.join(sandbox, name) for name in ("home", "moved", "ws"))
    for path in (home, ws, os.path.join(moved, ".gemini")):
        os.makedirs(path, exist_ok=True)
    with open(os.path.join(moved, ".gemini", "trustedFolders.json"), "w", encoding="utf-8") as handle:
        json.dump({ws: "TRUST_FOLDER"}, handle)
    coord = never_spawned()
    for mode in ("pty", "env"):
        request = WorkspaceTrustRequest(
            workspaces=(WorkspaceSpec(ws),),
            providers=(Provider.GEMINI,),
            strategy_modes={Provider.GEMINI: mode},
            env={"HOME": home, "GEMINI_CLI_HOME": moved, "PATH": os.environ["PATH"]},
        )
        ((_, probe),) = coord.status(coord.plan_full(request))
        assert getattr(probe, "trusted", None) is True, mode


@pytest.mark.parametrize("named_by", ["variable", "request"])
def test_qwen_home_is_not_honoured_below_the_version_that_reads_it(sandbox: str, named_by: str) -> None:
    """Qwen Code 0.15.6 keeps trust in ~/.qwen whatever QWEN_HOME says; 0.24.4
    reads QWEN_HOME. The binary is named by its variable, or by the request
    (``binaries``, the command line's --qwen-bin)."""
    home, moved, ws = (os.path.join(sandbox, name) for name in ("home", "moved", "ws"))
    for path in (os.path.join(home, ".qwen"), moved, ws):
        os.makedirs(path, exist_ok=True)
    enabled = {"security": {"folderTrust": {"enabled": True}}}
    for folder, trusted in ((os.path.join(home, ".qwen"), True), (moved, False)):
        with open(os.path.join(folder, "settings.json"), "w", encoding="utf-8") as handle:
            json.dump(enabled, handle)
        with open(os.path.join(folder, "trustedFolders.json"), "w", encoding="utf-8") as handle:
            json.dump({ws: "TRUST_FOLDER"} if trusted else {}, handle)
    seen = {}
    for version in ("0.15.6", "0.24.4"):
        binary = os.path.join(cli_dir(), f"qwen-{version}", "node_modules", ".bin", "qwen")
        assert os.access(binary, os.X_OK), f"Qwen Code {version} is not installed (./dev setup)"
        coord = never_spawned()
        env = {"HOME": home, "QWEN_HOME": moved, "PATH": os.environ["PATH"]}
        by_variable = named_by == "variable"
        request = WorkspaceTrustRequest(
            workspaces=(WorkspaceSpec(ws),),
            providers=(Provider.QWEN,),
            strategy_modes={Provider.QWEN: "pty"},
            env={**env, "WORKSPACE_TRUST_QWEN_BIN": binary} if by_variable else env,
            binaries={} if by_variable else {Provider.QWEN: binary},
        )
        ((_, probe),) = coord.status(coord.plan_full(request))
        seen[version] = getattr(probe, "trusted", None)
    assert seen == {"0.15.6": True, "0.24.4": False}


# -- stripping one ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("provider", "variable"),
    [
        (Provider.CLAUDE, "CLAUDE_CONFIG_DIR"),
        (Provider.CODEX, "CODEX_HOME"),
        (Provider.GEMINI, "GEMINI_CLI_HOME"),
        (Provider.GEMINI, "GEMINI_CLI_TRUSTED_FOLDERS_PATH"),
        (Provider.COPILOT, "COPILOT_HOME"),
        (Provider.QWEN, "QWEN_HOME"),
        (Provider.QWEN, "QWEN_CODE_TRUSTED_FOLDERS_PATH"),
    ],
)
def test_stripping_a_variable_that_moves_the_state_is_refused_up_front(
    sandbox: str, provider: Provider, variable: str
) -> None:
    home, moved, ws = (os.path.join(sandbox, name) for name in ("home", "moved", "ws"))
    for path in (home, moved, ws):
        os.makedirs(path)
    extra = seed_home(provider.value, home)
    before = listing(sandbox)
    env = {**extra, "HOME": home, variable: os.path.join(moved, "state")}
    result = run(provider, ws, env, strip=(variable,))
    assert (result.status, result.code, result.pty_spawned) == (
        WorkspaceStatus.BLOCKED,
        Code.STATE_VARIABLE_STRIPPED,
        False,
    )
    assert any(variable in d.message for d in result.diagnostics)
    assert listing(sandbox) == before


# -- a HOME where nothing may start ----------------------------------------------------------


def test_claude_never_set_up_gets_a_setup_code_and_nothing_is_written(sandbox: str) -> None:
    home, ws = os.path.join(sandbox, "home"), os.path.join(sandbox, "ws")
    os.makedirs(home)
    os.makedirs(ws)
    before = listing(sandbox)
    result = run(Provider.CLAUDE, ws, {"HOME": home})
    assert (result.status, result.code, result.pty_spawned) == (
        WorkspaceStatus.BLOCKED,
        Code.PROVIDER_SETUP_REQUIRED,
        False,
    )
    assert listing(sandbox) == before


def test_codex_without_credentials_gets_an_auth_code_and_nothing_is_written(sandbox: str) -> None:
    home, ws = os.path.join(sandbox, "home"), os.path.join(sandbox, "ws")
    os.makedirs(os.path.join(home, ".codex"))
    os.makedirs(os.path.join(ws, ".git"))
    before = listing(sandbox)
    result = run(Provider.CODEX, ws, {"HOME": home, "OPENAI_API_KEY": "sk-test-not-a-real-key"})
    assert (result.status, result.code, result.pty_spawned) == (
        WorkspaceStatus.BLOCKED,
        Code.PROVIDER_AUTH_REQUIRED,
        False,
    )
    assert listing(sandbox) == before


@pytest.mark.parametrize("provider", [Provider.CLAUDE, Provider.CODEX, Provider.GEMINI, Provider.COPILOT])
def test_a_home_that_is_not_a_folder_starts_and_writes_nothing(sandbox: str, provider: Provider) -> None:
    ws = os.path.join(sandbox, "ws")
    os.makedirs(ws)
    home = os.path.join(sandbox, "home-file")
    with open(home, "w", encoding="utf-8"):
        pass
    missing = os.path.join(sandbox, "no-such-home")
    before = listing(sandbox)
    for where in (home, missing):
        result = run(provider, ws, {"HOME": where})
        assert (result.status, result.code, result.pty_spawned) == (
            WorkspaceStatus.BLOCKED,
            Code.HOME_NOT_A_FOLDER,
            False,
        ), where
    assert listing(sandbox) == before


@pytest.mark.parametrize("provider", [Provider.CLAUDE, Provider.CODEX, Provider.COPILOT])
def test_a_home_that_is_a_root_is_refused_before_anything_is_read(sandbox: str, provider: Provider) -> None:
    ws = os.path.join(sandbox, "ws")
    os.makedirs(ws)
    result = run(provider, ws, {"HOME": "/"})
    assert (result.status, result.code, result.pty_spawned) == (WorkspaceStatus.BLOCKED, Code.HOME_IS_ROOT, False)


def test_a_home_of_another_account_is_refused(sandbox: str) -> None:
    ws = os.path.join(sandbox, "ws")
    os.makedirs(ws)
    if os.getuid() == 0:
        home = os.path.join(sandbox, "home")
        seed_home("claude", home)
        os.chown(home, 4242, 4242)
    else:
        home = "/usr"  # root's, never this account's
    before = listing(sandbox)
    result = run(Provider.CLAUDE, ws, {"HOME": home})
    assert (result.status, result.code, result.pty_spawned) == (WorkspaceStatus.BLOCKED, Code.HOME_NOT_OWNED, False)
    assert listing(sandbox) == before


def fake_package(sandbox: str, name: str, version: str) -> str:
    """An npm package of ``name`` at ``version`` whose ``bin`` is an executable
    that only exits: the version is read from its package.json, as from a
    real install, and it is never started here."""
    folder = os.path.join(sandbox, "node_modules", "@fake", name)
    os.makedirs(folder)
    with open(os.path.join(folder, "package.json"), "w", encoding="utf-8") as handle:
        json.dump({"name": name, "version": version, "bin": {name: "cli.js"}}, handle)
    binary = os.path.join(folder, "cli.js")
    with open(binary, "w", encoding="utf-8") as handle:
        handle.write("#!/bin/sh\nexit 1\n")
    os.chmod(binary, 0o755)
    return binary


@pytest.mark.parametrize(("version", "status"), [("0.10.1", "soft_failed"), ("0.12.0", "patched")])
def test_the_qwen_override_is_not_counted_on_below_the_version_that_reads_it(
    sandbox: str, version: str, status: str
) -> None:
    """Qwen Code 0.10.1 has no QWEN_CODE_TRUSTED_FOLDERS_PATH in its code: the
    per-launch file would do nothing. 0.12.0 reads it."""
    binary = fake_package(sandbox, "qwen", version)
    home, ws = os.path.join(sandbox, "home"), os.path.join(sandbox, "ws")
    os.makedirs(ws)
    seed_home("qwen", home)
    clock = FakeClock()
    # The version as the installed package tells it, without starting the CLI.
    coord = WorkspaceTrustCoordinator(
        spawner=FakePtySpawner(lambda spec: pytest.fail(f"spawned {spec}"), clock),
        clock=clock,
        locks=FakeLocks(),
        help_reader=FakeHelpReader(version=version),
    )
    plan = coord.plan_full(
        WorkspaceTrustRequest(
            workspaces=(WorkspaceSpec(ws),),
            providers=(Provider.QWEN,),
            strategy_modes={Provider.QWEN: "env"},
            env={"HOME": home, "PATH": os.environ["PATH"]},
            binaries={Provider.QWEN: binary},
            flags=FeatureFlags(qwen_env=True),
        )
    )
    (result,) = coord.execute(plan).results
    assert (result.status.value, result.cli_version) == (status, version)
    if status == "soft_failed":
        assert result.code is not None and result.code.value == "override_unsupported_by_cli_version"


@pytest.mark.parametrize("config_dir", [False, True])
def test_claude_legacy_config_json_is_the_state_file_where_it_is_in_use(sandbox: str, config_dir: bool) -> None:
    """Claude Code (2.1.197 and 2.1.337 seen) reads a non-empty
    ``<config folder>/.config.json`` instead of ``.claude.json``: the probe
    reads it too; an empty one is not used."""
    home, ws = os.path.join(sandbox, "home"), os.path.join(sandbox, "ws")
    os.makedirs(ws)
    seed_home("claude", home)
    folder = os.path.join(sandbox, "config") if config_dir else os.path.join(home, ".claude")
    os.makedirs(folder)
    env = {"HOME": home, "PATH": os.environ["PATH"], **({"CLAUDE_CONFIG_DIR": folder} if config_dir else {})}
    if config_dir:
        seed_home("claude", folder)
    legacy = os.path.join(folder, ".config.json")
    coord = never_spawned()
    request = WorkspaceTrustRequest(workspaces=(WorkspaceSpec(ws),), providers=(Provider.CLAUDE,), env=env)
    with open(legacy, "w", encoding="utf-8"):
        pass  # empty: not in use
    ((_, probe),) = coord.status(coord.plan_full(request))
    assert getattr(probe, "trusted", None) is False
    with open(legacy, "w", encoding="utf-8") as handle:
        json.dump({"hasCompletedOnboarding": True, "projects": {ws: {"hasTrustDialogAccepted": True}}}, handle)
    ((_, probe),) = coord.status(coord.plan_full(request))
    assert getattr(probe, "trusted", None) is True
    result = run(Provider.CLAUDE, ws, env)
    assert (result.status, result.pty_spawned) == (WorkspaceStatus.ALREADY_TRUSTED, False)


@pytest.mark.parametrize("mode", ["pty", "env"])
def test_qwen_home_env_files_are_read_only_by_the_versions_that_read_them(sandbox: str, mode: str) -> None:
    """``QWEN_HOME`` in ``~/.qwen/.env``: 0.24.4 (and 0.15.10 on) keeps trust
    there; 0.15.6 has no home .env files and keeps it in ``~/.qwen``."""
    home, moved, ws = (os.path.join(sandbox, name) for name in ("home", "moved", "ws"))
    for path in (os.path.join(home, ".qwen"), moved, ws):
        os.makedirs(path, exist_ok=True)
    enabled = {"security": {"folderTrust": {"enabled": True}}}
    for folder, trusted in ((os.path.join(home, ".qwen"), True), (moved, False)):
        with open(os.path.join(folder, "settings.json"), "w", encoding="utf-8") as handle:
            json.dump(enabled, handle)
        with open(os.path.join(folder, "trustedFolders.json"), "w", encoding="utf-8") as handle:
            json.dump({ws: "TRUST_FOLDER"} if trusted else {}, handle)
    with open(os.path.join(home, ".qwen", ".env"), "w", encoding="utf-8") as handle:
        handle.write(f"QWEN_HOME={moved}\n")
    seen = {}
    for version in ("0.15.6", "0.24.4"):
        binary = os.path.join(cli_dir(), f"qwen-{version}", "node_modules", ".bin", "qwen")
        assert os.access(binary, os.X_OK), f"Qwen Code {version} is not installed (./dev setup)"
        coord = never_spawned()
        request = WorkspaceTrustRequest(
            workspaces=(WorkspaceSpec(ws),),
            providers=(Provider.QWEN,),
            strategy_modes={Provider.QWEN: mode},
            env={"HOME": home, "PATH": os.environ["PATH"]},
            binaries={Provider.QWEN: binary},
        )
        ((_, probe),) = coord.status(coord.plan_full(request))
        seen[version] = getattr(probe, "trusted", None)
    assert seen == {"0.15.6": True, "0.24.4": False}
