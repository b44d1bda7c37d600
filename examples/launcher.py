"""A small launcher that wires workspace-trust into its launch flow.

    python examples/launcher.py [--provider claude|codex|gemini ...] [--mode create|launch] DIR [-- AGENT ARGS...]

(options go before DIR: everything after DIR is the agent's command)

It follows the four trust-safe windows of docs/host-integration.md:

1. early plan (``plan_args_only``) before anything probes the provider, so even a
   default-model probe gets the Codex override;
2. full plan (``plan_full``) before validating the launch: home/root folders stop here;
3. execute (``execute``) once the run exists, cancellable with Ctrl-C;
4. spawn the agent with the patched arguments and environment, after a gate that
   refuses a folder Claude does not trust (as an orchestrator's runtime would).
   If the agent still fails for workspace trust (``classify_failure``), it is
   prepared and launched once more, when ``retry_allowed`` says so.

The agent command defaults to ``<provider binary> --version``, which runs offline.
Exit codes: 0 launched, 3 blocked, 1 not launched (a soft failure with
--stop-on-soft-failure, or the trust gate) or the agent failed (also when it
cannot start), 130 cancelled.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence

import attrs

from workspace_trust import (
    EngineTiming,
    ExecutionResult,
    ExecutionStatus,
    FailureAction,
    Provider,
    RequestMode,
    TargetSurface,
    TrustPolicy,
    TrustState,
    Workspace,
    WorkspaceSpec,
    WorkspaceTrustCoordinator,
    WorkspaceTrustRequest,
    apply_patches,
    classify_failure,
    default_registry,
    launch_env,
    parse_flags,
    redact,
    retry_allowed,
)

#: Runs the agent: (argv, env, cwd) -> (exit code, the tail of its output).
Runner = Callable[[Sequence[str], Mapping[str, str], str], tuple[int, str]]


@attrs.frozen
class LaunchOutcome:
    exit_code: int
    status: str
    launched: bool
    argv: tuple[str, ...] = ()
    env_added: Mapping[str, str] = attrs.field(factory=dict)
    message: str = ""
    #: How many times the agent was launched (at most two: one retry).
    attempts: int = 0


def launch(
    folder: str,
    providers: Sequence[Provider],
    agent_argv: Sequence[str],
    *,
    env: Mapping[str, str],
    mode: RequestMode = RequestMode.LAUNCH,
    binaries: Mapping[Provider, str] | None = None,
    coordinator: WorkspaceTrustCoordinator | None = None,
    is_cancelled: Callable[[], bool] = lambda: False,
    run: Runner | None = None,
    log: Callable[[str], None] = lambda line: print(line, file=sys.stderr),
    timing: EngineTiming | None = None,
    on_soft_failure: FailureAction = FailureAction.CONTINUE_LAUNCH,
) -> LaunchOutcome:
    """Prepare ``folder`` and launch ``agent_argv`` for ``providers[0]`` (the lead).

    A coordinator passed in stays the caller's: it is used for every attempt and
    never disposed here (``dispose`` is for the host's shutdown). One created
    here is disposed when the launch is over."""
    owned: contextlib.AbstractContextManager[WorkspaceTrustCoordinator] = (
        _owned_coordinator() if coordinator is None else contextlib.nullcontext(coordinator)
    )
    with owned as active:
        flags = parse_flags(env)
        lead = providers[0] if providers else Provider.CLAUDE
        request = WorkspaceTrustRequest(
            workspaces=(WorkspaceSpec(folder),),
            providers=(Provider.CLAUDE, *[p for p in providers if p is not Provider.CLAUDE]),
            mode=mode,
            env=dict(env),
            binaries=dict(binaries or {}),
            flags=flags.flags,
            timing=timing or EngineTiming(),
            policy=attrs.evolve(TrustPolicy.for_mode(mode), on_soft_failure=on_soft_failure),
        )

        # Window 1: early patches, before any provider probe runs.
        early = active.plan_args_only(request)
        log(f"early plan: {len(early.patches.arg_patches)} arg patch(es)")

        # Window 2: full plan; a folder that may never be trusted stops the launch here.
        plan = active.plan_full(request)
        if plan.settled:
            codes = sorted({r.code.value for r in plan.settled if r.code is not None})
            return LaunchOutcome(3, "blocked", False, message=", ".join(codes))

        runner = run or _run
        attempt = 1
        while True:
            # Window 3: prepare trust. The orchestrator's gate is Claude's, whatever the lead.
            result = active.execute(
                plan,
                is_cancelled=is_cancelled,
                on_progress=lambda e: log(
                    f"{e.provider.value}: {e.stage.value}{' ' + e.status.value if e.status else ''}"
                ),
            )
            for r in result.results:
                log(f"{r.provider.value} {r.status.value} {r.code.value if r.code else ''}".rstrip())
            # On a retry the agent has already been launched once.
            launched_before = attempt > 1
            if result.status is ExecutionStatus.CANCELLED:
                return LaunchOutcome(130, "cancelled", launched_before, attempts=attempt - 1)
            if not result.proceed:
                status = 3 if result.status is ExecutionStatus.BLOCKED else 1
                return LaunchOutcome(status, result.status.value, launched_before, attempts=attempt - 1)

            # Window 4: the runtime's own gate, then spawn with the patched arguments.
            if not _claude_gate(plan.workspaces[0], env):
                return LaunchOutcome(
                    1,
                    "workspace_trust_required",
                    launched_before,
                    message=f'workspace trust is not accepted for "{folder}"',
                    attempts=attempt - 1,
                )
            argv = _patched(result, lead, agent_argv)
            # Environment patches, with any file one names made for this launch
            # only: the agent runs inside the block, which removes them after.
            with launch_env(result.patches.env_patches, provider=lead) as extra_env:
                code, output = runner(argv, {**env, **extra_env}, plan.workspaces[0].real_path)
            if code == 0:
                return LaunchOutcome(0, "launched", True, tuple(argv), extra_env, attempts=attempt)
            # The agent failed. Retry only a workspace-trust failure, once, as the policy says.
            failure = classify_failure(output, exit_code=code, provider=lead)
            decision = retry_allowed(failure, attempt=attempt, flags=flags.flags, preflight_status=result.status)
            log(f"agent exited {code}; retry: {decision.reason}")
            if not decision.allowed:
                last_line = redact(output.strip().splitlines()[-1])[:200] if output.strip() else ""
                message = failure.remedy if failure is not None and failure.remedy else last_line
                return LaunchOutcome(1, "agent_failed", True, tuple(argv), extra_env, message, attempts=attempt)
            attempt += 1
            plan = active.plan_full(attrs.evolve(request, attempt=attempt))


def _claude_gate(workspace: Workspace, env: Mapping[str, str]) -> bool:
    strategy = default_registry().create(Provider.CLAUDE)
    return strategy.probe(workspace, env).state is TrustState.TRUSTED


def _patched(result: ExecutionResult, lead: Provider, agent_argv: Sequence[str]) -> list[str]:
    applied = apply_patches(
        agent_argv, result.patches.arg_patches, argv_provider=lead, surface=TargetSurface.PRIMARY_PROVIDER_ARGS
    )
    return list(applied.args)


def agent_command(words: Sequence[str], lead: Provider, binaries: Mapping[Provider, str]) -> list[str]:
    """The agent's argv from the words after the folder. Only a leading ``--``
    separator is ours; an ``--`` inside the agent's own arguments stays."""
    agent = list(words[1:]) if words[:1] == ["--"] else list(words)
    return agent or [binaries.get(lead, lead.value), "--version"]


@contextlib.contextmanager
def _owned_coordinator() -> Iterator[WorkspaceTrustCoordinator]:
    coordinator = WorkspaceTrustCoordinator()
    try:
        yield coordinator
    finally:
        coordinator.dispose()


def _run(argv: Sequence[str], env: Mapping[str, str], cwd: str) -> tuple[int, str]:
    """Run the agent with its stdout passed through; its stderr is kept for
    classification and then passed on. An agent that cannot start is exit 127."""
    try:
        proc = subprocess.run(
            list(argv), env=dict(env), cwd=cwd, check=False, stderr=subprocess.PIPE, text=True, errors="replace"
        )
    except OSError as exc:
        return 127, f"cannot start {argv[0]}: {exc.strerror}"
    sys.stderr.write(proc.stderr)
    return proc.returncode, proc.stderr[-8192:]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("folder")
    parser.add_argument("--provider", action="append", choices=[p.value for p in Provider])
    parser.add_argument("--mode", choices=[m.value for m in RequestMode], default="launch")
    parser.add_argument("--bin", action="append", default=[], metavar="PROVIDER=PATH")
    parser.add_argument(
        "--stop-on-soft-failure", action="store_true", help="do not launch when trust could not be prepared"
    )
    parser.add_argument("agent", nargs=argparse.REMAINDER)
    args = parser.parse_args(argv)
    providers = [Provider(p) for p in (args.provider or ["claude"])]
    binaries: dict[Provider, str] = {}
    for item in args.bin:
        name, sep, path = item.partition("=")
        if not sep or name not in {p.value for p in Provider} or not path:
            names = ", ".join(p.value for p in Provider)
            parser.error(f"--bin takes PROVIDER=PATH with PROVIDER one of {names}; got {item!r}")
        binaries[Provider(name)] = path
    agent = agent_command(args.agent, providers[0], binaries)
    stop = threading.Event()
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    outcome = launch(
        os.path.abspath(args.folder),
        providers,
        agent,
        env=os.environ,
        mode=RequestMode(args.mode),
        binaries=binaries,
        is_cancelled=stop.is_set,
        on_soft_failure=FailureAction.STOP_LAUNCH if args.stop_on_soft_failure else FailureAction.CONTINUE_LAUNCH,
    )
    print(f"{outcome.status}: {' '.join(outcome.argv)} {outcome.message}".rstrip())
    return outcome.exit_code


if __name__ == "__main__":
    sys.exit(main())
