"""The Codex trust override builder and the pure patch applier."""

from __future__ import annotations

import json
import tomllib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from workspace_trust.domain.codes import Code, Provider
from workspace_trust.domain.patches import ArgDialect, LaunchArgPatch, TargetSurface
from workspace_trust.domain.paths import HostOs
from workspace_trust.patching import apply_patches
from workspace_trust.providers.codex.overrides import (
    ARGUMENT_LIMIT,
    argument_size,
    build_trust_override,
    override_size,
    parse_projects_override,
)
from workspace_trust.providers.codex.patching import merge_config_overrides

_path_chars = st.characters(blacklist_categories=["Cs"], blacklist_characters="\x00")
paths = st.text(alphabet=_path_chars, min_size=1, max_size=40).map(lambda s: "/" + s)


@settings(max_examples=300, deadline=None)
@given(st.lists(paths, min_size=1, max_size=6))
def test_every_path_round_trips_through_tomllib(ps: list[str]) -> None:
    build = build_trust_override(ps)
    assert build.value is not None
    table = tomllib.loads(build.value)["projects"]
    assert list(table) == list(dict.fromkeys(ps))
    assert all(entry == {"trust_level": "trusted"} for entry in table.values())


@settings(max_examples=300, deadline=None)
@given(st.lists(paths, min_size=1, max_size=4))
def test_a_path_can_never_inject_another_key(ps: list[str]) -> None:
    build = build_trust_override(ps)
    assert build.value is not None
    doc = tomllib.loads(build.value)
    assert set(doc) == {"projects"}
    assert set(doc["projects"]) == set(ps)


@pytest.mark.parametrize("bad", ["/a\x00b", "/lone\ud800surrogate", ""])
def test_unrepresentable_paths_are_refused_not_mangled(bad: str) -> None:
    build = build_trust_override([bad, "/ok"])
    assert build.paths == ("/ok",)
    assert [d.code for d in build.diagnostics] == [Code.CODEX_PATH_UNREPRESENTABLE]
    assert list(tomllib.loads(build.value or "")["projects"]) == ["/ok"]


def test_never_the_dotted_form_and_one_value() -> None:
    build = build_trust_override(["/a", "/b"])
    assert build.value is not None and build.value.startswith("projects={")
    assert 'projects."' not in build.value


def test_merges_with_the_hosts_projects_override_and_keeps_its_entries() -> None:
    host = [
        'model="o3"',
        'projects={"/a"={trust_level="untrusted"}}',
        'projects={"/keep"={trust_level="untrusted", x=1}}',
    ]
    build = build_trust_override(["/new"], host)
    table = parse_projects_override(build.value or "")
    # Codex applies only the last projects= override: that is the host's table.
    assert table == {"/keep": {"trust_level": "untrusted", "x": 1}, "/new": {"trust_level": "trusted"}}
    assert build.replaces == tuple(host[1:])


def test_a_broken_host_projects_override_is_never_silently_replaced() -> None:
    build = build_trust_override(["/new"], ["projects={not toml"])
    assert build.value is None
    assert [d.code for d in build.diagnostics] == [Code.CODEX_OVERRIDE_INVALID]


def _paths_for(size: int, host: HostOs) -> list[str]:
    """Folders whose override is just over ``size`` (in ``host``'s unit)."""

    def paths(n: int) -> list[str]:
        return [f"/srv/{i:05d}-" + "d" * 200 for i in range(n)]

    def measured(n: int) -> int:
        value = build_trust_override(paths(n), host_os=HostOs.MACOS).value
        assert value is not None
        return override_size(value, host)

    n = size // (measured(2) - measured(1))  # about the fit, then one by one
    while measured(n) > size:
        n -= 1
    while measured(n) <= size:
        n += 1
    return paths(n)


