"""Which strategy serves which provider and mode, built from the provider specs.

The coordinator looks strategies up here and never names a provider itself.
A host may build its own (tests inject strategies this way); by default it is
a view of every registered :class:`~workspace_trust.providers.spec.ProviderSpec`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from workspace_trust.domain.codes import LaunchMode, Provider
from workspace_trust.providers import all_specs
from workspace_trust.strategy import TrustStrategy

StrategyFactory = Callable[[], TrustStrategy]


class StrategyRegistry:
    def __init__(self) -> None:
        self._factories: dict[tuple[Provider, str], StrategyFactory] = {}
        self._serves: dict[tuple[Provider, str], frozenset[LaunchMode]] = {}
        self._defaults: dict[Provider, str] = {}
        self._launch: dict[tuple[Provider, LaunchMode], tuple[str, ...]] = {}
        self._fallback_only: set[tuple[Provider, str]] = set()

    def register(
        self,
        provider: Provider,
        mode: str,
        factory: StrategyFactory,
        *,
        default: bool = False,
        launch_modes: Iterable[LaunchMode] = tuple(LaunchMode),
        fallback_only: bool = False,
    ) -> None:
        """Register ``factory`` for ``provider``'s ``mode``, serving
        ``launch_modes`` (only as a fallback, never named outright, with
        ``fallback_only``)."""
        self._factories[(provider, mode)] = factory
        self._serves[(provider, mode)] = frozenset(launch_modes)
        if fallback_only:
            self._fallback_only.add((provider, mode))
        if default or provider not in self._defaults:
            self._defaults[provider] = mode

    def prefer(self, provider: Provider, launch_mode: LaunchMode, modes: tuple[str, ...]) -> None:
        """The modes that serve a ``launch_mode`` launch of ``provider``, best first."""
        for mode in modes:
            if not self.serves(provider, mode, launch_mode):
                raise ValueError(f"the {mode!r} strategy of {provider.value} cannot serve {launch_mode.value} launches")
        self._launch[(provider, launch_mode)] = tuple(modes)

    def providers(self) -> tuple[Provider, ...]:
        return tuple(self._defaults)

    def modes(self, provider: Provider) -> tuple[str, ...]:
        return tuple(mode for (p, mode) in self._factories if p is provider)

    def default_mode(self, provider: Provider) -> str:
        return self._defaults[provider]

    def modes_for(self, provider: Provider, launch_mode: LaunchMode) -> tuple[str, ...]:
        """The modes that serve a ``launch_mode`` launch, best first: as
        :meth:`prefer` set them, else the default mode alone."""
        return self._launch.get((provider, launch_mode), (self._defaults[provider],))

    def serves(self, provider: Provider, mode: str, launch_mode: LaunchMode) -> bool:
        """Whether ``provider``'s ``mode`` can serve a ``launch_mode`` launch
        (an unknown mode serves none)."""
        return launch_mode in self._serves.get((provider, mode), frozenset())

    def fallback_only(self, provider: Provider, mode: str) -> bool:
        """Whether ``provider``'s ``mode`` may serve only as a fallback."""
        return (provider, mode) in self._fallback_only

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
            registry.register(
                spec.id,
                mode.name,
                mode.factory,
                default=mode.name == spec.default_mode,
                launch_modes=mode.launch_modes,
                fallback_only=mode.fallback_only,
            )
        for launch_mode, modes in spec.launch_strategies.items():
            registry.prefer(spec.id, launch_mode, modes)
    return registry
