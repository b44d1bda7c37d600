"""What the real-CLI tests (``tests/**/test_real_*.py``) share: the pinned binary,
a seeded HOME in the test's sandbox, the ``workspace-trust`` command run as a
host runs it, the leak check, and a watch of the real CLI's screen.

Nothing here names a CLI: each test module passes its own provider name, and
per-provider data comes from the provider's spec or the test module's tables.
"""

from __future__ import annotations

import glob
import http.server
import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from tests.conftest import in_a_sandbox, require_cli
from workspace_trust.adapters.processes import pids_with_path_prefix, under
from workspace_trust.adapters.pty_process import PtyProcessSpawner
from workspace_trust.engine.rules import RuleTable, match_rule
from workspace_trust.installed_clis import base_env, cli_dir, seed_home
from workspace_trust.ports import SpawnSpec
from workspace_trust.providers import all_specs
from workspace_trust.providers.binaries import NO_SELF_UPDATE_ENV

__all__ = [
    "Doc",
    "assert_nothing_left",
    "concurrent_preflights",
    "folder",
    "git_init",
    "marking_wrapper",
    "preflight",
    "preflight_argv",
    "record_observe",
    "require_cli",
    "run_json",
    "setup_home",
    "shows_trust_dialog",
    "status",
]

#: One ``--json`` document of the command line.
Doc = dict[str, Any]


def run_json(env: Mapping[str, str], *args: str, timeout: int = 180) -> tuple[int, Doc]:
    """``python -m workspace_trust ARGS`` in ``env``: its exit code and its one
    JSON document (exactly one line on stdout)."""
    proc = subprocess.run(
        [sys.executable, "-m", "workspace_trust", *args],
        env=dict(env),
        capture_output=True,
        check=False,
        text=True,
        timeout=timeout,
    )
    assert proc.stdout.count("\n") == 1, proc.stderr[-3000:]
    doc: Doc = json.loads(proc.stdout)
    return proc.returncode, doc


def brief(*docs: Doc) -> str:
    """What a failed assertion on preflight documents should show, as one
    string (pytest shortens a message that is not a string to a few hundred
    characters): each result's status, code, keys and dialogs, and every
    diagnostic's code and message (bounded and redacted by the library)."""
    out = []
    for doc in docs:
        out.append(
            {
                "status": doc.get("status"),
                "results": [
                    {k: r.get(k) for k in ("status", "code", "pty_spawned", "dialogs", "keys", "cli_version")}
                    for r in doc.get("results", [])
                ],
                "diagnostics": [(d.get("code"), d.get("message")) for d in doc.get("diagnostics", [])],
                "error": doc.get("error"),
            }
        )
    return json.dumps(out, indent=1)


def preflight_argv(
    name: str,
    binary: str,
    *dirs: str,
    select: bool = True,
    mode: str | None = None,
    extra: Sequence[str] = (),
) -> list[str]:
    """``preflight DIRS --json --NAME-bin BINARY``; ``select`` adds ``--provider
    NAME`` (without it the command is the README's main command), ``mode`` the
    provider's ``--NAME-mode``, ``extra`` more options."""
    argv = ["preflight", *dirs, "--json", f"--{name}-bin", binary]
    if select:
        argv += ["--provider", name]
    if mode is not None:
        argv += [f"--{name}-mode", mode]
    return [*argv, *extra]


def preflight(
    name: str,
    binary: str,
    env: Mapping[str, str],
    *dirs: str,
    select: bool = True,
    mode: str | None = None,
    extra: Sequence[str] = (),
    timeout: int = 180,
) -> tuple[int, Doc]:
    """Run ``preflight`` (see :func:`preflight_argv`): exit code and document."""
    return run_json(env, *preflight_argv(name, binary, *dirs, select=select, mode=mode, extra=extra), timeout=timeout)


def status(env: Mapping[str, str], path: str, *, name: str | None = None) -> str:
    """``status PATH --json`` (for provider ``name``, else the default): the
    first result's status."""
    select = ("--provider", name) if name is not None else ()
    _, doc = run_json(env, "status", path, *select, "--json", timeout=60)
    found: str = doc["results"][0]["status"]
    return found