@pytest.mark.parametrize("host", [HostOs.LINUX, HostOs.WINDOWS], ids=["linux", "windows"])
def test_a_value_longer_than_one_argument_is_refused_not_handed_to_a_launch_that_fails(host: HostOs) -> None:
    """Linux fails an execve with an argument over MAX_ARG_STRLEN (E2BIG);
    Windows a command line over 32,767 units. One folder fewer fits."""
    paths = _paths_for(ARGUMENT_LIMIT[host], host)
    over = build_trust_override(paths, host_os=host)
    assert over.value is None and over.paths == ()
    (diagnostic,) = over.diagnostics
    assert diagnostic.code is Code.CODEX_OVERRIDE_TOO_LONG
    assert f"for {len(paths)} paths" in diagnostic.message and str(ARGUMENT_LIMIT[host]) in diagnostic.message
    under = build_trust_override(paths[:-1], host_os=host)
    assert under.value is not None and not under.diagnostics
    assert override_size(under.value, host) <= ARGUMENT_LIMIT[host]


def test_the_limit_counts_what_the_host_counts() -> None:
    value = 'projects={"/é" = {trust_level = "trusted"}}'
    # POSIX: UTF-8 bytes (é is two). Windows: UTF-16 units, quoted, each " escaped.
    assert argument_size(value, HostOs.LINUX) == len(value) + 1
    assert argument_size(value, HostOs.WINDOWS) == len(value) + value.count('"') + 2
    # A backslash may need doubling (before a quote): counted as if it did.
    assert argument_size("C:\\w", HostOs.WINDOWS) == len("C:\\w") + 1 + 2


def patch(surface: TargetSurface, dialect: ArgDialect, *ps: str) -> LaunchArgPatch:
    value = build_trust_override(list(ps)).value
    assert value is not None
    return LaunchArgPatch(
        id=f"p.{surface.value}",
        target_provider=Provider.CODEX,
        target_surface=surface,
        dialect=dialect,
        values=(value,),
        dedupe_key=f"k.{surface.value}",
        source_workspace_ids=("w",),
        reason="test",
    )


DIRECT = patch(TargetSurface.PRIMARY_PROVIDER_ARGS, ArgDialect.CODEX_DIRECT_CLI_CONFIG, "/w", "/real/w")
SETTINGS = patch(TargetSurface.CROSS_PROVIDER_MEMBER_ARGS, ArgDialect.CLAUDE_CODEX_RUNTIME_SETTINGS, "/w")


def test_codex_argv_gets_one_projects_flag_merged_with_the_hosts() -> None:
    args = ["--model", "o3", "-c", 'projects={"/h"={trust_level="trusted"}}', "-c", "x=1"]
    out = apply_patches(args, [DIRECT], argv_provider=Provider.CODEX, surface=TargetSurface.PRIMARY_PROVIDER_ARGS)
    values = [out.args[i + 1] for i, a in enumerate(out.args) if a == "-c"]
    projects = [v for v in values if v.startswith("projects=")]
    assert len(projects) == 1
    assert set(parse_projects_override(projects[0])) == {"/h", "/w", "/real/w"}
    assert "x=1" in values and out.args[:2] == ("--model", "o3")
    assert out.applied == ("p.primary_provider_args",)


def test_applying_twice_is_applying_once() -> None:
    once = apply_patches(["a"], [DIRECT], argv_provider=Provider.CODEX, surface=TargetSurface.PRIMARY_PROVIDER_ARGS)
    twice = apply_patches(
        once.args, [DIRECT, DIRECT], argv_provider=Provider.CODEX, surface=TargetSurface.PRIMARY_PROVIDER_ARGS
    )
    assert twice.args == once.args


def test_claude_argv_never_gets_a_codex_c() -> None:
    args = ("--model", "sonnet")
    out = apply_patches(args, [DIRECT], argv_provider=Provider.CLAUDE, surface=TargetSurface.PRIMARY_PROVIDER_ARGS)
    assert out.args == args
    assert "-c" not in out.args
    assert [d.code for d in out.diagnostics] == [Code.CODEX_SURFACE_UNKNOWN]


