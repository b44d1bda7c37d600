"""Names a module exports but imports only when first used.

``import workspace_trust`` and ``workspace_trust.plugin`` stay cheap (a plug-in's
spec module, ``status``: tests/test_cold_start.py) while their public names
are all there: each is looked up in the module that is its home the first time
it is asked for, and kept.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping, MutableMapping
from typing import Any


def lazy_exports(
    module: str, namespace: MutableMapping[str, Any], exports: Mapping[str, str]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """The ``__getattr__`` and ``__dir__`` of ``module``, whose globals are
    ``namespace``, for ``exports`` (name -> the module it is imported from)."""

    def __getattr__(name: str) -> Any:
        home = exports.get(name)
        if home is None:
            raise AttributeError(f"module {module!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(home), name)
        namespace[name] = value
        return value

    def __dir__() -> list[str]:
        return sorted({*namespace, *exports})

    return __getattr__, __dir__