def setup_home(sandbox: str, name: str, *, seed: bool = True, **options: Any) -> tuple[str, dict[str, str]]:
    """A fresh HOME in the sandbox, seeded for provider ``name`` (its
    ``seed_test_home`` with ``options``) unless ``seed`` is false, and the
    environment to run in it. TMPDIR is the sandbox's own ``tmp``, so that
    :func:`assert_nothing_left` sees only this test's scratch folders."""
    home = os.path.join(sandbox, "home")
    os.makedirs(home)
    extra = seed_home(name, home, **options) if seed else {}
    tmp = os.path.join(sandbox, "tmp")
    os.makedirs(tmp, exist_ok=True)
    return home, base_env(home, {"TMPDIR": tmp, **NO_SELF_UPDATE, **extra})


#: For a real CLI a test starts itself (not through a preflight, whose child
#: environment has its own): no CLI updates itself from the suite, which would
#: change the machine's global install (each CLI's own switch, and an npm
#: registry that refuses at once).
NO_SELF_UPDATE = {
    **{name: value for spec in all_specs() for name, value in spec.preflight_env.items()},
    **NO_SELF_UPDATE_ENV,
}


def _cli_roots() -> list[str]:
    """The shared install folder of every pinned CLI (and what it unpacks
    there), as spelt and as resolved: every place a real CLI runs from."""
    base = cli_dir()
    roots = {base, os.path.realpath(base)}
    for entry in glob.glob(os.path.join(base, "*")):
        real = os.path.realpath(entry)
        if not any(under(real, root) for root in roots):
            roots.add(real)
    return sorted(roots)


#: Package managers a CLI could update or install itself with.
PACKAGE_MANAGERS = ("npm", "npx", "pnpm", "yarn", "bun")


def npm_trap(sandbox: str, env: Mapping[str, str]) -> tuple[dict[str, str], str]:
    """``env`` with a folder first on PATH whose ``npm`` (and the other package
    managers) only write their arguments to a file and fail: whatever the CLI
    starts through the shell to update or install itself is recorded there
    and does nothing. Returns the environment and the file (absent: no call)."""
    folder = os.path.join(sandbox, "npm-trap")
    os.makedirs(folder, exist_ok=True)
    calls = os.path.join(sandbox, "npm-trap-calls")
    for name in PACKAGE_MANAGERS:
        path = os.path.join(folder, name)
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(f'#!/bin/sh\necho "{name} $*" >> "{calls}"\nexit 1\n')
        os.chmod(path, 0o755)
    return {**env, "PATH": folder + os.pathsep + env.get("PATH", "")}, calls


#: Package-manager commands that change what is installed (``npx`` runs, and
#: may install, a package). ``npm root -g`` and the like only read: Claude
#: 2.1.119 asks it on some starts.
CHANGING = frozenset(
    {"install", "i", "add", "update", "up", "upgrade", "uninstall", "remove", "rm", "un", "link", "exec"}
)


def npm_changes(calls: str) -> list[str]:
    """The calls recorded by the trap of :func:`npm_trap` that would have
    changed what is installed, one line per call."""
    try:
        with open(calls, encoding="utf-8") as handle:
            lines = handle.read().splitlines()
    except FileNotFoundError:
        return []
    changing = []
    for line in lines:
        words = line.split()
        command = next((w for w in words[1:] if not w.startswith("-")), "")
        if (words[0] in ("npx", "bun") and command != "--version") or command in CHANGING:
            changing.append(line)
    return changing


def sandbox_cli_pids(sandbox: str) -> list[int]:
    """The real CLI processes of this test: run from a shared install and in,
    naming, or with their HOME in ``sandbox``."""
    return [pid for root in _cli_roots() for pid in pids_with_path_prefix(root) if in_a_sandbox(pid, [sandbox])]


def assert_nothing_left(sandbox: str) -> None:
    """No process of this test is left: no real CLI running in, naming, or
    with its HOME in the sandbox (other suites may run the shared installs
    meanwhile), nothing started from the sandbox, and no scratch folder of a
    preflight left in the sandbox's TMPDIR (see :func:`setup_home`)."""
    assert sandbox_cli_pids(sandbox) == [], f"a CLI process is still running from {_cli_roots()}"
    assert pids_with_path_prefix(sandbox) == (), "a process started from the sandbox is still running"
    assert not glob.glob(os.path.join(sandbox, "tmp", "workspace-trust-scratch-*"))


