"""Build the sdist and the wheel from a clean clone, install the wheel in a fresh
venv, and check what a user and a packager get.

Usage: .venv/bin/python scripts/check_dist.py [--repo DIR] [--keep DIR] [--no-sdist-tests]

* The clone is of the repository's HEAD (``git clone``), so only committed
  files count: a file that is only in the working tree fails here.
* ``python -m build`` makes the sdist, then the wheel *from the sdist*, so the
  wheel also proves the sdist is complete enough to build.
* The wheel must carry the license, ``py.typed`` and every package-data file
  ``pyproject.toml`` declares; its metadata the license expression, the
  classifiers, the project URLs and the one version.
* The sdist must carry the license, the changelog, the tests with their
  helpers (``conftest.py``, ``fake_tui.py``, ``leaks.py``), the plug-in example
  and the recorded fixtures, and (unless ``--no-sdist-tests``) run a part of its
  own suite against the installed wheel in the fresh venv.

Exit status 0 when every check holds; otherwise each failed check is printed.
"""

from __future__ import annotations

import argparse
import ast
import email.parser
import fnmatch
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import tomllib
import zipfile

#: What a user's install must hold besides the modules.
SDIST_MUST_HOLD = (
    "LICENSE",
    "CHANGELOG.md",
    "README.md",
    "pyproject.toml",
    "tests/conftest.py",
    "tests/fake_tui.py",
    "tests/leaks.py",
    "tests/__init__.py",
    "examples/toy-plugin",
    "fixtures/snapshots",
)
#: The part of its own suite the sdist runs against the installed wheel: the
#: public API, replay of the shipped fixtures, and the runnable docs.
SDIST_TESTS = ("tests/test_public_api.py", "tests/test_host_api.py", "tests/test_fixture_replay.py")
REQUIRED_CLASSIFIERS = (
    "Typing :: Typed",
    "Programming Language :: Python :: 3.11",
    "Operating System :: POSIX :: Linux",
)


def run(argv: list[str], **kwargs: object) -> subprocess.CompletedProcess[str]:
    print("+", " ".join(argv), file=sys.stderr)
    return subprocess.run(argv, check=False, capture_output=True, text=True, **kwargs)  # type: ignore[call-overload, no-any-return]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repo", default=os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    parser.add_argument("--keep", metavar="DIR", help="work in DIR and keep it (default: a temp folder, removed)")
    parser.add_argument("--no-sdist-tests", action="store_true", help="skip running the sdist's own tests")
    args = parser.parse_args(argv)
    work = args.keep or tempfile.mkdtemp(prefix="wt-dist-")
    os.makedirs(work, exist_ok=True)
    try:
        problems = check(args.repo, work, run_tests=not args.no_sdist_tests)
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    for problem in problems:
        print(f"check_dist: FAILED: {problem}")
    if not problems:
        print("check_dist: ok")
    return 1 if problems else 0


def check(repo: str, work: str, *, run_tests: bool) -> list[str]:
    problems: list[str] = []
    clone = os.path.join(work, "clone")
    proc = run(["git", "clone", "--quiet", "--no-hardlinks", repo, clone])
    if proc.returncode != 0:
        return [f"git clone failed: {proc.stderr.strip()}"]
    version = _written_version(clone)
    out = os.path.join(work, "dist")
    proc = run([sys.executable, "-m", "build", "--sdist", "--wheel", "--outdir", out, clone])
    if proc.returncode != 0:
        return [f"python -m build failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"]
    (wheel,) = (os.path.join(out, n) for n in os.listdir(out) if n.endswith(".whl"))
    (sdist,) = (os.path.join(out, n) for n in os.listdir(out) if n.endswith(".tar.gz"))
    problems += check_wheel(wheel, clone, version)
    sdist_root = os.path.join(work, "sdist")
    problems += check_sdist(sdist, sdist_root)
    problems += check_install(wheel, work, version, sdist_root if run_tests else None)
    return problems


def _written_version(clone: str) -> str:
    """The version as the package writes it (src/workspace_trust/_version.py)."""
    with open(os.path.join(clone, "src", "workspace_trust", "_version.py"), encoding="utf-8") as handle:
        tree = ast.parse(handle.read())
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "__version__" for t in node.targets):
            return str(ast.literal_eval(node.value))
    raise SystemExit("check_dist: no __version__ in src/workspace_trust/_version.py")


