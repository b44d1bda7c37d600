"""The bounded-memory scan of .claude.json agrees with json.loads on every input:
the same trust map for a valid document, a rejection for anything json.loads
rejects (a file cut short mid-write included), at any chunking and window."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from workspace_trust.domain.codes import Code, TrustState
from workspace_trust.domain.paths import HostOs, PathFacts, build_workspace
from workspace_trust.providers.claude import probe as claude_probe
from workspace_trust.providers.claude.probe import ClaudeStateProbe
from workspace_trust.providers.claude.state_scan import MIN_KEY_LIMIT, js_truthy, scan_trust_map, trust_map
from workspace_trust.testing import FakeClock


def chunked(data: bytes, sizes: list[int]) -> Iterator[bytes]:
    pos, index = 0, 0
    while pos < len(data):
        size = sizes[index % len(sizes)] if sizes else len(data)
        yield data[pos : pos + size]
        pos += size
        index += 1


def verdict(call: Any) -> tuple[str, object]:
    try:
        return "ok", call()
    except ValueError:
        return "rejected", None


# -- documents -------------------------------------------------------------------------

_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**20), max_value=10**20),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=12),
)
_values = st.recursive(
    _scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=6), inner, max_size=4)),
    max_leaves=12,
)
_keys = st.one_of(st.sampled_from(["/w/p", "/w", "/w/a\\b", "/ünï/✓", "/w/p"]), st.text(max_size=40))
_project = st.one_of(
    st.dictionaries(
        st.one_of(st.just("hasTrustDialogAccepted"), st.text(max_size=6)),
        st.one_of(_values, st.just(True), st.just("true")),
        max_size=4,
    ),
    _values,
)


@st.composite
def documents(draw: st.DrawFn) -> bytes:
    """A .claude.json-like document, serialised one of several ways (duplicate
    keys included: the last one wins, as in json.loads)."""
    members: list[tuple[str, Any]] = []
    for _ in range(draw(st.integers(min_value=0, max_value=4))):
        if draw(st.booleans()):
            projects = draw(st.one_of(st.lists(st.tuples(_keys, _project), max_size=5), _values))
            members.append(("projects", projects))
        else:
            members.append((draw(st.text(max_size=30)), draw(_values)))
    indent = draw(st.sampled_from([None, 0, 2]))
    ascii_only = draw(st.booleans())

    def dump(value: Any) -> str:
        if isinstance(value, list) and value and all(isinstance(v, tuple) for v in value):
            inner = ", ".join(f"{json.dumps(k, ensure_ascii=ascii_only)}: {dump(v)}" for k, v in value)
            return "{" + inner + "}"
        return json.dumps(value, indent=indent, ensure_ascii=ascii_only)

    text = "{" + ", ".join(f"{json.dumps(k, ensure_ascii=ascii_only)}: {dump(v)}" for k, v in members) + "}"
    padding = draw(st.sampled_from(["", " ", "\n", " \t\r\n "]))
    data = (padding + text + padding).encode("utf-8")
    return (b"\xef\xbb\xbf" + data) if draw(st.booleans()) else data


_chunking = st.lists(st.integers(min_value=1, max_value=64), min_size=1, max_size=4)
_windows = st.integers(min_value=8, max_value=96)
_key_limits = st.integers(min_value=2, max_value=48)


def same_map(got: dict[str, bool], expected: dict[str, bool], key_limit: int) -> None:
    """The scan's map is json.loads's, without the keys longer than the key
    limit (walked past, never kept)."""
    limit = max(key_limit, MIN_KEY_LIMIT)
    assert got == {k: v for k, v in expected.items() if len(k) <= limit}


def same_verdict(data: bytes, sizes: list[int], window: int, key_limit: int) -> None:
    expected = verdict(lambda: trust_map(data))
    got = verdict(lambda: scan_trust_map(chunked(data, sizes), window=window, key_limit=key_limit))
    assert got[0] == expected[0]
    if got[0] == "ok":
        same_map(got[1], expected[1], key_limit)  # type: ignore[arg-type]


@settings(max_examples=400, deadline=None)
@given(documents(), _chunking, _windows, _key_limits)
def test_valid_documents_give_the_same_trust_map(data: bytes, sizes: list[int], window: int, key_limit: int) -> None:
    expected = trust_map(data)
    same_map(scan_trust_map(chunked(data, sizes), window=window, key_limit=key_limit), expected, key_limit)
    # With the defaults every key is kept, whatever the chunking.
    assert scan_trust_map(chunked(data, sizes)) == expected
    wanted = {"/w/p", "/w/a\\b"}
    assert scan_trust_map(chunked(data, sizes), wanted, window=window) == {
        k: v for k, v in expected.items() if k in wanted
    }


@settings(max_examples=300, deadline=None)
@given(documents(), st.data(), _chunking, _windows, _key_limits)
def test_a_document_cut_short_is_rejected_like_json_loads(
    data: bytes, draw: st.DataObject, sizes: list[int], window: int, key_limit: int
) -> None:
    cut = draw.draw(st.integers(min_value=0, max_value=max(len(data) - 1, 0)))
    torn = data[:cut]
    same_verdict(torn, sizes, window, key_limit)
    if torn.rstrip(b" \t\r\n") != data.rstrip(b" \t\r\n"):
        assert verdict(lambda: trust_map(torn))[0] == "rejected"  # only trailing whitespace may go


_damage = st.tuples(
    st.sampled_from(["replace", "delete", "insert"]),
    st.floats(min_value=0, max_value=1, exclude_max=True),
    st.sampled_from(list(b'{}[]:,"\\ 0aetn\x00\x1f\xff\xc3-.eE+')),
)


@settings(max_examples=600, deadline=None)
@given(documents(), st.lists(_damage, min_size=1, max_size=3), _chunking, _windows, _key_limits)
def test_damaged_documents_get_the_same_verdict_as_json_loads(
    data: bytes, damage: list[tuple[str, float, int]], sizes: list[int], window: int, key_limit: int
) -> None:
    buf = bytearray(data)
    for kind, where, byte in damage:
        at = int(where * (len(buf) + 1))
        if kind == "insert":
            buf.insert(at, byte)
        elif buf and at < len(buf):
            if kind == "replace":
                buf[at] = byte
            else:
                del buf[at]
    same_verdict(bytes(buf), sizes, window, key_limit)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "[]",
        '"x"',
        "{",
        '{"projects": {}',
        '{"projects": {}} x',
        '{"projects": {},}',
        '{"a": [1,]}',
        '{"a": 01}',
        '{"a": "\x01"}',
        '{"a": "\\x"}',
        '{"a": "\\u12G4"}',
        '{"a": tru}',
        '{"a" 1}',
        '{"a": 1 "b": 2}',
        '{"a": ' + "1" * 5000 + "}",  # json.loads refuses integers this long too
        # Python's json reads these; Claude's JSON.parse does not (2.1.330 says
        # "isn't valid JSON" and backs the file up), so no trust is read from it.
        '{"a": NaN, "projects": {"/p": {"hasTrustDialogAccepted": true}}}',
        '{"a": [1, -Infinity], "projects": {"/p": {"hasTrustDialogAccepted": true}}}',
        '{"projects": {"/p": {"hasTrustDialogAccepted": Infinity}}}',
        # Deeper than any supported Python's json parser goes (3.11 gives up
        # near 1,000 levels, 3.13 parses those): a RecursionError on every one.
        '{"a": ' + "[" * 100_000 + "]" * 100_000 + "}",
    ],
)
def test_invalid_documents_are_rejected_by_both(text: str) -> None:
    data = text.encode()
    with pytest.raises(ValueError):
        trust_map(data)
    for window in (8, 1 << 20):
        with pytest.raises(ValueError):
            scan_trust_map(chunked(data, [3]), window=window)


def test_large_values_are_walked_and_still_validated() -> None:
    big = "x" * 5000
    doc = {
        "history": [{"display": big, "pasted": {"a": [big, {"b": big}]}}] * 3,
        "projects": {
            "/w/p": {"history": [big] * 4, "hasTrustDialogAccepted": True},
            "/w/q": {"hasTrustDialogAccepted": [big]},
            "/w/r": {"hasTrustDialogAccepted": big},
            "/w/s": {"hasTrustDialogAccepted": False, "x": {big: big}},
        },
    }
    data = json.dumps(doc).encode()
    expected = {"/w/p": True, "/w/q": True, "/w/r": True, "/w/s": False}
    assert trust_map(data) == expected
    assert scan_trust_map(chunked(data, [700]), window=256, key_limit=64) == expected
    # A bad escape deep inside a walked string is still found.
    bad = data.replace(b"xxxxx", b"xx\\qx", 1)
    with pytest.raises(ValueError):
        scan_trust_map(chunked(bad, [700]), window=256, key_limit=64)


def test_a_number_split_between_chunks_is_read_whole() -> None:
    data = b'{"projects": {"/w/p": {"hasTrustDialogAccepted": 10000}}, "n": 12345678901234567890}'
    for size in range(1, 12):
        assert scan_trust_map(chunked(data, [size]), window=8) == {"/w/p": True}


# -- Claude's truthiness ---------------------------------------------------------------------

TRUTHY = [True, "true", "false", "0", 1, -1, 0.5, [], {}, [0], {"a": 0}]
FALSY = [False, None, 0, 0.0, -0.0, ""]


@pytest.mark.parametrize("value", TRUTHY + FALSY)
def test_trust_is_javascript_truthiness(value: object) -> None:
    """Claude tests hasTrustDialogAccepted as a JavaScript condition (2.1.119 to
    2.1.330; checked on the real CLIs by test_real_claude)."""
    data = json.dumps({"projects": {"/w/p": {"hasTrustDialogAccepted": value}}}).encode()
    expected = any(value is t for t in TRUTHY)
    assert js_truthy(value) is expected
    assert trust_map(data) == {"/w/p": expected}
    assert scan_trust_map(chunked(data, [5]), window=8) == {"/w/p": expected}


# -- the probe on files large and small -------------------------------------------------------


def workspace(path: str):  # type: ignore[no-untyped-def]
    return build_workspace(path, PathFacts(absolute=path, real=path, home="/h", exists=True, is_dir=True), HostOs.LINUX)


def test_a_file_past_the_old_64_mib_limit_is_read(tmp_path: Path) -> None:
    """Seen in use: a 60 MB .claude.json that Claude grew past 64 MiB while it
    wrote trust into it. The trust it wrote must be seen."""
    state = tmp_path / ".claude.json"
    filler = "y" * (1 << 20)
    with state.open("w", encoding="utf-8") as handle:
        handle.write('{"cachedChangelog": [')
        handle.write(",".join(json.dumps(filler) for _ in range(70)))
        handle.write('], "projects": {"/w/p": {"hasTrustDialogAccepted": true}}}')
    assert os.path.getsize(state) > 64 * 1024 * 1024
    result = ClaudeStateProbe(str(state), FakeClock()).read_trust(workspace("/w/p/sub"))
    assert (result.state, result.trusted_key, result.source) == (TrustState.TRUSTED, "/w/p", "parent")


def test_the_scan_path_retries_a_torn_read_and_reports_corrupt(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(claude_probe, "WHOLE_DECODE_BYTES", 16)
    state = tmp_path / ".claude.json"
    full = json.dumps({"a": "z" * 100, "projects": {"/w/p": {"hasTrustDialogAccepted": True}}})
    state.write_text(full[:-7])
    clock = FakeClock()
    result = ClaudeStateProbe(str(state), clock).read_trust(workspace("/w/p"))
    assert [d.code for d in result.diagnostics] == [Code.STATE_FILE_CORRUPT]
    assert clock.monotonic_ms() == 2 * claude_probe.PARSE_RETRY_MS  # three reads, two waits
    state.write_text(full)
    assert ClaudeStateProbe(str(state), clock).read_trust(workspace("/w/p")).state is TrustState.TRUSTED


def test_the_scan_path_keeps_only_the_wanted_keys_and_caches_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(claude_probe, "WHOLE_DECODE_BYTES", 16)
    state = tmp_path / ".claude.json"
    projects = {f"/w/{i}": {"hasTrustDialogAccepted": True} for i in range(50)}
    state.write_text(json.dumps({"projects": projects}))
    probe = ClaudeStateProbe(str(state), FakeClock())
    assert probe.read_trust(workspace("/w/7")).trusted_key == "/w/7"
    assert probe._cache is not None and set(probe._cache.accepted) == {"/w/7"}
    # Another workspace is not answered from a cache that holds only /w/7's keys.
    assert probe.read_trust(workspace("/w/8")).trusted_key == "/w/8"
