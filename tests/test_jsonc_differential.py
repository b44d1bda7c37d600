"""The JSON readers of the probes against each CLI's own parser, run in Node on
the code the pinned CLI bundles, over generated documents.

* Gemini CLI and Qwen Code read ``trustedFolders.json`` (and Qwen its
  settings) as ``JSON.parse(stripJsonComments(text))``: their bundles carry
  ``strip-json-comments``, which is taken out of each bundle and run as it is;
  the probes read with :func:`workspace_trust.domain.jsonc.loads`.
* Claude Code reads ``.claude.json`` with ``JSON.parse``; the probe reads it
  with :func:`~workspace_trust.providers.claude.state_scan.trust_map` (small
  files) and :func:`~workspace_trust.providers.claude.state_scan.scan_trust_map`
  (large ones, here with a small window so that it walks).

Copilot CLI is a single native executable whose JavaScript is not stored as
text: its parser cannot be taken out, and its dialect is pinned by the
measurements in ``docs/providers.md`` and ``tests/providers/copilot/test_copilot_provider.py``.

The documents are trust lists with comments, white space and stray comment
marks between every token, and strings that hold comment marks. No test here
starts a CLI; each needs the pinned CLI's files and Node (missing Node: a
failure).
"""

from __future__ import annotations

import glob
import json
import os
import shutil
import subprocess
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import require_cli
from workspace_trust.domain import jsonc
from workspace_trust.providers.claude.state_scan import scan_trust_map, trust_map

#: The bundled strip-json-comments, as esbuild wraps it, up to the end of its wrapper.
STRIP_MODULE = "var require_strip_json_comments = __commonJS({"

#: Reads one JSON-encoded document per line and answers one line each:
#: {"ok": true, "value": ...} or {"ok": false}. argv: the parser ("strip" with
#: the bundle's module text on the first line of input, or "claude").
NODE_SCRIPT = r"""
import readline from "node:readline";
const mode = process.argv[1];
const lines = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
let parse = null;
const isObject = (v) => typeof v === "object" && v !== null && !Array.isArray(v);
function claudeTrust(text) {
  const doc = JSON.parse(text);
  if (!isObject(doc)) throw new Error("top level is not an object");
  const out = {};
  if (isObject(doc.projects)) {
    for (const [key, project] of Object.entries(doc.projects)) {
      if (isObject(project)) out[key] = Boolean(project.hasTrustDialogAccepted);
    }
  }
  return out;
}
for await (const line of lines) {
  const text = JSON.parse(line);
  if (parse === null) {
    if (mode === "claude") {
      parse = claudeTrust;
    } else {
      // esbuild's helpers, as the bundle defines them.
      const __commonJS = (cb) => { let mod; return () => {
        if (!mod) { mod = { exports: {} }; Object.values(cb)[0](mod.exports, mod); } return mod.exports; }; };
      const strip = new Function("__commonJS", "__name", "init_esbuild_shims",
        text + "\nreturn require_strip_json_comments();")(__commonJS, (f) => f, () => {});
      parse = (t) => JSON.parse(strip(t));
    }
    process.stdout.write("{}\n");
    continue;
  }
  let out;
  try { out = { ok: true, value: parse(text) }; } catch { out = { ok: false }; }
  process.stdout.write(JSON.stringify(out) + "\n");
}
"""


def node() -> str:
    found = shutil.which("node")
    assert found is not None, "these tests run the CLIs' own code in Node: install node"
    return found


