"""Nothing generic names a provider: outside ``providers/`` (and the package's
re-exports in ``__init__``), no identifier and no string, docstrings included,
names a registered CLI. Comments may (they record facts about versions)."""

from __future__ import annotations

import ast
import os
import re

from workspace_trust.providers import all_specs

SRC = os.path.join(os.path.dirname(os.path.dirname(__file__)), "src", "workspace_trust")


def _generic_modules() -> list[str]:
    out = []
    for root, dirs, files in os.walk(SRC):
        dirs[:] = [d for d in dirs if d != "__pycache__"]
        if os.path.relpath(root, SRC).split(os.sep)[0] == "providers":
            continue
        for name in files:
            if name.endswith(".py") and not (root == SRC and name == "__init__.py"):
                out.append(os.path.join(root, name))
    return sorted(out)


def _names_pattern() -> re.Pattern[str]:
    words = sorted({spec.id.value for spec in all_specs()} | {spec.display_name.split()[0] for spec in all_specs()})
    return re.compile(r"(?i)(" + "|".join(re.escape(w) for w in words) + r")")


def provider_names_in(path: str, pattern: re.Pattern[str]) -> list[str]:
    with open(path, encoding="utf-8") as handle:
        tree = ast.parse(handle.read(), path)
    found = []
    for node in ast.walk(tree):
        texts: list[str] = []
        if isinstance(node, ast.Name):
            texts.append(node.id)
        elif isinstance(node, ast.Attribute):
            texts.append(node.attr)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            texts.append(node.name)
        elif isinstance(node, ast.arg):
            texts.append(node.arg)
        elif isinstance(node, ast.alias):
            texts.append(node.asname or node.name)
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            texts.append(node.value)
        elif isinstance(node, ast.keyword) and node.arg:
            texts.append(node.arg)
        for text in texts:
            hit = pattern.search(text)
            if hit:
                found.append(f"{os.path.relpath(path, SRC)}:{getattr(node, 'lineno', '?')}: {hit.group(0)!r}")
    return found


def test_no_generic_module_names_a_provider() -> None:
    pattern = _names_pattern()
    hits = [hit for path in _generic_modules() for hit in provider_names_in(path, pattern)]
    assert hits == []


def test_the_scan_finds_a_provider_name_where_there_is_one(tmp_path: object) -> None:
    """The check itself can fail: a module that names one is caught, in a
    docstring, a string and an identifier alike."""
    path = os.path.join(str(tmp_path), "m.py")
    first = all_specs()[0].id.value
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(f'"""About {first}."""\nX = "{first}-thing"\n{first}_flag = 1\n')
    assert len(provider_names_in(path, _names_pattern())) == 3


def test_the_schema_generator_names_no_provider() -> None:
    """The shipped schemas describe each provider's own plan fields from its
    spec (``ProviderSpec.plan_field_schemas``), never from a list of CLIs."""
    script = os.path.join(os.path.dirname(os.path.dirname(__file__)), "scripts", "gen_schemas.py")
    assert provider_names_in(script, _names_pattern()) == []


def test_the_shared_real_cli_helpers_name_no_provider() -> None:
    """``tests/realcli.py`` serves every CLI's real tests: per-CLI data comes
    from the specs (``ProviderSpec.preflight_env``, ``seed_test_home``), never
    from a CLI's own module."""
    helpers = os.path.join(os.path.dirname(__file__), "realcli.py")
    assert provider_names_in(helpers, _names_pattern()) == []
