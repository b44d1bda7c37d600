"""The command line as the library's request: ``args`` -> :class:`WorkspaceTrustRequest`.

Every check a value needs before anything runs is here, each a usage error
(exit 2): a ``--NAME-bin`` that names no executable, a ``--timeout`` or
``--parallel`` out of range, a malformed ``--launch-arg``, an empty folder
argument. The environment's feature flags are read here too; an explicit
``--NAME-mode`` or provider switch turns its flag on.
"""

from __future__ import annotations

import argparse
import math
import os

import attrs

from workspace_trust.cli.parser import (
    UsageError,
    bin_dest,
    flag_dest,
    mode_dest,
    option_dest,
    providers_named,
)
from workspace_trust.documents import Input
from workspace_trust.domain.codes import LaunchMode, Provider
from workspace_trust.domain.results import Diagnostic
from workspace_trust.engine.timing import DEFAULT_TIMING
from workspace_trust.flags import flag_variable, parse_flags
from workspace_trust.providers import all_specs
from workspace_trust.requests import DEFAULT_PARALLELISM, FullPlan, WorkspaceSpec, WorkspaceTrustRequest


def absolute(path: str) -> str:
    """A command-line folder, relative to the current folder as a shell user means it.

    A relative path is joined to the current folder and nothing more: no ``..``
    or ``.`` is removed as text. After a symlink, ``..`` is the parent of the
    link's target to the system (``lnk/../b`` is the ``b`` beside the target),
    and only the library, which resolves paths the way the system does
    (``adapters.filesystem``), may decide which folder that is."""
    if not path:
        raise UsageError("an empty folder argument names no folder")
    if path == "~" or path.startswith("~/") or os.path.isabs(path):
        return path  # the library expands ``~`` with the request's HOME
    try:
        here = os.getcwd()
    except OSError:
        raise UsageError(f"{path!r} is relative and the current folder is gone; give an absolute path") from None
    return os.path.join(here, path)


def build_request(args: argparse.Namespace) -> tuple[WorkspaceTrustRequest, tuple[Diagnostic, ...]]:
    binaries: dict[Provider, str] = {}
    modes: dict[Provider, str] = {}
    launch_args: dict[Provider, tuple[str, ...]] = {}
    for spec in all_specs():
        explicit = getattr(args, bin_dest(spec), None)
        if explicit:
            # A path the caller gave on the command line that names no
            # executable is the caller's mistake, whatever would run: a usage
            # error (docs/cli.md, "Exit codes"). One from the environment
            # stays the soft failure provider_binary_missing.
            from workspace_trust.adapters.binaries import LocalBinaryLocator

            if not LocalBinaryLocator().is_executable(explicit):
                raise UsageError(f"--{spec.id.value}-bin {explicit!r} is not an executable file")
            binaries[spec.id] = explicit
        if getattr(args, mode_dest(spec), None):
            modes[spec.id] = getattr(args, mode_dest(spec))
        for option in spec.cli_options:
            for value in getattr(args, option_dest(option), ()):
                launch_args[spec.id] = (*launch_args.get(spec.id, ()), *option.to_launch_args(value))
    timeout = getattr(args, "timeout", None)
    timing = DEFAULT_TIMING
    if timeout is not None:
        if not math.isfinite(timeout) or not 0 < timeout <= MAX_SECONDS:
            raise UsageError(f"--timeout must be a positive number of seconds, at most {MAX_SECONDS}")
        timing = attrs.evolve(DEFAULT_TIMING, total_budget_ms=int(timeout * 1000))
    parsed = parse_flags(os.environ)
    flags = parsed.flags
    switched: dict[str, bool] = {}
    for spec in all_specs():
        # An explicit --NAME-mode on the command line is the opt-in to a mode
        # that is off by default, unless the environment switches it off.
        if spec.id in modes:
            mode_flag = spec.mode(modes[spec.id]).flag
            if not flags.value(mode_flag) and flag_variable(mode_flag) not in os.environ:
                switched[mode_flag] = True
        for flag in spec.flags:
            if flag.cli_switch and getattr(args, flag_dest(flag.name), False):
                switched[flag.name] = True
    if switched:
        flags = flags.replace(**switched)
    parallel = getattr(args, "parallel", DEFAULT_PARALLELISM)
    if parallel < 1:
        raise UsageError("--parallel must be at least 1")
    attempt = getattr(args, "attempt", 1)
    if attempt < 1:
        raise UsageError("--attempt counts from 1")
    for item in getattr(args, "launch_arg", ()):
        name, sep, value = item.partition("=")
        if not sep:
            raise UsageError(f"--launch-arg takes PROVIDER=ARG, not {item!r}")
        if not name.strip() or "," in name:
            raise UsageError("--launch-arg needs one provider name before '='")
        (provider,) = providers_named([name])
        launch_args[provider] = (*launch_args.get(provider, ()), value)
    default_launch, launch_modes = _launch_modes(getattr(args, "launch_mode", ()))
    for provider, mode in modes.items():
        _check_served(provider, mode, launch_modes.get(provider, default_launch))
    return WorkspaceTrustRequest(
        workspaces=tuple(WorkspaceSpec(path=absolute(d)) for d in args.dirs),
        launch_mode=default_launch,
        launch_modes=launch_modes,
        providers=providers_named(args.provider),
        env=dict(os.environ),
        binaries=binaries,
        strategy_modes=modes,
        launch_args=launch_args,
        strip_env=tuple(getattr(args, "strip_env", ())),
        timing=timing,
        debug=args.debug,
        parallelism=parallel,
        flags=flags,
        attempt=attempt,
    ), (*parsed.diagnostics, *_plugin_diagnostics(args))


