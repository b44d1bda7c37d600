"""The execution context is built in one place, from the request, the ports and the flags."""

from __future__ import annotations

import attrs

from workspace_trust.domain.codes import Code, Provider
from workspace_trust.engine.timing import EngineTiming
from workspace_trust.flags import FeatureFlags
from workspace_trust.ports import ExecutionPorts
from workspace_trust.requests import WorkspaceTrustRequest
from workspace_trust.strategy import ExecutionContext
from workspace_trust.testing import (
    FakeBinaryLocator,
    FakeClock,
    FakeHelpReader,
    FakeLocks,
    FakeProviderLockFiles,
    FakePtySpawner,
    FakeScratchSpace,
    FakeStateFiles,
)

#: Context fields that do not come from a request field of the same name
#: (``homes`` is read through the coordinator's file-system port).
NOT_FROM_REQUEST = {"ports", "is_cancelled", "on_progress", "flags", "homes", "home_refusal"}


def _ports() -> ExecutionPorts:
    clock = FakeClock()
    return ExecutionPorts(
        spawner=FakePtySpawner(lambda spec: None, clock),  # type: ignore[arg-type,return-value]
        clock=clock,
        locks=FakeLocks(),
        help_reader=FakeHelpReader(),
        provider_locks=FakeProviderLockFiles(clock),
        state_files=FakeStateFiles(),
        binary_locator=FakeBinaryLocator(),
        scratch=FakeScratchSpace(),
    )


def _request() -> WorkspaceTrustRequest:
    # Every setting differs from its default, so a field left behind shows.
    return WorkspaceTrustRequest(
        workspaces=(),
        env={"HOME": "/home/ana"},
        binaries={Provider.CLAUDE: "/opt/claude"},
        strip_env=("SOME_TOKEN",),
        timing=EngineTiming(poll_ms=7),
        debug=True,
        lock_timeout_ms=1234,
        flags=FeatureFlags(file_lock=False),
        temp_dir="/scratch",
    )


def test_every_setting_of_the_context_comes_from_the_request() -> None:
    request = _request()
    ports = _ports()
    ctx = ExecutionContext.for_request(request, ports)
    names = {field.name for field in attrs.fields(ExecutionContext)} - NOT_FROM_REQUEST
    assert names  # the check below covers something
    for name in names:
        assert getattr(ctx, name) == getattr(request, name), name
    assert ctx.env is not request.env  # a copy: the host may change its own mapping
    assert ctx.homes == ()
    assert ExecutionContext.for_request(request, ports, homes=("/data/ana",)).homes == ("/data/ana",)
    # Read by the coordinator through its file-system port, never from the request.
    assert ctx.home_refusal is None
    refusal = (Code.HOME_IS_ROOT, "a root")
    assert ExecutionContext.for_request(request, ports, home_refusal=refusal).home_refusal == refusal


def test_the_request_debug_counts_as_the_flag() -> None:
    ctx = ExecutionContext.for_request(_request(), _ports())
    assert ctx.debug and ctx.flags.debug
    assert ctx.flags.file_lock is False
    quiet = ExecutionContext.for_request(attrs.evolve(_request(), debug=False), _ports())
    assert not quiet.debug


def test_the_ports_are_the_ones_given() -> None:
    ports = _ports()
    ctx = ExecutionContext.for_request(_request(), ports, on_progress=print)
    for field in attrs.fields(ExecutionPorts):
        assert getattr(ctx, field.name) is getattr(ports, field.name), field.name
    assert ctx.on_progress is print
