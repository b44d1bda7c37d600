"""Which strategy serves which provider and mode.

The coordinator looks strategies up here and never names a provider itself.
"""

from __future__ import annotations

from collections.abc import Callable

from workspace_trust.domain.codes import Provider
from workspace_trust.providers.claude.strategy import claude_pty_strategy
from workspace_trust.providers.codex.strategy import CodexArgsStrategy, codex_pty_strategy
from workspace_trust.providers.gemini.strategy import GeminiEnvStrategy, gemini_pty_strategy
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
    registry = StrategyRegistry()
    registry.register(Provider.CLAUDE, "pty", claude_pty_strategy, default=True)
    registry.register(Provider.CODEX, "args", CodexArgsStrategy, default=True)
    registry.register(Provider.CODEX, "pty", codex_pty_strategy)
    registry.register(Provider.GEMINI, "env", GeminiEnvStrategy, default=True)
    registry.register(Provider.GEMINI, "pty", gemini_pty_strategy)
    return registry
