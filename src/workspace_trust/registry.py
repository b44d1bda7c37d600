"""Which strategy serves which provider and mode, built from the provider specs.

The coordinator looks strategies up here and never names a provider itself.
"""

from __future__ import annotations

from collections.abc import Callable

from workspace_trust.domain.codes import Provider
from workspace_trust.providers import all_specs
from workspace_trust.strategy import TrustStrategy

StrategyFactory = Callable[[], TrustStrategy]


class StrategyRegistry:
    def __init__(self) -> None:
        self._factories: dict[tuple[Provider, str], StrategyFactory] = {}
        self._defaults: dict[Provider, str] = {}

    def register(self, provider: Provider, mode: str, factory: StrategyFactory, *, default: bool = False) -> None:
        self._factories[(provider, mode)] = factory
        if default or provider not in self._defaults:
            self._defaults[provider] = mode

    def providers(self) -> tuple[Provider, ...]:
        return tuple(self._defaults)

    def modes(self, provider: Provider) -> tuple[str, ...]:
        return tuple(mode for (p, mode) in self._factories if p is provider)

    def default_mode(self, provider: Provider) -> str:
        return self._defaults[provider]

    def create(self, provider: Provider, mode: str | None = None) -> TrustStrategy:
        chosen = mode or self._defaults[provider]
        try:
            factory = self._factories[(provider, chosen)]
        except KeyError:
            raise ValueError(f"no {chosen!r} strategy for {provider.value}") from None
        return factory()


def default_registry() -> StrategyRegistry:
    """Every registered provider's modes (built-ins and entry-point plug-ins)."""
    registry = StrategyRegistry()
    for spec in all_specs():
        for mode in spec.modes:
            registry.register(spec.id, mode.name, mode.factory, default=mode.name == spec.default_mode)
    return registry
