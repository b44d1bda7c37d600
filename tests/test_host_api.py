"""The Python API as a host uses it: names it can import, calls that take what
the plan returns, the same ``~`` in both plan stages, and replay of its own
recordings. mypy (strict, ``./dev lint``) checks this module too, so a call a
host would write that the types reject fails the lint."""

from __future__ import annotations

import enum
import os
import shutil
import subprocess
import sys
from pathlib import Path

import attrs
import pytest

import workspace_trust
from workspace_trust import (
    Code,
    EnvPatch,
    ExecutionStatus,
    ExitCode,
    PatchFile,
    PatchPlan,
    Provider,
    TargetSurface,
    WorkspaceSpec,
    WorkspaceTrustCoordinator,
    WorkspaceTrustRequest,
    apply_env_patches,
    apply_patches,
    launch_env,
    load_fixture,
    replay_engine,
)
from workspace_trust.testing import FakeFileSystemFacts

ROOT = Path(__file__).resolve().parent.parent
GEMINI = Provider("gemini")
QWEN = Provider("qwen")


def test_exit_codes_are_a_public_int_enum() -> None:
    assert "ExitCode" in workspace_trust.__all__
    assert issubclass(ExitCode, enum.IntEnum)
    assert {e.name: int(e) for e in ExitCode} == {
        "OK": 0,
        "SOFT_FAILED": 1,
        "USAGE": 2,
        "BLOCKED": 3,
        "CANCELLED": 130,
    }
    from workspace_trust import cli

    assert not hasattr(cli, "ExitCode")  # one home: workspace_trust.exitcodes
    assert {status: ExitCode.for_status(status) for status in ExecutionStatus} == {
        ExecutionStatus.OK: ExitCode.OK,
        ExecutionStatus.SOFT_FAILED: ExitCode.SOFT_FAILED,
        ExecutionStatus.BLOCKED: ExitCode.BLOCKED,
        ExecutionStatus.CANCELLED: ExitCode.CANCELLED,
    }


def _plan(tmp_path: Path, *providers: Provider) -> PatchPlan:
    folder = tmp_path / "project"
    folder.mkdir()
    request = WorkspaceTrustRequest(
        workspaces=(WorkspaceSpec(str(folder)),),
        providers=providers,
        env={"HOME": str(tmp_path / "home"), "PATH": "/usr/bin:/bin"},
    )
    with WorkspaceTrustCoordinator() as coordinator:
        return coordinator.plan_full(request).patches


def test_apply_patches_takes_what_the_plan_returns(tmp_path: Path) -> None:
    patches = _plan(tmp_path, Provider.CODEX)
    argv = ["codex", "exec", "--", "hello"]
    result = apply_patches(argv, patches)  # the call the issue saw fail with a TypeError
    assert result.diagnostics == ()
    assert result.applied == ("codex.trust.primary_provider_args",)
    assert result.args[:2] == ("codex", "exec")
    assert result.args[2] == "-c"
    assert result.args[3].startswith("projects={") and str(tmp_path / "project") in result.args[3]
    assert result.args[4:] == ("--", "hello")
    # The same as spelling every default out.
    spelled = apply_patches(
        argv, patches.arg_patches, argv_provider=Provider.CODEX, surface=TargetSurface.PRIMARY_PROVIDER_ARGS
    )
    assert spelled == result
    # Idempotent: applying the plan to its own output changes nothing.
    assert apply_patches(result.args, patches).args == result.args


def test_apply_patches_infers_the_argv_of_a_cross_provider_surface(tmp_path: Path) -> None:
    # The member-args patch targets Codex but goes into the lead runtime's argv:
    # the CLI whose argv it is comes from the dialect, not the target.
    patches = _plan(tmp_path, Provider.CODEX)
    surface = TargetSurface.CROSS_PROVIDER_MEMBER_ARGS
    inferred = apply_patches(["lead"], patches, surface=surface)
    explicit = apply_patches(["lead"], patches, surface=surface, argv_provider=Provider.CLAUDE)
    assert inferred == explicit
    assert inferred.applied and not inferred.diagnostics


def test_apply_patches_with_nothing_to_apply_returns_the_args(tmp_path: Path) -> None:
    patches = _plan(tmp_path, GEMINI)  # an environment patch only
    result = apply_patches(["gemini", "-p", "hi"], patches)
    assert result.args == ("gemini", "-p", "hi")
    assert result.applied == () and result.diagnostics == ()


def test_apply_patches_refuses_to_guess_between_two_clis(tmp_path: Path) -> None:
    codex = _plan(tmp_path, Provider.CODEX).arg_patches
    direct = next(p for p in codex if p.target_surface is TargetSurface.PRIMARY_PROVIDER_ARGS)
    settings = next(p for p in codex if p.target_surface is TargetSurface.CROSS_PROVIDER_MEMBER_ARGS)
    both = (direct, attrs.evolve(settings, target_surface=TargetSurface.PRIMARY_PROVIDER_ARGS, dedupe_key="x"))
    with pytest.raises(ValueError, match="argv_provider"):
        apply_patches(["x"], both)


def test_env_patches_for_a_launch(tmp_path: Path) -> None:
    patches = _plan(tmp_path, GEMINI, Provider.CODEX)
    base = {"PATH": "/usr/bin", "KEEP": "1"}
    env = apply_env_patches(base, patches, provider=GEMINI)
    assert base == {"PATH": "/usr/bin", "KEEP": "1"}  # not changed
    added = {k: v for k, v in env.items() if k not in base}
    assert added and all(k.startswith("GEMINI") for k in added)
    assert {k: env[k] for k in base} == base
    # Another provider's patches are left out.
    assert apply_env_patches(base, patches, provider=Provider.CODEX) == base