def _launch_modes(values: list[str] | tuple[str, ...]) -> tuple[LaunchMode, dict[Provider, LaunchMode]]:
    """``--launch-mode MODE`` (every provider's) and ``--launch-mode
    PROVIDER=MODE`` (one provider's); a later value wins."""
    default = LaunchMode.INTERACTIVE
    per_provider: dict[Provider, LaunchMode] = {}
    names = ", ".join(m.value for m in LaunchMode)
    for item in values:
        name, sep, value = item.rpartition("=")
        try:
            mode = LaunchMode(value)
        except ValueError:
            raise UsageError(f"--launch-mode takes [PROVIDER=]MODE with MODE one of {names}, not {item!r}") from None
        if not sep:
            default = mode
            per_provider.clear()  # every provider's, from here on
            continue
        if not name.strip() or "," in name:
            raise UsageError("--launch-mode needs one provider name before '='")
        (provider,) = providers_named([name])
        per_provider[provider] = mode
    return default, per_provider


def _check_served(provider: Provider, mode: str, launch: LaunchMode) -> None:
    """A ``--NAME-mode`` that cannot serve the provider's launch mode is a usage error."""
    from workspace_trust.providers import spec_for

    named = spec_for(provider).mode(mode)
    if launch not in named.launch_modes:
        raise UsageError(f"--{provider.value}-mode {mode} cannot serve {launch.value} launches")
    if named.fallback_only:
        raise UsageError(f"--{provider.value}-mode {mode} serves only as another mode's fallback; it cannot be named")


#: The longest --timeout or --deadline: a week (a timer cannot take an
#: unbounded one, and no preflight needs more).
MAX_SECONDS = 7 * 24 * 3600


def inputs(args: argparse.Namespace, plan: FullPlan) -> list[Input]:
    """Each DIR as given, in order, with the id of the workspace it became
    (a later spelling of an earlier folder gets the earlier one's id)."""
    return [
        (given, workspace_id if workspace_id is not None else (spec.id or spec.path))
        for given, spec, workspace_id in zip(args.dirs, plan.request.workspaces, plan.spec_workspace_ids, strict=True)
    ]


def _plugin_diagnostics(args: argparse.Namespace) -> tuple[Diagnostic, ...]:
    """Each provider plug-in that could not be loaded, as a
    ``provider_plugin_failed`` diagnostic of a ``--json`` document (in text,
    the line said at the start is enough)."""
    if not getattr(args, "json", False):
        return ()
    from workspace_trust.providers import plugin_failures

    return tuple(failure.diagnostic() for failure in plugin_failures())