def test_runtime_settings_deep_merge_into_inline_settings_under_a_namespace() -> None:
    args = ["--settings", json.dumps({"codex": {"forcedLogin": True}, "other": 1}), "--verbose"]
    out = apply_patches(
        args,
        [SETTINGS],
        argv_provider=Provider.CLAUDE,
        surface=TargetSurface.CROSS_PROVIDER_MEMBER_ARGS,
        settings_namespace="acme_trust",
    )
    doc = json.loads(out.args[1])
    assert doc["other"] == 1 and doc["codex"]["forcedLogin"] is True
    (override,) = doc["codex"]["acme_trust"]["configOverrides"]
    assert set(parse_projects_override(override)) == {"/w"}
    assert out.args[2] == "--verbose" and out.args.count("--settings") == 1
    again = apply_patches(
        out.args,
        [SETTINGS],
        argv_provider=Provider.CLAUDE,
        surface=TargetSurface.CROSS_PROVIDER_MEMBER_ARGS,
        settings_namespace="acme_trust",
    )
    assert again.args == out.args


def test_settings_file_path_is_left_alone_with_a_diagnostic() -> None:
    args = ("--settings", "/home/u/settings.json")
    out = apply_patches(
        args, [SETTINGS], argv_provider=Provider.CLAUDE, surface=TargetSurface.CROSS_PROVIDER_MEMBER_ARGS
    )
    assert out.args == args
    assert [d.code for d in out.diagnostics] == [Code.CODEX_SURFACE_UNKNOWN]


def test_unknown_surface_dialect_pair_is_a_diagnostic_not_an_append() -> None:
    odd = patch(TargetSurface.CROSS_PROVIDER_MEMBER_ARGS, ArgDialect.CODEX_NATIVE_CONFIG_OVERRIDE, "/w")
    out = apply_patches(["x"], [odd], argv_provider=Provider.CODEX, surface=TargetSurface.CROSS_PROVIDER_MEMBER_ARGS)
    assert out.args == ("x",)
    assert [d.code for d in out.diagnostics] == [Code.CODEX_SURFACE_UNKNOWN]


def test_native_config_overrides_list_keeps_one_projects_entry() -> None:
    merged, problem = merge_config_overrides(['model="o3"', 'projects={"/h"={trust_level="trusted"}}'], DIRECT)
    assert problem is None
    assert merged[0] == 'model="o3"'
    assert sum(v.startswith("projects=") for v in merged) == 1


user_args = st.lists(st.sampled_from(["--model", "o3", "-c", "x=1", "--yolo", "a b", "--config=y=2", "--"]), max_size=8)


@settings(max_examples=200, deadline=None)
@given(user_args, st.sampled_from([Provider.CODEX, Provider.CLAUDE]))
def test_user_args_are_never_removed_and_application_is_idempotent(args: list[str], provider: Provider) -> None:
    out = apply_patches(args, [DIRECT, SETTINGS], argv_provider=provider, surface=TargetSurface.PRIMARY_PROVIDER_ARGS)
    # Every user argument is still there, in order (patches are only inserted).
    remaining = iter(out.args)
    assert all(any(arg == got for got in remaining) for arg in args), out.args
    assert len(out.args) - len(args) in (0, 2)
    again = apply_patches(
        out.args, [DIRECT, SETTINGS], argv_provider=provider, surface=TargetSurface.PRIMARY_PROVIDER_ARGS
    )
    assert again.args == out.args
    if provider is Provider.CLAUDE:
        assert out.args.count("-c") == args.count("-c")


@pytest.mark.parametrize(
    ("argv", "tail"),
    [
        (["codex", "exec", "--", "fix the bug"], ["--", "fix the bug"]),
        (["codex", "exec", "--", "fix", "-c"], ["--", "fix", "-c"]),
        (["codex", "exec", "--", "-c", "projects={}"], ["--", "-c", "projects={}"]),
        # "--" as the value of -c is not the marker.
        (["codex", "-c", "--", "exec", "--", "hi"], ["--", "hi"]),
    ],
)
def test_nothing_after_the_end_of_options_marker_is_read_or_moved(argv: list[str], tail: list[str]) -> None:
    out = apply_patches(argv, [DIRECT], argv_provider=Provider.CODEX, surface=TargetSurface.PRIMARY_PROVIDER_ARGS)
    assert out.diagnostics == () and out.applied == (DIRECT.id,)
    assert list(out.args[-len(tail) :]) == tail
    head = list(out.args[: -len(tail)])
    assert head[-2] == "-c" and "/w" in head[-1] and head[:-2] == argv[: len(argv) - len(tail)]