def marking_wrapper(sandbox: str, binary: str) -> tuple[str, str]:
    """A stand-in for ``binary``, of the same name, that leaves a mark when it
    is started at all (``--help`` too). Returns (wrapper, mark)."""
    name = os.path.basename(binary)
    mark = os.path.join(sandbox, f"{name}-was-started")
    wrapper = os.path.join(sandbox, name)
    with open(wrapper, "w", encoding="utf-8") as handle:
        handle.write(f'#!/bin/sh\ntouch "{mark}"\nexec "{binary}" "$@"\n')
    os.chmod(wrapper, 0o755)
    return wrapper, mark


def folder(*parts: str) -> str:
    """Make the folder ``os.path.join(*parts)`` (and its parents); returns it."""
    path = os.path.join(*parts)
    os.makedirs(path)
    return path


def git_init(path: str) -> str:
    """Make ``path`` (and its parents) a git repository; returns it."""
    os.makedirs(path, exist_ok=True)
    subprocess.run(["git", "init", "-q", path], check=True)
    return path


def concurrent_preflights(argv: Sequence[str], env: Mapping[str, str], count: int) -> list[tuple[int, Doc]]:
    """``count`` copies of ``python -m workspace_trust ARGV`` at once: each
    one's exit code and document."""
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "workspace_trust", *argv],
            env=dict(env),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(count)
    ]
    outs = [proc.communicate(timeout=300)[0] for proc in procs]
    return [(proc.returncode, json.loads(out)) for proc, out in zip(procs, outs, strict=True)]


def shows_trust_dialog(
    argv: Sequence[str],
    cwd: str,
    env: Mapping[str, str],
    *,
    rules: RuleTable,
    trust_rules: Iterable[str],
    past_it: Iterable[str],
) -> bool:
    """Start a real CLI in ``cwd`` and watch, never sending a key, until it
    shows either the trust dialog (any rule of ``trust_rules``: True) or a
    screen past it, one holding any text of ``past_it`` (False)."""
    wanted = set(trust_rules)
    trust = [rule for rule in rules.rules if rule.id in wanted]
    assert len(trust) == len(wanted), f"no such rule: {sorted(wanted - {rule.id for rule in trust})}"
    markers = tuple(past_it)
    session = PtyProcessSpawner().spawn(SpawnSpec(argv=tuple(argv), cwd=cwd, env=dict(env)))
    try:
        for _ in range(1200):  # a bound on reads, not a timing assertion
            snapshot = session.read_snapshot(100)
            if any(match_rule(rule, snapshot) is not None for rule in trust):
                return True
            if any(marker in snapshot.text for marker in markers):
                return False
            assert session.exit_status() is None, snapshot.text
        raise AssertionError(f"neither the trust dialog nor a screen past it:\n{snapshot.text}")
    finally:
        session.kill()


def record_observe(
    name: str, version: str, binary: str, env: Mapping[str, str], *, cwd: str, out: str, seconds: int
) -> None:
    """``record --observe``: watch the real CLI in ``cwd`` for ``seconds``,
    sending no key, and write the fixture to ``out``."""
    record = ["record", "--observe", "--provider", name, "--cli-version", version, "--duration", str(seconds)]
    proc = subprocess.run(
        [sys.executable, "-m", "workspace_trust", *record, "--out", out, "--cwd", cwd, "--", binary],
        env=dict(env),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]


class ModelStub:
    """A local model endpoint that answers every request with HTTP 400 at once
    and keeps each request's path and body."""

    def __init__(self) -> None:
        self.requests: list[tuple[str, str]] = []
        requests = self.requests

        class Handler(http.server.BaseHTTPRequestHandler):
            def _answer(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                requests.append((self.path, self.rfile.read(length).decode(errors="replace")))
                body = b'{"error":{"message":"offline test stub","type":"invalid_request_error"}}'
                self.send_response(400)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = _answer

            def log_message(self, format: str, *args: object) -> None:
                pass

        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_port}"

    def bodies(self) -> str:
        return "\n".join(body for _, body in self.requests)

    def __enter__(self) -> ModelStub:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=10)
