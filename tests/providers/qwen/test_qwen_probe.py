"""Qwen Code's trustedFolders.json, decided as Qwen 0.21.10/0.24.4 decide it
(``resolveTrustRule``): the deepest covering rule wins, DO_NOT_TRUST wins ties,
a rule naming a symlink covers its target, relative rules are taken from the
folder Qwen runs in. The last test runs Qwen's own code from the pinned CLI on
random rule sets and compares."""

from __future__ import annotations

import glob
import json
import os
import random
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import require_cli
from workspace_trust.domain.codes import Code, TrustState
from workspace_trust.domain.paths import HostOs, PathFacts, Workspace, build_workspace
from workspace_trust.providers.qwen import FOLDER_DISTRUSTED, SETTINGS_UNREADABLE
from workspace_trust.providers.qwen.keys import qwen_config_key
from workspace_trust.providers.qwen.probe import QwenStateProbe, decide, node_dirname


def ws(path: str, host: HostOs = HostOs.LINUX, real: str | None = None) -> Workspace:
    facts = PathFacts(absolute=path, real=real or path, home="/home/u", exists=True, is_dir=True)
    return build_workspace(path, facts, host)


def verdict(workspace: Workspace, rules: dict[str, object]) -> tuple[TrustState, str | None]:
    result = decide(workspace, rules.items())
    return result.state, result.trusted_key if result.trusted else result.source


@pytest.mark.parametrize(
    ("rules", "want"),
    [
        ({}, (TrustState.UNTRUSTED, None)),
        ({"/w/p": "TRUST_FOLDER"}, (TrustState.TRUSTED, "/w/p")),
        ({"/w": "TRUST_FOLDER"}, (TrustState.TRUSTED, "/w")),
        ({"/": "TRUST_FOLDER"}, (TrustState.TRUSTED, "/")),
        # TRUST_PARENT trusts the rule's parent: the folder's sibling's rule covers it.
        ({"/w/other": "TRUST_PARENT"}, (TrustState.TRUSTED, "/w/other")),
        # Node's dirname ignores a trailing slash: the parent of "/w/p/q/" is "/w/p".
        ({"/w/p/q/": "TRUST_PARENT"}, (TrustState.TRUSTED, "/w/p/q/")),
        # A name that only starts like the folder does not cover it.
        ({"/w/pro": "TRUST_FOLDER", "/w/p2": "TRUST_FOLDER"}, (TrustState.UNTRUSTED, None)),
        ({"/w/p/sub": "TRUST_FOLDER"}, (TrustState.UNTRUSTED, None)),
        # The deeper rule wins: a DO_NOT_TRUST on the folder beats a trusted parent
        # (0.15.6 let the parent win; the findings file reported that).
        ({"/w": "TRUST_FOLDER", "/w/p": "DO_NOT_TRUST"}, (TrustState.UNTRUSTED, "rule")),
        ({"/w/p": "DO_NOT_TRUST", "/w": "TRUST_FOLDER"}, (TrustState.UNTRUSTED, "rule")),
        ({"/w": "DO_NOT_TRUST", "/w/p": "TRUST_FOLDER"}, (TrustState.TRUSTED, "/w/p")),
        # DO_NOT_TRUST covers the folders below it too.
        ({"/w": "DO_NOT_TRUST"}, (TrustState.UNTRUSTED, "rule")),
        # At equal depth DO_NOT_TRUST wins, in either order.
        ({"/w/p/": "TRUST_FOLDER", "/w/p": "DO_NOT_TRUST"}, (TrustState.UNTRUSTED, "rule")),
        ({"/w/p": "DO_NOT_TRUST", "/w/p/": "TRUST_FOLDER"}, (TrustState.UNTRUSTED, "rule")),
        # TRUST_PARENT of /w/p/x is /w/p (depth 2), as deep as DO_NOT_TRUST /w/p.
        ({"/w/p/x": "TRUST_PARENT", "/w/p": "DO_NOT_TRUST"}, (TrustState.UNTRUSTED, "rule")),
        # A relative rule is taken from the folder Qwen runs in: "." and "" trust any folder.
        ({".": "TRUST_FOLDER"}, (TrustState.TRUSTED, ".")),
        ({"": "TRUST_FOLDER"}, (TrustState.TRUSTED, "")),
        ({"..": "TRUST_FOLDER"}, (TrustState.TRUSTED, "..")),
        ({"sub": "TRUST_FOLDER"}, (TrustState.UNTRUSTED, None)),
        # Other values and levels are skipped, as Qwen skips them.
        ({"/w/p": "trust_folder", "/w": 1, "/": None}, (TrustState.UNTRUSTED, None)),
        # Lexically normalised: dots and doubled slashes.
        ({"/w/./x/../p//": "TRUST_FOLDER"}, (TrustState.TRUSTED, "/w/./x/../p//")),
    ],
)
def test_rules_decide_as_qwen_does(rules: dict[str, object], want: tuple[TrustState, str | None]) -> None:
    assert verdict(ws("/w/p"), rules) == want