def check_wheel(wheel: str, clone: str, version: str) -> list[str]:
    problems: list[str] = []
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        meta_name = next(n for n in names if n.endswith(".dist-info/METADATA"))
        meta = email.parser.Parser().parsestr(archive.read(meta_name).decode("utf-8"))
    if not any(n.endswith(".dist-info/licenses/LICENSE") for n in names):
        problems.append("the wheel has no dist-info/licenses/LICENSE")
    if meta.get("License-Expression") != "MIT":
        problems.append(f"wheel License-Expression is {meta.get('License-Expression')!r}, not 'MIT'")
    if meta.get("Version") != version:
        problems.append(f"wheel version {meta.get('Version')!r} is not the package's {version!r}")
    classifiers = meta.get_all("Classifier") or []
    problems += [f"wheel lacks the classifier {c!r}" for c in REQUIRED_CLASSIFIERS if c not in classifiers]
    if not meta.get_all("Project-URL"):
        problems.append("wheel metadata has no Project-URL")
    if not (meta.get("Author") or meta.get("Author-email")):
        problems.append("wheel metadata names no author")
    with open(os.path.join(clone, "pyproject.toml"), "rb") as handle:
        package_data = tomllib.load(handle)["tool"]["setuptools"]["package-data"]
    for package, patterns in package_data.items():
        folder = os.path.join(clone, "src", *package.split("."))
        for pattern in patterns:
            wanted = [
                os.path.relpath(os.path.join(d, f), os.path.join(clone, "src"))
                for d, _, files in os.walk(folder)
                for f in files
                if fnmatch.fnmatch(os.path.relpath(os.path.join(d, f), folder), pattern)
            ]
            if not wanted:
                problems.append(f"package data {package}:{pattern} matches no file in the clone")
            problems += [f"the wheel lacks package data {w}" for w in wanted if w.replace(os.sep, "/") not in names]
    return problems


def check_sdist(sdist: str, into: str) -> list[str]:
    with tarfile.open(sdist) as archive:
        archive.extractall(into, filter="data")
    (top,) = os.listdir(into)
    root = os.path.join(into, top)
    os.rename(root, into + ".tmp")
    shutil.rmtree(into)
    os.rename(into + ".tmp", into)
    return [f"the sdist lacks {item}" for item in SDIST_MUST_HOLD if not os.path.exists(os.path.join(into, item))]


def check_install(wheel: str, work: str, version: str, sdist_root: str | None) -> list[str]:
    venv = os.path.join(work, "venv")
    proc = run([sys.executable, "-m", "venv", venv])
    if proc.returncode != 0:
        return [f"python -m venv failed: {proc.stderr.strip()}"]
    python = os.path.join(venv, "bin", "python")
    extra = ["pytest>=8", "hypothesis>=6.100"] if sdist_root else []
    proc = run([python, "-m", "pip", "install", "-q", wheel, *extra])
    if proc.returncode != 0:
        return [f"pip install of the wheel failed: {proc.stderr[-2000:]}"]
    probe = (
        "import importlib.metadata as m, importlib.resources as r, workspace_trust\n"
        "files = [str(f) for f in m.files('workspace-trust')]\n"
        "print(workspace_trust.__version__)\n"
        "print(any(f.endswith('licenses/LICENSE') for f in files))\n"
        "print(r.files('workspace_trust').joinpath('py.typed').is_file())\n"
        "print(workspace_trust.__file__)\n"
    )
    proc = run([python, "-I", "-c", probe], cwd=work)
    if proc.returncode != 0:
        return [f"importing the installed package failed: {proc.stderr[-2000:]}"]
    got_version, has_license, typed, where = proc.stdout.split("\n")[:4]
    problems = []
    if got_version != version:
        problems.append(f"workspace_trust.__version__ is {got_version!r} installed, not {version!r}")
    if has_license != "True":
        problems.append("the installed distribution has no LICENSE")
    if typed != "True":
        problems.append("the installed package has no py.typed")
    if not where.startswith(venv):
        problems.append(f"the fresh venv imported workspace_trust from {where}")
    cli = run([os.path.join(venv, "bin", "workspace-trust"), "--version"])
    if cli.returncode != 0 or version not in cli.stdout:
        problems.append(f"workspace-trust --version gave {cli.returncode}: {cli.stdout.strip()} {cli.stderr.strip()}")
    if sdist_root is not None:
        # The sdist's own tests, against the installed wheel: src/ is not on
        # sys.path from there, so the import must come from the venv.
        shutil.rmtree(os.path.join(sdist_root, "src"))
        proc = run([python, "-m", "pytest", "-q", "-p", "no:cacheprovider", *SDIST_TESTS], cwd=sdist_root)
        if proc.returncode != 0:
            problems.append(f"the sdist's own tests failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-2000:]}")
    return problems


if __name__ == "__main__":
    sys.exit(main())
