"""The ``realcli`` marker counts only tests that start a real CLI: the watch in
``tests/conftest.py`` sees a pinned binary started by the test or by what it
starts, and a marked test that passed without starting one fails."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.conftest import RealCliWatch, require_cli

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.mark.realcli
def test_a_real_cli_started_through_a_child_is_seen() -> None:
    """Started by a shell the test starts (a grandchild), as the preflight's
    own CLI is."""
    binary = require_cli("claude", "2.1.337")
    watch = RealCliWatch()
    watch.start()
    try:
        subprocess.run(["sh", "-c", f'"{binary}" --version'], capture_output=True, check=True, timeout=60)
    finally:
        seen = watch.stop()
    assert seen is not None and "--version" in seen


def test_a_child_that_only_names_a_cli_is_not_one() -> None:
    """A child whose arguments name the CLI (what a forked child is until it
    starts its own program) runs no CLI."""
    binary = require_cli("claude", "2.1.337")
    watch = RealCliWatch()
    watch.start()
    try:
        subprocess.run([sys.executable, "-c", "import time; time.sleep(0.3)", binary], check=True, timeout=60)
    finally:
        seen = watch.stop()
    assert seen is None


def test_a_marked_test_that_starts_no_cli_fails(tmp_path: Path) -> None:
    """The check itself, on a throwaway test module run with this suite's
    conftest: marked and starting nothing fails; skipped, failed or unmarked
    tests are left as they are."""
    module = os.path.join(str(tmp_path), "test_throwaway.py")
    with open(module, "w", encoding="utf-8") as handle:
        handle.write(
            textwrap.dedent(
                """
                import pytest

                @pytest.mark.realcli
                def test_marked_and_starting_nothing():
                    pass

                @pytest.mark.realcli
                def test_marked_and_skipped():
                    pytest.skip("not here")

                def test_unmarked():
                    pass
                """
            )
        )
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "-p",
            "tests.conftest",
            "--rootdir",
            str(tmp_path),
            "-o",
            "markers=realcli",
            "-rA",
            module,
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    out = proc.stdout
    lines = out.splitlines()
    assert proc.returncode == 1, out[-3000:]
    assert "marked realcli, but started no real CLI" in out
    # The call itself passed; the check after it is the test's one error.
    errors = [line for line in lines if line.startswith("ERROR ")]
    # (The summary line may carry " - <reason>" where the terminal is wide enough.)
    names = [line.split(" - ", 1)[0].rpartition("::")[2] for line in errors]
    assert names == ["test_marked_and_starting_nothing"], out[-3000:]
    assert any(line.startswith("SKIPPED ") and "not here" in line for line in lines), out[-3000:]
    assert any(line.startswith("PASSED ") and line.endswith("::test_unmarked") for line in lines), out[-3000:]
    assert lines[-1].startswith("2 passed, 1 skipped, 1 error"), out[-3000:]