def test_the_folder_is_its_real_path_never_the_path_it_was_given_as() -> None:
    """Qwen runs in the real path (process.cwd()), so a rule for the link's own
    path (that names nothing on disk here) does not count, and the key is the real path."""
    linked = ws("/links/p", real="/w/p")
    assert verdict(linked, {"/links/p": "TRUST_FOLDER"}) == (TrustState.UNTRUSTED, None)
    assert verdict(linked, {"/w/p": "TRUST_FOLDER"}) == (TrustState.TRUSTED, "/w/p")
    assert qwen_config_key(linked.real_path, HostOs.LINUX) == "/w/p"


def test_a_rule_naming_a_symlink_covers_its_target(tmp_path: Path) -> None:
    real = tmp_path / "real" / "p"
    real.mkdir(parents=True)
    link = tmp_path / "link"
    link.symlink_to(tmp_path / "real")
    workspace = ws(str(real))
    assert verdict(workspace, {str(link): "TRUST_FOLDER"}) == (TrustState.TRUSTED, str(link))
    # The link's real path is as deep as the real folder: DO_NOT_TRUST wins the tie.
    assert verdict(workspace, {str(link / "p"): "DO_NOT_TRUST", str(real): "TRUST_FOLDER"}) == (
        TrustState.UNTRUSTED,
        "rule",
    )


def test_case_counts_on_linux_and_macos_not_on_windows() -> None:
    assert verdict(ws("/w/p", HostOs.MACOS), {"/W/P": "TRUST_FOLDER"}) == (TrustState.UNTRUSTED, None)
    assert verdict(ws("/w/p", HostOs.LINUX), {"/W/P": "TRUST_FOLDER"}) == (TrustState.UNTRUSTED, None)
    assert verdict(ws("C:\\w\\p", HostOs.WINDOWS), {"c:/W/P": "TRUST_FOLDER"}) == (TrustState.TRUSTED, "c:/W/P")
    assert verdict(ws("C:\\w\\p", HostOs.WINDOWS), {"C:\\W": "DO_NOT_TRUST"}) == (TrustState.UNTRUSTED, "rule")


def test_a_backslash_is_part_of_a_name_on_linux() -> None:
    """Qwen keeps backslashes on Linux (unlike Gemini CLI, which turns them into slashes)."""
    assert verdict(ws("/w/a\\b"), {"/w/a\\b": "TRUST_FOLDER"}) == (TrustState.TRUSTED, "/w/a\\b")
    assert verdict(ws("/w/a\\b"), {"/w/a/b": "TRUST_FOLDER"}) == (TrustState.UNTRUSTED, None)
    assert qwen_config_key("/w/a\\b", HostOs.LINUX) == "/w/a\\b"
    assert qwen_config_key("c:/w/p/", HostOs.WINDOWS) == "C:\\w\\p"


@pytest.mark.parametrize(
    ("path", "want"),
    [("/a/b", "/a"), ("/a/b/", "/a"), ("/a", "/"), ("/", "/"), ("a", "."), ("", "."), ("//a", "//"), ("a/b//", "a")],
)
def test_dirname_is_nodes(path: str, want: str) -> None:
    assert node_dirname(path, HostOs.LINUX) == want


# -- the probe, with its files ---------------------------------------------------------


def home_with(
    tmp_path: Path, trusted: str | None = None, settings: str | None = '{"security":{"folderTrust":{"enabled":true}}}'
) -> dict[str, str]:
    home = tmp_path / "home"
    (home / ".qwen").mkdir(parents=True, exist_ok=True)
    if settings is not None:
        (home / ".qwen" / "settings.json").write_text(settings)
    if trusted is not None:
        (home / ".qwen" / "trustedFolders.json").write_text(trusted)
    return {"HOME": str(home)}


