"""The on-disk cache of CLI facts (``--help`` text, version): keyed by the
binary, invalidated by rewriting it, atomic and private, never a crash; and a
preflight on an already-seen real CLI starts nothing but the CLI itself."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import textwrap

import pytest

from tests.conftest import require_cli
from workspace_trust.adapters.cli_facts import (
    FACTS_DIR,
    BinaryStamp,
    CliFactsCache,
    cache_root,
    package_version,
)
from workspace_trust.adapters.help import SubprocessHelpReader
from workspace_trust.installed_clis import base_env, seed_home


def _never() -> bool:
    return False


def fake_cli(folder: str, *, version: str = "3.4.5", help_text: str = "--alpha --beta") -> tuple[str, str]:
    """A script that prints its help or version and counts its runs in a file."""
    counter = os.path.join(folder, "runs.log")
    path = os.path.join(folder, "fakecli")
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(
            textwrap.dedent(
                f"""\
                #!/bin/sh
                echo "$1" >> {counter}
                case "$1" in
                  --help) echo "Usage: fakecli {help_text}" ;;
                  --version) echo "fakecli {version}" ;;
                esac
                """
            )
        )
    os.chmod(path, 0o755)
    return path, counter


def runs(counter: str) -> list[str]:
    if not os.path.exists(counter):
        return []
    with open(counter, encoding="utf-8") as handle:
        return handle.read().split()


def test_cache_root_follows_xdg_and_falls_back_to_home() -> None:
    assert cache_root({"XDG_CACHE_HOME": "/x/cache", "HOME": "/home/ana"}) == "/x/cache/workspace-trust"
    expected = (
        "/home/ana/Library/Caches/workspace-trust" if sys.platform == "darwin" else "/home/ana/.cache/workspace-trust"
    )
    assert cache_root({"HOME": "/home/ana"}) == expected
    # A relative XDG_CACHE_HOME is ignored, as the XDG spec says.
    assert cache_root({"XDG_CACHE_HOME": "rel", "HOME": "/home/ana"}) == expected
    assert cache_root({}) is None


def test_the_test_run_never_uses_the_users_cache() -> None:
    root = cache_root()
    assert root is not None and "cli-facts-cache" in root
    assert not root.startswith(os.path.join(os.path.expanduser("~"), ".cache"))


def test_a_second_reader_runs_neither_help_nor_version_again(tmp_path: object) -> None:
    folder = str(tmp_path)
    binary, counter = fake_cli(folder)
    facts = CliFactsCache(os.path.join(folder, "cache"))
    first = SubprocessHelpReader(facts)
    assert first.read_help(binary, {"PATH": os.environ["PATH"]}, 10000, is_cancelled=_never) == (
        "Usage: fakecli --alpha --beta\n"
    )
    assert first.read_version(binary, {"PATH": os.environ["PATH"]}, 10000, is_cancelled=_never) == "3.4.5"
    assert runs(counter) == ["--help", "--version"]
    # A new reader (as in a new process) answers from disk.
    second = SubprocessHelpReader(CliFactsCache(os.path.join(folder, "cache")))
    assert second.read_help(binary, {}, 10000, is_cancelled=_never) == "Usage: fakecli --alpha --beta\n"
    assert second.read_version(binary, {}, 10000, is_cancelled=_never) == "3.4.5"
    assert runs(counter) == ["--help", "--version"]


def test_rewriting_the_binary_invalidates_its_facts(tmp_path: object) -> None:
    folder = str(tmp_path)
    binary, counter = fake_cli(folder)
    cache = os.path.join(folder, "cache")
    SubprocessHelpReader(CliFactsCache(cache)).read_help(binary, {}, 10000, is_cancelled=_never)
    # The same size and mtime but a new file (a reinstall): the inode and ctime differ.
    st = os.stat(binary)
    replacement = binary + ".new"
    fake_cli(folder, help_text="--gamma --beta")
    os.rename(binary, replacement)
    os.rename(replacement, binary)
    os.utime(binary, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert SubprocessHelpReader(CliFactsCache(cache)).read_help(binary, {}, 10000, is_cancelled=_never) == (
        "Usage: fakecli --gamma --beta\n"
    )
    assert runs(counter) == ["--help", "--help"]


def test_a_corrupt_facts_file_is_ignored_and_rewritten(tmp_path: object) -> None:
    folder = str(tmp_path)
    binary, counter = fake_cli(folder)
    cache = os.path.join(folder, "cache")
    SubprocessHelpReader(CliFactsCache(cache)).read_help(binary, {}, 10000, is_cancelled=_never)
    (name,) = os.listdir(os.path.join(cache, FACTS_DIR))
    path = os.path.join(cache, FACTS_DIR, name)
    for garbage in (b"{not json", b"[]", b'{"format": 1, "binary": 3}', b"\xff\xfe", b"[" * 100000, b""):
        with open(path, "wb") as handle:
            handle.write(garbage)
        reader = SubprocessHelpReader(CliFactsCache(cache))
        assert reader.read_help(binary, {}, 10000, is_cancelled=_never) == "Usage: fakecli --alpha --beta\n"
        with open(path, encoding="utf-8") as handle:
            assert json.load(handle)["facts"]["help"] == "Usage: fakecli --alpha --beta\n"
    assert runs(counter) == ["--help"] * 7


def test_facts_are_private_and_written_atomically(tmp_path: object) -> None:
    folder = str(tmp_path)
    binary, _ = fake_cli(folder)
    cache = os.path.join(folder, "cache")
    stamp = BinaryStamp.of(binary)
    assert stamp is not None
    CliFactsCache(cache).update(stamp, version="1.2.3")
    facts_dir = os.path.join(cache, FACTS_DIR)
    (name,) = os.listdir(facts_dir)  # no temporary file left beside it
    assert stat.S_IMODE(os.stat(facts_dir).st_mode) == 0o700
    assert stat.S_IMODE(os.stat(os.path.join(facts_dir, name)).st_mode) == 0o600
    assert CliFactsCache(cache).load(stamp) == {"version": "1.2.3"}


def test_a_facts_file_that_is_a_link_is_not_read(tmp_path: object) -> None:
    folder = str(tmp_path)
    binary, _ = fake_cli(folder)
    cache = os.path.join(folder, "cache")
    stamp = BinaryStamp.of(binary)
    assert stamp is not None
    CliFactsCache(cache).update(stamp, version="1.2.3")
    facts_dir = os.path.join(cache, FACTS_DIR)
    (name,) = os.listdir(facts_dir)
    os.rename(os.path.join(facts_dir, name), os.path.join(folder, "elsewhere.json"))
    os.symlink(os.path.join(folder, "elsewhere.json"), os.path.join(facts_dir, name))
    assert CliFactsCache(cache).load(stamp) == {}


def test_an_unwritable_cache_costs_a_run_never_a_crash(tmp_path: object) -> None:
    folder = str(tmp_path)
    binary, counter = fake_cli(folder)
    blocker = os.path.join(folder, "cache")
    with open(blocker, "w", encoding="utf-8") as handle:
        handle.write("a file where the folder should be")
    for _ in range(2):
        reader = SubprocessHelpReader(CliFactsCache(blocker))
        assert reader.read_help(binary, {}, 10000, is_cancelled=_never) == "Usage: fakecli --alpha --beta\n"
    assert runs(counter) == ["--help", "--help"]


def test_a_failed_help_is_not_kept_on_disk(tmp_path: object) -> None:
    folder = str(tmp_path)
    path = os.path.join(folder, "failing")
    with open(path, "w", encoding="utf-8") as handle:
        handle.write("#!/bin/sh\nexit 3\n")
    os.chmod(path, 0o755)
    cache = os.path.join(folder, "cache")
    assert SubprocessHelpReader(CliFactsCache(cache)).read_help(path, {}, 10000, is_cancelled=_never) is None
    stamp = BinaryStamp.of(path)
    assert stamp is not None and CliFactsCache(cache).load(stamp) == {}


def test_the_version_comes_from_package_json_without_running_the_cli(tmp_path: object) -> None:
    # An npm install: node_modules/.bin/NAME is a link into the package, whose
    # package.json names the file in "bin".
    root = os.path.join(str(tmp_path), "node_modules")
    package = os.path.join(root, "@acme", "tool")
    os.makedirs(os.path.join(package, "bin"))
    os.makedirs(os.path.join(root, ".bin"))
    binary, counter = fake_cli(os.path.join(package, "bin"), version="9.9.9")
    with open(os.path.join(package, "package.json"), "w", encoding="utf-8") as handle:
        json.dump({"name": "@acme/tool", "version": "7.1.0", "bin": {"tool": "bin/fakecli"}}, handle)
    link = os.path.join(root, ".bin", "tool")
    os.symlink(os.path.relpath(binary, os.path.dirname(link)), link)
    reader = SubprocessHelpReader(CliFactsCache(os.path.join(str(tmp_path), "cache")))
    assert reader.read_version(link, {}, 10000, is_cancelled=_never) == "7.1.0"
    assert runs(counter) == []
    # A package.json whose "bin" is another file says nothing about this one.
    with open(os.path.join(package, "package.json"), "w", encoding="utf-8") as handle:
        json.dump({"name": "@acme/tool", "version": "7.1.0", "bin": {"other": "bin/other"}}, handle)
    stamp = BinaryStamp.of(link)
    assert stamp is not None and package_version(stamp) is None
    fresh = SubprocessHelpReader(CliFactsCache(os.path.join(str(tmp_path), "cache2")))
    assert fresh.read_version(link, {}, 10000, is_cancelled=_never) == "9.9.9"
    assert runs(counter) == ["--version"]


# --- a real CLI ------------------------------------------------------------------

_AUDITED = """
import json, sys
log = open(sys.argv[1], "a", encoding="utf-8")
def hook(event, args):
    if event == "subprocess.Popen":
        log.write(json.dumps(["popen", [str(a) for a in args[1]]]) + "\\n"); log.flush()
    elif event in ("os.forkpty", "os.fork", "os.posix_spawn"):
        log.write(json.dumps([event, []]) + "\\n"); log.flush()