class NodeParser:
    """One Node process answering documents one at a time (so that Hypothesis
    shrinks a disagreement to its smallest document)."""

    def __init__(self, mode: str, module: str = "") -> None:
        self.proc = subprocess.Popen(
            [node(), "--input-type=module", "-e", NODE_SCRIPT, mode],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.ask(module) == {}

    def ask(self, text: str) -> Any:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(json.dumps(text) + "\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        assert line, f"node stopped (exit {self.proc.poll()})"
        return json.loads(line)

    def close(self) -> None:
        self.proc.kill()
        self.proc.wait()


def strip_modules(name: str, version: str) -> list[str]:
    """Every distinct copy of strip-json-comments in the pinned CLI's bundle."""
    root = os.path.dirname(os.path.dirname(require_cli(name, version)))
    found: set[str] = set()
    for path in glob.glob(os.path.join(root, "**", "*.js"), recursive=True):
        with open(path, encoding="utf-8", errors="replace") as handle:
            text = handle.read()
        start = text.find(STRIP_MODULE)
        if start >= 0:
            found.add(text[start : text.index("\n});\n", start) + 4])
    assert found, f"no strip-json-comments in {name} {version}'s bundle under {root}"
    return sorted(found)


@pytest.fixture
def parser_factory() -> Iterator[Callable[[str, str], NodeParser]]:
    made: list[NodeParser] = []

    def make(mode: str, module: str = "") -> NodeParser:
        made.append(NodeParser(mode, module))
        return made[-1]

    yield make
    for parser in made:
        parser.close()


# -- the documents ------------------------------------------------------------------

#: What may stand between two tokens: white space, comments (one holding what
#: looks like a comment's end or start), and stray comment marks. ``/*/`` opens a
#: comment and does not close it.
GAPS = [
    "",
    " ",
    "\n",
    "\r\n",
    "\t",
    "// c\n",
    "//\n",
    "// c */\n",
    "// /* c\n",
    "/* c */",
    "/**/",
    "/***/",
    "/* / */",
    "/* // */",
    "/* * / */",
    "/*/ c */",
    "/*/",
    "/* c",
    "// c",
    "*/",
    "/",
    "*",
]
gaps = st.lists(st.sampled_from(GAPS), max_size=2).map("".join)
#: Strings holding comment marks, quotes and backslashes (escaped), and a few
#: that are not JSON.
strings = st.one_of(
    st.text(alphabet=st.sampled_from(list('ab /*\\",:{}\n')), max_size=6).map(json.dumps),
    st.sampled_from(['"TRUST_FOLDER"', '"DO_NOT_TRUST"', '"/w/p"', '"hasTrustDialogAccepted"', '"projects"']),
    st.sampled_from(['"open', '"a\\"', "'a'"]),
)
scalars = st.one_of(strings, st.sampled_from(["0", "1", "-1", "2.5", "1e3", "true", "false", "null", "NaN"]))


@st.composite
def documents(draw: st.DrawFn) -> str:
    parts: list[str] = []

    def value(depth: int) -> None:
        kind = draw(st.sampled_from(["scalar", "object", "object", "array"] if depth < 3 else ["scalar"]))
        if kind == "scalar":
            parts.append(draw(scalars))
            return
        opening, closing = "{}" if kind == "object" else "[]"
        parts.append(opening)
        count = draw(st.integers(0, 3))
        for index in range(count):
            parts.append(draw(gaps))
            if kind == "object":
                parts.extend([draw(strings), draw(gaps), ":", draw(gaps)])
            value(depth + 1)
            parts.append(draw(gaps))
            if index < count - 1 or draw(st.integers(0, 9)) == 0:
                parts.append(",")
        parts.append(draw(gaps))
        parts.append(closing)

    parts.append(draw(gaps))
    if draw(st.integers(0, 9)):
        parts.append("{")
        for index in range(draw(st.integers(0, 3))):
            parts.extend([draw(gaps), "," if index else "", draw(gaps), draw(strings), draw(gaps), ":", draw(gaps)])
            value(1)
        parts.extend([draw(gaps), "}"])
    else:
        value(0)
    parts.append(draw(gaps))
    return "".join(parts)


def ours(read: Callable[[], Any]) -> dict[str, Any]:
    """What a Python reader says, in the Node parser's answer's terms."""
    try:
        value = read()
    except ValueError:
        return {"ok": False}
    return {"ok": True, "value": json.loads(json.dumps(value))}


def strip_cases() -> list[tuple[str, str]]:
    return [("gemini", v) for v in ("0.39.0", "0.39.1", "0.45.2", "0.61.0")] + [
        ("qwen", v) for v in ("0.10.1", "0.12.0", "0.15.6", "0.24.4")
    ]


# -- the tests ------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "version"), strip_cases())
def test_jsonc_reads_as_the_clis_bundled_strip_json_comments(
    name: str, version: str, parser_factory: Callable[[str, str], NodeParser]
) -> None:
    parsers = [parser_factory("strip", module) for module in strip_modules(name, version)]
    agreed: list[bool] = []

    @settings(max_examples=400, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
    @given(documents())
    def agrees(text: str) -> None:
        mine = ours(lambda: jsonc.loads(text))
        for parser in parsers:
            assert parser.ask(text) == mine, text
        agreed.append(mine["ok"])

    agrees()
    # Both kinds of answer were compared: documents that parse and ones that do not.
    assert True in agreed and False in agreed


@pytest.mark.parametrize(
    "text",
    [
        '{/*/ "a": 1 */}',
        '{"a": 1 /*/ */}',
        '{"a": "x"} /*/',
        '{"a": 1} /* open',
        '{"a": 1} // open',
        '{"a": "/*", "b": "*/"}',
        '{"a": 1, /* c */ }',
        '{"a": "open}',
    ],
)
@pytest.mark.parametrize(("name", "version"), [("gemini", "0.61.0"), ("qwen", "0.24.4")])
def test_the_comment_edges_read_as_the_cli_reads_them(
    name: str, version: str, text: str, parser_factory: Callable[[str, str], NodeParser]
) -> None:
    """The cases a generated run may or may not reach, each compared every time."""
    (module,) = strip_modules(name, version)[:1]
    assert parser_factory("strip", module).ask(text) == ours(lambda: jsonc.loads(text))


@pytest.mark.parametrize("version", ["2.1.119", "2.1.337"])
def test_the_claude_state_readers_accept_what_json_parse_accepts(
    version: str, parser_factory: Callable[[str, str], NodeParser]
) -> None:
    """Claude's ``JSON.parse`` is Node's own: the version only says the suite
    runs where Claude is installed. Both Python readers answer as it does."""
    require_cli("claude", version)
    parser = parser_factory("claude", "")
    agreed: list[bool] = []
    projects: st.SearchStrategy[dict[str, Any]] = st.dictionaries(
        st.sampled_from(["/w/p", "/w/q", "/*/", "a//b"]),
        st.one_of(
            st.dictionaries(
                st.sampled_from(["hasTrustDialogAccepted", "other"]),
                st.sampled_from([True, False, None, 0, 1, "", "x", [], {}]),
                max_size=2,
            ),
            st.sampled_from([None, 1, "x", []]),
        ),
        max_size=3,
    )
    texts = st.one_of(
        documents(),
        st.builds(
            lambda p, indent: json.dumps({"projects": p, "x": 1}, indent=indent), projects, st.sampled_from([None, 1])
        ),
    )

    @settings(max_examples=400, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
    @given(texts)
    def agrees(text: str) -> None:
        theirs = parser.ask(text)
        data = text.encode()
        assert ours(lambda: trust_map(data)) == theirs, text
        chunks = [data[i : i + 7] for i in range(0, len(data), 7)]
        assert ours(lambda: scan_trust_map(chunks, window=32, key_limit=64)) == theirs, text
        agreed.append(theirs["ok"])

    agrees()
    assert True in agreed and False in agreed
