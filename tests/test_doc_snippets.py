"""Every Python block in README.md and docs/*.md runs, as a reader would paste it.

A file's blocks share one namespace, in order: block N runs after blocks
0..N-1 of its file (one test per block, so a failure names its block). Each
runs in a fresh interpreter from the repository root, with a fresh HOME and a
PATH without any provider CLI, so a block needs no real CLI unless it says so:
an HTML comment right before the fence, ``<!-- snippet: realcli NAME VERSION -->``,
marks a block that drives a real CLI; it runs with that pinned CLI first on
PATH and fails (never skips) under ``WORKSPACE_TRUST_REAL_CLIS=required``.
``<!-- snippet: skip REASON -->`` keeps a block out, and must say why.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import attrs
import pytest

from tests.conftest import require_cli

ROOT = Path(__file__).resolve().parent.parent
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
FENCE = re.compile(r"^(?P<marker><!-- snippet: (?P<what>[^>]*?) -->\n)?```python\n(?P<code>.*?)^```$", re.M | re.S)


@attrs.frozen
class Block:
    path: Path
    index: int
    line: int
    code: str
    realcli: tuple[str, str] | None
    skip: str | None

    @property
    def name(self) -> str:
        return f"{self.path.relative_to(ROOT)}:{self.line}"


def blocks(path: Path) -> list[Block]:
    text = path.read_text(encoding="utf-8")
    out: list[Block] = []
    for index, match in enumerate(FENCE.finditer(text)):
        what = (match.group("what") or "").split()
        realcli = skip = None
        if what[:1] == ["realcli"]:
            assert len(what) == 3, f"{path}: realcli takes NAME VERSION"
            realcli = (what[1], what[2])
        elif what[:1] == ["skip"]:
            assert len(what) > 1, f"{path}: a skipped snippet says why"
            skip = " ".join(what[1:])
        elif what:
            raise AssertionError(f"{path}: unknown snippet marker {what}")
        line = text.count("\n", 0, match.start("code")) + 1
        out.append(Block(path, index, line, match.group("code"), realcli, skip))
    return out


ALL = [block for path in DOCS for block in blocks(path)]


def test_the_docs_have_python_blocks() -> None:
    names = {block.path.name for block in ALL}
    assert {"README.md", "host-integration.md"} <= names


@pytest.mark.parametrize(
    "block",
    [pytest.param(b, id=b.name, marks=[pytest.mark.realcli] if b.realcli else []) for b in ALL],
)
def test_snippet_runs(block: Block, tmp_path: Path) -> None:
    if block.skip:
        pytest.skip(block.skip)
    home = tmp_path / "home"
    home.mkdir()
    path = "/usr/bin:/bin"
    if block.realcli:
        path = f"{os.path.dirname(require_cli(*block.realcli))}:{path}"
    before = [b for b in ALL if b.path == block.path and b.index < block.index and not b.skip]
    # Padded to its own line, so a traceback names the doc's file and line.
    program = "".join(
        f"exec(compile({chr(10) * (b.line - 1) + b.code!r}, {str(b.path.relative_to(ROOT))!r}, 'exec'))\n"
        for b in [*before, block]
    )
    env = {"HOME": str(home), "PATH": path, "LANG": "C.UTF-8", "TMPDIR": str(tmp_path)}
    proc = subprocess.run(
        [sys.executable, "-c", program],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert proc.returncode == 0, f"{block.name} failed:\n{proc.stderr[-3000:]}"