sys.addaudithook(hook)
from workspace_trust.cli import main
sys.exit(main(sys.argv[2:]))
"""


def _audited_preflight(sandbox: str, name: str, binary: str, cache: str) -> list[list[object]]:
    home = os.path.join(sandbox, name, "home")
    os.makedirs(home)
    seed_home("claude", home)
    tmp = os.path.join(sandbox, name, "tmp")
    os.makedirs(tmp)
    work = os.path.join(sandbox, name, "project")
    os.makedirs(work)
    env = base_env(home, {"TMPDIR": tmp, "XDG_CACHE_HOME": cache})
    log = os.path.join(sandbox, name, "spawned.log")
    proc = subprocess.run(
        [sys.executable, "-c", _AUDITED, log, "preflight", work, "--json", "--claude-bin", binary],
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    doc = json.loads(proc.stdout)
    assert doc["results"][0]["status"] == "accepted", proc.stderr[-2000:]
    assert doc["results"][0]["cli_version"] == "2.1.330"
    with open(log, encoding="utf-8") as handle:
        return [json.loads(line) for line in handle]


def _reads_cli_facts(event: list[object]) -> bool:
    argv = event[1]
    return isinstance(argv, list) and bool(argv) and argv[-1] in ("--help", "--version")


@pytest.mark.realcli
def test_a_preflight_on_an_already_seen_cli_starts_only_the_cli(sandbox: str) -> None:
    binary = require_cli("claude", "2.1.330")
    cache = os.path.join(sandbox, "cache")
    first = _audited_preflight(sandbox, "first", binary, cache)
    second = _audited_preflight(sandbox, "second", binary, cache)
    # The first run read --help (the check can fail); the second started
    # nothing for it: only the CLI in its PTY (and the watchdogs that guard it).
    assert [e for e in first if _reads_cli_facts(e)], first
    assert [e for e in second if _reads_cli_facts(e)] == []
    assert len([e for e in second if e[0] == "os.forkpty" or e[0] == "os.fork"]) == 1, second
    assert len(second) < len(first)


def test_a_cli_that_prints_no_version_is_asked_once(tmp_path: object) -> None:
    folder = str(tmp_path)
    binary, counter = fake_cli(folder, version="development build")
    cache = os.path.join(folder, "cache")
    for _ in range(2):
        assert SubprocessHelpReader(CliFactsCache(cache)).read_version(binary, {}, 10000, is_cancelled=_never) is None
    assert runs(counter) == ["--version"]


def test_a_known_version_never_starts_the_cli(tmp_path: object) -> None:
    """``known_version`` (what ``status`` and a preflight's first probe look a
    folder's trust up with) reads the facts kept on disk and nothing else: a
    CLI never asked before is not started, one asked once is known."""
    folder = str(tmp_path)
    binary, counter = fake_cli(folder)
    cache = os.path.join(folder, "cache")
    assert SubprocessHelpReader(CliFactsCache(cache)).known_version(binary) is None
    assert runs(counter) == []
    SubprocessHelpReader(CliFactsCache(cache)).read_version(binary, {}, 10000, is_cancelled=_never)
    assert runs(counter) == ["--version"]
    assert SubprocessHelpReader(CliFactsCache(cache)).known_version(binary) == "3.4.5"
    assert runs(counter) == ["--version"]