def test_the_probe_reads_qwens_file_with_comments(tmp_path: Path) -> None:
    env = home_with(tmp_path, '// mine\n{"/w/p": /* yes */ "TRUST_FOLDER"}\n')
    result = QwenStateProbe(env).read_trust(ws("/w/p"))
    assert (result.state, result.trusted_key, result.source) == (TrustState.TRUSTED, "/w/p", "rule")
    assert QwenStateProbe(home_with(tmp_path / "none")).read_trust(ws("/w/p")).state is TrustState.UNTRUSTED


@pytest.mark.parametrize(
    "text",
    ["", "  \n", "\ufeff{}", "[]", "null", '{"/w/p": "TRUST_FOLDER",}', '{"/w/p": NaN}', "{", '"x"'],
)
def test_what_stops_qwen_is_corrupt(tmp_path: Path, text: str) -> None:
    """Qwen 0.15.6 and 0.24.4 exit 52 ("Please fix the configuration file") on a
    trustedFolders.json that does not parse: an empty one and a byte order mark included."""
    result = QwenStateProbe(home_with(tmp_path, text)).read_trust(ws("/w/p"))
    assert result.state is TrustState.UNKNOWN
    assert [d.code for d in result.diagnostics] == [Code.STATE_FILE_CORRUPT]


def test_a_distrusted_folder_is_said_so(tmp_path: Path) -> None:
    env = home_with(tmp_path, json.dumps({"/w": "TRUST_FOLDER", "/w/p": "DO_NOT_TRUST"}))
    result = QwenStateProbe(env).read_trust(ws("/w/p"))
    assert (result.state, [d.code for d in result.diagnostics]) == (TrustState.UNTRUSTED, [FOLDER_DISTRUSTED])
    assert "/w" not in result.diagnostics[0].message


def test_unreadable_settings_come_first(tmp_path: Path) -> None:
    env = home_with(tmp_path, json.dumps({"/w/p": "TRUST_FOLDER"}), settings='{"security": ')
    result = QwenStateProbe(env).read_trust(ws("/w/p"))
    assert (result.state, [d.code for d in result.diagnostics]) == (TrustState.UNKNOWN, [SETTINGS_UNREADABLE])
    assert "security" not in result.diagnostics[0].message  # never the contents


def test_a_fifo_is_never_opened(tmp_path: Path) -> None:
    env = home_with(tmp_path)
    os.mkfifo(os.path.join(env["HOME"], ".qwen", "trustedFolders.json"))
    result = QwenStateProbe(env).read_trust(ws("/w/p"))
    assert [d.code for d in result.diagnostics] == [Code.STATE_FILE_UNREADABLE]


def test_the_file_moves_with_qwens_variables(tmp_path: Path) -> None:
    env = home_with(tmp_path)
    elsewhere = tmp_path / "elsewhere.json"
    elsewhere.write_text('{"/w/p": "TRUST_FOLDER"}')
    assert QwenStateProbe({**env, "QWEN_CODE_TRUSTED_FOLDERS_PATH": str(elsewhere)}).read_trust(ws("/w/p")).trusted
    # A relative one is taken from the folder Qwen runs in.
    (tmp_path / "w").mkdir()
    (tmp_path / "w" / "rel.json").write_text(json.dumps({str(tmp_path / "w"): "TRUST_FOLDER"}))
    probe = QwenStateProbe({**env, "QWEN_CODE_TRUSTED_FOLDERS_PATH": "rel.json"})
    assert probe.read_trust(ws(str(tmp_path / "w"))).trusted
    qwen_home = tmp_path / "qh"
    qwen_home.mkdir()
    (qwen_home / "settings.json").write_text('{"security":{"folderTrust":{"enabled":true}}}')
    (qwen_home / "trustedFolders.json").write_text('{"/w/p": "TRUST_FOLDER"}')
    assert QwenStateProbe({**env, "QWEN_HOME": str(qwen_home)}).read_trust(ws("/w/p")).trusted
    assert not QwenStateProbe(env).read_trust(ws("/w/p")).trusted


