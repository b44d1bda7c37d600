"""Every provider's probe is a pure parse: bytes in, the workspace's trust out.

The spec names the parse (``ProviderSpec.parse_state``). It touches nothing,
and the strategy's probe, reading the same bytes through the ``StateFiles``
port, comes to the same verdict.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from workspace_trust.domain.codes import Code, Provider, TrustState
from workspace_trust.domain.paths import HostOs, Workspace, build_workspace
from workspace_trust.providers import BUILTIN, spec_for
from workspace_trust.registry import default_registry
from workspace_trust.testing import FakeFileSystemFacts, FakeStateFiles

HOME = "/home/ana"
FOLDER = "/work/shop"
ENV = {"HOME": HOME, "PATH": "/usr/bin"}

#: Per provider: its state file's bytes trusting FOLDER, and bytes naming only another folder.
SAMPLES: dict[str, tuple[bytes, bytes]] = {
    "claude": (
        b'{"projects": {"/work/shop": {"hasTrustDialogAccepted": true}}}',
        b'{"projects": {"/work/other": {"hasTrustDialogAccepted": true}}}',
    ),
    "codex": (
        b'[projects."/work/shop"]\ntrust_level = "trusted"\n',
        b'[projects."/work/other"]\ntrust_level = "trusted"\n',
    ),
    "gemini": (b'{"/work/shop": "TRUST_FOLDER"}', b'{"/work/other": "TRUST_FOLDER"}'),
    "qwen": (b'{"/work/shop": "TRUST_FOLDER"}', b'{"/work/other": "TRUST_FOLDER"}'),
    "copilot": (
        b'// managed automatically\n{"trustedFolders": ["/work/shop"]}',
        b'// managed automatically\n{"trustedFolders": ["/work/other"]}',
    ),
}

CORRUPT = b'{"projects": [[[ \xff'


def _workspace() -> Workspace:
    facts = FakeFileSystemFacts()
    return build_workspace(FOLDER, facts.gather(FOLDER, env=ENV), HostOs.LINUX)


@contextmanager
def _no_io(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Fails on any file opened, listed or stat'ed while inside."""
    touched: list[str] = []
    armed = [True]

    def hook(event: str, args: tuple[Any, ...]) -> None:
        if armed[0] and event in ("open", "os.listdir", "os.scandir", "os.chdir", "subprocess.Popen"):
            touched.append(f"{event} {args[:1]!r}")

    def refuse(name: str) -> Callable[..., Any]:
        def call(*args: Any, **kwargs: Any) -> Any:
            touched.append(f"{name} {args[:1]!r}")
            raise OSError("no I/O in a pure probe")

        return call

    sys.addaudithook(hook)  # cannot be removed: disarmed on the way out instead
    for name in ("stat", "lstat", "readlink"):
        monkeypatch.setattr(os, name, refuse(f"os.{name}"))
    try:
        yield touched
    finally:
        armed[0] = False
        monkeypatch.undo()


def test_every_provider_has_a_sample() -> None:
    # A new provider adds its bytes here, so the checks below cover it too.
    assert sorted(module.split(".")[-2] for module in BUILTIN) == sorted(SAMPLES)


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_the_parse_touches_nothing(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    parse = spec_for(Provider(name)).parse_state
    trusted, other = SAMPLES[name]
    workspace = _workspace()
    inputs = (trusted, other, None, CORRUPT, b"")
    for data in inputs:  # warm up: a first call may import a codec
        parse(data, workspace)
    with _no_io(monkeypatch) as touched:
        verdicts = [parse(data, workspace) for data in inputs]
    assert touched == []
    assert verdicts[0].state is TrustState.TRUSTED
    assert verdicts[1].state is TrustState.UNTRUSTED
    assert verdicts[3].state is TrustState.UNKNOWN
    assert verdicts[3].diagnostics[0].code is Code.STATE_FILE_CORRUPT


@pytest.mark.parametrize("name", sorted(SAMPLES))
@pytest.mark.parametrize("which", ["trusted", "other", "missing", "corrupt"])
def test_the_strategy_probe_decides_as_the_parse(name: str, which: str) -> None:
    provider = Provider(name)
    spec = spec_for(provider)
    trusted, other = SAMPLES[name]
    data = {"trusted": trusted, "other": other, "missing": None, "corrupt": CORRUPT}[which]
    path = spec.state_file(ENV)
    assert path is not None
    files = FakeStateFiles({} if data is None else {path: data})
    registry = default_registry()
    workspace = _workspace()
    expected = spec.parse_state(data, workspace)
    for mode in registry.modes(provider):
        got = registry.create(provider, mode).probe(workspace, ENV, files)
        assert (got.state, got.trusted_key, [d.code for d in got.diagnostics]) == (
            expected.state,
            expected.trusted_key,
            [d.code for d in expected.diagnostics],
        ), mode


#: A file holding a byte that is not UTF-8 (0xE9) away from the folder's entry,
#: for the CLIs whose reading of such a file was seen: Claude 2.1.330, Gemini
#: CLI 0.61.0 and Copilot CLI 1.0.102 read it as U+FFFD and find the trusted
#: folder (no dialog). Copilot cannot add a folder to such a file ("file is not
#: valid UTF-8"), so an untrusted folder there is unknown, never a session.
NOT_UTF8 = {
    "claude": b'{"note": "caf\xe9", "projects": {"/work/shop": {"hasTrustDialogAccepted": true}}}',
    "gemini": b'{"/srv/caf\xe9": "TRUST_FOLDER", "/work/shop": "TRUST_FOLDER"}',
    "copilot": b'{"note": "caf\xe9", "trustedFolders": ["/srv/caf\xe9", "/work/shop"]}',
}


@pytest.mark.parametrize("name", sorted(NOT_UTF8))
def test_bytes_that_are_not_utf8_are_read_as_the_cli_reads_them(name: str) -> None:
    parse = spec_for(Provider(name)).parse_state
    data = NOT_UTF8[name]
    assert parse(data, _workspace()).state is TrustState.TRUSTED
    other = build_workspace("/work/other", FakeFileSystemFacts().gather("/work/other", env=ENV), HostOs.LINUX)
    untrusted = parse(data, other)
    if name == "copilot":
        assert (untrusted.state, [d.code for d in untrusted.diagnostics]) == (
            TrustState.UNKNOWN,
            [Code.STATE_FILE_CORRUPT],
        )
        assert "cannot add" in untrusted.diagnostics[0].message
    else:
        assert (untrusted.state, untrusted.diagnostics) == (TrustState.UNTRUSTED, ())
