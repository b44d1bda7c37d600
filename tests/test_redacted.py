"""A raw tail is a ``Redacted`` value, made only by the redactor."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from workspace_trust.diagnostics import StrategyDiagnostic
from workspace_trust.domain.codes import Provider, WorkspaceStatus
from workspace_trust.domain.results import WorkspaceResult
from workspace_trust.domain.text import Redacted
from workspace_trust.redaction import redact_tail

PACKAGE = Path(__file__).resolve().parent.parent / "src" / "workspace_trust"
#: The modules allowed to call ``Redacted(...)``: the type itself (for cutting)
#: and the redactor.
MAKERS = {PACKAGE / "domain" / "text.py", PACKAGE / "redaction" / "__init__.py"}


def _constructions(path: Path) -> list[int]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [
        node.lineno
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and (
            (isinstance(node.func, ast.Name) and node.func.id == "Redacted")
            or (isinstance(node.func, ast.Attribute) and node.func.attr == "Redacted")
        )
    ]


def test_only_the_redactor_makes_a_redacted_value() -> None:
    found = {
        str(path.relative_to(PACKAGE)): lines
        for path in sorted(PACKAGE.rglob("*.py"))
        if path not in MAKERS and (lines := _constructions(path))
    }
    assert found == {}
    # The scan does see a construction where there is one.
    assert _constructions(PACKAGE / "redaction" / "__init__.py")


def test_a_result_holds_no_plain_text_tail() -> None:
    with pytest.raises(TypeError):
        WorkspaceResult(Provider.CLAUDE, "w", "/w", "/w", WorkspaceStatus.SOFT_FAILED, raw_tail="sk-ant-x")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        StrategyDiagnostic(Provider.CLAUDE, ("w",), ("/w",), WorkspaceStatus.SOFT_FAILED, raw_tail="x")  # type: ignore[arg-type]


def test_redact_tail_redacts_then_keeps_the_last_bytes() -> None:
    # The key starts before the point where the last 8192 bytes begin and ends
    # after it: cutting first would leave its last 7 characters, which no rule
    # recognises without the "sk-ant-" prefix.
    key = "sk-ant-api03-" + "Zk3Q9mR" * 10
    text = "h" * 200 + " " + key + " " + "x" * (8192 - len("Zk3Q9mR") - 1)
    assert text.encode()[-8192:].startswith(b"Zk3Q9mR ")
    tail = redact_tail(text, home=None)
    # Redacted before the cut: the key's end is not left without its prefix.
    assert "Zk3Q9mR" not in tail.text and "3Q9m" not in tail.text
    assert tail.utf8_size() <= 8192
    assert tail.text.endswith("x")
    whole = redact_tail("a\x1b[1mb /home/ana/p", home="/home/ana", limit=None)
    assert whole == Redacted("ab ~/p")


def test_cutting_never_splits_a_character() -> None:
    kept, cut = redact_tail("€€€", limit=None).tail(4)
    assert kept == Redacted("€") and cut == 6
    same, none = kept.tail(100)
    assert same is kept and none == 0