def test_qwen_home_from_a_home_env_file(tmp_path: Path) -> None:
    """Qwen 0.21+ reads QWEN_HOME from ~/.qwen/.env and ~/.env when the environment lacks it."""
    env = home_with(tmp_path)
    qwen_home = tmp_path / "qh"
    qwen_home.mkdir()
    (qwen_home / "trustedFolders.json").write_text('{"/w/p": "TRUST_FOLDER"}')
    Path(env["HOME"], ".env").write_text(f'OTHER_SECRET=x\nexport QWEN_HOME="{qwen_home}"  # moved\n')
    assert QwenStateProbe(env).read_trust(ws("/w/p")).trusted
    # The environment's own value wins, even empty.
    assert not QwenStateProbe({**env, "QWEN_HOME": ""}).read_trust(ws("/w/p")).trusted
    # ~/.qwen/.env is read first.
    Path(env["HOME"], ".qwen", ".env").write_text("QWEN_CODE_TRUSTED_FOLDERS_PATH=/nowhere/t.json\n")
    assert not QwenStateProbe(env).read_trust(ws("/w/p")).trusted


# -- against Qwen's own code -------------------------------------------------------------


def _qwen_chunk(version: str, marker: str) -> str:
    root = os.path.join(os.path.dirname(os.path.dirname(require_cli("qwen", version))), "@qwen-code", "qwen-code")
    for path in glob.glob(os.path.join(root, "chunks", "*.js")):
        with open(path, encoding="utf-8") as handle:
            if marker in handle.read():
                return path
    raise AssertionError(f"{marker} not found in qwen {version}")


