"""Qwen Code's opt-in per-launch override: a private trusted-folders file named
by QWEN_CODE_TRUSTED_FOLDERS_PATH, planned as data and made by the host around
the launch (``launch_env``). tests/providers/qwen/test_real_qwen.py runs it on the real CLI."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from workspace_trust import (
    Code,
    FeatureFlags,
    Provider,
    WorkspaceSpec,
    WorkspaceStatus,
    WorkspaceTrustCoordinator,
    WorkspaceTrustRequest,
)
from workspace_trust.domain.patches import EnvPatch, PatchFile
from workspace_trust.launch_files import launch_env
from workspace_trust.testing import FakeClock, FakeHelpReader, FakeLocks, FakePtySpawner, FakeTui

VARIABLE = "QWEN_CODE_TRUSTED_FOLDERS_PATH"
ENV_MODE = ("--qwen-mode", "env", "--json")


def patch(*files: PatchFile, provider: Provider = Provider.QWEN, values: tuple[tuple[str, str], ...] = ()) -> EnvPatch:
    return EnvPatch("p", provider, values, "k", ("w",), "why", files=files)


def test_launch_env_makes_a_private_file_for_the_block_only(tmp_path: Path) -> None:
    item = PatchFile(VARIABLE, "trustedFolders.json", '{"/w": "TRUST_FOLDER"}\n')
    with launch_env([patch(item, values=(("A", "1"),))], temp_dir=str(tmp_path)) as extra:
        path = extra[VARIABLE]
        assert extra["A"] == "1"
        folder = os.path.dirname(path)
        assert os.path.dirname(folder) == str(tmp_path)
        assert stat.S_IMODE(os.lstat(folder).st_mode) == 0o700
        assert stat.S_IMODE(os.lstat(path).st_mode) == 0o600 and os.path.isfile(path) and not os.path.islink(path)
        with open(path, encoding="utf-8") as handle:
            assert handle.read() == item.content
    assert not os.path.exists(folder)
    assert os.listdir(tmp_path) == []


def test_launch_env_removes_the_file_when_the_launch_raises(tmp_path: Path) -> None:
    item = PatchFile(VARIABLE, "trustedFolders.json", "{}")
    with pytest.raises(RuntimeError), launch_env([patch(item)], temp_dir=str(tmp_path)):
        raise RuntimeError("the launch failed")
    assert os.listdir(tmp_path) == []


def test_launch_env_only_for_the_provider_and_each_file_once(tmp_path: Path) -> None:
    item = PatchFile(VARIABLE, "trustedFolders.json", "{}")
    other = patch(PatchFile("OTHER_FILE", "x.json", "{}"), provider=Provider.GEMINI)
    with launch_env([patch(item), patch(item), other], provider=Provider.QWEN, temp_dir=str(tmp_path)) as extra:
        assert set(extra) == {VARIABLE}
    with launch_env([patch(values=(("A", "1"),))], temp_dir=str(tmp_path)) as extra:
        assert extra == {"A": "1"}
        assert os.listdir(tmp_path) == []  # no file, no folder


@pytest.mark.parametrize("name", ["", ".", "..", "../x", "a/b", "a\\b", "a\x00b"])
def test_a_patch_file_is_a_plain_name(name: str) -> None:
    with pytest.raises(ValueError):
        PatchFile(VARIABLE, name, "{}")


class Box:
    def __init__(self, tmp_path: Path, settings: str = '{"security":{"folderTrust":{"enabled":true}}}') -> None:
        self.home = tmp_path / "home"
        (self.home / ".qwen").mkdir(parents=True)
        (self.home / ".qwen" / "settings.json").write_text(settings)
        self.project = tmp_path / "project"
        self.project.mkdir()
        self.link = tmp_path / "link"
        self.link.symlink_to(self.project)

    def request(self, path: Path | None = None, **flags: bool) -> WorkspaceTrustRequest:
        return WorkspaceTrustRequest(
            workspaces=(WorkspaceSpec(str(path or self.project)),),
            providers=(Provider.QWEN,),
            strategy_modes={Provider.QWEN: "env"},
            env={"HOME": str(self.home), "PATH": "/usr/bin:/bin"},
            flags=FeatureFlags(provider_flags={"qwen_env": True, **flags}),
        )

    def execute(self, request: WorkspaceTrustRequest) -> tuple[WorkspaceStatus, Code | None]:
        def never(spec: object) -> FakeTui:
            raise AssertionError("the env mode never starts the CLI")

        clock = FakeClock()
        coordinator = WorkspaceTrustCoordinator(
            spawner=FakePtySpawner(never, clock), clock=clock, locks=FakeLocks(), help_reader=FakeHelpReader()
        )
        (row,) = coordinator.execute(coordinator.plan_full(request)).results
        return row.status, row.code


def test_the_patch_trusts_exactly_the_folder_and_its_real_path(tmp_path: Path) -> None:
    box = Box(tmp_path)
    coordinator = WorkspaceTrustCoordinator()
    plan = coordinator.plan_full(box.request(box.link))
    (env_patch,) = plan.patches.env_patches
    assert (env_patch.values, [f.variable for f in env_patch.files]) == ((), [VARIABLE])
    assert json.loads(env_patch.files[0].content) == {str(box.link): "TRUST_FOLDER", str(box.project): "TRUST_FOLDER"}
    # Stage 1 is pure: the same patch from the request alone, no file made.
    early = coordinator.plan_args_only(box.request())
    assert json.loads(early.patches.env_patches[0].files[0].content) == {str(box.project): "TRUST_FOLDER"}
    # The home folder gets no patch.
    assert coordinator.plan_full(box.request(box.home)).patches.env_patches == ()


def test_execute_reports_what_the_launch_will_meet(tmp_path: Path) -> None:
    box = Box(tmp_path)
    assert box.execute(box.request()) == (WorkspaceStatus.PATCHED, None)
    trusted = box.home / ".qwen" / "trustedFolders.json"
    # The user's file does not matter to a patched launch, even unreadable.
    trusted.write_text("{")
    assert box.execute(box.request()) == (WorkspaceStatus.PATCHED, None)
    trusted.write_text(json.dumps({str(box.project): "TRUST_FOLDER"}))
    assert box.execute(box.request()) == (WorkspaceStatus.ALREADY_TRUSTED, None)
    # The user's own refusal: said so (the patch would trust it for the launch).
    trusted.write_text(json.dumps({str(box.project): "DO_NOT_TRUST"}))
    assert box.execute(box.request()) == (WorkspaceStatus.SOFT_FAILED, Code.QWEN_FOLDER_DISTRUSTED)
    assert not box.home.joinpath(".qwen", "trustedFolders.json.lock").exists()


def test_execute_off_and_unreadable_settings(tmp_path: Path) -> None:
    off = Box(tmp_path / "a", "{}")
    assert off.execute(off.request()) == (WorkspaceStatus.NOT_REQUIRED, None)
    broken = Box(tmp_path / "c", "{")
    assert broken.execute(broken.request()) == (WorkspaceStatus.BLOCKED, Code.QWEN_SETTINGS_UNREADABLE)


def test_the_env_mode_is_opt_in(tmp_path: Path) -> None:
    box = Box(tmp_path)
    assert box.execute(box.request(qwen_env=False)) == (WorkspaceStatus.SKIPPED, Code.FEATURE_DISABLED)
    assert FeatureFlags().qwen_env is False


def test_plan_json_carries_the_file_for_hosts_in_other_languages(tmp_path: Path) -> None:
    box = Box(tmp_path)
    env = {"HOME": str(box.home), "PATH": os.environ["PATH"]}
    proc = subprocess.run(
        [sys.executable, "-m", "workspace_trust", "plan", str(box.project), "--provider", "qwen", *ENV_MODE],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    (files,) = doc["provider_fields"]["qwen"]["env_files"]
    assert (files["variable"], files["name"]) == (VARIABLE, "trustedFolders.json")
    assert json.loads(files["content"]) == {str(box.project): "TRUST_FOLDER"}
    assert doc["env_patches"][0]["files"] == [files]
    assert doc["env_patches"][0]["values"] == {}
    assert sorted(os.listdir(tmp_path)) == ["home", "link", "project"]  # planning made no file
