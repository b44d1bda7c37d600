"""What a package index and a user's install get: the license, the metadata,
one version, a README whose links work off the repository, and an sdist that
builds the wheel and runs its own tests (scripts/check_dist.py)."""

from __future__ import annotations

import importlib.metadata
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

import workspace_trust

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def test_the_version_is_written_once() -> None:
    # In the package; pyproject reads it from there, and the installed
    # metadata says the same.
    assert "version" not in PYPROJECT["project"] and "version" in PYPROJECT["project"]["dynamic"]
    dynamic = PYPROJECT["tool"]["setuptools"]["dynamic"]["version"]
    assert dynamic == {"attr": "workspace_trust._version.__version__"}
    assert workspace_trust.__version__ == importlib.metadata.version("workspace-trust")
    literal = re.compile(r"""__version__\s*=\s*["']\d+\.\d+""")
    written = [p.name for p in (ROOT / "src").rglob("*.py") if literal.search(p.read_text(encoding="utf-8"))]
    assert written == ["_version.py"]


def test_the_license_is_mit_and_shipped() -> None:
    text = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert text.startswith("MIT License") and "Permission is hereby granted" in text
    project = PYPROJECT["project"]
    assert project["license"] == "MIT" and project["license-files"] == ["LICENSE"]
    assert "LICENSE" in (ROOT / "MANIFEST.in").read_text(encoding="utf-8")


def test_metadata_for_an_index() -> None:
    project = PYPROJECT["project"]
    assert project["authors"]
    assert {"Homepage", "Source", "Issues", "Changelog", "Documentation"} <= set(project["urls"])
    classifiers = set(project["classifiers"])
    assert {"Typing :: Typed", "Operating System :: POSIX :: Linux"} <= classifiers
    # Only the pure API works on Windows (no pseudo-terminal): README, "Platforms".
    assert "Operating System :: Microsoft :: Windows" not in classifiers
    minor = int(project["requires-python"].removeprefix(">=3."))
    assert f"Programming Language :: Python :: 3.{minor}" in classifiers


def test_readme_links_work_on_a_package_index() -> None:
    # The index shows README.md on its own: a link relative to the repository
    # goes nowhere there.
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    targets = re.findall(r"\]\(([^)\s]+)\)", text)
    assert targets
    relative = [t for t in targets if not t.startswith(("https://", "http://", "#", "mailto:"))]
    assert relative == []
    base = PYPROJECT["project"]["urls"]["Source"]
    repository = [t for t in targets if t.startswith(base)]
    for target in repository:
        where = target.removeprefix(base).split("#")[0]
        path = where.split("/", 3)[-1] if "/blob/" in target or "/tree/" in target else ""
        assert not path or (ROOT / path).exists(), f"README links to {target}, which is not in the repository"


def test_the_changelog_keeps_an_unreleased_section() -> None:
    text = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    assert "keepachangelog.com" in text
    assert re.search(r"^## \[Unreleased\]$", text, re.M)


def test_the_version_has_its_changelog_section() -> None:
    """The one version (``_version.py``) is a release the changelog describes."""
    from workspace_trust._version import __version__

    text = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    assert re.search(rf"^## \[{re.escape(__version__)}\]( - \d{{4}}-\d{{2}}-\d{{2}})?$", text, re.M), __version__


@pytest.mark.slow
def test_sdist_and_wheel_from_a_clean_clone(tmp_path: Path) -> None:
    """Builds from the committed HEAD (a clone), installs the wheel in a fresh
    venv and runs part of the sdist's own suite against it."""
    proc = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "check_dist.py"), "--repo", str(ROOT), "--keep", str(tmp_path)],
        capture_output=True,
        text=True,
        check=False,
        timeout=1200,
    )
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    assert "check_dist: ok" in proc.stdout


def test_readme_lists_every_environment_variable() -> None:
    from workspace_trust.flags import FeatureFlags, flag_variable
    from workspace_trust.providers import all_specs

    text = (ROOT / "README.md").read_text(encoding="utf-8")
    wanted = {spec.binary_env for spec in all_specs()}
    wanted |= {flag_variable(name) for name in FeatureFlags.names()}
    assert sorted(v for v in wanted if f"`{v}`" not in text) == []
    for platform in ("Linux", "macOS", "Windows"):
        assert platform in text
    assert "pipx install" in text and "Troubleshooting" in text