def test_claude_settings_go_before_the_end_of_options_marker() -> None:
    argv = ["claude", "-p", "--", "hello"]
    out = apply_patches(
        argv, [SETTINGS], argv_provider=Provider.CLAUDE, surface=TargetSurface.CROSS_PROVIDER_MEMBER_ARGS
    )
    assert out.args[:2] == ("claude", "-p") and out.args[2] == "--settings" and out.args[-2:] == ("--", "hello")


def test_claude_continue_flag_is_not_mistaken_for_a_value_flag() -> None:
    # In Claude, -c is --continue: the "--" after it is the end-of-options marker.
    out = apply_patches(
        ["claude", "-c", "--", "fix the bug"],
        [SETTINGS],
        argv_provider=Provider.CLAUDE,
        surface=TargetSurface.CROSS_PROVIDER_MEMBER_ARGS,
    )
    assert out.args[:3] == ("claude", "-c", "--settings") and out.args[-2:] == ("--", "fix the bug")


def test_a_dangling_claude_settings_flag_is_refused() -> None:
    out = apply_patches(
        ["claude", "--settings"],
        [SETTINGS],
        argv_provider=Provider.CLAUDE,
        surface=TargetSurface.CROSS_PROVIDER_MEMBER_ARGS,
    )
    assert out.args == ("claude", "--settings") and [d.code for d in out.diagnostics] == [Code.CODEX_SURFACE_UNKNOWN]


def test_host_projects_override_in_the_attached_short_form_is_merged() -> None:
    host = '-cprojects={"/h"={trust_level="trusted"}}'
    out = apply_patches(
        ["codex", host, "-cmodel=o3"],
        [DIRECT],
        argv_provider=Provider.CODEX,
        surface=TargetSurface.PRIMARY_PROVIDER_ARGS,
    )
    assert host not in out.args and "-cmodel=o3" in out.args
    (value,) = [out.args[i + 1] for i, a in enumerate(out.args) if a == "-c"]
    assert set(parse_projects_override(value)) == {"/h", "/w", "/real/w"}


def test_the_settings_surface_is_measured_escaped() -> None:
    """In a runtime's --settings JSON each '"' of the value takes two bytes: a
    value that fits after -c but not there is refused too."""
    paths = [f"/p/{i:05d}" for i in range(3000)]
    build = build_trust_override(paths, host_os=HostOs.LINUX)
    assert build.value is None
    raw = build_trust_override(paths, host_os=HostOs.MACOS).value
    assert raw is not None and argument_size(raw, HostOs.LINUX) <= ARGUMENT_LIMIT[HostOs.LINUX]
    assert argument_size(json.dumps(raw, ensure_ascii=False), HostOs.LINUX) > ARGUMENT_LIMIT[HostOs.LINUX]
    assert [d.code for d in build.diagnostics] == [Code.CODEX_OVERRIDE_TOO_LONG]


def test_the_limit_is_this_machines_when_no_host_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    """Applying patches happens where the CLI is launched: a value macOS takes
    is not refused there by Linux's per-argument limit."""
    paths = [f"/srv/{i:05d}-" + "d" * 200 for i in range(800)]
    monkeypatch.setattr(HostOs, "this_machine", classmethod(lambda cls: HostOs.MACOS))
    value = build_trust_override(paths).value
    assert value is not None and argument_size(value, HostOs.MACOS) > ARGUMENT_LIMIT[HostOs.LINUX]
    merged, problem = merge_config_overrides(['model="o3"'], patch(*_primary(), *paths))
    assert problem is None and merged == ('model="o3"', value)
    monkeypatch.setattr(HostOs, "this_machine", classmethod(lambda cls: HostOs.LINUX))
    assert build_trust_override(paths).value is None


def _primary() -> tuple[TargetSurface, ArgDialect]:
    from workspace_trust.providers.codex import DIRECT_CLI_CONFIG

    return TargetSurface.PRIMARY_PROVIDER_ARGS, DIRECT_CLI_CONFIG