def test_the_probe_agrees_with_qwens_own_code_on_random_rules(tmp_path: Path) -> None:
    precedence = _qwen_chunk("0.24.4", "packages/cli/src/config/trust-precedence.ts")
    comparison = _qwen_chunk("0.24.4", "packages/cli/src/config/path-comparison.ts")
    tree = tmp_path / "t"
    folders = ["a", "a/b", "a/b/c", "a/bc", "d", "d/e"]
    for folder in folders:
        (tree / folder).mkdir(parents=True)
    (tree / "la").symlink_to(tree / "a")
    (tree / "d" / "lb").symlink_to(tree / "a" / "b")
    names = [*folders, "la", "la/b", "d/lb", "d/lb/c", "x", "", "a/../d", "a/b/"]
    rng = random.Random(2026)
    cases: list[dict[str, Any]] = []
    for _ in range(400):
        rules = []
        for _ in range(rng.randint(0, 4)):
            name = rng.choice(names)
            path = name if rng.random() < 0.1 else str(tree / name) if name else str(tree)
            rules.append([path, rng.choice(["TRUST_FOLDER", "TRUST_PARENT", "DO_NOT_TRUST", "BOGUS"])])
        cases.append({"cwd": str(tree / rng.choice(folders)), "rules": rules})
    script = (
        "const [p, c] = await Promise.all([import(process.argv[1]), import(process.argv[2])]);"
        "let input = ''; for await (const chunk of process.stdin) input += chunk;"
        "const out = JSON.parse(input).map(({cwd, rules}) => { process.chdir(cwd);"
        " const w = p.resolveTrustRule(p.buildTrustPrecedenceRules(rules.map(([path, trustLevel]) =>"
        " ({path, trustLevel}))), c.getPathComparisonVariants(cwd)); return w ? w.level : null; });"
        "console.log(JSON.stringify(out));"
    )
    proc = subprocess.run(
        ["node", "--input-type=module", "-e", script, precedence, comparison],
        input=json.dumps(cases),
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    theirs = json.loads(proc.stdout)
    want = {"trusted": TrustState.TRUSTED, "untrusted": TrustState.UNTRUSTED, None: TrustState.UNTRUSTED}
    mismatches = []
    for case, level in zip(cases, theirs, strict=True):
        ours = decide(ws(case["cwd"]), [(path, value) for path, value in case["rules"]])
        distrusted = ours.state is TrustState.UNTRUSTED and ours.source == "rule"
        if ours.state is not want[level] or distrusted != (level == "untrusted"):
            mismatches.append((case, level, ours))
    assert mismatches == [], mismatches[:3]
    assert {"trusted", "untrusted", None} <= set(theirs)  # every kind of verdict was compared


def test_each_rules_real_path_is_looked_up_once_per_probe(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """While a session runs the file is read every few milliseconds: the real
    paths of its rules are looked up once, not on every read."""
    calls: list[str] = []
    real = os.path.realpath

    def counting(path: str, **kwargs: bool) -> str:
        calls.append(path)
        return real(path, **kwargs)

    monkeypatch.setattr(os.path, "realpath", counting)
    rules = {f"/elsewhere/{i}": "TRUST_FOLDER" for i in range(200)}
    probe = QwenStateProbe(home_with(tmp_path, json.dumps(rules)))
    for _ in range(3):
        assert probe.read_trust(ws("/w/p")).state is TrustState.UNTRUSTED
    assert sorted(c for c in calls if c.startswith("/elsewhere/")) == sorted(rules)


def test_the_probe_reads_its_settings_and_rules_through_the_port_alone() -> None:
    from workspace_trust.testing import FakeStateFiles

    # Nothing of this exists on disk: every file comes from the fake port.
    home = "/nonexistent-home-for-qwen"
    files = FakeStateFiles(
        {
            f"{home}/.qwen/settings.json": b'{"security": {"folderTrust": {"enabled": true}}}',
            f"{home}/.qwen/trustedFolders.json": b'{"/w/p": "TRUST_FOLDER"}',
        }
    )
    probe = QwenStateProbe({"HOME": home}, files)
    assert probe.read_trust(ws("/w/p")).state is TrustState.TRUSTED
    broken = FakeStateFiles({**files.files, f"{home}/.qwen/settings.json": b"{"})
    result = QwenStateProbe({"HOME": home}, broken).read_trust(ws("/w/p"))
    assert [d.code for d in result.diagnostics] == [SETTINGS_UNREADABLE]


#: rules, the folder -> what 0.15.6, 0.21.2 and 0.24.4 do there (seen by starting
#: each in such a layout, tests/test_real_lookup.py) and what a version not known
#: gets: "trusted", "asks" or "refused" (DO_NOT_TRUST decides: no dialog, nothing
#: started).
BY_VERSION = {
    "a link to the folder is trusted": ({"{link}": "TRUST_FOLDER"}, "{real}", "asks", "trusted", "trusted", "asks"),
    "a folder above is refused": ({"{real}": "DO_NOT_TRUST"}, "{real}/sub", "asks", "asks", "refused", "refused"),
    "refused below a trusted folder": (
        {"{base}": "TRUST_FOLDER", "{real}": "DO_NOT_TRUST"},
        "{real}/sub",
        "trusted",
        "trusted",
        "refused",
        "refused",
    ),
    "the folder is refused": ({"{real}": "DO_NOT_TRUST"}, "{real}", "refused", "refused", "refused", "refused"),
    "a link to the folder is refused": ({"{link}": "DO_NOT_TRUST"}, "{real}", "asks", "refused", "refused", "refused"),
    "a folder above is trusted": ({"{base}": "TRUST_FOLDER"}, "{real}/sub", "trusted", "trusted", "trusted", "trusted"),
}


@pytest.mark.parametrize("case", list(BY_VERSION))
@pytest.mark.parametrize(
    ("version", "column"),
    [("0.15.6", 2), ("0.15.10", 2), ("0.21.2", 3), ("0.21.10", 4), ("0.24.4", 4), (None, 5), ("9.0.0", 5)],
)
def test_each_version_decides_from_the_rules_as_that_version_of_qwen_does(
    tmp_path: Path, case: str, version: str | None, column: int
) -> None:
    base = tmp_path / "base"
    real = base / "real"
    (real / "sub").mkdir(parents=True)
    link = tmp_path / "link"
    link.symlink_to(real)
    names = {"base": str(base), "real": str(real), "link": str(link)}
    rules, folder = BY_VERSION[case][0], BY_VERSION[case][1]
    env = home_with(tmp_path, json.dumps({k.format(**names): v for k, v in rules.items()}))
    result = QwenStateProbe(env, version=version).read_trust(ws(folder.format(**names)))
    refused = [d.code for d in result.diagnostics] == [FOLDER_DISTRUSTED]
    found = "trusted" if result.trusted else "refused" if refused else "asks"
    assert found == BY_VERSION[case][column]