FILE_PATCH = EnvPatch(
    id="p.file",
    target_provider=QWEN,
    values=(("OTHER", "1"),),
    dedupe_key="p:file",
    source_workspace_ids=("/w",),
    reason="test",
    files=(PatchFile(variable="TRUST_FILE", name="trusted.json", content='{"/w": "TRUST_FOLDER"}'),),
)


def test_env_patch_that_names_a_file_goes_through_launch_env() -> None:
    plan = PatchPlan(env_patches=(FILE_PATCH,))
    with pytest.raises(ValueError, match="launch_env"):
        apply_env_patches({}, plan)
    with launch_env(plan, provider=QWEN, env={"PATH": "/usr/bin"}) as env:
        assert env["PATH"] == "/usr/bin" and env["OTHER"] == "1"
        path = env["TRUST_FILE"]
        assert Path(path).read_text(encoding="utf-8") == '{"/w": "TRUST_FOLDER"}'
        assert os.stat(path).st_mode & 0o777 == 0o600
    assert not os.path.exists(path)


@pytest.mark.parametrize("spelling", ["~/project", "~"])
def test_tilde_means_the_request_home_in_both_plan_stages(tmp_path: Path, spelling: str) -> None:
    home = tmp_path / "home"
    (home / "project").mkdir(parents=True)
    request = WorkspaceTrustRequest(
        workspaces=(WorkspaceSpec(spelling, id="ws-1"),),
        providers=(Provider.CODEX,),
        env={"HOME": str(home), "PATH": "/usr/bin:/bin"},
    )
    with WorkspaceTrustCoordinator() as coordinator:
        early = coordinator.plan_args_only(request)
        full = coordinator.plan_full(request)
    if spelling == "~":
        # The home folder itself: left out of every patch in both stages.
        assert not early.patches.arg_patches and not full.patches.arg_patches
        assert [d.workspace_id for d in early.diagnostics] == ["ws-1"]
        assert all(d.code is not Code.WORKSPACE_PATH_INVALID for d in early.diagnostics)
        return
    assert early.diagnostics == ()
    primary = [p.values for p in early.patches.arg_patches if p.target_surface is TargetSurface.PRIMARY_PROVIDER_ARGS]
    assert primary == [
        p.values for p in full.patches.arg_patches if p.target_surface is TargetSurface.PRIMARY_PROVIDER_ARGS
    ]
    assert str(home / "project") in primary[0][0]


def test_tilde_without_home_names_the_failing_spec() -> None:
    request = WorkspaceTrustRequest(
        workspaces=(WorkspaceSpec("/srv/a", id="ok"), WorkspaceSpec("~/b", id="needs-home")),
        providers=(Provider.CODEX,),
        env={"PATH": "/usr/bin"},
    )
    coordinator = WorkspaceTrustCoordinator(filesystem=FakeFileSystemFacts())
    for plan in (coordinator.plan_args_only(request), coordinator.plan_full(request)):
        invalid = [d for d in plan.diagnostics if d.code is Code.WORKSPACE_PATH_INVALID]
        assert [d.workspace_id for d in invalid] == ["needs-home"]


def test_replay_from_the_public_api() -> None:
    fixture = load_fixture(str(ROOT / "fixtures/snapshots/claude/2.1.330/trust-accept.json"))
    frames = replay_engine(fixture)  # the provider's own rules by default
    keys = [f.key for f in frames if f.key]
    assert keys and keys[-1] == "enter"
    assert any(f.rule for f in frames)


def test_replay_rejects_what_is_not_a_fixture(tmp_path: Path) -> None:
    plain = tmp_path / "passwd"
    plain.write_text("root:x:0:0::/root:/bin/sh\n")
    with pytest.raises(ValueError) as caught:
        load_fixture(str(plain))
    assert str(plain) in str(caught.value) and "passwd.json" not in str(caught.value)
    source = ROOT / "fixtures/snapshots/claude/2.1.330/trust-accept"
    shutil.copy(f"{source}.input", tmp_path / "odd.input")
    text = Path(f"{source}.json").read_text(encoding="utf-8").replace('"provider": "claude"', '"provider": "nobody"')
    (tmp_path / "odd.json").write_text(text, encoding="utf-8")
    with pytest.raises(ValueError, match="nobody"):
        replay_engine(load_fixture(str(tmp_path / "odd.json")))


def test_replay_works_from_outside_a_checkout(tmp_path: Path) -> None:
    # A host's tests replay their own recording with only the package
    # installed: copy a fixture out of the checkout and run from elsewhere.
    source = ROOT / "fixtures/snapshots/claude/2.1.330/trust-accept"
    for suffix in (".json", ".input"):
        shutil.copy(f"{source}{suffix}", tmp_path / f"mine{suffix}")
    code = (
        "import sys\n"
        "from workspace_trust import load_fixture, replay_engine\n"
        "frames = replay_engine(load_fixture(sys.argv[1]))\n"
        "print(','.join(f.key for f in frames if f.key))\n"
    )
    proc = subprocess.run(
        [sys.executable, "-I", "-c", code, str(tmp_path / "mine.json")],
        cwd=tmp_path,
        check=False,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip().endswith("enter")
